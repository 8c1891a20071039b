/* bot/config_fields.c -- what each field of the policy file accepts (config.c has the
 * passes and the overlay rules). A check_ function takes its field's JSON value,
 * overlays it on c->p when it is accepted and otherwise records a problem saying what
 * is accepted there; the ACCEPT_ texts below are those sentences, written once.
 * New field? Add it to its object's table, write its check_ function, document it in
 * docs/configuration.md and set it in deploy/cancelbot.example.json. */
#include <stdio.h>
#include <string.h>
#include "bot/config_int.h"

#define HOUR_MS (3600LL * 1000)

/* What is accepted, said once and used by every message about the field. */
#define ACCEPT_CHANNEL "a Slack channel id: C, G or D then 2 to 30 of A-Z 0-9 " \
                       "(e.g. \"C0CANCELS\")"
#define ACCEPT_USER "a Slack user id: U or W then 1 to 30 of A-Z 0-9 (e.g. \"U0FIN1\")"
#define ACCEPT_REQUESTER ACCEPT_USER ", or \"*\" for everyone"
#define ACCEPT_GROUP "a Slack user group id: S then 1 to 30 of A-Z 0-9 (e.g. \"S0FINANCE\")"
#define ACCEPT_EMOJI "an emoji name without colons: 1 to 63 of a-z 0-9 _ + - " \
                     "(e.g. \"white_check_mark\")"
#define ACCEPT_AMOUNT "an amount from 0 to 999999999999.99 with at most 2 decimal places, " \
                      "as a string (\"50000\", \"1250.50\") or a number; 0: never"
#define ACCEPT_CURRENCY "a 3-letter ISO 4217 code in capitals (e.g. \"USD\")"
#define ACCEPT_ACCOUNT_NAME "a name of 1 to 31 of A-Z a-z 0-9 _ - (e.g. \"default\", \"emea\")"
#define ACCEPT_PROFILE "an AWS profile name: 1 to 63 of A-Z a-z 0-9 _ . @ + -"
#define ACCEPT_REGION "an AWS region like \"us-east-1\" or \"eu-central-1\""
#define ACCEPT_GUID "a GUID like \"00000000-0000-0000-0000-000000000000\""
#define ACCEPT_REMINDER "whole hours from 1 to 167, ascending (e.g. [24, 72, 144])"

/* ---- character classes and patterns (locale-free) ---- */

static int is_hex(char ch) { return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f'); }

/* s is first (one of `first`), then between min and max chars each passing ok(). */
int config_match(const char *s, const char *first, int (*ok)(char), size_t min, size_t max)
{
    size_t n;
    if (first) {
        if (!*s || !strchr(first, *s))
            return 0;
        s++;
    }
    for (n = 0; s[n]; n++)
        if (!ok(s[n]))
            return 0;
    return n >= min && n <= max;
}

static int emoji_char(char ch) { return is_lower(ch) || is_digit(ch) || (ch && strchr("_+-", ch)); }
static int profile_char(char ch) { return name_char(ch) || (ch && strchr(".@+", ch)); }

/* Each pattern's length limit fits the buffer the value lands in. */
_Static_assert(CHANNEL_ID_MAX >= 32 && USER_ID_MAX >= 32 && ACCOUNT_NAME_MAX >= 32,
               "ids and names are up to 31 characters");
_Static_assert(sizeof(((struct policy *)0)->react_approve) >= 64 &&
               sizeof(((struct policy_account *)0)->profile) >= 64,
               "emoji names and profiles are up to 63 characters");
static int valid_channel(const char *s) { return config_match(s, "CGD", upper_or_digit, 2, 30); }
static int valid_user(const char *s) { return config_match(s, "UW", upper_or_digit, 1, 30); }
static int valid_requester(const char *s) { return strcmp(s, "*") == 0 || valid_user(s); }
static int valid_group(const char *s) { return config_match(s, "S", upper_or_digit, 1, 30); }
static int valid_emoji(const char *s) { return config_match(s, NULL, emoji_char, 1, 63); }
static int valid_account_name(const char *s) { return config_match(s, NULL, name_char, 1, 31); }
static int valid_profile(const char *s) { return config_match(s, NULL, profile_char, 1, 63); }

static int valid_currency(const char *s)
{
    return is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]) && !s[3];
}

