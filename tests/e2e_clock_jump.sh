# `clock +7d` moves time forward the way it would have passed: what falls due on
# the way happens in due order, each at its own time (a line with that time heads
# it), so the buyer reminders come one by one before AWS's automatic cancellation;
# a reminder that repeats every period (finance's nudge) is posted once per jump
# and the repeats are recorded in the history, not flooded into the thread.
. "$(dirname "$0")/lib_e2e.sh"

# line_of "text": the first line number of the output that holds text (0: none).
line_of() {
    local n
    n=$(grep -nF -- "$1" "$OUT" | head -1 | cut -d: -f1)
    echo "${n:-0}"
}

expect_before() {     # expect_before "earlier text" "later text"
    local a b
    a=$(line_of "$1")
    b=$(line_of "$2")
    if [ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected \"$1\" (line $a) before \"$2\" (line $b)"
        FAILURES=$((FAILURES + 1))
    fi
}

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=unintended-renewal note="Auto-renewed although the buyer opted out in writing"
click CR-1 confirm
as U0FIN1
click CR-1 approve
clock +7d
show CR-1
IN
expect_rc 0 "$SHELL_RC" "shell"
BUYER_REMINDER="Reminder @U0ALICE: the buyer has not yet answered cancellation request acr-"
AUTO="The buyer did not answer within 7 days, so AWS cancelled agreement agmt-1a2b3c4d5e6f7g8h9i0j automatically."
# The demo policy reminds at 24, 72 and 144 hours: each once, then the deadline.
expect_count 3 "$BUYER_REMINDER"
expect_count 1 "$AUTO"
expect_before "clock moved +7d" "$BUYER_REMINDER"
last_reminder=$(grep -nF -- "$BUYER_REMINDER" "$OUT" | tail -1 | cut -d: -f1)
auto=$(line_of "$AUTO")
if [ "${last_reminder:-0}" -gt 0 ] && [ "$auto" -gt "$last_reminder" ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: the automatic cancellation (line $auto) must follow the last reminder (line ${last_reminder:-0})"
    FAILURES=$((FAILURES + 1))
fi
# Each reminder is headed by the time it fell due, and those times move forward.
stamps=$(grep -B1 -F -- "$BUYER_REMINDER" "$OUT" | grep -E '^\([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC\)$')
if [ "$(printf '%s\n' "$stamps" | grep -c UTC)" -eq 3 ] &&
   [ "$(printf '%s\n' "$stamps" | sort -u)" = "$stamps" ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: each buyer reminder should follow its own, later time line; saw: $stamps"
    FAILURES=$((FAILURES + 1))
fi
# The record has each reminder at the time it fell due, not all at the jump's end.
expect_count 3 "timer  submitted -> submitted by timer"
reminder_times=$(grep -F "timer  submitted -> submitted by timer" "$OUT" | awk '{print $1, $2}' | sort -u | wc -l)
expect_rc 3 "$reminder_times" "distinct times of the reminders in the history"
expect "Completed: agreement cancelled"

# Finance never answers: one nudge for the whole week, then the expiry, and the
# shell says how many nudges it did not repeat.
# CANCELBOT_FAULT_JUMP_PAUSE_MS: each step of the jump pauses as on a loaded machine,
# so what falls due while the wall clock runs on under a step must still come in its
# turn (it once came only at the end of the jump, after the expiry).
rm -f "$DB" "$DB".*
CANCELBOT_FAULT_JUMP_PAUSE_MS=20 CANCELBOT_LOG_LEVEL=debug shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=unintended-renewal note="Auto-renewed although the buyer opted out in writing"
click CR-1 confirm
clock +8d
show CR-1
IN
expect_rc 0 "$SHELL_RC" "shell"
failures_before=$FAILURES
FINANCE_REMINDER="Reminder for finance (@U0FIN1, @U0FIN2): CR-1 is still waiting for approval (0 of 1)."
expect_count 1 "$FINANCE_REMINDER"
expect_before "$FINANCE_REMINDER" "CR-1 expired: finance did not decide in time."
# 168 hours of expiry, a nudge every 24: at 24, 48, ... 144 hours, six in all.
expect "(CR-1: the reminder to finance fell due 5 more times on the way; each is in its history (show CR-1), not repeated here)"
expect_count 5 "not posted again: the clock jumped over several periods"
if [ "$FAILURES" -gt "$failures_before" ]; then
    echo "--- the week-long jump's output ---"; cat "$OUT"
    echo "--- its log ---"; cat "$WORK/err.txt"
fi

# Smaller steps still give a nudge per step, as time passing in Slack would.
rm -f "$DB" "$DB".*
shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=unintended-renewal note="Auto-renewed although the buyer opted out in writing"
click CR-1 confirm
clock +25h
clock +1d
IN
expect_count 2 "$FINANCE_REMINDER"
expect_not "not repeated here"
finish
