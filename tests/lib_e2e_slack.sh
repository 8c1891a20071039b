# tests/lib_e2e_slack.sh -- helpers for the Slack end-to-end tests: the real binary
# against tests/fake_slack (Socket Mode websocket + Web API on 127.0.0.1), which plays
# a script of envelopes and waits; afterwards the fake's log of every API call and
# ack is checked. Sourced after lib_e2e.sh.
FAKE="$(dirname "$CANCELBOT")/../tests/fake_slack"
LOG="$WORK/slack.jsonl"
BOT_OUT="$WORK/bot.out"
BOT_ERR="$WORK/bot.err"
FILES="$WORK/files"                 # what the bot uploaded, one file per Slack file id

# Envelope builders: one JSON line each, for the fake's `send`.
slash() {        # slash ENVELOPE_ID USER TEXT
    printf '{"envelope_id":"%s","type":"slash_commands","accepts_response_payload":true,"payload":{"token":"x","team_id":"T0TEAM","channel_id":"C0CANCELS","user_id":"%s","user_name":"u","command":"/cancel","text":"%s","trigger_id":"trig-%s","response_url":"https://hooks.slack.com/commands/x"}}' "$1" "$2" "$3" "$1"
}
click() {        # click ENVELOPE_ID USER ACTION REQUEST [MESSAGE_TS]
    printf '{"envelope_id":"%s","type":"interactive","accepts_response_payload":false,"payload":{"type":"block_actions","user":{"id":"%s"},"team":{"id":"T0TEAM"},"container":{"type":"message","message_ts":"%s","channel_id":"C0CANCELS"},"channel":{"id":"C0CANCELS"},"trigger_id":"trig-%s","actions":[{"action_id":"%s","block_id":"actions","value":"%s","type":"button","action_ts":"1700000100.%06d"}]}}' "$1" "$2" "${5:-1700000000.000300}" "$1" "$3" "$4" "$RANDOM"
}
home() {         # home ENVELOPE_ID EVENT_ID USER: the user opens App Home
    printf '{"envelope_id":"%s","type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":"","payload":{"token":"x","team_id":"T0TEAM","api_app_id":"A0APP","type":"event_callback","event_id":"%s","event_time":1700000000,"event":{"type":"app_home_opened","user":"%s","channel":"D0HOME","tab":"home","event_ts":"1700000300.000100"}}}' "$1" "$2" "$3"
}
reaction() {     # reaction ENVELOPE_ID EVENT_ID USER EMOJI ITEM_TS [removed]
    printf '{"envelope_id":"%s","type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":"","payload":{"token":"x","team_id":"T0TEAM","api_app_id":"A0APP","type":"event_callback","event_id":"%s","event_time":1700000000,"event":{"type":"reaction_%s","user":"%s","reaction":"%s","item_user":"U0BOT","item":{"type":"message","channel":"C0CANCELS","ts":"%s"},"event_ts":"1700000200.000100"}}}' "$1" "$2" "${6:-added}" "$3" "$4" "$5"
}

start_fake() {       # start_fake SCRIPT [TIMEOUT_S (40)]: FPID, SLACK_PORT
    rm -f "$WORK/port" "$LOG"
    rm -rf "$FILES"
    mkdir -p "$FILES"
    "$FAKE" --script "$1" --log "$LOG" --port-file "$WORK/port" --timeout "${2:-40}" \
        --files-dir "$FILES" >"$WORK/fake.out" 2>"$WORK/fake.err" &
    FPID=$!
    for _ in $(seq 100); do
        [ -s "$WORK/port" ] && break
        kill -0 "$FPID" 2>/dev/null || break
        sleep 0.05
    done
    SLACK_PORT=$(cat "$WORK/port" 2>/dev/null)
}

# finish_fake_and_bot [SETTLE_S]: waits for the fake's script to end, lets the last
# answers land for SETTLE_S, then stops the bot (SIGTERM, bounded). FAKE_RC, BOT_RC.
finish_fake_and_bot() {
    wait "$FPID"
    FAKE_RC=$?
    [ -z "${1:-}" ] || sleep "$1"
    kill -TERM "$BPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BPID" 2>/dev/null
    wait "$BPID"
    BOT_RC=$?
    if [ "$FAKE_RC" -ne 0 ]; then
        echo "--- fake_slack stderr ---"; cat "$WORK/fake.err"
        echo "--- bot stderr ---"; tail -40 "$BOT_ERR"
    fi
}

# run_slack SCRIPT_FILE [bot env...]: starts the fake on the script and the bot
# against it; returns when the fake has finished the script (or failed it) and the
# bot has been stopped with SIGTERM. FAKE_RC and BOT_RC hold their exit statuses.
run_slack() {
    local script=$1
    shift
    start_fake "$script"
    env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
        SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/" CANCELBOT_LOG_LEVEL=info "$@" \
        "$CANCELBOT" run --db "$DB" >"$BOT_OUT" 2>"$BOT_ERR" &
    BPID=$!
    finish_fake_and_bot 0.3
    cp "$WORK/fake.out" "$OUT"      # the summary, for expect
}

# run_crash SCRIPT FAULT_ENV...: the fake on SCRIPT; a first bot with the fault, which
# must die of SIGKILL; then a second bot without it until the script ends. FIRST_RC,
# FAKE_RC, BOT_RC; the bots' stderr in $WORK/bot1.err and bot2.err. BOT_ARGS: more
# arguments for both bots.
run_crash() {
    local script=$1
    shift
    start_fake "$script"
    export SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
        SLACK_API_URL="http://127.0.0.1:${SLACK_PORT:-1}/api/"
    env CANCELBOT_LOG_LEVEL=info "$@" "$CANCELBOT" run --db "$DB" ${BOT_ARGS:-} \
        >"$WORK/bot1.out" 2>"$WORK/bot1.err"
    FIRST_RC=$?
    CANCELBOT_LOG_LEVEL=info "$CANCELBOT" run --db "$DB" ${BOT_ARGS:-} \
        >"$WORK/bot2.out" 2>"$WORK/bot2.err" &
    BPID=$!
    BOT_ERR_SAVED=$BOT_ERR
    BOT_ERR="$WORK/bot2.err"
    finish_fake_and_bot 0.3
    BOT_ERR=$BOT_ERR_SAVED
    unset SLACK_APP_TOKEN SLACK_BOT_TOKEN SLACK_API_URL
    [ "$FAKE_RC" -eq 0 ] || { echo "--- first bot ---"; tail -20 "$WORK/bot1.err"; }
}

log_count() {    # log_count PATTERN: lines of the fake's log containing PATTERN
    grep -cF -- "$1" "$LOG"
}

expect_log() {   # expect_log N PATTERN ["what"]
    local n
    n=$(log_count "$2")
    if [ "$n" -eq "$1" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected $1 log line(s) with: $2${3:+ ($3)} (saw $n)"
        FAILURES=$((FAILURES + 1))
    fi
}

# Every envelope acked within Slack's 3 s; prints the worst.
expect_fast_acks() {
    local worst
    worst=$(sed -n 's/^worst ack latency: \([0-9]*\) ms.*/\1/p' "$WORK/fake.out")
    echo "worst ack latency: ${worst:-?} ms"
    if [ -n "$worst" ] && [ "$worst" -lt 3000 ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: an envelope was acked after 3 s (or none was): ${worst:-none}"
        FAILURES=$((FAILURES + 1))
    fi
}