/* us-east-1, us-gov-west-1, ap-southeast-2: 2 letters, words, then a number. */
static int valid_region(const char *s)
{
    size_t i = 2, words = 0;
    if (strlen(s) > 31 || !is_lower(s[0]) || !is_lower(s[1]))
        return 0;
    while (s[i] == '-' && is_lower(s[i + 1])) {
        for (i++; is_lower(s[i]); i++)
            ;
        words++;
    }
    if (!words || s[i] != '-' || !is_digit(s[i + 1]))
        return 0;
    for (i++; is_digit(s[i]); i++)
        ;
    return s[i] == '\0';
}

static int valid_guid(const char *s)
{
    static const size_t group[] = {8, 4, 4, 4, 12};
    for (size_t g = 0; g < 5; g++) {
        for (size_t i = 0; i < group[g]; i++, s++)
            if (!is_hex(*s))
                return 0;
        if (*s++ != (g < 4 ? '-' : '\0'))
            return 0;
    }
    return 1;
}

/* "50000", "1250.5", "0.99": at most 12 digits, a point and at most 2 decimals. */
static int parse_amount_cents(const char *s, int64_t *out)
{
    int64_t units = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; is_digit(*s); s++, digits++) {
        if (digits == 12)
            return 0;
        units = units * 10 + (*s - '0');
    }
    if (!digits)
        return 0;
    if (*s == '.') {
        for (s++; is_digit(*s); s++, decimals++) {
            if (decimals == 2)
                return 0;
            frac = frac * 10 + (*s - '0');
        }
        if (!decimals)
            return 0;
        if (decimals == 1)
            frac *= 10;
    }
    if (*s)
        return 0;
    *out = units * 100 + frac;
    return 1;
}

/* ---- pass 2: the fields ---- */

static const struct id_list CHANNELS = {valid_channel, ACCEPT_CHANNEL, "channels",
                                        "POLICY_MAX_CHANNELS"};
static const struct id_list REQUESTERS = {valid_requester, ACCEPT_REQUESTER, "requesters",
                                          "POLICY_MAX_USERS"};
static const struct id_list APPROVERS = {valid_user, ACCEPT_USER, "approvers", "POLICY_MAX_USERS"};
static const struct id_list EXPORTERS = {valid_user, ACCEPT_USER, "exporters", "POLICY_MAX_USERS"};

static void check_channels(struct cfg *c, const char *path, json_t *v)
{
    config_read_id_list(c, path, v, &CHANNELS, &c->p->channels[0][0], CHANNEL_ID_MAX,
                        POLICY_MAX_CHANNELS, &c->p->n_channels);
}

static void check_requesters(struct cfg *c, const char *path, json_t *v)
{
    struct policy *p = c->p;
    config_read_id_list(c, path, v, &REQUESTERS, &p->requesters[0][0], USER_ID_MAX,
                        POLICY_MAX_USERS, &p->n_requesters);
    if (!json_is_array(v))
        return;
    if (json_array_size(v) == 0)
        config_problem(c, path, "empty: nobody could make a request; list users, or [\"*\"] for "
                       "everyone");
    else if (json_array_size(v) > 1 && policy_may_request(p, "*"))   /* a "*" entry */
        config_problem(c, path, "\"*\" already means everyone; list it alone, or list users only");
}

static void check_approver_users(struct cfg *c, const char *path, json_t *v)
{
    config_read_id_list(c, path, v, &APPROVERS, &c->p->approvers[0][0], USER_ID_MAX,
                        POLICY_MAX_USERS, &c->p->n_approvers);
}

static void check_approver_group(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_group, ACCEPT_GROUP, &s))
        request_copy_str(c->p->approver_group, sizeof(c->p->approver_group), s);
}

