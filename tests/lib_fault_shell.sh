# tests/lib_fault_shell.sh -- whole flows in the shell on the simulated marketplace,
# driven from what the record says, for the fault tests that break a run in the middle
# (a kill, a full disk) and go on with a new one. Sourced after lib_e2e.sh and
# lib_fault.sh. A flow has a record of its own (DB, and the simulated marketplace's
# state beside it) and is one of three kinds:
#   aws     an AWS cancellation that finance approves and the buyer accepts: completed
#   reject  an AWS cancellation that finance rejects: rejected
#   azure   a Partner Center cancellation, inactive after 10 minutes: completed
AWS_CREATE='/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"'
AZURE_CREATE='/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: unknown deployments in eastus"'
FLOW_KINDS="aws reject azure"
declare -A EXPECTED POINTS KIND_MS
SHELL_ARGS=()        # more arguments for every run of the shell (--config FILE)

sql() { [ ! -f "$DB" ] || sqlite3 -batch -noheader "$DB" "$1" 2>/dev/null; }

random_kind() {     # KIND: aws one time in two, reject or azure one in four
    rand_below 4
    case $RAND in 0) KIND=reject ;; 1) KIND=azure ;; *) KIND=aws ;; esac
}

new_record() { rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.sim.json"; RID=CR-1; }

final_state() { case "$1" in reject) echo rejected ;; *) echo completed ;; esac; }

# the_request: RID, state and PENDING (effects other than timers still to run) of the
# flow's request. Ids are not reused: a /cancel killed after taking its id leaves a
# gap, so the first request may be CR-2.
the_request() {
    local row
    row=$(sql "SELECT id, state, (SELECT COUNT(*) FROM outbox WHERE status = 'pending'
               AND kind <> 'timer') FROM requests ORDER BY created_ms, id LIMIT 1")
    IFS='|' read -r RID state PENDING <<<"$row"
    RID=${RID:-CR-1}
    state=${state:-none}
    PENDING=${PENDING:-0}
}

# flow_done KIND: the flow ended and its last messages went out (a break after the
# final transition leaves them in the outbox for the next start).
flow_done() {
    the_request
    [ "$state" = "$(final_state "$1")" ] && [ "$PENDING" = 0 ]
}

# The input lines that take a flow of KIND on from STATE (the request's, or "none").
rest_of_flow() {     # rest_of_flow KIND STATE
    local kind=$1 state=$2
    case "$state" in
        none)
            # A /cancel whose look-up was under way at a kill is resumed by the
            # restart from its stored intent: typing it again would make a second.
            if [ "$(sql "SELECT COUNT(*) FROM intents WHERE status = 'pending'")" -gt 0 ] 2>/dev/null; then
                echo ""
                return
            fi
            if [ "$kind" = azure ]; then echo "$AZURE_CREATE"; else echo "$AWS_CREATE"; fi
            rest_of_flow "$kind" draft ;;
        draft) echo "click $RID confirm"; rest_of_flow "$kind" awaiting_approval ;;
        awaiting_approval)
            echo "as U0FIN1"
            if [ "$kind" = reject ]; then
                echo "click $RID reject note=\"Wrong agreement: keep this one\""
            else
                echo "click $RID approve"
                rest_of_flow "$kind" submitting
            fi ;;
        submitting) rest_of_flow "$kind" submitted ;;
        submitted)
            if [ "$kind" = azure ]; then echo "clock +15m"; else echo "buyer accept $RID"; echo "clock +2m"; fi ;;
    esac
}

