# Killed after Partner Center accepted the cancel but before the bot stored the
# answer: on restart the outbox sends the cancel again with the same MS-RequestId
# (derived from the request), which Partner Center treats as a replay: one
# cancellation, and the request completes normally.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

printf '{"providers": {"aws": "sim", "azure": "azure"}}' >"$WORK/policy.json"
start_market --azure-delay 1
export AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_ID=66666666-7777-8888-9999-aaaaaaaaaaaa AZURE_CLIENT_SECRET=s3cret
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT" PARTNER_CENTER_URL="http://127.0.0.1:$PORT"

CANCELBOT_FAULT_KILL_AFTER=provider_submit shell --config "$WORK/policy.json" <<'IN'
/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: unknown deployments in eastus"
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 137 "$SHELL_RC" "killed after Partner Center answered"
expect_stat '"cancels":1'
shell --config "$WORK/policy.json" </dev/null
expect "Partner Center accepted the cancellation of entitlement ent-0001" "resumed"
expect_stat '"cancel_calls":2' "the cancel sent again"
expect_stat '"replayed":1' "with the same MS-RequestId"
expect_stat '"cancels":1' "still one cancellation"
sleep 1.2
shell --config "$WORK/policy.json" <<'IN'
clock +2m
IN
expect "Entitlement ent-0001 is now inactive: CR-1 is complete."
stop_market
finish
