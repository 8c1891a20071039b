#!/usr/bin/env bash
# tests/repeat_suite.sh -- the whole ctest suite N times in a row on one build, with a
# throwaway PostgreSQL cluster of its own: how a flaky test is found (a flake is a
# bug). Each run's output goes to OUTDIR/run.N.txt, one summary line a run to
# OUTDIR/summary. Not a test itself (ctest does not pick it up).
#   bash tests/repeat_suite.sh BUILD_DIR [N (20)] [JOBS (3)] [OUTDIR (/tmp/repeat-suite)]
set -u
build=${1:?usage: bash tests/repeat_suite.sh BUILD_DIR [N] [JOBS] [OUTDIR]}
n=${2:-20}
jobs=${3:-3}
out=${4:-/tmp/repeat-suite}
cd "$(dirname "$0")/.."
mkdir -p "$out"
pgdir=$(mktemp -d /tmp/cancelbot-pg.XXXXXX)
trap 'bash tests/pg_cluster.sh stop "$pgdir"' EXIT
CANCELBOT_TEST_DATABASE_URL=$(bash tests/pg_cluster.sh start "$pgdir") || exit 1
export CANCELBOT_TEST_DATABASE_URL
: >"$out/summary"
green=0
for i in $(seq 1 "$n"); do
    start=$SECONDS
    (cd "$build" && ctest -j "$jobs" --output-on-failure) >"$out/run.$i.txt" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && green=$((green + 1))
    echo "run $i rc=$rc $((SECONDS - start)) s $(grep -E 'tests passed' "$out/run.$i.txt")" | tee -a "$out/summary"
done
echo "$green of $n runs green" | tee -a "$out/summary"
[ "$green" -eq "$n" ]
