/* tests/fake_market_azure.c -- the Azure half of the marketplace fake: the Azure AD
 * (Entra ID) token endpoint and the Partner Center calls the "azure" provider makes.
 *
 * Token endpoint: POST /<tenant>/oauth2/token (v1: resource=...) and
 * /<tenant>/oauth2/v2.0/token (v2: scope=.../.default), form-encoded. Client
 * credentials with client_secret FM_AZURE_SECRET, or a refresh token the fake issued
 * ("fake-refresh-N"), get "fake-token-N" (N counts grants). As the real endpoints do,
 * v1 answers expires_in/expires_on as strings and v2 as numbers. Errors have AAD's
 * shape: {"error", "error_description" starting "AADSTSnnnn:", "error_codes": [n],
 * "timestamp", "trace_id", "correlation_id"}.
 *
 * Partner Center (shapes and error codes from the "Cancel an Azure subscription" and
 * "Get an Azure entitlement" pages and the REST error-codes page, whose error body is
 * {"code", "description", "data", "source"}): every call needs "Authorization: Bearer
 * fake-token-N" for a token still alive (--token-lifetime), else 401. The cancel
 * answers --azure-cancel-status (200 as in the documented example, or 202 as the REST
 * reference lists) with the entitlement still "active"; it reads "inactive"
 * --azure-delay seconds later (Partner Center: about ten minutes). An MS-RequestId
 * seen before gets the first answer again and cancels nothing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "tests/fake_market_int.h"

#define PC_RESOURCE "https://api.partnercenter.microsoft.com"

struct entitlement {
    const char *customer, *subscription, *id, *name;
    int64_t cancelled_ms;            /* fm_now_ms of the cancel, or -1 */
};

struct replay {                      /* one cancel answer, by MS-RequestId */
    char *request_id;
    int status;
    json_t *body;
};

struct fm_azure {
    int64_t *token_expiry_ms;        /* fake-token-N lives until token_expiry_ms[N-1] */
    size_t n_tokens;
    struct entitlement ent[1];
    struct replay *replays;
    size_t n_replays;
    long cancel_calls, cancels, replayed, unauthorized;
    long seq;
};

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int is_guid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    size_t i = 0;
    for (; s[i] && shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    return !s[i] && !shape[i];
}

static void guid(struct fm_azure *s, char out[48])
{
    snprintf(out, 48, "fa4e0000-0000-4000-8000-%012ld", ++s->seq);
}

/* ---- Azure AD -------------------------------------------------------------------- */

static void aad_error(struct fm_azure *s, struct fm_answer *a, int status, const char *error,
                      long code, const char *words)
{
    char desc[512], trace[48], corr[48], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%SZ", &tm);
    guid(s, trace);
    guid(s, corr);
    snprintf(desc, sizeof desc, "AADSTS%ld: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\n"
             "Timestamp: %s", code, words, trace, corr, stamp);
    a->status = status;
    a->body = json_pack("{s:s, s:s, s:[I], s:s, s:s, s:s, s:o}", "error", error,
                        "error_description", desc, "error_codes", (json_int_t)code,
                        "timestamp", stamp, "trace_id", trace, "correlation_id", corr,
                        "error_uri", json_sprintf("https://login.microsoftonline.com/error"
                                                  "?code=%ld", code));
}

/* The words of the first rule the form breaks, with AAD's error and code; NULL when
 * the grant may be given. */
static const char *aad_refusal(const struct fm_azure *s, const json_t *form, int v2,
                               int *status, const char **error, long *code)
{
    const char *grant = jstr(form, "grant_type"), *client = jstr(form, "client_id");
    const char *secret = jstr(form, "client_secret"), *refresh = jstr(form, "refresh_token");
    const char *resource = jstr(form, "resource"), *scope = jstr(form, "scope");
    long n;
    char tail;
    *status = 400;
    *error = "invalid_request";
    *code = 900144;
    if (!grant)
        return "The request body must contain the following parameter: 'grant_type'.";
    if (strcmp(grant, "client_credentials") && strcmp(grant, "refresh_token")) {
        *error = "unsupported_grant_type";
        *code = 70003;
        return "The app requested an unsupported grant type.";
    }
    if (!client || !*client)
        return "The request body must contain the following parameter: 'client_id'.";
    if (!strcmp(grant, "client_credentials") && (!secret || strcmp(secret, FM_AZURE_SECRET))) {
        *status = 401;
        *error = "invalid_client";
        *code = 7000215;
        return "Invalid client secret provided. Ensure the secret being sent in the request "
               "is the client secret value, not the client secret ID.";
    }
    if (!strcmp(grant, "refresh_token") &&
        (!refresh || sscanf(refresh, "fake-refresh-%ld%c", &n, &tail) != 1 || n < 1 ||
         (size_t)n > s->n_tokens)) {
        *error = "invalid_grant";
        *code = 9002313;
        return "Invalid request. Request is malformed or invalid (refresh token).";
    }
    if (!v2 && (!resource || !*resource))
        return "The request body must contain the following parameter: 'resource'.";
    if (v2 && (!scope || strlen(scope) < 9 || strcmp(scope + strlen(scope) - 9, "/.default"))) {
        *error = "invalid_scope";
        *code = 1002012;
        return "The provided value for scope is not valid. Client credential flows must have "
               "a scope value with /.default suffixed to the resource identifier.";
    }
    return NULL;
}

