# Fault suite (label "fault"): the marketplaces misbehave. Whole flows in the shell
# with the real "aws" and "azure" providers against tests/fake_market, which throttles
# (429 ThrottlingException; Partner Center 429 with Retry-After), fails (500, 503),
# answers after the bot's 15 s timeout, or cuts its answer mid-body (the full
# Content-Length, half the body, then the connection closes: the operation took
# effect, the bot never read that it did). Faults hit the look-up, the submission,
# the status polls, STS and Azure AD's token. After each scenario: the flow completed
# (a refused look-up is retyped, as the requester would on reading the error), exactly
# one cancellation at the fake (its counters), every message posted once, the history
# follows the state machine, integrity_check ok, no bad signature.
# CANCELBOT_FAULT_ROUNDS=N runs only the first N scenarios.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"
. "$(dirname "$0")/lib_fault.sh"
. "$(dirname "$0")/lib_fault_shell.sh"

# MARKET:FAKE OPTIONS, one scenario a line; the first of each market has no fault and
# gives the messages every other one must post.
SCENARIOS=(
    "aws:"
    "aws:--throttle DescribeAgreement:2"
    "aws:--cut DescribeAgreement:1"
    "aws:--throttle GetCallerIdentity:2 --fail DescribeAgreement:500:InternalServerException:1"
    "aws:--throttle SendAgreementCancellationRequest:3"
    "aws:--fail SendAgreementCancellationRequest:500:InternalServerException:2"
    "aws:--fail SendAgreementCancellationRequest:503:ServiceUnavailableException:1 --cut SendAgreementCancellationRequest:1"
    "aws:--cut SendAgreementCancellationRequest:2"
    "aws:--slow SendAgreementCancellationRequest:16000:1"
    "aws:--cut GetAgreementCancellationRequest:2 --fail GetAgreementCancellationRequest:500:InternalServerException:2"
    "azure:"
    "azure:--throttle cancel:3"
    "azure:--fail cancel:500:InternalServerError:2"
    "azure:--cut cancel:1"
    "azure:--fail token:503:temporarily_unavailable:1 --cut token:1"
    "azure:--cut get_entitlement:2 --throttle get_entitlement:1"
)
n=$(fault_rounds ${#SCENARIOS[@]}) || exit 1
[ "$n" -ge 2 ] || n=2       # the fault-free AWS run and one fault at least
use_fake_aws_seller   # its policy file has Azure simulated: this one has both real
printf '{"providers": {"aws": "aws", "azure": "azure"}, "aws": {"accounts": {"default": {"profile": "seller"}}}}' >"$WORK/policy.json"
SHELL_ARGS=(--config "$WORK/policy.json")
export AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_ID=66666666-7777-8888-9999-aaaaaaaaaaaa AZURE_CLIENT_SECRET=s3cret

market_count() {     # cancellations at the fake
    if [ "$1" = azure ]; then stats | jq -r '.partner.cancels'; else stats | jq -r '.requests'; fi
}

t_start=$(now_ms)
faulted=0 calls_again=0
for scenario in "${SCENARIOS[@]:0:$n}"; do
    kind=${scenario%%:*}
    opts=${scenario#*:}
    new_record
    FLOW_OUT="$WORK/flow.txt"
    : >"$FLOW_OUT"
    : >"$WORK/err.txt"
    # shellcheck disable=SC2086  # the options are words
    start_market --azure-delay 1 $opts
    export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
    export AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT" PARTNER_CENTER_URL="http://127.0.0.1:$PORT"
    for _ in 1 2 3 4 5 6; do
        flow_done "$kind" && break
        if [ "$state" = submitted ]; then
            # The buyer accepts at AWS; Partner Center's entitlement turns inactive
            # after --azure-delay (real time); then the next poll sees it.
            if [ "$kind" = aws ]; then
                http POST /_control/buyer "{\"requestId\":\"$(sql "SELECT provider_ref FROM requests WHERE id = '$RID'")\",\"answer\":\"APPROVED\"}" >/dev/null
            else
                sleep 1.2
            fi
            run_bot "clock +15m"
        else
            # clock +20m: the back-off of the retries and the first polls come due
            run_bot "$(rest_of_flow "$kind" "$state" | grep -v '^buyer\|^clock')
clock +20m"
        fi
    done
    what="$kind with ${opts:-no fault}"
    if [ -z "$opts" ]; then
        the_request
        EXPECTED[$kind]=$(messages "$FLOW_OUT" | sort)
    else
        faulted=$((faulted + 1))
    fi
    check_flow "$kind" "$what" 0
    if [ "$kind" = aws ]; then
        sends=$(stats | jq -r '[.send_calls[]] | add // 0')
    else
        sends=$(stats | jq -r '.partner.cancel_calls')
    fi
    [ "$sends" -gt 1 ] && calls_again=$((calls_again + 1))
    expect_mlog 0 '"sig_ok":false' "$what: every AWS call signed"
    echo "$what: $(market_count "$kind") cancellation(s), $sends submission call(s), $(grep -c '"status":[45]' "$MLOG") error answer(s), $(grep -c '"cut":true' "$MLOG") cut"
    [ "$FLOW_FAILED" = 1 ] && { echo "--- bot stderr ---"; cat "$WORK/err.txt"; echo "--- fake's log ---"; cut -c1-300 "$MLOG"; }
    stop_market
done
echo "fault market: $n scenarios ($faulted with faults), lost $LOST, doubled $DOUBLED, $REPOSTS repeated post(s), $calls_again sent the submission again (same client token / MS-RequestId), $(( $(now_ms) - t_start )) ms"
finish
