/* bot/metrics.c -- counting (plain increments, small fixed tables) and the Prometheus
 * text rendering of /metrics. The render is a pure function of what was counted and
 * what the scrape read, so tests check the exact text without a socket. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/metrics.h"

/* Slack answers within 3 s or redelivers: the buckets are finest well below that. */
static const double ack_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25, 0.5, 1, 2.5, 5};
/* A commit is one fsync on SQLite, one round trip on PostgreSQL. */
static const double commit_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025, 0.05, 0.1, 0.25, 1};

static const char *const envelope_names[METRICS_ENV_N] = {"events_api", "interactive",
                                                          "slash_commands", "other"};

enum metrics_envelope metrics_envelope_from_type(const char *type)
{
    for (int i = 0; i < METRICS_ENV_OTHER; i++)
        if (type && strcmp(type, envelope_names[i]) == 0)
            return (enum metrics_envelope)i;
    return METRICS_ENV_OTHER;
}

void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, int n_bounds)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n_bounds = n_bounds < METRICS_HIST_MAX ? n_bounds : METRICS_HIST_MAX;
}

void metrics_observe(struct metrics_histogram *h, double value)
{
    int i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += value;
}

static int row_is(const struct metrics_labeled *t, int i, const char *const v[METRICS_LABELS])
{
    for (int k = 0; k < METRICS_LABELS; k++)
        if (strncmp(t->rows[i].v[k], v[k] ? v[k] : "", METRICS_LABEL_MAX - 1) != 0)
            return 0;
    return 1;
}

void metrics_labeled_add(struct metrics_labeled *t, const char *a, const char *b,
                         const char *c, uint64_t n)
{
    const char *v[METRICS_LABELS] = {a, b, c};
    int i;
    for (i = 0; i < t->n; i++)
        if (row_is(t, i, v)) {
            t->rows[i].count += n;
            return;
        }
    if (t->n == METRICS_LABELED_MAX) {
        i = METRICS_LABELED_MAX - 1;      /* the overflow row */
        for (int k = 0; k < METRICS_LABELS; k++)
            snprintf(t->rows[i].v[k], METRICS_LABEL_MAX, "%s", v[k] ? "other" : "");
        t->rows[i].count += n;
        return;
    }
    for (int k = 0; k < METRICS_LABELS; k++)
        snprintf(t->rows[i].v[k], METRICS_LABEL_MAX, "%s", v[k] ? v[k] : "");
    t->rows[i].count = n;
    t->n++;
}

uint64_t metrics_labeled_get(const struct metrics_labeled *t, const char *a, const char *b,
                             const char *c)
{
    const char *v[METRICS_LABELS] = {a, b, c};
    for (int i = 0; i < t->n; i++)
        if (row_is(t, i, v))
            return t->rows[i].count;
    return 0;
}

void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof(*m));
    metrics_histogram_init(&m->ack_seconds, ack_bounds,
                           (int)(sizeof(ack_bounds) / sizeof(ack_bounds[0])));
    metrics_histogram_init(&m->commit_seconds, commit_bounds,
                           (int)(sizeof(commit_bounds) / sizeof(commit_bounds[0])));
    m->policy_last_reload_ok = 1;
}

/* ---- the text format ---- */

void mtext_printf(struct mtext *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (!t->buf || t->len + (size_t)n >= t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        if (!(t->buf = realloc(t->buf, cap)))
            abort();
        t->cap = cap;
        va_start(ap, fmt);
        vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
    }
    t->len += (size_t)n;
}

static void escaped(struct mtext *t, const char *s, int quotes)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            mtext_printf(t, "\\\\");
        else if (*s == '\n')
            mtext_printf(t, "\\n");
        else if (*s == '"' && quotes)
            mtext_printf(t, "\\\"");
        else
            mtext_printf(t, "%c", *s);
    }
}

void mtext_label_value(struct mtext *t, const char *value)
{
    escaped(t, value, 1);
}