static void check_approvers(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"users", check_approver_users},
                                          {"usergroup", check_approver_group}};
    json_t *users;
    if (!config_want_object(c, path, v, "an object with \"users\" and/or \"usergroup\""))
        return;
    c->p->n_approvers = 0;              /* replaces the demo approvers as a whole */
    c->p->approver_group[0] = '\0';
    config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
    users = json_object_get(v, "users");
    if ((!users || (json_is_array(users) && json_array_size(users) == 0)) &&
        !json_object_get(v, "usergroup"))
        config_problem(c, path, "no approver: list at least one user in \"users\" or set "
                       "\"usergroup\"");
}

/* An empty list is allowed: nobody exports from Slack, the CLI still does. */
static void check_exporters(struct cfg *c, const char *path, json_t *v)
{
    config_read_id_list(c, path, v, &EXPORTERS, &c->p->exporters[0][0], USER_ID_MAX,
                        POLICY_MAX_USERS, &c->p->n_exporters);
    if (json_is_array(v))
        c->p->exporters_listed = 1;
}

static void check_approvals_required(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 1, REQUEST_MAX_APPROVALS, "a whole number from 1 to 4", &x))
        c->p->approvals_required = (int)x;
}

static void check_amount(struct cfg *c, const char *path, json_t *v)
{
    char text[64];
    const char *s = text;
    int64_t cents;
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(text, sizeof(text), "%.15g", json_real_value(v));  /* shortest usual form */
    } else {
        config_problem(c, path, "expected %s (got %s)", ACCEPT_AMOUNT, config_type_name(v));
        return;
    }
    if (!parse_amount_cents(s, &cents)) {
        config_problem(c, path, "%s is not %s", config_show(s).s, ACCEPT_AMOUNT);
        return;
    }
    c->p->second_approval_above_cents = cents;
}

static void check_currency(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_currency, ACCEPT_CURRENCY, &s))
        request_copy_str(c->p->second_approval_currency, sizeof(c->p->second_approval_currency), s);
}

static void check_second_approval(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"amount", check_amount}, {"currency", check_currency}};
    if (config_want_object(c, path, v, "an object with \"amount\" and \"currency\""))
        config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static void read_emoji(struct cfg *c, const char *path, json_t *v, char *dst, size_t len)
{
    const char *s;
    size_t n;
    if (json_is_string(v) && (n = strlen(s = json_string_value(v))) > 2 && s[0] == ':' &&
        s[n - 1] == ':') {
        char bare[64];
        if (n - 2 < sizeof(bare)) {
            memcpy(bare, s + 1, n - 2);
            bare[n - 2] = '\0';
            if (valid_emoji(bare)) {
                config_problem(c, path, "write the emoji name without colons: %s",
                               config_show(bare).s);
                return;
            }
        }
    }
    if (config_read_string(c, path, v, valid_emoji, ACCEPT_EMOJI, &s))
        request_copy_str(dst, len, s);
}

static void check_react_approve(struct cfg *c, const char *path, json_t *v)
{
    read_emoji(c, path, v, c->p->react_approve, sizeof(c->p->react_approve));
}

static void check_react_reject(struct cfg *c, const char *path, json_t *v)
{
    read_emoji(c, path, v, c->p->react_reject, sizeof(c->p->react_reject));
}

static void check_reactions(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"approve", check_react_approve},
                                          {"reject", check_react_reject}};
    if (config_want_object(c, path, v, "an object with \"approve\" and \"reject\""))
        config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static void check_reminders(struct cfg *c, const char *path, json_t *v)
{
    struct policy *p = c->p;
    char sub[PATH_LEN];
    long long x, prev = 0;
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
        config_problem(c, path, "expected an array of %s (got %s)", ACCEPT_REMINDER,
                       config_type_name(v));
        return;
    }
    if (json_array_size(v) > POLICY_MAX_REMINDERS)
        config_problem(c, path, "too many reminders: %zu; at most %d (POLICY_MAX_REMINDERS)",
                       json_array_size(v), POLICY_MAX_REMINDERS);
    p->n_reminders = 0;
    json_array_foreach(v, i, e) {
        config_path_index(sub, sizeof(sub), path, i);
        if (!config_read_int(c, sub, e, 1, 167, ACCEPT_REMINDER, &x))
            continue;
        if (x <= prev) {
            config_problem(c, sub, "%lld is not after the previous reminder (%lld); expected %s",
                           x, prev, ACCEPT_REMINDER);
            continue;
        }
        prev = x;
        if (p->n_reminders < POLICY_MAX_REMINDERS)
            p->reminders_hours[p->n_reminders++] = (int)x;
    }
}

