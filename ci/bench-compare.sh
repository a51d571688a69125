#!/usr/bin/env bash
# System OpenSSL against the vendored build (openssl-src, a current 3.x):
# builds tls-bench both ways, runs each, and prints the rows side by side
# as vendored/system ratios. Takes minutes (the vendored build compiles
# OpenSSL); not part of CI. Pass --quick for short runs, and any other
# tls-bench arguments (e.g. --filter '^handshake/').
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_COMPARE_DIR:-target/bench-compare}
mkdir -p "$out"

echo "== building against the system OpenSSL" >&2
cargo build --release -p benches --bin tls-bench
cp target/release/tls-bench "$out/tls-bench-system"

echo "== building against vendored OpenSSL (openssl-src)" >&2
# A separate target directory, so the two builds do not rebuild each other.
CARGO_TARGET_DIR=target/vendored \
    cargo build --release -p benches --bin tls-bench --features openssl-handshake/vendored
cp target/vendored/release/tls-bench "$out/tls-bench-vendored"

echo "== running (system)" >&2
"$out/tls-bench-system" --format json "$@" >"$out/system.json"
echo "== running (vendored)" >&2
"$out/tls-bench-vendored" --format json "$@" >"$out/vendored.json"

"$out/tls-bench-system" compare "$out/system.json" "$out/vendored.json"
