#!/usr/bin/env bash
# bench/run.sh -- builds the bot and bench/, installs the Bolt peer, then measures
# cancelbot against the Bolt peer under the same Slack load, and cancelbot alone with
# a large store. Prints one table at the end. Everything runs on 127.0.0.1, every wait
# is bounded, and child processes are stopped on exit. See bench/README.md.
#
# Environment (all optional):
#   RATES="200 1000 2000"        open-loop rates (envelopes/s) for bot vs peer
#   RUN_SECONDS=3                seconds of sending per rate run
#   FILL_SIZES="1000 10000 100000"  store sizes (requests) for the bot-only runs
#   FILL_RATE=50                 envelope rate of the store-size cancel run
#   SKIP_BUILD=1                 use build-bench as it is
#   REPLICAS=3                   also run the bot as N replicas on one record (off by
#                                default), against the AWS fake, one SIGKILLed mid-run
#   REPLICA_RATES="200 1000"     open-loop rates of the replicas runs
#   REPLICA_LEASE_MS=5000        the replicas' lease (CANCELBOT_LEASE_MS)
#   REPLICA_DATABASE_URL=URL     the replicas share this PostgreSQL database (a fresh
#                                schema per run, dropped after) instead of one SQLite file
#   KEEP=1                       keep the work directory (databases, app logs)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-bench"
PEER_DIR="$ROOT/bench/bolt_peer"
RATES=${RATES-"200 1000 2000"}        # empty: no bot-vs-peer runs
RUN_SECONDS=${RUN_SECONDS:-3}
FILL_SIZES=${FILL_SIZES-"1000 10000 100000"}   # empty: no store-size runs
FILL_RATE=${FILL_RATE:-50}
REPLICAS=${REPLICAS:-}
REPLICA_RATES=${REPLICA_RATES:-"200 1000"}
REPLICA_LEASE_MS=${REPLICA_LEASE_MS:-5000}
WORK=$(mktemp -d /tmp/cancelbot-bench.XXXXXX)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

cleanup() {
    # slack_load stops the app it started; this catches an interrupted run. Only our
    # own children, by pid.
    local pids
    pids=$(jobs -p || true)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# --- build ------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "== building in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" --target cancelbot slack_load store_fill \
        ${REPLICAS:+fake_market} >/dev/null
fi
BOT="$BUILD/bot/cancelbot"
LOAD="$BUILD/bench/slack_load"
FILL="$BUILD/bench/store_fill"

# --- the Bolt peer ------------------------------------------------------------------
if [ -n "$RATES" ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
    say "== installing nodejs and npm (Debian packages)"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -n "$RATES" ] && [ ! -d "$PEER_DIR/node_modules/@slack/bolt" ]; then
    say "== npm install in $PEER_DIR"
    (cd "$PEER_DIR" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }) >&2
fi
PEER=(node "$PEER_DIR/app.js")

# run LABEL [slack_load options...] -- APP...: one slack_load run, its RESULT line
# kept (prefixed with the run's name) and its report shown.
run() {
    local name=$1 out
    shift
    out=$("$LOAD" --app-log "$WORK/$name.log" --label "$name" "$@") || {
        say "!! $name failed (see $WORK/$name.log)"; tail -5 "$WORK/$name.log" >&2 || true
        return 0
    }
    printf '%s\n' "$out" | grep -v '^RESULT' >&2
    printf '%s\n' "$out" | sed -n "s/^RESULT /RESULT run=$name /p" >>"$RESULTS"
}

# --- bot vs peer at each rate -------------------------------------------------------
for rate in $RATES; do
    count=$((rate * RUN_SECONDS))
    rm -f "$WORK"/rate.db*
    run "bot@$rate" --workload cancel --rate "$rate" --count "$count" --drain 15 \
        --max-seconds 120 -- "$BOT" run --db "$WORK/rate.db"
    run "peer@$rate" --workload cancel --rate "$rate" --count "$count" --drain 15 \
        --max-seconds 120 -- "${PEER[@]}"
done

# --- store size -------------------------------------------------------------------
# Templates made by the real bot: CR-1 submitted (slash, confirm, approve) and CR-2
# awaiting approval (slash, confirm); then cloned N times by store_fill.
if [ -n "$FILL_SIZES" ]; then
    mkdir -p "$WORK/seed"
    run seed --workload cancel --closed 1 --flows 2 --approve-every 2 --count 5 \
        --linger-ms 1000 --drain 15 -- "$BOT" run --db "$WORK/seed/bot.db"
