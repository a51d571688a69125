#!/usr/bin/env bash
# Whether a change moves the tracing cost, on a machine too noisy for one
# run to tell: builds tls-bench at two git revisions, runs the filtered
# rows of each N times in alternation (the order flips each time, so drift
# hits both alike), and prints per row each build's mean traced/untraced
# ratio and the mean of the paired differences with a 95 % interval
# (± 2.09 · sd / √N for N = 20, from Student's t). An interval that holds
# 0 means no change was seen. Run it twice with the same revision to see
# the method's own noise. Not part of CI.
#
# Usage: bash ci/bench-ab.sh BASE [CANDIDATE]   (CANDIDATE: default the work tree)
#   BENCH_AB_RUNS   runs per build (default 20)
#   BENCH_AB_FILTER tls-bench --filter (default 'resumption/default/tls12')
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
command -v jq >/dev/null || { echo "ci/bench-ab.sh: jq missing; apt-get install jq" >&2; exit 1; }
runs=${BENCH_AB_RUNS:-20}
[ "$runs" -ge 5 ] || { echo "ci/bench-ab.sh: BENCH_AB_RUNS must be at least 5" >&2; exit 2; }
filter=${BENCH_AB_FILTER:-resumption/default/tls12}
out=target/bench-ab
mkdir -p "$out"
root=$PWD

# Builds tls-bench at a revision (or the work tree for "") into $out/$2.
# The worktree shares this target directory, so only the workspace's own
# crates are rebuilt.
build() {
    local rev=$1 name=$2
    if [ -z "$rev" ]; then
        cargo build -q --release -p benches --bin tls-bench
    else
        local tree
        tree=$(mktemp -d)
        git worktree add -q --detach "$tree" "$rev"
        (cd "$tree" && CARGO_TARGET_DIR="$root/target" cargo build -q --release -p benches --bin tls-bench)
        git worktree remove --force "$tree"
    fi
    cp target/release/tls-bench "$out/$name"
}
echo "== building $1 (a) and ${2:-the work tree} (b)" >&2
build "$1" a
build "${2:-}" b

: >"$out/ratios.txt"
for i in $(seq 1 "$runs"); do
    order="a b"
    ((i % 2)) || order="b a"
    for build in $order; do
        "$out/$build" --filter "$filter" --format json |
            jq -r --arg b "$build" --arg i "$i" '.rows[] | "\($i) \($b) \(.id) \(.traced_ratio)"' >>"$out/ratios.txt"
    done
    printf '\r%d/%d runs' "$i" "$runs" >&2
done
echo >&2

# Per row: mean of a, mean of b, and the paired differences b − a.
awk -v n="$runs" '
    { r[$3, $2, $1] = $4; rows[$3] = 1 }
    END {
        # Student t, two-sided 95 %, for n − 1 degrees of freedom (n ≥ 5);
        # beyond the table, the normal 1.96.
        split("2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045", t, " ")
        q = ((n - 4) in t) ? t[n - 4] : 1.96
        printf "%-44s %8s %8s %9s  %s\n", "row", "mean a", "mean b", "b − a", "95 % interval of b − a"
        for (row in rows) {
            sa = sb = sd = sdd = 0
            for (i = 1; i <= n; i++) {
                a = r[row, "a", i]; b = r[row, "b", i]; d = b - a
                sa += a; sb += b; sd += d; sdd += d * d
            }
            md = sd / n
            var = (sdd - n * md * md) / (n - 1)
            half = q * sqrt(var > 0 ? var : 0) / sqrt(n)
            printf "%-44s %8.4f %8.4f %+9.4f  %+.4f … %+.4f\n", row, sa / n, sb / n, md, md - half, md + half
        }
    }' "$out/ratios.txt"
