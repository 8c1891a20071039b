# /metrics of the real binary in Slack mode, and SIGHUP's policy reload: a scrape
# passes `promtool check metrics` (promtool comes with deploy/setup.sh's test path:
# missing, the test fails); after a cancel flow the counters have moved (envelopes
# acked by type, ack latency, marketplace calls, requests by state, store commits);
# SIGHUP with a good policy file makes the next request need two approvals, with a
# broken one keeps that policy, says why in the log (the field, as check-config
# does) and counts the failure. The fake waits for the test's own marker calls
# (test.marker) between the phases, so nothing depends on timing.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_http.sh"

PROMTOOL=$(command -v promtool)
[ -n "$PROMTOOL" ] || { echo "FAIL: promtool is missing: bash deploy/setup.sh test installs it (Debian's prometheus package)"; exit 1; }

POLICY="$WORK/policy.json"
policy() {       # policy APPROVALS_REQUIRED_JSON_VALUE
    printf '{"approvers": {"users": ["U0FIN1", "U0FIN2"]}, "approvals_required": %s}\n' \
        "$1" >"$POLICY.tmp" && mv "$POLICY.tmp" "$POLICY"
}
marker() {       # marker WORD: a call the fake's script waits for
    exec 4<>"/dev/tcp/127.0.0.1/$SLACK_PORT" || return
    printf 'POST /api/test.marker HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\nstep=%s' \
        $((5 + ${#1})) "$1" >&4
    timeout 5 cat <&4 >/dev/null
    exec 4>&-
}
wait_for() {     # wait_for FILE TEXT "what": up to 30 s
    for _ in $(seq 300); do grep -qF -- "$2" "$1" && break; sleep 0.1; done
    if grep -qF -- "$2" "$1"; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $3: no \"$2\" in $1"; tail -20 "$1"; FAILURES=$((FAILURES + 1)); fi
}
scrape() {       # scrape FILE: GET /metrics' body into FILE
    get GET /metrics >"$1.raw"
    sed 1d "$1.raw" >"$1"
}
metric() {       # metric FILE 'name{labels}' VALUE "what"
    if grep -qxF -- "$2 $3" "$1"; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $4: want \"$2 $3\"; got: $(grep -F -- "$2" "$1" | head -3)"
        FAILURES=$((FAILURES + 1)); fi
}
metric_positive() {  # metric_positive FILE 'name{labels}' "what": a value above 0
    local v
    v=$(grep -F -- "$2 " "$1" | head -1 | awk '{print $NF}')
    if [ -n "$v" ] && awk -v v="$v" 'BEGIN{exit !(v > 0)}'; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $3: want $2 above 0; got \"$v\""; FAILURES=$((FAILURES + 1)); fi
}
promtool_ok() {  # promtool_ok FILE "what"
    if "$PROMTOOL" check metrics <"$1" >"$WORK/promtool.out" 2>&1; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: promtool check metrics ($2):"; cat "$WORK/promtool.out"
        FAILURES=$((FAILURES + 1))
    fi
}

policy 1
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e1
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000200)
wait ack e2
wait api chat.postMessage Waiting for finance
send $(click e3 U0FIN1 approve CR-1)
wait ack e3
wait api chat.postMessage Submitted
send $(home e4 Ev4 U0ALICE)
wait ack e4
wait 60 api test.marker two
send $(slash e5 U0ALICE 'aws agmt-3c4d5e6f7g8h9i0j1k2l reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e5
wait api chat.postEphemeral Confirm
send $(click e6 U0ALICE confirm CR-2 1700000000.000400)
wait ack e6
wait api chat.postMessage Waiting for finance
send $(click e7 U0FIN1 approve CR-2 1700000000.000500)
wait ack e7
wait api chat.postMessage (1 of 2)
wait 60 api test.marker three
send $(slash e8 U0ALICE 'aws agmt-2b3c4d5e6f7g8h9i0j1k reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e8
wait api chat.postEphemeral Confirm
send $(click e9 U0ALICE confirm CR-3 1700000000.000600)
wait ack e9
wait api chat.postMessage Waiting for finance
send $(click e10 U0FIN1 approve CR-3 1700000000.000700)
wait ack e10
wait api chat.postMessage (1 of 2)
sleep 300
quit
IN
start_fake "$WORK/script" 100
env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_LOG_LEVEL=info \
    SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/" CANCELBOT_HTTP_ADDR=127.0.0.1:0 \
    "$CANCELBOT" run --db "$DB" --config "$POLICY" >"$BOT_OUT" 2>"$BOT_ERR" &
BPID=$!
bot_http_port "$BOT_ERR"

# 1. The first request went through: the counters moved, promtool accepts the text.
wait_for "$LOG" 'Submitted to AWS Marketplace' "CR-1 submitted"
wait_for "$LOG" '"envelope_id":"e4"' "the App Home envelope acked"
expect_get GET /metrics "200 OK" "/metrics answers"
scrape "$WORK/m1"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/m1.raw" 2>/dev/null || true
promtool_ok "$WORK/m1" "after a cancel flow"
metric "$WORK/m1" 'cancelbot_envelopes_received_total{type="slash_commands"}' 1 "one slash command"
metric "$WORK/m1" 'cancelbot_envelopes_acked_total{type="slash_commands"}' 1 "its ack"
metric "$WORK/m1" 'cancelbot_envelopes_acked_total{type="interactive"}' 2 "two clicks acked"
metric "$WORK/m1" 'cancelbot_envelopes_acked_total{type="events_api"}' 1 "App Home acked"
metric "$WORK/m1" 'cancelbot_ack_latency_seconds_count' 4 "four ack latencies"
metric "$WORK/m1" 'cancelbot_ack_latency_seconds_bucket{le="+Inf"}' 4 "+Inf has them all"
metric "$WORK/m1" 'cancelbot_provider_calls_total{provider="aws",operation="lookup"}' 1 "the look-up"
metric "$WORK/m1" 'cancelbot_provider_calls_total{provider="aws",operation="submit"}' 1 "the submission"
metric "$WORK/m1" 'cancelbot_requests{state="submitted",market="aws"}' 1 "CR-1 submitted, from the store"
metric_positive "$WORK/m1" 'cancelbot_store_commit_seconds_count' "store commits timed"
metric "$WORK/m1" 'cancelbot_slack_connections' 1 "one connection"
metric "$WORK/m1" 'cancelbot_policy_last_reload_ok' 1 "no reload yet"
expect_get GET /readyz "200 OK" "ready"

# 2. SIGHUP with a good file: two approvals from now on.
policy 2
kill -HUP "$BPID"
wait_for "$BOT_ERR" "policy reloaded from $POLICY" "the reload said in the log"
marker two
wait_for "$LOG" 'Approved by <@U0FIN1> (1 of 2)' "CR-2 needs two approvals after the reload"
scrape "$WORK/m2"
metric "$WORK/m2" 'cancelbot_policy_reloads_total' 1 "one reload"
metric "$WORK/m2" 'cancelbot_policy_reload_failures_total' 0 "no failure"

# 3. SIGHUP with a broken file: the policy stays, the log says why, the metric counts.
policy '"two"'
kill -HUP "$BPID"
wait_for "$BOT_ERR" "policy reload from $POLICY refused" "the refusal said in the log"
wait_for "$BOT_ERR" 'policy reload: $.approvals_required:' "the log names the field"
scrape "$WORK/m3"
promtool_ok "$WORK/m3" "after a refused reload"
metric "$WORK/m3" 'cancelbot_policy_reload_failures_total' 1 "the refused reload counted"
metric "$WORK/m3" 'cancelbot_policy_last_reload_ok' 0 "the last reload failed"
metric "$WORK/m3" 'cancelbot_policy_reloads_total' 1 "still one good reload"
expect_get GET /readyz "200 OK" "still ready with the previous policy"
marker three
finish_fake_and_bot 0.3
expect_rc 0 "$FAKE_RC" "the fake's script (CR-3 still needs two approvals: the old policy kept)"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
expect_log 2 'Approved by <@U0FIN1> (1 of 2)' "CR-2 and CR-3 under the reloaded policy"
# check-config gives the same sentence for the same file
"$CANCELBOT" check-config --config "$POLICY" >"$WORK/check.out" 2>&1
sentence=$(sed -n 's/^\$\.approvals_required: //p' "$WORK/check.out" | head -1)
OUT="$BOT_ERR"
[ -n "$sentence" ] && expect "policy reload: \$.approvals_required: $sentence"
expect_not "xoxb-test" "no token in the bot's log"
finish
