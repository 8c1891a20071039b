# Agreements this seller account cannot cancel, with the real "aws" provider against
# the local fake: the look-up learns the account of the seller's keys (STS
# GetCallerIdentity, once) and refuses, before Confirm and with the reason, an
# agreement this account bought and one another seller sold; no draft is made and
# nothing is submitted. Our own agreement still goes through. When STS refuses,
# look-ups go on, the log says so once, and AWS's refusal at submission
# (AccessDeniedException INVALID_ACCESS) is explained as not being the proposer,
# not as a missing IAM permission.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

use_fake_aws_seller
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'
start_market
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"

shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-bought000000000001 reason=replacing $note
click CR-1 confirm
/cancel aws agmt-other0000000000001 reason=replacing $note
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "agreement: agmt-bought000000000001 was bought by this account (210987654321): only its seller (the proposer, 444455556666) can cancel it; ask them." "bought: refused with the reason"
expect "agreement: agmt-other0000000000001 was sold by account 777788889999, not by this seller account (210987654321)" "another seller's: refused with the reason"
expect_not "Could not look up" "a refusal, not a failed look-up"
expect_count 1 "[Confirm] [Discard]" "Confirm only for our own agreement"
expect "Submitted to AWS Marketplace as cancellation request acr-" "our own agreement goes through"
expect_not "CR-2" "no draft for the refused ones"
expect_stat '"sts_identity_calls":1' "asked once for the process"
expect_stat '"DescribeAgreement":3'
expect_stat '"requests":1'
expect_mlog 1 '"operation":"SendAgreementCancellationRequest"' "nothing sent for the refused ones"
expect_mlog 0 '"sig_ok":false' "every call correctly signed, STS too"
stop_market

# STS refuses: the look-up cannot tell, so AWS refuses at submission.
start_market --fail GetCallerIdentity:403:AccessDenied:100
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
shell --config "$WORK/policy.json" <<IN
/cancel aws agmt-bought000000000001 reason=replacing $note
click CR-2 confirm
/cancel aws agmt-other0000000000001 reason=replacing $note
as U0FIN1
click CR-2 approve
IN
expect_rc 0 "$SHELL_RC" "shell without the account id"
expect_count 2 "[Confirm] [Discard]" "without the account id the look-up cannot refuse"
expect "is not the agreement's seller (its proposer), and only the proposer can ask for its cancellation" "the submission's refusal, explained"
expect "INVALID_ACCESS"
expect_not "allow the IAM action" "not a missing permission"
expect_mlog 1 '"operation":"SendAgreementCancellationRequest"'
n=$(grep -c "could not learn which AWS account" "$WORK/err.txt")
expect_rc 1 "$n" "the log says once that the account id is unknown"
grep -q "HTTP 403, AccessDenied" "$WORK/err.txt"
expect_rc 0 $? "the log names STS's answer"
stop_market
finish
