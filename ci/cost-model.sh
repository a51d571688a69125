#!/usr/bin/env bash
# What tracing adds to one TLS 1.2 resumption (both sides), counted by
# callgrind's simulated CPU instead of a timer, so a busy host gives the
# same figures: instructions, L1 instruction and data cache misses, and
# mispredicted branches, each per resumption, traced minus untraced. The
# estimate weighs a miss as 12 cycles and a misprediction as 15, about
# what an L2 hit and a pipeline flush cost on current x86 cores, and
# turns the result into the traced/untraced ratio the bench reports.
#
# Traced and untraced run from the same binary: the simulated caches and
# branch predictor depend on where code lands, so figures from two builds
# differ by about 2,000 estimated cycles (0.2 points) even for the same
# source. Compare changes by their instruction counts, or by several
# builds, not by one estimate.
#
# Under valgrind the library reads CLOCK_MONOTONIC rather than the time
# stamp counter, so the clock's share is larger here than on hardware.
#
# Usage: bash ci/cost-model.sh [N] [session-id|ticket]   (default 2000 session-id)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
kind=${2:-session-id}
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "ci/cost-model.sh: $tool missing; apt-get install valgrind" >&2; exit 1; }
done
cargo build -q --release -p benches --example resumption_cost
bin=target/release/examples/resumption_cost
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for mode in untraced traced; do
    valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes \
        --callgrind-out-file="$out/$mode" "$bin" "$mode" "$n" "$kind" >"$out/$mode.log" 2>&1 &
done
wait
# The inclusive counts of the resumptions alone (the example's `resume`),
# without making the test PKI and the first, full handshake.
counts() {
    local line
    # grep reads to the end: stopping early would fail the pipe.
    line=$(callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$1" | grep 'resumption_cost::resume ') || {
        echo "ci/cost-model.sh: no counts for resume() in $1; see $1.log" >&2
        cat "$1.log" >&2
        exit 1
    }
    sed 's/([^)]*)//g; s/,//g' <<<"${line%%$'\n'*}"
}
untraced=$(counts "$out/untraced")
traced=$(counts "$out/traced")
printf '%s\n%s\n' "$untraced" "$traced" | awk -v n="$n" -v kind="$kind" '
    # Columns: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
    NR == 1 { for (i = 1; i <= 13; i++) u[i] = $i }
    NR == 2 { for (i = 1; i <= 13; i++) d[i] = ($i - u[i]) / n }
    END {
        est = function_est(d); base = function_est_u(u, n)
        printf "TLS 1.2 %s resumption, per resumption (both sides), traced minus untraced:\n", kind
        printf "  instructions           %8.0f  (%+.2f %%)\n", d[1], 100 * d[1] * n / u[1]
        printf "  L1i misses             %8.0f  (%+.2f %%)\n", d[4], 100 * d[4] * n / u[4]
        printf "  L1d misses             %8.0f\n", d[5] + d[6]
        printf "  branches mispredicted  %8.0f  (%+.2f %%)\n", d[11] + d[13], 100 * (d[11] + d[13]) * n / (u[11] + u[13])
        printf "  estimated cycles       %8.0f  of %.0f untraced: ratio %.4f\n", est, base, base / (base + est)
    }
    function function_est(v) { return v[1] + 12 * (v[4] + v[5] + v[6]) + 15 * (v[11] + v[13]) }
    function function_est_u(v, n,   w, i) { for (i = 1; i <= 13; i++) w[i] = v[i] / n; return function_est(w) }
'