static void check_poll_interval(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 10, 86400, "whole seconds from 10 to 86400 (one day)", &x))
        c->p->poll_interval_ms = x * 1000;
}

static void check_expiry(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 0, 2160, "0 (never) or whole hours from 1 to 2160 (90 days)",
                        &x))
        c->p->approval_expiry_ms = x * HOUR_MS;
}

static void check_approval_reminder(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 0, 168, "0 (never) or whole hours from 1 to 168", &x))
        c->p->approval_reminder_ms = x * HOUR_MS;
}

/* A draft whose preview Slack never showed waits in App Home and /cancel list mine;
 * less than 5 minutes would discard it before most people look. */
static void check_draft_expiry(struct cfg *c, const char *path, json_t *v)
{
    static const char accepted[] = "0 (never) or whole minutes from 5 to 10080 (a week)";
    long long x;
    if (!config_read_int(c, path, v, 0, 10080, accepted, &x))
        return;
    if (x > 0 && x < 5)
        config_problem(c, path, "%lld is out of range; expected %s", x, accepted);
    else
        c->p->draft_expiry_ms = x * 60 * 1000;
}

/* Slack redelivers for about 5 minutes; a shorter memory would act twice. */
static void check_dedup_ttl(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 10, 10080, "whole minutes from 10 to 10080 (a week)", &x))
        c->p->dedup_ttl_ms = x * 60 * 1000;
}

static void check_done_retention(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (config_read_int(c, path, v, 1, 3650, "whole days from 1 to 3650", &x))
        c->p->done_retention_ms = x * 24 * HOUR_MS;
}

/* -- accounts and tenants -- */

static void check_profile(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_profile, ACCEPT_PROFILE, &s))
        request_copy_str(c->acct->profile, sizeof(c->acct->profile), s);
}

static void check_region(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_region, ACCEPT_REGION, &s))
        request_copy_str(c->acct->region, sizeof(c->acct->region), s);
}

static void check_tenant_id(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_guid, ACCEPT_GUID, &s))
        request_copy_str(c->acct->tenant_id, sizeof(c->acct->tenant_id), s);
}

static void check_client_id(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, valid_guid, ACCEPT_GUID, &s))
        request_copy_str(c->acct->client_id, sizeof(c->acct->client_id), s);
}

static void drop_accounts(struct policy *p, enum request_market m)
{
    int kept = 0;
    for (int i = 0; i < p->n_accounts; i++)
        if (p->accounts[i].market != m)
            p->accounts[kept++] = p->accounts[i];
    p->n_accounts = kept;
}

struct market_rules {
    enum request_market market;
    const char *what;                   /* "account" */
    const char *want_map;               /* what the whole object must be */
    const char *want_entry;             /* what each entry must be */
    const struct field *fields;
    size_t n_fields;
};

static const struct field AWS_ACCOUNT_FIELDS[] = {{"profile", check_profile},
                                                  {"region", check_region}};
static const struct field AZURE_TENANT_FIELDS[] = {{"tenant_id", check_tenant_id},
                                                   {"client_id", check_client_id}};

static const struct market_rules AWS_ACCOUNTS = {
    MARKET_AWS, "account",
    "an object of accounts by name, e.g. {\"default\": {\"profile\": \"seller\", "
    "\"region\": \"us-east-1\"}}",
    "an object with \"profile\" and \"region\"",
    AWS_ACCOUNT_FIELDS, sizeof(AWS_ACCOUNT_FIELDS) / sizeof(AWS_ACCOUNT_FIELDS[0])};

