# /readyz on PostgreSQL: ready while the database answers; when the server stops under
# the running bot (tests/pg_cluster.sh pause), not ready and saying it is the database,
# while /healthz stays 200 (the loop still turns, reconnecting); ready again once the
# server is back. Skipped (77) without CANCELBOT_TEST_DATABASE_URL.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_pg.sh"
. "$(dirname "$0")/lib_e2e_http.sh"

use_private_pg_cluster

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
wait 40 api test.step done
quit
IN
start_fake "$WORK/script" 60
start_bot "$BASE" CANCELBOT_HTTP_ADDR=127.0.0.1:0
bot_http_port "$BOT_ERR"
poll_get /readyz "200 OK" "ready on PostgreSQL"
expect_get GET /metrics "cancelbot_outbox_pending 0" "/metrics reads the gauges from PostgreSQL"
get GET /metrics | sed 1d >"$WORK/metrics.txt"
if promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: promtool check metrics (PostgreSQL):"; cat "$WORK/promtool.out"
    FAILURES=$((FAILURES + 1))
fi
cluster pause "$PGDIR" || { echo "FAIL: pg_ctl stop"; FAILURES=$((FAILURES + 1)); }
poll_get /readyz "not ready: database unreachable (reconnecting)" "the server is stopped"
expect_get GET /readyz "503 Service Unavailable"
expect_get GET /healthz "200 OK" "the loop turns while the database is gone"
if get GET /metrics | grep -q '^cancelbot_outbox_pending'; then
    echo "FAIL: /metrics shows outbox gauges while the database is gone"
    FAILURES=$((FAILURES + 1))
else
    PASSES=$((PASSES + 1))
fi
expect_get GET /metrics "cancelbot_envelopes_received_total" "the counters still answer"
cluster resume "$PGDIR" || { echo "FAIL: pg_ctl start"; FAILURES=$((FAILURES + 1)); }
poll_get /readyz "200 OK" "ready again once the server is back"
test_step done
finish_fake_and_bot
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
finish
