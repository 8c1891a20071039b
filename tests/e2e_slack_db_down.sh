# When the database cannot take a turn's envelopes (here: two commits made to fail by
# fault injection), nothing of them is kept, and people are told instead of being
# left with Slack's "didn't respond": a slash command's ack says "try again", a click
# gets "try again" through its response_url. The bot carries on without a restart:
# the same command once the database answers makes the request.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

cmd='aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "$cmd")
wait ack e1
send $(click e2 U0FIN1 approve CR-7 1700000000.000100)
wait ack e2
wait api response_url try again
send $(slash e3 U0ALICE "$cmd")
wait api chat.postEphemeral Confirm
quit
IN
run_slack "$WORK/script" CANCELBOT_FAULT_FAIL_COMMITS=2
expect_rc 0 "$FAKE_RC" "the fake's script"
n=$(grep -F '"kind":"ack"' "$LOG" | grep -F '"envelope_id":"e1"' | grep -cF 'the database is not answering')
expect_rc 1 "$n" "the slash command's ack says to try again"
n=$(grep -F '"method":"response_url"' "$LOG" | grep -cF 'Nothing changed; please try again')
expect_rc 1 "$n" "the click is answered through its response_url"
expect_log 1 'Please verify this agreement' "only the third envelope made a draft"
expect_rc 1 "$(sqlite3 -batch -noheader "$DB" 'SELECT COUNT(*) FROM requests')" "one request, CR-1"
expect_rc 1 "$(sqlite3 -batch -noheader "$DB" "SELECT COUNT(*) FROM dedup WHERE key LIKE '%e3%'")" \
    "the envelope that committed is the only one de-duplicated"
OUT="$BOT_ERR"
expect "could not persist 1 envelope(s) (fault injection)"
finish