static const struct market_rules AZURE_TENANTS = {
    MARKET_AZURE, "tenant",
    "an object of tenants by name, e.g. {\"default\": {\"tenant_id\": \"<GUID>\", "
    "\"client_id\": \"<GUID>\"}}",
    "an object with \"tenant_id\" and \"client_id\"",
    AZURE_TENANT_FIELDS, sizeof(AZURE_TENANT_FIELDS) / sizeof(AZURE_TENANT_FIELDS[0])};

/* The file's accounts of one market replace the default ones for that market. */
static void read_accounts(struct cfg *c, const char *path, json_t *v, const struct market_rules *m)
{
    char sub[PATH_LEN];
    const char *name;
    json_t *e;
    if (!config_want_object(c, path, v, m->want_map))
        return;
    drop_accounts(c->p, m->market);
    if (json_object_size(v) == 0)
        config_problem(c, path, "empty: name at least one %s, or leave the field out for the "
                       "default", m->what);
    json_object_foreach(v, name, e) {
        struct policy_account *a;
        config_path_key(sub, sizeof(sub), path, name);
        if (config_secret_key(name))
            continue;
        if (!valid_account_name(name)) {
            config_problem(c, sub, "%s name must be %s", m->what, ACCEPT_ACCOUNT_NAME);
            continue;
        }
        if (!config_want_object(c, sub, e, m->want_entry))
            continue;
        if (c->p->n_accounts >= POLICY_MAX_ACCOUNTS) {
            config_problem(c, sub, "too many accounts: at most %d AWS accounts and Azure tenants "
                           "together (POLICY_MAX_ACCOUNTS)", POLICY_MAX_ACCOUNTS);
            continue;
        }
        a = &c->p->accounts[c->p->n_accounts++];
        memset(a, 0, sizeof(*a));
        request_copy_str(a->name, sizeof(a->name), name);
        a->market = m->market;
        if (m->market == MARKET_AWS)
            request_copy_str(a->region, sizeof(a->region), "us-east-1");
        c->acct = a;
        config_check_object(c, sub, e, m->fields, m->n_fields);
        c->acct = NULL;
        if (m->market == MARKET_AZURE && !json_object_get(e, "tenant_id"))
            config_problem(c, sub, "\"tenant_id\" is required: %s", ACCEPT_GUID);
        if (m->market == MARKET_AZURE && !json_object_get(e, "client_id"))
            config_problem(c, sub, "\"client_id\" is required: %s", ACCEPT_GUID);
    }
}

static void check_aws_accounts(struct cfg *c, const char *path, json_t *v)
{
    read_accounts(c, path, v, &AWS_ACCOUNTS);
}

static void check_azure_tenants(struct cfg *c, const char *path, json_t *v)
{
    read_accounts(c, path, v, &AZURE_TENANTS);
}

/* https://..., with {agreement_id} and no placeholder but {agreement_id} {request_id}. */
static void check_buyer_link(struct cfg *c, const char *path, json_t *v)
{
    static const char accepted[] = "an https:// URL containing {agreement_id} (and optionally "
                                   "{request_id}), under 512 characters";
    const char *s, *q;
    int ok = 1;
    if (!json_is_string(v)) {
        config_problem(c, path, "expected %s (got %s)", accepted, config_type_name(v));
        return;
    }
    s = json_string_value(v);
    if (strlen(s) >= sizeof(c->p->aws_buyer_link) || strncmp(s, "https://", 8) != 0 ||
        !strstr(s, "{agreement_id}")) {
        config_problem(c, path, "expected %s", accepted);
        return;
    }
    for (q = s; *q && ok; q++) {
        if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
            config_problem(c, path, "contains a space or control character; expected %s", accepted);
            ok = 0;
        } else if (*q == '{' && strncmp(q, "{agreement_id}", 14) != 0 &&
                   strncmp(q, "{request_id}", 12) != 0) {
            config_problem(c, path, "unknown placeholder; accepted: {agreement_id}, {request_id}");
            ok = 0;
        }
    }
    if (ok)
        request_copy_str(c->p->aws_buyer_link, sizeof(c->p->aws_buyer_link), s);
}

