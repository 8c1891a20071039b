# Approvers named by a Slack user group: the bot reads the group's members
# (usergroups.users.list) and a member approves; the App Home tab shows the requester
# their open request and shows an approver what waits for them.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

printf '{"approvers": {"users": ["U0FIN1", "U0FIN2"], "usergroup": "S0FINANCE"}}' >"$WORK/policy.json"

cat >"$WORK/script" <<IN
wait api auth.test
wait api usergroups.users.list S0FINANCE
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
send $(home e3 Ev3 U0ALICE)
wait api views.publish U0ALICE
send $(home e4 Ev4 U0FIN1)
wait api views.publish U0FIN1
send $(click e5 U0FIN3 approve CR-1 1700000000.000200)
wait api chat.postMessage Approved by
wait api chat.postMessage Submitted
quit
IN
run_slack "$WORK/script" CANCELBOT_CONFIG="$WORK/policy.json"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_log 1 '"usergroup":"S0FINANCE"'
expect_log 1 '"text":"Approved by <@U0FIN3> (1 of 1)."' "a group member approves"
expect_log 2 '"method":"views.publish"'
n=$(grep -F '"method":"views.publish"' "$LOG" | grep -cF 'CR-1')
if [ "$n" -eq 2 ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: App Home should show CR-1 to the requester and to the approver (saw it $n times)"
    FAILURES=$((FAILURES + 1))
fi
OUT="$BOT_ERR"
expect "approver group S0FINANCE has 1 member(s)"
finish
