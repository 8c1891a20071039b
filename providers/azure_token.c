/* providers/azure_token.c -- Azure AD tokens for Partner Center (see azure_token.h).
 *
 * Setup reads the settings and the environment once (azure_settings_load: endpoints,
 * then each tenant's ids and secrets); a rotated secret needs a restart. A token is
 * fetched on demand by azure_token_get: a fresh cached token answers at once; else
 * one fetch per tenant is sent and every caller waits on it as an intrusive waiter,
 * so a burst of calls after expiry costs one sign-in. The fetch context is its own
 * allocation, so a tenant that goes away first only detaches it (libuv style: the
 * HTTP callback still fires and frees it). Azure AD's error answers are reduced to
 * their "error" and AADSTS code plus a hint; the free-text description is left out
 * because it is not ours to vouch for. Every buffer that held a secret is wiped. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "providers/azure_token.h"
#include "providers/provider.h"

#define SECRET_FILE_MAX 16384

struct azure_token_fetch {
    struct azure_tenant *t;          /* NULL once the tenant is gone: drop the answer */
    struct azure_auth *a;
};

__attribute__((format(printf, 3, 4)))
static int say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (buf && len)
        vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *env(azure_getenv_fn fn, void *ud, const char *name)
{
    const char *v = fn(ud, name);
    return v && v[0] ? v : NULL;
}

/* ---- shared helpers ------------------------------------------------------------ */

int azure_is_guid(const char *s)
{
    for (int i = 0; i < AZURE_GUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return s[AZURE_GUID_LEN] == '\0';
}

static void guid_format(unsigned char b[16], char out[AZURE_GUID_LEN + 1])
{
    snprintf(out, AZURE_GUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

int azure_guid_from(const char *seed, char out[AZURE_GUID_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(seed, strlen(seed), md, &n, EVP_sha256(), NULL) != 1 || n < 16)
        return -1;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);  /* version 5: name-based */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
    guid_format(md, out);
    return 0;
}

int azure_guid_new(char out[AZURE_GUID_LEN + 1])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);    /* version 4: random */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);    /* RFC 4122 variant */
    guid_format(b, out);
    return 0;
}

/* Plain http would send the client secret and bearer tokens in the clear, so it is
 * allowed only to this machine, where the end-to-end tests run their fakes. */
int azure_base_url(const char *in, char *out, size_t outlen)
{
    const char *host, *end;
    size_t n, hostlen;
    if (!in)
        return -1;
    if (!strncmp(in, "https://", 8)) {
        host = in + 8;
    } else if (!strncmp(in, "http://", 7)) {
        host = in + 7;
    } else {
        return -1;
    }
    for (const char *q = in; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f || *q == '?' || *q == '#' || *q == '\\')
            return -1;
    end = strchr(host, '/');
    hostlen = end ? (size_t)(end - host) : strlen(host);
    if (hostlen == 0)
        return -1;
    if (host == in + 7) {
        static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
        int ok = 0;
        for (size_t i = 0; i < 3; i++) {
            size_t l = strlen(loopback[i]);
            if (hostlen >= l && !strncmp(host, loopback[i], l) &&
                (hostlen == l || host[l] == ':'))
                ok = 1;
        }
        if (!ok)
            return -1;
    }
    n = strlen(in);
    while (n > 0 && in[n - 1] == '/')
        n--;
    if (n >= outlen)
        return -1;
    memcpy(out, in, n);
    out[n] = '\0';
    return 0;
}

int azure_form_add(char *buf, size_t buflen, const char *name, const char *value)
{
    size_t n = strlen(buf);
    int w = snprintf(buf + n, buflen - n, "%s%s=", n ? "&" : "", name);
    if (w < 0 || (size_t)w >= buflen - n)
        return -1;
    n += (size_t)w;
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if (n + 4 > buflen)
            return -1;
        if (isalnum(*v) || strchr("-._~", *v))
            buf[n++] = (char)*v;
        else
            n += (size_t)snprintf(buf + n, 4, "%%%02X", *v);
    }
    buf[n] = '\0';
    return 0;
}

/* ---- setup --------------------------------------------------------------------- */

