/* tests/test_metrics.c -- the Prometheus text of /metrics (label escaping, histogram
 * buckets cumulative up to +Inf with _sum and _count, HELP and TYPE before samples),
 * the labeled counters' bounded tables, and the pollers' rate-limited reports.
 * promtool checks a real scrape in e2e_slack_metrics.sh. */
#include <stdlib.h>
#include <string.h>
#include "bot/metrics.h"
#include "bot/pollers.h"
#include "tests/check.h"

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_label_values_are_escaped(void)
{
    struct mtext t = {NULL, 0, 0};
    static const char *const names[] = {"method"};
    const char *values[] = {"a\\b\"c\nd"};
    mtext_sample(&t, "x_total", names, values, 1, 3);
    CHECK_STR(t.buf, "x_total{method=\"a\\\\b\\\"c\\nd\"} 3\n");
    free(t.buf);
    t = (struct mtext){NULL, 0, 0};
    mtext_family(&t, "x_total", "counter", "line one\nback\\slash \"quoted\"");
    /* HELP escapes \ and newline only; quotes stay as they are */
    CHECK_STR(t.buf, "# HELP x_total line one\\nback\\\\slash \"quoted\"\n"
                     "# TYPE x_total counter\n");
    free(t.buf);
}

static void test_histogram_is_cumulative_with_inf_sum_count(void)
{
    static const double bounds[] = {0.01, 0.1, 1};
    struct metrics_histogram h;
    struct mtext t = {NULL, 0, 0};
    metrics_histogram_init(&h, bounds, 3);
    metrics_observe(&h, 0.005);
    metrics_observe(&h, 0.01);          /* on a bound: le is "less than or equal" */
    metrics_observe(&h, 0.5);
    metrics_observe(&h, 7);
    mtext_histogram(&t, "lat_seconds", &h);
    CHECK_STR(t.buf, "lat_seconds_bucket{le=\"0.01\"} 2\n"
                     "lat_seconds_bucket{le=\"0.1\"} 2\n"
                     "lat_seconds_bucket{le=\"1\"} 3\n"
                     "lat_seconds_bucket{le=\"+Inf\"} 4\n"
                     "lat_seconds_sum 7.515\n"
                     "lat_seconds_count 4\n");
    free(t.buf);
}

static void test_labeled_table_is_bounded(void)
{
    struct metrics_labeled *tab = calloc(1, sizeof(*tab));
    char name[32];
    if (!tab)
        abort();
    metrics_labeled_add(tab, "chat.postMessage", NULL, NULL, 1);
    metrics_labeled_add(tab, "chat.postMessage", NULL, NULL, 2);
    CHECK(metrics_labeled_get(tab, "chat.postMessage", NULL, NULL) == 3);
    CHECK(tab->n == 1);
    for (int i = 0; i < METRICS_LABELED_MAX + 10; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        metrics_labeled_add(tab, name, NULL, NULL, 1);
    }
    CHECK(tab->n == METRICS_LABELED_MAX);
    CHECK(metrics_labeled_get(tab, "other", NULL, NULL) > 10);   /* the overflow row */
    free(tab);
}

static void test_envelope_types(void)
{
    CHECK(metrics_envelope_from_type("events_api") == METRICS_ENV_EVENTS_API);
    CHECK(metrics_envelope_from_type("interactive") == METRICS_ENV_INTERACTIVE);
    CHECK(metrics_envelope_from_type("slash_commands") == METRICS_ENV_SLASH_COMMANDS);
    CHECK(metrics_envelope_from_type("hello") == METRICS_ENV_OTHER);
    CHECK(metrics_envelope_from_type(NULL) == METRICS_ENV_OTHER);
}

