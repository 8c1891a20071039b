# Every chat message of a flow is posted once, even when the bot dies between Slack's
# answer and the outbox's done mark (a crash, or a full disk refusing the mark): each
# card and thread reply carries its effect's key as message metadata, and the run
# that may repeat an earlier one first reads the channel or thread for that key.
# 1. Killed after the card was posted, before its id was stored: the restarted bot
#    finds the card (conversations.history) and does not post it again.
# 2. Killed after a thread reply was posted: found in the thread
#    (conversations.replies), not posted again.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
sql() { sqlite3 -batch -noheader "$DB" "$1"; }

# ---- 1: the card ----
cat >"$WORK/script1" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
wait close
wait 20 connect
wait 20 api conversations.history
send $(click e3 U0FIN1 approve CR-1 1700000000.000100)
wait 20 api chat.postMessage Approved by
wait 20 api chat.update
quit
IN
run_crash "$WORK/script1" CANCELBOT_FAULT_KILL_AFTER=post_card
expect_rc 137 "$FIRST_RC" "the first bot was killed after the card was posted"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the second bot stops cleanly"
expect_log 1 '"text":"Waiting for finance' "the card, posted once"
expect_rc 1 "$(grep -F '"text":"Waiting for finance' "$LOG" | grep -cF '"event_type":"cancelbot_message"')" \
    "the card carried its key"
expect_rc 1 "$(sql "SELECT COUNT(*) FROM requests WHERE id = 'CR-1' AND card_ts <> ''")" \
    "the card's id, found and stored"
OUT=$WORK/bot2.err expect "was already posted" "the second bot says it found the card"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND kind = 'post_card'")" \
    "the card's effect is done"

# ---- 2: a thread reply ----
rm -f "$DB" "$DB-wal" "$DB-shm"
cat >"$WORK/script2" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
send $(click e3 U0FIN1 approve CR-1 1700000000.000100)
wait api chat.postMessage Approved by
wait close
wait 20 connect
wait 20 api conversations.replies
wait 20 api chat.update
quit
IN
run_crash "$WORK/script2" CANCELBOT_FAULT_KILL_AFTER=reply
expect_rc 137 "$FIRST_RC" "the first bot was killed after a reply was posted"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the second bot stops cleanly"
expect_log 1 '"text":"Approved by' "the reply, posted once"
expect_log 1 '"text":"Waiting for finance' "the card, posted once"
OUT=$WORK/bot2.err expect "was already posted" "the second bot says it found the reply"
finish
