/* bot/config.c -- the policy file: JSON text -> struct policy, every problem reported
 * by JSON path with what is accepted there. Two passes over the parsed document:
 *   1. scan_secrets walks all of it and refuses secret-looking keys and values,
 *      once each, never echoing them;
 *   2. the field tables check each known field, overlay it on policy_init_default
 *      and refuse unknown ones; check_whole then checks rules that span fields
 *      (enough approvers for the approvals needed, reactions differ, ...).
 * Overlay: a field left out keeps its default; a list given replaces the default
 * list; "approvers", "aws.accounts" and "azure.tenants" replace their defaults as a
 * whole; the other objects overlay field by field. The result is built in a local
 * policy and copied out only when clean.
 * Values reach problem text only through show(): short, printable, not secret-like.
 * New field? Add it to its object's table, write its check_ function, document it in
 * docs/configuration.md and set it in deploy/cancelbot.example.json. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "bot/config.h"

#define HOUR_MS (3600LL * 1000)
#define PATH_LEN sizeof(((struct config_problem *)0)->path)
#define SHOW_MAX 64                     /* longer strings are never echoed */
#define SCAN_DEPTH_MAX 32

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
#define SECRET_PREFIX "secrets are not allowed in the config file; "
#define SECRET_AZURE SECRET_PREFIX "set AZURE_CLIENT_SECRET (or a *_FILE variable) " \
                     "in the environment"
#define SECRET_AWS SECRET_PREFIX "give AWS credentials through the environment " \
                   "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the account's profile"
#define SECRET_SLACK SECRET_PREFIX "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN " \
                     "(or a *_FILE variable) in the environment"

struct cfg {
    struct policy *p;
    struct config_report *r;
    struct policy_account *acct;        /* the account whose fields are being read */
};

struct field {
    const char *key;
    void (*check)(struct cfg *c, const char *path, json_t *v);
};

struct shown {
    char s[2 * SHOW_MAX + 3];           /* quoted, each byte at most escaped */
};

static void problem(struct cfg *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct cfg *c, const char *path, const char *fmt, ...)
{
    struct config_report *r = c->r;
    struct config_problem *it;
    va_list ap;
    if (r->n >= CONFIG_MAX_PROBLEMS)
        return;
    it = &r->items[r->n++];
    if (r->n == CONFIG_MAX_PROBLEMS) {  /* the last slot says the list is cut short */
        request_copy_str(it->path, sizeof(it->path), "$");
        request_copy_str(it->text, sizeof(it->text),
                         "too many problems; fix these and run check-config again");
        return;
    }
    request_copy_str(it->path, sizeof(it->path), path);
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof(it->text), fmt, ap);
    va_end(ap);
}

/* ---- character classes and patterns (locale-free) ---- */

