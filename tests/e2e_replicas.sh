# Several replicas on one record (issue 10): 3 processes of the real binary, each with
# its own Socket Mode connection to one Slack fake (bench/slack_load, which hands every
# envelope to any connection and sends again, same envelope id, what a closed
# connection left unacked, as Slack does), the real "aws" provider against
# tests/fake_market (300 agreements; it counts every call), 300 flows (slash command,
# Confirm, Approve), replica 2 restarted (SIGTERM, start again) and replica 1 SIGKILLed
# mid-run after its Web API calls went unanswered for a while (so it dies with work in
# hand). Then: every request reached its end exactly once, no marketplace request
# made twice, every event history continuous and forward, the export equal to the
# tables, and every effect the dead replica held taken over within its lease + 1 s.
#
# The record is the SQLite file of the test by default. With DATABASE_URL (or
# CANCELBOT_TEST_DATABASE_URL) set to an empty PostgreSQL database, the replicas and
# `cancelbot export` get that instead of --db, and the checks run through psql: the
# check queries are written once, in SQL both understand.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib_e2e.sh"
. "$HERE/lib_e2e_market.sh"

FLOWS=${REPLICAS_FLOWS:-300}
RATE=${REPLICAS_RATE:-30}             # envelopes/s: moderate, the machine is shared
LEASE_MS=5000
LOAD="$(dirname "$CANCELBOT")/../bench/slack_load"
DBURL=${CANCELBOT_TEST_DATABASE_URL:-${DATABASE_URL:-}}
unset DATABASE_URL CANCELBOT_DATABASE_URL

# sql QUERY: rows with tab-separated fields, from whichever database the bot used.
if [ -n "$DBURL" ]; then
    command -v psql >/dev/null || { echo "FAIL: DATABASE_URL is set but psql is not installed"; exit 1; }
    # A schema of its own (dropped at exit), so the suite can run again on the same
    # database (setup.sh runs it plain, then under the sanitizers).
    CANCELBOT_TEST_DATABASE_URL=$DBURL use_pg_schema cbrep
    trap 'stop_market; psql -qX "$BASE" -c "SET client_min_messages = warning; DROP SCHEMA $SCHEMA CASCADE" >/dev/null; rm -rf "$WORK"' EXIT
    DBURL=$URL
    sql() { psql "$DBURL" -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -c "$1"; }
    db_args=()
    export DATABASE_URL="$DBURL"
    if [ "$(sql "SELECT count(*) FROM requests" 2>/dev/null || echo 0)" != 0 ]; then
        echo "FAIL: the database of DATABASE_URL already holds requests; give an empty one"
        exit 1
    fi
else
    sql() { sqlite3 -batch -noheader -separator $'\t' "$DB" "$1"; }
    db_args=(--db "$DB")
fi

