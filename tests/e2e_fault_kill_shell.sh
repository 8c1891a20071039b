# Fault suite (label "fault"): SIGKILL at random moments during whole flows in the
# shell on the simulated marketplace, restarting until each flow ends. Each flow (its
# own record) is an AWS cancellation the buyer accepts, an AWS one finance rejects, or
# an Azure one; every run of the bot gets the rest of the flow on stdin and, most
# times, a SIGKILL after a random delay within the time a whole unkilled flow takes.
# After each flow: it ended where it should; one cancellation at the marketplace (none
# for a rejection); every thread message and the card posted once (a kill between a
# post and its "done" mark may repeat that one post: at most one extra per kill that
# landed); the history follows the state machine; integrity_check ok.
# CANCELBOT_FAULT_SEED replays a run, CANCELBOT_FAULT_ROUNDS sets the flows (240).
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_fault.sh"

FLOWS=$(fault_rounds 240) || exit 1
KILL_PERCENT=60
MAX_RUNS=12                  # runs of one flow; the last ones are never killed
AWS_CREATE='/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"'
AZURE_CREATE='/cancel azure customer=3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b subscription=9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789 entitlement=ent-0001 reason=compromise note="Subscription compromised: unknown deployments in eastus"'

sql() { [ ! -f "$DB" ] || sqlite3 -batch -noheader "$DB" "$1" 2>/dev/null; }

# The input lines that take a flow of KIND on from STATE (the request's, or "none").
rest_of_flow() {     # rest_of_flow KIND STATE
    local kind=$1 state=$2
    case "$state" in
        none)
            # A /cancel whose look-up was under way at the kill is resumed by the
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

# the_request: RID and state of the flow's request (ids are not reused: a /cancel
# killed after taking its id leaves a gap, so the first request may be CR-2).
# PENDING: effects other than timers still to run.
the_request() {
    local row
    row=$(sql "SELECT id, state, (SELECT COUNT(*) FROM outbox WHERE status = 'pending'
               AND kind <> 'timer') FROM requests ORDER BY created_ms, id LIMIT 1")
    IFS='|' read -r RID state PENDING <<<"$row"
    RID=${RID:-CR-1}
    PENDING=${PENDING:-0}
}

final_state() { case "$1" in reject) echo rejected ;; *) echo completed ;; esac; }

