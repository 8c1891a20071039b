# Approval rules on the whole request: eight Azure entitlements of 7,000 USD each
# (56,000 USD) need two approvals under the demo policy (two above 50,000 USD), where
# the first entitlement's value alone (7,000) would need one. The card shows every
# entitlement with its product and value, and the total; entitlements priced in two
# currencies are refused with a sentence. A refund's and a suspension's verify
# prompts say what can and cannot be undone for them; /refund alone shows /refund's
# syntax.
. "$(dirname "$0")/lib_e2e.sh"

customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
sub=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789
{
    printf '{"aws": {"agreements": [{"id": "agmt-1a2b3c4d5e6f7g8h9i0j", "buyer_account": "123456789012", "offer_id": "offer-9x8y7w6v5u4t", "product": "Acme", "status": "ACTIVE", "start_date": "2025-09-01T00:00:00Z", "end_date": "2027-08-31T23:59:59Z", "value": "1200.00", "currency": "USD", "self_serve": true}]}, "azure": {"entitlements": ['
    for i in 1 2 3 4 5 6 7 8; do
        printf '{"customer_id": "%s", "subscription_id": "%s", "entitlement_id": "ent-100%d", "product": "Acme Seat Pack %d", "offer_id": "acme-seats-saas", "status": "active", "start_date": "2025-10-01T00:00:00Z", "end_date": "2026-12-31T23:59:59Z", "value": "7000.00", "currency": "USD"},' "$customer" "$sub" "$i" "$i"
    done
    printf '{"customer_id": "%s", "subscription_id": "%s", "entitlement_id": "ent-2001", "product": "Acme EU Pack", "offer_id": "acme-seats-saas", "status": "active", "start_date": "2025-10-01T00:00:00Z", "end_date": "2026-12-31T23:59:59Z", "value": "500.00", "currency": "EUR"}' "$customer" "$sub"
    printf ']}}\n'
} >"$WORK/seed.json"

shell --seed "$WORK/seed.json" <<IN
/cancel azure customer=$customer subscription=$sub entitlement=ent-1001,ent-1002,ent-1003,ent-1004,ent-1005,ent-1006,ent-1007,ent-1008 reason=compromise note="Subscription compromised: unknown deployments in eastus"
click CR-1 confirm
as U0FIN1
click CR-1 approve
as U0ALICE
/cancel azure customer=$customer subscription=$sub entitlement=ent-1001,ent-2001 reason=compromise note="Subscription compromised: unknown deployments in eastus"
/refund
/refund aws agmt-1a2b3c4d5e6f7g8h9i0j invoice=INV-1 amount=100.00 currency=USD reason=dissatisfied note="Buyer was billed twice for March usage"
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "since its total value of 56,000.00 USD is above 50,000.00 USD"
expect "Waiting for finance: 1 of 2 approvals" "one approval of 56,000 USD is not enough"
expect_not "Waiting for finance: 0 of 1 approval"
expect "Total value          56,000.00 USD"
for i in 1 2 3 4 5 6 7 8; do
    expect "Entitlement $i of 8   ent-100$i: to cancel · Acme Seat Pack $i · 7,000.00 USD"
done
expect "Approved by          @U0FIN1" "the approval stays on the card with all eight entitlements"
expect "entitlement: these entitlements are priced in USD and in EUR."
expect_not "posted card CR-2"
expect "/refund aws <agreement-id> invoice=<id> amount=<120.00> currency=<USD>"
expect "Please verify this refund before it goes to finance. Once the marketplace issues the refund it cannot be taken back."
expect_not "a new offer and a new agreement. Confirm RF-1" "a refund is not a cancellation"
finish
