# Finance's side: rejection needs a reason; the requester cannot approve their own
# request; someone who is not an approver is refused; reactions count like buttons,
# other people's reactions do not; a stale click names the state.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=test-agreement note="Test agreement created by our QA team by mistake"
click CR-1 confirm
click CR-1 approve
react CR-1 white_check_mark
as U0BOB
click CR-1 approve
react CR-1 white_check_mark
as U0FIN1
click CR-1 reject
click CR-1 reject note="Invoice 2026-10 still open; refund it first"
as U0FIN2
click CR-1 approve
click CR-1 explode
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "[only visible to U0ALICE] You cannot approve your own request CR-1"
expect "[only visible to U0BOB] Only finance approvers can approve CR-1; your approval was not counted."
expect_count 2 "[only visible to U0BOB] Only finance approvers"
expect "[only visible to U0FIN1] note: a rejection needs a reason"
expect "Rejected by @U0FIN1: Invoice 2026-10 still open; refund it first. Nothing was sent to the marketplace."
expect "Rejected by @U0FIN1"
expect "[only visible to U0FIN2] CR-1 is already rejected by finance; approvals are closed."
expect "action: accepted buttons are confirm, discard, approve and reject."
expect_not "Submitted to AWS"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-2 confirm
as U0FIN1
react CR-2 :white_check_mark:
IN
expect "Approved by @U0FIN1 (1 of 1)."
expect "Submitted to AWS Marketplace as cancellation request acr-"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-3 confirm
as U0FIN1
react CR-3 x
IN
# A reject reaction asks for the reason the way the Reject button does; the request
# waits for it (nothing recorded), and the reason given is the one recorded.
expect "You reacted :x: to reject CR-3. A rejection needs a reason @U0ALICE can act on"
expect "[Reject with a reason]  (click CR-3 reject note=\"...\")"
expect_not "Rejected by"
shell <<'IN'
as U0FIN1
show CR-3
click CR-3 reject note="Buyer asked us to keep it until the renewal"
IN
expect "awaiting_approval" "still waiting for finance after the reaction"
expect "Rejected by @U0FIN1: Buyer asked us to keep it until the renewal"
expect_not "no reason given"
finish
