/* providers/aws_agreement_config.c -- the "aws" provider's seller accounts: read from
 * the policy's "aws" object, then, at start-up, each one's region, endpoint and
 * credentials. The environment is only ever read through the getenv the provider
 * was given, and each account sees it with its own profile as AWS_PROFILE, so that
 * aws_credentials.c resolves "environment first, then this profile". Nothing here
 * sends anything: container and web identity credentials are only noted, and fetched
 * by the first call (aws_agreement.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "providers/aws_agreement.h"
#include "providers/aws_agreement_int.h"

__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The environment as one account sees it: its profile is AWS_PROFILE. */
const char *aws_account_getenv(void *ud, const char *name)
{
    const struct aws_account *a = ud;
    if (a->profile[0] && strcmp(name, "AWS_PROFILE") == 0)
        return a->profile;
    return a->base_getenv(a->base_ud, name);
}

/* ---- configuration --------------------------------------------------------------- */

static int name_ok(const char *s, size_t max, const char *extra, int lower_only)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr(extra, ch) ||
                 (!lower_only && ch >= 'A' && ch <= 'Z');
        if (!ok)
            return 0;
    }
    return n >= 1 && n <= max;
}

static int read_account(struct aws_account *a, const char *name, json_t *v, char *err,
                        size_t errlen)
{
    const char *key;
    json_t *f;
    if (!name_ok(name, ACCOUNT_NAME_MAX - 1, "_.-", 0) || !json_is_object(v)) {
        fail(err, errlen, "aws.accounts.%.40s: an account is a name of 1 to %d letters, digits, "
             "'_', '.' or '-' with an object like {\"profile\": \"seller\", \"region\": "
             "\"us-east-1\"}", name, ACCOUNT_NAME_MAX - 1);
        return -1;
    }
    request_copy_str(a->name, sizeof(a->name), name);
    json_object_foreach(v, key, f) {
        int is_profile = strcmp(key, "profile") == 0, is_region = strcmp(key, "region") == 0;
        const char *s = json_string_value(f);
        if (!is_profile && !is_region) {
            fail(err, errlen, "aws.accounts.%s: unknown setting \"%.40s\" (known: profile, "
                 "region)", name, key);
            return -1;
        }
        if (is_profile && !(s && name_ok(s, 63, "_.@+-", 0))) {
            fail(err, errlen, "aws.accounts.%s.profile: an AWS profile name is 1 to 63 of "
                 "letters, digits, '_', '.', '@', '+' and '-'", name);
            return -1;
        }
        if (is_region && !(s && name_ok(s, 63, "-", 1))) {
            fail(err, errlen, "aws.accounts.%s.region: an AWS region like \"us-east-1\"", name);
            return -1;
        }
        request_copy_str(is_profile ? a->profile : a->region, 64, s);
    }
    return 0;
}

