# PostgreSQL not answering at start-up is a network failure: the bot retries with
# back-off (its probes answer meanwhile, /readyz saying it waits for the database)
# and goes on once the server is up, without a restart. A database that refuses us
# (one that does not exist) stops it at once with the server's reason. A server that
# takes the connection and never answers holds each attempt 2 s at most: the probes
# go on answering.
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

# A server that takes the connection and never answers (a hung host, a proxy with
# nothing behind it). Connecting is synchronous, on the loop: each attempt gives up
# after 2 s (it waited libpq's 10 s before), so the probes still answer in time.
rm -f "$WORK/silent_port"
/usr/bin/python3 - "$WORK/silent_port" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
s.settimeout(0.5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held, end = [], time.time() + 60
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
PY
SILENT_PID=$!
for _ in $(seq 100); do [ -s "$WORK/silent_port" ] && break; sleep 0.05; done
SLACK_PORT=1 start_bot "postgresql://cancelbot@127.0.0.1:$(cat "$WORK/silent_port")/cancelbot" \
    CANCELBOT_HTTP_ADDR=127.0.0.1:0
bot_http_port "$BOT_ERR"
wait_for_line "$BOT_ERR" "retrying in" 1 8
expect_rc 0 $? "the first attempt gave up within 8 s"
slowest=0
for _ in $(seq 8); do
    t0=$(now_ms)
    got=$(get GET /healthz)
    t=$(( $(now_ms) - t0 ))
    [ "$t" -le "$slowest" ] || slowest=$t
    printf '%s' "$got" | grep -q "200 OK" || { echo "FAIL: /healthz: $got"; FAILURES=$((FAILURES + 1)); }
    sleep 0.3
done
echo "slowest /healthz while connecting to a silent server: $slowest ms"
[ "$slowest" -lt 4000 ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: /healthz took $slowest ms (an attempt must give up after 2 s)"; FAILURES=$((FAILURES + 1)); }
expect_get GET /readyz "not ready: starting: database unreachable" "readyz says what it waits for"
kill -TERM "$BPID" 2>/dev/null
wait "$BPID"
expect_rc 0 $? "SIGTERM while it waits for the database: a clean stop"
kill "$SILENT_PID" 2>/dev/null
wait "$SILENT_PID" 2>/dev/null
OUT="$BOT_ERR"
expect "timeout expired"
expect "; retrying in "
finish