# run_bot INPUT KILL: one run of the shell, its output appended to FLOW_OUT; RUN_RC.
# KILL: "-" not killed; "tN" SIGKILL N ms after the start (start-up, a command or a
# commit under way); "pN" SIGKILL at the bot's N-th fault point (the start of an
# effect, or an effect that worked before its "done" mark:
# CANCELBOT_FAULT_KILL_AT_POINT), a moment chosen by the flow's progress whatever
# the machine's speed.
run_bot() {
    local kill=$2 point= pid
    [ "${kill#p}" = "$kill" ] || point=${kill#p}
    # $! must be the bot itself (a subshell around it would take the kill instead).
    CANCELBOT_FAULT_KILL_AT_POINT=$point \
        "$CANCELBOT" shell --db "$DB" <<<"$1" >>"$FLOW_OUT" 2>>"$WORK/err.txt" &
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
        sed -E -e 's/acr-[a-z0-9]+/acr-X/g' -e 's/CR-[0-9]+/CR-N/g' -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC/DATE/g'
}

# The messages each kind of flow posts, from unkilled runs; the quickest of three runs
# of each kind (a loaded machine only makes runs slower) bounds the kill delays.
declare -A EXPECTED POINTS
KILL_RANGE_MS=0
for kind in aws reject azure; do
    best=
    for _ in 1 2 3; do
        RID=CR-1
        rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.sim.json"
        FLOW_OUT="$WORK/reference-$kind.txt"
        : >"$FLOW_OUT"
        t0=$(now_ms)
        run_bot "$(rest_of_flow "$kind" none)" -
        t=$(( $(now_ms) - t0 ))
        [ -n "$best" ] && [ "$best" -le "$t" ] || best=$t
    done
    [ "$best" -le "$KILL_RANGE_MS" ] || KILL_RANGE_MS=$best
    EXPECTED[$kind]=$(messages "$FLOW_OUT" | sort)
    POINTS[$kind]=$(( 2 * $(sql "SELECT COUNT(*) FROM outbox WHERE status = 'done'") ))
    the_request
    if [ "$state" != "$(final_state "$kind")" ] || [ -z "${EXPECTED[$kind]}" ]; then
        fail "the unkilled $kind flow did not end $(final_state "$kind")"
        cat "$FLOW_OUT"
        exit 1
    fi
done
echo "an unkilled flow takes $KILL_RANGE_MS ms and passes ${POINTS[aws]} fault points: kills land 0..$KILL_RANGE_MS ms into a run (3 in 10) or at a point (7 in 10)"

runs=0 kills=0 killed_flows=0 lost=0 doubled=0 extra_total=0
t_start=$(now_ms)
for i in $(seq "$FLOWS"); do
    case $(rand_below 4) in 0) kind=reject ;; 1) kind=azure ;; *) kind=aws ;; esac
    rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.sim.json"
    FLOW_OUT="$WORK/flow.txt"
    : >"$FLOW_OUT"
    flow_kills=0 state=none
    for run in $(seq "$MAX_RUNS"); do
        the_request
        state=${state:-none}
        # Done once the flow ended and its last messages went out: a kill after the
        # final transition leaves them in the outbox for the next start.
        [ "$state" = "$(final_state "$kind")" ] && [ "$PENDING" = 0 ] && break
        kill=-
        # The first run of a flow is always armed, later ones KILL_PERCENT of times.
        if [ "$run" -le $((MAX_RUNS - 3)) ] && { [ "$run" = 1 ] || [ "$(rand_below 100)" -lt "$KILL_PERCENT" ]; }; then
            if [ "$(rand_below 10)" -lt 3 ]; then
                kill=t$(rand_below $((KILL_RANGE_MS + 1)))
            else
                # later runs have less of the flow left, so fewer points
                kill=p$(( 1 + $(rand_below $(( POINTS[$kind] / run + 1 )) ) ))
            fi
        fi
        run_bot "$(rest_of_flow "$kind" "$state")" "$kill" 2>/dev/null
        runs=$((runs + 1))
        if [ "$RUN_RC" -eq 137 ]; then
            flow_kills=$((flow_kills + 1))
        elif [ "$RUN_RC" -ne 0 ]; then
            fail "flow $i ($kind): the shell exited $RUN_RC"
        fi
    done
    kills=$((kills + flow_kills))
    [ "$flow_kills" -eq 0 ] || killed_flows=$((killed_flows + 1))
    what="flow $i ($kind, $flow_kills kill(s))"
    before=$FAILURES
    the_request
    if [ "$state" != "$(final_state "$kind")" ]; then
        fail "$what: ended ${state:-with no request}, not $(final_state "$kind")"
        lost=$((lost + 1))
    fi
    [ "$(sql "SELECT COUNT(*) FROM requests")" = 1 ] || { fail "$what: $(sql "SELECT COUNT(*) FROM requests") requests"; doubled=$((doubled + 1)); }
    want=1
    [ "$kind" = reject ] && want=0
    market=$("$CANCELBOT" shell --db "$DB" <<<"market $RID" 2>/dev/null | sed -n 's/.*: \([0-9]*\) cancellation request(s) at the marketplace.*/\1/p')
    if [ "$market" != "$want" ]; then
        fail "$what: ${market:-?} cancellation(s) at the marketplace, expected $want"
        [ "${market:-0}" -gt "$want" ] && doubled=$((doubled + 1))
    fi
    check_record "$DB" "$what"
    # "COUNT TEXT" for every message the flow should post, and for any other one.
    messages "$FLOW_OUT" | sort >"$WORK/got"
    { while IFS= read -r m; do
          printf '%d %s\n' "$(grep -cxF -- "$m" "$WORK/got")" "$m"
      done <<<"${EXPECTED[$kind]}"
      grep -vxF -f <(printf '%s\n' "${EXPECTED[$kind]}") "$WORK/got" | sed 's/^/9 unexpected: /'
    } >"$WORK/counts"
    check_posts_once "$WORK/counts" "$what" "$flow_kills"
    extra_total=$((extra_total + EXTRA_POSTS))
    if [ "$FAILURES" -ne "$before" ]; then
        awk '$1 == 0' "$WORK/counts" | grep -q . && lost=$((lost + 1))
        echo "--- flow $i output ---"; cat "$FLOW_OUT"
        [ "$FAILURES" -gt 20 ] && break
    fi
done
echo "fault kill_shell: seed $FAULT_SEED, $FLOWS flows ($killed_flows killed at least once), $runs runs, $kills kills landed, lost $lost, doubled $doubled, $extra_total repeated post(s) after a kill, $(( $(now_ms) - t_start )) ms"
# Nearly every flow gets a kill; fewer than 4 in 5 means the kills come too late.
[ "$killed_flows" -ge $(( FLOWS * 4 / 5 )) ] || fail "only $killed_flows of $FLOWS flows were killed at least once"
finish