fi
for n in $FILL_SIZES; do
    rm -rf "$WORK/fill" && cp -r "$WORK/seed" "$WORK/fill"
    t0=$(date +%s.%N)
    "$FILL" --db "$WORK/fill/bot.db" --count "$n" >"$WORK/fill-$n.out"
    t1=$(date +%s.%N)
    fill_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    say "== filled $n requests in $fill_s s ($(du -h "$WORK/fill/bot.db" | cut -f1))"
    echo "RESULT run=fill@$n fill_s=$fill_s db_mb=$(du -m "$WORK/fill/bot.db" | cut -f1)" >>"$RESULTS"
    db="$WORK/fill/bot.db"
    run "list@$n" --workload list --list-text "list pending" --closed 1 --count 50 --drain 15 \
        -- "$BOT" run --db "$db"
    run "home@$n" --workload home --home-user U0FIN1 --closed 1 --count 50 --drain 15 \
        -- "$BOT" run --db "$db"
    run "cancel@$n" --workload cancel --rate "$FILL_RATE" --count $((FILL_RATE * RUN_SECONDS)) \
        --drain 15 -- "$BOT" run --db "$db"
done

# --- replicas ------------------------------------------------------------------------
# N bots on one SQLite file, the real AWS provider against tests/fake_market (the sim
# keeps its market in a file per process), one agreement per flow; replica 1 is
# SIGKILLed halfway through the sending, its Web API calls unanswered for 500 ms
# before, and the failover (kill -> another process starts its effects) is read from
# the logs. See bench/README.md.
run_replicas() {
    local rate=$1 name="replicas@$1" flows mport kill_ms fo schema="" url
    local dbarg=(--db "$WORK/rep/bot.db")
    flows=$((rate * RUN_SECONDS / 3))
    if [ -n "${REPLICA_DATABASE_URL:-}" ]; then
        schema="cbbench_${rate}_$$"
        psql -qX "$REPLICA_DATABASE_URL" -c "CREATE SCHEMA $schema" >/dev/null
        case "$REPLICA_DATABASE_URL" in
            *\?*) url="$REPLICA_DATABASE_URL&options=-csearch_path%3D$schema" ;;
            *) url="$REPLICA_DATABASE_URL?options=-csearch_path%3D$schema" ;;
        esac
        dbarg=(--database-url "$url")
    fi
    rm -rf "$WORK/rep" && mkdir -p "$WORK/rep"
    printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/rep/credentials"
    printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}}}' >"$WORK/rep/policy.json"
    "$BUILD/tests/fake_market" --port-file "$WORK/rep/mport" --log /dev/null --timeout 200 \
        --agreements "$flows" >/dev/null 2>&1 &
    local mpid=$!
    for _ in $(seq 100); do [ -s "$WORK/rep/mport" ] && break; sleep 0.05; done
    mport=$(cat "$WORK/rep/mport")
    AWS_SHARED_CREDENTIALS_FILE="$WORK/rep/credentials" AWS_CONFIG_FILE="$WORK/rep/none" \
    AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$mport" \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$mport" CANCELBOT_LOG_LEVEL=debug \
    CANCELBOT_LEASE_MS=$REPLICA_LEASE_MS \
    run "$name" --workload cancel --rate "$rate" --flows "$flows" --count $((flows * 3)) \
        --agreement-pattern 'agmt-rep################' --replicas "$REPLICAS" \
        --kill-at "$(awk -v s="$RUN_SECONDS" 'BEGIN { print s / 2 }')" --hang-ms 500 \
        --drain 20 --max-seconds 120 -- "$BOT" run "${dbarg[@]}" --config "$WORK/rep/policy.json"
    kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null || true
    if [ -n "$schema" ] && [ "${KEEP:-0}" = 1 ]; then
        say "   schema $schema kept"
    elif [ -n "$schema" ]; then
        psql -qX "$REPLICA_DATABASE_URL" \
            -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" >/dev/null
    fi
    kill_ms=$(sed -n "s/^RESULT run=$name .*kill_unix_ms=\([0-9]*\).*/\1/p" "$RESULTS")
    [ -n "$kill_ms" ] || return 0
    fo=$(TZ=UTC awk -v victim="$WORK/$name.log.1" -v kill_ms="$kill_ms" \
         -f "$ROOT/tests/replicas_failover.awk" "$WORK/$name.log".* | grep '^FAILOVER')
    say "   $fo (lease $REPLICA_LEASE_MS ms)"
    echo "RESULT run=fo@$rate ${fo#FAILOVER }" >>"$RESULTS"
}
if [ -n "$REPLICAS" ]; then
    for rate in $REPLICA_RATES; do run_replicas "$rate"; done
fi

# --- the table -----------------------------------------------------------------------
awk -v rates="$RATES" -v sizes="$FILL_SIZES" -v rrates="${REPLICAS:+$REPLICA_RATES}" \
    -v replicas="$REPLICAS" -v lease="$REPLICA_LEASE_MS" \
    -v store="${REPLICA_DATABASE_URL:+one PostgreSQL database}" '
