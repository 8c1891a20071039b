# Fault suite (label "fault"): SIGKILL at random moments in Slack mode. The real
# binary runs against tests/fake_slack (Socket Mode + Web API, redelivering every
# envelope not acked to the next connection, as Slack does) and tests/fake_market
# (the AWS Agreement API). A supervisor kills the bot after a random 0.1..0.7 s and
# restarts it, again and again, while the test plays flows one after the other: a
# /cancel, the requester's Confirm, finance's Approve, each sent when the record shows
# the step before done (the fake's `send-when`), until AWS has the cancellation. A
# click names the message it was on (the prompt's made-up ts, the card's stored ts):
# the bot de-duplicates clicks by (message, action, user).
# After all flows: every request submitted, one request per agreement and one
# cancellation per agreement at the fake (its counters), each card posted once and
# each thread reply once, even when a kill fell between a post and its "done" mark
# (the restarted bot finds the message by its metadata key: bot/outbox_chat.c), the
# history follows the state machine,
# integrity_check ok. Leases last 2 s (CANCELBOT_LEASE_MS), not 30: the effects a
# killed bot had claimed wait for its lease to run out before another takes them, and
# 30 s a kill would make the test crawl (docs/reliability.md). CANCELBOT_FAULT_SEED replays the kill schedule,
# CANCELBOT_FAULT_ROUNDS sets the flows (60).
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"
. "$(dirname "$0")/lib_e2e_market.sh"
. "$(dirname "$0")/lib_fault.sh"

FLOWS=$(fault_rounds 60) || exit 1
STEP_WAIT_S=60
note='note=\"Replacing with private offer offer-9x8y7w6v5u4t\"'
sql() { sqlite3 -batch -noheader "$DB" "$1" 2>/dev/null; }

use_fake_aws_seller
start_market --agreements "$FLOWS"
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"

{ echo "wait 30 connect"
  # 3 envelopes a flow, then one the test sends once all is done: the fake stays up
  # (and redelivers) until then.
  for _ in $(seq $((3 * FLOWS + 1))); do echo "send-when $WORK/next"; done
  echo "quit"; } >"$WORK/script"
rm -f "$WORK/port" "$LOG"
"$FAKE" --script "$WORK/script" --log "$LOG" --port-file "$WORK/port" --timeout 600 \
    --redeliver 1 >"$WORK/fake.out" 2>"$WORK/fake.err" &
FPID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
export SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
    SLACK_API_URL="http://127.0.0.1:$(cat "$WORK/port")/api/"

# The kill schedule, drawn here (not in the supervisor's subshell) so the seed fixes it.
# Three kills in four come a random 100..699 ms after the bot is connected (its
# "ready" log line), in the middle of the flow's work; one in four that long after
# the process started, wherever its start-up is. Counting every delay from the start
# would let a slow machine (start-up longer than the delays) kill each bot before it
# does anything, and the run would stall instead of testing.
delays=""
for _ in $(seq 1000); do
    rand_below 600; d=$((100 + RAND))
    rand_below 4; if [ "$RAND" = 0 ]; then delays+=" s$d"; else delays+=" r$d"; fi
done