static int is_upper(char ch) { return ch >= 'A' && ch <= 'Z'; }
static int is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }
static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int is_hex(char ch) { return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f'); }

/* s is first (one of `first`), then between min and max chars each passing ok(). */
static int match(const char *s, const char *first, int (*ok)(char), size_t min, size_t max)
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

static int upper_or_digit(char ch) { return is_upper(ch) || is_digit(ch); }
static int emoji_char(char ch) { return is_lower(ch) || is_digit(ch) || (ch && strchr("_+-", ch)); }
static int name_char(char ch)
{
    return upper_or_digit(ch) || is_lower(ch) || ch == '_' || ch == '-';
}
static int profile_char(char ch) { return name_char(ch) || (ch && strchr(".@+", ch)); }

/* Each pattern's length limit fits the buffer the value lands in. */
_Static_assert(CHANNEL_ID_MAX >= 32 && USER_ID_MAX >= 32 && ACCOUNT_NAME_MAX >= 32,
               "ids and names are up to 31 characters");
_Static_assert(sizeof(((struct policy *)0)->react_approve) >= 64 &&
               sizeof(((struct policy_account *)0)->profile) >= 64,
               "emoji names and profiles are up to 63 characters");
static int valid_channel(const char *s) { return match(s, "CGD", upper_or_digit, 2, 30); }
static int valid_user(const char *s) { return match(s, "UW", upper_or_digit, 1, 30); }
static int valid_requester(const char *s) { return strcmp(s, "*") == 0 || valid_user(s); }
static int valid_group(const char *s) { return match(s, "S", upper_or_digit, 1, 30); }
static int valid_emoji(const char *s) { return match(s, NULL, emoji_char, 1, 63); }
static int valid_account_name(const char *s) { return match(s, NULL, name_char, 1, 31); }
static int valid_profile(const char *s) { return match(s, NULL, profile_char, 1, 63); }

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

/* ---- secrets ---- */

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && (is_upper(hay[i]) ? hay[i] | 0x20 : hay[i]) == needle[i])
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* A key that names a credential. Needles are lower case; the match ignores case. */
static int secret_key(const char *key)
{
    static const char *const needles[] = {"secret", "token", "password", "passwd", "access_key",
                                          "accesskey", "private_key", "privatekey", "api_key",
                                          "apikey", "credential"};
    for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
        if (contains_ci(key, needles[i]))
            return 1;
    return 0;
}

static int aws_key_id(const char *s)
{
    return (strncmp(s, "AKIA", 4) == 0 || strncmp(s, "ASIA", 4) == 0) &&
           match(s + 4, NULL, upper_or_digit, 16, 16);
}

/* A value that is a credential whatever its key: Slack tokens, AWS key ids, PEM keys. */
static int secret_value(const char *s)
{
    return strncmp(s, "xox", 3) == 0 || strncmp(s, "xapp-", 5) == 0 || aws_key_id(s) ||
           strstr(s, "-----BEGIN") != NULL;
}

static const char *secret_text(const char *path, const char *key, const char *value)
{
    if ((value && (strncmp(value, "xox", 3) == 0 || strncmp(value, "xapp-", 5) == 0)) ||
        (key && contains_ci(key, "slack")))
        return SECRET_SLACK;
    if ((value && aws_key_id(value)) || (key && (contains_ci(key, "access_key") ||
                                                 contains_ci(key, "aws"))) ||
        strncmp(path, "$.aws", 5) == 0)
        return SECRET_AWS;
    return SECRET_AZURE;
}

/* ---- echoing values and naming paths ---- */

static void quote_into(char *dst, const char *s, size_t max)
{
    size_t o = 0;
    dst[o++] = '"';
    for (size_t i = 0; s[i] && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            dst[o++] = '\\';
        dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    dst[o++] = '"';
    dst[o] = '\0';
}

/* The value as problem text may show it: quoted when short and not secret-like. */
static struct shown show(const char *s)
{
    struct shown out;
    size_t n = strlen(s);
    if (secret_value(s))
        snprintf(out.s, sizeof(out.s), "(value not shown)");
    else if (n > SHOW_MAX)
        snprintf(out.s, sizeof(out.s), "(a %zu-character string)", n);
    else
        quote_into(out.s, s, SHOW_MAX);
    return out;
}

static void path_done(char *dst, size_t n, int written)
{
    if (written >= (int)n && n > 4)
        memcpy(dst + n - 4, "...", 4);
}

static void path_key(char *dst, size_t n, const char *parent, const char *key)
{
    struct shown q;
    size_t len = strlen(key);
    if (len && len <= SHOW_MAX && match(key, NULL, name_char, 1, SHOW_MAX)) {
        path_done(dst, n, snprintf(dst, n, "%s.%s", parent, key));
        return;
    }
    quote_into(q.s, key, 32);
    path_done(dst, n, snprintf(dst, n, "%s[%s%s]", parent, q.s, len > 32 ? "..." : ""));
}

static void path_index(char *dst, size_t n, const char *parent, size_t i)
{
    path_done(dst, n, snprintf(dst, n, "%s[%zu]", parent, i));
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "an object";
    case JSON_ARRAY:   return "an array";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL:    return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:   return "a boolean";
    case JSON_NULL:    return "null";
    }
    return "an unknown JSON type";
}

