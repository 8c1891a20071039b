# Notifications that reach people, and only them: the approvers' user group is
# mentioned in Slack's syntax (<!subteam^ID>, which notifies its members), while
# markup a requester types into a note (<!channel>, <@U...>) reaches Slack as plain
# words and pings nobody. A member of the approver group (not named in the policy)
# sees the request waiting in App Home, and approves with a reaction on the thread
# reply that asked finance, not on the card.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

printf '{"approvers": {"users": ["U0FIN1", "U0FIN2"], "usergroup": "S0FINANCE"}}' >"$WORK/policy.json"

cat >"$WORK/script" <<IN
wait api auth.test
wait api usergroups.users.list S0FINANCE
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t <!channel> ask <@U0BOSS>\"')
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
wait api chat.postMessage It needs 1 approval
send $(home e3 Ev3 U0FIN3)
wait api views.publish U0FIN3
send $(reaction e4 Ev4 U0FIN3 white_check_mark {{ts}})
wait api chat.postMessage Approved by
wait api chat.postMessage Submitted
quit
IN
run_slack "$WORK/script" CANCELBOT_CONFIG="$WORK/policy.json"
expect_rc 0 "$FAKE_RC" "the fake's script"
# The reaction above names the thread reply asking finance by the ts the fake answered
# it with ({{ts}}: the last matched call's), whatever order the bot's calls came in.
expect_log 1 '(<@U0FIN1>, <@U0FIN2>, <!subteam^S0FINANCE>)' "the user group mentioned in Slack's syntax"
expect_log 0 '&lt;!subteam' "the group mention is not escaped"
expect_log 0 '<!channel>' "a typed broadcast does not reach Slack as markup"
expect_log 0 '<@U0BOSS>' "a typed mention does not reach Slack as markup"
expect_log 0 '&lt;!channel&gt;' "nor escaped markup (Slack would show it, and it reads as a ping)"
n=$(grep -F '"method":"chat.postMessage"' "$LOG" | grep -cF 'offer-9x8y7w6v5u4t @channel ask @U0BOSS')
expect_rc 1 "$([ "$n" -ge 1 ] && echo 1 || echo 0)" "the note reads as plain words on the card"
n=$(grep -F '"method":"views.publish"' "$LOG" | grep -F 'U0FIN3' | grep -cF 'CR-1')
expect_rc 1 "$n" "App Home of a user-group approver lists the request waiting for them"
expect_log 1 '"text":"Approved by <@U0FIN3> (1 of 1)."' "a reaction on the thread reply approves"
finish
