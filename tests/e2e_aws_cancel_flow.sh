# The whole AWS flow a newcomer walks: request, verify, finance approves, submitted
# with the buyer link, the buyer accepts, completed with the refund follow-up, and
# the export records every step with actor and time.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing-agreement note="Replacing with private offer offer-9x8y7w6v5u4t" case=12345 ref=ZD-778 next="new offer"
click CR-1 confirm
as U0FIN1
click CR-1 approve
buyer accept CR-1
show CR-1
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "Please verify this agreement" "the verify step"
expect "[Confirm] [Discard]"
expect "Buyer account" "the looked-up agreement on the prompt"
expect "[#C0CANCELS] cancelbot posted card CR-1"
expect "[Approve] [Reject]"
expect "Approved by @U0FIN1 (1 of 1)."
expect "Submitted to AWS Marketplace as cancellation request acr-"
expect "https://console.aws.amazon.com/marketplace/home#/agreements/agmt-1a2b3c4d5e6f7g8h9i0j"
expect "AWS cancels agreement agmt-1a2b3c4d5e6f7g8h9i0j automatically on"
expect "The buyer approved: agreement agmt-1a2b3c4d5e6f7g8h9i0j is cancelled."
expect "a cancellation is not a refund"
expect "/refund aws agmt-1a2b3c4d5e6f7g8h9i0j invoice=<invoice-id>"
expect "Completed: agreement cancelled"
expect "confirm  draft -> awaiting_approval by U0ALICE"
expect "approve  awaiting_approval -> submitting by U0FIN1"
expect "status  submitted -> completed by marketplace"

"$CANCELBOT" export --db "$DB" --format csv >"$OUT" 2>>"$WORK/err.txt"
expect_rc 0 $? "export csv"
expect "CR-1"
expect "REPLACING_AGREEMENT"
expect "ZD-778"
expect "U0FIN1"
expect "acr-"
expect "U0ALICE create"
expect "U0FIN1 approve awaiting_approval->submitting"
expect "marketplace status submitted->completed"

"$CANCELBOT" export --db "$DB" --format json >"$OUT" 2>>"$WORK/err.txt"
expect_rc 0 $? "export json"
expect '"history"'
expect '"actor":"U0FIN1","event":"approve"'

"$CANCELBOT" export --db "$DB" --format xml >"$OUT" 2>&1
expect_rc 2 $? "export with a bad format"
expect "accepted: csv, json"
"$CANCELBOT" export --db "$DB" --since 2026-13-01 >"$OUT" 2>&1
expect_rc 2 $? "export with a bad date"
expect "use YYYY-MM-DD"
"$CANCELBOT" export --db "$DB" --since 2999-01-01 >"$OUT" 2>&1
expect_not "CR-1" "nothing created after 2999"
finish
