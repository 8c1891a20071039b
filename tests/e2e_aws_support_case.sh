# The support-case route: a private offer that the self-serve API refuses is filed as
# an AWS Support case (CreateCase, signed and checked by the fake), followed through
# its statuses to the end; without a support plan the requester gets the filled-in
# form to paste, and records the case id by hand.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}}}' >"$WORK/policy.json"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'

start_market
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_SUPPORT="http://127.0.0.1:$PORT"
shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-private000000000001 reason=replacing $note ref=ZD-778
click CR-1 confirm
as U0FIN1
click CR-1 approve
as U0ALICE
/cancel case CR-1 file
show CR-1
IN
expect "I can file the AWS Marketplace refund/cancellation form for agreement agmt-private000000000001"
expect "AWS Support case case-" "CreateCase answered"
expect "With AWS Support: case case-"
expect_stat '"support_cases":1'
expect_mlog 0 '"sig_ok":false' "every call correctly signed"
case_id=$(grep -o 'AWS Support case case-[^ ]*' "$OUT" | head -1 | cut -d' ' -f4)
http POST /_control/case "{\"caseId\":\"$case_id\",\"status\":\"pending-customer-action\"}" >/dev/null
shell --config "$WORK/policy.json" <<IN
clock +61m
IN
expect "is now Action Required: AWS is waiting for an answer in the Support Center."
http POST /_control/case "{\"caseId\":\"$case_id\",\"status\":\"resolved\"}" >/dev/null
shell --config "$WORK/policy.json" <<IN
clock +61m
show CR-1
IN
expect "AWS Support resolved case $case_id: CR-1 is complete."
expect "a cancellation is not a refund"
stop_market

rm -f "$DB" "$DB".*
start_market --no-support-plan
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_SUPPORT="http://127.0.0.1:$PORT"
shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-private000000000001 reason=replacing $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
as U0ALICE
/cancel case CR-1 file
/cancel case CR-1 17123456789
/cancel case CR-1 resolved
IN
expect "no Business (or higher) support plan"
expect "Please cancel this agreement effective" "the filled-in form"
expect "Agreement ID: agmt-private000000000001"
expect "Support case 17123456789 recorded for CR-1"
expect "marked support case 17123456789 as resolved: CR-1 is complete."
stop_market
finish
