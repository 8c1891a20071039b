# Bad input gets an error naming the field and what is accepted, and changes nothing.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="cancellation requested"
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="no longer needed"
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=because note="Replacing with private offer offer-9x8y"
/cancel aws agmt-zzzz reason=replacing note="Replacing with private offer offer-9x8y"
/cancel gcp agmt-1 reason=replacing note="Replacing with private offer offer-9x8y"
/cancel aws buyer=123456789012
/cancel status CR-99
/cancel help
/cancel
click CR-1
clock -3d
as alice
frobnicate
IN
expect_rc 0 "$SHELL_RC" "shell"
expect 'note: "cancellation requested" is too vague'
expect 'note: "no longer needed" is too vague'
expect 'e.g. note="Replacing with private offer offer-9x8y, buyer ref ZD-778"' "a hint with a good example"
expect 'reason: "because" is not a reason code. Use one of: INCORRECT_TERMS_ACCEPTED, REPLACING_AGREEMENT'
expect "Could not look up agmt-zzzz"
expect 'market: "gcp" is not a marketplace cancelbot handles. Use aws or azure'
expect "active agreements for buyer 123456789012"
expect "agmt-1a2b3c4d5e6f7g8h9i0j"
expect "there is no request CR-99"
expect "not a refund"
expect "The request form opens in Slack"
expect "click: usage:"
expect "clock: give how far to move forward"
expect "as: give a Slack user id"
expect "Unknown input \"frobnicate\""
expect_not "posted card"

"$CANCELBOT" frobnicate >"$OUT" 2>&1
expect_rc 2 $? "unknown subcommand"
expect "accepted: run, shell, check-config, export, migrate, version, help"
"$CANCELBOT" shell --colour >"$OUT" 2>&1 </dev/null
expect_rc 2 $? "unknown option"
expect "unknown option \"--colour\""
"$CANCELBOT" version >"$OUT" 2>&1
expect "cancelbot 0."
printf '{"approvals_required": 9, "azure": {"tenants": {"default": {"client_secret": "hunter2-very-secret"}}}}' >"$WORK/bad.json"
"$CANCELBOT" check-config --config "$WORK/bad.json" >"$OUT" 2>&1
expect_rc 1 $? "check-config with problems"
expect "$.approvals_required"
expect "secrets are not allowed"
expect_not "hunter2"
"$CANCELBOT" check-config --config "$CANCELBOT_SRC/deploy/cancelbot.example.json" >"$OUT" 2>&1
expect_rc 0 $? "check-config on the example"
expect "OK"
CANCELBOT_CONFIG="$WORK/bad.json" "$CANCELBOT" shell --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 1 $? "shell refuses to start on a bad policy"
expect "$.approvals_required"
# A line is what ends at its newline, whatever it holds: a NUL byte inside an 8 KiB
# line (where a reader that stops at the NUL would take the rest, past the buffer's
# end, for a second line) refuses the whole line, and so does a short one.
{
    echo '/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing-agreement note="Replacing with private offer offer-9x8y"'
    printf 'show CR-1\0'; printf '%8200s' ''; printf 'as U0FIN1\n'
    printf 'as U0FIN2\0 trailing\n'
    echo 'help'
} >"$WORK/nul.txt"
shell <"$WORK/nul.txt"
expect_rc 0 "$SHELL_RC" "shell with NUL lines"
expect_count 2 "That line holds a NUL byte, which no command accepts; nothing was done."
expect "U0ALICE> help" "still U0ALICE after the refused lines"
expect_not "U0FIN1>"
expect_not "U0FIN2>"
finish
