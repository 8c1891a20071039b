/* tests/test_config.c -- the policy file: one test per rule of bot/config.c. Each
 * problem is checked by its JSON path and by what its text says is accepted; values
 * are checked where they land in struct policy (cents, milliseconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "approvals/policy.h"
#include "bot/config.h"
#include "tests/check.h"

#define HOUR_MS (3600LL * 1000)

static struct config_report rep;

static int load(const char *json, struct policy *p)
{
    return config_load_policy_text(json, p, &rep);
}

/* The first problem reported at exactly this path, or NULL. */
static const char *problem_at(const char *path)
{
    for (int i = 0; i < rep.n; i++)
        if (strcmp(rep.items[i].path, path) == 0)
            return rep.items[i].text;
    return NULL;
}

/* 1 when needle occurs in any path or text of the report. */
static int report_mentions(const char *needle)
{
    for (int i = 0; i < rep.n; i++)
        if (strstr(rep.items[i].path, needle) || strstr(rep.items[i].text, needle))
            return 1;
    return 0;
}

static void example_path(char *buf, size_t len)
{
    const char *src = getenv("CANCELBOT_SRC");
    if (src && *src) {
        snprintf(buf, len, "%s/deploy/cancelbot.example.json", src);
    } else {                            /* run by hand: find deploy/ next to tests/ */
        const char *slash = strrchr(__FILE__, '/');
        int dir = slash ? (int)(slash - __FILE__) : 0;
        snprintf(buf, len, "%.*s%sdeploy/cancelbot.example.json", dir, __FILE__,
                 slash ? "/../" : "../");
    }
}

