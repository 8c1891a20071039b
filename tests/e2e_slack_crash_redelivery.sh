# Persist-then-ack with no gap, in Slack mode against the local fakes:
# 1. The bot dies after an envelope's de-duplication key is written but before what
#    the envelope causes: nothing of it was committed nor acked, so Slack's
#    redelivery to the restarted bot is acted on, once.
# 2. The bot dies after a slash command was stored and acked, while its marketplace
#    look-up is under way: the restarted bot resumes the look-up (the requester gets
#    the Confirm prompt), instead of losing the request silently.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
sql() { sqlite3 -batch -noheader "$DB" "$1"; }

# ---- 1: killed between the de-duplication key and the transition ----
BOT_ARGS=""
cat >"$WORK/script1" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait close
wait 20 connect
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait ack e2
wait api chat.postMessage Waiting for finance
quit
IN
run_crash "$WORK/script1" CANCELBOT_FAULT_KILL_AFTER_DEDUP=e2
expect_rc 137 "$FIRST_RC" "the first bot was killed after the key of e2"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the second bot stops cleanly"
expect_rc 1 "$(sql "SELECT COUNT(*) FROM events WHERE event = 'confirm'")" "confirmed once"
expect_rc 1 "$(sql "SELECT COUNT(*) FROM dedup WHERE key = 'env:e2'")" "the key, kept with it"
expect_log 1 '"text":"Waiting for finance'
expect_rc 1 "$(grep '"kind":"ack"' "$LOG" | grep -c '"envelope_id":"e2"')" "e2 acked once, by the second bot"

# ---- 2: killed during the look-up of an acked slash command ----
rm -f "$DB" "$DB-wal" "$DB-shm"
use_fake_aws_seller
start_market --slow DescribeAgreement:2500
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
BOT_ARGS="--config $WORK/policy.json"
cat >"$WORK/script2" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait ack e1
wait close
wait 20 connect
wait 20 api chat.postEphemeral Confirm
quit
IN
run_crash "$WORK/script2" CANCELBOT_FAULT_KILL_DURING_LOOKUP_MS=800
expect_rc 137 "$FIRST_RC" "the first bot was killed during the look-up"
expect_rc 0 "$FAKE_RC" "the fake's script"
grep -q "resuming /cancel by U0ALICE" "$WORK/bot2.err"
expect_rc 0 $? "the second bot resumed the command"
expect_rc 1 "$(sql "SELECT COUNT(*) FROM requests")" "one draft"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM intents WHERE status = 'pending'")" "nothing left over"
expect_rc 1 "$(grep '"kind":"ack"' "$LOG" | grep -c '"envelope_id":"e1"')" "e1 acked once, before the crash"
stop_market
finish
