#!/usr/bin/env bash
# deploy/setup.sh -- the README's two quick-start commands:
#   bash deploy/setup.sh run    install what is missing, build, start the bot
#   bash deploy/setup.sh test   install what is missing, build, run every test,
#                               then again under AddressSanitizer + UBSan
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
          libedit-dev libedit2)    # libedit: the shell's line editing (libedit2 at run time)
# The tests read the record with the sqlite3 command-line tool, drive the shell
# through a terminal with script(1) from bsdutils, and read JSON (the export, the
# marketplace fake's counters) with jq.
[ "$mode" = test ] && packages+=(sqlite3 bsdutils jq)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
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
    exec ./build/bot/cancelbot run
fi

build build
(cd build && ctest --output-on-failure -j "$jobs")
build build-asan -DCANCELBOT_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$jobs")
