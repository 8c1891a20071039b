# The real AWS provider against a local fake of the Agreement API that checks every
# SigV4 signature: credentials from a shared credentials file and the endpoint
# override; the look-up, a throttled-then-accepted SendAgreementCancellationRequest,
# the buyer's approval read back by polling, a refused private offer (the
# support-case route), a withdrawal, and a billing adjustment.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller", "region": "us-east-1"}}}}' >"$WORK/policy.json"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
start_market --throttle SendAgreementCancellationRequest:2
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'

shell --config "$WORK/policy.json" <<IN
/cancel aws buyer=123456789012
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "agmt-1a2b3c4d5e6f7g8h9i0j" "search by buyer"
expect "Buyer account        123456789012" "DescribeAgreement on the card"
expect "Submitted to AWS Marketplace as cancellation request acr-"
expect_mlog 0 '"sig_ok":false' "every call correctly signed"
expect_stat '"SendAgreementCancellationRequest":3' "two throttled, then accepted"
expect_stat '"requests":1'
acr=$(grep -o 'acr-[A-Za-z0-9]*' "$OUT" | head -1)
http POST /_control/buyer "{\"requestId\":\"$acr\",\"answer\":\"APPROVED\"}" >/dev/null

shell --config "$WORK/policy.json" <<IN
clock +2m
show CR-1
IN
expect "The buyer approved: agreement agmt-1a2b3c4d5e6f7g8h9i0j is cancelled."
expect "Completed: agreement cancelled"

shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-private000000000001 reason=replacing $note
click CR-2 confirm
as U0FIN1
click CR-2 approve
as U0ALICE
/cancel aws agmt-big0000000000000001 reason=replacing $note
click CR-3 confirm
as U0FIN1
click CR-3 approve
as U0FIN2
click CR-3 approve
as U0ALICE
/cancel withdraw CR-3 note="Buyer signed a renewal after all"
/refund aws agmt-big0000000000000001 invoice=inv-2026-10-001 amount=120.00 currency=USD reason=buyer-dissatisfaction note="Service outage 2026-10-03, credit agreed with buyer"
click RF-1 confirm
as U0FIN1
click RF-1 approve
IN
expect "does not support self-serve cancellation"
expect "/cancel case CR-2"
expect "Withdrawn at AWS Marketplace: cancellation request acr-"
expect "Refund submitted: billing adjustment"
expect_mlog 0 '"sig_ok":false' "every call correctly signed"
stop_market
finish