static void aad_grant(struct fm *f, const json_t *form, int v2, struct fm_answer *a)
{
    struct fm_azure *s = f->azure;
    const char *error, *why;
    char token[40], life[24], now_s[24], until_s[24];
    long code;
    int status;
    time_t now = time(NULL);
    if ((why = aad_refusal(s, form, v2, &status, &error, &code))) {
        aad_error(s, a, status, error, code, why);
        return;
    }
    s->token_expiry_ms = fm_xrealloc(s->token_expiry_ms,
                                     (s->n_tokens + 1) * sizeof *s->token_expiry_ms);
    s->token_expiry_ms[s->n_tokens++] = fm_now_ms(f) + f->token_lifetime_s * 1000;
    snprintf(token, sizeof token, "fake-token-%zu", s->n_tokens);
    snprintf(life, sizeof life, "%ld", f->token_lifetime_s);
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    snprintf(until_s, sizeof until_s, "%lld", (long long)now + f->token_lifetime_s);
    a->status = 200;
    if (v2)                          /* v2.0 answers numbers */
        a->body = json_pack("{s:s, s:I, s:I, s:s}", "token_type", "Bearer", "expires_in",
                            (json_int_t)f->token_lifetime_s, "ext_expires_in",
                            (json_int_t)f->token_lifetime_s, "access_token", token);
    else                             /* v1 answers strings, even for numbers */
        a->body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "token_type", "Bearer",
                            "expires_in", life, "ext_expires_in", life, "expires_on", until_s,
                            "not_before", now_s, "resource", jstr(form, "resource"),
                            "access_token", token);
    if (!strcmp(jstr(form, "grant_type"), "refresh_token")) {
        snprintf(token, sizeof token, "fake-refresh-%zu", s->n_tokens);
        json_object_set_new(a->body, "refresh_token", json_string(token));
    }
}

/* /<tenant>/oauth2/token or /<tenant>/oauth2/v2.0/token; 0 when the path is neither. */
static int aad_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    static const char *const secret_fields[] = {"client_secret", "refresh_token",
        "client_assertion", "assertion", "password", "code", NULL};
    const char *p = c->path + 1, *rest = strchr(p, '/');
    size_t tlen = rest ? (size_t)(rest - p) : 0;
    struct fm_fault ft;
    json_t *form;
    int v2;
    if (c->path[0] != '/' || !rest || !tlen || tlen > 64 ||
        (strcmp(rest, "/oauth2/token") && strcmp(rest, "/oauth2/v2.0/token")))
        return 0;
    v2 = !strcmp(rest, "/oauth2/v2.0/token");
    a->service = "aad";
    snprintf(a->operation, sizeof a->operation, "token");
    form = fm_form_parse(c->body ? c->body : "", c->body_len);
    a->log_extra = json_pack("{s:s%, s:s}", "tenant", p, tlen, "endpoint", v2 ? "v2.0" : "v1");
    if (strcmp(c->method, "POST"))
        aad_error(f->azure, a, 405, "invalid_request", 900561, "The endpoint only accepts POST "
                  "requests.");
    else if (fm_fault_take(f, "token", &ft))
        aad_error(f->azure, a, ft.type ? (int)ft.status : 429,   /* a throttle: AAD's 429 */
                  ft.type ? ft.type : "temporarily_unavailable", ft.type ? 90000 : 50196,
                  "Injected by fake_market.");
    else
        aad_grant(f, form, v2, a);
    for (const char *const *k = secret_fields; *k; k++)  /* secrets never reach the log */
        if (json_object_get(form, *k))
            json_object_set_new(form, *k, json_string("<redacted>"));
    a->log_body = form;
    return 1;
}

