/* bot/service.c -- the runtime's side of /metrics, the pollers' reports and SIGHUP's
 * policy reload (service.h). Counting is done where things happen (the envelope
 * handler, the Web API client, the socket, the outbox); what the store knows is
 * read here, once per scrape, in two grouped queries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/service.h"
#include "bot/config.h"
#include "bot/log.h"
#include "bot/runtime_int.h"

struct metrics *bot_metrics(struct bot *b)
{
    return &b->metrics;
}

struct pollers *bot_pollers(struct bot *b)
{
    return &b->pollers;
}

static int on_state_count(void *ud, const char *state, const char *market, int64_t n)
{
    struct metrics_scrape *s = ud;
    if (s->n_states == METRICS_STATES_MAX)
        return 1;
    snprintf(s->states[s->n_states].state, METRICS_LABEL_MAX, "%s", state ? state : "");
    snprintf(s->states[s->n_states].market, METRICS_LABEL_MAX, "%s", market ? market : "");
    s->states[s->n_states++].n = n;
    return 0;
}

char *bot_metrics_text(struct bot *b, int slack_connections, size_t *len)
{
    struct metrics_scrape *s = calloc(1, sizeof(*s));
    int64_t now = bot_now_ms(b), oldest = 0;
    char *text;
    if (!s)
        abort();
    s->slack_connections = slack_connections;
    s->pollers = pollers_view(&b->pollers, &s->n_pollers);
    /* While the database is gone the gauges are left out rather than shown as 0. */
    if (store_is_up(b->store) && store_count_requests(b->store, on_state_count, s) == STORE_OK &&
        store_outbox_stats(b->store, now, &s->outbox_pending, &oldest) == STORE_OK) {
        s->store_answered = 1;
        s->outbox_oldest_due_seconds = oldest && oldest < now ? (double)(now - oldest) / 1000.0
                                                              : 0;
    }
    text = metrics_render(&b->metrics, s, len);
    free(s);
    return text;
}

void bot_count_provider_call(struct bot *b, enum request_market m, const char *operation,
                             enum provider_rc rc)
{
    const char *market = request_market_name(m);
    if (strncmp(operation, "provider_", 9) == 0)
        operation += 9;                     /* effect kinds: "provider_submit" */
    metrics_labeled_add(&b->metrics.provider_calls, market, operation, NULL, 1);
    if (rc != PROVIDER_OK)
        metrics_labeled_add(&b->metrics.provider_errors, market, operation,
                            provider_rc_name(rc), 1);
}

int bot_status_poll_trouble(enum provider_rc rc)
{
    return rc == PROVIDER_E_THROTTLED || rc == PROVIDER_E_UNAVAILABLE ||
           rc == PROVIDER_E_TIMEOUT || rc == PROVIDER_E_AUTH || rc == PROVIDER_E_DENIED;
}

void bot_report_status_poll(struct bot *b, enum request_market m,
                            const struct provider_result *res, int64_t retry_in_ms)
{
    char name[32], what[48];
    snprintf(name, sizeof(name), "%s_status_poll", request_market_name(m));
    snprintf(what, sizeof(what), "%s status polls", m == MARKET_AZURE ? "Azure" : "AWS");
    pollers_report(&b->pollers, name, what, res->rc == PROVIDER_OK ? NULL
                   : provider_rc_name(res->rc), res->message, retry_in_ms, bot_now_ms(b));
}

void bot_poller_report(void *ud, const char *poller, const char *what, const char *code,
                       const char *detail, int64_t retry_in_ms)
{
    struct bot *b = ud;
    pollers_report(&b->pollers, poller, what, code, detail, retry_in_ms, bot_now_ms(b));
}

/* ---- SIGHUP ---- */

/* What the providers were built from: a reload cannot change them under a call. */
static int provider_settings_differ(const struct policy *a, const struct policy *b)
{
    return strcmp(a->provider_aws, b->provider_aws) != 0 ||
           strcmp(a->provider_azure, b->provider_azure) != 0 ||
           strcmp(a->aws_events_queue_url, b->aws_events_queue_url) != 0 ||
           a->n_accounts != b->n_accounts ||
           memcmp(a->accounts, b->accounts, (size_t)a->n_accounts * sizeof(a->accounts[0])) != 0;
}

static void keep_provider_settings(struct policy *next, const struct policy *running)
{
    memcpy(next->provider_aws, running->provider_aws, sizeof(next->provider_aws));
    memcpy(next->provider_azure, running->provider_azure, sizeof(next->provider_azure));
    memcpy(next->aws_events_queue_url, running->aws_events_queue_url,
           sizeof(next->aws_events_queue_url));
    memcpy(next->accounts, running->accounts, sizeof(next->accounts));
    next->n_accounts = running->n_accounts;
}

int bot_reload_policy(struct bot *b, const char *path)
{
    struct policy *next = malloc(sizeof(*next));
    struct config_report *report = calloc(1, sizeof(*report));
    int rc;
    if (!next || !report)
        abort();
    rc = config_load_policy_file(path, next, report);
    if (rc != CONFIG_OK) {
        b->metrics.policy_reload_failures++;
        b->metrics.policy_last_reload_ok = 0;
        log_error("policy reload from %s refused: %s (%d problem%s); the previous policy "
                  "stays", path, config_rc_text(rc), report->n, report->n == 1 ? "" : "s");
        for (int i = 0; i < report->n; i++)
            log_error("policy reload: %s: %s", report->items[i].path, report->items[i].text);
        free(next);
        free(report);
        return -1;
    }
    if (provider_settings_differ(next, &b->policy)) {
        log_warn("policy reload: providers, accounts and aws.events_queue_url changed in %s; "
                 "they take effect at the next restart (the running marketplaces keep the "
                 "previous ones)", path);
        keep_provider_settings(next, &b->policy);
    }
    b->policy = *next;
    b->metrics.policy_reloads++;
    b->metrics.policy_last_reload_ok = 1;
    log_info("policy reloaded from %s: %d approver%s%s, %d approval%s required", path,
             b->policy.n_approvers, b->policy.n_approvers == 1 ? "" : "s",
             b->policy.approver_group[0] ? " and a user group" : "",
             b->policy.approvals_required, b->policy.approvals_required == 1 ? "" : "s");
    free(next);
    free(report);
    return 0;
}
