# Exactly one cancellation request at AWS however the bot dies around the call:
# killed before SendAgreementCancellationRequest goes out (one call after restart),
# and killed after AWS answered but before the answer was stored (the restart sends
# the same clientToken again and AWS returns the same request: still one request).
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}}}' >"$WORK/policy.json"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
start_market
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'

CANCELBOT_FAULT_KILL_BEFORE=provider_submit shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 137 "$SHELL_RC" "killed before the call"
expect_stat '"requests":0' "nothing sent before the kill"
shell --config "$WORK/policy.json" </dev/null
expect "Submitted to AWS Marketplace as cancellation request acr-" "resumed on restart"
expect_stat "\"cb-$(install_id)-CR-1\":1" "exactly one call"
expect_stat '"requests":1'

CANCELBOT_FAULT_KILL_AFTER=provider_submit shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-big0000000000000001 reason=replacing $note
click CR-2 confirm
as U0FIN1
click CR-2 approve
as U0FIN2
click CR-2 approve
IN
expect_rc 137 "$SHELL_RC" "killed after AWS answered"
expect_stat '"requests":2' "AWS created the request before the kill"
shell --config "$WORK/policy.json" </dev/null
expect "Submitted to AWS Marketplace as cancellation request acr-" "the answer, read again"
expect_stat "\"cb-$(install_id)-CR-2\":2" "the same clientToken sent again"
expect_stat '"requests":2' "and still one request for CR-2"
shell --config "$WORK/policy.json" </dev/null
expect_not "Submitted to AWS Marketplace" "nothing left to do after that"
expect_mlog 0 '"sig_ok":false'
stop_market
finish
