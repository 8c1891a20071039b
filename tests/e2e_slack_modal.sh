# /cancel with no arguments opens the form at once (a trigger_id lives 3 s); a
# submission with a vague note is refused under the note field, keeping the form
# open; a good one goes on to the requester's verification, like the typed command.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

submission() {    # submission ENVELOPE_ID NOTE
    printf '{"envelope_id":"%s","type":"interactive","accepts_response_payload":true,"payload":{"type":"view_submission","user":{"id":"U0ALICE"},"team":{"id":"T0TEAM"},"trigger_id":"trig-%s","view":{"id":"V0001","callback_id":"cancel_form","private_metadata":"C0CANCELS","state":{"values":{"market":{"market":{"type":"static_select","selected_option":{"value":"aws"}}},"agreement":{"agreement":{"type":"plain_text_input","value":"agmt-1a2b3c4d5e6f7g8h9i0j"}},"reason":{"reason":{"type":"static_select","selected_option":{"value":"REPLACING_AGREEMENT"}}},"note":{"note":{"type":"plain_text_input","value":"%s"}},"case":{"case":{"type":"plain_text_input","value":null}}}}}}}' "$1" "$1" "$2"
}

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "")
wait ack e1
wait api views.open cancel_form
send $(submission e2 "no longer needed")
wait ack e2
send $(submission e3 'Replacing with private offer offer-9x8y7w6v5u4t, \"ref\" ZD-778')
wait ack e3
wait api chat.postEphemeral Confirm
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_log 1 '"method":"views.open"'
expect_log 1 '"trigger_id":"trig-e1"' "the slash command's trigger"
expect_log 1 '"response_action":"errors","errors":{"note":' "the vague note refused under its field"
expect_log 1 'Replacing with private offer offer-9x8y7w6v5u4t, \"ref\" ZD-778' "quotes survive the form"
expect_fast_acks
finish
