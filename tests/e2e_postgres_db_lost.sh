# Losing the database under a running Slack bot, and getting it back: on a cluster of
# its own (tests/pg_cluster.sh), the test stops the server (pg_ctl stop -m fast: the
# bot's connection is cut) while the bot runs. A slash command then is acked with the
# "try again" text and nothing is kept; the bot logs the loss once. The server starts
# again on the same port and data; the bot reconnects by itself (logging how long it
# was down), and the same command makes the request. The URL's password never shows.
# Skipped (77) without CANCELBOT_TEST_DATABASE_URL, like every PostgreSQL test.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_pg.sh"

use_private_pg_cluster
# trust authentication ignores it; it is there to be looked for in the logs
URL=$(echo "$BASE" | sed 's|cancelbot@|cancelbot:Secret-pw-42@|')

cmd='aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
wait 30 api test.step stopped
send $(slash e1 U0ALICE "$cmd")
wait ack e1
wait 40 api test.step started
send $(slash e2 U0ALICE "$cmd")
wait ack e2
wait api chat.postEphemeral Confirm
quit
IN

start_fake "$WORK/script" 60
start_bot "$URL"
wait_for_line "$LOG" '"kind":"connect"' 1 20 || echo "FAIL: the bot did not connect"
sleep 0.3
cluster pause "$PGDIR" || { echo "FAIL: pg_ctl stop"; FAILURES=$((FAILURES + 1)); }
wait_for_line "$BOT_ERR" "connection lost" 1 10
test_step stopped
wait_for_line "$LOG" '"envelope_id":"e1"' 1 10
sleep 0.5
cluster resume "$PGDIR" || { echo "FAIL: pg_ctl start"; FAILURES=$((FAILURES + 1)); }
t0=$(now_ms)
wait_for_line "$BOT_ERR" "connection back" 1 20
echo "reconnected $(( $(now_ms) - t0 )) ms after the server was up again"
test_step started
finish_fake_and_bot

expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
n=$(grep -F '"kind":"ack"' "$LOG" | grep -F '"envelope_id":"e1"' | grep -cF 'the database is not answering')
expect_rc 1 "$n" "the command sent while the database was down is acked \"try again\""
expect_log 1 'Please verify this agreement' "only the command after the return made a draft"
expect_rc 1 "$(psql -qXAt "$BASE" -c 'SELECT COUNT(*) FROM requests')" "one request"
expect_rc 1 "$(psql -qXAt "$BASE" -c 'SELECT COUNT(*) FROM intents')" "one intent: e2's"
OUT="$BOT_ERR"
expect_count 1 "database (PostgreSQL): connection lost ("
expect_count 1 "database (PostgreSQL): connection back after"
expect "not acted on: the database is unreachable"
expect_not "Secret-pw-42"
finish
