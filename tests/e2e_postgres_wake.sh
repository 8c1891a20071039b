# Two processes on one PostgreSQL database: a Slack bot (against tests/fake_slack) sits
# idle while an operator's `cancelbot shell` confirms three of its drafts. Each
# confirmation leaves a card for the Slack process to post (the shell leaves chat
# effects of a Slack request to a Slack process); LISTEN/NOTIFY wakes the bot at the
# shell's commit, so each card is posted well within 500 ms of the shell's exit,
# where the bot's idle wake-up on PostgreSQL comes only every 5 s (3 rounds: polling
# would pass all three by luck once in a thousand runs). Skipped (77) without
# CANCELBOT_TEST_DATABASE_URL.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_pg.sh"

skip_without_pg
BASE=$CANCELBOT_TEST_DATABASE_URL
SCHEMA="cbwake_$$"
URL=$(pg_schema_url "$BASE" "$SCHEMA")
psql -qX "$BASE" -c "CREATE SCHEMA $SCHEMA" >/dev/null || { echo "FAIL: cannot create schema"; exit 1; }
trap 'kill -KILL "${BPID:-}" "${FPID:-}" 2>/dev/null; psql -qX "$BASE" -c "SET client_min_messages = warning; DROP SCHEMA $SCHEMA CASCADE" >/dev/null; rm -rf "$WORK"' EXIT

cmd='aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
{
    echo "wait api auth.test"
    echo "wait connect"
    for i in 1 2 3; do
        echo "send $(slash "e$i" U0ALICE "$cmd")"
        echo "wait ack e$i"
        echo "wait api chat.postEphemeral Confirm"
    done
    echo "wait 60 api test.step done"
    echo "quit"
} >"$WORK/script"

start_fake "$WORK/script" 60
start_bot "$URL"
wait_for_line "$LOG" '"action_id":"confirm"' 3 30 ||
    { echo "FAIL: the three drafts were not offered"; FAILURES=$((FAILURES + 1)); }

cards_of() {         # cards_of CR-n: chat.postMessage calls naming it
    grep -F '"method":"chat.postMessage"' "$LOG" | grep -cF "$1"
}

for i in 1 2 3; do
    sleep 0.7                     # the bot is idle: its next wake-up is seconds away
    t0=$(now_ms)
    echo "click CR-$i confirm" | DATABASE_URL="$URL" "$CANCELBOT" shell >"$OUT" 2>"$WORK/err.txt"
    expect_rc 0 $? "the shell's confirmation of CR-$i"
    t1=$(now_ms)
    expect "CR-$i"
    end=$((t1 + 10000))
    while [ "$(cards_of "CR-$i")" -lt 1 ] && [ "$(now_ms)" -lt "$end" ]; do sleep 0.01; done
    t2=$(now_ms)
    echo "CR-$i: card posted $((t2 - t1)) ms after the shell's exit ($((t2 - t0)) ms after its start)"
    if [ "$(cards_of "CR-$i")" -ge 1 ] && [ $((t2 - t1)) -lt 500 ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: CR-$i's card was not posted within 500 ms of the shell's commit"
        FAILURES=$((FAILURES + 1))
    fi
done

test_step done
finish_fake_and_bot
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
OUT="$BOT_ERR"
expect_not "connection lost"
finish
