# Status changes through EventBridge and SQS: with aws.events_queue_url set, the bot
# long-polls the queue (signed for "sqs"); an "Approved" event for the submitted
# request completes it, although the Agreement API itself still says pending (so the
# answer can only have come from the event); read messages are deleted; unrelated
# events are ignored.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
start_market
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}, "events_queue_url": "http://127.0.0.1:%s/123456789012/cancelbot-events"}}' "$PORT" >"$WORK/policy.json"

shell --config "$WORK/policy.json" <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect "Submitted to AWS Marketplace as cancellation request acr-"
acr=$(grep -o 'acr-[A-Za-z0-9]*' "$OUT" | head -1)
event() {        # event DETAIL_TYPE STATUS SOURCE
    printf '{"event":{"version":"0","id":"e-%s","detail-type":"%s","source":"%s","account":"123456789012","time":"2026-11-25T12:00:00Z","region":"us-east-1","resources":[],"detail":{"agreement":{"id":"agmt-1a2b3c4d5e6f7g8h9i0j"},"agreementCancellationRequest":{"id":"%s","statusCode":"%s"}}}}' \
        "$RANDOM" "$1" "$3" "$acr" "$2"
}
http POST /_control/sqs "$(event 'Some Other Event' APPROVED aws.other)" >/dev/null
http POST /_control/sqs "$(event 'Agreement Cancellation Request Approved - Proposer' APPROVED aws.agreement-marketplace)" >/dev/null

shell --config "$WORK/policy.json" <<'IN'
wait +3s
show CR-1
IN
expect "The buyer approved: agreement agmt-1a2b3c4d5e6f7g8h9i0j is cancelled." "from the event"
expect "status  submitted -> completed by marketplace"
expect_stat '"sqs_received":2'
expect_stat '"sqs_deleted":2' "both messages deleted, the unrelated one too"
if stats | grep -qF GetAgreementCancellationRequest; then
    echo "FAIL: the request was completed by a poll, not by the event"
    FAILURES=$((FAILURES + 1))
else
    PASSES=$((PASSES + 1))
fi
expect_mlog 0 '"sig_ok":false' "SQS calls correctly signed for sqs"
stop_market
finish
