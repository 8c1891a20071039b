# A draft nobody confirms: /cancel list mine offers its verify prompt again (with
# Confirm and Discard), and after draft_expiry_minutes (1440 by default) it is
# discarded, with a private word to the requester; a confirmed request is not.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
/cancel aws agmt-big0000000000000001 reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-2 confirm
clock +23h
/cancel list mine
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "CR-1 is a draft waiting for you: verify it, then Confirm or Discard it. Unconfirmed, it is discarded on"
expect_not "CR-2 is a draft waiting" "a confirmed request is no draft"
expect_not "was not confirmed within" "not yet: 23 of 24 hours"

shell <<'IN'
clock +2h
show CR-1
show CR-2
click CR-1 confirm
/cancel list mine
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "CR-1 was not confirmed within 24 hours, so I discarded it. Nothing was sent to finance or the marketplace."
expect "CR-1 is already discarded; nothing to confirm."
expect_not "CR-2 was not confirmed" "the confirmed request is left alone"
expect_not "is a draft waiting for you" "no draft left to offer"
expect_count 1 "was not confirmed within" "one notice, not one per clock move"

# A shorter policy value, and 0 for never.
cat >"$WORK/short.json" <<'JSON'
{"draft_expiry_minutes": 30}
JSON
shell --config "$WORK/short.json" <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
clock +29m
clock +2m
IN
expect "CR-3 was not confirmed within 30 minutes, so I discarded it."
cat >"$WORK/bad.json" <<'JSON'
{"draft_expiry_minutes": 2}
JSON
"$CANCELBOT" check-config --config "$WORK/bad.json" >"$OUT" 2>&1
expect "draft_expiry_minutes: 2 is out of range; expected 0 (never) or whole minutes from 5 to 10080 (a week)"
finish
