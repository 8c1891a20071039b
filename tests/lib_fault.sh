# tests/lib_fault.sh -- helpers for the fault suite (tests/e2e_fault_*.sh, ctest label
# "fault"): a seed for every random choice, the number of rounds, and the checks every
# fault test ends with. Sourced after lib_e2e.sh. docs/reliability.md has the figures.
#
# Environment (all optional):
#   CANCELBOT_FAULT_SEED=N     replay a run: the seed a failing run printed (0..32767)
#   CANCELBOT_FAULT_ROUNDS=N   rounds (flows) instead of the test's default
#   CANCELBOT_FAULT_SANITIZED  set by ctest in a -DCANCELBOT_SANITIZE=ON build: a
#                              quarter of the default rounds (ASan runs ~4x slower)
# The seed fixes every random choice of the run (which step is killed, after how many
# milliseconds, how much free space, which fault); it cannot fix what the process was
# doing at that millisecond on a loaded machine, so a replay hits the same region of
# the flow, not always the same instruction.

FAULT_SEED=${CANCELBOT_FAULT_SEED:-$(( ($(date +%s%N) / 1000) % 32768 ))}
case "$FAULT_SEED" in
    ''|*[!0-9]*) echo "FAIL: CANCELBOT_FAULT_SEED must be a number 0..32767, not '$FAULT_SEED'"; exit 1 ;;
esac
RANDOM=$FAULT_SEED
echo "seed: $FAULT_SEED (replay: CANCELBOT_FAULT_SEED=$FAULT_SEED ctest -R $(basename "$0" .sh))"

fault_rounds() {     # fault_rounds DEFAULT: prints the rounds this run does
    local n=${CANCELBOT_FAULT_ROUNDS:-}
    if [ -z "$n" ]; then
        n=$1
        [ -z "${CANCELBOT_FAULT_SANITIZED:-}" ] || n=$(( (n + 3) / 4 ))
    fi
    case "$n" in
        ''|*[!0-9]*|0) echo "FAIL: CANCELBOT_FAULT_ROUNDS must be a positive number, not '$n'" >&2; exit 1 ;;
    esac
    echo "$n"
}

# rand_below N: RAND = 0..N-1 from the seeded sequence. Never call it in $(...): a
# subshell draws from a sequence of its own (bash reseeds it), so the run could not
# be replayed.
rand_below() {
    RAND=$(( RANDOM % $1 ))
}

fail() {             # fail "what": one failure, named
    echo "FAIL: $1"
    FAILURES=$((FAILURES + 1))
}

ok() { PASSES=$((PASSES + 1)); }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# check_record DB WHAT: PRAGMA integrity_check is ok and every request's history
# follows the state machine (tests/fault_transitions.sql).
check_record() {
    local db=$1 what=$2 integrity bad
    integrity=$(sqlite3 -batch -noheader "$db" "PRAGMA integrity_check" 2>&1)
    if [ "$integrity" = ok ]; then ok; else fail "$what: integrity_check: $integrity"; fi
    bad=$(sqlite3 -batch -noheader "$db" <"$CANCELBOT_SRC/tests/fault_transitions.sql" 2>&1)
    if [ -z "$bad" ]; then ok; else fail "$what: history outside the state machine: $bad"; fi
}

# check_posts_once FILE WHAT [SPARE]: every line of FILE is "COUNT TEXT" (a chat
# message of one flow and how often it was posted); each must be 1. SPARE extra posts
# are allowed in all (a kill between a post and its "done" mark re-posts once:
# docs/reliability.md); EXTRA_POSTS gets how many there were.
check_posts_once() {
    local file=$1 what=$2 spare=${3:-0} lost extra
    lost=$(awk '$1 == 0' "$file")
    extra=$(awk '$1 > 1 { n += $1 - 1 } END { print n + 0 }' "$file")
    EXTRA_POSTS=$extra
    if [ -n "$lost" ]; then fail "$what: message(s) never posted: $lost"; else ok; fi
    if [ "$extra" -le "$spare" ]; then
        ok
    else
        fail "$what: $extra extra post(s), $spare allowed: $(awk '$1 > 1' "$file" | head -5)"
    fi
}
