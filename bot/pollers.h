/* bot/pollers.h -- what the background pollers (the AWS events queue, marketplace
 * status polls, token and credential refresh) report, kept for the log, /readyz and
 * /metrics. A poller that keeps failing must be visible without flooding the log:
 * the first failure is a warning with the service's error code; while it goes on
 * failing with the same code, at most one line per POLLERS_LOG_EVERY_MS says so with
 * the number of failures since; a new code is a new first failure; the first success
 * after failures is one "recovered" line. Readiness stays up (a poller's failure is
 * no reason to take the bot out of service), but /readyz's body names the poller. */
#ifndef CANCELBOT_BOT_POLLERS_H
#define CANCELBOT_BOT_POLLERS_H

#include <stddef.h>
#include <stdint.h>
#include "bot/metrics.h"

#define POLLERS_LOG_EVERY_MS (10 * 60 * 1000)

struct pollers {
    int n;
    struct poller_slot {
        struct metrics_poller m;               /* name, failing, code, counts by code */
        char what[64];                         /* for the log: "events queue" */
        int64_t failing_since_ms, last_logged_ms;
        long failures, quiet;                  /* since failing; since the last line */
        int64_t retry_in_ms;
    } slots[METRICS_POLLERS_MAX];
    struct metrics_poller view[METRICS_POLLERS_MAX];   /* for metrics_scrape */
};

/* What pollers_report wrote to the log (for tests). */
enum poller_logged {
    POLLER_QUIET,            /* nothing: a repeat inside the interval, or a success */
    POLLER_LOGGED_FAILURE,   /* a first failure (or a new code) at warn */
    POLLER_LOGGED_STILL,     /* the once-per-interval reminder */
    POLLER_LOGGED_RECOVERED
};

/* name: the metric label ("aws_events_queue"); what: the log's words ("events
 * queue"). code NULL: it succeeded; else the service's code ("AccessDenied") and
 * detail (never a secret; may be NULL), retried in retry_in_ms (< 0: unknown). */
enum poller_logged pollers_report(struct pollers *ps, const char *name, const char *what,
                                  const char *code, const char *detail, int64_t retry_in_ms,
                                  int64_t now_ms);
/* The pollers that fail now, one "poller NAME failing: CODE for N s" line each, for
 * /readyz's body; "" when none does. */
void pollers_describe(const struct pollers *ps, int64_t now_ms, char *buf, size_t cap);
/* The metrics' view (copied into ps->view); *n: how many. */
const struct metrics_poller *pollers_view(struct pollers *ps, int *n);

#endif
