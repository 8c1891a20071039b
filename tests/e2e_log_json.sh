# JSON logs of a whole Slack flow at debug level, with the real AWS and Azure
# providers against the local fakes and every secret given the ways a service gets
# them (NAME_FILE files and plain variables): every stderr line is one JSON object
# with time, level and msg; lines about a request, an envelope and a marketplace call
# carry its ids (CR-n, the envelope id, x-amzn-RequestId, MS-CorrelationId); no
# secret appears anywhere in what the bot wrote. Then what start-up refuses:
# CANCELBOT_LOG_FORMAT outside text|json, NAME and NAME_FILE both set, an unreadable
# secret file.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

command -v jq >/dev/null || { echo "FAIL: jq is not installed"; exit 1; }

BOT_TOKEN=xoxb-e2e-json-bot-token-0123456789
APP_TOKEN=xapp-1-A0JSON-123-e2e-app-token-abcdef
AWS_KEY_ID=AKIDEXAMPLE                               # the fake's (tests/fake_market_int.h)
AWS_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
AWS_TOKEN=e2eSessionTokenFwoGZXIvYXdzEJr0123456789
AZURE_SECRET=s3cret
PG_PASSWORD=e2e-pg-password-hunter2
printf '%s\n' "$BOT_TOKEN" >"$WORK/bot_token"
printf '%s\n' "$AWS_SECRET" >"$WORK/aws_secret"
printf '%s' "$AZURE_SECRET" >"$WORK/azure_secret"
chmod 600 "$WORK"/bot_token "$WORK"/aws_secret "$WORK"/azure_secret

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
printf '{"providers": {"aws": "aws", "azure": "azure"}, "aws": {"accounts": {"default": {"region": "us-east-1"}}}}' >"$WORK/policy.json"
start_market
note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
ids='customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789'

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait ack e1
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000200)
wait ack e2
wait api chat.postMessage Waiting for finance
send $(click e3 U0FIN1 approve CR-1)
wait ack e3
wait api chat.postMessage Submitted
send $(slash e4 U0ALICE "aws agmt-0000000000000000unknown reason=replacing $note")
wait api chat.postEphemeral Could not look up agmt-0000000000000000unknown
send $(slash e5 U0ALICE "azure $ids entitlement=ent-9999 reason=compromise note=\\\"Subscription compromised: unknown deployments\\\"")
wait api chat.postEphemeral Could not look up ent-9999
quit
IN
start_fake "$WORK/script" 60
env CANCELBOT_LOG_FORMAT=json CANCELBOT_LOG_LEVEL=debug \
    SLACK_BOT_TOKEN_FILE="$WORK/bot_token" SLACK_APP_TOKEN="$APP_TOKEN" \
    SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/" \
    AWS_ACCESS_KEY_ID="$AWS_KEY_ID" AWS_SECRET_ACCESS_KEY_FILE="$WORK/aws_secret" \
    AWS_SESSION_TOKEN="$AWS_TOKEN" AWS_REGION=us-east-1 \
    AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_SUPPORT="http://127.0.0.1:$PORT" \
    AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555 \
    AZURE_CLIENT_ID=66666666-7777-8888-9999-aaaaaaaaaaaa \
    AZURE_CLIENT_SECRET_FILE="$WORK/azure_secret" \
    AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT" PARTNER_CENTER_URL="http://127.0.0.1:$PORT" \
    PGPASSWORD="$PG_PASSWORD" \
    "$CANCELBOT" run --db "$DB" --config "$WORK/policy.json" >"$BOT_OUT" 2>"$BOT_ERR" &
BPID=$!
finish_fake_and_bot 0.3
expect_rc 0 "$FAKE_RC" "the fake's script: the flow went through"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
expect_mlog 0 '"sig_ok":false' "the file's AWS secret key signs every call"

