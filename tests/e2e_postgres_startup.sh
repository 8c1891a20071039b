# PostgreSQL not answering at start-up is a network failure: the bot retries with
# back-off (its probes answer meanwhile, /readyz saying it waits for the database)
# and goes on once the server is up, without a restart. A database that refuses us
# (one that does not exist) stops it at once with the server's reason.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_pg.sh"
. "$(dirname "$0")/lib_e2e_http.sh"
use_private_pg_cluster
cluster pause "$PGDIR"

cat >"$WORK/script" <<IN
wait 40 api auth.test
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e1
wait api chat.postEphemeral Confirm
quit
IN
start_fake "$WORK/script" 60
start_bot "$BASE" CANCELBOT_HTTP_ADDR=127.0.0.1:0
bot_http_port "$BOT_ERR"
for _ in $(seq 100); do grep -q "retrying in" "$BOT_ERR" && break; sleep 0.1; done
expect_get GET /healthz "200 OK" "alive while the database is down"
expect_get GET /readyz "not ready: starting: database unreachable" "readyz says what it waits for"
sleep 3
kill -0 "$BPID" 2>/dev/null
expect_rc 0 $? "still trying after 3 s"
cluster resume "$PGDIR"
finish_fake_and_bot 0.3
expect_rc 0 "$FAKE_RC" "connected once the database was up, and a flow worked"
expect_rc 0 "$BOT_RC" "stopped cleanly"
OUT="$BOT_ERR"
expect "database (PostgreSQL, DATABASE_URL): "
expect "Connection refused"
expect "; retrying in "
expect "slack: signed in as"

# A database that does not exist: the server answered and refused. No retry.
NOURL=$(printf '%s' "$BASE" | sed 's|/[^/?]*\(?.*\)\{0,1\}$|/cancelbot_no_such_database\1|')
SLACK_PORT=1 start_bot "$NOURL"
for _ in $(seq 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$BPID" 2>/dev/null
expect_rc 1 $? "stopped at once"
wait "$BPID"
expect_rc 1 $? "exit status 1"
expect "cancelbot_no_such_database\" does not exist"
grep -c "retrying in" "$BOT_ERR" | grep -qx 0
expect_rc 0 $? "not retried"
finish
