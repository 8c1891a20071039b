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
. "$(dirname "$0")/lib_fault_shell.sh"

FLOWS=$(fault_rounds 240) || exit 1
KILL_PERCENT=60
MAX_RUNS=12                  # runs of one flow; the last ones are never killed

learn_flows
echo "an unkilled flow takes ${KIND_MS[aws]}/${KIND_MS[reject]}/${KIND_MS[azure]} ms (aws/reject/azure) and passes ${POINTS[aws]}/${POINTS[reject]}/${POINTS[azure]} fault points: kills land 0..that many ms into a run (3 in 10) or at one of the points (7 in 10)"

runs=0 kills=0 killed_flows=0
point_first=0 point_first_landed=0   # flows whose first run was armed at a point
t_start=$(now_ms)
for i in $(seq "$FLOWS"); do
    random_kind
    kind=$KIND
    new_record
    FLOW_OUT="$WORK/flow.txt"
    : >"$FLOW_OUT"
    flow_kills=0 state=none
    for run in $(seq "$MAX_RUNS"); do
        flow_done "$kind" && break
        kill=-
        # The first run of a flow is always armed, later ones KILL_PERCENT of times.
        # A time kill lands only if the run is still going (a quick run, or a slow
        # start-up, outruns it); a point kill on a first run always lands, since
        # every run of the kind passes POINTS of them.
        rand_below 100
        if [ "$run" -le $((MAX_RUNS - 3)) ] && { [ "$run" = 1 ] || [ "$RAND" -lt "$KILL_PERCENT" ]; }; then
            rand_below 10
            if [ "$RAND" -lt 3 ]; then
                rand_below $((KIND_MS[$kind] + 1))
                kill=t$RAND
            else
                # later runs have less of the flow left, so fewer points
                rand_below $(( POINTS[$kind] / run > 1 ? POINTS[$kind] / run : 1 ))
                kill=p$(( 1 + RAND ))
            fi
        fi
        run_bot "$(rest_of_flow "$kind" "$state")" "$kill" 2>/dev/null
        runs=$((runs + 1))
        if [ "$run" = 1 ] && [ "${kill#p}" != "$kill" ]; then
            point_first=$((point_first + 1))
            if [ "$RUN_RC" -eq 137 ]; then
                point_first_landed=$((point_first_landed + 1))
            else
                fail "flow $i ($kind): its first run passed fewer than ${kill#p} fault points (every unbroken run passes ${POINTS[$kind]})"
            fi
        fi
        if [ "$RUN_RC" -eq 137 ]; then
            flow_kills=$((flow_kills + 1))
        elif [ "$RUN_RC" -ne 0 ]; then
            fail "flow $i ($kind): the shell exited $RUN_RC"
        fi
    done
    kills=$((kills + flow_kills))
    [ "$flow_kills" -eq 0 ] || killed_flows=$((killed_flows + 1))
    check_flow "$kind" "flow $i ($kind, $flow_kills kill(s))" "$flow_kills"
    [ "$FAILURES" -gt 20 ] && break
done
echo "fault kill_shell: seed $FAULT_SEED, $FLOWS flows ($killed_flows killed at least once; $point_first_landed of $point_first first runs armed at a point), $runs runs, $kills kills landed, lost $LOST, doubled $DOUBLED, $REPOSTS repeated post(s) after a kill, $(( $(now_ms) - t_start )) ms"
# How many time kills land depends on the machine's speed, so no count of them is
# asserted; each first run armed at a point was checked above to have been killed.
finish