static void test_example_file_loads_clean_and_lands_in_policy(void)
{
    char path[1024];
    struct policy p;
    const struct policy_account *a;
    example_path(path, sizeof(path));
    CHECK(config_load_policy_file(path, &p, &rep) == CONFIG_OK);
    CHECK(rep.n == 0);
    config_report_print(&rep, stderr);
    CHECK(p.n_channels == 2);
    CHECK_STR(p.channels[1], "G0FINOPS");
    CHECK(p.n_approvers == 3);
    CHECK_STR(p.approvers[2], "W0CFO");
    CHECK_STR(p.approver_group, "S0FINANCE");
    CHECK(p.exporters_listed && p.n_exporters == 3);
    CHECK_STR(p.exporters[2], "U0AUDIT");
    CHECK(p.second_approval_above_cents == 5000000);
    CHECK_STR(p.second_approval_currency, "USD");
    CHECK(p.poll_interval_ms == 60000);
    CHECK(p.approval_expiry_ms == 168 * HOUR_MS);
    CHECK(p.approval_reminder_ms == 24 * HOUR_MS);
    CHECK(p.n_reminders == 3 && p.reminders_hours[2] == 144);
    CHECK((a = policy_find_account(&p, MARKET_AWS, "emea")) != NULL);
    CHECK(a && strcmp(a->profile, "seller-emea") == 0 && strcmp(a->region, "eu-central-1") == 0);
    CHECK((a = policy_find_account(&p, MARKET_AZURE, "default")) != NULL);
    CHECK(a && strcmp(a->tenant_id, "11111111-2222-3333-4444-555555555555") == 0);
    CHECK_STR(p.provider_aws, "sim");
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL)
        buf[fread(buf, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return buf;
}

static void test_docs_show_the_example_file_verbatim(void)
{
    char path[1024], *docs, *example, *start, *end;
    example_path(path, sizeof(path));
    example = read_all(path);
    strcpy(strstr(path, "deploy/cancelbot.example.json"), "docs/configuration.md");
    docs = read_all(path);
    CHECK(example && docs);
    if (example && docs) {
        start = strstr(docs, "```json\n");
        end = start ? strstr(start + 8, "```") : NULL;
        CHECK(end != NULL);
        if (end) {
            *end = '\0';
            CHECK_STR(start + 8, example);
        }
    }
    free(example);
    free(docs);
}

static void test_empty_object_is_the_default_policy(void)
{
    struct policy p, d;
    memset(&p, 0xA5, sizeof(p));
    policy_init_default(&d);
    CHECK(load("{}", &p) == CONFIG_OK);
    CHECK(memcmp(&p, &d, sizeof(p)) == 0);
}

static void test_absent_fields_keep_defaults(void)
{
    struct policy p, d;
    policy_init_default(&d);
    CHECK(load("{\"approvals_required\": 2, \"reactions\": {\"approve\": \"thumbsup\"}}", &p) ==
          CONFIG_OK);
    CHECK(p.approvals_required == 2);
    CHECK_STR(p.react_approve, "thumbsup");
    CHECK_STR(p.react_reject, "x");                         /* sibling kept */
    CHECK(p.n_approvers == d.n_approvers && strcmp(p.approvers[0], "U0FIN1") == 0);
    CHECK(p.second_approval_above_cents == d.second_approval_above_cents);
    CHECK(p.poll_interval_ms == d.poll_interval_ms);
    CHECK(p.n_accounts == 2);
}

static void test_unknown_field_names_what_is_accepted(void)
{
    struct policy p;
    CHECK(load("{\"approver\": [\"U0FIN1\"], \"reactions\": {\"approved\": \"x\"}}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approver"), "unknown field; accepted: channels, requesters, "
                                             "approvers");
    CHECK_CONTAINS(problem_at("$.reactions.approved"), "unknown field; accepted: approve, reject");
}

static void test_wrong_type_is_named(void)
{
    struct policy p;
    CHECK(load("{\"channels\": \"C0CANCELS\", \"approvals_required\": \"2\","
               " \"approvers\": [\"U0FIN1\"]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.channels"), "expected an array of strings");
    CHECK_CONTAINS(problem_at("$.channels"), "(got a string)");
    CHECK_CONTAINS(problem_at("$.approvals_required"), "(got a string)");
    CHECK_CONTAINS(problem_at("$.approvers"), "expected an object");
}

static void test_channel_ids_follow_the_slack_pattern(void)
{
    struct policy p;
    CHECK(load("{\"channels\": [\"C0OK\", \"c0lower\", \"X0ABC\", \"C1\", 7]}", &p) ==
          CONFIG_E_INVALID);
    CHECK(problem_at("$.channels[0]") == NULL);
    CHECK_CONTAINS(problem_at("$.channels[1]"), "\"c0lower\" is not a Slack channel id");
    CHECK_CONTAINS(problem_at("$.channels[2]"), "C, G or D then 2 to 30 of A-Z 0-9");
    CHECK(problem_at("$.channels[3]") != NULL);             /* too short */
    CHECK_CONTAINS(problem_at("$.channels[4]"), "(got an integer)");
    CHECK(load("{\"channels\": [\"G0PRIVATE\", \"D0DM\"]}", &p) == CONFIG_OK);
    CHECK(load("{\"channels\": []}", &p) == CONFIG_OK && p.n_channels == 0);  /* every channel */
}

static void test_requesters_are_users_or_star_alone(void)
{
    struct policy p;
    CHECK(load("{\"requesters\": [\"U0SALES\", \"W0OPS\"]}", &p) == CONFIG_OK);
    CHECK(policy_may_request(&p, "W0OPS") && !policy_may_request(&p, "U0OTHER"));
    CHECK(load("{\"requesters\": [\"*\", \"U0SALES\"]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.requesters"), "\"*\" already means everyone");
    CHECK(load("{\"requesters\": []}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.requesters"), "nobody could make a request");
    CHECK(load("{\"requesters\": [\"alice\"]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.requesters[0]"), "or \"*\" for everyone");
}

static void test_exporters_default_to_approvers_and_else_are_users_only(void)
{
    struct policy p;
    CHECK(load("{\"approvers\": {\"users\": [\"U0FIN1\"], \"usergroup\": \"S0FIN\"}}", &p) ==
          CONFIG_OK);
    CHECK(!p.exporters_listed);
    CHECK(policy_may_export(&p, "U0FIN1", 0));              /* a listed approver */
    CHECK(policy_may_export(&p, "U0GROUPIE", 1));           /* a member of the group */
    CHECK(!policy_may_export(&p, "U0ALICE", 0));
    CHECK(load("{\"exporters\": [\"U0AUDIT\"]}", &p) == CONFIG_OK);
    CHECK(policy_may_export(&p, "U0AUDIT", 0));
    CHECK(!policy_may_export(&p, "U0FIN1", 1));             /* the list replaces the default */
    CHECK(load("{\"exporters\": []}", &p) == CONFIG_OK);
    CHECK(p.exporters_listed && !policy_may_export(&p, "U0FIN1", 1));
    CHECK(load("{\"exporters\": [\"*\"]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.exporters[0]"), "a Slack user id: U or W");
    CHECK(load("{\"exporters\": \"U0AUDIT\"}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.exporters"), "expected an array of strings");
    CHECK(load("{\"exporters\": [\"U0A\", \"U0A\"]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.exporters[1]"), "listed twice");
}

static void test_approver_may_not_appear_twice(void)
{
    struct policy p;
    CHECK(load("{\"approvers\": {\"users\": [\"U0FIN1\", \"U0FIN2\", \"U0FIN1\"]}}", &p) ==
          CONFIG_E_INVALID);
    CHECK(rep.n == 1);
    CHECK_CONTAINS(problem_at("$.approvers.users[2]"), "\"U0FIN1\" is listed twice");
}

static void test_approvers_need_a_user_or_a_group(void)
{
    struct policy p;
    CHECK(load("{\"approvers\": {\"users\": []}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvers"), "no approver");
    CHECK(load("{\"approvers\": {\"users\": [\"*\"]}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvers.users[0]"), "is not a Slack user id");
    CHECK(load("{\"approvers\": {\"usergroup\": \"finance\"}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvers.usergroup"), "S then 1 to 30 of A-Z 0-9");
}

static void test_approvers_replace_the_defaults_as_a_whole(void)
{
    struct policy p;
    CHECK(load("{\"approvers\": {\"usergroup\": \"S0FINANCE\"}}", &p) == CONFIG_OK);
    CHECK(p.n_approvers == 0);                              /* demo U0FIN1/U0FIN2 gone */
    CHECK(!policy_is_approver(&p, "U0FIN1"));
    CHECK_STR(p.approver_group, "S0FINANCE");
}

static void test_approvals_required_is_1_to_4(void)
{
    struct policy p;
    const char *group = "\"approvers\": {\"usergroup\": \"S0FIN\"}";
    char json[256];
    snprintf(json, sizeof(json), "{%s, \"approvals_required\": 0}", group);
    CHECK(load(json, &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvals_required"), "0 is out of range; expected a whole "
                                                       "number from 1 to 4");
    snprintf(json, sizeof(json), "{%s, \"approvals_required\": 5}", group);
    CHECK(load(json, &p) == CONFIG_E_INVALID);
    snprintf(json, sizeof(json), "{%s, \"approvals_required\": 4}", group);
    CHECK(load(json, &p) == CONFIG_OK && p.approvals_required == 4);
    CHECK(load("{\"approvals_required\": 1.5}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvals_required"), "(got a number with a fraction)");
}

static void test_enough_approvers_for_the_approvals_needed(void)
{
    struct policy p;
    /* The default threshold asks two approvals above 50000 USD: one user is not enough. */
    CHECK(load("{\"approvers\": {\"users\": [\"U0FIN1\"]}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approvers.users"), "2 approvals can be needed");
    CHECK(load("{\"approvers\": {\"users\": [\"U0FIN1\"]},"
               " \"second_approval_above\": {\"amount\": 0}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 0);
    CHECK(load("{\"approvers\": {\"users\": [\"U0FIN1\"], \"usergroup\": \"S0FIN\"}}", &p) ==
          CONFIG_OK);
    CHECK(load("{\"approvals_required\": 3}", &p) == CONFIG_E_INVALID);   /* 2 demo approvers */
    CHECK_CONTAINS(problem_at("$.approvers.users"), "3 approvals can be needed");
}

static void test_amount_becomes_cents(void)
{
    struct policy p;
    CHECK(load("{\"second_approval_above\": {\"amount\": \"1250.5\"}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 125050);
    CHECK(load("{\"second_approval_above\": {\"amount\": \"0.99\"}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 99);
    CHECK(load("{\"second_approval_above\": {\"amount\": 20000}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 2000000);
    CHECK(load("{\"second_approval_above\": {\"amount\": 1250.75}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 125075);
    CHECK(load("{\"second_approval_above\": {\"amount\": \"999999999999.99\"}}", &p) == CONFIG_OK);
    CHECK(p.second_approval_above_cents == 99999999999999LL);
    CHECK_STR(p.second_approval_currency, "USD");           /* sibling kept */
}

static void test_amount_refuses_what_is_not_a_plain_decimal(void)
{
    static const char *const bad[] = {"\"1.234\"", "\"-1\"", "\"50,000\"", "\"1e5\"", "\"\"",
                                      "\".5\"", "\"5.\"", "\"1000000000000\"", "-3", "12.345",
                                      "true"};
    struct policy p;
    char json[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), "{\"second_approval_above\": {\"amount\": %s}}", bad[i]);
        CHECK(load(json, &p) == CONFIG_E_INVALID);
        CHECK_CONTAINS(problem_at("$.second_approval_above.amount"), "at most 2 decimal places");
    }
}

static void test_currency_is_three_capitals(void)
{
    struct policy p;
    CHECK(load("{\"second_approval_above\": {\"currency\": \"EUR\"}}", &p) == CONFIG_OK);
    CHECK_STR(p.second_approval_currency, "EUR");
    CHECK(load("{\"second_approval_above\": {\"currency\": \"usd\"}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.second_approval_above.currency"), "3-letter ISO 4217");
    CHECK(load("{\"second_approval_above\": {\"currency\": \"USDX\"}}", &p) == CONFIG_E_INVALID);
}

static void test_reactions_are_bare_names_and_differ(void)
{
    struct policy p;
    CHECK(load("{\"reactions\": {\"approve\": \":+1:\"}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.reactions.approve"), "without colons: \"+1\"");
    CHECK(load("{\"reactions\": {\"approve\": \"Thumbs Up\"}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.reactions.approve"), "a-z 0-9 _ + -");
    CHECK(load("{\"reactions\": {\"approve\": \"x\"}}", &p) == CONFIG_E_INVALID);  /* reject: x */
    CHECK_CONTAINS(problem_at("$.reactions"), "must be different");
    CHECK(load("{\"reactions\": {\"approve\": \"+1\", \"reject\": \"-1\"}}", &p) == CONFIG_OK);
}

static void test_reminders_ascend_below_a_week(void)
{
    struct policy p;
    CHECK(load("{\"reminders_hours\": [1, 167]}", &p) == CONFIG_OK);
    CHECK(p.n_reminders == 2 && p.reminders_hours[1] == 167);
    CHECK(load("{\"reminders_hours\": [24, 168]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.reminders_hours[1]"), "168 is out of range");
    CHECK(load("{\"reminders_hours\": [72, 24]}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.reminders_hours[1]"), "not after the previous reminder (72)");
    CHECK(load("{\"reminders_hours\": [24, 24]}", &p) == CONFIG_E_INVALID);   /* strictly */
    CHECK(load("{\"reminders_hours\": [0]}", &p) == CONFIG_E_INVALID);
    CHECK(load("{\"reminders_hours\": []}", &p) == CONFIG_OK && p.n_reminders == 0);
}

static void test_over_capacity_arrays_name_the_limit(void)
{
    char json[2048] = "{\"reminders_hours\": [1,2,3,4,5,6,7,8,9], \"channels\": [";
    struct policy p;
    for (int i = 0; i <= POLICY_MAX_CHANNELS; i++) {
        size_t n = strlen(json);
        snprintf(json + n, sizeof(json) - n, "%s\"C0CH%d\"", i ? ", " : "", i);
    }
    strcat(json, "]}");
    CHECK(load(json, &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.reminders_hours"), "at most 8 (POLICY_MAX_REMINDERS)");
    CHECK_CONTAINS(problem_at("$.channels"), "too many channels: 33; at most 32 "
                                             "(POLICY_MAX_CHANNELS)");
}

static void test_intervals_become_milliseconds_within_bounds(void)
{
    struct policy p;
    CHECK(load("{\"poll_interval_seconds\": 10}", &p) == CONFIG_OK && p.poll_interval_ms == 10000);
    CHECK(load("{\"poll_interval_seconds\": 86400}", &p) == CONFIG_OK);
    CHECK(p.poll_interval_ms == 86400000LL);
    CHECK(load("{\"poll_interval_seconds\": 9}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.poll_interval_seconds"), "from 10 to 86400");
    CHECK(load("{\"poll_interval_seconds\": 86401}", &p) == CONFIG_E_INVALID);
    CHECK(load("{\"approval_expiry_hours\": 0, \"approval_reminder_hours\": 0}", &p) == CONFIG_OK);
    CHECK(p.approval_expiry_ms == 0 && p.approval_reminder_ms == 0);
    CHECK(load("{\"approval_expiry_hours\": 2160}", &p) == CONFIG_OK);
    CHECK(p.approval_expiry_ms == 2160 * HOUR_MS);
    CHECK(load("{\"approval_expiry_hours\": 2161}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approval_expiry_hours"), "0 (never)");
    CHECK(load("{\"approval_reminder_hours\": 169}", &p) == CONFIG_E_INVALID);
}

/* Slack redelivers for about five minutes: a shorter memory would act twice. */
static void test_store_housekeeping_bounds(void)
{
    struct policy p;
    CHECK(load("{}", &p) == CONFIG_OK);
    CHECK(p.dedup_ttl_ms == 60 * 60 * 1000 && p.done_retention_ms == 30 * 24 * HOUR_MS);
    CHECK(load("{\"dedup_ttl_minutes\": 10, \"done_effects_retention_days\": 1}", &p) ==
          CONFIG_OK);
    CHECK(p.dedup_ttl_ms == 10 * 60 * 1000 && p.done_retention_ms == 24 * HOUR_MS);
    CHECK(load("{\"dedup_ttl_minutes\": 9}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.dedup_ttl_minutes"), "from 10 to 10080");
    CHECK(load("{\"done_effects_retention_days\": 0}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.done_effects_retention_days"), "from 1 to 3650");
}

static void test_approval_reminder_comes_before_expiry(void)
{
    struct policy p;
    CHECK(load("{\"approval_expiry_hours\": 24, \"approval_reminder_hours\": 24}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.approval_reminder_hours"), "less than approval_expiry_hours (24)");
    CHECK(load("{\"approval_expiry_hours\": 24, \"approval_reminder_hours\": 23}", &p) ==
          CONFIG_OK);
    CHECK(load("{\"approval_expiry_hours\": 0, \"approval_reminder_hours\": 100}", &p) ==
          CONFIG_OK);
}

static void test_aws_accounts_replace_defaults_for_that_market(void)
{
    struct policy p;
    const struct policy_account *a;
    CHECK(load("{\"aws\": {\"accounts\": {\"us\": {\"profile\": \"seller.us\"},"
               " \"apac\": {\"region\": \"ap-southeast-2\"}}}}", &p) == CONFIG_OK);
    CHECK(policy_find_account(&p, MARKET_AWS, "default") == NULL);
    CHECK(policy_find_account(&p, MARKET_AZURE, "default") != NULL);     /* other market kept */
    CHECK((a = policy_find_account(&p, MARKET_AWS, "us")) && strcmp(a->region, "us-east-1") == 0);
    CHECK((a = policy_find_account(&p, MARKET_AWS, "apac")) && a->profile[0] == '\0');
    CHECK(p.n_accounts == 3);
}

static void test_aws_account_names_and_regions(void)
{
    struct policy p;
    CHECK(load("{\"aws\": {\"accounts\": {\"bad name\": {}, \"eu\": {\"region\": \"Europe\"},"
               " \"gov\": {\"region\": \"us-gov-west-1\"}, \"x\": {\"zone\": \"a\"}}}}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.aws.accounts[\"bad name\"]"), "1 to 31 of A-Z a-z 0-9 _ -");
    CHECK_CONTAINS(problem_at("$.aws.accounts.eu.region"), "\"Europe\" is not an AWS region");
    CHECK(problem_at("$.aws.accounts.gov.region") == NULL);
    CHECK_CONTAINS(problem_at("$.aws.accounts.x.zone"), "accepted: profile, region");
    CHECK(load("{\"aws\": {\"accounts\": {\"a\": {\"region\": \"us-1\"}}}}", &p) ==
          CONFIG_E_INVALID);
    CHECK(load("{\"aws\": {\"accounts\": {\"a\": {\"region\": \"us-east-\"}}}}", &p) ==
          CONFIG_E_INVALID);
    CHECK(load("{\"aws\": {\"accounts\": {}}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.aws.accounts"), "name at least one account");
}

static void test_azure_tenants_need_guids(void)
{
    struct policy p;
    CHECK(load("{\"azure\": {\"tenants\": {\"eu\": {\"tenant_id\": \"contoso\"}}}}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.azure.tenants.eu.tenant_id"), "a GUID like");
    CHECK_CONTAINS(problem_at("$.azure.tenants.eu"), "\"client_id\" is required");
    CHECK(load("{\"azure\": {\"tenants\": {\"eu\": {"
               "\"tenant_id\": \"AAAAAAAA-bbbb-CCCC-dddd-000000000000\","
               " \"client_id\": \"00000000-0000-0000-0000-000000000001\"}}}}", &p) == CONFIG_OK);
    CHECK(policy_find_account(&p, MARKET_AZURE, "default") == NULL);
    CHECK(policy_find_account(&p, MARKET_AZURE, "eu") != NULL);
}

static void test_buyer_link_is_https_with_agreement_id(void)
{
    struct policy p;
    CHECK(load("{\"aws\": {\"buyer_link\": \"http://x/{agreement_id}\"}}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.aws.buyer_link"), "an https:// URL containing {agreement_id}");
    CHECK(load("{\"aws\": {\"buyer_link\": \"https://x/agreements\"}}", &p) == CONFIG_E_INVALID);
    CHECK(load("{\"aws\": {\"buyer_link\": \"https://x/{agreement_id}?c={case}\"}}", &p) ==
          CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.aws.buyer_link"), "unknown placeholder");
    CHECK(load("{\"aws\": {\"buyer_link\": \"https://x/{agreement_id}?r={request_id}\"}}", &p) ==
          CONFIG_OK);
    CHECK_STR(p.aws_buyer_link, "https://x/{agreement_id}?r={request_id}");
}

static void test_providers_select_backends(void)
{
    struct policy p;
    CHECK(load("{\"providers\": {\"aws\": \"aws\"}}", &p) == CONFIG_OK);
    CHECK_STR(p.provider_aws, "aws");
    CHECK_STR(p.provider_azure, "sim");
    CHECK(load("{\"providers\": {\"aws\": \"sim\", \"azure\": \"azure\"}}", &p) == CONFIG_OK);
    CHECK_STR(p.provider_azure, "azure");
    CHECK(load("{\"providers\": {\"azure\": \"aws\", \"gcp\": \"sim\"}}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.providers.azure"), "\"sim\" (simulated) or \"azure\"");
    CHECK_CONTAINS(problem_at("$.providers.gcp"), "accepted: aws, azure");
}

static void test_secret_key_refused_and_value_never_shown(void)
{
    struct policy p, before;
    memset(&p, 0x5A, sizeof(p));
    before = p;
    CHECK(load("{\"azure\": {\"tenants\": {\"default\": {"
               "\"tenant_id\": \"11111111-2222-3333-4444-555555555555\","
               " \"client_id\": \"66666666-7777-8888-9999-aaaaaaaaaaaa\","
               " \"client_secret\": \"Sup3r~Secr3tValue\"}}},"
               " \"Slack_Token\": \"HiddenTokenValue\","
               " \"aws\": {\"accounts\": {\"default\": {"
               "\"aws_secret_access_key\": \"AwsHidden\"}}},"
               " \"password\": 12345}", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.azure.tenants.default.client_secret"),
                   "secrets are not allowed in the config file; set AZURE_CLIENT_SECRET "
                   "(or a *_FILE variable) in the environment");
    CHECK_CONTAINS(problem_at("$.Slack_Token"), "secrets are not allowed");
    CHECK_CONTAINS(problem_at("$.aws.accounts.default.aws_secret_access_key"),
                   "AWS_SECRET_ACCESS_KEY");
    CHECK_CONTAINS(problem_at("$.Slack_Token"), "SLACK_BOT_TOKEN");
    CHECK_CONTAINS(problem_at("$.password"), "secrets are not allowed");
    CHECK(rep.n == 4);                          /* reported once, not also as unknown */
    CHECK(!report_mentions("Secr3t") && !report_mentions("HiddenToken") &&
          !report_mentions("AwsHidden") && !report_mentions("12345"));
    CHECK(memcmp(&p, &before, sizeof(p)) == 0); /* out untouched on failure */
}

static void test_secret_key_names_match_whatever_their_case_and_separators(void)
{
    static const char *const keys[] = {"aws_access_key_id", "API_KEY", "privateKey", "Passwd",
                                       "sas_token", "credentials", "clientSecret"};
    struct policy p;
    char json[128], path[64];
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(json, sizeof(json), "{\"providers\": {\"%s\": \"v4lue\"}}", keys[i]);
        snprintf(path, sizeof(path), "$.providers.%s", keys[i]);
        CHECK(load(json, &p) == CONFIG_E_INVALID && rep.n == 1);
        CHECK_CONTAINS(problem_at(path), "secrets are not allowed in the config file");
    }
    CHECK(load("{\"providers\": {\"aws\": \"aws\"}}", &p) == CONFIG_OK);  /* no false alarm */
}

static void test_secret_looking_values_and_long_strings_never_shown(void)
{
    char json[512];
    char long_id[100];
    struct policy p;
    memset(long_id, 'Q', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    snprintf(json, sizeof(json), "{\"channels\": [\"xoxb-1234-abcdef\", \"%s\"],"
             " \"approvers\": {\"users\": [\"AKIAABCDEFGHIJKLMNOP\"]}}", long_id);
    CHECK(load(json, &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$.channels[0]"), "looks like a token or key; secrets are not "
                                                "allowed in the config file; set SLACK_BOT_TOKEN");
    CHECK_CONTAINS(problem_at("$.approvers.users[0]"), "AWS_SECRET_ACCESS_KEY");
    CHECK(!report_mentions("xoxb") && !report_mentions("AKIA") && !report_mentions("QQQQ"));
    CHECK(report_mentions("(a 99-character string)"));
}

static void test_syntax_error_gives_line_and_column_only(void)
{
    struct policy p;
    CHECK(load("{\n  \"channels\": [\"C0CANCELS\"],\n  \"x\" \"s3cr3t\"\n}", &p) ==
          CONFIG_E_SYNTAX);
    CHECK(rep.n == 1);
    CHECK_STR(rep.items[0].path, "$");
    CHECK_CONTAINS(rep.items[0].text, "invalid JSON at line 3, column 14");
    CHECK(!report_mentions("s3cr3t"));           /* jansson's "near '<token>'" is cut */
    CHECK(load("{\"channels\": [], \"channels\": []}", &p) == CONFIG_E_SYNTAX);
    CHECK_CONTAINS(rep.items[0].text, "duplicate object key");
    CHECK(load("", &p) == CONFIG_E_SYNTAX);
    CHECK(load("[\"C0CANCELS\"]", &p) == CONFIG_E_INVALID);
    CHECK_CONTAINS(problem_at("$"), "expected an object with the policy fields (got an array)");
}

static void test_every_problem_is_reported_in_file_order(void)
{
    struct policy p;
    CHECK(load("{\"channels\": [\"bad\"], \"approvals_required\": 9, \"colour\": 1,"
               " \"providers\": {\"aws\": \"real\"}}", &p) == CONFIG_E_INVALID);
    CHECK(rep.n == 4);
    CHECK_STR(rep.items[0].path, "$.channels[0]");
    CHECK_STR(rep.items[1].path, "$.approvals_required");
    CHECK_STR(rep.items[2].path, "$.colour");
    CHECK_STR(rep.items[3].path, "$.providers.aws");
}

static void test_full_report_says_problems_were_left_out(void)
{
    char json[4096] = "{\"channels\": [";
    struct policy p;
    for (int i = 0; i < 100; i++) {
        size_t n = strlen(json);
        snprintf(json + n, sizeof(json) - n, "%s\"bad%d\"", i ? "," : "", i);
    }
    strcat(json, "]}");
    CHECK(load(json, &p) == CONFIG_E_INVALID);
    CHECK(rep.n == CONFIG_MAX_PROBLEMS);
    CHECK_CONTAINS(rep.items[CONFIG_MAX_PROBLEMS - 1].text, "too many problems");
}

static void test_report_prints_path_colon_text_lines(void)
{
    struct policy p;
    char out[1024] = "";
    FILE *f = tmpfile();
    size_t n;
    CHECK(load("{\"approvals_required\": 0, \"x\": 1}", &p) == CONFIG_E_INVALID);
    CHECK(f != NULL);
    if (!f)
        return;
    config_report_print(&rep, f);
    rewind(f);
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    fclose(f);
    CHECK_STR(out, "$.approvals_required: 0 is out of range; expected a whole number from 1 to 4\n"
                   "$.x: unknown field; accepted: channels, requesters, approvers, "
                   "exporters, approvals_required, second_approval_above, reactions, reminders_hours, "
                   "poll_interval_seconds, approval_expiry_hours, approval_reminder_hours, "
                   "draft_expiry_minutes, dedup_ttl_minutes, done_effects_retention_days, aws, azure, providers\n");
}

static void test_file_loading_and_read_errors(void)
{
    char dir[] = "/tmp/cancelbot-cfg-XXXXXX", path[128];
    struct policy p;
    FILE *f;
    CHECK(config_load_policy_file("/nonexistent/cancelbot.json", &p, &rep) == CONFIG_E_READ);
    CHECK_CONTAINS(rep.items[0].text, "No such file or directory");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/policy.json", dir);
    CHECK((f = fopen(path, "w")) != NULL);
    if (!f)
        return;
    fputs("\xEF\xBB\xBF{\"approvals_required\": 2}\n", f);       /* with a byte-order mark */
    fclose(f);
    CHECK(config_load_policy_file(path, &p, &rep) == CONFIG_OK && p.approvals_required == 2);
    CHECK(config_load_policy_file(dir, &p, &rep) == CONFIG_E_READ);    /* a directory */
    unlink(path);
    rmdir(dir);
}

static void test_policy_path_precedence(void)
{
    char dir[] = "/tmp/cancelbot-cwd-XXXXXX", buf[64], old[1024];
    FILE *f;
    CHECK(getcwd(old, sizeof(old)) != NULL);
    CHECK(mkdtemp(dir) != NULL && chdir(dir) == 0);
    unsetenv("CANCELBOT_CONFIG");
    CHECK(config_policy_path(NULL, buf, sizeof(buf)) == 0);            /* built-in defaults */
    if ((f = fopen("cancelbot.json", "w")))
        fclose(f);
    CHECK(config_policy_path(NULL, buf, sizeof(buf)) == 1);
    CHECK_STR(buf, "cancelbot.json");
    setenv("CANCELBOT_CONFIG", "/etc/cancelbot/env.json", 1);
    CHECK(config_policy_path(NULL, buf, sizeof(buf)) == 1);
    CHECK_STR(buf, "/etc/cancelbot/env.json");
    CHECK(config_policy_path("cli.json", buf, sizeof(buf)) == 1);
    CHECK_STR(buf, "cli.json");
    CHECK(config_policy_path("cli.json", buf, 4) == -1);
    unsetenv("CANCELBOT_CONFIG");
    unlink("cancelbot.json");
    CHECK(chdir(old) == 0);
    rmdir(dir);
}

int main(void)
{
    RUN(test_example_file_loads_clean_and_lands_in_policy);
    RUN(test_docs_show_the_example_file_verbatim);
    RUN(test_empty_object_is_the_default_policy);
    RUN(test_absent_fields_keep_defaults);
    RUN(test_unknown_field_names_what_is_accepted);
    RUN(test_wrong_type_is_named);
    RUN(test_channel_ids_follow_the_slack_pattern);
    RUN(test_requesters_are_users_or_star_alone);
    RUN(test_exporters_default_to_approvers_and_else_are_users_only);
    RUN(test_approver_may_not_appear_twice);
    RUN(test_approvers_need_a_user_or_a_group);
    RUN(test_approvers_replace_the_defaults_as_a_whole);
    RUN(test_approvals_required_is_1_to_4);
    RUN(test_enough_approvers_for_the_approvals_needed);
    RUN(test_amount_becomes_cents);
    RUN(test_amount_refuses_what_is_not_a_plain_decimal);
    RUN(test_currency_is_three_capitals);
    RUN(test_reactions_are_bare_names_and_differ);
    RUN(test_reminders_ascend_below_a_week);
    RUN(test_over_capacity_arrays_name_the_limit);
    RUN(test_intervals_become_milliseconds_within_bounds);
    RUN(test_approval_reminder_comes_before_expiry);
    RUN(test_store_housekeeping_bounds);
    RUN(test_aws_accounts_replace_defaults_for_that_market);
    RUN(test_aws_account_names_and_regions);
    RUN(test_azure_tenants_need_guids);
    RUN(test_buyer_link_is_https_with_agreement_id);
    RUN(test_providers_select_backends);
    RUN(test_secret_key_refused_and_value_never_shown);
    RUN(test_secret_key_names_match_whatever_their_case_and_separators);
    RUN(test_secret_looking_values_and_long_strings_never_shown);
    RUN(test_syntax_error_gives_line_and_column_only);
    RUN(test_every_problem_is_reported_in_file_order);
    RUN(test_full_report_says_problems_were_left_out);
    RUN(test_report_prints_path_colon_text_lines);
    RUN(test_file_loading_and_read_errors);
    RUN(test_policy_path_precedence);
    return check_summary();
}