int aws_config_read(const char *config_json, struct aws_priv *pv, char *err, size_t errlen)
{
    json_t *root = NULL, *accounts, *v;
    const char *name;
    int rc = -1;
    pv->n_accounts = 0;
    if (!config_json || !*config_json) {
        request_copy_str(pv->accounts[0].name, ACCOUNT_NAME_MAX, "default");
        pv->n_accounts = 1;
        return 0;
    }
    root = json_loads(config_json, 0, NULL);
    accounts = json_object_get(root, "accounts");
    if (!json_is_object(root) || (accounts && !json_is_object(accounts))) {
        fail(err, errlen, "aws: the settings are an object like {\"accounts\": {\"default\": "
             "{\"profile\": \"seller\", \"region\": \"us-east-1\"}}}");
        goto out;
    }
    if (!accounts) {
        request_copy_str(pv->accounts[0].name, ACCOUNT_NAME_MAX, "default");
        pv->n_accounts = 1;
        rc = 0;
        goto out;
    }
    json_object_foreach(accounts, name, v) {
        if (pv->n_accounts >= AWS_MAX_ACCOUNTS) {
            fail(err, errlen, "aws.accounts: at most %d accounts", AWS_MAX_ACCOUNTS);
            goto out;
        }
        if (read_account(&pv->accounts[pv->n_accounts], name, v, err, errlen))
            goto out;
        pv->n_accounts++;
    }
    if (!pv->n_accounts) {
        fail(err, errlen, "aws.accounts: name at least one seller account");
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- start-up: region, endpoint and credentials of each account ------------------ */

/* The endpoint of one service: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL,
 * unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true; else https://<host>.<region>.
 * amazonaws.com[.cn]/. out ends with '/' (awsJson and Query calls post to "/"). */
static int set_endpoint(struct aws_account *a, const char *service_var, const char *host,
                        char *out, size_t cap, char *err, size_t errlen)
{
    const char *ignore = a->base_getenv(a->base_ud, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *var = service_var, *v = NULL;
    size_t n;
    if (!(ignore && strcasecmp(ignore, "true") == 0)) {
        if (!(v = a->base_getenv(a->base_ud, var)) || !*v) {
            var = "AWS_ENDPOINT_URL";
            v = a->base_getenv(a->base_ud, var);
        }
    }
    if (!v || !*v) {
        snprintf(out, cap, "https://%s.%s.amazonaws.com%s/", host, a->region,
                 strncmp(a->region, "cn-", 3) == 0 ? ".cn" : "");
        return 0;
    }
    n = strlen(v);
    if ((strncasecmp(v, "https://", 8) != 0 && strncasecmp(v, "http://", 7) != 0) ||
        strpbrk(v, " \t\r\n?#") || n + 2 > cap) {
        fail(err, errlen, "%s is not an endpoint URL like https://host[:port][/path] (no query, "
             "at most %zu characters)", var, cap - 2);
        return -1;
    }
    snprintf(out, cap, "%s%s", v, v[n - 1] == '/' ? "" : "/");
    return 0;
}

static void describe_source(struct aws_account *a)
{
    const char *profile = a->profile[0] ? a->profile : aws_account_getenv(a, "AWS_PROFILE");
    const char *s = a->creds.source;
    profile = profile && *profile ? profile : "default";
    if (a->kind == CRED_CONTAINER)
        snprintf(a->source, sizeof(a->source), "container credentials");
    else if (a->kind == CRED_WEB_IDENTITY)
        snprintf(a->source, sizeof(a->source), "web identity role in AWS_ROLE_ARN");
    else if (strcmp(s, "environment") == 0)
        snprintf(a->source, sizeof(a->source), "keys in AWS_ACCESS_KEY_ID");
    else
        snprintf(a->source, sizeof(a->source), "profile '%s' in the %s", profile,
                 strcmp(s, "config-file") == 0 ? "config file" : "shared credentials file");
}

int aws_account_resolve(struct aws_account *a, char *err, size_t errlen)
{
    char why[512];
    int rc;
    if (!a->region[0] &&
        aws_region_resolve(aws_account_getenv, a, a->region, sizeof(a->region), why, sizeof(why))) {
        fail(err, errlen, "AWS seller account '%s': %s", a->name, why);
        return -1;
    }
    if (set_endpoint(a, "AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT", "agreement-marketplace",
                     a->endpoint, sizeof(a->endpoint), err, errlen) ||
        set_endpoint(a, "AWS_ENDPOINT_URL_STS", "sts", a->sts_endpoint, sizeof(a->sts_endpoint),
                     err, errlen))
        return -1;
    rc = aws_credentials_resolve(aws_account_getenv, a, &a->creds, why, sizeof(why));
    if (rc == AWS_CRED_OK) {
        a->kind = CRED_STATIC;
        a->have_creds = 1;
    } else if (rc == AWS_CRED_NEED_CONTAINER || rc == AWS_CRED_NEED_WEB_IDENTITY) {
        a->kind = rc == AWS_CRED_NEED_CONTAINER ? CRED_CONTAINER : CRED_WEB_IDENTITY;
    } else {
        fail(err, errlen, "AWS seller account '%s': %s", a->name, why);
        return -1;
    }
    describe_source(a);
    return 0;
}

/* With env-first resolution, keys in the environment (or a web identity, or the one
 * container role) would make every account the same seller: refuse, and say why. */
int aws_accounts_distinct(const struct aws_priv *pv, char *err, size_t errlen)
{
    const struct aws_account *first = NULL;
    for (int i = 0; i < pv->n_accounts; i++) {
        const struct aws_account *a = &pv->accounts[i];
        if (a->kind == CRED_STATIC && strcmp(a->creds.source, "environment") != 0)
            continue;
        if (first) {
            fail(err, errlen, "AWS seller accounts '%s' and '%s' would both sign as the same "
                 "identity (%s): it comes before profiles in the AWS credential chain, so with "
                 "several accounts unset it and give each account a profile with its own keys",
                 first->name, a->name, a->source);
            return -1;
        }
        first = a;
    }
    return 0;
}

int aws_agreement_check_config(const char *config_json, char *err, size_t errlen)
{
    struct aws_priv *pv = calloc(1, sizeof(*pv));
    int rc;
    if (!pv) {
        fail(err, errlen, "out of memory");
        return -1;
    }
    rc = aws_config_read(config_json, pv, err, errlen);
    free(pv);
    return rc;
}
