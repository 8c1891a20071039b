/* bot/config.c -- the policy file: JSON text -> struct policy, every problem reported
 * by JSON path with what is accepted there. Two passes over the parsed document:
 *   1. scan_secrets walks all of it and refuses secret-looking keys and values,
 *      once each, never echoing them;
 *   2. the field tables check each known field, overlay it on policy_init_default
 *      and refuse unknown ones; config_check_whole then checks rules that span fields
 *      (enough approvers for the approvals needed, reactions differ, ...).
 * Overlay: a field left out keeps its default; a list given replaces the default
 * list; "approvers", "aws.accounts" and "azure.tenants" replace their defaults as a
 * whole; the other objects overlay field by field. The result is built in a local
 * policy and copied out only when clean.
 * This file reads the text, collects the problems, runs pass 1 and drives pass 2 with
 * the helpers every field check shares; the checks themselves, their tables and
 * config_check_whole are in config_fields.c, and config_int.h is what the two share.
 * Values reach problem text only through config_show(): short, printable, not secret-like. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "bot/config_int.h"

#define SCAN_DEPTH_MAX 32

#define SECRET_PREFIX "secrets are not allowed in the config file; "
#define SECRET_AZURE SECRET_PREFIX "set AZURE_CLIENT_SECRET (or a *_FILE variable) " \
                     "in the environment"
#define SECRET_AWS SECRET_PREFIX "give AWS credentials through the environment " \
                   "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the account's profile"
#define SECRET_SLACK SECRET_PREFIX "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN " \
                     "(or a *_FILE variable) in the environment"

void config_problem(struct cfg *c, const char *path, const char *fmt, ...)
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
int config_secret_key(const char *key)
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
           config_match(s + 4, NULL, upper_or_digit, 16, 16);
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
struct shown config_show(const char *s)
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

void config_path_key(char *dst, size_t n, const char *parent, const char *key)
{
    struct shown q;
    size_t len = strlen(key);
    if (len && len <= SHOW_MAX && config_match(key, NULL, name_char, 1, SHOW_MAX)) {
        path_done(dst, n, snprintf(dst, n, "%s.%s", parent, key));
        return;
    }
    quote_into(q.s, key, 32);
    path_done(dst, n, snprintf(dst, n, "%s[%s%s]", parent, q.s, len > 32 ? "..." : ""));
}

void config_path_index(char *dst, size_t n, const char *parent, size_t i)
{
    path_done(dst, n, snprintf(dst, n, "%s[%zu]", parent, i));
}

const char *config_type_name(const json_t *v)
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
            config_path_key(sub, sizeof(sub), path, key);
            if (config_secret_key(key))
                config_problem(c, sub, "%s", secret_text(sub, key, NULL));
            else
                scan_secrets(c, sub, e, depth + 1);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(v, i, e) {
            config_path_index(sub, sizeof(sub), path, i);
            scan_secrets(c, sub, e, depth + 1);
        }
        break;
    case JSON_STRING:
        if (secret_value(json_string_value(v)))
            config_problem(c, path, "this value looks like a token or key; %s",
                           secret_text(path, NULL, json_string_value(v)));
        break;
    case JSON_INTEGER: case JSON_REAL: case JSON_TRUE: case JSON_FALSE: case JSON_NULL:
        break;
    }
}

/* ---- pass 2: helpers for the field checks ---- */

/* Checks obj's members against a table; unknown members are problems. Secret-looking
 * keys were reported by scan_secrets and are skipped here. */
void config_check_object(struct cfg *c, const char *path, json_t *obj, const struct field *f,
                         size_t nf)
{
    char sub[PATH_LEN], accepted[400] = "";
    const char *key;
    json_t *v;
    for (size_t i = 0; i < nf; i++) {
        size_t used = strlen(accepted);
        snprintf(accepted + used, sizeof(accepted) - used, "%s%s", i ? ", " : "", f[i].key);
    }
    json_object_foreach(obj, key, v) {
        size_t i;
        config_path_key(sub, sizeof(sub), path, key);
        if (config_secret_key(key))
            continue;
        for (i = 0; i < nf && strcmp(f[i].key, key) != 0; i++)
            ;
        if (i < nf)
            f[i].check(c, sub, v);
        else
            config_problem(c, sub, "unknown field; accepted: %s", accepted);
    }
}

