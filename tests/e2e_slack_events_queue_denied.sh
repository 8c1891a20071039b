# The AWS events queue answering 403 AccessDenied (SQS's JSON error, as the marketplace
# fake sends it) for its first 5 long polls, the bot in Slack mode: the failure is
# logged once with SQS's code and status (not at every retry), /readyz stays 200 and
# names the failing poller, /metrics shows it failing with its count by code (and
# promtool accepts it); once the queue answers, one "recovered" line and the gauge
# back at 0.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_http.sh"

PROMTOOL=$(command -v promtool)
[ -n "$PROMTOOL" ] || { echo "FAIL: promtool is missing: bash deploy/setup.sh test installs it (Debian's prometheus package)"; exit 1; }

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
start_market --fail ReceiveMessage:403:AccessDenied:5
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}, "events_queue_url": "http://127.0.0.1:%s/123456789012/cancelbot-events"}}' "$PORT" >"$WORK/policy.json"

wait_for() {     # wait_for FILE TEXT SECONDS "what"
    for _ in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" && break; sleep 0.1; done
    if grep -qF -- "$2" "$1"; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $4: no \"$2\" in $1"; tail -20 "$1"; FAILURES=$((FAILURES + 1)); fi
}
metric() {       # metric FILE 'name{labels}' VALUE "what"
    if grep -qxF -- "$2 $3" "$1"; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $4: want \"$2 $3\"; got: $(grep -F -- "$2" "$1" | head -3)"
        FAILURES=$((FAILURES + 1)); fi
}
scrape() {       # scrape FILE: GET /metrics' body into FILE
    get GET /metrics | sed 1d >"$1"
}

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
sleep 60000
quit
IN
start_fake "$WORK/script" 90
env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_LOG_LEVEL=debug \
    SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/" CANCELBOT_HTTP_ADDR=127.0.0.1:0 \
    "$CANCELBOT" run --db "$DB" --config "$WORK/policy.json" >"$BOT_OUT" 2>"$BOT_ERR" &
BPID=$!
bot_http_port "$BOT_ERR"

# While it fails (5 polls back off 0.5..1, 1..2, 2..4, 4..8 s: at least 7 s).
wait_for "$BOT_ERR" "events queue: AccessDenied (HTTP 403: User: arn:aws:iam::123456789012:user/seller is not authorized" 20 "the first failure, with SQS's code and message"
poll_get /readyz "200 OK" "ready: a poller's failure does not take the bot out of service"
expect_get GET /readyz "poller aws_events_queue failing: AccessDenied" "/readyz names it"
scrape "$WORK/m1"
metric "$WORK/m1" 'cancelbot_poller_failing{poller="aws_events_queue"}' 1 "failing, in /metrics"
if grep -q '^cancelbot_poller_failures_total{poller="aws_events_queue",code="AccessDenied"} [1-5]$' "$WORK/m1"; then
    PASSES=$((PASSES + 1)); else echo "FAIL: failures by code: $(grep poller_failures "$WORK/m1")"; FAILURES=$((FAILURES + 1)); fi
if "$PROMTOOL" check metrics <"$WORK/m1" >"$WORK/promtool.out" 2>&1; then PASSES=$((PASSES + 1)); else
    echo "FAIL: promtool check metrics:"; cat "$WORK/promtool.out"; FAILURES=$((FAILURES + 1)); fi

# Then the queue answers.
wait_for "$BOT_ERR" "events queue: recovered after 5 failure(s)" 60 "one recovered line"
scrape "$WORK/m2"
metric "$WORK/m2" 'cancelbot_poller_failing{poller="aws_events_queue"}' 0 "no longer failing"
metric "$WORK/m2" 'cancelbot_poller_failures_total{poller="aws_events_queue",code="AccessDenied"}' 5 "5 failures counted"
expect_get GET /readyz "ready" "ready"
if get GET /readyz | grep -q "poller"; then echo "FAIL: /readyz still names the poller"; FAILURES=$((FAILURES + 1)); else PASSES=$((PASSES + 1)); fi
kill -TERM "$FPID" 2>/dev/null
finish_fake_and_bot
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
OUT="$BOT_ERR"
expect_count 1 "events queue: AccessDenied" "logged once with its code"
expect_count 2 "events queue:" "two lines in all for 5 failures: the first and the recovery"
expect_count 1 "events queue: recovered"
expect_not "wJalrXUtnFEMI" "no secret key in the log"
expect_mlog 0 '"sig_ok":false' "SQS calls correctly signed"
receives=$(stats | sed -n 's/.*"ReceiveMessage":\([0-9]*\).*/\1/p')
[ "${receives:-0}" -ge 6 ] && PASSES=$((PASSES + 1)) || { echo "FAIL: fewer than 6 receives (5 refused, then one answered): $(stats)"; FAILURES=$((FAILURES + 1)); }
stop_market
finish
