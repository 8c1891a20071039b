# The whole flow in Slack against a local fake: /cancel help, the request, the
# requester's confirmation, finance's approval (delivered twice: counted once), a
# thread reply that Slack rate-limits (delivered once, after Retry-After), the
# submission with the buyer link; every envelope acked well inside 3 s.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "help")
wait ack e1
send $(slash e1b U0ALICE "aws agmt-1 reason=nonsense")
wait ack e1b
send $(slash e2 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e2
wait api chat.postEphemeral Confirm
send $(click e3 U0ALICE confirm CR-1 1700000000.000200)
wait ack e3
wait api chat.postMessage Waiting for finance
fail chat.postMessage 1 429 1
wait api chat.postMessage asked for CR-1
wait api chat.postMessage asked for CR-1
send $(click e4 U0FIN1 approve CR-1)
wait ack e4
send $(click e4 U0FIN1 approve CR-1)
wait ack e4
wait api chat.postMessage Submitted
sleep 300
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
expect_log 1 '"method":"auth.test"'
expect_log 1 '"method":"apps.connections.open","token_prefix":"xapp"'
expect_log 1 '"kind":"ack","conn":1,"envelope_id":"e1","latency_ms"' "help answered in the ack"
expect_log 1 'not a refund' "the help text, in the ack's payload"
expect_log 1 'reason: \"nonsense\" is not a reason code' "a bad command answered in the ack"
expect_log 1 '"action_id":"confirm"' "the verify prompt's Confirm button"
expect_log 1 '"action_id":"approve"' "the card's Approve button"
expect_log 1 '"status":429' "the rate-limited reply"
expect_log 2 'asked for CR-1' "429 then the retry"
expect_log 1 '"text":"Approved by <@U0FIN1> (1 of 1)."' "the duplicate envelope counted once"
expect_log 1 'Submitted to AWS Marketplace as cancellation request acr-'
expect_log 2 'https://console.aws.amazon.com/marketplace/home#/agreements/agmt-1a2b3c4d5e6f7g8h9i0j' "the buyer link in the thread and on the card"
expect_log 6 '"kind":"ack"'
expect_log 0 'xoxb-test' "no token in anything sent"
expect_fast_acks
OUT="$BOT_ERR"
expect_not "xoxb-test" "no token in the bot's log"
expect_not "xapp-1-test" "no token in the bot's log"
expect "slack: stopped after"
finish