int config_want_object(struct cfg *c, const char *path, json_t *v, const char *what)
{
    if (json_is_object(v))
        return 1;
    config_problem(c, path, "expected %s (got %s)", what, config_type_name(v));
    return 0;
}

/* A string field: 1 and *out when it is a string that passes valid(). */
int config_read_string(struct cfg *c, const char *path, json_t *v, int (*valid)(const char *),
                       const char *accepted, const char **out)
{
    const char *s;
    if (!json_is_string(v)) {
        config_problem(c, path, "expected %s (got %s)", accepted, config_type_name(v));
        return 0;
    }
    s = json_string_value(v);
    if (!valid(s)) {
        config_problem(c, path, "%s is not %s", config_show(s).s, accepted);
        return 0;
    }
    *out = s;
    return 1;
}

int config_read_int(struct cfg *c, const char *path, json_t *v, long long lo, long long hi,
                    const char *accepted, long long *out)
{
    long long x;
    if (!json_is_integer(v)) {
        config_problem(c, path, "expected %s (got %s)", accepted, config_type_name(v));
        return 0;
    }
    x = (long long)json_integer_value(v);
    if (x < lo || x > hi) {
        config_problem(c, path, "%lld is out of range; expected %s", x, accepted);
        return 0;
    }
    *out = x;
    return 1;
}

/* Replaces the list at dst (cap entries of width bytes) with the array v. */
void config_read_id_list(struct cfg *c, const char *path, json_t *v, const struct id_list *l,
                         char *dst, size_t width, int cap, int *n_out)
{
    char sub[PATH_LEN];
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
        config_problem(c, path, "expected an array of strings, each %s (got %s)", l->accepted,
                       config_type_name(v));
        return;
    }
    if (json_array_size(v) > (size_t)cap)
        config_problem(c, path, "too many %s: %zu; at most %d (%s)", l->noun, json_array_size(v),
                       cap, l->limit);
    *n_out = 0;
    json_array_foreach(v, i, e) {
        const char *s;
        int dup = 0;
        config_path_index(sub, sizeof(sub), path, i);
        if (!config_read_string(c, sub, e, l->valid, l->accepted, &s))
            continue;
        for (int j = 0; j < *n_out && !dup; j++)
            dup = strcmp(dst + (size_t)j * width, s) == 0;
        if (dup)
            config_problem(c, sub, "%s is listed twice; list each once", config_show(s).s);
        else if (*n_out < cap)
            request_copy_str(dst + (size_t)(*n_out)++ * width, width, s);
    }
}

/* ---- loading ---- */

/* jansson's text may end in " near '<token>'", and the token can be a secret. */
static void syntax_problem(struct cfg *c, const json_error_t *err)
{
    char text[sizeof(err->text)];
    char *near;
    request_copy_str(text, sizeof(text), err->text);
    if ((near = strstr(text, " near ")))
        *near = '\0';
    config_problem(c, "$", "invalid JSON at line %d, column %d: %s", err->line, err->column, text);
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
    if (config_want_object(&c, "$", root, "an object with the policy fields")) {
        config_check_object(&c, "$", root, config_top_fields, config_n_top_fields);
        config_check_whole(&c);
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
        config_problem(&c, "$", "no policy text");
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
        config_problem(&c, "$", "no policy file named");
        goto out;
    }
    if (!(f = fopen(path, "rb"))) {
        config_problem(&c, "$", "cannot open %.160s: %s", path, strerror(errno));
        goto out;
    }
    if (!(buf = malloc(CONFIG_FILE_MAX + 1))) {
        config_problem(&c, "$", "out of memory reading the policy file");
        goto out;
    }
    len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
    if (ferror(f)) {
        config_problem(&c, "$", "cannot read %.160s: %s", path, strerror(errno));
        goto out;
    }
    if (len > CONFIG_FILE_MAX) {
        config_problem(&c, "$", "the file is larger than %d bytes; a policy file is a few KiB",
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
