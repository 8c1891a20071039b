/* bench/load_report.c -- the figures of one run: percentiles of the ack and API
 * latencies (nearest rank, microsecond resolution, printed in ms), throughput, and
 * the app's CPU time and peak RSS from /proc (read while it still runs, since both
 * are gone once it is reaped). Printed for people, then as one RESULT line of
 * key=value for bench/run.sh to put into its table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench/slack_load.h"

#define LATE_US 3000000LL           /* Slack's ack deadline */

/* user + system CPU seconds of every thread (stat fields 14 and 15), and VmHWM. */
int proc_read(pid_t pid, struct proc_figures *out)
{
    char path[64], buf[4096], *p;
    unsigned long long utime = 0, stime = 0;
    FILE *fp;
    size_t n;
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (!(fp = fopen(path, "r")))
        return -1;
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* the command name may hold spaces and ')': fields count from the last ')' */
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    out->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if ((fp = fopen(path, "r"))) {
        while (fgets(buf, sizeof buf, fp))
            if (!strncmp(buf, "VmHWM:", 6))
                out->hwm_kb = strtol(buf + 6, NULL, 10);
        fclose(fp);
    }
    out->ok = 1;
    return 0;
}

void procs_read(const struct load *L, struct proc_figures *out)
{
    struct proc_figures one;
    memset(out, 0, sizeof *out);
    out->ok = 1;
    for (int i = 0; i < L->n_replicas; i++) {
        if (L->reps[i].state != REP_RUNNING)
            continue;
        if (proc_read(L->reps[i].pid, &one)) {
            out->ok = 0;
            continue;
        }
        out->cpu_s += one.cpu_s;
        if (one.hwm_kb > out->hwm_kb)
            out->hwm_kb = one.hwm_kb;
    }
}

/* Replicas and faults: each replica's share, the faults' times, and the keys the
 * RESULT line gains (after the usual ones, so bench/run.sh reads it as before). */