# supervisor: runs the bot; once $WORK/go exists, kills it after each delay and
# starts it again; at $WORK/stop leaves the last one running until $WORK/end.
supervise() {
    local d pid rc ready
    for d in $delays; do
        ready=$(cat "$BOT_ERR" 2>/dev/null | grep -c "ready (num_connections")
        env CANCELBOT_LOG_LEVEL=info CANCELBOT_LEASE_MS=2000 "$CANCELBOT" run --db "$DB" --config "$WORK/policy.json" \
            >>"$BOT_OUT" 2>>"$BOT_ERR" &
        pid=$!
        while [ ! -f "$WORK/go" ] && [ ! -f "$WORK/stop" ]; do sleep 0.05; done
        if [ "${d:0:1}" = r ]; then     # bounded: 30 s for this bot to connect
            for _ in $(seq 600); do
                [ "$(cat "$BOT_ERR" 2>/dev/null | grep -c "ready (num_connections")" -gt "$ready" ] && break
                sleep 0.05
            done
        fi
        d=${d:1}
        sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
        [ -f "$WORK/stop" ] && break
        kill -KILL "$pid" 2>/dev/null
        wait "$pid"
        rc=$?
        if [ "$rc" = 137 ]; then echo kill >>"$WORK/kills"; else echo "bot exited $rc" >>"$WORK/crashes"; fi
    done
    while [ ! -f "$WORK/end" ]; do sleep 0.05; done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    echo "$?" >"$WORK/last_rc"
}
supervise 2>/dev/null &   # not bash's "Killed" notes
SUP=$!

send_env() {         # send_env JSON: hands the envelope to the fake, waits till it took it
    printf '%s\n' "$1" >"$WORK/next.tmp"
    mv "$WORK/next.tmp" "$WORK/next"
    for _ in $(seq $((STEP_WAIT_S * 20))); do [ -f "$WORK/next" ] || return 0; sleep 0.05; done
    fail "the fake did not send an envelope within $STEP_WAIT_S s: $1"
    return 1
}

rank() { case "$1" in draft) echo 1 ;; awaiting_approval) echo 2 ;; submitting) echo 3 ;; submitted) echo 4 ;; *) echo 0 ;; esac; }

