# tests/lib_e2e_pg.sh -- helpers for the Slack end-to-end tests on PostgreSQL, where
# the test itself acts while the bot runs (another process's commit, a server stop):
# the fake and the bot are started and stopped separately, and the script waits for
# the test's own steps, which it posts to the fake as calls of an unknown API method
# (logged, so `wait api test.step NAME` sees them): start_fake SCRIPT 60, start_bot,
# finish_fake_and_bot (lib_e2e_slack.sh). Sourced after lib_e2e_slack.sh.

cluster() {          # cluster start|stop|pause|resume DIR (tests/pg_cluster.sh)
    (cd / && bash "$CANCELBOT_SRC/tests/pg_cluster.sh" "$@")   # its owner may not enter $WORK
}

# use_private_pg_cluster: a throwaway cluster of the test's own (it stops and starts
# the server), BASE its URL, PGDIR its directory; at exit the bot and the fake are
# killed and the cluster removed.
use_private_pg_cluster() {
    skip_without_pg
    PGDIR=$(mktemp -d /tmp/cancelbot-pg.XXXXXX)
    trap 'kill -KILL "${BPID:-}" "${FPID:-}" 2>/dev/null; cluster stop "$PGDIR"; rm -rf "$WORK"' EXIT
    BASE=$(cluster start "$PGDIR") || { echo "FAIL: no cluster"; exit 1; }
}

start_bot() {        # start_bot DATABASE_URL [env...]: BPID
    local url=$1
    shift
    env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
        SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/" CANCELBOT_LOG_LEVEL=info "$@" \
        "$CANCELBOT" run --database-url "$url" >"$BOT_OUT" 2>"$BOT_ERR" &
    BPID=$!
}

test_step() {        # test_step NAME: the script's `wait api test.step NAME` goes on
    # bash's /dev/tcp, not curl: the tests need no HTTP client installed.
    local body="{\"step\":\"$1\"}"
    exec 3<>"/dev/tcp/127.0.0.1/$SLACK_PORT" || return 1
    printf 'POST /api/test.step HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer xoxb-test\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "${#body}" "$body" >&3
    timeout 5 cat <&3 >/dev/null
    exec 3>&-
}

now_ms() {
    date +%s%3N
}

# wait_for_line FILE PATTERN N SECONDS: until FILE has N lines with PATTERN (fixed
# string); 0 when it did, 1 at the deadline. Polls every 10 ms.
wait_for_line() {
    local end=$(( $(now_ms) + $4 * 1000 ))
    while [ "$(grep -cF -- "$2" "$1" 2>/dev/null)" -lt "$3" ]; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.01
    done
    return 0
}
