# A sign-in that keeps failing shows, like any background poller's failure: the
# Partner Center sign-in refused with Entra ID's invalid_client (AADSTS7000215, a
# wrong client secret) is logged at warn with that code once, not once per try, and
# the requester is told; AWS credentials that cannot be fetched (a container
# credentials endpoint that does not answer) likewise, named "AWS credentials".
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

printf '{"providers": {"aws": "sim", "azure": "azure"}}' >"$WORK/policy.json"
start_market
export AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_ID=66666666-7777-8888-9999-aaaaaaaaaaaa AZURE_CLIENT_SECRET=not-the-secret-xyz
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT" PARTNER_CENTER_URL="http://127.0.0.1:$PORT"
ids='customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789'
note='note="Subscription compromised: unknown deployments in eastus"'

shell --config "$WORK/policy.json" <<IN
/cancel azure $ids entitlement=ent-0001 reason=compromise $note
/cancel azure $ids entitlement=ent-0001 reason=compromise $note
/cancel azure $ids entitlement=ent-0001 reason=compromise $note
IN
expect_rc 0 "$SHELL_RC" "shell"
OUT_SAVED=$OUT
OUT=$WORK/err.txt
expect_count 1 "Partner Center sign-in of tenant default: invalid_client AADSTS7000215"
expect_not "not-the-secret-xyz" "the secret never reaches the log"
OUT=$OUT_SAVED
expect_count 3 "Could not look up"
expect_not "not-the-secret-xyz"

# AWS: the container credentials endpoint (ECS/EKS) does not answer.
unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
printf '{"providers": {"aws": "aws", "azure": "sim"}}' >"$WORK/policy-aws.json"
export AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:1/creds" AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/none" AWS_CONFIG_FILE="$WORK/none"
rm -f "$DB" "$DB"-*
shell --config "$WORK/policy-aws.json" <<IN
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing-agreement note="Replacing with private offer offer-9x8y"
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing-agreement note="Replacing with private offer offer-9x8y"
IN
expect_rc 0 "$SHELL_RC" "shell"
OUT=$WORK/err.txt
expect_count 1 "AWS credentials of seller account default: transport"
finish
