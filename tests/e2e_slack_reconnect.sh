# Connections come and go without losing anything: Slack asks for a refresh in the
# middle of the flow (a new connection is opened first and the old one closed only
# after the new one's hello), then the socket drops without a close frame and the bot
# reconnects by itself with a new apps.connections.open.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE 'aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"')
wait ack e1
wait api chat.postEphemeral Confirm
disconnect refresh_requested
wait api apps.connections.open
wait connect
wait close
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait ack e2
wait api chat.postMessage Waiting for finance
drop
wait 15 api apps.connections.open
wait 15 connect
send $(click e3 U0FIN1 approve CR-1 1700000000.000200)
wait ack e3
wait api chat.postMessage Submitted
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
expect_log 3 '"method":"apps.connections.open"' "first, refresh, after the drop"
expect_log 3 '"kind":"connect"'
expect_log 3 '"kind":"ack"'
expect_log 1 'Submitted to AWS Marketplace as cancellation request acr-'
expect_fast_acks
OUT="$BOT_ERR"
expect "disconnect (refresh_requested)"
expect "replaced by"
expect "reconnecting in"
finish
