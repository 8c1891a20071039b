/* bench/load_apps.c -- the app's processes. One by default; with --replicas N, N
 * copies of the same command, each told apart by its tokens (xapp-1-bench-r<i>,
 * xoxb-bench-r<i>): apps.connections.open then hands each its own websocket URL, and
 * each Web API call says whose it is. Each runs in a process group of its own, so
 * stopping it stops whatever it started too.
 *
 * Faults, each once, at a time counted from the start of the load:
 *  --kill-at S    SIGKILL to one replica's group. With --hang-ms MS, its Web API calls
 *                 get no answer for the MS before (load_server.c holds them), so it
 *                 dies with work in hand, as a replica stuck on a network would.
 *  --restart-at S SIGTERM to one replica (SIGKILL after the grace) and, once it has
 *                 exited, the same command again; a replica killed before is simply
 *                 started again.
 * Envelopes left unacked on a connection that closes go again on another one
 * (load_server.c), with the same envelope id, as Slack redelivers them. */
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

#define STOP_GRACE_US (5 * 1000000LL)

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The log of replica i: the --app-log file itself with one replica, FILE.<i+1> with
 * several, FILE.<i+1>.<n> for its n-th start (so each file is one process's). */
static void log_name(const struct load *L, int i, char *buf, size_t cap)
{
    const struct replica *r = &L->reps[i];
    if (L->n_replicas == 1 || !strcmp(L->log_path, "/dev/null"))
        snprintf(buf, cap, "%s", L->log_path);
    else if (r->starts)
        snprintf(buf, cap, "%s.%d.%d", L->log_path, i + 1, r->starts + 1);
    else
        snprintf(buf, cap, "%s.%d", L->log_path, i + 1);
}

static int spawn(struct load *L, int i)
{
    struct replica *r = &L->reps[i];
    char url[64], log[1024], app_token[48], bot_token[48];
    int fd;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/", L->port);
    log_name(L, i, log, sizeof log);
    snprintf(app_token, sizeof app_token, "xapp-1-bench-r%d", i + 1);
    snprintf(bot_token, sizeof bot_token, "xoxb-bench-r%d", i + 1);
    r->spawn_us = now_us();
    r->hello_us = 0;
    r->hanging = 0;
    if ((r->pid = fork()) < 0)
        return -1;
    if (r->pid == 0) {
        setpgid(0, 0);
        setenv("SLACK_API_URL", url, 1);
        setenv("CANCELBOT_HTTP_ADDR", "off", 0);  /* replicas would share its port */
        if (L->n_replicas > 1) {    /* whose is which connection and which call */
            setenv("SLACK_APP_TOKEN", app_token, 1);
            setenv("SLACK_BOT_TOKEN", bot_token, 1);
        } else {
            setenv("SLACK_APP_TOKEN", "xapp-1-bench", 0);
            setenv("SLACK_BOT_TOKEN", "xoxb-bench", 0);
        }
        if ((fd = open("/dev/null", O_RDONLY)) >= 0)
            dup2(fd, 0);
        if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(L->app_argv[0], L->app_argv);
        fprintf(stderr, "slack_load: cannot run %s: %s\n", L->app_argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(r->pid, r->pid);        /* both sides: no race with kill below */
    r->state = REP_RUNNING;
    r->starts++;
    return 0;
}

int apps_start(struct load *L)
{
    L->reps = xrealloc(NULL, (size_t)L->n_replicas * sizeof *L->reps);
    memset(L->reps, 0, (size_t)L->n_replicas * sizeof *L->reps);
    L->spawn_us = now_us();
    for (int i = 0; i < L->n_replicas; i++)
        if (spawn(L, i))
            return -1;
    return 0;
}

/* 1 while replica i has not exited; reaps it when it has. */
static int alive(struct load *L, int i)
{
    struct replica *r = &L->reps[i];
    if (r->state == REP_STOPPED || r->state == REP_GONE)
        return 0;
    if (waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
        r->state = r->state == REP_STOPPING ? REP_STOPPED : REP_GONE;
        return 0;
    }
    return 1;
}

int apps_ok(struct load *L)
{
    for (int i = 0; i < L->n_replicas; i++)
        if (!alive(L, i) && L->reps[i].state == REP_GONE)
            return 0;
    return 1;
}

int apps_replica_of_token(const struct load *L, const char *token)
{
    const char *p = token ? strstr(token, "-bench-r") : NULL;
    char *end;
    long i;
    if (L->n_replicas == 1)
        return 0;
    if (!p)
        return -1;
    i = strtol(p + 8, &end, 10) - 1;
    return *end || i < 0 || i >= L->n_replicas ? -1 : (int)i;
}

static void kill_now(struct load *L, int i)
{
    struct replica *r = &L->reps[i];
    kill(-r->pid, SIGKILL);
    waitpid(r->pid, &r->status, 0);
    r->state = REP_STOPPED;
    r->hanging = 0;
}

/* Called on every tick: each fault once, when its time comes; a SIGTERMed replica is
 * started again once it has exited (or SIGKILLed after the grace). */
void apps_faults(struct load *L)
{
    long long t = L->start_us ? now_us() - L->start_us : -1;
    struct replica *k = L->kill_at_us ? &L->reps[L->kill_replica] : NULL;
    struct replica *s = L->restart_at_us ? &L->reps[L->restart_replica] : NULL;
    if (t < 0)
        return;
    if (k && L->hang_us && !k->hanging && !L->kill_wall_ms && k->state == REP_RUNNING &&
        t >= L->kill_at_us - L->hang_us)
        k->hanging = 1;
    if (k && !L->kill_wall_ms && t >= L->kill_at_us && alive(L, L->kill_replica)) {
        kill_now(L, L->kill_replica);
        L->kill_wall_ms = wall_ms();
        k->stop_us = now_us();
    }
    if (s && s->starts == 1 && t >= L->restart_at_us) {
        int i = L->restart_replica;
        if (s->state == REP_RUNNING && alive(L, i)) {
            kill(-s->pid, SIGTERM);
            s->state = REP_STOPPING;
            s->stop_us = now_us();
        } else if (s->state == REP_STOPPING && alive(L, i) &&
                   now_us() - s->stop_us > STOP_GRACE_US) {
            kill_now(L, i);
        }
        if (s->state == REP_STOPPED) {
            kill(-s->pid, SIGKILL);     /* anything of its group still around */
            spawn(L, i);
        }
    }
}

/* SIGTERM, then SIGKILL after the grace; lws keeps serving meanwhile, so an app that
 * closes its websocket or posts a last message on the way out is not stuck on us. */
void apps_stop(struct load *L)
{
    long long until = now_us() + STOP_GRACE_US;
    int any;
    if (!L->reps)
        return;
    for (int i = 0; i < L->n_replicas; i++)
        if (L->reps[i].pid > 0 && alive(L, i))
            kill(-L->reps[i].pid, SIGTERM);
    do {
        any = 0;
        for (int i = 0; i < L->n_replicas; i++)
            any |= L->reps[i].pid > 0 && alive(L, i);
        if (any && L->ctx)
            lws_service(L->ctx, 0);
    } while (any && now_us() < until);
    for (int i = 0; i < L->n_replicas; i++) {
        if (L->reps[i].pid <= 0)
            continue;
        if (alive(L, i)) {
            kill(-L->reps[i].pid, SIGKILL);
            waitpid(L->reps[i].pid, &L->reps[i].status, 0);
        }
        kill(-L->reps[i].pid, SIGKILL);     /* anything of its group still around */
    }
}