# run_bot INPUT [KILL]: one run of the shell, its output appended to FLOW_OUT; RUN_RC.
# KILL: "-" (default) not killed; "tN" SIGKILL N ms after the start (start-up, a
# command or a commit under way); "pN" SIGKILL at the bot's N-th fault point (the
# start of an effect, or an effect that worked before its "done" mark:
# CANCELBOT_FAULT_KILL_AT_POINT), a moment chosen by the flow's progress whatever the
# machine's speed.
run_bot() {
    local kill=${2:--} point= pid
    [ "${kill#p}" = "$kill" ] || point=${kill#p}
    # $! must be the bot itself (a subshell around it would take the kill instead).
    CANCELBOT_FAULT_KILL_AT_POINT=$point \
        "$CANCELBOT" shell --db "$DB" "${SHELL_ARGS[@]}" <<<"$1" >>"$FLOW_OUT" 2>>"$WORK/err.txt" &
    pid=$!
    if [ "${kill#t}" != "$kill" ]; then
        sleep "$(printf '%d.%03d' $(( ${kill#t} / 1000 )) $(( ${kill#t} % 1000 )))"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid"
    RUN_RC=$?
}

# The chat messages of a flow's output, one a line: the card's first post and every
# thread reply, with the marketplace's random ids and the minute of a date made equal.
messages() {
    sed -n -e "s/^\[#C0CANCELS\] cancelbot \(posted card $RID\):\$/\1/p" \
           -e "s/^  \[thread $RID\] cancelbot: //p" "$1" |
        sed -E -e 's/acr-[a-z0-9]+/acr-X/g' -e 's/CR-[0-9]+/CR-N/g' \
               -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC/DATE/g'
}

# learn_flows: runs each kind unbroken three times: EXPECTED (its messages), POINTS
# (the fault points every run of it passes: two an effect, at its start and between
# its work and its "done" mark), KIND_MS (its quickest run: a loaded machine only
# makes runs slower) and FLOW_MS (the slowest kind's).
learn_flows() {
    local kind best points t t0
    FLOW_MS=0
    for kind in $FLOW_KINDS; do
        best= points=
        for _ in 1 2 3; do
            new_record
            FLOW_OUT="$WORK/reference-$kind.txt"
            : >"$FLOW_OUT"
            t0=$(now_ms)
            run_bot "$(rest_of_flow "$kind" none)"
            t=$(( $(now_ms) - t0 ))
            [ -n "$best" ] && [ "$best" -le "$t" ] || best=$t
            t=$(( 2 * $(sql "SELECT COUNT(*) FROM outbox WHERE status = 'done'") ))
            [ -n "$points" ] && [ "$points" -le "$t" ] || points=$t
        done
        KIND_MS[$kind]=$best
        [ "$best" -le "$FLOW_MS" ] || FLOW_MS=$best
        EXPECTED[$kind]=$(messages "$FLOW_OUT" | sort)
        POINTS[$kind]=$points
        if ! flow_done "$kind" || [ -z "${EXPECTED[$kind]}" ]; then
            fail "the unbroken $kind flow did not end $(final_state "$kind")"
            cat "$FLOW_OUT"
            exit 1
        fi
    done
}

# market_count KIND: cancellations the marketplace holds for the flow's request (the
# simulated one's count; a test against tests/fake_market redefines it).
market_count() {
    "$CANCELBOT" shell --db "$DB" "${SHELL_ARGS[@]}" <<<"market $RID" 2>/dev/null |
        sed -n 's/.*: \([0-9]*\) cancellation request(s) at the marketplace.*/\1/p'
}

# check_flow KIND WHAT SPARE: the flow whose output is FLOW_OUT ended where it should,
# with one request, one cancellation at the marketplace (none for a rejection), a
# sound record, and each of its messages posted once (SPARE repeats allowed).
# Counts into LOST, DOUBLED, REPOSTS; FLOW_FAILED says whether this flow failed.
LOST=0 DOUBLED=0 REPOSTS=0
check_flow() {
    local kind=$1 what=$2 spare=$3 before=$FAILURES want=1 market n
    the_request
    if [ "$state" != "$(final_state "$kind")" ]; then
        fail "$what: ended ${state/none/with no request}, not $(final_state "$kind")"
        LOST=$((LOST + 1))
    fi
    n=$(sql "SELECT COUNT(*) FROM requests")
    [ "$n" = 1 ] || { fail "$what: ${n:-no} requests"; DOUBLED=$((DOUBLED + 1)); }
    [ "$kind" = reject ] && want=0
    market=$(market_count "$kind")
    if [ "$market" != "$want" ]; then
        fail "$what: ${market:-?} cancellation(s) at the marketplace, expected $want"
        [ "${market:-0}" -gt "$want" ] && DOUBLED=$((DOUBLED + 1))
    fi
    check_record "$DB" "$what"
    # "COUNT TEXT" for every message the flow should post, and for any other one.
    messages "$FLOW_OUT" | sort >"$WORK/got"
    { while IFS= read -r m; do
          printf '%d %s\n' "$(grep -cxF -- "$m" "$WORK/got")" "$m"
      done <<<"${EXPECTED[$kind]}"
      grep -vxF -f <(printf '%s\n' "${EXPECTED[$kind]}") "$WORK/got" | sed 's/^/9 unexpected: /'
    } >"$WORK/counts"
    check_posts_once "$WORK/counts" "$what" "$spare"
    REPOSTS=$((REPOSTS + EXTRA_POSTS))
    awk '$1 == 0' "$WORK/counts" | grep -q . && LOST=$((LOST + 1))
    FLOW_FAILED=0
    if [ "$FAILURES" -ne "$before" ]; then
        FLOW_FAILED=1
        echo "--- $what: output ---"; grep -v '^    |' "$FLOW_OUT"
    fi
}
