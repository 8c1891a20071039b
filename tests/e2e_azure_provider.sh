# The real Partner Center provider against local fakes of Azure AD and Partner
# Center: app-only sign-in, the look-up, a throttled-then-accepted cancel, the
# entitlement read back until inactive; bad ids and reasons refused before any
# network call; 900159 (no commerce relationship) told to the requester in words.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

printf '{"providers": {"aws": "sim", "azure": "azure"}}' >"$WORK/policy.json"
start_market --throttle cancel:1 --azure-delay 1 --token-lifetime 3600
export AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_ID=66666666-7777-8888-9999-aaaaaaaaaaaa AZURE_CLIENT_SECRET=s3cret
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT" PARTNER_CENTER_URL="http://127.0.0.1:$PORT"
ids='customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789'
note='note="Subscription compromised: unknown deployments in eastus"'

shell --config "$WORK/policy.json" <<IN
/cancel azure customer=3f1e2d3c subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise $note
/cancel azure $ids reason=compromise $note
/cancel azure $ids entitlement=ent-0001 reason=replacing $note
IN
expect "customer" "a customer id that is not a GUID"
expect "entitlement" "a missing entitlement id"
expect "compromise" "the only Azure reason"
expect_stat '"token_grants":0' "no network call for bad input"

shell --config "$WORK/policy.json" <<IN
/cancel azure $ids entitlement=ent-0001 reason=compromise $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "Cancel Azure entitlement ent-0001"
expect "Partner Center accepted the cancellation of entitlement ent-0001"
expect_stat '"cancel_calls":2' "429 once, then accepted"
expect_stat '"cancels":1'
sleep 1.5
shell --config "$WORK/policy.json" <<IN
clock +2m
show CR-1
/cancel azure customer=0f0e0d0c-0b0a-4908-8706-050403020100 subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise $note
IN
expect "Entitlement ent-0001 is now inactive: CR-1 is complete."
expect "no commerce relationship with customer 0f0e0d0c-0b0a-4908-8706-050403020100"
expect_mlog 0 's3cret' "the client secret never logged by the fake"
OUT="$WORK/err.txt"
expect_not "s3cret" "nor by the bot"
stop_market
finish
