# An Azure entitlement: one approval, one Partner Center call, inactive about ten
# minutes later; withdrawal is refused because Partner Center has no undo. The bot
# learns it at its next status poll (1, 3, 7, 15 minutes after submission: the
# interval doubles while nothing changes), and the clock passes each of them in turn.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: unknown deployments in eastus"
click CR-1 confirm
as U0FIN2
click CR-1 approve
as U0ALICE
/cancel withdraw CR-1 note="changed my mind"
clock +5m
show CR-1
clock +11m
show CR-1
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "Cancel Azure entitlement ent-0001"
expect "Partner Center accepted the cancellation of entitlement ent-0001"
expect "Partner Center cancellations take effect at once and cannot be withdrawn"
expect "Entitlement ent-0001 is now inactive: CR-1 is complete."
expect "Completed: entitlement inactive"
expect_not "not a refund" "no AWS refund follow-up for Azure"

shell <<'IN'
/cancel azure customer=not-a-guid subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: unknown deployments"
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=REPLACING_AGREEMENT note="Subscription compromised: unknown deployments"
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-9999 reason=compromise note="Subscription compromised: unknown deployments"
IN
expect "customer"
expect "GUID"
expect "compromise"
expect "Could not look up ent-9999"
expect_not "posted card CR-2"
# Several entitlements of one subscription: one request, one approval, one call each,
# each reported on its own, complete when all are inactive.
rm -f "$DB" "$DB".*
shell <<'IN'
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001,ent-0004 reason=compromise note="Subscription compromised: unknown deployments in eastus"
click CR-1 confirm
as U0FIN1
click CR-1 approve
clock +16m
show CR-1
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0004,ent-9999 reason=compromise note="Subscription compromised: unknown deployments in eastus"
IN
expect "CR-1 · Cancel 2 Azure entitlements of subscription 9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789"
expect_count 1 "It needs 1 approval from finance"
expect "Partner Center accepted the cancellation of entitlement ent-0001 (1 of 2)."
expect "Partner Center accepted the cancellation of entitlement ent-0004 (2 of 2)."
expect "Entitlement ent-0001 is now inactive"
expect "Entitlement ent-0004 is now inactive"
expect "2 of 2 entitlements of customer 3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b are inactive: CR-1 is complete."
expect "ent-0004: inactive · Acme Analytics for Azure · 1,200.00 USD"
expect "entitlement: ent-0004 is inactive, not active: there is nothing to cancel." "already cancelled by CR-1"
expect_not "posted card CR-2"

# Suspension is its own request type (SU-n) with the same approvals.
shell <<'IN'
/cancel suspend azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: crypto mining seen in eastus"
click SU-1 confirm
click SU-1 approve
as U0FIN2
click SU-1 approve
/cancel suspend aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y"
/cancel help
IN
expect "SU-1 · Suspend Azure subscription 9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789"
expect "Suspending it stops the customer's Azure services"
expect "You cannot approve your own request SU-1"
expect "Partner Center suspended subscription 9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789"
expect "Completed: subscription suspended"
expect "market: only Azure subscriptions can be suspended"
expect "suspend the Azure subscription instead of cancelling it" "said in /cancel help"
finish