# jq_count FILTER: lines of the bot's stderr for which FILTER (on the parsed line) is
# true; a line that is not JSON counts as false.
jq_count() {
    jq -R "try (fromjson | if ($1) then 1 else 0 end) catch 0" "$BOT_ERR" | grep -c '^1$'
}
expect_lines() {     # expect_lines MIN FILTER "what"
    local n
    n=$(jq_count "$2")
    if [ "$n" -ge "$1" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected at least $1 log line(s) where $2 ($3; saw $n)"
        FAILURES=$((FAILURES + 1))
    fi
}
total=$(wc -l <"$BOT_ERR")
shaped='type == "object" and (.time | type == "string" and
        test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$"))
        and (.level | IN("error", "warn", "info", "debug")) and (.msg | type == "string")'
good=$(jq_count "$shaped")
echo "bot stderr: $total line(s), $good shaped JSON"
if [ "$total" -ge 20 ] && [ "$good" -eq "$total" ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: every stderr line must be a JSON object with time, level and msg"
    jq -R "try (fromjson | if ($shaped) then empty else . end) catch ." "$BOT_ERR" | head -5
    FAILURES=$((FAILURES + 1))
fi
expect_lines 1 '.level == "debug"' "debug lines are written"
expect_lines 3 '.request_id == "CR-1"' "lines about the request carry its id"
expect_lines 1 '.envelope_id == "e1"' "a line about an envelope carries its id"
expect_lines 1 '(.aws_request_id // "") | test("^fa4e0000-")' \
    "the failed AWS look-up names AWS's request id"
expect_lines 1 '(.ms_correlation_id // "") | test("^[0-9a-f]{8}-[0-9a-f]{4}-")' \
    "the failed Partner Center look-up names its correlation id"
expect_lines 1 '(.ms_request_id // "") | test("^[0-9a-f]{8}-")' \
    "and its request id"

cat "$BOT_OUT" "$BOT_ERR" >"$OUT"
for s in "$BOT_TOKEN" "$APP_TOKEN" "$AWS_KEY_ID" "$AWS_SECRET" "$AWS_TOKEN" "$AZURE_SECRET" \
         "$PG_PASSWORD"; do
    expect_not "$s" "a secret in the bot's output"
done
OUT="$LOG"
expect_not "$BOT_TOKEN" "nor in what reached Slack"

# ---- what start-up refuses ----
CANCELBOT_LOG_FORMAT=yaml "$CANCELBOT" run --db "$DB" </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run with CANCELBOT_LOG_FORMAT=yaml"
expect 'CANCELBOT_LOG_FORMAT="yaml" is not known; accepted: text, json'
CANCELBOT_LOG_FORMAT=yaml "$CANCELBOT" check-config >"$OUT" 2>&1
expect_rc 2 $? "check-config with CANCELBOT_LOG_FORMAT=yaml"
expect 'CANCELBOT_LOG_FORMAT="yaml" is not known; accepted: text, json'
SLACK_BOT_TOKEN=xoxb-env SLACK_BOT_TOKEN_FILE="$WORK/bot_token" "$CANCELBOT" check-config \
    >"$OUT" 2>&1
expect_rc 2 $? "a token given twice"
expect "both SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are set; set only one"
mkdir -p "$WORK/unreadable"
AWS_SECRET_ACCESS_KEY_FILE="$WORK/unreadable" "$CANCELBOT" run --db "$DB" </dev/null \
    >"$OUT" 2>&1
expect_rc 2 $? "a secret file that cannot be read"
expect "AWS_SECRET_ACCESS_KEY_FILE: cannot read $WORK/unreadable: Is a directory"
CANCELBOT_DATABASE_URL_FILE="$WORK/missing" "$CANCELBOT" migrate >"$OUT" 2>&1
expect_rc 2 $? "a missing secret file"
expect "CANCELBOT_DATABASE_URL_FILE: cannot read $WORK/missing: No such file or directory"

# ---- what start-up refuses, in JSON: every line an object, the sentence in "msg" ----
all_json() {         # all_json FILE "what": every line of FILE is a JSON error object
    local bad
    bad=$(jq -R 'try (fromjson | if .level == "error" and (.msg | type) == "string" and .time
                                 then empty else . end) catch .' "$1" | head -3)
    if [ -s "$1" ] && [ -z "$bad" ]; then PASSES=$((PASSES + 1)); else
        echo "FAIL: $2: not every line is a JSON error line: ${bad:-(no output)}"
        FAILURES=$((FAILURES + 1)); fi
}
CANCELBOT_LOG_FORMAT=json "$CANCELBOT" run --db "$DB" </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run without tokens or a terminal, JSON logs"
all_json "$OUT" "run without tokens"
expect '"msg":"SLACK_APP_TOKEN and SLACK_BOT_TOKEN are not set and standard input is not a terminal'
printf '{"approvers": {"users": [1]}, "colour": "red"}' >"$WORK/bad_policy.json"
CANCELBOT_LOG_FORMAT=json SLACK_APP_TOKEN=$APP_TOKEN SLACK_BOT_TOKEN=$BOT_TOKEN     "$CANCELBOT" run --db "$DB" --config "$WORK/bad_policy.json" </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run with a broken policy, JSON logs"
all_json "$OUT" "a broken policy"
expect '"msg":"$.approvers.users[0]: expected a Slack user id'
expect '"msg":"$.colour: unknown field; accepted:'
CANCELBOT_LOG_FORMAT=json "$CANCELBOT" run --bogus >"$OUT" 2>&1
expect_rc 2 $? "run with an unknown option, JSON logs"
all_json "$OUT" "an unknown option"
expect '"msg":"unknown option \"--bogus\"; accepted options: --config'
CANCELBOT_LOG_FORMAT=json SLACK_APP_TOKEN=$BOT_TOKEN SLACK_BOT_TOKEN=$BOT_TOKEN     "$CANCELBOT" run --db "$DB" </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run with the bot token as the app token, JSON logs"
all_json "$OUT" "a token of the wrong kind"
expect '"msg":"SLACK_APP_TOKEN must be an app-level token (xapp-...)'
expect_not "$BOT_TOKEN" "the token in a refusal"
# the same refusals stay plain sentences in text
SLACK_APP_TOKEN=$APP_TOKEN SLACK_BOT_TOKEN=$BOT_TOKEN \
    "$CANCELBOT" run --db "$DB" --config "$WORK/bad_policy.json" </dev/null >"$OUT" 2>&1
expect "cancelbot: $WORK/bad_policy.json: The policy file has problems"
expect '$.colour: unknown field; accepted:'
stop_market
finish
