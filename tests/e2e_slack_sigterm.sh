# SIGTERM in Slack mode, mid-flow, while the marketplace call of the submission is
# under way: the bot stops taking envelopes (its Socket Mode connection closes
# cleanly), lets the call finish when it can, and exits 0 within 5 s. A restarted bot
# then completes the flow: nothing lost, nothing doubled.
# 1. The call answers within the stop's bound: its answer is recorded before the exit.
# 2. It does not: the effect is left pending (its lease given back, no attempt
#    counted) and the restarted bot submits again with the same client token, which the
#    marketplace answers with the same cancellation request.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
sql() { sqlite3 -batch -noheader "$DB" "$1"; }
use_fake_aws_seller

start_bot() {    # start_bot LOG: BPID
    SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
        SLACK_API_URL="http://127.0.0.1:$SLACK_PORT/api/" CANCELBOT_LOG_LEVEL=debug \
        "$CANCELBOT" run --db "$DB" --config "$WORK/policy.json" >"$BOT_OUT" 2>"$1" </dev/null &
    BPID=$!
}

# sigterm_during_submit SLOW_MS: the flow up to the submission, SIGTERM once it has
# started; STOP_RC, STOP_MS.
sigterm_during_submit() {
    rm -f "$DB" "$DB-wal" "$DB-shm"
    start_market --slow "SendAgreementCancellationRequest:$1"
    export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" \
        AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
    cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
send $(click e3 U0FIN1 approve CR-1)
wait ack e3
wait 20 close
wait 20 api auth.test
wait 20 connect
wait 30 api chat.postMessage Submitted
sleep 500
quit
IN
    start_fake "$WORK/script" 80
    start_bot "$WORK/bot1.err"
    for _ in $(seq 300); do
        grep -q "provider_submit started" "$WORK/bot1.err" && break
        sleep 0.05
    done
    grep -q "provider_submit started" "$WORK/bot1.err"
    expect_rc 0 $? "the submission started"
    sleep 0.5
    local t0 t1
    t0=$(date +%s%N)
    kill -TERM "$BPID"
    for _ in $(seq 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$BPID" 2>/dev/null
    wait "$BPID"
    STOP_RC=$?
    t1=$(date +%s%N)
    STOP_MS=$(( (t1 - t0) / 1000000 ))
    echo "stopped in $STOP_MS ms"
    grep '"kind":"close"' "$LOG" | tail -1 | grep -q '"client_close_code":1000'
    expect_rc 0 $? "the Socket Mode connection closed cleanly (1000)"
    start_bot "$WORK/bot2.err"
    finish_fake_and_bot 0.3
    expect_rc 0 "$FAKE_RC" "the restarted bot completed the flow"
    expect_rc 0 "$BOT_RC" "the second bot stops cleanly"
    expect_rc 0 "$STOP_RC" "SIGTERM: exit 0"
    [ "$STOP_MS" -le 5000 ]
    expect_rc 0 $? "SIGTERM: stopped within 5 s (took $STOP_MS ms)"
    expect_rc 1 "$(sql "SELECT COUNT(*) FROM events WHERE event = 'submit_accepted'")" "accepted once"
    expect_rc 0 "$(sql "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND kind = 'provider_submit'")" "no submission left over"
    expect_stat '"requests":1' "one cancellation request at the marketplace"
    expect_log 1 'Submitted to AWS Marketplace as cancellation request acr-' "said once"
}

# ---- 1: the call answers within the bound ----
sigterm_during_submit 1500
expect_stat '"SendAgreementCancellationRequest":1' "submitted once"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'provider_submit' AND attempts > 0")" "no failed attempt"
OUT="$WORK/bot1.err"
expect "slack: stopping: no new envelopes"
expect_not "left for the next start"
stop_market

# ---- 2: it does not: handed back, redone once after the restart ----
sigterm_during_submit 6000
expect_stat '"SendAgreementCancellationRequest":2' "the restarted bot submitted again"
expect_stat '"send_calls":{"cb-' "with a client token"
expect_stat '-CR-1":2}' "the same client token both times"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM outbox WHERE kind = 'provider_submit' AND attempts > 0")" "the cut-short call was no failed attempt"
OUT="$WORK/bot1.err"
expect "provider_submit cut short by the stop; left for the next start"
stop_market
finish