/* ---- pass 1: secrets anywhere ---- */

static void scan_secrets(struct cfg *c, const char *path, json_t *v, int depth)
{
    char sub[PATH_LEN];
    const char *key;
    json_t *e;
    size_t i;
    if (depth > SCAN_DEPTH_MAX)
        return;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach(v, key, e) {
            path_key(sub, sizeof(sub), path, key);
            if (secret_key(key))
                problem(c, sub, "%s", secret_text(sub, key, NULL));
            else
                scan_secrets(c, sub, e, depth + 1);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(v, i, e) {
            path_index(sub, sizeof(sub), path, i);
            scan_secrets(c, sub, e, depth + 1);
        }
        break;
    case JSON_STRING:
        if (secret_value(json_string_value(v)))
            problem(c, path, "this value looks like a token or key; %s",
                    secret_text(path, NULL, json_string_value(v)));
        break;
    case JSON_INTEGER: case JSON_REAL: case JSON_TRUE: case JSON_FALSE: case JSON_NULL:
        break;
    }
}

/* ---- pass 2: helpers for the field checks ---- */

/* Checks obj's members against a table; unknown members are problems. Secret-looking
 * keys were reported by scan_secrets and are skipped here. */
static void check_object(struct cfg *c, const char *path, json_t *obj, const struct field *f,
                         size_t nf)
{
    char sub[PATH_LEN], accepted[256] = "";
    const char *key;
    json_t *v;
    for (size_t i = 0; i < nf; i++) {
        size_t used = strlen(accepted);
        snprintf(accepted + used, sizeof(accepted) - used, "%s%s", i ? ", " : "", f[i].key);
    }
    json_object_foreach(obj, key, v) {
        size_t i;
        path_key(sub, sizeof(sub), path, key);
        if (secret_key(key))
            continue;
        for (i = 0; i < nf && strcmp(f[i].key, key) != 0; i++)
            ;
        if (i < nf)
            f[i].check(c, sub, v);
        else
            problem(c, sub, "unknown field; accepted: %s", accepted);
    }
}

static int want_object(struct cfg *c, const char *path, json_t *v, const char *what)
{
    if (json_is_object(v))
        return 1;
    problem(c, path, "expected %s (got %s)", what, type_name(v));
    return 0;
}

/* A string field: 1 and *out when it is a string that passes valid(). */
static int read_string(struct cfg *c, const char *path, json_t *v, int (*valid)(const char *),
                       const char *accepted, const char **out)
{
    const char *s;
    if (!json_is_string(v)) {
        problem(c, path, "expected %s (got %s)", accepted, type_name(v));
        return 0;
    }
    s = json_string_value(v);
    if (!valid(s)) {
        problem(c, path, "%s is not %s", show(s).s, accepted);
        return 0;
    }
    *out = s;
    return 1;
}

static int read_int(struct cfg *c, const char *path, json_t *v, long long lo, long long hi,
                    const char *accepted, long long *out)
{
    long long x;
    if (!json_is_integer(v)) {
        problem(c, path, "expected %s (got %s)", accepted, type_name(v));
        return 0;
    }
    x = (long long)json_integer_value(v);
    if (x < lo || x > hi) {
        problem(c, path, "%lld is out of range; expected %s", x, accepted);
        return 0;
    }
    *out = x;
    return 1;
}

struct id_list {
    int (*valid)(const char *s);
    const char *accepted;
    const char *noun;                   /* "channels" */
    const char *limit;                  /* "POLICY_MAX_CHANNELS" */
};

