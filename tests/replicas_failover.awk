# tests/replicas_failover.awk -- reads the logs of the bot's processes in a
# multi-replica run (CANCELBOT_LOG_LEVEL=debug: "<request>: effect <id> <kind>
# started|done", and "resuming ... (intent <id>)"), one file per process, and says
# how the work of the killed one moved on. Used by tests/e2e_replicas.sh and
# bench/run.sh; run with TZ=UTC.
#
#   awk -v victim=FILE -v kill_ms=UNIX_MS -f replicas_failover.awk LOG...
#
# Prints one line "FAILOVER takeovers=N max_ms=M lost=L intents=I intent_max_ms=J",
# where a takeover is an effect the victim started that another process started after
# the kill (M: the longest time from the kill to such a start), lost counts effects
# the victim started and neither finished nor anyone else started, and intents are
# slash commands resumed by another process after the kill. Then "MULTI <id> <kind>
# <request>" for every effect started by more than one process, "LOST <id> <kind>
# <request>" for each lost one.

function stamp_ms(s,    d, ms) {       # 2026-12-07T13:05:58.245Z -> Unix ms
    d = substr(s, 1, 4) " " substr(s, 6, 2) " " substr(s, 9, 2) " " substr(s, 12, 2) " " \
        substr(s, 15, 2) " " substr(s, 18, 2)
    ms = substr(s, 21, 3)
    return mktime(d) * 1000 + ms
}

$4 == "effect" && ($7 == "started" || $7 == "done") {
    t = stamp_ms($1); id = $5
    kind[id] = $6; req[id] = $3; sub(/:$/, "", req[id])
    if ($7 == "started") {
        if (!((FILENAME, id) in start)) {
            start[FILENAME, id] = t
            procs[id] = procs[id] " " FILENAME
            nprocs[id]++
        }
    } else {
        done[FILENAME, id] = 1
    }
    ids[id] = 1
}

/ resuming .*\(intent [0-9]+\)/ && FILENAME != victim {
    t = stamp_ms($1)
    if (t >= kill_ms) {
        intents++
        if (t - kill_ms > intent_max) intent_max = t - kill_ms
    }
}

END {
    for (id in ids) {
        if (nprocs[id] > 1) print "MULTI", id, kind[id], req[id]
        if (!((victim, id) in start)) continue
        first = -1
        n = split(procs[id], pl, " ")
        for (i = 1; i <= n; i++) {
            if (pl[i] == victim || start[pl[i], id] < kill_ms) continue
            if (first < 0 || start[pl[i], id] < first) first = start[pl[i], id]
        }
        if (first >= 0) {
            takeovers++
            if (first - kill_ms > max_ms) max_ms = first - kill_ms
        } else if (!((victim, id) in done)) {
            lost++
            print "LOST", id, kind[id], req[id]
        }
    }
    printf "FAILOVER takeovers=%d max_ms=%d lost=%d intents=%d intent_max_ms=%d\n",
           takeovers, max_ms, lost, intents, intent_max
}
