#!/usr/bin/env bash
# tests/pg_cluster.sh -- a throwaway PostgreSQL 15 cluster for the test suite:
#   bash tests/pg_cluster.sh start DIR   prints the cluster's URL on stdout
#   bash tests/pg_cluster.sh stop DIR    stops it and removes DIR
#   bash tests/pg_cluster.sh pause DIR   stops the server (fast: clients are cut off),
#                                        keeping its data and port
#   bash tests/pg_cluster.sh resume DIR  starts it again on the same port
# TCP on 127.0.0.1 only (no Unix socket), a free port, trust authentication for
# 127.0.0.1 alone, fsync off (the data is thrown away). initdb refuses root, so as
# root the cluster belongs to the `postgres` user the Debian package creates.
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: bash tests/pg_cluster.sh start|stop|pause|resume DIR" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

server_start() {     # server_start PORT
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $1 -c unix_socket_directories='' \
            -c fsync=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1
}

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U cancelbot --auth=trust --no-sync \
        --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    # trust for 127.0.0.1 alone: nothing else may connect.
    printf 'host all cancelbot 127.0.0.1/32 trust\n' | as_owner tee "$dir/data/pg_hba.conf" >/dev/null
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 20000))
        port_is_free "$port" || continue
        if server_start "$port"; then
            echo "$port" >"$dir/port"
            echo "postgresql://cancelbot@127.0.0.1:$port/postgres"
            exit 0
        fi
        [ "$attempt" -lt 8 ] || { cat "$dir/server.log" >&2; exit 1; }
    done
    echo "pg_cluster: no free port found" >&2
    exit 1
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
pause)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
    ;;
resume)
    server_start "$(cat "$dir/port")" || { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
*)
    echo "usage: bash tests/pg_cluster.sh start|stop|pause|resume DIR" >&2
    exit 2
    ;;
esac
