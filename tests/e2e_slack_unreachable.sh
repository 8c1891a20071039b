# Slack unreachable at start-up is a network failure, not a token problem: the bot
# says it cannot reach the API, retries with back-off while /healthz answers and
# /readyz says what it waits for, and connects without a restart once Slack is back
# (here: nothing listens for 20 s, then the fake does, on the port it held). A 5xx on
# auth.test is retried the same way. Then a flow works.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_http.sh"

cat >"$WORK/script" <<IN
fail auth.test 1 503
wait 60 api auth.test
wait 30 api auth.test
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e1
wait api chat.postEphemeral Confirm
quit
IN
rm -f "$WORK/port" "$LOG"
"$FAKE" --script "$WORK/script" --log "$LOG" --port-file "$WORK/port" --timeout 100 \
    --listen-after 20000 >"$WORK/fake.out" 2>"$WORK/fake.err" &
FPID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
SLACK_PORT=$(cat "$WORK/port")
started=$(date +%s)
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test SLACK_API_URL="http://127.0.0.1:$SLACK_PORT/api/" \
    CANCELBOT_LOG_LEVEL=info CANCELBOT_HTTP_ADDR=127.0.0.1:0 \
    "$CANCELBOT" run --db "$DB" >"$BOT_OUT" 2>"$BOT_ERR" </dev/null &
BPID=$!
bot_http_port "$BOT_ERR"
# While nothing listens: alive, not ready, and the log says why.
for _ in $(seq 100); do grep -q "cannot reach" "$BOT_ERR" && break; sleep 0.1; done
expect_get GET /healthz "200 OK" "alive while Slack is unreachable"
expect_get GET /readyz "503 Service Unavailable" "not ready while Slack is unreachable"
expect_get GET /readyz "not ready: starting: slack unreachable; retrying" "readyz says what it waits for"
sleep 12
expect_get GET /healthz "200 OK" "still alive after 12 s of retries"
kill -0 "$BPID" 2>/dev/null
expect_rc 0 $? "the bot keeps trying (no exit)"
finish_fake_and_bot 0.3
cp "$WORK/fake.out" "$OUT"
expect_rc 0 "$FAKE_RC" "the fake's script: connected and a flow worked after the outage"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
[ $(( $(date +%s) - started )) -lt 60 ]
expect_rc 0 $? "connected within 60 s"
expect_log 1 '"status":503' "the 503 on auth.test"
expect_log 1 '"method":"apps.connections.open"' "one connection: no restart"
OUT="$BOT_ERR"
expect "slack: cannot reach http://127.0.0.1:$SLACK_PORT/api/: "
expect "(Connection refused); retrying in "
expect "slack: cannot reach http://127.0.0.1:$SLACK_PORT/api/: HTTP 503; retrying in "
expect_not "refused SLACK_BOT_TOKEN"
expect "slack: signed in as"
expect_not "xoxb-test"
finish
