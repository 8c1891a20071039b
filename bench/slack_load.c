/* bench/slack_load.c -- a load generator that plays Slack to one Socket Mode app.
 *
 *   slack_load [options] -- APP [ARGS...]
 *
 * It listens on 127.0.0.1 (a free port), starts APP with SLACK_API_URL pointing at
 * itself (and the test tokens unless set), waits for APP's websocket, sends the
 * workload, measures every ack and the Web API call each envelope causes, reads APP's
 * CPU time and peak RSS from /proc, stops APP (SIGTERM to its process group, SIGKILL
 * after 5 s) and prints the figures (load_report.c). Every wait is bounded.
 *
 *   --workload cancel|list|home   what to send (load_workload.c)           [cancel]
 *   --rate N | --closed K         open loop at N envelopes/s, or K outstanding [closed 1]
 *   --count M                     envelopes to send                        [100]
 *   --flows F                     cancel: at most F requests (0: no limit) [0]
 *   --approve-every N             cancel: approve flow k when k % N == 0   [1]
 *   --list-text TEXT              list: what follows /cancel               [list]
 *   --home-user USER              home: who opens App Home                 [U0FIN1]
 *   --drain S                     after the last send, wait at most S s for acks and
 *                                 answers; also the longest pause with no progress [15]
 *   --linger-ms MS                once everything is answered, let APP work on [0]
 *                                 (in any case until it makes no API call for 300 ms)
 *   --max-seconds S               hard limit of the run                    [300]
 *   --label NAME                  names the run in the output              [app]
 *   --app-log FILE                APP's stdout and stderr                  [/dev/null]
 *                                 (replicas: FILE.1, FILE.2, ...)
 *   --agreement-pattern P         cancel: flow k cancels P with its run of '#' replaced
 *                                 by k (from 1, zero-padded) [one agreement for all]
 *   --replicas N                  start APP N times (1-10), each with its own tokens and
 *                                 connection; envelopes go to any connection   [1]
 *   --deliver rr|random           replicas: which connection takes an envelope  [rr]
 *   --kill-at S                   SIGKILL replica --kill-replica K (1..N) [1], S seconds
 *                                 into the load
 *   --hang-ms MS                  before the kill, leave its Web API calls unanswered
 *   --restart-at S                SIGTERM replica --restart-replica K [2, or 1 with one
 *                                 replica], then start it again (a killed one: again)
 * Faults and replicas are in load_apps.c. With any of them, envelopes left unacked on a
 * connection that closes are sent again on another one, same envelope id.
 *
 * Exit status: 0 when the run happened (missing acks are figures, not failures), 1
 * when APP never connected or died or we were interrupted (the figures so far are
 * printed all the same), 2 on bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench/slack_load.h"

#define CONNECT_TIMEOUT_US (60 * 1000000LL)
#define TICK_US            1000      /* the open loop's send clock */
#define QUIET_US           (300 * 1000LL)   /* no Web API call this long: the app is done */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {                       /* a bench tool: dying loudly beats limping on */
        fputs("slack_load: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct load *L = lws_container_of(sul, struct load, sul_tick);
    apps_faults(L);
    if (L->redeliver)
        server_resend_waiting(L);
    workload_pump(L);
    lws_sul_schedule(L->ctx, 0, &L->sul_tick, on_tick, TICK_US);
}

/* 1 while the run goes on. Complete: everything acked and answered, then the linger. */
static int running(struct load *L)
{
    long long now = now_us();
    if (interrupted || !apps_ok(L))
        return 0;
    if (now - L->start_us > L->max_us)
        return 0;
    if (!L->complete_us && workload_complete(L))
        L->complete_us = now;
    /* then until the app's Web API calls stop (its thread messages, card updates):
     * the CPU figure is for the whole workload, not just its first answers */
    if (L->complete_us)
        return now - L->complete_us < L->drain_us &&
               (now - L->complete_us < L->linger_us || now - L->last_api_us < QUIET_US);
    if ((int)L->n_envs >= L->count && L->last_send_us)
        return now - L->last_send_us < L->drain_us;
    return now - L->last_progress_us < L->drain_us;   /* stuck: nothing can go out */
}

static int usage(void)
{
    fputs("usage: slack_load [--workload cancel|list|home] [--rate N | --closed K] "
          "[--count M] [--flows F] [--approve-every N] [--list-text TEXT] "
          "[--home-user U] [--drain S] [--linger-ms MS] [--max-seconds S] [--label NAME] "
          "[--app-log FILE] [--agreement-pattern P] [--replicas N] [--deliver rr|random] "
          "[--kill-at S] [--kill-replica K] [--hang-ms MS] [--restart-at S] "
          "[--restart-replica K] -- APP [ARGS...]\n", stderr);
    return 2;
}