static int auth_init(struct azure_auth *a, azure_getenv_fn getenv_fn, void *ud,
                     const char *version, char *err, size_t errlen)
{
    const char *host = env(getenv_fn, ud, "AZURE_AUTHORITY_HOST");
    memset(a, 0, sizeof(*a));
    if (azure_base_url(host ? host : AZURE_DEFAULT_AUTHORITY, a->authority,
                       sizeof(a->authority)) != 0)
        return say(err, errlen, "AZURE_AUTHORITY_HOST must be an https:// URL (http:// only to "
                   "127.0.0.1 or localhost), without query or fragment");
    if (!version || !strcmp(version, "v1"))
        a->version = AZURE_TOKEN_V1;
    else if (!strcmp(version, "v2"))
        a->version = AZURE_TOKEN_V2;
    else
        return say(err, errlen, "the azure provider's \"token_version\" must be \"v1\" "
                   "(/oauth2/token, the default) or \"v2\" (/oauth2/v2.0/token)");
    return 0;
}

/* The value of var or the contents of the file named by var_FILE (trimmed), into out.
 * 1 found, 0 neither is set, -1 error (err names the variable, never the value). */
static int secret_from(azure_getenv_fn fn, void *ud, const char *var, char *out, size_t outlen,
                       char *err, size_t errlen)
{
    char file_var[96];
    const char *v = env(fn, ud, var), *path;
    FILE *f;
    size_t n;
    snprintf(file_var, sizeof(file_var), "%s_FILE", var);
    path = env(fn, ud, file_var);
    if (v && path)
        return say(err, errlen, "both %s and %s are set; set only one", var, file_var);
    if (v) {
        if (strlen(v) >= outlen)
            return say(err, errlen, "%s is longer than %zu characters", var, outlen - 1);
        memcpy(out, v, strlen(v) + 1);
        return 1;
    }
    if (!path)
        return 0;
    if (!(f = fopen(path, "rb")))
        return say(err, errlen, "cannot read %s, the file named by %s: %s", path, file_var,
                   strerror(errno));
    n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    if (!feof(f) && fgetc(f) != EOF) {
        fclose(f);
        OPENSSL_cleanse(out, outlen);
        return say(err, errlen, "%s, the file named by %s, is longer than %zu bytes", path,
                   file_var, outlen - 1);
    }
    fclose(f);
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
    if (n == 0)
        return say(err, errlen, "%s, the file named by %s, is empty", path, file_var);
    return 1;
}

/* <base>_<NAME>, then <base>. */
static int secret_for(azure_getenv_fn fn, void *ud, const char *base, const char *name,
                      char *out, size_t outlen, char *err, size_t errlen)
{
    char var[96];
    int n = snprintf(var, sizeof(var), "%s_", base), rc;
    for (const char *c = name; *c && (size_t)n + 1 < sizeof(var); c++)
        var[n++] = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
    var[n] = '\0';
    rc = secret_from(fn, ud, var, out, outlen, err, errlen);
    return rc ? rc : secret_from(fn, ud, base, out, outlen, err, errlen);
}

static int path_safe(const char *s)
{
    if (!s[0])
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return 0;
    return 1;
}

static void tenant_fini(struct azure_tenant *t);

