#!/usr/bin/env bash
# Runs testssl.sh with all its checks, and sslscan, against `tls-harness
# serve --www`, and counts the diagnoses of the connections the server
# saw, by cause, fault and OpenSSL reason, with an example summary each.
# The scanners probe on purpose with what a server should refuse (SSL 2.0
# and 3.0, export and NULL suites, binary curves, TLS 1.3 drafts, ROBOT
# and CCS-injection probes); this judges the diagnosis of each refusal:
# it fails when any connection is diagnosed `unknown`.
#
# Not part of CI: testssl.sh takes a minute or two.
#
# Usage: bash ci/testssl-survey.sh [SERVE OPTIONS...]
#   TESTSSL (default: testssl or testssl.sh on PATH; Debian: apt-get
#   install testssl.sh), SSLSCAN (default: sslscan; empty to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ci/serve-survey.sh
. ci/serve-survey.sh
testssl=${TESTSSL:-$(command -v testssl || command -v testssl.sh || true)}
[ -n "$testssl" ] || {
    echo "ci/testssl-survey.sh: testssl.sh missing; apt-get install testssl.sh" >&2; exit 1; }
sslscan=${SSLSCAN-$(command -v sslscan || true)}
cargo build -q --release -p harness
harness=$PWD/target/release/tls-harness
out=$(mktemp -d)
pki=$out/pki
"$harness" pki --out "$pki" >/dev/null
start_serve testssl --max-connections 256 "$@"
timeout 1800 "$testssl" --quiet --color 0 --warnings off -9 --jsonfile "$out/testssl.json" \
    "127.0.0.1:$port" >"$out/testssl.out" 2>&1 || true
stop_serve
if [ -n "$sslscan" ]; then
    start_serve sslscan --max-connections 256 "$@"
    timeout 600 "$sslscan" --no-colour --show-sigs "127.0.0.1:$port" >"$out/sslscan.out" 2>&1 || true
    stop_serve
fi
echo "traces and the scanners' reports: $out"
python3 ci/count-diagnoses.py --summaries "$out"/*.jsonl
