# /cancel export in Slack: a requester who is not an exporter is refused, with who may
# export, and nothing is uploaded; an approver (exporters absent: approvers export)
# gets a CSV file in a direct message, through Slack's external upload, with one row
# per entitlement of a request naming two, and names next to the ids.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

CUSTOMER=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
SUBSCRIPTION=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "azure customer=$CUSTOMER subscription=$SUBSCRIPTION entitlement=ent-0001,ent-0004 reason=compromise note=\\\"Subscription compromised: unknown deployments in eastus\\\"")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
send $(click e3 U0FIN1 approve CR-1 1700000000.000100)
wait api chat.postMessage ent-0004 (2 of 2)
send $(slash e4 U0ALICE "export")
wait ack e4
send $(slash e5 U0FIN1 "export")
wait ack e5
wait api files.completeUploadExternal
sleep 300
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"

# The refusal, in the ack of e4, names who may export; nothing is uploaded for it.
expect_log 1 '"envelope_id":"e4","latency_ms"' "e4 acked"
expect_log 1 'only <@U0FIN1> and <@U0FIN2> may export it (the approvers)' "the refusal says who may"
expect_log 1 '"method":"conversations.open"' "one DM opened: the exporter's"
expect_log 1 '"users":"U0FIN1"' "the DM is with the exporter"
expect_log 1 'Preparing your export' "the exporter's ack"
expect_log 1 '"method":"files.getUploadURLExternal"'
expect_log 1 '"filename":"cancelbot-export-'
expect_log 1 '"kind":"upload"'
expect_log 1 '"channel_id":"DU0FIN1"' "shared in the exporter's DM"

# The file: one, of the announced length, RFC 4180 line ends, a row per entitlement.
CSV=$(ls "$FILES"/* 2>/dev/null)
if [ "$(echo "$CSV" | grep -c .)" -eq 1 ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: expected exactly one uploaded file, saw: ${CSV:-none}"
    FAILURES=$((FAILURES + 1))
fi
expect_log 1 "\"length\":\"$(stat -c %s "$CSV" 2>/dev/null)\"" "the announced length is the file's"
expect_log 1 "\"files\":[{\"id\":\"$(basename "$CSV")\"" "the uploaded file is the one completed"
OUT="$CSV"
expect_count 3 $'\r' "header and two rows, each ending in CRLF"
expect "id,kind,market,account,state,agreement_id,"
expect_count 2 "CR-1,cancel,azure,default,submitted,ent-0001,$CUSTOMER,$SUBSCRIPTION," "the request's cells on each row"
expect_count 1 ",USD,1,2,ent-0001,active,$CUSTOMER/$SUBSCRIPTION/ent-0001,Acme Observability Platform for Azure,3600.00,USD,submitted,compromise," "the first entitlement's row"
expect_count 1 ",USD,2,2,ent-0004,active,$CUSTOMER/$SUBSCRIPTION/ent-0004,Acme Analytics for Azure,1200.00,USD,submitted,compromise," "the second entitlement's row"
expect_count 2 ",U0ALICE,Name of U0ALICE,C0CANCELS,U0FIN1@" "the requester's name next to the id"
expect_count 2 "Z,Name of U0FIN1," "the approver's name"

# An "exporters" list replaces the default: the approver is refused now, the listed
# user is answered; a missing scope is told to them with the fix.
printf '{"exporters": ["U0AUDIT"]}' >"$WORK/policy.json"
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e6 U0FIN1 "export")
wait ack e6
error files.getUploadURLExternal 1 missing_scope
send $(slash e7 U0AUDIT "export since=2026-01-01")
wait ack e7
wait api chat.postEphemeral lacks the scope
quit
IN
run_slack "$WORK/script" CANCELBOT_CONFIG="$WORK/policy.json"
expect_rc 0 "$FAKE_RC" "the fake's script (exporters listed)"
expect_log 1 'only <@U0AUDIT> may export it; ask an admin to add you to' "the approver is not an exporter now"
expect_log 1 '"users":"U0AUDIT"' "the DM opened is the exporter's"
expect_log 1 '"error":"missing_scope"'
expect_log 1 'Slack refused files.getUploadURLExternal because the app lacks the scope files:write. An admin must add it' "the fix, told to the exporter"
expect_log 1 '"channel":"C0CANCELS","user":"U0AUDIT"' "told to them alone (ephemeral)"
expect_log 0 '"kind":"upload"' "nothing uploaded"
finish