/* Replaces the list at dst (cap entries of width bytes) with the array v. */
static void read_id_list(struct cfg *c, const char *path, json_t *v, const struct id_list *l,
                         char *dst, size_t width, int cap, int *n_out)
{
    char sub[PATH_LEN];
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
        problem(c, path, "expected an array of strings, each %s (got %s)", l->accepted,
                type_name(v));
        return;
    }
    if (json_array_size(v) > (size_t)cap)
        problem(c, path, "too many %s: %zu; at most %d (%s)", l->noun, json_array_size(v), cap,
                l->limit);
    *n_out = 0;
    json_array_foreach(v, i, e) {
        const char *s;
        int dup = 0;
        path_index(sub, sizeof(sub), path, i);
        if (!read_string(c, sub, e, l->valid, l->accepted, &s))
            continue;
        for (int j = 0; j < *n_out && !dup; j++)
            dup = strcmp(dst + (size_t)j * width, s) == 0;
        if (dup)
            problem(c, sub, "%s is listed twice; list each once", show(s).s);
        else if (*n_out < cap)
            request_copy_str(dst + (size_t)(*n_out)++ * width, width, s);
    }
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

static void check_channels(struct cfg *c, const char *path, json_t *v)
{
    read_id_list(c, path, v, &CHANNELS, &c->p->channels[0][0], CHANNEL_ID_MAX,
                 POLICY_MAX_CHANNELS, &c->p->n_channels);
}

static void check_requesters(struct cfg *c, const char *path, json_t *v)
{
    struct policy *p = c->p;
    read_id_list(c, path, v, &REQUESTERS, &p->requesters[0][0], USER_ID_MAX, POLICY_MAX_USERS,
                 &p->n_requesters);
    if (!json_is_array(v))
        return;
    if (json_array_size(v) == 0)
        problem(c, path, "empty: nobody could make a request; list users, or [\"*\"] for everyone");
    else if (json_array_size(v) > 1 && policy_may_request(p, "*"))   /* a "*" entry */
        problem(c, path, "\"*\" already means everyone; list it alone, or list users only");
}

static void check_approver_users(struct cfg *c, const char *path, json_t *v)
{
    read_id_list(c, path, v, &APPROVERS, &c->p->approvers[0][0], USER_ID_MAX, POLICY_MAX_USERS,
                 &c->p->n_approvers);
}

static void check_approver_group(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_group, ACCEPT_GROUP, &s))
        request_copy_str(c->p->approver_group, sizeof(c->p->approver_group), s);
}

static void check_approvers(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"users", check_approver_users},
                                          {"usergroup", check_approver_group}};
    json_t *users;
    if (!want_object(c, path, v, "an object with \"users\" and/or \"usergroup\""))
        return;
    c->p->n_approvers = 0;              /* replaces the demo approvers as a whole */
    c->p->approver_group[0] = '\0';
    check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
    users = json_object_get(v, "users");
    if ((!users || (json_is_array(users) && json_array_size(users) == 0)) &&
        !json_object_get(v, "usergroup"))
        problem(c, path, "no approver: list at least one user in \"users\" or set \"usergroup\"");
}

static void check_approvals_required(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (read_int(c, path, v, 1, REQUEST_MAX_APPROVALS, "a whole number from 1 to 4", &x))
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
        problem(c, path, "expected %s (got %s)", ACCEPT_AMOUNT, type_name(v));
        return;
    }
    if (!parse_amount_cents(s, &cents)) {
        problem(c, path, "%s is not %s", show(s).s, ACCEPT_AMOUNT);
        return;
    }
    c->p->second_approval_above_cents = cents;
}

static void check_currency(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_currency, ACCEPT_CURRENCY, &s))
        request_copy_str(c->p->second_approval_currency, sizeof(c->p->second_approval_currency), s);
}

