# Fault suite (label "fault"): the record's file system fills up in the middle of a
# flow, then space comes back. The record (SQLite, its WAL, and the simulated
# marketplace's state file beside it) lives on a 2 MiB tmpfs mounted for this test in
# a mount namespace of its own (unshare: it vanishes with the test). One shell process
# plays a flow line by line; before a random line the tmpfs is filled to within a
# random 0..252 KiB (so the first write that fails is a different one each round),
# a random number of lines run on the full disk, the space comes back (filler
# removed, the same process goes on) and the rest of the flow runs; then restarts
# finish what is left. After each round: the flow ended where it should, one request,
# one cancellation at the marketplace (none for a rejection), every message posted
# exactly once (no kill here: a repeat is a bug), the history follows the state
# machine, integrity_check ok. Needs root (mount); without it the test says so and is
# skipped. A round whose writes all fit in the space left never meets the full disk
# and proves nothing, so rounds go on until ROUNDS of them met it (at most three
# times as many rounds: about two in three meet it). CANCELBOT_FAULT_SEED replays a
# run, CANCELBOT_FAULT_ROUNDS sets ROUNDS (64).
if [ -z "${CANCELBOT_FAULT_MOUNT_NS:-}" ]; then
    if ! unshare --mount --propagation private true 2>/dev/null; then
        echo "SKIPPED: cannot make a mount namespace (unshare --mount needs root):" \
             "the full-disk fault was not tested"
        exit 77
    fi
    CANCELBOT_FAULT_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_fault.sh"
. "$(dirname "$0")/lib_fault_shell.sh"

ROUNDS=$(fault_rounds 64) || exit 1
FS="$WORK/fs"
mkdir -p "$FS"
if ! mount -t tmpfs -o size=2m,mode=0700 cancelbot-fault "$FS" 2>"$WORK/mount.err"; then
    echo "SKIPPED: cannot mount a tmpfs ($(cat "$WORK/mount.err")): the full-disk fault was not tested"
    exit 77
fi
trap 'umount "$FS" 2>/dev/null; rm -rf "$WORK"' EXIT
DB="$FS/cancelbot.db"
trap '' PIPE         # a shell that died: the write to it fails, the test goes on

fill_disk() {        # fill_disk KIB: leaves KIB free on the tmpfs
    local size
    dd if=/dev/zero of="$FS/filler" bs=64k 2>/dev/null
    size=$(stat -c %s "$FS/filler")
    truncate -s $(( size > $1 * 1024 ? size - $1 * 1024 : 0 )) "$FS/filler"
}

# send LINE N: one line to the running shell, then waits until it has been handled
# (the shell reads "sync-N", and echoes it, only after the line before is done).
send() {
    local n
    printf '%s\nsync-%s\n' "$1" "$2" >&3
    for n in $(seq 400); do
        grep -qF "> sync-$2" "$FLOW_OUT" && return 0
        kill -0 "$BOT" 2>/dev/null || break
        sleep 0.05
    done
    fail "$WHAT: the shell did not handle line $2 ($1) within 20 s"
    return 1
}

learn_flows
rounds_full=0 refusals=0 undone=0
t_start=$(now_ms)
rounds=0
for i in $(seq $((3 * ROUNDS))); do
    [ "$rounds_full" -ge "$ROUNDS" ] && break
    rounds=$i
    random_kind
    kind=$KIND
    new_record
    FLOW_OUT="$WORK/flow.txt"
    : >"$FLOW_OUT"
    : >"$WORK/err.txt"
    mapfile -t lines < <(rest_of_flow "$kind" none)
    rand_below "${#lines[@]}"; fill_at=$RAND
    rand_below 64;             free_kib=$(( RAND * 4 ))
    rand_below $(( ${#lines[@]} - fill_at )); full_lines=$(( RAND + 1 ))
    WHAT="round $i ($kind, full before line $((fill_at + 1)) of ${#lines[@]} with $free_kib KiB left, for $full_lines line(s))"

    rm -f "$WORK/in"
    mkfifo "$WORK/in"
    "$CANCELBOT" shell --db "$DB" <"$WORK/in" >>"$FLOW_OUT" 2>>"$WORK/err.txt" &
    BOT=$!
    exec 3>"$WORK/in"
    send "" start || continue     # the record is open (and migrated) before it fills up
    for n in "${!lines[@]}"; do
        [ "$n" = "$fill_at" ] && fill_disk "$free_kib"
        [ "$n" = $((fill_at + full_lines)) ] && rm -f "$FS/filler"
        send "${lines[$n]}" "$n" || break
    done
    rm -f "$FS/filler"
    exec 3>&-
    wait "$BOT"
    rc=$?
    [ "$rc" = 0 ] || fail "$WHAT: the shell exited $rc (a full disk must not bring it down)"
    grep -q "disk is full" "$WORK/err.txt" && rounds_full=$((rounds_full + 1))
    refusals=$((refusals + $(grep -c "could not record that" "$FLOW_OUT")))
    undone=$((undone + $(grep -c "could not be marked done" "$WORK/err.txt")))
    # Restarts with the space back; the requester and finance retype what was refused.
    for _ in 1 2 3 4 5 6; do
        flow_done "$kind" && break
        run_bot "$(rest_of_flow "$kind" "$state")"
    done
    check_flow "$kind" "$WHAT" 0
    if [ "$FLOW_FAILED" = 1 ]; then
        echo "--- bot stderr ---"; cat "$WORK/err.txt"
        if grep -q "could not be recorded" "$WORK/err.txt" && [ "$EXTRA_POSTS" -gt 0 ]; then
            echo "FAIL: $WHAT: a message was posted again after the full disk kept its" \
                 "effect from being marked done"
        fi
    fi
    [ "$FAILURES" -gt 10 ] && break
done
echo "fault disk_full: seed $FAULT_SEED, $rounds rounds, $rounds_full hit a full disk, $refusals command(s) refused while full, $undone effect(s) not marked done, lost $LOST, doubled $DOUBLED, $REPOSTS repeated post(s), $(( $(now_ms) - t_start )) ms"
[ "$rounds_full" -ge "$ROUNDS" ] || fail "only $rounds_full of $rounds rounds met the full disk ($ROUNDS wanted)"
finish
