#!/usr/bin/env bash
# Runs tlsfuzzer's scripts (github.com/tlsfuzzer/tlsfuzzer, with
# tlslite-ng from git beside it) against `tls-harness serve --www`, one
# server per script, and counts the diagnoses of the connections the
# server saw, by cause, fault and OpenSSL reason. tlsfuzzer's own verdicts
# judge OpenSSL; this judges the diagnosis: it fails when any connection is
# diagnosed `unknown`.
#
# Not part of CI: it needs both checkouts and takes 10 to 30 minutes.
#
# Usage: bash ci/tlsfuzzer-survey.sh TLSFUZZER_DIR TLSLITE_DIR [SCRIPT...]
#   (default: every scripts/test-*.py but the timing and long fuzzing ones)
#   SERVE_ARGS (default "--seclevel 0"): extra options for serve, e.g. to
#   let tlsfuzzer's TLS 1.2 hellos without signature_algorithms through.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
fuzzer=$(cd "$1" && pwd); tlslite=$(cd "$2" && pwd); shift 2
python=${PYTHON:-python3}
"$python" -c 'import ecdsa' 2>/dev/null || {
    echo "ci/tlsfuzzer-survey.sh: $python lacks ecdsa (pip install ecdsa)" >&2; exit 1; }
cargo build -q --release -p harness
harness=$PWD/target/release/tls-harness
out=$(mktemp -d)
pki=$out/pki
"$harness" pki --out "$pki" >/dev/null
if [ $# -eq 0 ]; then
    set -- $(ls "$fuzzer/scripts" | grep '^test-.*\.py$' |
        grep -v -E 'timing|lucky13|minerva|marvin|bleichenbacher|fuzzed-(ciphertext|MAC|padding|plaintext)|large-number-of-extensions|aes-gcm-nonces' |
        sed 's/\.py$//')
fi
for script in "$@"; do
    # Port 0, read back from serve's announcement: a fixed port may be
    # some other program's ephemeral one.
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of options
    "$harness" serve --listen 127.0.0.1:0 --cert "$pki/server-rsa2048.chain.pem" \
        --key "$pki/server-rsa2048.key" --www --format json ${SERVE_ARGS:---seclevel 0} \
        >"$out/$script.jsonl" 2>"$out/$script.serve.log" &
    server=$!
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out/$script.serve.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "ci/tlsfuzzer-survey.sh: serve did not start:" >&2; cat "$out/$script.serve.log" >&2; exit 1; }
    (cd "$fuzzer" && PYTHONPATH=".:$tlslite" timeout 120 "$python" "scripts/$script.py" \
        -h 127.0.0.1 -p "$port" >"$out/$script.out" 2>&1) || true
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    echo "$script: $(grep -E '^(PASS|FAIL):' "$out/$script.out" | tr '\n' ' ')"
done
echo "traces and tlsfuzzer's output: $out"
"$python" - "$out"/*.jsonl <<'EOF'
import collections, json, sys
counts, example = collections.Counter(), {}
for path in sys.argv[1:]:
    for line in open(path):
        d = json.loads(line).get("diagnosis")
        if not d:
            continue
        reason = next((e["value"] for e in d["evidence"] if e["source"] == "OpenSSL reason"), "")
        key = (d["cause"], d["fault"], reason)
        counts[key] += 1
        example.setdefault(key, (path.rsplit("/", 1)[-1], d["summary"]))
for (cause, fault, reason), n in counts.most_common():
    print(f"{n:6} {cause} (fault {fault}) {reason!r}  e.g. {example[(cause, fault, reason)][0]}")
unknown = sum(n for k, n in counts.items() if k[0] == "unknown")
print(f"{sum(counts.values())} diagnosed connections, {unknown} unknown")
sys.exit(1 if unknown else 0)
EOF