expect_sql() {       # expect_sql WANT "query" "what"
    local got
    got=$(sql "$2" 2>&1)
    if [ "$got" = "$1" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: $3: expected $1, got: $(printf '%s' "$got" | head -5)"
        FAILURES=$((FAILURES + 1))
    fi
}

check() {            # check CONDITION-STATUS "what"
    if [ "$1" -eq 0 ]; then PASSES=$((PASSES + 1)); else echo "FAIL: $2"; FAILURES=$((FAILURES + 1)); fi
}

use_fake_aws_seller
start_market --agreements "$FLOWS" --timeout 150
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
export CANCELBOT_LEASE_MS=$LEASE_MS CANCELBOT_LOG_LEVEL=debug

# 3 envelopes per flow; the restart at 25 % of the sending, the kill at 50 %, so the
# dead replica's leases run out while the load still goes on.
send_s=$((FLOWS * 3 / RATE))
"$LOAD" --workload cancel --rate "$RATE" --flows "$FLOWS" --count $((FLOWS * 3)) \
    --agreement-pattern 'agmt-rep################' --replicas 3 \
    --restart-at $((send_s / 4)) --restart-replica 2 \
    --kill-at $((send_s / 2)) --kill-replica 1 --hang-ms 1000 \
    --drain 20 --max-seconds 95 --label replicas --app-log "$WORK/app.log" \
    -- "$CANCELBOT" run "${db_args[@]}" --config "$WORK/policy.json" >"$OUT" 2>"$WORK/err.txt"
check $? "slack_load ran to the end (exit status 0)"
result=$(grep '^RESULT ' "$OUT")
kv() { printf '%s\n' "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Slack's side: every envelope acked (those of the dead connection after redelivery),
# and each flow answered (the prompt, the card, the card's update).
[ "$(kv acked)" = $((FLOWS * 3)) ] && [ "$(kv missing)" = 0 ]
check $? "every envelope acked ($(kv acked) of $((FLOWS * 3)), missing $(kv missing))"
[ "$(kv api_matched)" = $((FLOWS * 3)) ]
check $? "every envelope answered ($(kv api_matched) of $((FLOWS * 3)))"
[ -n "$(kv kill_unix_ms)" ] && [ "$(kv restarts)" = 1 ] && [ "$(kv held_calls)" -gt 0 ]
check $? "replica 1 killed holding unanswered calls ($(kv held_calls)), replica 2 restarted once"

# Every request reached its end exactly once: one request per flow, each submitted,
# each event once, nothing left to do but the marketplace polls and far timers.
expect_sql "$FLOWS" "SELECT count(*) FROM requests" "one request per flow"
expect_sql "$FLOWS" "SELECT count(DISTINCT requester) FROM requests" "each flow's requester once"
expect_sql "$FLOWS" "SELECT count(*) FROM requests WHERE state = 'submitted'" "all submitted"
expect_sql 0 "SELECT count(*) FROM (SELECT request_id, event FROM events
              GROUP BY request_id, event HAVING count(*) > 1) x" "no event applied twice"
expect_sql "$((FLOWS * 4))" "SELECT count(*) FROM events
              WHERE event IN ('create', 'confirm', 'approve', 'submit_accepted')" \
    "create, confirm, approve, submit_accepted for each"
expect_sql 0 "SELECT count(*) FROM outbox WHERE status = 'pending'
              AND kind NOT IN ('provider_poll', 'timer')" "no chat or submit effect left pending"
expect_sql 0 "SELECT count(*) FROM outbox WHERE status = 'pending'
              AND lease_owner LIKE '%:$(kv killed_pid):%'" "nothing left leased to the dead replica"

# Histories: each starts with create, each event starts where the one before ended,
# none goes back, and the last one is the request's state.
expect_sql 0 "SELECT count(*) FROM events e WHERE e.seq = (SELECT min(f.seq) FROM events f
              WHERE f.request_id = e.request_id) AND (e.event <> 'create' OR e.from_state <> 'draft')" \
    "every history starts with create"
expect_sql 0 "SELECT count(*) FROM events e JOIN events p ON p.request_id = e.request_id
              AND p.seq = (SELECT max(q.seq) FROM events q WHERE q.request_id = e.request_id
                           AND q.seq < e.seq)
              WHERE p.to_state <> e.from_state" "no gap in any history"
rank="CASE %s WHEN 'draft' THEN 0 WHEN 'awaiting_approval' THEN 1 WHEN 'submitting' THEN 2
      WHEN 'submitted' THEN 3 WHEN 'support_case' THEN 3 ELSE 4 END"
# shellcheck disable=SC2059
expect_sql 0 "SELECT count(*) FROM events WHERE $(printf "$rank" to_state) < $(printf "$rank" from_state)" \
    "no history moves backwards"
expect_sql 0 "SELECT count(*) FROM requests r JOIN events e ON e.request_id = r.id
              AND e.seq = (SELECT max(f.seq) FROM events f WHERE f.request_id = r.id)
              WHERE e.to_state <> r.state" "each request's state is where its history ends"

