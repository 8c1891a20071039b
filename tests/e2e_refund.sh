# A refund is its own request type with the same approvals; it keeps the agreement.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/refund aws agmt-1a2b3c4d5e6f7g8h9i0j invoice=inv-2026-10-001 amount=120.00 currency=USD reason=buyer-dissatisfaction note="Service outage 2026-10-03 to 10-05, credit agreed with buyer"
click RF-1 confirm
as U0FIN1
click RF-1 approve
clock +2h
show RF-1
/refund aws agmt-1a2b3c4d5e6f7g8h9i0j invoice=inv-2026-10-001 amount=999999.00 currency=USD reason=buyer-dissatisfaction note="Service outage 2026-10-03 to 10-05, credit agreed with buyer"
/refund aws agmt-1a2b3c4d5e6f7g8h9i0j invoice=inv-1 amount=-5 currency=USD reason=buyer-dissatisfaction note="Service outage 2026-10-03 to 10-05, credit agreed"
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "RF-1 · Refund against AWS agreement agmt-1a2b3c4d5e6f7g8h9i0j"
expect "120.00 USD"
expect "Refund submitted: billing adjustment ba-"
expect "Agreement agmt-1a2b3c4d5e6f7g8h9i0j stays active."
expect "Refund RF-1 completed"
expect "Completed: refund issued"
expect "amount: 999,999.00 USD is more than the agreement's value"
expect "amount"
expect_not "posted card RF-2"
finish
