/* bot/service.h -- what a service manager and its monitoring see of the runtime: the
 * counters (struct metrics) and the background pollers' state (struct pollers) that
 * the runtime context owns, the /metrics scrape (counters plus what the store says
 * at that moment), and the policy reload that SIGHUP asks for. */
#ifndef CANCELBOT_BOT_SERVICE_H
#define CANCELBOT_BOT_SERVICE_H

#include <stddef.h>
#include "bot/metrics.h"
#include "bot/pollers.h"
#include "bot/runtime.h"

struct metrics *bot_metrics(struct bot *b);
struct pollers *bot_pollers(struct bot *b);

/* The /metrics text; slack_connections < 0 outside the Slack runtime. Caller frees. */
char *bot_metrics_text(struct bot *b, int slack_connections, size_t *len);

/* A marketplace call answered (operation: "lookup", "search", "provider_submit"...). */
void bot_count_provider_call(struct bot *b, enum request_market m, const char *operation,
                             enum provider_rc rc);
/* rc is the marketplace's trouble (throttled, down, timeout, credentials,
 * permissions), not the one request's: the status poller is failing. */
int bot_status_poll_trouble(enum provider_rc rc);
/* A status poll's outcome, as a poller ("aws_status_poll"): res->rc OK or not. */
void bot_report_status_poll(struct bot *b, enum request_market m,
                            const struct provider_result *res, int64_t retry_in_ms);
/* The provider_env hook for providers' own background work (providers/provider.h). */
void bot_poller_report(void *ud, const char *poller, const char *what, const char *code,
                       const char *detail, int64_t retry_in_ms);

/* Reads the policy file at path and, when it is valid, replaces the policy (what
 * the next turn decides with). Settings that shaped the providers (which provider,
 * accounts, the events queue) keep their running values until a restart; the log
 * says so when they changed. When it is not valid, the policy stays as it was and
 * why (the same sentences as check-config) is logged. 0 when replaced. */
int bot_reload_policy(struct bot *b, const char *path);

#endif