static int tenant_load(struct azure_tenant *t, const char *name, const char *tenant_id,
                       const char *client_id, azure_getenv_fn getenv_fn, void *ud, char *err,
                       size_t errlen)
{
    const char *tid = tenant_id && *tenant_id ? tenant_id : env(getenv_fn, ud, "AZURE_TENANT_ID");
    const char *cid = client_id && *client_id ? client_id : env(getenv_fn, ud, "AZURE_CLIENT_ID");
    int has_secret, has_refresh;
    memset(t, 0, sizeof(*t));
    if (strlen(name) >= sizeof(t->name))
        return say(err, errlen, "Partner Center tenant name \"%s\" is too long", name);
    memcpy(t->name, name, strlen(name) + 1);
    if (!tid || strlen(tid) >= sizeof(t->tenant_id) || !path_safe(tid))
        return say(err, errlen, "Partner Center tenant \"%s\": tenant_id is missing or not a "
                   "tenant GUID or domain (set it in the policy or AZURE_TENANT_ID)", name);
    if (!cid || !azure_is_guid(cid))
        return say(err, errlen, "Partner Center tenant \"%s\": client_id is missing or not a "
                   "GUID (set it in the policy or AZURE_CLIENT_ID)", name);
    memcpy(t->tenant_id, tid, strlen(tid) + 1);
    memcpy(t->client_id, cid, strlen(cid) + 1);
    has_secret = secret_for(getenv_fn, ud, "AZURE_CLIENT_SECRET", name, t->client_secret,
                            sizeof(t->client_secret), err, errlen);
    if (has_secret < 0)
        goto fail;
    has_refresh = secret_for(getenv_fn, ud, "AZURE_REFRESH_TOKEN", name, t->refresh_token,
                             sizeof(t->refresh_token), err, errlen);
    if (has_refresh < 0)
        goto fail;
    if (!has_secret && !has_refresh) {
        say(err, errlen, "Partner Center tenant \"%s\": no client secret; set "
            "AZURE_CLIENT_SECRET or AZURE_CLIENT_SECRET_FILE (or AZURE_REFRESH_TOKEN[_FILE] "
            "for app+user sign-in)", name);
        goto fail;
    }
    return 0;
fail:
    tenant_fini(t);
    return -1;
}

static void tenant_fini(struct azure_tenant *t)
{
    if (t->fetch)
        t->fetch->t = NULL;
    t->fetch = NULL;
    t->waiters = NULL;
    OPENSSL_cleanse(t->client_secret, sizeof(t->client_secret));
    OPENSSL_cleanse(t->refresh_token, sizeof(t->refresh_token));
    OPENSSL_cleanse(t->access_token, sizeof(t->access_token));
}

void azure_settings_fini(struct azure_settings *s)
{
    for (int i = 0; i < s->n_tenants; i++)
        tenant_fini(&s->tenants[i]);
    free(s->tenants);
    memset(s, 0, sizeof(*s));
}