/* Status changes as EventBridge events in an SQS queue: the queue's URL. Plain http
 * only to this machine (a local fake in tests). */
static void check_events_queue(struct cfg *c, const char *path, json_t *v)
{
    static const char accepted[] = "the SQS queue URL, https://sqs.<region>.amazonaws.com/"
                                   "<account>/<queue>, under 512 characters";
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= sizeof(c->p->aws_events_queue_url) || strchr(s, ' ') ||
        (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://127.0.0.1", 16) != 0)) {
        config_problem(c, path, "expected %s", accepted);
        return;
    }
    request_copy_str(c->p->aws_events_queue_url, sizeof(c->p->aws_events_queue_url), s);
}

static void check_aws(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"accounts", check_aws_accounts},
                                          {"buyer_link", check_buyer_link},
                                          {"events_queue_url", check_events_queue}};
    if (config_want_object(c, path, v, "an object with \"accounts\", \"buyer_link\" and "
                           "\"events_queue_url\""))
        config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static void check_azure(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"tenants", check_azure_tenants}};
    if (config_want_object(c, path, v, "an object with \"tenants\""))
        config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static int aws_backend(const char *s) { return !strcmp(s, "sim") || !strcmp(s, "aws"); }
static int azure_backend(const char *s) { return !strcmp(s, "sim") || !strcmp(s, "azure"); }

static void check_provider_aws(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, aws_backend, "\"sim\" (simulated) or \"aws\"", &s))
        request_copy_str(c->p->provider_aws, sizeof(c->p->provider_aws), s);
}

static void check_provider_azure(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (config_read_string(c, path, v, azure_backend, "\"sim\" (simulated) or \"azure\"", &s))
        request_copy_str(c->p->provider_azure, sizeof(c->p->provider_azure), s);
}

static void check_providers(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"aws", check_provider_aws},
                                          {"azure", check_provider_azure}};
    if (config_want_object(c, path, v, "an object with \"aws\" and \"azure\""))
        config_check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

const struct field config_top_fields[] = {
    {"channels", check_channels},
    {"requesters", check_requesters},
    {"approvers", check_approvers},
    {"exporters", check_exporters},
    {"approvals_required", check_approvals_required},
    {"second_approval_above", check_second_approval},
    {"reactions", check_reactions},
    {"reminders_hours", check_reminders},
    {"poll_interval_seconds", check_poll_interval},
    {"approval_expiry_hours", check_expiry},
    {"approval_reminder_hours", check_approval_reminder},
    {"draft_expiry_minutes", check_draft_expiry},
    {"dedup_ttl_minutes", check_dedup_ttl},
    {"done_effects_retention_days", check_done_retention},
    {"aws", check_aws},
    {"azure", check_azure},
    {"providers", check_providers},
};
const size_t config_n_top_fields = sizeof(config_top_fields) / sizeof(config_top_fields[0]);

/* Rules across fields, judged on the overlaid result. */
void config_check_whole(struct cfg *c)
{
    const struct policy *p = c->p;
    int needed = p->approvals_required;
    if (p->second_approval_above_cents > 0 && needed < 2)
        needed = 2;
    if (strcmp(p->react_approve, p->react_reject) == 0)
        config_problem(c, "$.reactions", "\"approve\" and \"reject\" must be different emoji");
    if (!p->approver_group[0] && p->n_approvers > 0 && p->n_approvers < needed)
        config_problem(c, "$.approvers.users",
                       "%d approvals can be needed (approvals_required, or 2 above "
                       "second_approval_above) but only %d approver%s listed and no usergroup; add "
                       "approvers or a usergroup", needed, p->n_approvers,
                       p->n_approvers == 1 ? " is" : "s are");
    if (p->approval_expiry_ms > 0 && p->approval_reminder_ms >= p->approval_expiry_ms)
        config_problem(c, "$.approval_reminder_hours",
                       "must be less than approval_expiry_hours (%lld), or 0 for no reminder",
                       (long long)(p->approval_expiry_ms / HOUR_MS));
}
