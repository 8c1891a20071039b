/* tests/test_slack_response_url.c -- which response_url the bot may POST to: a URL
 * arrives inside a payload, so only Slack's own hooks host (or, in tests, the local
 * fake that SLACK_API_URL names) is ever used. */
#include "tests/check.h"
#include "bot/slack_api.h"

#define SLACK "https://slack.com/api/"
#define FAKE "http://127.0.0.1:40123/api/"

static void test_production_takes_only_slack_hooks_over_https(void)
{
    CHECK(slack_response_url_allowed(SLACK, "https://hooks.slack.com/actions/T0/1/abc"));
    CHECK(slack_response_url_allowed(SLACK, "https://hooks.slack.com/commands/T0/1/abc"));
    CHECK(!slack_response_url_allowed(SLACK, "http://hooks.slack.com/actions/T0/1/abc"));
    CHECK(!slack_response_url_allowed(SLACK, "https://hooks.slack.com.evil.example/x"));
    CHECK(!slack_response_url_allowed(SLACK, "https://hooks.slack.com@evil.example/x"));
    CHECK(!slack_response_url_allowed(SLACK, "https://evil.example/hooks.slack.com/"));
    CHECK(!slack_response_url_allowed(SLACK, "https://hooks.slack.com/"));
    CHECK(!slack_response_url_allowed(SLACK, "http://127.0.0.1:40123/hooks/1"));
    CHECK(!slack_response_url_allowed(SLACK, ""));
    CHECK(!slack_response_url_allowed(SLACK, NULL));
}

static void test_a_local_fake_takes_only_its_own_origin(void)
{
    CHECK(slack_response_url_allowed(FAKE, "http://127.0.0.1:40123/hooks/1"));
    CHECK(!slack_response_url_allowed(FAKE, "http://127.0.0.1:40124/hooks/1"));
    CHECK(!slack_response_url_allowed(FAKE, "http://127.0.0.1:401234/hooks/1"));
    CHECK(!slack_response_url_allowed(FAKE, "https://hooks.slack.com/actions/T0/1/abc"));
    CHECK(!slack_response_url_allowed(FAKE, "http://127.0.0.1:40123/"));
}

static void test_control_characters_and_long_urls_are_refused(void)
{
    char long_url[700];
    CHECK(!slack_response_url_allowed(SLACK, "https://hooks.slack.com/a\r\nX-Evil: 1"));
    CHECK(!slack_response_url_allowed(SLACK, "https://hooks.slack.com/a b"));
    memset(long_url, 'a', sizeof(long_url) - 1);
    long_url[sizeof(long_url) - 1] = '\0';
    memcpy(long_url, "https://hooks.slack.com/", 24);
    CHECK(!slack_response_url_allowed(SLACK, long_url));
}

int main(void)
{
    RUN(test_production_takes_only_slack_hooks_over_https);
    RUN(test_a_local_fake_takes_only_its_own_origin);
    RUN(test_control_characters_and_long_urls_are_refused);
    return check_summary();
}