function f(v) { return v == "" ? "-" : v }
/^RESULT / {
    delete kv
    for (i = 2; i <= NF; i++) { split($i, kp, "="); kv[kp[1]] = substr($i, length(kp[1]) + 2) }
    r = kv["run"]; runs[++n] = r
    for (k in kv) R[r, k] = kv[k]
}
END {
    printf "\nBot vs Bolt peer, cancel workload (/cancel, Confirm, Approve), open loop\n"
    printf "%-11s %6s %6s %5s %5s %10s %10s %10s %10s %9s %9s %8s %6s %7s\n", "run", "sent",
           "acked", ">3s", "miss", "ack p50", "ack p90", "ack p99", "ack max", "api p50",
           "api p99", "env/s", "cpu s", "rss MB"
    for (i = 1; i <= n; i++) {
        r = runs[i]
        if (R[r, "workload"] != "cancel" || r ~ /^(seed|cancel@|replicas@)/) continue
        printf "%-11s %6s %6s %5s %5s %10s %10s %10s %10s %9s %9s %8s %6s %7s\n", r,
               R[r, "sent"], R[r, "acked"], R[r, "late"], R[r, "missing"], R[r, "ack_p50"],
               R[r, "ack_p90"], R[r, "ack_p99"], R[r, "ack_max"], R[r, "api_p50"],
               R[r, "api_p99"], R[r, "tput"], R[r, "cpu_s"], R[r, "rss_mb"]
    }
    printf "\nRatios peer/bot (latencies, cpu, rss: below 1 = the peer is lower; env/s: above 1 = the peer is higher)\n"
    printf "%-7s %9s %9s %9s %9s %9s %9s %9s\n", "rate", "ack p50", "ack p99", "api p50",
           "api p99", "env/s", "cpu s", "rss MB"
    nr = split(rates, rl, " ")
    for (i = 1; i <= nr; i++) {
        b = "bot@" rl[i]; pr = "peer@" rl[i]
        if (!((b, "ack_p50") in R) || !((pr, "ack_p50") in R)) continue
        printf "%-7s", rl[i]
        split("ack_p50 ack_p99 api_p50 api_p99 tput cpu_s rss_mb", ks, " ")
        for (j = 1; j <= 7; j++)
            printf " %9s", (R[b, ks[j]] + 0 > 0) ? sprintf("%.2f", R[pr, ks[j]] / R[b, ks[j]]) : "-"
        printf "\n"
    }
    ns = split(sizes, sl, " ")
    if (ns) {
        printf "\nBot with a filled store (ms; list = /cancel list pending answered in the ack,\n"
        printf "home = app_home_opened -> views.publish, cancel = the cancel workload at its rate)\n"
        printf "%-9s %7s %7s %9s %9s %9s %9s %9s %10s %10s %10s %5s %7s\n", "requests", "fill s",
               "db MB", "start ms", "list p50", "list p99", "home p50", "home p99", "cancel p50",
               "cancel p99", "cancel max", ">3s", "rss MB"
        for (i = 1; i <= ns; i++) {
            s = sl[i]; l = "list@" s; h = "home@" s; c = "cancel@" s; fl = "fill@" s
            printf "%-9s %7s %7s %9s %9s %9s %9s %9s %10s %10s %10s %5s %7s\n", s,
                   f(R[fl, "fill_s"]), f(R[fl, "db_mb"]), f(R[l, "startup_ms"]),
                   f(R[l, "ack_p50"]), f(R[l, "ack_p99"]), f(R[h, "api_p50"]), f(R[h, "api_p99"]),
                   f(R[c, "ack_p50"]), f(R[c, "ack_p99"]), f(R[c, "ack_max"]),
                   f(R[c, "late"] + R[c, "missing"]), f(R[c, "rss_mb"])
        }
    }
    nq = split(rrates, ql, " ")
    if (nq) {
        printf "\n%s replicas on %s, AWS fake, replica 1 SIGKILLed halfway (ms; failover:\n", replicas, store != "" ? store : "one SQLite file"
        printf "kill -> another replica starts the dead one'"'"'s effect, lease %s ms)\n", lease
        printf "%-7s %6s %6s %5s %5s %9s %9s %9s %9s %10s %11s %11s\n", "rate", "sent", "acked",
               ">3s", "miss", "ack p50", "ack p99", "ack max", "resent", "takeovers",
               "failover ms", "cmds resumed"
        for (i = 1; i <= nq; i++) {
            q = "replicas@" ql[i]; o = "fo@" ql[i]
            printf "%-7s %6s %6s %5s %5s %9s %9s %9s %9s %10s %11s %11s\n", ql[i], f(R[q, "sent"]),
                   f(R[q, "acked"]), f(R[q, "late"]), f(R[q, "missing"]), f(R[q, "ack_p50"]),
                   f(R[q, "ack_p99"]), f(R[q, "ack_max"]), f(R[q, "redelivered"]),
                   f(R[o, "takeovers"]), f(R[o, "max_ms"]), f(R[o, "intents"])
        }
    }
}' "$RESULTS"