static void check_second_approval(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"amount", check_amount}, {"currency", check_currency}};
    if (want_object(c, path, v, "an object with \"amount\" and \"currency\""))
        check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
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
                problem(c, path, "write the emoji name without colons: %s", show(bare).s);
                return;
            }
        }
    }
    if (read_string(c, path, v, valid_emoji, ACCEPT_EMOJI, &s))
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
    if (want_object(c, path, v, "an object with \"approve\" and \"reject\""))
        check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static void check_reminders(struct cfg *c, const char *path, json_t *v)
{
    struct policy *p = c->p;
    char sub[PATH_LEN];
    long long x, prev = 0;
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
        problem(c, path, "expected an array of %s (got %s)", ACCEPT_REMINDER, type_name(v));
        return;
    }
    if (json_array_size(v) > POLICY_MAX_REMINDERS)
        problem(c, path, "too many reminders: %zu; at most %d (POLICY_MAX_REMINDERS)",
                json_array_size(v), POLICY_MAX_REMINDERS);
    p->n_reminders = 0;
    json_array_foreach(v, i, e) {
        path_index(sub, sizeof(sub), path, i);
        if (!read_int(c, sub, e, 1, 167, ACCEPT_REMINDER, &x))
            continue;
        if (x <= prev) {
            problem(c, sub, "%lld is not after the previous reminder (%lld); expected %s", x, prev,
                    ACCEPT_REMINDER);
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
    if (read_int(c, path, v, 10, 86400, "whole seconds from 10 to 86400 (one day)", &x))
        c->p->poll_interval_ms = x * 1000;
}

static void check_expiry(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (read_int(c, path, v, 0, 2160, "0 (never) or whole hours from 1 to 2160 (90 days)", &x))
        c->p->approval_expiry_ms = x * HOUR_MS;
}

static void check_approval_reminder(struct cfg *c, const char *path, json_t *v)
{
    long long x;
    if (read_int(c, path, v, 0, 168, "0 (never) or whole hours from 1 to 168", &x))
        c->p->approval_reminder_ms = x * HOUR_MS;
}

/* -- accounts and tenants -- */

static void check_profile(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_profile, ACCEPT_PROFILE, &s))
        request_copy_str(c->acct->profile, sizeof(c->acct->profile), s);
}

static void check_region(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_region, ACCEPT_REGION, &s))
        request_copy_str(c->acct->region, sizeof(c->acct->region), s);
}

static void check_tenant_id(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_guid, ACCEPT_GUID, &s))
        request_copy_str(c->acct->tenant_id, sizeof(c->acct->tenant_id), s);
}

static void check_client_id(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, valid_guid, ACCEPT_GUID, &s))
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
    if (!want_object(c, path, v, m->want_map))
        return;
    drop_accounts(c->p, m->market);
    if (json_object_size(v) == 0)
        problem(c, path, "empty: name at least one %s, or leave the field out for the default",
                m->what);
    json_object_foreach(v, name, e) {
        struct policy_account *a;
        path_key(sub, sizeof(sub), path, name);
        if (secret_key(name))
            continue;
        if (!valid_account_name(name)) {
            problem(c, sub, "%s name must be %s", m->what, ACCEPT_ACCOUNT_NAME);
            continue;
        }
        if (!want_object(c, sub, e, m->want_entry))
            continue;
        if (c->p->n_accounts >= POLICY_MAX_ACCOUNTS) {
            problem(c, sub, "too many accounts: at most %d AWS accounts and Azure tenants "
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
        check_object(c, sub, e, m->fields, m->n_fields);
        c->acct = NULL;
        if (m->market == MARKET_AZURE && !json_object_get(e, "tenant_id"))
            problem(c, sub, "\"tenant_id\" is required: %s", ACCEPT_GUID);
        if (m->market == MARKET_AZURE && !json_object_get(e, "client_id"))
            problem(c, sub, "\"client_id\" is required: %s", ACCEPT_GUID);
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
        problem(c, path, "expected %s (got %s)", accepted, type_name(v));
        return;
    }
    s = json_string_value(v);
    if (strlen(s) >= sizeof(c->p->aws_buyer_link) || strncmp(s, "https://", 8) != 0 ||
        !strstr(s, "{agreement_id}")) {
        problem(c, path, "expected %s", accepted);
        return;
    }
    for (q = s; *q && ok; q++) {
        if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
            problem(c, path, "contains a space or control character; expected %s", accepted);
            ok = 0;
        } else if (*q == '{' && strncmp(q, "{agreement_id}", 14) != 0 &&
                   strncmp(q, "{request_id}", 12) != 0) {
            problem(c, path, "unknown placeholder; accepted: {agreement_id}, {request_id}");
            ok = 0;
        }
    }
    if (ok)
        request_copy_str(c->p->aws_buyer_link, sizeof(c->p->aws_buyer_link), s);
}