int azure_settings_load(struct azure_settings *s, const char *config_json,
                        azure_getenv_fn getenv_fn, void *ud, char *err, size_t errlen)
{
    json_t *root = config_json && *config_json ? json_loads(config_json, 0, NULL) : json_object();
    json_t *tenants = json_object_get(root, "tenants"), *v;
    const char *key, *pc = env(getenv_fn, ud, "PARTNER_CENTER_URL");
    size_t n = json_object_size(tenants);
    int rc = -1;
    memset(s, 0, sizeof(*s));
    if (!json_is_object(root) || (tenants && (!json_is_object(tenants) || !n))) {
        say(err, errlen, "the azure provider's settings must be a JSON object like {\"tenants\": "
            "{\"default\": {\"tenant_id\": \"<GUID>\", \"client_id\": \"<GUID>\"}}}");
        goto out;
    }
    json_object_foreach(root, key, v)
        if (strcmp(key, "tenants") && strcmp(key, "token_version")) {
            say(err, errlen, "unknown azure provider setting \"%s\" (known: tenants, "
                "token_version)", key);
            goto out;
        }
    if (azure_base_url(pc ? pc : AZURE_DEFAULT_PC_URL, s->pc_url, sizeof(s->pc_url)) != 0) {
        say(err, errlen, "PARTNER_CENTER_URL must be an https:// URL (http:// only to "
            "127.0.0.1 or localhost), without query or fragment");
        goto out;
    }
    if (auth_init(&s->auth, getenv_fn, ud,
                  json_string_value(json_object_get(root, "token_version")), err, errlen) != 0)
        goto out;
    if (n > AZURE_MAX_TENANTS) {
        say(err, errlen, "at most %d Partner Center tenants", AZURE_MAX_TENANTS);
        goto out;
    }
    if (!(s->tenants = calloc(n ? n : 1, sizeof(*s->tenants)))) {
        say(err, errlen, "out of memory");
        goto out;
    }
    if (!n && tenant_load(&s->tenants[s->n_tenants++], "default", NULL, NULL, getenv_fn, ud,
                          err, errlen) != 0)
        goto out;
    json_object_foreach(tenants, key, v) {
        if (!json_is_object(v)) {
            say(err, errlen, "Partner Center tenant \"%s\" must be an object with tenant_id "
                "and client_id", key);
            goto out;
        }
        if (tenant_load(&s->tenants[s->n_tenants++], key,
                        json_string_value(json_object_get(v, "tenant_id")),
                        json_string_value(json_object_get(v, "client_id")), getenv_fn, ud,
                        err, errlen) != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        azure_settings_fini(s);
    json_decref(root);
    return rc;
}

struct azure_tenant *azure_settings_tenant(struct azure_settings *s, const char *name)
{
    if (!name[0] && s->n_tenants == 1)
        return &s->tenants[0];
    for (int i = 0; i < s->n_tenants; i++)
        if (!strcmp(s->tenants[i].name, name[0] ? name : "default"))
            return &s->tenants[i];
    return NULL;
}

/* ---- the token cache ----------------------------------------------------------- */

int azure_token_fresh(const struct azure_tenant *t, int64_t now_ms)
{
    return t->access_token[0] && now_ms < t->expires_ms - AZURE_TOKEN_RENEW_AHEAD_MS;
}

void azure_token_invalidate(struct azure_tenant *t)
{
    OPENSSL_cleanse(t->access_token, sizeof(t->access_token));
    t->expires_ms = 0;
}

int azure_token_request(const struct azure_auth *a, const struct azure_tenant *t,
                        struct http_request *req, char **body, char *err, size_t errlen)
{
    size_t cap = 3 * (strlen(t->client_secret) + strlen(t->refresh_token)) + 1024;
    char *form = calloc(1, cap), scope[128];
    int bad = !form;
    const char *path = a->version == AZURE_TOKEN_V2 ? "oauth2/v2.0/token" : "oauth2/token";
    snprintf(scope, sizeof(scope), "%s/.default", AZURE_PC_RESOURCE);
    memset(req, 0, sizeof(*req));
    snprintf(req->method, sizeof(req->method), "POST");
    if (snprintf(req->url, sizeof(req->url), "%s/%s/%s", a->authority, t->tenant_id, path) >=
        (int)sizeof(req->url))
        bad = 1;
    if (!bad) {
        bad |= azure_form_add(form, cap, "grant_type", t->refresh_token[0] ? "refresh_token"
                                                                            : "client_credentials");
        bad |= azure_form_add(form, cap, "client_id", t->client_id);
        if (t->client_secret[0])
            bad |= azure_form_add(form, cap, "client_secret", t->client_secret);
        if (t->refresh_token[0])
            bad |= azure_form_add(form, cap, "refresh_token", t->refresh_token);
        if (a->version == AZURE_TOKEN_V2)
            bad |= azure_form_add(form, cap, "scope", scope);
        else
            bad |= azure_form_add(form, cap, "resource", AZURE_PC_RESOURCE);
        if (a->version == AZURE_TOKEN_V1 && t->refresh_token[0])
            bad |= azure_form_add(form, cap, "scope", "openid");   /* as the SAM docs send it */
        bad |= http_request_add_header(req, "Content-Type", "application/x-www-form-urlencoded");
        bad |= http_request_add_header(req, "Accept", "application/json");
    }
    if (bad) {
        if (form)
            OPENSSL_cleanse(form, cap);
        free(form);
        return say(err, errlen, "could not build the Azure AD token request for tenant \"%s\"",
                   t->name);
    }
    req->body = form;
    req->body_len = strlen(form);
    req->timeout_ms = AZURE_TOKEN_TIMEOUT_MS;
    *body = form;
    return 0;
}

/* Azure AD sends numbers as strings in v1 ("3599") and as numbers in v2. */
static int64_t json_seconds(json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v)) {
        char *end;
        long long s = strtoll(json_string_value(v), &end, 10);
        return end != json_string_value(v) && !*end ? s : -1;
    }
    return -1;
}

