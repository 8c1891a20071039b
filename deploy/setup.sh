#!/usr/bin/env bash
# deploy/setup.sh -- the README's two quick-start commands:
#   bash deploy/setup.sh run    install what is missing, build, start the bot
#   bash deploy/setup.sh test   install what is missing, build, run every test,
#                               run each fuzz target for a bounded time (clang),
#                               then the tests again under AddressSanitizer + UBSan; the
#                               store's tests run on SQLite and on a throwaway
#                               PostgreSQL 15 cluster (127.0.0.1, removed at the end);
#                               the deploy/ tests build the container image with
#                               podman (cached in /var/tmp/cancelbot-podman)
# Works on a fresh Debian 12 as root (or with sudo). Idempotent: packages already
# there are not reinstalled, build trees are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
    run|test) ;;
    *) echo "usage: bash deploy/setup.sh run|test" >&2; exit 2 ;;
esac

packages=(build-essential cmake pkg-config ca-certificates
          libwebsockets-dev libcurl4-openssl-dev libjansson-dev libssl-dev libsqlite3-dev
          libedit-dev libedit2     # libedit: the shell's line editing (libedit2 at run time)
          libpq-dev)               # the PostgreSQL backend's client library (libpq5 at run time)
# The tests read the record with the sqlite3 command-line tool, drive the shell
# through a terminal with script(1) from bsdutils, and read JSON (the export, the
# marketplace fake's counters) with jq.
[ "$mode" = test ] && packages+=(sqlite3 bsdutils jq)
# promtool (from Debian's prometheus package) checks the bot's /metrics output.
[ "$mode" = test ] && packages+=(prometheus)
# The fuzz step builds the libFuzzer targets with clang; libFuzzer and the sanitizer
# runtimes are in libclang-rt-14-dev.
[ "$mode" = test ] && packages+=(clang-14 libclang-rt-14-dev)
# The test path also runs the store on PostgreSQL: the server (and psql) from Debian.
# The run path never needs it: SQLite is the default record.
[ "$mode" = test ] && packages+=(postgresql-15)
# The deploy/ checks (ctest -L deploy): systemd-analyze verifies the unit; podman
# (with runc; debootstrap makes its Debian 12 base, as no registry is reachable)
# builds and runs the image; Debian's python3-kubernetes checks the manifests against
# the Kubernetes API's models, offline (deploy/lint/k8s_check.py). python3 also plays
# a database server that never answers (e2e_postgres_startup).
[ "$mode" = test ] && packages+=(systemd podman runc debootstrap python3 python3-kubernetes python3-yaml)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # No system cluster: the tests start their own and remove it (the package would
    # otherwise create and start "15/main" on port 5432).
    if [[ " ${missing[*]} " == *" postgresql-15 "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        $sudo mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)

build() {     # build DIR [cmake args...]
    local dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" >/dev/null
}

if [ "$mode" = run ]; then
    build build
    # With Slack tokens: the bot. Without: the terminal shell (`run` would refuse
    # without a terminal, which a fresh machine's quick start may not have).
    if [ -n "${SLACK_APP_TOKEN:-}" ] && [ -n "${SLACK_BOT_TOKEN:-}" ]; then
        exec ./build/bot/cancelbot run
    fi
    exec ./build/bot/cancelbot shell
fi

# A throwaway PostgreSQL cluster for the *_pg tests, stopped and removed however the
# tests end.
pgdir=$(mktemp -d /tmp/cancelbot-pg.XXXXXX)
trap 'bash tests/pg_cluster.sh stop "$pgdir"' EXIT
CANCELBOT_TEST_DATABASE_URL=$(bash tests/pg_cluster.sh start "$pgdir")
export CANCELBOT_TEST_DATABASE_URL
echo "setup: PostgreSQL for the tests at $CANCELBOT_TEST_DATABASE_URL" >&2

build build
(cd build && ctest --output-on-failure -j "$jobs")

# Fuzzing (docs/reliability.md, "Fuzzing"): every target, with every library it links
# instrumented (coverage, ASan, UBSan), runs $CANCELBOT_FUZZ_SECONDS (15) from its seeds;
# any crash, leak, timeout or broken check fails the run, the input kept in
# build-fuzz/fuzz/crashes/<target>/. Only the fuzz targets are built in this tree.
fuzz_started=$SECONDS
# CC, not -DCMAKE_C_COMPILER: a tree configured before with clang keeps its cache
# (a changed compiler would make cmake drop it, and the options with it).
CC=clang-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCANCELBOT_FUZZ=ON -DCANCELBOT_FUZZ_SECONDS="${CANCELBOT_FUZZ_SECONDS:-15}" >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_targets >/dev/null
(cd build-fuzz && ctest -L fuzz --output-on-failure -j "$jobs")
echo "setup: fuzz step (build and runs) took $((SECONDS - fuzz_started)) s" >&2

build build-asan -DCANCELBOT_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")
