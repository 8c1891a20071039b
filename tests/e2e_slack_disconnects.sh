# The rarer ways a connection ends: a socket that goes silent (no pong) is hung up on
# and replaced; too_many_websockets closes first and then reconnects; link_disabled
# (Socket Mode switched off in the app) is reported and retried only slowly.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

cat >"$WORK/script" <<IN
wait api auth.test
wait api apps.connections.open
wait connect
hang
wait 40 api apps.connections.open
wait 10 connect
disconnect too_many_websockets
wait close
wait 10 api apps.connections.open
wait 10 connect
send $(slash e1 U0ALICE "help")
wait ack e1
disconnect link_disabled
wait close
sleep 2500
quit
IN
run_slack "$WORK/script"
expect_rc 0 "$FAKE_RC" "the fake's script"
expect_rc 0 "$BOT_RC" "the bot stops cleanly"
expect_log 3 '"method":"apps.connections.open"' "no quick retry after link_disabled"
expect_log 1 '"kind":"ack","conn":3' "the third connection works"
# too_many_websockets: the old connection closed before the new one was asked for.
close_line=$(grep -nF '"kind":"close","conn":2' "$LOG" | cut -d: -f1)
open_line=$(grep -nF '"method":"apps.connections.open"' "$LOG" | sed -n 3p | cut -d: -f1)
if [ -n "$close_line" ] && [ -n "$open_line" ] && [ "$close_line" -lt "$open_line" ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: too_many_websockets: close (line $close_line) should come before the new open (line $open_line)"
    FAILURES=$((FAILURES + 1))
fi
OUT="$BOT_ERR"
expect "disconnect (too_many_websockets)"
expect "Socket Mode is switched off in the Slack app settings (link_disabled)"
expect "Retrying every 5 minutes"
finish