static const char *aadsts_hint(long code)
{
    switch (code) {
    case 7000215: return "the client secret is wrong: check AZURE_CLIENT_SECRET";
    case 7000222: return "the client secret has expired: create a new one for the app";
    case 700016: return "the app (client_id) is not known in that tenant";
    case 90002: case 900023: return "the tenant id is wrong or the tenant does not exist";
    case 70008: case 700082: case 700084:
        return "the stored refresh token has expired: repeat the partner consent";
    case 50076: case 50079:
        return "the refresh token needs multi-factor authentication: repeat the consent with MFA";
    case 70000: case 9002313: return "the refresh token is invalid: repeat the partner consent";
    }
    return "check the tenant_id and client_id in the policy and the client secret";
}

static int token_refused(const struct azure_tenant *t, const struct http_response *res,
                         json_t *root, char *why, size_t whylen)
{
    json_t *codes = json_object_get(root, "error_codes");
    const char *error = json_string_value(json_object_get(root, "error"));
    const char *desc = json_string_value(json_object_get(root, "error_description"));
    long code = json_is_integer(json_array_get(codes, 0))
                    ? (long)json_integer_value(json_array_get(codes, 0)) : 0;
    int rc = res->status == 429 ? PROVIDER_E_THROTTLED
             : res->status >= 500 ? PROVIDER_E_UNAVAILABLE : PROVIDER_E_AUTH;
    if (!code && desc && !strncmp(desc, "AADSTS", 6))
        code = strtol(desc + 6, NULL, 10);
    if (rc != PROVIDER_E_AUTH)
        say(why, whylen, "Azure AD could not sign in Partner Center tenant \"%s\" right now "
            "(HTTP %ld).", t->name, res->status);
    else
        say(why, whylen, "Azure AD refused to sign in the app for Partner Center tenant \"%s\" "
            "(HTTP %ld%s%s%s%.0ld): %s.", t->name, res->status, error ? ", " : "",
            error ? error : "", code ? ", AADSTS" : "", code, aadsts_hint(code));
    return rc;
}

int azure_token_parse(struct azure_tenant *t, const struct http_response *res, int64_t now_ms,
                      char *why, size_t whylen)
{
    json_t *root = res->body ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    const char *refresh = json_string_value(json_object_get(root, "refresh_token"));
    int64_t in = json_seconds(json_object_get(root, "expires_in"));
    int64_t on = json_seconds(json_object_get(root, "expires_on"));
    int rc = PROVIDER_OK;
    if (res->status != 200) {
        rc = token_refused(t, res, root, why, whylen);
    } else if (!tok || !tok[0]) {
        rc = PROVIDER_E_AUTH;
        say(why, whylen, "Azure AD's answer for Partner Center tenant \"%s\" had no access "
            "token.", t->name);
    } else if (strlen(tok) > AZURE_TOKEN_MAX) {
        rc = PROVIDER_E_AUTH;
        say(why, whylen, "The access token Azure AD issued for tenant \"%s\" is longer than "
            "%d characters, more than an HTTP header here can carry.", t->name, AZURE_TOKEN_MAX);
    } else {
        memcpy(t->access_token, tok, strlen(tok) + 1);
        /* expires_in is relative, so it holds on the bot's (movable) clock; expires_on
         * is Azure AD's wall clock and only a fallback. Neither: renew soon. Both are
         * capped before they are multiplied, so no claim overflows the clock. */
        int64_t cap_ms = now_ms + (int64_t)AZURE_TOKEN_LIFETIME_MAX_S * 1000;
        if (in > 0)
            t->expires_ms = in < AZURE_TOKEN_LIFETIME_MAX_S ? now_ms + in * 1000 : cap_ms;
        else if (on > 0)
            t->expires_ms = on < cap_ms / 1000 ? on * 1000 : cap_ms;
        else
            t->expires_ms = now_ms + AZURE_TOKEN_RENEW_AHEAD_MS + 60000;
        if (refresh && refresh[0] && strlen(refresh) < sizeof(t->refresh_token)) {
            OPENSSL_cleanse(t->refresh_token, sizeof(t->refresh_token));
            memcpy(t->refresh_token, refresh, strlen(refresh) + 1);   /* rotated: keep it */
        }
    }
    json_decref(root);   /* jansson does not wipe: the token copy in its heap is freed as is */
    return rc;
}

/* Entra ID's own words for a refused sign-in: its "error" ("invalid_client") with
 * the first AADSTS number when it gives one; else the HTTP status. */
