#!/usr/bin/env bash
# Memory checks of the library's and the harness's test suites:
#  1. valgrind memcheck on every test binary (0 errors, 0 bytes definitely
#     lost) and on examples/leak_check (traced connections made and dropped
#     under memcheck);
#  2. examples/leak_check in release: 10,000 traced connections, the heap
#     must return to its baseline;
#  3. AddressSanitizer (RUSTC_BOOTSTRAP=1 lets the stable toolchain accept
#     -Zsanitizer=address; it works here, as cargo-fuzz shows) on the
#     library's tests.
# Usage: bash ci/sanitize.sh [valgrind|leak|asan]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(valgrind leak asan)
target=$(rustc -vV | sed -n 's/^host: //p')

if [[ " ${steps[*]} " == *" valgrind "* ]]; then
    command -v valgrind >/dev/null || { echo "ci/sanitize.sh: valgrind missing; apt-get install valgrind" >&2; exit 1; }
    cargo build -q -p openssl-handshake --example leak_check
    mapfile -t bins < <(cargo test -p openssl-handshake -p openssl-handshake-testkit -p harness --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])')
    bins+=("target/debug/examples/leak_check 200")
    failures=()
    for bin in "${bins[@]}"; do
        echo "== valgrind $bin"
        out=$(mktemp)
        # shellcheck disable=SC2086 # the leak_check entry carries its argument
        if valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
            --track-origins=no -q $bin --test-threads=1 >"$out" 2>&1; then
            grep -E '^test result|heap' "$out" || true
        else
            status=$?
            tail -60 "$out"
            # 99 is memcheck's verdict; anything else is the program failing
            # under valgrind's slowdown.
            if [ "$status" = 99 ]; then
                failures+=("memcheck errors in $bin")
            else
                failures+=("$bin failed under valgrind (exit $status)")
            fi
        fi
        rm -f "$out"
    done
    if [ ${#failures[@]} -gt 0 ]; then
        printf 'ci/sanitize.sh: %s\n' "${failures[@]}" >&2
        exit 1
    fi
fi

if [[ " ${steps[*]} " == *" leak "* ]]; then
    echo "== leak_check: 10,000 traced connections"
    cargo run -q --release -p openssl-handshake --example leak_check -- 10000
fi

if [[ " ${steps[*]} " == *" asan "* ]]; then
    echo "== AddressSanitizer"
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
        ASAN_OPTIONS=detect_leaks=1 CARGO_TARGET_DIR=target/asan \
        cargo test -q -p openssl-handshake --lib --tests --target "$target"
fi
echo "ci/sanitize.sh: clean"