static int parse_options(struct load *L, int argc, char **argv)
{
    int i;
    for (i = 1; i < argc && strcmp(argv[i], "--"); i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        if (!strcmp(o, "--workload")) {
            if (!strcmp(v, "cancel")) L->workload = WL_CANCEL;
            else if (!strcmp(v, "list")) L->workload = WL_LIST;
            else if (!strcmp(v, "home")) L->workload = WL_HOME;
            else return -1;
        } else if (!strcmp(o, "--rate")) {
            L->rate = atof(v);
        } else if (!strcmp(o, "--closed")) {
            L->closed = atoi(v);
            L->rate = 0;
        } else if (!strcmp(o, "--count")) {
            L->count = atoi(v);
        } else if (!strcmp(o, "--flows")) {
            L->max_flows = atoi(v);
        } else if (!strcmp(o, "--approve-every")) {
            L->approve_every = atoi(v);
        } else if (!strcmp(o, "--list-text")) {
            L->list_text = v;
        } else if (!strcmp(o, "--home-user")) {
            L->home_user = v;
        } else if (!strcmp(o, "--drain")) {
            L->drain_us = (long long)(atof(v) * 1e6);
        } else if (!strcmp(o, "--linger-ms")) {
            L->linger_us = atoll(v) * 1000;
        } else if (!strcmp(o, "--max-seconds")) {
            L->max_us = (long long)(atof(v) * 1e6);
        } else if (!strcmp(o, "--label")) {
            L->label = v;
        } else if (!strcmp(o, "--app-log")) {
            L->log_path = v;
        } else if (!strcmp(o, "--agreement-pattern")) {
            if (!strchr(v, '#') || strlen(v) > 64)
                return -1;
            L->agreement_pattern = v;
        } else if (!strcmp(o, "--replicas")) {
            L->n_replicas = atoi(v);
        } else if (!strcmp(o, "--deliver")) {
            if (!strcmp(v, "rr")) L->deliver_random = 0;
            else if (!strcmp(v, "random")) L->deliver_random = 1;
            else return -1;
        } else if (!strcmp(o, "--kill-at")) {
            L->kill_at_us = (long long)(atof(v) * 1e6);
        } else if (!strcmp(o, "--kill-replica")) {
            L->kill_replica = atoi(v) - 1;
        } else if (!strcmp(o, "--hang-ms")) {
            L->hang_us = atoll(v) * 1000;
        } else if (!strcmp(o, "--restart-at")) {
            L->restart_at_us = (long long)(atof(v) * 1e6);
        } else if (!strcmp(o, "--restart-replica")) {
            L->restart_replica = atoi(v) - 1;
        } else {
            return -1;
        }
    }
    if (L->restart_replica < 0)         /* not given: another one than the killed */
        L->restart_replica = L->n_replicas > 1 ? (L->kill_replica + 1) % L->n_replicas : 0;
    if (i >= argc - 1 || L->count < 1 || L->rate < 0 || (L->rate == 0 && L->closed < 1) ||
        L->drain_us <= 0 || L->max_us <= 0 || L->n_replicas < 1 || L->n_replicas > 10 ||
        L->kill_at_us < 0 || L->restart_at_us < 0 || L->hang_us < 0 ||
        L->hang_us > L->kill_at_us || L->kill_replica < 0 ||
        L->kill_replica >= L->n_replicas || L->restart_replica >= L->n_replicas)
        return -1;
    L->redeliver = L->n_replicas > 1 || L->kill_at_us || L->restart_at_us;
    return i + 1;                   /* APP's argv */
}

int main(int argc, char **argv)
{
    struct load L;
    struct proc_figures before = {0}, after = {0};
    int app_argi, rc = 1;
    memset(&L, 0, sizeof L);
    L.closed = 1;
    L.count = 100;
    L.approve_every = 1;
    L.drain_us = 15 * 1000000LL;
    L.max_us = 300 * 1000000LL;
    L.list_text = "list";
    L.home_user = "U0FIN1";
    L.label = "app";
    L.log_path = "/dev/null";
    L.n_replicas = 1;
    L.restart_replica = -1;
    if ((app_argi = parse_options(&L, argc, argv)) < 0)
        return usage();
    L.app_argv = argv + app_argi;
    {   /* ids the app's database has not seen in an earlier run */
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        L.ts_base_us = (long long)wall.tv_sec * 1000000LL + wall.tv_nsec / 1000;
        snprintf(L.run_id, sizeof L.run_id, "%llx", (unsigned long long)(L.ts_base_us % 0xffffffffffLL));
        L.rng = (unsigned)L.ts_base_us;
    }
    signal(SIGPIPE, SIG_IGN);       /* a peer gone mid-write is an event, not a death */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (server_start(&L)) {
        fputs("slack_load: cannot listen on 127.0.0.1\n", stderr);
        goto out;
    }
    if (apps_start(&L)) {
        fprintf(stderr, "slack_load: fork: %s\n", strerror(errno));
        goto out;
    }
    /* the tick also bounds every lws_service() wait: with no timer due, lws would
     * sleep until its next housekeeping, seconds away */
    lws_sul_schedule(L.ctx, 0, &L.sul_tick, on_tick, TICK_US);
    while (!interrupted && apps_ok(&L) && server_open_conns(&L) < L.n_replicas &&
           now_us() - L.spawn_us < CONNECT_TIMEOUT_US)
        lws_service(L.ctx, 0);
    if (server_open_conns(&L) < L.n_replicas) {
        fprintf(stderr, "slack_load: %s did not connect (%s)\n", argv[app_argi],
                !apps_ok(&L) ? "it exited" : interrupted ? "interrupted" : "timeout");
        goto out;
    }
    procs_read(&L, &before);
    L.start_us = L.last_progress_us = now_us();
    while (running(&L))
        lws_service(L.ctx, 0);
    L.done = 1;                     /* nothing more goes out; websockets close */
    for (int i = 0; i < L.n_replicas; i++)
        if (L.reps[i].state == REP_GONE)
            fprintf(stderr, "slack_load: %s exited during the run (status %d)\n",
                    argv[app_argi], L.reps[i].status);
    procs_read(&L, &after);         /* before stopping: /proc is gone once reaped */
    report_print(&L, &before, &after);
    rc = !apps_ok(&L) || interrupted ? 1 : 0;
out:
    if (L.ctx)
        apps_stop(&L);
    if (L.ctx)
        lws_sul_cancel(&L.sul_tick);
    server_free(&L);
    workload_free(&L);
    free(L.reps);
    return rc;
}
