/* bot/metrics.h -- the runtime's counters and histograms, and their rendering in the
 * Prometheus text exposition format (version 0.0.4) for /metrics.
 *
 * Counting is kept cheap for the envelope hot path: what is counted per envelope is
 * an array slot chosen by an enum (a plain increment, no allocation, no string
 * compare); labels that only the outside world knows (a Slack method, a disconnect
 * reason, a provider's error code) go to small fixed tables (struct metrics_labeled)
 * that are touched only on rarer events. Gauges that the store knows (requests by
 * state, outbox depth) are read at scrape time into struct metrics_scrape, so
 * nothing has to be kept in step with the database. Every name carries the
 * cancelbot_ prefix and its unit (_seconds, _total), as Prometheus' naming
 * conventions ask. */
#ifndef CANCELBOT_BOT_METRICS_H
#define CANCELBOT_BOT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_HIST_MAX 16          /* bounds of a histogram, +Inf not included */
#define METRICS_LABELED_MAX 48       /* rows of a labeled counter; then "other" */
#define METRICS_LABEL_MAX 48         /* a label value, cut to fit */
#define METRICS_LABELS 3
#define METRICS_STATES_MAX 64        /* (state, market) pairs read at scrape time */
#define METRICS_POLLERS_MAX 16
#define METRICS_POLLER_CODES_MAX 8

/* Socket Mode envelope types: Slack's own "type" names. */
enum metrics_envelope {
    METRICS_ENV_EVENTS_API,
    METRICS_ENV_INTERACTIVE,
    METRICS_ENV_SLASH_COMMANDS,
    METRICS_ENV_OTHER,
    METRICS_ENV_N
};

/* "events_api", "interactive", "slash_commands": their slot; anything else: OTHER. */
enum metrics_envelope metrics_envelope_from_type(const char *type);

struct metrics_histogram {
    const double *bounds;            /* ascending upper bounds; static storage */
    int n_bounds;                    /* <= METRICS_HIST_MAX */
    uint64_t buckets[METRICS_HIST_MAX + 1];   /* per bucket, not cumulative; last: +Inf */
    uint64_t count;
    double sum;
};

void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, int n_bounds);
void metrics_observe(struct metrics_histogram *h, double value);

/* A counter with up to METRICS_LABELS label values (unused ones NULL). The table has
 * room for METRICS_LABELED_MAX distinct rows; later new combinations are counted in
 * one row whose values are all "other", so a chatty label cannot grow it. */
struct metrics_labeled {
    int n;
    struct {
        char v[METRICS_LABELS][METRICS_LABEL_MAX];
        uint64_t count;
    } rows[METRICS_LABELED_MAX];
};

void metrics_labeled_add(struct metrics_labeled *t, const char *a, const char *b,
                         const char *c, uint64_t n);
/* The count of one combination (0 when never counted): for tests and readiness. */
uint64_t metrics_labeled_get(const struct metrics_labeled *t, const char *a, const char *b,
                             const char *c);

/* What the runtime counts as it goes. */
struct metrics {
    uint64_t envelopes_received[METRICS_ENV_N];
    uint64_t envelopes_acked[METRICS_ENV_N];
    struct metrics_histogram ack_seconds;      /* envelope read -> ack handed to the socket */
    struct metrics_histogram commit_seconds;   /* the store's commits */
    struct metrics_labeled provider_calls;     /* provider, operation */
    struct metrics_labeled provider_errors;    /* provider, operation, code */
    struct metrics_labeled reconnects;         /* reason */
    struct metrics_labeled slack_rate_limited; /* method */
    uint64_t policy_reloads, policy_reload_failures;
    int policy_last_reload_ok;                 /* 1 until a reload fails */
};

void metrics_init(struct metrics *m);

/* A background poller's state (bot/pollers.c keeps it; the render reads it). */
struct metrics_poller {
    char name[METRICS_LABEL_MAX];
    int failing;
    char code[METRICS_LABEL_MAX];              /* the current failure's, when failing */
    int n_codes;
    struct {
        char code[METRICS_LABEL_MAX];
        uint64_t n;
    } codes[METRICS_POLLER_CODES_MAX];         /* failures by code; the last slot: "other" */
};

/* What is read at scrape time. */
struct metrics_scrape {
    int store_answered;                        /* 0: the gauges below are left out */
    int n_states;
    struct {
        char state[METRICS_LABEL_MAX];
        char market[METRICS_LABEL_MAX];
        int64_t n;
    } states[METRICS_STATES_MAX];
    int64_t outbox_pending;
    double outbox_oldest_due_seconds;          /* 0 when nothing pending is due */
    int slack_connections;                     /* -1: not the Slack runtime */
    const struct metrics_poller *pollers;
    int n_pollers;
};

/* ---- the text format ---- */

/* A growing text buffer; out of memory aborts (the process restarts safely). */
struct mtext {
    char *buf;
    size_t len, cap;
};

void mtext_printf(struct mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A label value with \, " and newline escaped, as the format asks. */
void mtext_label_value(struct mtext *t, const char *value);
/* "# HELP name help\n# TYPE name type\n"; help's \ and newline escaped. */
void mtext_family(struct mtext *t, const char *name, const char *type, const char *help);
/* name{l0="v0",...} value\n; n_labels may be 0. */
void mtext_sample(struct mtext *t, const char *name, const char *const *label_names,
                  const char *const *label_values, int n_labels, double value);
/* The _bucket lines (cumulative, le="+Inf" last), then _sum and _count. */
void mtext_histogram(struct mtext *t, const char *name, const struct metrics_histogram *h);

/* The whole exposition; *len its length. Caller frees. */
char *metrics_render(const struct metrics *m, const struct metrics_scrape *s, size_t *len);

#endif