# The export is the tables: the same requests, the same histories.
"$CANCELBOT" export "${db_args[@]}" --format json >"$WORK/export.json" 2>>"$WORK/err.txt"
check $? "cancelbot export ran"
jq -r '.[] | [.id, .state, .requester] | @tsv' "$WORK/export.json" | sort >"$WORK/x-req"
sql "SELECT id, state, requester FROM requests" | sort >"$WORK/t-req"
jq -r '.[] | .id as $id | .history[] | [$id, .seq, .at_ms, .actor, .event, .via, .from, .to]
       | @tsv' "$WORK/export.json" | sort >"$WORK/x-ev"
sql "SELECT request_id, seq, at_ms, actor, event, via, from_state, to_state FROM events" \
    | sort >"$WORK/t-ev"
[ -s "$WORK/x-req" ] && cmp -s "$WORK/x-req" "$WORK/t-req"
check $? "export's requests = the requests table ($(wc -l <"$WORK/x-req") rows)"
[ -s "$WORK/x-ev" ] && cmp -s "$WORK/x-ev" "$WORK/t-ev"
check $? "export's histories = the events table ($(wc -l <"$WORK/x-ev") rows)"

# The marketplace: one cancellation request per agreement, all well signed; a
# clientToken sent more than once only for a submission whose effect two processes
# ran (a takeover: the first one's answer was never stored).
stats >"$WORK/stats.json"
[ "$(jq .requests "$WORK/stats.json")" = "$FLOWS" ] && [ "$(jq '.send_calls | length' "$WORK/stats.json")" = "$FLOWS" ]
check $? "one cancellation request per agreement at AWS ($(jq .requests "$WORK/stats.json"))"
expect_mlog 0 '"sig_ok":false'

# Failover, from the processes' logs (one file each; the dead one's is app.log.1).
TZ=UTC awk -v victim="$WORK/app.log.1" -v kill_ms="$(kv kill_unix_ms)" \
    -f "$HERE/replicas_failover.awk" "$WORK"/app.log.* >"$WORK/failover.txt"
fo() { sed -n "s/.*[ ]$1=\([0-9]*\).*/\1/p" "$WORK/failover.txt"; }
[ "$(fo takeovers)" -gt 0 ] && [ "$(fo lost)" = 0 ]
check $? "the dead replica's effects were taken over ($(fo takeovers)), none lost ($(fo lost))"
[ "$(fo max_ms)" -le $((LEASE_MS + 1000)) ] && [ "$(fo intent_max_ms)" -le $((LEASE_MS + 1000)) ]
check $? "taken over within the lease + 1 s (effects $(fo max_ms) ms, commands $(fo intent_max_ms) ms, lease $LEASE_MS ms)"
multi_submits=$(awk '$1 == "MULTI" && $3 == "provider_submit" { print $4 }' "$WORK/failover.txt")
twice=$(jq -r '.send_calls | to_entries[] | select(.value > 1) | .key' "$WORK/stats.json" \
        | sed 's/.*-\(CR-[0-9]*\)$/\1/')
bad=0
for r in $twice; do
    printf '%s\n' "$multi_submits" | grep -qx "$r" || { echo "  $r: token sent twice, one process"; bad=1; }
done
check $bad "a clientToken repeated only by a takeover ($(printf '%s' "$twice" | wc -w) repeated)"
sed -n '/replica 1:/,/sent again/p' "$OUT"
cat "$WORK/failover.txt" | grep -v '^MULTI'
stop_market
if [ "$FAILURES" -ne 0 ]; then
    echo "--- slack_load ---"; cat "$OUT"; tail -5 "$WORK/err.txt"
    grep -h 'error\|warn ' "$WORK"/app.log.* | grep -v response_url | tail -20
fi
echo "$PASSES passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