# wait_state AGREEMENT STATE: RID of the agreement's request once it is in STATE or
# further on.
wait_state() {
    local row state
    for _ in $(seq $((STEP_WAIT_S * 10))); do
        row=$(sql "SELECT id, state FROM requests WHERE data LIKE '%\"$1\"%' ORDER BY created_ms LIMIT 1")
        RID=${row%%|*}
        state=${row#*|}
        [ -n "$row" ] && [ "$(rank "$state")" -ge "$(rank "$2")" ] && return 0
        sleep 0.1
    done
    fail "$1: not $2 within $STEP_WAIT_S s (${row:-no request})"
    return 1
}

t_start=$(now_ms)
for i in $(seq "$FLOWS"); do
    agmt=$(printf 'agmt-rep%016d' "$i")
    send_env "$(slash "e$i-cancel" U0ALICE "aws $agmt reason=replacing $note")" &&
        wait_state "$agmt" draft &&
        send_env "$(click "e$i-confirm" U0ALICE confirm "$RID" "1699999999.$(printf %06d "$i")")" &&
        wait_state "$agmt" awaiting_approval &&
        send_env "$(click "e$i-approve" U0FIN1 approve "$RID" "$(sql "SELECT card_ts FROM requests WHERE id = '$RID'")")" &&
        wait_state "$agmt" submitted || break
    [ "$i" = 1 ] && touch "$WORK/go"    # the first flow, unkilled, is the reference
done
touch "$WORK/stop"
# The last bot runs until every message of every flow is out.
for _ in $(seq $((STEP_WAIT_S * 10))); do
    [ "$(sql "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND kind NOT IN ('timer', 'provider_poll')")" = 0 ] && break
    sleep 0.1
done
sleep 0.5
send_env "$(home e-end ev-end U0ALICE)"
touch "$WORK/end"
wait "$SUP"
wait "$FPID"
FAKE_RC=$?
elapsed=$(( $(now_ms) - t_start ))
kills=$(cat "$WORK/kills" 2>/dev/null | wc -l)

# ---- the checks ----
[ ! -s "$WORK/crashes" ] || fail "the bot died by itself: $(sort "$WORK/crashes" | uniq -c | tr '\n' ' ')"
expect_rc 0 "$(cat "$WORK/last_rc")" "the last bot stops cleanly"
expect_rc 0 "$FAKE_RC" "the fake's script (every envelope sent)"
n=$(sql "SELECT COUNT(*) FROM requests WHERE state = 'submitted'")
[ "$n" = "$FLOWS" ] && ok || fail "$n of $FLOWS requests submitted: $(sql "SELECT id || ' ' || state FROM requests WHERE state <> 'submitted'" | tr '\n' ' ')"
doubled=$(sql "SELECT COUNT(*) - COUNT(DISTINCT json_extract(data, '\$.agreement.id')) FROM requests")
[ "$doubled" = 0 ] && ok || fail "$doubled request(s) more than agreements"
at_market=$(stats | jq -r '.requests')
[ "$at_market" = "$FLOWS" ] && ok || fail "$at_market cancellation(s) at the fake for $FLOWS agreements"
sends=$(stats | jq -r '[.send_calls[]] | add // 0')
check_record "$DB" "the record"
expect_mlog 0 '"sig_ok":false' "every AWS call signed"

# Posts per request: "COUNT TEXT" for its card and each thread reply, against flow 1's.
posts() {            # posts RID CARD_TS: its chat.postMessage texts, normalised
    jq -r --arg ts "$2" --arg id "$1 ·" '
        select(.kind == "api" and .method == "chat.postMessage" and .ok == true) | .body |
        if .thread_ts == $ts then .text
        elif (.thread_ts // "") == "" and (tostring | contains($id)) then "(card)"
        else empty end' "$LOG" |
        sed -E -e 's/acr-[a-z0-9]+/acr-X/g' -e 's/CR-[0-9]+/CR-N/g' \
               -e 's/agmt-rep[0-9]+/agmt-N/g' -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC/DATE/g'
}
first=1
: >"$WORK/counts"
while IFS='|' read -r rid card; do
    if [ "$first" = 1 ]; then
        posts "$rid" "$card" | sort -u >"$WORK/expected"
        first=0
    fi
    posts "$rid" "$card" | sort >"$WORK/got"
    while IFS= read -r m; do
        printf '%d %s: %s\n' "$(grep -cxF -- "$m" "$WORK/got")" "$rid" "$m"
    done <"$WORK/expected" >>"$WORK/counts"
    grep -vxF -f "$WORK/expected" "$WORK/got" | sed "s/^/9 $rid unexpected: /" >>"$WORK/counts"
done < <(sql "SELECT id, card_ts FROM requests ORDER BY created_ms")
[ "$(wc -l <"$WORK/expected")" -ge 5 ] && ok || fail "flow 1 posted $(wc -l <"$WORK/expected") kinds of message (the card and 4 replies expected)"
check_posts_once "$WORK/counts" "Slack posts" 0   # found by its metadata key, not re-posted
lost=$(awk '$1 == 0' "$WORK/counts" | wc -l)
echo "fault kill_slack: seed $FAULT_SEED, $FLOWS flows, $kills kills landed, $(grep -c '"kind":"redeliver"' "$LOG") envelopes redelivered, lost $lost, doubled $doubled, $EXTRA_POSTS repeated post(s) after a kill, $sends submission call(s) for $at_market cancellation(s), $elapsed ms"
# Each step waits at least one 0.1 s poll of the record, so the flows take 0.3 s a
# flow or more, while a kill comes every 0.2..1 s (start-up plus a delay): about one
# kill every two flows is usual (26 to 30 in 60; 5 to 7 in the sanitizers' 15, whose
# 4.2 s of flows leave little room), an eighth of the flows means the kills stopped.
min_kills=$(( FLOWS / 8 > 0 ? FLOWS / 8 : 1 ))
[ "$kills" -ge "$min_kills" ] || fail "only $kills kills landed in $FLOWS flows ($min_kills at least)"
if [ "$FAILURES" -ne 0 ]; then
    echo "--- fake stderr ---"; tail -5 "$WORK/fake.err"
    echo "--- bot stderr (last) ---"; grep -E 'error|warn' "$BOT_ERR" | tail -20
    [ -z "${CANCELBOT_FAULT_KEEP:-}" ] || cp -r "$WORK" "$CANCELBOT_FAULT_KEEP"
fi
stop_market
finish
