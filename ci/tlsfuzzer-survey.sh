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
# shellcheck source=ci/serve-survey.sh
. ci/serve-survey.sh
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
    # shellcheck disable=SC2086 # SERVE_ARGS is a list of options
    start_serve "$script" ${SERVE_ARGS:---seclevel 0}
    (cd "$fuzzer" && PYTHONPATH=".:$tlslite" timeout 120 "$python" "scripts/$script.py" \
        -h 127.0.0.1 -p "$port" >"$out/$script.out" 2>&1) || true
    stop_serve
    echo "$script: $(grep -E '^(PASS|FAIL):' "$out/$script.out" | tr '\n' ' ')"
done
echo "traces and tlsfuzzer's output: $out"
"$python" ci/count-diagnoses.py "$out"/*.jsonl
