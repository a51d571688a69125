#!/usr/bin/env bash
# Runs what `cargo test --workspace` runs (every unit and integration test
# binary, then the doc tests), several test binaries at a time. cargo runs
# them one after another, and one binary keeps less than a core busy on
# average (its tests wait on sockets, timers and peer processes), so on two
# cores half the machine idled: one more binary than there are cores at a
# time halves the run.
# Each binary runs as cargo runs it (from its package's directory, with
# CARGO_MANIFEST_DIR set) and logs to target/test-logs/; a failure prints
# its binary's whole log, and a binary still running after TEST_TIME_LIMIT
# seconds is killed and fails naming the limit.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${TEST_JOBS:-$(($(nproc) + 1))}
limit=${TEST_TIME_LIMIT:-600}
logs=$PWD/target/test-logs
rm -rf "$logs"
mkdir -p "$logs"

cargo test --workspace --no-run --message-format=json-render-diagnostics >"$logs/artifacts.json"
# One line per test binary: package directory, executable, and a name
# such as "harness/test scan_heartbeat" (directory/kind target).
jq -r 'select(.reason == "compiler-artifact" and .profile.test and .executable != null)
    | (.manifest_path | rtrimstr("/Cargo.toml")) as $dir
    | [$dir, .executable, "\($dir | split("/") | last)/\(.target.kind[0]) \(.target.name)"]
    | @tsv' "$logs/artifacts.json" >"$logs/binaries.tsv"
count=$(wc -l <"$logs/binaries.tsv")
[ "$count" -gt 0 ] || { echo "ci/run-tests.sh: cargo built no test binary" >&2; exit 1; }

# Runs one binary; prints one line when it ends and leaves its status in
# LOG.status for the summary.
run_one() {
    local dir=$1 exe=$2 name=$3 log start rc=0
    log="$logs/$(basename "$exe").log"
    start=$SECONDS
    (cd "$dir" && CARGO_MANIFEST_DIR="$dir" timeout --kill-after=10 "$limit" "$exe") >"$log" 2>&1 || rc=$?
    local took=$((SECONDS - start)) result
    result=$(grep -E '^test result:' "$log" | tail -n 1 || true)
    if [ "$rc" = 0 ]; then
        echo "ok     ${took}s  $name: ${result#test result: }"
    else
        [ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "ci/run-tests.sh: killed after ${limit} s (TEST_TIME_LIMIT)" >>"$log"
        echo "FAILED ${took}s  $name (exit $rc)"
    fi
    printf '%s\t%s\t%s\n' "$rc" "$name" "$log" >"$log.status"
}
export -f run_one
export logs limit

echo "running $count test binaries, $jobs at a time (logs in $logs/)"
xargs -d '\n' -P "$jobs" -n 1 bash -c 'IFS=$'"'\t'"' read -r d e n <<<"$1"; run_one "$d" "$e" "$n"' _ \
    <"$logs/binaries.tsv"

statuses=$(cat "$logs"/*.status 2>/dev/null || true)
failed=$(awk -F'\t' '$1 != 0' <<<"$statuses")
ran=$(grep -c . <<<"$statuses" || true)
if [ "$ran" != "$count" ]; then
    echo "ci/run-tests.sh: $ran of $count test binaries reported a result" >&2
    exit 1
fi
if [ -n "$failed" ]; then
    while IFS=$'\t' read -r rc name log; do
        echo "---- $name (exit $rc): $log"
        cat "$log"
    done <<<"$failed"
    echo "ci/run-tests.sh: failed: $(cut -f2 <<<"$failed" | paste -sd, -)" >&2
    exit 1
fi

echo "doc tests"
cargo test --workspace --doc
