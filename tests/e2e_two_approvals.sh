# Above the value threshold two different finance approvers must approve; one
# approver clicking twice still counts once.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-big0000000000000001 reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
as U0FIN1
click CR-1 approve
click CR-1 approve
as U0FIN2
click CR-1 approve
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "It needs 2 approvals from finance (@U0FIN1, @U0FIN2), since its value of 120,000.00 USD is above 50,000.00 USD."
expect "Approved by @U0FIN1 (1 of 2). One more approval from another finance approver is needed."
expect "[only visible to U0FIN1] You already approved CR-1; it counts once."
expect "Approved by @U0FIN2 (2 of 2)."
expect_count 1 "Submitted to AWS Marketplace as cancellation request"
finish
