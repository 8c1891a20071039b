# Two processes on one database file approve the same requests at the same moment,
# 50 rounds each for one-approval and two-approval requests: every approval counts
# once, each request is submitted exactly once, and no request's history skips or
# goes back (each event starts in the state the one before it ended in). Before
# requests had versions, both approvals of a one-approval request applied (two
# submissions) and one of two approvals was lost (never submitted).
. "$(dirname "$0")/lib_e2e.sh"
ROUNDS=50
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'
sql() { sqlite3 -batch -noheader "$DB" "$1"; }
agreement() { printf 'agmt-race%011d' "$1"; }

# One agreement per request (the marketplace takes one cancellation per agreement);
# the first half below the two-approval threshold, the second half above it.
{
    printf '{"aws": {"agreements": ['
    for i in $(seq 1 $((2 * ROUNDS))); do
        [ "$i" -gt 1 ] && printf ','
        printf '{"id": "%s", "buyer_account": "123456789012", "offer_id": "offer-9x8y7w6v5u4t",
          "product": "Race", "status": "ACTIVE", "start_date": "2025-09-01T00:00:00Z",
          "end_date": "2027-08-31T23:59:59Z", "value": "%s", "currency": "USD",
          "self_serve": true}' "$(agreement "$i")" "$([ "$i" -le $ROUNDS ] && echo 1200.00 || echo 120000.00)"
    done
    printf ']}, "azure": {"entitlements": []}}\n'
} >"$WORK/seed.json"
{
    for i in $(seq 1 $((2 * ROUNDS))); do
        echo "/cancel aws $(agreement "$i") reason=replacing $note"
        echo "click CR-$i confirm"
    done
} >"$WORK/setup.in"
shell --seed "$WORK/seed.json" <"$WORK/setup.in"
expect_rc 0 "$SHELL_RC" "setting up $((2 * ROUNDS)) requests"
expect_rc $((2 * ROUNDS)) "$(sql "SELECT COUNT(*) FROM requests WHERE state = 'awaiting_approval'")" \
    "requests waiting for finance"

for who in U0FIN1 U0FIN2; do
    for i in $(seq 1 $((2 * ROUNDS))); do echo "click CR-$i approve"; done >"$WORK/$who.in"
done
# Both start together and click through the same requests in the same order.
"$CANCELBOT" shell --db "$DB" --seed "$WORK/seed.json" --as U0FIN1 <"$WORK/U0FIN1.in" >"$WORK/a.out" 2>"$WORK/a.err" &
a=$!
"$CANCELBOT" shell --db "$DB" --seed "$WORK/seed.json" --as U0FIN2 <"$WORK/U0FIN2.in" >"$WORK/b.out" 2>"$WORK/b.err" &
b=$!
wait "$a"; expect_rc 0 $? "first process"
wait "$b"; expect_rc 0 $? "second process"
# Whatever effects were left due when they stopped run now.
shell --seed "$WORK/seed.json" </dev/null

one="CAST(SUBSTR(request_id, 4) AS INTEGER) <= $ROUNDS"
expect_rc "$ROUNDS" "$(sql "SELECT COUNT(*) FROM (SELECT request_id FROM events
    WHERE event = 'approve' AND $one GROUP BY request_id HAVING COUNT(*) = 1)")" \
    "one-approval requests: exactly one approval applied each"
expect_rc "$ROUNDS" "$(sql "SELECT COUNT(*) FROM (SELECT request_id FROM events
    WHERE event = 'approve' AND NOT $one GROUP BY request_id
    HAVING COUNT(DISTINCT actor) = 2 AND COUNT(*) = 2)")" \
    "two-approval requests: both approvals counted, once each"
expect_rc $((2 * ROUNDS)) "$(sql "SELECT COUNT(*) FROM (SELECT request_id FROM outbox
    WHERE kind = 'provider_submit' GROUP BY request_id HAVING COUNT(*) = 1)")" \
    "every request submitted exactly once"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM requests WHERE state IN ('awaiting_approval',
    'submitting')")" "none left waiting"
expect_rc 0 "$(sql "SELECT COUNT(*) FROM (SELECT from_state, LAG(to_state) OVER
    (PARTITION BY request_id ORDER BY seq) AS prev FROM events)
    WHERE prev IS NOT NULL AND prev <> from_state")" \
    "every event starts where the one before it ended"
expect_rc $((2 * ROUNDS)) "$(sql "SELECT COUNT(DISTINCT request_id) FROM events
    WHERE event = 'submit_accepted'")" "every request's submission accepted"
expect_rc $((2 * ROUNDS)) "$(sql "SELECT COUNT(*) FROM events WHERE event = 'submit_accepted'")" \
    "and only once"
cat "$WORK/a.out" "$WORK/b.out" >"$OUT"
expect_count $((2 * ROUNDS)) "Submitted to "
if [ "$FAILURES" -ne 0 ]; then
    echo "--- requests not done, and their effects ---"
    sql "SELECT id, state FROM requests WHERE state IN ('awaiting_approval', 'submitting')"
    sql "SELECT * FROM outbox WHERE status = 'pending' AND kind <> 'timer'"
    echo "--- first process's stderr ---"; cat "$WORK/a.err"
    echo "--- second process's stderr ---"; cat "$WORK/b.err"
fi
finish