static void report_replicas(const struct load *L, FILE *out, int result_keys)
{
    long held = 0;
    if (L->n_replicas == 1 && !L->redeliver)
        return;
    for (int i = 0; i < L->n_replicas; i++)
        held += L->reps[i].held_calls;
    if (result_keys) {
        fprintf(out, " replicas=%d redelivered=%ld held_calls=%ld", L->n_replicas,
                L->redeliveries, held);
        if (L->kill_wall_ms)
            fprintf(out, " killed_replica=%d killed_pid=%d kill_unix_ms=%lld",
                    L->kill_replica + 1, (int)L->reps[L->kill_replica].pid, L->kill_wall_ms);
        if (L->restart_at_us)
            fprintf(out, " restarted_replica=%d restarts=%d", L->restart_replica + 1,
                    L->reps[L->restart_replica].starts - 1);
        return;
    }
    for (int i = 0; i < L->n_replicas; i++) {
        const struct replica *r = &L->reps[i];
        fprintf(out, "  replica %d: pid %d, %s, envelopes sent %ld, acked %ld, Web API calls "
                "%ld (%ld left unanswered)\n", i + 1, (int)r->pid,
                r->state == REP_RUNNING ? (r->starts > 1 ? "restarted" : "running")
                : r->state == REP_GONE ? "exited by itself" : "killed",
                r->envs_sent, r->acks, r->api_calls, r->held_calls);
    }
    if (L->kill_wall_ms)
        fprintf(out, "  killed replica %d (SIGKILL) at %.3f s (Unix ms %lld)%s\n",
                L->kill_replica + 1, (double)L->kill_at_us / 1e6, L->kill_wall_ms,
                L->hang_us ? ", its Web API calls unanswered before" : "");
    if (L->restart_at_us)
        fprintf(out, "  restarted replica %d at %.3f s (%d time)\n", L->restart_replica + 1,
                (double)L->restart_at_us / 1e6, L->reps[L->restart_replica].starts - 1);
    fprintf(out, "  envelopes sent again on another connection: %ld\n", L->redeliveries);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static double pct_ms(const long long *sorted, size_t n, double p)
{
    size_t rank;
    if (!n)
        return -1;
    rank = (size_t)(p * (double)n + 0.999999);   /* nearest rank: ceil(p * n) */
    return (double)sorted[rank ? rank - 1 : 0] / 1000.0;
}

struct latencies { long long *v; size_t n; };

static void collect(const struct load *L, int api, struct latencies *out)
{
    out->v = xrealloc(NULL, (L->n_envs + 1) * sizeof *out->v);
    out->n = 0;
    for (size_t i = 0; i < L->n_envs; i++) {
        const struct env *e = &L->envs[i];
        long long at = api ? e->api_us : e->ack_us;
        if (e->sent_us && at)
            out->v[out->n++] = at - e->sent_us;
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_ll);
}

void report_print(const struct load *L, const struct proc_figures *before,
                  const struct proc_figures *after)
{
    struct latencies ack, api;
    long sent = 0, late = 0, missing = 0;
    long long last_ack = 0;
    double span_s, tput, cpu = -1, cpu_total = -1, hwm_mb = -1;
    char mode[32];
    collect(L, 0, &ack);
    collect(L, 1, &api);
    for (size_t i = 0; i < L->n_envs; i++) {
        const struct env *e = &L->envs[i];
        sent += e->sent_us != 0;
        if (!e->ack_us)
            missing++;
        else if (e->ack_us - e->sent_us > LATE_US)
            late++;
        if (e->ack_us > last_ack)
            last_ack = e->ack_us;
    }
    missing += L->count - (long)L->n_envs;       /* never sent: their turn never came */
    span_s = last_ack > L->first_send_us ? (double)(last_ack - L->first_send_us) / 1e6 : 0;
    tput = span_s > 0 ? (double)ack.n / span_s : 0;
    if (after->ok) {
        cpu_total = after->cpu_s;
        cpu = before->ok ? after->cpu_s - before->cpu_s : -1;
        hwm_mb = (double)after->hwm_kb / 1024.0;
    }
    if (L->rate > 0)
        snprintf(mode, sizeof mode, "rate%g", L->rate);
    else
        snprintf(mode, sizeof mode, "closed%d", L->closed);
    printf("== %s: workload %s, %s, %d envelopes\n", L->label,
           L->workload == WL_CANCEL ? "cancel" : L->workload == WL_LIST ? "list" : "home",
           mode, L->count);
    printf("  startup (spawn -> connected): %.1f ms\n",
           L->hello_us ? (double)(L->hello_us - L->spawn_us) / 1000.0 : -1.0);
    printf("  sent %ld, acked %zu, acked after 3 s %ld, missing %ld\n", sent, ack.n, late, missing);
    printf("  ack ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", pct_ms(ack.v, ack.n, .5),
           pct_ms(ack.v, ack.n, .9), pct_ms(ack.v, ack.n, .99), pct_ms(ack.v, ack.n, 1));
    printf("  envelope -> Web API call ms: p50 %.3f  p99 %.3f  (%zu of %ld matched)\n",
           pct_ms(api.v, api.n, .5), pct_ms(api.v, api.n, .99), api.n, L->api_expected);
    printf("  throughput %.1f envelopes/s over %.3f s; Web API calls %ld\n", tput, span_s,
           L->api_calls);
    printf("  app CPU %.2f s during the load (%.2f s in all), peak RSS %.1f MB\n", cpu,
           cpu_total, hwm_mb);
    report_replicas(L, stdout, 0);
    printf("RESULT label=%s workload=%s mode=%s count=%d sent=%ld acked=%zu late=%ld "
           "missing=%ld ack_p50=%.3f ack_p90=%.3f ack_p99=%.3f ack_max=%.3f api_p50=%.3f "
           "api_p99=%.3f api_matched=%zu tput=%.1f cpu_s=%.2f cpu_total_s=%.2f "
           "rss_mb=%.1f startup_ms=%.1f",
           L->label, L->workload == WL_CANCEL ? "cancel" : L->workload == WL_LIST ? "list" : "home",
           mode, L->count, sent, ack.n, late, missing, pct_ms(ack.v, ack.n, .5),
           pct_ms(ack.v, ack.n, .9), pct_ms(ack.v, ack.n, .99), pct_ms(ack.v, ack.n, 1),
           pct_ms(api.v, api.n, .5), pct_ms(api.v, api.n, .99), api.n, tput, cpu, cpu_total,
           hwm_mb, L->hello_us ? (double)(L->hello_us - L->spawn_us) / 1000.0 : -1.0);
    report_replicas(L, stdout, 1);
    fputc('\n', stdout);
    fflush(stdout);
    free(ack.v);
    free(api.v);
}
