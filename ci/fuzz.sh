#!/usr/bin/env bash
# Fuzzes each target in fuzz/ for a bounded time (default 60 s each):
#   bash ci/fuzz.sh [SECONDS_PER_TARGET]
#
# cargo-fuzz builds with -Zsanitizer=address, a nightly flag. This machine
# has only the stable toolchain; RUSTC_BOOTSTRAP=1 makes stable rustc accept
# the nightly flags, which is enough for libFuzzer and ASan here.
# The corpora are seeded from real traced handshakes (examples/fuzz_corpus.rs).
# A crash fails the script; the crashing input is left in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "ci/fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cargo run -q -p openssl-handshake --example fuzz_corpus -- fuzz/corpus
cd fuzz
# cargo-fuzz's default build: optimized, with debug assertions and overflow
# checks on, so an arithmetic overflow in a decoder is a crash, not a wrap.
cargo fuzz build
for target in decode_handshake server_records; do
    log=$(mktemp)
    echo "== fuzz $target for ${seconds}s"
    if ! cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=3 >"$log" 2>&1; then
        tail -40 "$log"
        echo "ci/fuzz.sh: $target crashed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "$target: $runs executions, 0 crashes"
    rm -f "$log"
done