/* ---- Partner Center ------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static json_t *pc_error(struct fm_answer *a, int status, long code, const char *fmt, ...)
{
    char desc[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    json_decref(a->body);
    a->status = status;
    a->body = json_pack("{s:I, s:s, s:[], s:s}", "code", (json_int_t)code, "description", desc,
                        "data", "source", "PartnerFD");
    return NULL;
}

static json_t *entitlement_json(const struct fm *f, const struct entitlement *e)
{
    char uri[512];
    int gone = e->cancelled_ms >= 0 && fm_now_ms(f) >= e->cancelled_ms + f->azure_delay_ms;
    snprintf(uri, sizeof uri, "/customers/%s/subscriptions/%s/azureEntitlements/%s",
             e->customer, e->subscription, e->id);
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:s, s:s, s:[]}}, s:{s:s}}", "id", e->id,
                     "friendlyName", e->name, "status", gone ? "inactive" : "active",
                     "subscriptionId", e->subscription, "links", "self", "uri", uri, "method",
                     "GET", "headers", "attributes", "objectType", "AzureEntitlement");
}

/* 1 with the fake-token-N of a live grant; else 0. */
static int bearer_ok(const struct fm *f, const char *auth)
{
    const struct fm_azure *s = f->azure;
    long n;
    char tail;
    if (strncasecmp(auth, "Bearer ", 7) || sscanf(auth + 7, "fake-token-%ld%c", &n, &tail) != 1 ||
        n < 1 || (size_t)n > s->n_tokens)
        return 0;
    return fm_now_ms(f) < s->token_expiry_ms[n - 1];
}

static json_t *pc_cancel(struct fm *f, struct entitlement *e, const struct fm_call *c,
                         struct fm_answer *a)
{
    json_t *in = c->body_len ? json_loadb(c->body, c->body_len, 0, NULL) : NULL;
    const char *reason = jstr(in, "cancellationReason");
    json_t *out = NULL;
    a->log_body = json_is_object(in) ? json_incref(in) : NULL;
    if (!json_is_object(in) || !json_object_size(in))
        pc_error(a, 400, 800002, "The Azure entitlement cancellation request content is "
                 "required.");
    else if (!reason || strcmp(reason, "compromise"))
        pc_error(a, 400, 900307, "Cancellation reason '%s' is invalid.", reason ? reason : "");
    else {
        if (e->cancelled_ms < 0) {   /* cancelling twice changes nothing */
            e->cancelled_ms = fm_now_ms(f);
            f->azure->cancels++;
        }
        a->status = f->azure_cancel_status;
        out = entitlement_json(f, e);
    }
    json_decref(in);
    return out;
}

