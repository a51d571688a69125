#!/usr/bin/env bash
# What tracing adds to one TLS 1.2 resumption (both sides), counted by
# callgrind's simulated CPU instead of a timer, so a busy host gives the
# same figures: instructions, L1 instruction and data cache misses, and
# mispredicted branches, each per resumption, traced minus untraced, in
# all and for the functions that account for most of it. The estimate
# weighs a miss as 12 cycles and a misprediction as 15, about what an L2
# hit and a pipeline flush cost on current x86 cores, and turns the result
# into the traced/untraced ratio the bench reports.
#
# Only the resumptions are counted (the example's `resume`), not making
# the test PKI or the first, full handshake. Traced and untraced run from
# the same binary. Even so, compare builds with care: the simulated
# caches and branch predictor depend on where code and heap blocks land,
# and OpenSSL's own work varies with the heap (buffer sizes it clears,
# lookups it repeats), so two builds of one source have differed by up to
# 4,000 estimated cycles (0.4 points), and one function's row moves when
# another's code changes, as they compete for cache sets. Judge a change
# over several builds, not by one estimate.
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
pids=()
for mode in untraced traced; do
    valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes \
        --toggle-collect='resumption_cost::resume' \
        --callgrind-out-file="$out/$mode" "$bin" "$mode" "$n" "$kind" >"$out/$mode.log" 2>&1 &
    pids+=("$!")
done
for i in 0 1; do
    wait "${pids[$i]}" || {
        echo "ci/cost-model.sh: a callgrind run failed:" >&2
        cat "$out"/*.log >&2
        exit 1
    }
done
# One line per function (and one for the totals): name, a tab, then
# Ir I1mr D1mr D1mw Bcm Bim ("." for none, which awk reads as 0).
counts() {
    callgrind_annotate --auto=no --show=Ir,I1mr,D1mr,D1mw,Bcm,Bim --threshold=100 "$1" |
        sed 's/([^)]*)//g; s/,//g' |
        awk '$1 ~ /^[0-9]+$/ && NF > 6 {
            name = $7; for (i = 8; i <= NF && $i !~ /^\[/; i++) name = name " " $i
            print name "\t" $1 " " $2 " " $3 " " $4 " " $5 " " $6
        }'
}
counts "$out/untraced" >"$out/u.txt"
counts "$out/traced" >"$out/t.txt"
grep -q '^PROGRAM TOTALS' "$out/t.txt" || { echo "ci/cost-model.sh: no counts in the traced run" >&2; exit 1; }
: >"$out/rows.txt"
awk -F'\t' -v n="$n" -v kind="$kind" '
    function est(v) { return v[1] + 12 * (v[2] + v[3] + v[4]) + 15 * (v[5] + v[6]) }
    FNR == NR { u[$1] = $2; next }
    {
        split($2, t, " "); split(($1 in u) ? u[$1] : "0 0 0 0 0 0", b, " ")
        for (i = 1; i <= 6; i++) d[i] = (t[i] - b[i]) / n
        if ($1 == "PROGRAM TOTALS") {
            for (i = 1; i <= 6; i++) { total[i] = d[i]; base[i] = b[i] / n }
        } else if (est(d) > 100) {
            name = $1; sub(/^[^:]*:/, "", name)
            printf "  %8.0f %7.0f %6.1f %6.1f %6.1f  %s\n", est(d), d[1], d[2], d[3] + d[4], d[5] + d[6], name > rows
        }
    }
    END {
        printf "TLS 1.2 %s resumption, per resumption (both sides), traced minus untraced:\n", kind
        printf "  instructions           %8.0f  (%+.2f %%)\n", total[1], 100 * total[1] / base[1]
        printf "  L1i misses             %8.0f  (%+.2f %%)\n", total[2], 100 * total[2] / base[2]
        printf "  L1d misses             %8.0f\n", total[3] + total[4]
        printf "  branches mispredicted  %8.0f  (%+.2f %%)\n", total[5] + total[6], 100 * (total[5] + total[6]) / (base[5] + base[6])
        printf "  estimated cycles       %8.0f  of %.0f untraced: ratio %.4f\n", est(total), est(base), est(base) / (est(base) + est(total))
        printf "\nfunctions adding the most (estimated cycles, instructions, L1i misses, L1d misses, mispredictions):\n"
    }
' rows="$out/rows.txt" "$out/u.txt" "$out/t.txt"
sort -rn "$out/rows.txt" | head -n 15