static void check_aws(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"accounts", check_aws_accounts},
                                          {"buyer_link", check_buyer_link}};
    if (want_object(c, path, v, "an object with \"accounts\" and \"buyer_link\""))
        check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static void check_azure(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"tenants", check_azure_tenants}};
    if (want_object(c, path, v, "an object with \"tenants\""))
        check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static int aws_backend(const char *s) { return !strcmp(s, "sim") || !strcmp(s, "aws"); }
static int azure_backend(const char *s) { return !strcmp(s, "sim") || !strcmp(s, "azure"); }

static void check_provider_aws(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, aws_backend, "\"sim\" (simulated) or \"aws\"", &s))
        request_copy_str(c->p->provider_aws, sizeof(c->p->provider_aws), s);
}

static void check_provider_azure(struct cfg *c, const char *path, json_t *v)
{
    const char *s;
    if (read_string(c, path, v, azure_backend, "\"sim\" (simulated) or \"azure\"", &s))
        request_copy_str(c->p->provider_azure, sizeof(c->p->provider_azure), s);
}

static void check_providers(struct cfg *c, const char *path, json_t *v)
{
    static const struct field fields[] = {{"aws", check_provider_aws},
                                          {"azure", check_provider_azure}};
    if (want_object(c, path, v, "an object with \"aws\" and \"azure\""))
        check_object(c, path, v, fields, sizeof(fields) / sizeof(fields[0]));
}

static const struct field top_fields[] = {
    {"channels", check_channels},
    {"requesters", check_requesters},
    {"approvers", check_approvers},
    {"approvals_required", check_approvals_required},
    {"second_approval_above", check_second_approval},
    {"reactions", check_reactions},
    {"reminders_hours", check_reminders},
    {"poll_interval_seconds", check_poll_interval},
    {"approval_expiry_hours", check_expiry},
    {"approval_reminder_hours", check_approval_reminder},
    {"aws", check_aws},
    {"azure", check_azure},
    {"providers", check_providers},
};

/* Rules across fields, judged on the overlaid result. */
static void check_whole(struct cfg *c)
{
    const struct policy *p = c->p;
    int needed = p->approvals_required;
    if (p->second_approval_above_cents > 0 && needed < 2)
        needed = 2;
    if (strcmp(p->react_approve, p->react_reject) == 0)
        problem(c, "$.reactions", "\"approve\" and \"reject\" must be different emoji");
    if (!p->approver_group[0] && p->n_approvers > 0 && p->n_approvers < needed)
        problem(c, "$.approvers.users",
                "%d approvals can be needed (approvals_required, or 2 above "
                "second_approval_above) but only %d approver%s listed and no usergroup; add "
                "approvers or a usergroup", needed, p->n_approvers,
                p->n_approvers == 1 ? " is" : "s are");
    if (p->approval_expiry_ms > 0 && p->approval_reminder_ms >= p->approval_expiry_ms)
        problem(c, "$.approval_reminder_hours",
                "must be less than approval_expiry_hours (%lld), or 0 for no reminder",
                (long long)(p->approval_expiry_ms / HOUR_MS));
}