void mtext_family(struct mtext *t, const char *name, const char *type, const char *help)
{
    mtext_printf(t, "# HELP %s ", name);
    escaped(t, help, 0);
    mtext_printf(t, "\n# TYPE %s %s\n", name, type);
}

static void number(struct mtext *t, double v)
{
    if (isinf(v))
        mtext_printf(t, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        mtext_printf(t, "NaN");
    else
        mtext_printf(t, "%.15g", v);
}

static void labels(struct mtext *t, const char *const *names, const char *const *values, int n,
                   const char *extra_name, const char *extra_value)
{
    int any = 0;
    for (int i = 0; i < n; i++) {
        mtext_printf(t, "%s%s=\"", any++ ? "," : "{", names[i]);
        mtext_label_value(t, values[i]);
        mtext_printf(t, "\"");
    }
    if (extra_name)
        mtext_printf(t, "%s%s=\"%s\"", any++ ? "," : "{", extra_name, extra_value);
    if (any)
        mtext_printf(t, "}");
}

void mtext_sample(struct mtext *t, const char *name, const char *const *label_names,
                  const char *const *label_values, int n_labels, double value)
{
    mtext_printf(t, "%s", name);
    labels(t, label_names, label_values, n_labels, NULL, NULL);
    mtext_printf(t, " ");
    number(t, value);
    mtext_printf(t, "\n");
}

void mtext_histogram(struct mtext *t, const char *name, const struct metrics_histogram *h)
{
    uint64_t cumulative = 0;
    char le[32];
    for (int i = 0; i <= h->n_bounds; i++) {
        cumulative += h->buckets[i];
        if (i < h->n_bounds)
            snprintf(le, sizeof(le), "%.15g", h->bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        mtext_printf(t, "%s_bucket", name);
        labels(t, NULL, NULL, 0, "le", le);
        mtext_printf(t, " %llu\n", (unsigned long long)cumulative);
    }
    mtext_printf(t, "%s_sum ", name);
    number(t, h->sum);
    mtext_printf(t, "\n%s_count %llu\n", name, (unsigned long long)h->count);
}

static void labeled(struct mtext *t, const char *name, const char *help,
                    const struct metrics_labeled *tab, const char *const *label_names,
                    int n_labels)
{
    mtext_family(t, name, "counter", help);
    for (int i = 0; i < tab->n; i++) {
        const char *values[METRICS_LABELS];
        for (int k = 0; k < n_labels; k++)
            values[k] = tab->rows[i].v[k];
        mtext_sample(t, name, label_names, values, n_labels, (double)tab->rows[i].count);
    }
}

static void envelopes(struct mtext *t, const char *name, const char *help, const uint64_t *n)
{
    static const char *const type[] = {"type"};
    mtext_family(t, name, "counter", help);
    for (int i = 0; i < METRICS_ENV_N; i++)
        mtext_sample(t, name, type, &envelope_names[i], 1, (double)n[i]);
}

static void pollers(struct mtext *t, const struct metrics_scrape *s)
{
    static const char *const names[] = {"poller", "code"};
    mtext_family(t, "cancelbot_poller_failing", "gauge",
                 "1 while a background poller (events queue, status polls, token refresh) "
                 "fails, else 0");
    for (int i = 0; i < s->n_pollers; i++)
        mtext_sample(t, "cancelbot_poller_failing", names, (const char *const[]){
                         s->pollers[i].name}, 1, s->pollers[i].failing);
    mtext_family(t, "cancelbot_poller_failures_total", "counter",
                 "Failures of a background poller, by the service's error code");
    for (int i = 0; i < s->n_pollers; i++)
        for (int k = 0; k < s->pollers[i].n_codes; k++)
            mtext_sample(t, "cancelbot_poller_failures_total", names, (const char *const[]){
                             s->pollers[i].name, s->pollers[i].codes[k].code}, 2,
                         (double)s->pollers[i].codes[k].n);
}

char *metrics_render(const struct metrics *m, const struct metrics_scrape *s, size_t *len)
{
    static const char *const provider_op[] = {"provider", "operation", "code"};
    static const char *const reason[] = {"reason"}, *const method[] = {"method"};
    static const char *const state_market[] = {"state", "market"};
    struct mtext t = {NULL, 0, 0};
    envelopes(&t, "cancelbot_envelopes_received_total",
              "Socket Mode envelopes received, by Slack's envelope type", m->envelopes_received);
    envelopes(&t, "cancelbot_envelopes_acked_total",
              "Socket Mode envelopes acknowledged (after their persist commit), by type",
              m->envelopes_acked);
    mtext_family(&t, "cancelbot_ack_latency_seconds", "histogram",
                 "From an envelope read off the socket to its ack handed to the socket");
    mtext_histogram(&t, "cancelbot_ack_latency_seconds", &m->ack_seconds);
    mtext_family(&t, "cancelbot_store_commit_seconds", "histogram",
                 "Time the store takes to commit a transaction");
    mtext_histogram(&t, "cancelbot_store_commit_seconds", &m->commit_seconds);
    labeled(&t, "cancelbot_provider_calls_total", "Marketplace calls answered, by operation",
            &m->provider_calls, provider_op, 2);
    labeled(&t, "cancelbot_provider_errors_total",
            "Marketplace calls that failed, by operation and error code", &m->provider_errors,
            provider_op, 3);
    labeled(&t, "cancelbot_slack_reconnects_total",
            "Socket Mode connections replaced or lost, by reason", &m->reconnects, reason, 1);
    labeled(&t, "cancelbot_slack_rate_limited_total",
            "Slack Web API answers 429 (rate limited), by method", &m->slack_rate_limited,
            method, 1);
    mtext_family(&t, "cancelbot_policy_reloads_total", "counter",
                 "Policy file reloads (SIGHUP) that replaced the policy");
    mtext_sample(&t, "cancelbot_policy_reloads_total", NULL, NULL, 0, (double)m->policy_reloads);
    mtext_family(&t, "cancelbot_policy_reload_failures_total", "counter",
                 "Policy file reloads refused (the previous policy stays)");
    mtext_sample(&t, "cancelbot_policy_reload_failures_total", NULL, NULL, 0,
                 (double)m->policy_reload_failures);
    mtext_family(&t, "cancelbot_policy_last_reload_ok", "gauge",
                 "1 when the last policy reload succeeded (or none was asked), 0 when refused");
    mtext_sample(&t, "cancelbot_policy_last_reload_ok", NULL, NULL, 0, m->policy_last_reload_ok);
    pollers(&t, s);
    if (s->slack_connections >= 0) {
        mtext_family(&t, "cancelbot_slack_connections", "gauge",
                     "Socket Mode connections past Slack's hello");
        mtext_sample(&t, "cancelbot_slack_connections", NULL, NULL, 0, s->slack_connections);
    }
    if (s->store_answered) {
        mtext_family(&t, "cancelbot_requests", "gauge",
                     "Requests in the record, by state and marketplace");
        for (int i = 0; i < s->n_states; i++)
            mtext_sample(&t, "cancelbot_requests", state_market, (const char *const[]){
                             s->states[i].state, s->states[i].market}, 2,
                         (double)s->states[i].n);
        mtext_family(&t, "cancelbot_outbox_pending", "gauge",
                     "Effects waiting in the outbox (due or not)");
        mtext_sample(&t, "cancelbot_outbox_pending", NULL, NULL, 0, (double)s->outbox_pending);
        mtext_family(&t, "cancelbot_outbox_oldest_due_age_seconds", "gauge",
                     "How long the oldest due effect has been due (0: none is due)");
        mtext_sample(&t, "cancelbot_outbox_oldest_due_age_seconds", NULL, NULL, 0,
                     s->outbox_oldest_due_seconds);
    }
    mtext_printf(&t, "%s", "");         /* an empty exposition is still a string */
    *len = t.len;
    return t.buf;
}