static void test_render_has_every_family_once(void)
{
    struct metrics *m = calloc(1, sizeof(*m));
    struct metrics_scrape *s = calloc(1, sizeof(*s));
    struct metrics_poller p;
    size_t len = 0;
    char *text;
    if (!m || !s)
        abort();
    metrics_init(m);
    m->envelopes_received[METRICS_ENV_SLASH_COMMANDS] = 2;
    m->envelopes_acked[METRICS_ENV_SLASH_COMMANDS] = 2;
    metrics_observe(&m->ack_seconds, 0.002);
    metrics_labeled_add(&m->provider_calls, "aws", "lookup", NULL, 1);
    metrics_labeled_add(&m->provider_errors, "aws", "poll", "throttled", 1);
    memset(&p, 0, sizeof(p));
    snprintf(p.name, sizeof(p.name), "aws_events_queue");
    p.failing = 1;
    p.n_codes = 1;
    snprintf(p.codes[0].code, sizeof(p.codes[0].code), "AccessDenied");
    p.codes[0].n = 4;
    s->pollers = &p;
    s->n_pollers = 1;
    s->slack_connections = 1;
    s->store_answered = 1;
    s->n_states = 1;
    snprintf(s->states[0].state, METRICS_LABEL_MAX, "submitted");
    snprintf(s->states[0].market, METRICS_LABEL_MAX, "aws");
    s->states[0].n = 5;
    s->outbox_pending = 3;
    s->outbox_oldest_due_seconds = 1.5;
    text = metrics_render(m, s, &len);
    CHECK(text && strlen(text) == len);
    CHECK_CONTAINS(text, "# TYPE cancelbot_envelopes_received_total counter\n");
    CHECK_CONTAINS(text, "cancelbot_envelopes_acked_total{type=\"slash_commands\"} 2\n");
    CHECK_CONTAINS(text, "cancelbot_envelopes_received_total{type=\"events_api\"} 0\n");
    CHECK_CONTAINS(text, "# TYPE cancelbot_ack_latency_seconds histogram\n");
    CHECK_CONTAINS(text, "cancelbot_ack_latency_seconds_bucket{le=\"0.0025\"} 1\n");
    CHECK_CONTAINS(text, "cancelbot_ack_latency_seconds_count 1\n");
    CHECK_CONTAINS(text, "cancelbot_provider_calls_total{provider=\"aws\",operation=\"lookup\"} 1\n");
    CHECK_CONTAINS(text, "cancelbot_provider_errors_total{provider=\"aws\",operation=\"poll\","
                         "code=\"throttled\"} 1\n");
    CHECK_CONTAINS(text, "cancelbot_poller_failing{poller=\"aws_events_queue\"} 1\n");
    CHECK_CONTAINS(text, "cancelbot_poller_failures_total{poller=\"aws_events_queue\","
                         "code=\"AccessDenied\"} 4\n");
    CHECK_CONTAINS(text, "cancelbot_requests{state=\"submitted\",market=\"aws\"} 5\n");
    CHECK_CONTAINS(text, "cancelbot_outbox_pending 3\n");
    CHECK_CONTAINS(text, "cancelbot_outbox_oldest_due_age_seconds 1.5\n");
    CHECK_CONTAINS(text, "cancelbot_policy_last_reload_ok 1\n");
    CHECK_CONTAINS(text, "cancelbot_slack_connections 1\n");
    /* each family's TYPE line once */
    CHECK(count(text, "# TYPE cancelbot_requests gauge\n") == 1);
    CHECK(count(text, "# TYPE cancelbot_poller_failing gauge\n") == 1);
    CHECK(count(text, "# TYPE ") == count(text, "# HELP "));
    free(text);
    s->store_answered = 0;              /* the database did not answer: gauges left out */
    text = metrics_render(m, s, &len);
    CHECK(strstr(text, "cancelbot_requests") == NULL);
    CHECK(strstr(text, "cancelbot_outbox_pending") == NULL);
    free(text);
    free(m);
    free(s);
}

static void test_poller_reports_are_rate_limited(void)
{
    struct pollers *ps = calloc(1, sizeof(*ps));
    char body[256];
    int64_t t = 1000000;
    const struct metrics_poller *v;
    int n = 0;
    if (!ps)
        abort();
    CHECK(pollers_report(ps, "q", "events queue", NULL, NULL, 0, t) == POLLER_QUIET);
    CHECK(pollers_report(ps, "q", "events queue", "AccessDenied", "HTTP 403: no", 1000, t) ==
          POLLER_LOGGED_FAILURE);
    for (int i = 1; i <= 5; i++)        /* the same code again and again: quiet */
        CHECK(pollers_report(ps, "q", "events queue", "AccessDenied", NULL, 2000,
                             t + i * 1000) == POLLER_QUIET);
    pollers_describe(ps, t + 6000, body, sizeof(body));
    CHECK_STR(body, "poller q failing: AccessDenied for 6 s\n");
    CHECK(pollers_report(ps, "q", "events queue", "AccessDenied", NULL, 2000,
                         t + POLLERS_LOG_EVERY_MS) == POLLER_LOGGED_STILL);
    CHECK(pollers_report(ps, "q", "events queue", "AccessDenied", NULL, 2000,
                         t + POLLERS_LOG_EVERY_MS + 1000) == POLLER_QUIET);
    /* another code: said at once */
    CHECK(pollers_report(ps, "q", "events queue", "QueueDoesNotExist", NULL, 2000,
                         t + POLLERS_LOG_EVERY_MS + 2000) == POLLER_LOGGED_FAILURE);
    v = pollers_view(ps, &n);
    CHECK(n == 1 && v[0].failing == 1 && v[0].n_codes == 2);
    CHECK(v[0].codes[0].n == 8 && v[0].codes[1].n == 1);
    CHECK(pollers_report(ps, "q", "events queue", NULL, NULL, 0, t + POLLERS_LOG_EVERY_MS +
                         3000) == POLLER_LOGGED_RECOVERED);
    CHECK(pollers_report(ps, "q", "events queue", NULL, NULL, 0, t + POLLERS_LOG_EVERY_MS +
                         4000) == POLLER_QUIET);
    pollers_describe(ps, t, body, sizeof(body));
    CHECK_STR(body, "");
    v = pollers_view(ps, &n);
    CHECK(v[0].failing == 0 && v[0].codes[0].n == 8);   /* the counts stay */
    free(ps);
}

int main(void)
{
    RUN(test_label_values_are_escaped);
    RUN(test_histogram_is_cumulative_with_inf_sum_count);
    RUN(test_labeled_table_is_bounded);
    RUN(test_envelope_types);
    RUN(test_render_has_every_family_once);
    RUN(test_poller_reports_are_rate_limited);
    return check_summary();
}