/* GET .../azureEntitlements, GET .../azureEntitlements/{e}, POST .../{e}/cancel */
static int pc_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    struct fm_azure *s = f->azure;
    char path[sizeof c->path], *seg[8] = {0}, *save = NULL, rid[48], corr[48];
    int n = 0, cancel;
    struct entitlement *e = NULL;
    struct replay *rp = NULL;
    struct fm_fault ft;
    json_t *out = NULL;
    snprintf(path, sizeof path, "%s", c->path);
    for (char *t = strtok_r(path, "/", &save); t && n < 8; t = strtok_r(NULL, "/", &save))
        seg[n++] = t;
    if (n < 6 || n > 8 || strcmp(seg[0], "v1") || strcmp(seg[1], "customers") ||
        strcmp(seg[3], "subscriptions") || strcasecmp(seg[5], "azureEntitlements") ||
        (n == 8 && strcmp(seg[7], "cancel")))
        return 0;
    cancel = n == 8;
    a->service = "partner";
    snprintf(a->operation, sizeof a->operation, "%s",
             cancel ? "cancel" : n == 7 ? "get_entitlement" : "list_entitlements");
    /* the caller's ids come back, as Partner Center echoes them; else new ones */
    if (c->ms_request_id[0])
        snprintf(rid, sizeof rid, "%.36s", c->ms_request_id);
    else
        guid(s, rid);
    if (c->ms_correlation_id[0])
        snprintf(corr, sizeof corr, "%.36s", c->ms_correlation_id);
    else
        guid(s, corr);
    fm_answer_header(a, "MS-RequestId", rid);
    fm_answer_header(a, "MS-CorrelationId", corr);
    fm_answer_header(a, "MS-CV", "fakeMarketCV0.1");
    a->log_extra = json_pack("{s:s, s:s, s:s, s:b}", "ms_request_id", c->ms_request_id,
                             "ms_correlation_id", c->ms_correlation_id, "ms_contract_version",
                             c->ms_contract_version, "token_ok", bearer_ok(f, c->authorization));
    if (cancel)
        s->cancel_calls++;
    if (cancel && strcmp(c->method, "POST")) {
        a->status = 405;
        return 1;
    }
    if (!cancel && strcmp(c->method, "GET")) {
        a->status = 405;
        return 1;
    }
    if (!bearer_ok(f, c->authorization)) {
        s->unauthorized++;
        fm_answer_header(a, "WWW-Authenticate", "Bearer realm=\"fake-partner-center\"");
        pc_error(a, 401, 401, "Unauthorized: the bearer token is missing, unknown or "
                 "expired.");
        return 1;
    }
    for (size_t i = 0; cancel && c->ms_request_id[0] && i < s->n_replays; i++)
        if (!strcmp(s->replays[i].request_id, c->ms_request_id))
            rp = &s->replays[i];
    if (rp) {                        /* the same request again: the same answer */
        s->replayed++;
        a->status = rp->status;
        a->body = json_deep_copy(rp->body);
        json_object_set_new(a->log_extra, "replayed", json_true());
        return 1;
    }
    if (fm_fault_take(f, a->operation, &ft)) {
        if (!ft.type) {              /* the throttling guidance: 429 and Retry-After */
            fm_answer_header(a, "Retry-After", "1");
            pc_error(a, 429, 429, "Rate limit is exceeded. Try again in 1 seconds.");
        } else {
            char *end;
            long code = strtol(ft.type, &end, 10);
            pc_error(a, (int)ft.status, *end ? 0 : code, "Injected by fake_market: %s", ft.type);
        }
        return 1;
    }
    if (!is_guid(seg[2]))
        pc_error(a, 400, 800002, "Customer ID %s should have GUID format "
                 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).", seg[2]);
    else if (strcasecmp(seg[2], s->ent[0].customer))
        pc_error(a, 403, 900159, "The partner with account ID fake-partner and organization ID "
                 "fake-partner has no commerce relationship with the customer with account ID "
                 "%s and organization ID unknown.", seg[2]);
    else if (strcasecmp(seg[4], s->ent[0].subscription))
        pc_error(a, 404, 20003, "Subscription with ID %s not found.", seg[4]);
    else if (n == 6) {
        a->status = 200;
        out = json_pack("{s:i, s:[o], s:{}, s:{s:s}}", "totalCount", 1, "items",
                        entitlement_json(f, &s->ent[0]), "links", "attributes", "objectType",
                        "Collection");
    } else if (strcmp(seg[6], s->ent[0].id))
        pc_error(a, 404, 800111, "Azure entitlement with ID %s isn't found.", seg[6]);
    else if (!cancel) {
        a->status = 200;
        out = entitlement_json(f, &s->ent[0]);
    } else {
        e = &s->ent[0];
        out = pc_cancel(f, e, c, a);
    }
    if (out) {
        json_decref(a->body);
        a->body = out;
    }
    if (cancel && c->ms_request_id[0]) {  /* remember the answer, whatever it was */
        s->replays = fm_xrealloc(s->replays, (s->n_replays + 1) * sizeof *s->replays);
        s->replays[s->n_replays].request_id = fm_xstrdup(c->ms_request_id);
        s->replays[s->n_replays].status = a->status;
        s->replays[s->n_replays++].body = json_deep_copy(a->body);
    }
    return 1;
}

int fm_azure_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    return aad_handle(f, c, a) || pc_handle(f, c, a);
}

/* ---- lifetime and stats ------------------------------------------------------------- */

struct fm_azure *fm_azure_new(void)
{
    struct fm_azure *s = fm_xrealloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->ent[0] = (struct entitlement){"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
                                     "9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789", "ent-0001",
                                     "Production Azure subscription", -1};
    return s;
}

void fm_azure_free(struct fm_azure *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_replays; i++) {
        free(s->replays[i].request_id);
        json_decref(s->replays[i].body);
    }
    free(s->replays);
    free(s->token_expiry_ms);
    free(s);
}

void fm_azure_stats(const struct fm *f, json_t *stats)
{
    const struct fm_azure *s = f->azure;
    json_object_set_new(stats, "token_grants", json_integer((json_int_t)s->n_tokens));
    json_object_set_new(stats, "partner", json_pack("{s:i, s:i, s:i, s:i}", "cancel_calls",
                        (int)s->cancel_calls, "cancels", (int)s->cancels, "replayed",
                        (int)s->replayed, "unauthorized", (int)s->unauthorized));
}
