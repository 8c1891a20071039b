# The verify step cannot be lost: Confirm and Discard replace the preview through
# the click's response_url (replace_original, no token sent); a second Confirm's
# refusal replaces it too; a preview Slack refuses (user_not_in_channel) comes by DM
# with the fix; an unconfirmed draft is in App Home and /cancel list mine with a
# Confirm that works; a card Slack refuses (not_in_channel) is told to the
# requester by DM with the fix, once.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

home_click() {   # home_click ENVELOPE_ID USER ACTION REQUEST: a button in App Home (no response_url)
    printf '{"envelope_id":"%s","type":"interactive","accepts_response_payload":false,"payload":{"type":"block_actions","user":{"id":"%s"},"team":{"id":"T0TEAM"},"container":{"type":"view","view_id":"V0HOME"},"view":{"id":"V0HOME","type":"home"},"trigger_id":"trig-%s","actions":[{"action_id":"%s","block_id":"home","value":"%s","type":"button","action_ts":"1700000400.000100"}]}}' "$1" "$2" "$1" "$3" "$4"
}
NOTE='reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'

cat >"$WORK/script" <<IN
wait api auth.test
wait connect
send $(slash e1 U0ALICE "aws agmt-1a2b3c4d5e6f7g8h9i0j $NOTE")
wait api chat.postEphemeral Confirm CR-1
send $(click e2 U0ALICE confirm CR-1 1700000000.000100)
wait api response_url Confirmed: CR-1 is waiting for finance approval in the thread.
wait api chat.postMessage Waiting for finance
send $(click e3 U0ALICE confirm CR-1 1700000000.000101)
wait api response_url CR-1 is already waiting for finance approval; nothing to confirm.
send $(slash e4 U0ALICE "aws agmt-big0000000000000001 $NOTE")
wait api chat.postEphemeral Confirm CR-2
send $(click e5 U0ALICE discard CR-2 1700000000.000200)
wait api response_url Discarded: CR-2. Nothing was sent to finance or the marketplace.
refuse chat.postEphemeral C0CANCELS user_not_in_channel
send $(slash e6 U0BOB "aws agmt-1a2b3c4d5e6f7g8h9i0j $NOTE")
wait api conversations.open U0BOB
wait api chat.postMessage "channel":"DU0BOB"
send $(home e7 Ev7 U0BOB)
wait api views.publish CR-3
send $(slash e8 U0BOB "list mine")
wait ack e8
send $(home_click e9 U0BOB confirm CR-3)
wait ack e9
wait api chat.postMessage asked for CR-3
wait api views.publish U0BOB
refuse chat.postMessage C0CANCELS not_in_channel
send $(slash e10 U0CAROL "aws agmt-big0000000000000001 $NOTE")
wait api chat.postMessage "channel":"DU0CAROL"
send $(click e11 U0CAROL confirm CR-4 1700000000.000400)
wait api response_url Confirmed: CR-4
wait api chat.postMessage Slack refused the card of CR-4
sleep 500
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly on SIGTERM"
# a. the preview is replaced, as Slack documents it, and no token goes to the URL
expect_log 1 '"authorization":false,"status":200,"answer":"ok","body":{"response_type":"ephemeral","replace_original":true,"text":"Confirmed: CR-1 is waiting for finance approval in the thread."' "Confirm replaces the preview"
expect_log 1 '"replace_original":true,"text":"Discarded: CR-2.' "Discard replaces the preview"
expect_log 1 '"replace_original":true,"text":"CR-1 is already waiting for finance approval; nothing to confirm."' "a refusal replaces it too"
expect_log 0 '"authorization":true' "response_url never gets a token"
expect_log 0 'hooks.slack.com/commands' "the slash command's URL is not the fake's: never used"
# b. the preview Slack would not show goes by DM, with why and the fix
both() {         # both P1 P2: the fake's log lines holding both
    grep -F -- "$1" "$LOG" | grep -F -- "$2" >"$WORK/both"
    OUT="$WORK/both"
}
both '"method":"chat.postEphemeral"' '"error":"user_not_in_channel"'
expect 'Confirm CR-3 or Discard it.' "the ephemeral preview of CR-3 refused"
both '"channel":"DU0BOB","text":"Please verify this agreement' '"action_id":"confirm"'
expect_count 1 'This came here, in private, because I could not show it to you in the channel: you are not a member of <#C0CANCELS>, and Slack shows my private messages there only to its members. Fix: join <#C0CANCELS>' "CR-3's preview by DM with its buttons, saying why and the fix"
OUT="$LOG"
# c. the unconfirmed draft in App Home and /cancel list mine, with Confirm
expect_log 1 '"text":"*CR-3* · draft\nAgreement agmt-1a2b3c4d5e6f7g8h9i0j · requested by <@U0BOB>"},"accessory":{"type":"button","action_id":"confirm"' "App Home: the draft with its Confirm"
expect_log 1 '"envelope_id":"e8","latency_ms"' "list mine acked"
expect_log 1 'CR-3 is a draft waiting for you: verify it, then Confirm or Discard it.' "list mine offers the draft"
OUT="$LOG"
expect_count 1 '"kind":"ack","conn":1,"envelope_id":"e8"' "list mine acked once"
grep -F '"envelope_id":"e8"' "$LOG" | grep -F '"kind":"ack"' >"$WORK/ack8"
OUT="$WORK/ack8"
expect '"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"Your requests, newest first' "the ack leads with the list"
expect '"action_id":"confirm"' "and carries the draft's Confirm button"
OUT="$LOG"
expect '"method":"views.publish"' "App Home published"
# the Home click confirmed CR-3 and Home was shown again
expect_count 1 'asked for CR-3' "the Home Confirm works the same"
# b (more). the card refused: the requester told by DM, once
expect_count 1 'Slack refused the card of CR-4 in <#C0CANCELS>: I am not a member of <#C0CANCELS>. Fix: invite <@U0BOT> to <#C0CANCELS> (type /invite <@U0BOT> there).' "told once, with the fix"
expect_count 0 'Slack refused a thread reply of CR-4' "the refused thread reply adds no second notice"
expect_log 0 'xoxb-test' "no token in anything sent"
expect_fast_acks
finish
