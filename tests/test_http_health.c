/* tests/test_http_health.c -- CANCELBOT_HTTP_ADDR's parsing and the probes' answers
 * (health_answer: a pure function of a snapshot), without a socket; the listener
 * itself is exercised by e2e_slack_health.sh. */
#include <stdio.h>
#include <string.h>
#include "bot/http_health.h"
#include "tests/check.h"

static struct health_snapshot all_well(void)
{
    struct health_snapshot s;
    memset(&s, 0, sizeof(s));
    s.now_ms = 100000;
    s.last_tick_ms = 99000;
    s.slack_live = 1;
    s.store_up = 1;
    s.store_is_sqlite = 1;
    s.policy_loaded = 1;
    return s;
}

static void test_addr_default_off_and_explicit(void)
{
    struct health_addr a;
    char err[256] = "";
    CHECK(health_parse_addr(NULL, &a, err, sizeof(err)) == 0);
    CHECK(a.enabled && a.port == 8089);
    CHECK_STR(a.host, "127.0.0.1");
    CHECK(health_parse_addr("", &a, err, sizeof(err)) == 0 && a.enabled);
    CHECK(health_parse_addr("off", &a, err, sizeof(err)) == 0 && !a.enabled);
    CHECK(health_parse_addr("0.0.0.0:9000", &a, err, sizeof(err)) == 0);
    CHECK(a.enabled && a.port == 9000);
    CHECK_STR(a.host, "0.0.0.0");
    CHECK(health_parse_addr("127.0.0.1:0", &a, err, sizeof(err)) == 0 && a.port == 0);
}

static void test_addr_bad_values_name_the_variable(void)
{
    static const char *const bad[] = {"8080", ":8080", "127.0.0.1:", "127.0.0.1:65536",
                                      "127.0.0.1:-1", "127.0.0.1:80x", "localhost:8080",
                                      "[::1]:8080", "Off", "1.2.3.4.5:80"};
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct health_addr a;
        char err[256] = "";
        CHECK(health_parse_addr(bad[i], &a, err, sizeof(err)) == -1);
        CHECK(!a.enabled);
        CHECK_CONTAINS(err, "CANCELBOT_HTTP_ADDR=\"");
        CHECK_CONTAINS(err, bad[i]);
        CHECK_CONTAINS(err, "HOST:PORT");
    }
}

static void test_readyz_says_what_start_up_waits_for(void)
{
    struct health_snapshot s = all_well();
    char body[HEALTH_BODY_MAX];
    s.starting = "starting: slack unreachable (Connection refused); retrying";
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 503);
    CHECK_STR(body, "not ready: starting: slack unreachable (Connection refused); retrying\n");
    CHECK(health_answer("GET", "/healthz", &s, body, sizeof(body)) == 200);
    s.starting = "";
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 200);
}

static void test_healthz_follows_the_last_tick(void)
{
    struct health_snapshot s = all_well();
    char body[HEALTH_BODY_MAX];
    CHECK(health_answer("GET", "/healthz", &s, body, sizeof(body)) == 200);
    CHECK_STR(body, "ok\n");
    s.slack_live = 0;
    s.store_up = 0;             /* alive is not ready: /healthz does not care */
    CHECK(health_answer("GET", "/healthz", &s, body, sizeof(body)) == 200);
    s.last_tick_ms = s.now_ms - HEALTH_TICK_STALE_MS - 1;
    CHECK(health_answer("GET", "/healthz", &s, body, sizeof(body)) == 503);
    CHECK_CONTAINS(body, "has not turned");
}

static void test_readyz_says_what_is_not_ready(void)
{
    struct health_snapshot s = all_well();
    char body[HEALTH_BODY_MAX];
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 200);
    CHECK_STR(body, "ready\n");
    s.slack_live = 0;
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 503);
    CHECK_STR(body, "not ready: slack not connected (reconnecting)\n");
    s = all_well();
    s.store_up = 0;
    s.store_is_sqlite = 0;
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 503);
    CHECK_STR(body, "not ready: database unreachable (reconnecting)\n");
    s = all_well();
    s.policy_loaded = 0;
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 503);
    CHECK_CONTAINS(body, "policy");
}

/* A failing background poller is named, but the bot stays ready for Slack's work. */
static void test_readyz_names_failing_pollers(void)
{
    struct health_snapshot s = all_well();
    char body[HEALTH_BODY_MAX];
    snprintf(s.pollers, sizeof(s.pollers), "poller aws_events_queue failing: AccessDenied "
             "for 40 s\n");
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 200);
    CHECK_STR(body, "ready\npoller aws_events_queue failing: AccessDenied for 40 s\n");
    s.slack_live = 0;
    CHECK(health_answer("GET", "/readyz", &s, body, sizeof(body)) == 503);
    CHECK_STR(body, "not ready: slack not connected (reconnecting)\n"
                    "poller aws_events_queue failing: AccessDenied for 40 s\n");
}

static void test_other_paths_and_methods(void)
{
    struct health_snapshot s = all_well();
    char body[HEALTH_BODY_MAX];
    CHECK(health_answer("GET", "/metrics", &s, body, sizeof(body)) == 404);
    CHECK(health_answer("GET", "/", &s, body, sizeof(body)) == 404);
    CHECK(health_answer("GET", "/healthz/", &s, body, sizeof(body)) == 404);
    CHECK(health_answer("OTHER", "/readyz", &s, body, sizeof(body)) == 405);
    CHECK(health_answer("OTHER", "/healthz", &s, body, sizeof(body)) == 405);
    CHECK(strlen(body) < HEALTH_BODY_MAX);
}

int main(void)
{
    RUN(test_addr_default_off_and_explicit);
    RUN(test_addr_bad_values_name_the_variable);
    RUN(test_readyz_says_what_start_up_waits_for);
    RUN(test_healthz_follows_the_last_tick);
    RUN(test_readyz_says_what_is_not_ready);
    RUN(test_readyz_names_failing_pollers);
    RUN(test_other_paths_and_methods);
    return check_summary();
}
