# tests/e2e_fake_market_selftest.sh -- checks the marketplace fake (tests/fake_market)
# that the AWS and Azure end-to-end tests stand on: SigV4 checking, the Agreement and
# Support operations, idempotency, faults, the Azure token endpoint and Partner Center,
# the control endpoints, the log (never a secret in it), and its bounded lifetime.
# HTTP goes through bash's /dev/tcp because a minimal Debian has no curl; signed AWS
# calls are written by `fake_market --sign-request`. Every read waits at most 5 s and
# the fake runs with --timeout, so the test cannot hang.
# Run by ctest as: bash e2e_fake_market_selftest.sh path/to/cancelbot
set -u
export LC_ALL=C                   # ${#body} must count bytes for Content-Length
BOT=${1:?usage: $0 path/to/cancelbot}
FAKE="$(dirname "$BOT")/../tests/fake_market"
WORK=$(mktemp -d /tmp/fake-market-selftest.XXXXXX)
FAKE_PID=
PASSES=0
FAILURES=0
SENT=0                            # requests sent to the running fake: one log line each
trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $1"; FAILURES=$((FAILURES + 1)); }
finish() { echo "$PASSES passed, $FAILURES failed"; [ "$FAILURES" -eq 0 ]; exit $?; }

# start_fake ARGS...: starts the fake; waits at most 5 s for its port.
start_fake() {
    rm -f "$WORK/port"
    SENT=0
    "$FAKE" --port-file "$WORK/port" --log "$WORK/log" "$@" >"$WORK/out" 2>"$WORK/err" &
    FAKE_PID=$!
    for _ in $(seq 50); do
        if [ -s "$WORK/port" ]; then
            PORT=$(cat "$WORK/port")
            return 0
        fi
        kill -0 "$FAKE_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop_fake [SIGNAL]: signals the fake (or waits at most 10 s for it to exit by itself);
# its status in FAKE_RC.
stop_fake() {
    [ -n "${1:-}" ] && kill "-$1" "$FAKE_PID" 2>/dev/null
    for _ in $(seq 100); do
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$FAKE_PID" 2>/dev/null && echo "note: the fake had to be killed"
    wait "$FAKE_PID"
    FAKE_RC=$?
    FAKE_PID=
}

# send FILE: one raw request on its own connection; status line, headers and body in RESP.
send() {
    local line="" n=0
    RESP=""
    SENT=$((SENT + 1))
    if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
        fail "cannot connect to the fake"
        return
    fi
    cat "$1" >&3
    while [ "$n" -lt 200 ] && { IFS= read -r -t 5 line <&3 || [ -n "$line" ]; }; do
        RESP+="${line%$'\r'}"$'\n'
        line=""
        n=$((n + 1))
    done
    exec 3<&-
}

# http METHOD PATH CONTENT_TYPE BODY [HEADER...]: an unsigned request.
http() {
    local h extra=""
    for h in "${@:5}"; do extra+="$h"$'\r\n'; done
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n%s' \
        "$1" "$2" "$PORT" "$3" "${#4}" "$extra" "$4" >"$WORK/req"
    send "$WORK/req"
}

# aws TARGET BODY [SIGN-OPTIONS...]: a call signed with the test key (or as told).
aws() {
    if ! "$FAKE" --sign-request --host "127.0.0.1:$PORT" --target "$1" --body "$2" "${@:3}" \
        >"$WORK/req" 2>"$WORK/sign-err"; then
        fail "cannot sign $1: $(cat "$WORK/sign-err")"
        RESP=""
        return
    fi
    send "$WORK/req"
}
agr() { aws "AWSMPCommerceService_v20200301.$1" "${@:2}"; }
support() { aws "AWSSupport_20130415.$1" "${@:2}"; }

expect_resp() {       # expect_resp "what" TEXT...: every TEXT is in the last answer
    local t
    for t in "${@:2}"; do
        if grep -qF -- "$t" <<<"$RESP"; then pass; else fail "$1: no '$t' in: $RESP"; fi
    done
}

expect_no_resp() {    # expect_no_resp "what" TEXT: TEXT is not in the last answer
    if grep -qF -- "$2" <<<"$RESP"; then fail "$1: '$2' in: $RESP"; else pass; fi
}

expect_file() {       # expect_file "what" FILE COUNT TEXT: TEXT on COUNT lines of FILE
    local n
    n=$(grep -cF -- "$4" "$2")
    if [ "$n" -eq "$3" ]; then pass; else fail "$1: $n line(s) with '$4' in $2, not $3"; fi
}

if [ ! -x "$FAKE" ]; then
    fail "no fake at $FAKE"
    finish
fi

# 0. Bad command lines are refused before anything listens.
"$FAKE" --port-file "$WORK/port" --log "$WORK/log" --fail Op:500 >/dev/null 2>&1
if [ $? -eq 1 ] && [ ! -e "$WORK/port" ]; then pass; else fail "a bad --fail must exit 1"; fi
"$FAKE" --log "$WORK/log" >/dev/null 2>&1
if [ $? -eq 1 ]; then pass; else fail "--port-file is required"; fi

if ! start_fake --timeout 60 --throttle SendAgreementCancellationRequest:2 \
        --fail GetBillingAdjustmentRequest:500:InternalServerException:1 --throttle cancel:1 \
        --token-lifetime 3 --azure-delay 1 --search-page-size 1; then
    fail "the fake did not start: $(cat "$WORK/err")"
    finish
fi
if [ -e "$WORK/port.tmp" ]; then fail "the port file is written atomically"; else pass; fi
J=application/json
A1=agmt-1a2b3c4d5e6f7g8h9i0j
BIG=agmt-big0000000000000001

# 1. Signatures: checked before anything else, and each failure says which.
agr DescribeAgreement "{\"agreementId\":\"$A1\"}"
expect_resp "a signed DescribeAgreement" "HTTP/1.1 200" '"agreementValue":"1200.00"' \
    '"currencyCode":"USD"' '"status":"ACTIVE"' '"accountId":"123456789012"' \
    '"offerId":"offer-9x8y7w6v5u4t"' 'x-amzn-RequestId: ' 'application/x-amz-json-1.0'
agr DescribeAgreement "{\"agreementId\":\"$A1\"}" --bad-signature
expect_resp "a bad signature" "HTTP/1.1 403" '"__type":"InvalidSignatureException"' \
    'The request signature we calculated does not match' 'The Canonical String for this request'
agr DescribeAgreement "{\"agreementId\":\"$A1\"}" --service support
expect_resp "the wrong signing name" "HTTP/1.1 403" 'InvalidSignatureException' \
    "scoped to correct service: 'aws-marketplace'"
agr DescribeAgreement "{\"agreementId\":\"$A1\"}" --key-id AKIDOTHER
expect_resp "an unknown key" "HTTP/1.1 403" 'UnrecognizedClientException'
http POST / application/x-amz-json-1.0 "{\"agreementId\":\"$A1\"}" \
    'X-Amz-Target: AWSMPCommerceService_v20200301.DescribeAgreement'
expect_resp "no signature at all" "HTTP/1.1 403" 'MissingAuthenticationTokenException'

# 2. Look-ups and searches.
agr DescribeAgreement '{"agreementId":"agmt-nosuch"}'
expect_resp "an unknown agreement" "HTTP/1.1 404" \
    '"__type":"com.amazonaws.marketplaceagreement#ResourceNotFoundException"' \
    'X-Amzn-ErrorType: ResourceNotFoundException:' '"resourceType":"Agreement"'
Q='{"catalog":"AWSMarketplace","filters":[{"name":"PartyType","values":["Proposer"]},{"name":"AgreementType","values":["PurchaseAgreement"]},{"name":"AcceptorAccountId","values":["123456789012"]},{"name":"Status","values":["ACTIVE"]}],"maxResults":20'
agr SearchAgreements "$Q}"
expect_resp "search, page 1 of 2 (--search-page-size 1)" "HTTP/1.1 200" "\"agreementId\":\"$A1\"" \
    '"nextToken":"fm-page-1"'
expect_no_resp "search summaries carry no estimatedCharges (as the model has it)" 'estimatedCharges'
agr SearchAgreements "$Q,\"nextToken\":\"fm-page-1\"}"
expect_resp "search, page 2 of 2" "HTTP/1.1 200" "\"agreementId\":\"$BIG\""
expect_no_resp "the last page has no nextToken" 'nextToken'
agr SearchAgreements '{"filters":[{"name":"OfferId","values":["offer-9x8y7w6v5u4t"]}]}'
expect_resp "AgreementType is required" "HTTP/1.1 400" 'ValidationException' '"reason":"INVALID_FILTERS"'
agr SearchAgreements '{"filters":[{"name":"AgreementType","values":["PurchaseAgreement"]},{"name":"Colour","values":["red"]}]}'
expect_resp "an unknown filter" "HTTP/1.1 400" '"reason":"INVALID_FILTER_NAME"'

# 3. Cancellation: throttled twice, then created once per clientToken.
SEND="{\"agreementId\":\"$A1\",\"reasonCode\":\"REPLACING_AGREEMENT\",\"description\":\"Replacing with private offer offer-9x8y7w6v5u4t\",\"clientToken\":\"tok-1\"}"
agr SendAgreementCancellationRequest "$SEND"
expect_resp "throttled once" "HTTP/1.1 429" 'ThrottlingException'
agr SendAgreementCancellationRequest "$SEND"
expect_resp "throttled twice" "HTTP/1.1 429" 'ThrottlingException'
agr SendAgreementCancellationRequest "$SEND"
expect_resp "then created" "HTTP/1.1 200" '"agreementCancellationRequestId":"acr-fm00000000000001"' \
    '"status":"PENDING_APPROVAL"' '"reasonCode":"REPLACING_AGREEMENT"'
agr SendAgreementCancellationRequest "$SEND"
expect_resp "the same clientToken: the same request" "HTTP/1.1 200" \
    '"agreementCancellationRequestId":"acr-fm00000000000001"'
agr SendAgreementCancellationRequest "${SEND/tok-1/tok-2}"
expect_resp "another token while one is pending" "HTTP/1.1 409" 'ConflictException' \
    '"resourceId":"acr-fm00000000000001"'
agr SendAgreementCancellationRequest '{"agreementId":"agmt-private000000000001","reasonCode":"OTHER","clientToken":"tok-p"}'
expect_resp "self-serve refused" "HTTP/1.1 400" 'ValidationException' '"reason":"UNSUPPORTED_ACTION"'
agr SendAgreementCancellationRequest "{\"agreementId\":\"$A1\",\"reasonCode\":\"BORED\",\"clientToken\":\"tok-x\"}"
expect_resp "an unknown reason code" "HTTP/1.1 400" '"reason":"INVALID_REASON_CODE"'
http GET /_control/stats $J ''
expect_resp "calls are counted per token" '"tok-1":4' '"tok-2":1' '"requests":1'

# 4. The buyer answers; a decided request cannot be withdrawn.
GET1="{\"agreementId\":\"$A1\",\"agreementCancellationRequestId\":\"acr-fm00000000000001\"}"
agr GetAgreementCancellationRequest "$GET1"
expect_resp "pending" "HTTP/1.1 200" '"status":"PENDING_APPROVAL"'
http POST /_control/buyer $J '{"requestId":"acr-fm00000000000001","answer":"APPROVED"}'
expect_resp "the buyer approves" "HTTP/1.1 200" '"status":"APPROVED"'
http POST /_control/buyer $J '{"requestId":"acr-fm00000000000001","answer":"REJECTED"}'
expect_resp "an answer only once" "HTTP/1.1 409"
agr GetAgreementCancellationRequest "$GET1"
expect_resp "approved" "HTTP/1.1 200" '"status":"APPROVED"'
agr DescribeAgreement "{\"agreementId\":\"$A1\"}"
expect_resp "the agreement is cancelled" '"status":"CANCELLED"'
agr CancelAgreementCancellationRequest "${GET1%\}},\"cancellationReason\":\"changed our mind\"}"
expect_resp "no withdrawal once decided" "HTTP/1.1 409" 'ConflictException'
agr SendAgreementCancellationRequest "{\"agreementId\":\"$BIG\",\"reasonCode\":\"OTHER\",\"description\":\"test\",\"clientToken\":\"tok-3\"}"
expect_resp "a second request" "HTTP/1.1 200" '"agreementCancellationRequestId":"acr-fm00000000000002"'
agr CancelAgreementCancellationRequest "{\"agreementId\":\"$BIG\",\"agreementCancellationRequestId\":\"acr-fm00000000000002\",\"cancellationReason\":\"asked by mistake\"}"
expect_resp "withdrawn while pending" "HTTP/1.1 200" '"status":"CANCELLED"'
agr ListAgreementCancellationRequests '{"partyType":"Proposer"}'
expect_resp "listed, one a page" "HTTP/1.1 200" '"agreementCancellationRequestId":"acr-fm00000000000001"' \
    '"nextToken":"fm-page-1"'
agr ListAgreementCancellationRequests '{}'
expect_resp "partyType is required" "HTTP/1.1 400" '"reason":"MISSING_PARTY_TYPE"'

# 5. Billing adjustments: results per entry; one injected 500.
BATCH="{\"billingAdjustmentRequestEntries\":[{\"agreementId\":\"$A1\",\"originalInvoiceId\":\"inv-1\",\"adjustmentAmount\":\"100.00\",\"currencyCode\":\"USD\",\"adjustmentReasonCode\":\"INCORRECT_METERING\",\"description\":\"metered twice\",\"clientToken\":\"ba-tok-1\"},{\"agreementId\":\"$A1\",\"originalInvoiceId\":\"inv-2\",\"adjustmentAmount\":\"5000.00\",\"currencyCode\":\"USD\",\"adjustmentReasonCode\":\"OTHER\",\"clientToken\":\"ba-tok-2\"}]}"
agr BatchCreateBillingAdjustmentRequest "$BATCH"
expect_resp "one entry in, one out" "HTTP/1.1 200" \
    '"items":[{"billingAdjustmentRequestId":"ba-fm00000000000001","clientToken":"ba-tok-1"}]' \
    '"code":"VALIDATION_EXCEPTION"' 'EXCEEDED_MAXIMUM_ADJUSTMENT_AMOUNT' '"clientToken":"ba-tok-2"'
GETBA="{\"agreementId\":\"$A1\",\"billingAdjustmentRequestId\":\"ba-fm00000000000001\"}"
agr GetBillingAdjustmentRequest "$GETBA"
expect_resp "--fail answers once" "HTTP/1.1 500" 'InternalServerException'
agr GetBillingAdjustmentRequest "$GETBA"
expect_resp "then the request" "HTTP/1.1 200" '"status":"PENDING"' '"adjustmentAmount":"100.00"'
http POST /_control/refund $J '{"billingAdjustmentRequestId":"ba-fm00000000000001","status":"COMPLETED"}'
agr GetBillingAdjustmentRequest "$GETBA"
expect_resp "completed" "HTTP/1.1 200" '"status":"COMPLETED"'

# 6. Support cases; resolved ones are hidden unless asked for, as the API does.
support CreateCase '{"subject":"Cancel agmt-private000000000001","communicationBody":"Please cancel.","serviceCode":"aws-marketplace","categoryCode":"other","severityCode":"low"}'
expect_resp "a case" "HTTP/1.1 200" '"caseId":"case-123456789012-muen-' 'application/x-amz-json-1.1'
CASE=$(grep -o 'case-123456789012-muen-[0-9]*-[0-9a-f]*' <<<"$RESP" | head -1)
support DescribeCases "{\"caseIdList\":[\"$CASE\"]}"
expect_resp "opened" "HTTP/1.1 200" '"status":"opened"' '"displayId":"1000000001"'
support DescribeCases "{\"caseIdList\":[\"$CASE\"]}" --region eu-west-1
expect_resp "Support is signed for us-east-1" "HTTP/1.1 403" 'InvalidSignatureException'
http POST /_control/case $J "{\"caseId\":\"$CASE\",\"status\":\"resolved\"}"
support DescribeCases "{\"caseIdList\":[\"$CASE\"]}"
expect_resp "resolved cases are left out by default" "HTTP/1.1 200" '"cases":[]'
support DescribeCases "{\"caseIdList\":[\"$CASE\"],\"includeResolvedCases\":true}"
expect_resp "unless asked for" '"status":"resolved"'
support DescribeCases '{"caseIdList":["case-nosuch"]}'
expect_resp "an unknown case" "HTTP/1.1 400" 'CaseIdNotFound'

# 7. Azure AD: the secret decides; v1 answers strings, v2 numbers.
TOKEN_FORM='grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&client_secret='
PC_SCOPE='scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default'
http POST /contoso.onmicrosoft.com/oauth2/v2.0/token application/x-www-form-urlencoded "${TOKEN_FORM}wrong-secret&$PC_SCOPE"
expect_resp "a wrong secret" "HTTP/1.1 401" '"error":"invalid_client"' 'AADSTS7000215' '"error_codes":[7000215]'
http POST /contoso.onmicrosoft.com/oauth2/v2.0/token application/x-www-form-urlencoded "${TOKEN_FORM}s3cret&$PC_SCOPE"
expect_resp "a v2 token" "HTTP/1.1 200" '"token_type":"Bearer"' '"expires_in":3' '"access_token":"fake-token-1"'
http POST /contoso.onmicrosoft.com/oauth2/token application/x-www-form-urlencoded "${TOKEN_FORM}s3cret&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com"
expect_resp "a v1 token" "HTTP/1.1 200" '"expires_in":"3"' '"access_token":"fake-token-2"'
http POST /contoso.onmicrosoft.com/oauth2/token application/x-www-form-urlencoded "grant_type=password&client_id=x"
expect_resp "an unsupported grant" "HTTP/1.1 400" '"error":"unsupported_grant_type"'

# 8. Partner Center: bearer tokens, one throttle, idempotent MS-RequestId, errors.
CUST=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
SUB=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789
ENTS="/v1/customers/$CUST/subscriptions/$SUB/azureEntitlements"
PCH=('Authorization: Bearer fake-token-2' 'MS-Contract-Version: v1' 'MS-CorrelationId: corr-0001')
http GET "$ENTS" $J '' "${PCH[@]}"
expect_resp "the list" "HTTP/1.1 200" '"totalCount":1' '"id":"ent-0001"' '"status":"active"'
http GET "$ENTS" $J ''
expect_resp "no token" "HTTP/1.1 401" '"code":401'
http GET "$ENTS" $J '' 'Authorization: Bearer fake-token-99'
expect_resp "a token never granted" "HTTP/1.1 401"
R='{"cancellationReason":"compromise"}'
http POST "$ENTS/ent-0001/cancel" $J "$R" "${PCH[@]}" 'MS-RequestId: req-0001'
expect_resp "throttled (--throttle cancel:1)" "HTTP/1.1 429" 'Retry-After: 1'
http POST "$ENTS/ent-0001/cancel" $J "$R" "${PCH[@]}" 'MS-RequestId: req-0001'
expect_resp "cancelled" "HTTP/1.1 200" '"status":"active"' 'MS-RequestId: req-0001' \
    'MS-CorrelationId: corr-0001'
http POST "$ENTS/ent-0001/cancel" $J "$R" "${PCH[@]}" 'MS-RequestId: req-0001'
expect_resp "the same MS-RequestId: the same answer" "HTTP/1.1 200" '"status":"active"'
http POST "$ENTS/ent-0001/cancel" $J '{"cancellationReason":"boredom"}' "${PCH[@]}" 'MS-RequestId: req-0002'
expect_resp "an invalid reason" "HTTP/1.1 400" '"code":900307' '"source":"PartnerFD"'
http POST "$ENTS/ent-0001/cancel" $J '' "${PCH[@]}" 'MS-RequestId: req-0003'
expect_resp "no content" "HTTP/1.1 400" '"code":800002' 'content is required'
http POST "/v1/customers/not-a-guid/subscriptions/$SUB/azureEntitlements/ent-0001/cancel" $J "$R" "${PCH[@]}"
expect_resp "a customer id that is no GUID" "HTTP/1.1 400" '"code":800002' 'GUID format'
http POST "/v1/customers/00000000-0000-0000-0000-000000000001/subscriptions/$SUB/azureEntitlements/ent-0001/cancel" $J "$R" "${PCH[@]}"
expect_resp "a customer of another partner" "HTTP/1.1 403" '"code":900159' 'no commerce relationship'
http POST "$ENTS/ent-9999/cancel" $J "$R" "${PCH[@]}"
expect_resp "an unknown entitlement" "HTTP/1.1 404" '"code":800111'
http GET /_control/stats $J ''
expect_resp "one cancel, one replay, grants counted" '"cancels":1' '"replayed":1' '"token_grants":2' \
    '"cancel_calls":8'
sleep 1.2                         # --azure-delay 1
http GET "$ENTS/ent-0001" $J '' "${PCH[@]}"
expect_resp "inactive after --azure-delay" "HTTP/1.1 200" '"status":"inactive"'
sleep 2                           # --token-lifetime 3, granted more than a second ago
http GET "$ENTS/ent-0001" $J '' "${PCH[@]}"
expect_resp "an expired token" "HTTP/1.1 401"

# 9. The log: one line per request, the fields the tests grep for, never a secret.
http GET /no/such/path $J ''
expect_resp "an unknown path" "HTTP/1.1 404"
stop_fake TERM
if [ "$FAKE_RC" -eq 0 ]; then pass; else fail "SIGTERM must exit 0, not $FAKE_RC"; fi
expect_file "SIGTERM is reported" "$WORK/out" 1 'fake_market: signalled; stats {'
L="$WORK/log"
N=$(wc -l <"$L")
if [ "$N" -eq "$SENT" ]; then pass; else fail "$SENT requests sent, $N log lines"; fi
expect_file "bad signatures are logged" "$L" 5 '"sig_ok":false'
expect_file "tok-1 is on each of its calls" "$L" 4 '"client_token":"tok-1"'
expect_file "throttles are logged" "$L" 2 '"operation":"SendAgreementCancellationRequest","status":429'
expect_file "bodies are logged as JSON" "$L" 1 '"body":{"agreementId":"agmt-nosuch"}'
expect_file "Partner Center headers are logged" "$L" 3 '"ms_request_id":"req-0001","ms_correlation_id":"corr-0001","ms_contract_version":"v1"'
expect_file "the replay is marked" "$L" 1 '"replayed":true'
expect_file "token grants are logged" "$L" 4 '"service":"aad","operation":"token"'
expect_file "client secrets are redacted" "$L" 3 '"client_secret":"<redacted>"'
expect_file "no client secret" "$L" 0 's3cret'
expect_file "no wrong secret either" "$L" 0 'wrong-secret'
expect_file "no Authorization value" "$L" 0 'AWS4-HMAC-SHA256'
expect_file "no bearer token" "$L" 0 'Bearer'
expect_file "unknown paths are logged" "$L" 1 '"service":"http","operation":"/no/such/path","status":404'

# 10. No support plan; and --timeout ends the fake by itself, with 0.
if start_fake --timeout 2 --no-support-plan; then
    support CreateCase '{"subject":"s","communicationBody":"b"}'
    expect_resp "no support plan" "HTTP/1.1 400" 'SubscriptionRequiredException'
    stop_fake
    if [ "$FAKE_RC" -eq 0 ]; then pass; else fail "--timeout must exit 0, not $FAKE_RC"; fi
    expect_file "the timeout is reported" "$WORK/out" 1 'fake_market: timed out; stats {'
else
    fail "the fake did not start for the timeout test: $(cat "$WORK/err")"
fi

finish
