# Bad tokens stop the bot with a sentence saying which token and where to find the
# right one, and never print the token.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

SLACK_APP_TOKEN=xoxb-wrong-kind SLACK_BOT_TOKEN=xoxb-test "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 2 $? "an app token of the wrong kind"
expect "SLACK_APP_TOKEN must be an app-level token (xapp-...)"
expect_not "xoxb-wrong-kind"

SLACK_APP_TOKEN=xapp-1-test "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 2 $? "only one token"
expect "set both SLACK_APP_TOKEN"

cat >"$WORK/script" <<IN
wait api auth.test
quit
IN
rm -f "$WORK/port"
"$FAKE" --script "$WORK/script" --log "$LOG" --port-file "$WORK/port" --timeout 20 >/dev/null 2>&1 &
fpid=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-invalid SLACK_API_URL="http://127.0.0.1:$(cat "$WORK/port")/api/" \
    timeout 20 "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 1 $? "a token Slack refuses"
wait "$fpid"
expect "auth.test refused SLACK_BOT_TOKEN (invalid_auth)"
expect_not "xoxb-invalid"

SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_SLACK_CONNECTIONS=11 \
    "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 2 $? "too many connections"
expect "use a number from 1 to 10"
finish
