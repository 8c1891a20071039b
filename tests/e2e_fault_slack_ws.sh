# Fault suite (label "fault"): Slack misbehaves under a flow, against tests/fake_slack
# (redelivering unacked envelopes to the next connection, as Slack does) and
# tests/fake_market (AWS):
#   1. the Confirm click arrives cut mid-frame (header with the whole length, half the
#      payload, then FIN): the bot reconnects and acts on the redelivery;
#   2. a frame over 1 MiB: the bot drops that connection and opens another;
#   3. a 429 storm on chat.postMessage and chat.update, with Retry-After: 1, while
#      finance approves: every message still goes out, once;
#   4. the peer stops reading (pings unanswered): the bot sees the socket is dead,
#      reconnects, and the next /cancel is answered.
# After: the request submitted, one cancellation at the fake, each card and thread
# reply posted once, every envelope acked within 3 s, the history follows the state
# machine, integrity_check ok.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_market.sh"
. "$(dirname "$0")/lib_fault.sh"

note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
sql() { sqlite3 -batch -noheader "$DB" "$1" 2>/dev/null; }
use_fake_aws_seller
start_market --agreements 2
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-rep0000000000000001 reason=replacing $note")
wait 20 api chat.postEphemeral Confirm
# 1. the click cut mid-frame
send-cut $(click e2 U0ALICE confirm CR-1 1699999999.000001)
wait close
wait 20 connect
wait 20 ack e2
wait 20 api chat.postMessage asked for CR-1
# 2. a frame over 1 MiB
send-big 1100000
wait 20 close
wait 20 connect
# 3. a 429 storm while finance approves
fail chat.postMessage 6 429 1
fail chat.update 4 429 1
send $(click e3 U0FIN1 approve CR-1 1700000000.000900)
wait 20 ack e3
wait 60 api chat.postMessage Submitted to AWS Marketplace
# 4. the peer stops reading
hang
wait 60 connect
send $(slash e4 U0ALICE "aws agmt-rep0000000000000002 reason=replacing $note")
wait 20 api chat.postEphemeral Confirm
quit
IN
rm -f "$WORK/port" "$LOG"
"$FAKE" --script "$WORK/script" --log "$LOG" --port-file "$WORK/port" --timeout 120 \
    --redeliver 1 >"$WORK/fake.out" 2>"$WORK/fake.err" &
FPID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
t0=$(now_ms)
env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test CANCELBOT_LOG_LEVEL=info \
    SLACK_API_URL="http://127.0.0.1:$(cat "$WORK/port")/api/" \
    "$CANCELBOT" run --db "$DB" --config "$WORK/policy.json" >"$BOT_OUT" 2>"$BOT_ERR" &
BPID=$!
finish_fake_and_bot 0.5
cp "$WORK/fake.out" "$OUT"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"

expect_rc 1 "$(jq -s '[.[] | select(.kind == "cut")] | length' "$LOG")" "one frame cut mid-payload"
expect_rc 1 "$(jq -s '[.[] | select(.kind == "redeliver" and .envelope_id == "e2")] | length' "$LOG")" "the cut click redelivered"
grep -q "over 1048576 bytes" "$BOT_ERR"
expect_rc 0 $? "the bot said the frame was over 1 MiB"
storm=$(jq -s '[.[] | select(.kind == "api" and .status == 429)] | length' "$LOG")
expect_rc 10 "$storm" "the 429 storm answered"
expect_rc 1 "$(jq -s '[.[] | select(.kind == "hang")] | length' "$LOG")" "the peer stopped reading"
expect_rc 0 "$(jq -s '[.[] | select(.kind == "ack" and .repeat == true)] | length' "$LOG")" "no delivery acked twice"
expect_fast_acks

expect_rc 2 "$(sql "SELECT COUNT(*) FROM requests")" "two requests"
[ "$(sql "SELECT state FROM requests WHERE id = 'CR-1'")" = submitted ] && ok || fail "CR-1 is $(sql "SELECT state FROM requests WHERE id = 'CR-1'"), not submitted"
[ "$(sql "SELECT state FROM requests WHERE id = 'CR-2'")" = draft ] && ok || fail "CR-2 (after the hang) is $(sql "SELECT state FROM requests WHERE id = 'CR-2'"), not draft"
expect_stat '"requests":1' "one cancellation at AWS"
check_record "$DB" "the record"

# Each card and thread reply of CR-1 posted once (no kill here: a repeat is a bug).
card=$(sql "SELECT card_ts FROM requests WHERE id = 'CR-1'")
jq -r --arg ts "$card" 'select(.kind == "api" and .method == "chat.postMessage" and .ok == true)
    | .body | if .thread_ts == $ts then .text
              elif (.thread_ts // "") == "" and (tostring | contains("CR-1 ·")) then "(card)"
              else empty end' "$LOG" | sort | uniq -c | sed 's/^ *//' >"$WORK/counts"
n=$(wc -l <"$WORK/counts")
[ "$n" -ge 5 ] && ok || fail "CR-1 has $n kinds of post, the card and 4 replies expected: $(cat "$WORK/counts")"
check_posts_once "$WORK/counts" "CR-1's posts" 0
echo "fault slack_ws: 1 frame cut and redelivered, 1 frame over 1 MiB, $storm answers 429, 1 peer that stopped reading; $(jq -s '[.[] | select(.kind == "connect")] | length' "$LOG") connections, lost $(awk '$1 == 0' "$WORK/counts" | wc -l), $EXTRA_POSTS repeated post(s), $(( $(now_ms) - t0 )) ms"
[ "$FAILURES" = 0 ] || { echo "--- bot stderr ---"; grep -E 'warn|error' "$BOT_ERR" | tail -30; }
stop_market
finish
