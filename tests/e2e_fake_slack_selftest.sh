# tests/e2e_fake_slack_selftest.sh -- checks the Slack fake (tests/fake_slack) that the
# Slack end-to-end tests stand on: its Web API half over plain HTTP, its script waits,
# fault injection, log and exit codes. HTTP goes through bash's /dev/tcp because a
# minimal Debian has no curl. Its websocket half is exercised by the bot's Slack tests.
# Run by ctest as: bash e2e_fake_slack_selftest.sh path/to/cancelbot
set -u
export LC_ALL=C                   # ${#body} must count bytes for Content-Length
BOT=${1:?usage: $0 path/to/cancelbot}
FAKE="$(dirname "$BOT")/../tests/fake_slack"
WORK=$(mktemp -d /tmp/fake-slack-selftest.XXXXXX)
FAKE_PID=
PASSES=0
FAILURES=0
trap '[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $1"; FAILURES=$((FAILURES + 1)); }
finish() { echo "$PASSES passed, $FAILURES failed"; [ "$FAILURES" -eq 0 ]; exit $?; }

# start_fake SCRIPT_TEXT [ARGS...]: starts the fake; waits at most 5 s for its port.
start_fake() {
    printf '%s\n' "$1" >"$WORK/script"
    rm -f "$WORK/port"
    "$FAKE" --script "$WORK/script" --log "$WORK/log" --port-file "$WORK/port" "${@:2}" \
        >"$WORK/out" 2>"$WORK/err" &
    FAKE_PID=$!
    for _ in $(seq 50); do
        if [ -s "$WORK/port" ]; then
            PORT=$(cat "$WORK/port")
            return 0
        fi
        kill -0 "$FAKE_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# stop_fake: waits at most 10 s for the fake to exit by itself; its status in FAKE_RC.
stop_fake() {
    for _ in $(seq 100); do
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill "$FAKE_PID" 2>/dev/null && echo "note: the fake had to be killed"
    wait "$FAKE_PID"
    FAKE_RC=$?
    FAKE_PID=
}

# post METHOD TOKEN CONTENT_TYPE BODY: one request on its own connection; the status
# line, headers and body land in RESP. Every read waits at most 5 s.
post() {
    local auth="" line="" n=0
    [ -n "$2" ] && auth="Authorization: Bearer $2"$'\r\n'
    RESP=""
    if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
        fail "cannot connect to the fake for $1"
        return
    fi
    printf 'POST /api/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$1" "$auth" "$3" "${#4}" "$4" >&3
    while [ "$n" -lt 100 ] && { IFS= read -r -t 5 line <&3 || [ -n "$line" ]; }; do
        RESP+="${line%$'\r'}"$'\n'
        line=""
        n=$((n + 1))
    done
    exec 3<&-
}

expect_resp() {       # expect_resp "what" TEXT...: every TEXT is in the last answer
    local t
    for t in "${@:2}"; do
        if grep -qiF -- "$t" <<<"$RESP"; then pass; else fail "$1: no '$t' in: $RESP"; fi
    done
}

expect_file() {       # expect_file "what" FILE COUNT TEXT: TEXT on COUNT lines of FILE
    local n
    n=$(grep -cF -- "$4" "$2")
    if [ "$n" -eq "$3" ]; then pass; else fail "$1: $n line(s) with '$4' in $2, not $3"; fi
}

if [ ! -x "$FAKE" ]; then
    fail "no fake at $FAKE"
    finish
fi

# 1. The Web API. Each wait names the request the test sends next, so the run also
#    checks that waits consume calls in order, and `fail` is armed synchronously at
#    `wait api auth.test`, before the test's next request can arrive.
if ! start_fake '# the self-test script
wait api apps.connections.open
wait api apps.connections.open
wait api apps.connections.open
wait api apps.connections.open
wait api auth.test
fail chat.postMessage 1 429 7
wait api chat.postMessage
wait api chat.postMessage "text":"after the 429"
wait api chat.postMessage "channel":"C0FORM"
wait api no.such.method
quit' --timeout 30; then
    fail "the fake did not start: $(cat "$WORK/err")"
    finish
fi
J=application/json
post apps.connections.open xapp-1-A0APP-topsecret $J ''
expect_resp "apps.connections.open" "HTTP/1.1 200" '"ok":true' "\"url\":\"ws://127.0.0.1:$PORT/link/?ticket="
post apps.connections.open xoxb-1-topsecret $J ''
expect_resp "a bot token may not open a socket" '"error":"not_allowed_token_type"'
post apps.connections.open xapp-invalid $J ''
expect_resp "a bad app token" '"error":"invalid_auth"'
post apps.connections.open '' $J ''
expect_resp "no token" '"error":"not_authed"'
post auth.test xoxb-1-topsecret $J ''
expect_resp "auth.test" '"ok":true' '"user_id":"U0BOT"' '"team_id":"T0TEAM"'
post chat.postMessage xoxb-1-topsecret $J '{"channel":"C0CANCELS","text":"rate me"}'
expect_resp "injected 429" "HTTP/1.1 429" "Retry-After: 7" '"error":"ratelimited"'
post chat.postMessage xoxb-1-topsecret $J '{"channel":"C0CANCELS","text":"after the 429"}'
expect_resp "the fault is used up" "HTTP/1.1 200" '"ok":true' '"channel":"C0CANCELS"'
TS1=$(grep -o '"ts":"[0-9.]*"' <<<"$RESP" | head -1 | tr -dc '0-9')
post chat.postMessage xoxb-1-topsecret application/x-www-form-urlencoded 'channel=C0FORM&text=hello+form%21&token=xoxb-2-topsecret'
expect_resp "form body" '"ok":true' '"channel":"C0FORM"'
TS2=$(grep -o '"ts":"[0-9.]*"' <<<"$RESP" | head -1 | tr -dc '0-9')
if [ -n "$TS1" ] && [ "${TS2:-0}" -gt "$TS1" ]; then pass; else fail "ts must increase: $TS1 then $TS2"; fi
post no.such.method xoxb-1-topsecret $J '{}'
expect_resp "unknown method" '"error":"unknown_method"'
stop_fake
if [ "$FAKE_RC" -eq 0 ]; then pass; else fail "quit must exit 0, not $FAKE_RC: $(cat "$WORK/err")"; fi
L="$WORK/log"
expect_file "one log line per call" "$L" 9 '"kind":"api"'
expect_file "the 429 is logged" "$L" 1 '"method":"chat.postMessage","token_prefix":"xoxb","status":429'
expect_file "JSON bodies are logged as JSON" "$L" 1 '"body":{"channel":"C0CANCELS","text":"after the 429"}'
expect_file "form bodies are logged as objects" "$L" 1 '"body":{"channel":"C0FORM","text":"hello form!","token":"<redacted>"}'
expect_file "token prefixes are logged" "$L" 2 '"token_prefix":"xapp"'
expect_file "a missing token is logged as null" "$L" 1 '"token_prefix":null'
expect_file "tokens are never logged" "$L" 0 'topsec'
expect_file "the summary counts calls per method" "$WORK/out" 1 'chat.postMessage: 3'
expect_file "the summary counts all calls" "$WORK/out" 1 'api calls: 9'
expect_file "the summary has the worst ack latency" "$WORK/out" 1 'worst ack latency: 0 ms'

# 2. A wait that is never satisfied exits 1 and says which line.
if start_fake 'wait 1 api chat.postMessage
quit'; then
    stop_fake
    if [ "$FAKE_RC" -eq 1 ]; then pass; else fail "a timed-out wait must exit 1, not $FAKE_RC"; fi
    expect_file "a timed-out wait names its line" "$WORK/err" 1 'script line 1: timed out after 1 s'
else
    fail "the fake did not start for the wait test"
fi

# 3. The overall --timeout exits 2, whatever the script is doing.
if start_fake 'sleep 20000
quit' --timeout 1; then
    stop_fake
    if [ "$FAKE_RC" -eq 2 ]; then pass; else fail "--timeout must exit 2, not $FAKE_RC"; fi
else
    fail "the fake did not start for the timeout test"
fi

# 4. A bad script is refused before the fake listens.
if start_fake 'wait for godot
quit'; then
    fail "a bad script must be refused"
else
    stop_fake
    if [ "$FAKE_RC" -eq 1 ]; then pass; else fail "a bad script must exit 1, not $FAKE_RC"; fi
    expect_file "a bad script names its line" "$WORK/err" 1 'script line 1: cannot understand: wait for godot'
fi

finish
