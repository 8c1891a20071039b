# Withdrawal: while finance decides (nothing reaches the marketplace), and after
# submission (the marketplace request is cancelled while the buyer has not answered);
# once the buyer answered there is nothing left to withdraw.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
/cancel withdraw CR-1
/cancel withdraw CR-1 note="Buyer decided to keep the agreement"
as U0FIN1
click CR-1 approve
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "note"
expect "Withdrawn by @U0ALICE: Buyer decided to keep the agreement. Nothing was sent to the marketplace."
expect "CR-1 is already withdrawn; approvals are closed."
expect_not "acr-"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-2 confirm
as U0FIN1
click CR-2 approve
as U0BOB
/cancel withdraw CR-2 note="not mine"
as U0ALICE
/cancel withdraw CR-2 note="Buyer signed the renewal after all"
buyer accept CR-2
market CR-2
IN
expect "Only @U0ALICE, who asked for CR-2, or a finance approver can withdraw it."
expect "@U0ALICE is withdrawing the cancellation request acr-"
expect "Withdrawn at AWS Marketplace: cancellation request acr-"
expect "Withdrawn by @U0ALICE"
expect "buyer: "
expect "1 cancellation request(s) at the marketplace"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-3 confirm
as U0FIN1
click CR-3 approve
buyer reject CR-3
as U0ALICE
/cancel withdraw CR-3 note="too late"
IN
expect "The buyer rejected cancellation request acr-"
expect "CR-3 is already rejected by the buyer; there is nothing to withdraw."
finish
