# The buyer never answers: reminders go to the requester, and at 7 days AWS cancels
# automatically; the bot reads that from the marketplace and says so. Finance that
# never answers lets a request expire.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=unintended-renewal note="Auto-renewed although the buyer opted out in writing"
click CR-1 confirm
as U0FIN1
click CR-1 approve
clock +25h
show CR-1
clock +6d
show CR-1
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "Reminder @U0ALICE: the buyer has not yet answered cancellation request acr-"
expect "Submitted: waiting for the buyer"
expect "The buyer did not answer within 7 days, so AWS cancelled agreement agmt-1a2b3c4d5e6f7g8h9i0j automatically."
expect "Completed: agreement cancelled"
expect "a cancellation is not a refund"

shell <<'IN'
/cancel aws agmt-big0000000000000001 reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-2 confirm
clock +1d
clock +7d
as U0FIN1
click CR-2 approve
IN
expect "Reminder for finance (@U0FIN1, @U0FIN2): CR-2 is still waiting for approval"
expect "CR-2 expired: finance did not decide in time."
expect "CR-2 is already expired; approvals are closed."
finish
