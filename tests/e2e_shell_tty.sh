# On a terminal the shell edits lines with libedit: the up arrow recalls the last
# line (it used to arrive as the text "^[[A"). Driven through a pseudo-terminal
# made by script(1) (util-linux / bsdutils); each key is sent once the shell shows
# its prompt, so the test waits on what the shell does, not on time.
. "$(dirname "$0")/lib_e2e.sh"

if ! command -v script >/dev/null; then
    echo "FAIL: script(1) from util-linux (bsdutils) is needed to make a terminal"
    exit 1
fi

shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=unintended-renewal note="Auto-renewed although the buyer opted out in writing"
IN
expect_rc 0 "$SHELL_RC" "scripted shell"

TTY_OUT="$WORK/tty.txt"
mkfifo "$WORK/keys"
exec 7<>"$WORK/keys"        # read-write: opening never blocks, the shell reads it
TERM=xterm timeout 60 script -qfec "'$CANCELBOT' shell --db '$DB'" /dev/null \
    <"$WORK/keys" >"$TTY_OUT" 2>&1 &
TTY_PID=$!

wait_for_prompts() {  # wait_for_prompts N: until the shell has prompted N times (10 s)
    for _ in $(seq 200); do
        [ "$(grep -o 'U0ALICE> ' "$TTY_OUT" | wc -l)" -ge "$1" ] && return 0
        sleep 0.05
    done
    echo "FAIL: the shell did not prompt $1 time(s) on the terminal"
    FAILURES=$((FAILURES + 1))
    return 1
}

wait_for_prompts 1 && printf 'show CR-1\r' >&7
wait_for_prompts 2 && printf '\033[A\r' >&7           # up arrow, Enter
wait_for_prompts 3 && printf 'quit\r' >&7
wait "$TTY_PID"
expect_rc 0 $? "shell on a terminal"
exec 7>&-

OUT="$TTY_OUT"
expect "U0ALICE> " "a prompt on a terminal"
expect_count 2 "History:" "show CR-1 ran twice: typed, then recalled"
expect_not "Unknown input"
finish