/* jansson's text may end in " near '<token>'", and the token can be a secret. */
static void syntax_problem(struct cfg *c, const json_error_t *err)
{
    char text[sizeof(err->text)];
    char *near;
    request_copy_str(text, sizeof(text), err->text);
    if ((near = strstr(text, " near ")))
        *near = '\0';
    problem(c, "$", "invalid JSON at line %d, column %d: %s", err->line, err->column, text);
}

static int load_buffer(const char *buf, size_t len, struct policy *out,
                       struct config_report *report)
{
    struct policy pol;
    struct cfg c = {&pol, report, NULL};
    json_error_t err;
    json_t *root;
    policy_init_default(&pol);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {     /* UTF-8 byte-order mark */
        buf += 3;
        len -= 3;
    }
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        syntax_problem(&c, &err);
        return CONFIG_E_SYNTAX;
    }
    scan_secrets(&c, "$", root, 0);
    if (want_object(&c, "$", root, "an object with the policy fields")) {
        check_object(&c, "$", root, top_fields, sizeof(top_fields) / sizeof(top_fields[0]));
        check_whole(&c);
    }
    json_decref(root);
    if (report->n)
        return CONFIG_E_INVALID;
    *out = pol;
    return CONFIG_OK;
}

int config_load_policy_text(const char *json_text, struct policy *out,
                            struct config_report *report)
{
    struct config_report scratch;
    if (!report)
        report = &scratch;
    report->n = 0;
    if (!json_text) {
        struct cfg c = {NULL, report, NULL};
        problem(&c, "$", "no policy text");
        return CONFIG_E_READ;
    }
    return load_buffer(json_text, strlen(json_text), out, report);
}

int config_load_policy_file(const char *path, struct policy *out, struct config_report *report)
{
    struct config_report scratch;
    struct cfg c;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int rc = CONFIG_E_READ;
    if (!report)
        report = &scratch;
    report->n = 0;
    c = (struct cfg){NULL, report, NULL};
    if (!path) {
        problem(&c, "$", "no policy file named");
        goto out;
    }
    if (!(f = fopen(path, "rb"))) {
        problem(&c, "$", "cannot open %.160s: %s", path, strerror(errno));
        goto out;
    }
    if (!(buf = malloc(CONFIG_FILE_MAX + 1))) {
        problem(&c, "$", "out of memory reading the policy file");
        goto out;
    }
    len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
    if (ferror(f)) {
        problem(&c, "$", "cannot read %.160s: %s", path, strerror(errno));
        goto out;
    }
    if (len > CONFIG_FILE_MAX) {
        problem(&c, "$", "the file is larger than %d bytes; a policy file is a few KiB",
                CONFIG_FILE_MAX);
        goto out;
    }
    rc = load_buffer(buf, len, out, report);
out:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

void config_report_print(const struct config_report *r, FILE *out)
{
    for (int i = 0; i < r->n; i++)
        fprintf(out, "%s: %s\n", r->items[i].path, r->items[i].text);
}

const char *config_rc_text(enum config_rc rc)
{
    switch (rc) {
    case CONFIG_OK:        return "The policy file is valid.";
    case CONFIG_E_READ:    return "The policy file could not be read.";
    case CONFIG_E_SYNTAX:  return "The policy file is not valid JSON.";
    case CONFIG_E_INVALID: return "The policy file has problems; each is listed with its path.";
    }
    return "Unexpected configuration error.";
}

int config_policy_path(const char *cli_arg, char *buf, size_t buflen)
{
    const char *env = getenv("CANCELBOT_CONFIG");
    const char *chosen = NULL;
    if (cli_arg && *cli_arg)
        chosen = cli_arg;
    else if (env && *env)
        chosen = env;
    else if (access("cancelbot.json", F_OK) == 0)
        chosen = "cancelbot.json";
    if (!chosen)
        return 0;
    if (!buflen || strlen(chosen) >= buflen)
        return -1;
    memcpy(buf, chosen, strlen(chosen) + 1);
    return 1;
}
