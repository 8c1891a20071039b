# Finance in Slack: a reaction by someone who is not an approver is refused with an
# explanation only they see; Reject asks for a reason in a form; the form's answer
# rejects; a stale click on the decided card is answered with the current state; an
# approver's reaction approves another request.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api chat.postMessage Waiting for finance
send $(reaction e3 Ev003 U0BOB white_check_mark {{ts}})
wait api chat.postEphemeral Only finance approvers
send $(click e4 U0FIN1 reject CR-1 1700000000.000200)
wait api views.open reject_form
send {"envelope_id":"e5","type":"interactive","accepts_response_payload":true,"payload":{"type":"view_submission","user":{"id":"U0FIN1"},"team":{"id":"T0TEAM"},"trigger_id":"trig-e5","view":{"id":"V0001","callback_id":"reject_form","private_metadata":"CR-1|C0CANCELS","state":{"values":{"note":{"note":{"type":"plain_text_input","value":"Invoice 2026-10 still open; refund it first"}}}}}}}
wait ack e5
wait api chat.postMessage Rejected by
send $(click e6 U0FIN2 approve CR-1 1700000000.000200)
wait api chat.postEphemeral already rejected
send $(slash e7 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note")
wait api chat.postEphemeral Confirm
send $(click e8 U0ALICE confirm CR-2 1700000000.000700)
wait api chat.postMessage Waiting for finance
send $(reaction e9 Ev009 U0FIN2 white_check_mark {{ts}})
wait api chat.postMessage Approved by
wait api chat.postMessage Submitted
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
expect_log 1 '"user":"U0BOB","text":"Only finance approvers can approve CR-1; your approval was not counted."'
expect_log 1 '"callback_id":"reject_form"'
expect_log 1 'Rejected by <@U0FIN1>: Invoice 2026-10 still open; refund it first.'
expect_log 1 'CR-1 is already rejected by finance; approvals are closed.'
expect_log 1 '"text":"Approved by <@U0FIN2> (1 of 1)."'
expect_fast_acks
finish
