#!/usr/bin/env bash
# The project's test command (README "Run the tests"): installs what a fresh
# Debian machine with Rust lacks, then runs fmt, the 600-line limit, clippy,
# the test suite, the docs (broken intra-doc links fail), the examples, the
# interop matrix against the external peers, the hostile-peer suite, every
# benchmark once, a quick `tls-harness bench` whose JSON is checked, and a
# short fuzz run of each target.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's header says how far into the run it starts, so a slow CI
# run shows where its time went.
step() { echo "== $* (at ${SECONDS} s)"; }

# System packages: OpenSSL 3 headers for openssl-sys, the openssl and
# gnutls command-line tools the interop tests talk to, and a C compiler
# for the header check.
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --atleast-version=3.0.0 openssl 2>/dev/null || missing+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v gnutls-cli >/dev/null 2>&1 || missing+=(gnutls-bin)
command -v botan >/dev/null 2>&1 || missing+=(botan)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
# The fuzz smoke builds libFuzzer, which is C++ (g++ is apart from gcc).
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v stdbuf >/dev/null 2>&1 || missing+=(coreutils)
# gnutls-serv's SRP password file is made by srptool under setsid.
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
# tshark's dissection of a live capture is the decoder's reference (tests/tshark.rs).
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
# testssl.sh's table of suite names is the reference for the names scan gives
# the suites OpenSSL 3 dropped (harness/src/scan/legacy_suites/tests.rs).
[ -f /etc/testssl/cipher-mapping.txt ] || missing+=(testssl.sh)
# The certificate decoder is checked against OpenSSL's on every system root.
[ -d /etc/ssl/certs ] && ls /etc/ssl/certs/*.pem >/dev/null 2>&1 || missing+=(ca-certificates)
# Prosody, Debian's XMPP server, is what `probe --starttls xmpp` is tested
# against (tests/probe_starttls.rs runs its own, on free ports).
command -v prosody >/dev/null 2>&1 || missing+=(prosody)
# The jsse peer compiles its driver (Driver.java) with javac and runs it
# with java: the JDK's own TLS, under the JDK's own java.security.
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
# The tlslite peer runs tlslite-ng from a virtual environment made below.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "ci/test.sh: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # wireshark-common otherwise asks whether non-root users may capture.
        echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
        apt-get update -qq
        # Packages that ship a service (prosody) must not start it: the
        # tests run their own. invoke-rc.d asks policy-rc.d; 101 is "no".
        policy=/usr/sbin/policy-rc.d
        added_policy=
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
        fi
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        if [ -n "$added_policy" ]; then rm -f "$policy"; fi
    else
        echo "ci/test.sh: missing system packages: ${missing[*]}" >&2
        echo "  install them with: sudo apt-get install ${missing[*]}" >&2
        echo "  (or run this script as root and it installs them itself)" >&2
        exit 1
    fi
fi
# Under CI the interop tests need the external peers: a missing one is a
# failure, never a skipped test.
if [ "${CI:-}" = true ]; then
    for tool in openssl gnutls-cli gnutls-serv srptool botan tshark java javac; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "ci/test.sh: $tool not found under CI=true; install openssl, gnutls-bin, botan, tshark and openjdk-17-jdk-headless" >&2
            exit 1
        fi
    done
fi
# tlslite-ng from PyPI, in a virtual environment under target/ that the
# tlslite peer finds (TLS_HARNESS_TLSLITE_PYTHON), and the servers
# `probe --starttls` is tested against: aiosmtpd (SMTP), pymap (IMAP),
# pyftpdlib with pyOpenSSL (FTP).
venv=target/tlslite-venv
python_packages=(tlslite-ng aiosmtpd pymap pyftpdlib pyopenssl)
if ! "$venv/bin/python" -c 'import tlslite, aiosmtpd, pymap, pyftpdlib, OpenSSL' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "${python_packages[@]}" ||
        { echo "ci/test.sh: could not install ${python_packages[*]} from PyPI into $venv" >&2; exit 1; }
fi
export TLS_HARNESS_TLSLITE_PYTHON="$PWD/$venv/bin/python"
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

step "cargo fmt --check"
cargo fmt --all --check
step "source files of at most 600 lines"
# Files hold one concept each; a file past this has grown a second one.
long=$(git ls-files '*.rs' | xargs wc -l | awk '$2 != "total" && $1 > 600')
if [ -n "$long" ]; then
    echo "ci/test.sh: split these source files (over 600 lines):" >&2
    echo "$long" >&2
    exit 1
fi
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p openssl-handshake --all-targets --features tracing,metrics -- -D warnings
step "cargo test --workspace (several test binaries at a time: ci/run-tests.sh)"
bash ci/run-tests.sh
step "cargo doc -D warnings (broken intra-doc links fail)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --workspace
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p openssl-handshake --features tracing,metrics
step "examples (each exits non-zero on any failure)"
cargo run -q -p openssl-handshake --example tokio_openssl
# Both features, as the telemetry tests below use, so one build serves both.
cargo run -q -p openssl-handshake --features tracing,metrics --example hyper_tracing
cargo run -q -p openssl-handshake --example sni_vhost
step "example diagnose against openssl s_server: a refusal exits 1 naming its cause, a success 0"
check_diagnose() {
    local want_rc=$1 want=$2 dir port out rc=0
    shift 2
    dir=$(mktemp -d)
    target/debug/tls-harness pki --out "$dir" >/dev/null
    # stdin held open: s_server quits at its end.
    sleep 30 | openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$dir/server-rsa2048.chain.pem" \
        -cert_chain "$dir/server-rsa2048.chain.pem" -key "$dir/server-rsa2048.key" >"$dir/s_server.log" 2>&1 &
    for _ in $(seq 100); do
        # The log may not exist yet: s_server's shell opens it (set -e).
        port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$dir/s_server.log" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "ci/test.sh: openssl s_server did not start:" >&2; cat "$dir/s_server.log" >&2; exit 1; }
    out=$(target/debug/examples/diagnose connect "127.0.0.1:$port" --servername localhost "${@/ROOT/$dir/root.pem}") || rc=$?
    if [ "$rc" != "$want_rc" ] || ! grep -q "$want" <<<"$out"; then
        echo "ci/test.sh: diagnose $* exited $rc (want $want_rc) and printed (want \"$want\"):" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "diagnose: ${want#^} (exit $rc)"
    rm -rf "$dir"
}
check_diagnose 1 "^server_cert_untrusted_root:"
check_diagnose 0 "^the handshake succeeded" --cafile ROOT

step "cargo test -p openssl-handshake --features tracing,metrics"
cargo test -q -p openssl-handshake --features tracing,metrics --test telemetry --test telemetry_filtered \
    --test telemetry_describe --test telemetry_panic

# The main job: every pairing with the external peers must end with 0 failed.
# The debug harness `cargo test` built: the matrix's time goes to the peers'
# processes and waits (67 to 93 s in debug, 69 s in release, on one host),
# and a release tree would cost five more minutes of building.
harness=target/debug/tls-harness
peers=inproc,openssl-cli,gnutls-cli,rustls,botan,tlslite,jsse
step "tls-harness matrix --peers $peers --external-scope full"
# The report goes to a JSON file; the log gets the summary, each pairing's
# count of cases run and, when a case fails, each failed case with its
# reason and diagnosis.
matrix_json=target/matrix.json
summary='.summary | "\(.passed) passed, \(.failed) failed, \(.unsupported) unsupported"'
# Ten seconds a step, not five: a DHE handshake of Botan's against the
# debug in-process server takes five times any other case's on a loaded
# machine; a passing run takes no longer for it.
if ! "$harness" matrix --peers "$peers" --external-scope full --timeout 10 \
    --format json --out "$matrix_json"; then
    jq -r '.results[] | select(.status == "fail")
        | "  FAIL \(.id): \(.reason)\(if .diagnosis then "\n    diagnosis: \(.diagnosis.summary)" else "" end)"' \
        "$matrix_json" 2>/dev/null || true
    jq -r "$summary" "$matrix_json" 2>/dev/null || true
    exit 1
fi
jq -r "$summary" "$matrix_json"
# A pairing that ran nothing passed having tested nothing: a peer whose
# declaration stopped matching the cases (every case "unsupported") must
# not read as green.
by_pairing='[.results[] | {p: "\(.pairing.client) > \(.pairing.server)",
    ran: (.status == "pass" or .status == "fail")}] | group_by(.p)[]
    | "\(.[0].p)\t\(map(select(.ran)) | length)/\(length)"'
jq -r "$by_pairing" "$matrix_json" | awk -F'\t' '{ printf "  %-26s %s ran\n", $1, $2 }'
idle=$(jq -r "$by_pairing" "$matrix_json" | awk -F'\t' '$2 ~ /^0\// { print $1 }')
if [ -n "$idle" ]; then
    echo "ci/test.sh: these pairings ran no case (all unsupported or skipped):" >&2
    echo "$idle" >&2
    exit 1
fi

step "tls-harness hostile --in-process"
# The summary line; on a failure, each failed case's expected and actual
# outcome and trace too.
hostile_log=target/hostile.txt
if ! "$harness" hostile --in-process >"$hostile_log" 2>&1; then
    awk '/^\[/ { show = /^\[FAIL\]/ } show' "$hostile_log"
    tail -n 1 "$hostile_log"
    exit 1
fi
tail -n 1 "$hostile_log"

# Speeds are not checked (CI machines are noisy, and this is the debug
# build); that every bench runs and every ratio is present is. `cargo test`
# runs each criterion bench once, in the profile the tests were built in.
step "criterion benches, each once (cargo test --bench '*')"
cargo test -q --workspace --bench '*'
step "tls-harness bench --quick (debug build: rows and ratios, not speeds)"
"$harness" bench --quick --format json --out target/bench.json
jq -e '
    .schema_version == 4 and (.rows | length > 0)
    and all(.rows[]; (.untraced | type) == "number" and (.traced_ratio | type) == "number"
        and (.kind == "memory" or (.id | test("^resumption/.*/tls12-"))
             or (.limit_fraction | type) == "number"))
    and all(.targets[]; (.measured | type) == "number" or .invalid)
    and all(.targets[]; if .judged then (.met | type) == "boolean"
        else .met == null and (.not_judged | type) == "string" end)' target/bench.json >/dev/null ||
    { echo "ci/test.sh: tls-harness bench JSON lacks a ratio, or judges a target it calls not judged" >&2; exit 1; }
echo "bench JSON: $(jq '.rows | length' target/bench.json) rows, every ratio present"

step "fuzz smoke (10 s per target)"
bash ci/fuzz.sh 10
echo "== all steps passed in ${SECONDS} s"