static void token_error_code(const struct http_response *res, char *code, size_t len)
{
    json_t *root = res->body_len ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    const char *error = json_string_value(json_object_get(root, "error"));
    json_t *codes = json_object_get(root, "error_codes");
    if (error && json_is_integer(json_array_get(codes, 0)))
        snprintf(code, len, "%.60s AADSTS%lld", error,
                 (long long)json_integer_value(json_array_get(codes, 0)));
    else if (error)
        snprintf(code, len, "%.60s", error);
    else
        snprintf(code, len, "HTTP%ld", res->status);
    json_decref(root);
}

static void report_sign_in(const struct azure_auth *a, const struct azure_tenant *t, int rc,
                           const struct http_response *res, const char *why)
{
    char code[96], what[96];
    if (!a->report)
        return;
    snprintf(what, sizeof(what), "Partner Center sign-in of tenant %.40s", t->name);
    if (rc == PROVIDER_OK) {
        a->report(a->report_ud, "azure_token", what, NULL, NULL, -1);
        return;
    }
    if (res->transport == HTTP_E_TIMEOUT)
        snprintf(code, sizeof(code), "timeout");
    else if (res->transport != HTTP_OK)
        snprintf(code, sizeof(code), "transport");
    else
        token_error_code(res, code, sizeof(code));
    a->report(a->report_ud, "azure_token", what, code, why, -1);
}

static void on_token_answer(void *ud, const struct http_response *res)
{
    struct azure_token_fetch *f = ud;
    struct azure_tenant *t = f->t;
    struct azure_token_waiter *w, *next;
    char why[400] = "";
    int rc;
    if (!t) {                        /* the provider went away while we waited */
        free(f);
        return;
    }
    t->fetch = NULL;
    if (res->transport == HTTP_E_TIMEOUT) {
        rc = PROVIDER_E_TIMEOUT;
        say(why, sizeof(why), "Azure AD did not answer in time when signing in Partner Center "
            "tenant \"%s\".", t->name);
    } else if (res->transport != HTTP_OK) {
        rc = PROVIDER_E_UNAVAILABLE;
        say(why, sizeof(why), "Could not reach Azure AD to sign in Partner Center tenant "
            "\"%s\": %s", t->name, res->error);
    } else {
        rc = azure_token_parse(t, res, f->a->now_ms(f->a->loop), why, sizeof(why));
    }
    report_sign_in(f->a, t, rc, res, why);
    w = t->waiters;
    t->waiters = NULL;               /* a waiter may ask again: it starts a new list */
    free(f);
    for (; w; w = next) {
        next = w->next;
        w->done(w, rc, why);
    }
}

int azure_token_get(struct azure_auth *a, struct azure_tenant *t, struct azure_token_waiter *w,
                    char *why, size_t whylen)
{
    struct azure_token_waiter **tail;
    struct http_request req;
    char *body = NULL;
    struct azure_token_fetch *f;
    int rc;
    if (azure_token_fresh(t, a->now_ms(a->loop)))
        return 0;
    if (!t->fetch) {
        if (azure_token_request(a, t, &req, &body, why, whylen) != 0)
            return PROVIDER_E_AUTH;
        if (!(f = calloc(1, sizeof(*f)))) {
            OPENSSL_cleanse(body, req.body_len);
            free(body);
            say(why, whylen, "out of memory");
            return PROVIDER_E_UNAVAILABLE;
        }
        f->t = t;
        f->a = a;
        rc = http_send(a->http, &req, on_token_answer, f);
        OPENSSL_cleanse(body, req.body_len);
        OPENSSL_cleanse(&req, sizeof(req));
        free(body);
        if (rc != 0) {
            free(f);
            say(why, whylen, "Could not send the sign-in request for Partner Center tenant "
                "\"%s\" to Azure AD.", t->name);
            return PROVIDER_E_UNAVAILABLE;
        }
        t->fetch = f;
    }
    w->next = NULL;
    for (tail = &t->waiters; *tail; tail = &(*tail)->next)
        ;
    *tail = w;
    return AZURE_TOKEN_PENDING;
}
