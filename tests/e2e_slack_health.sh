# /healthz and /readyz (CANCELBOT_HTTP_ADDR) against the real binary in Slack mode:
# healthy while the loop turns; not ready while Slack refuses every connection, ready
# once one is up, not ready again after the fake drops it and refuses the reconnection;
# 404 elsewhere, 405 for a POST; a bad address, one in use or not this machine's,
# refused at start, naming the variable.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_http.sh"

# start SCRIPT: the fake on it and the bot against it, with the listener on a free
# port; HPORT is the port the bot says it listens on.
start() {
    local port
    rm -f "$WORK/port" "$LOG"
    "$FAKE" --script "$1" --log "$LOG" --port-file "$WORK/port" --timeout 40 \
        >"$WORK/fake.out" 2>"$WORK/fake.err" &
    FPID=$!
    for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
    port=$(cat "$WORK/port")
    env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_LOG_LEVEL=info \
        SLACK_API_URL="http://127.0.0.1:$port/api/" CANCELBOT_HTTP_ADDR=127.0.0.1:0 \
        "$CANCELBOT" run --db "$DB" >"$BOT_OUT" 2>"$BOT_ERR" &
    BPID=$!
    bot_http_port "$BOT_ERR"
}
stop() {
    kill -TERM "$BPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BPID" 2>/dev/null
    wait "$BPID"
    BOT_RC=$?
    [ "$BOT_RC" -eq 0 ] || { echo "--- bot stderr ---"; tail -40 "$BOT_ERR"; }
    kill -TERM "$FPID" 2>/dev/null
    wait "$FPID" 2>/dev/null
}

# 1. Slack refuses every connection: alive, never ready.
cat >"$WORK/script" <<IN
fail apps.connections.open 1000 500
wait api auth.test
sleep 20000
quit
IN
start "$WORK/script"
expect_get GET /healthz "200 OK" "the loop turns"
expect_get GET /healthz "ok"
expect_get GET /readyz "503 Service Unavailable" "no Slack connection"
expect_get GET /readyz "not ready: slack not connected"
expect_get GET /metrics "200 OK" "/metrics is served too"
expect_get GET /nothing "404 Not Found"
expect_get POST /readyz "405 Method Not Allowed"
expect_get GET /healthz "200 OK" "still answering after the 404 and the 405"
stop
expect_rc 0 "$BOT_RC" "the bot stops cleanly"

# 2. Connected: ready; dropped and refused: not ready again.
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
sleep 3000
fail apps.connections.open 1000 500
drop
sleep 20000
quit
IN
start "$WORK/script"
poll_get /readyz "200 OK" "ready once connected"
expect_get GET /readyz "ready"
poll_get /readyz "503 Service Unavailable" "not ready after the drop"
expect_get GET /readyz "not ready: slack not connected"
expect_get GET /healthz "200 OK" "alive while reconnecting"
# A second bot on the same address: refused at start (lws would otherwise wait).
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_HTTP_ADDR=127.0.0.1:$HPORT \
    SLACK_API_URL=http://127.0.0.1:1/api/ timeout 10 "$CANCELBOT" run --db "$WORK/other.db" \
    >"$WORK/second.out" 2>"$WORK/second.err"
expect_rc 1 $? "a second bot on the port in use"
OUT="$WORK/second.err"
expect "cannot listen on 127.0.0.1:$HPORT (CANCELBOT_HTTP_ADDR)"
stop
expect_rc 0 "$BOT_RC" "the bot stops cleanly"

# 3. Bad addresses: refused before anything connects, the variable named.
for bad in "8080" "localhost:8080" "127.0.0.1:99999" "127.0.0.1:" "127.0.0.1:80x"; do
    CANCELBOT_HTTP_ADDR=$bad SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
        SLACK_API_URL=http://127.0.0.1:1/api/ timeout 10 "$CANCELBOT" run --db "$DB" \
        >"$BOT_OUT" 2>"$BOT_ERR"
    expect_rc 2 $? "CANCELBOT_HTTP_ADDR=$bad"
    OUT="$BOT_ERR"
    expect "CANCELBOT_HTTP_ADDR=\"$bad\"" "$bad named"
done
OUT="$BOT_ERR"
expect "use HOST:PORT"
# An address that is not this machine's (TEST-NET-1): refused, not waited for.
CANCELBOT_HTTP_ADDR=192.0.2.1:8089 SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
    SLACK_API_URL=http://127.0.0.1:1/api/ timeout 10 "$CANCELBOT" run --db "$DB" \
    >"$BOT_OUT" 2>"$BOT_ERR"
expect_rc 1 $? "CANCELBOT_HTTP_ADDR=192.0.2.1:8089"
expect "cannot listen on 192.0.2.1:8089 (CANCELBOT_HTTP_ADDR)"
finish
