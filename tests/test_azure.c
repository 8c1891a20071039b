/* tests/test_azure.c -- the Partner Center provider against a fake HTTP client and a
 * fake loop. The fake records every request and answers from a script, but only when
 * the test runs its queue (never inside send), so each test also checks that no
 * callback fires inside the call that registered it. Time is the world's integer
 * clock; settle() jumps it to the next timer, so retries cost no real time. Answers
 * come from tests/data/azure (CANCELBOT_TESTDATA, else beside this file). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include "tests/check.h"
#include "providers/azure.h"

#define T0 1767225600000LL
#define TENANT "9daaeb1c-4195-4db5-9f1d-509eb70c8c2d"
#define CLIENT "3c8c4b1e-0f5e-4d6b-9a57-2f1f3b2a9c10"
#define CUSTOMER "425829ba-6938-4b55-af29-fbbd28ebeebf"
#define SUBSCRIPTION "065eefc4-915b-453d-c558-152e39ec25b1"
#define ENTITLEMENT "5b76b8c3-dd85-4096-bb2e-9804b1d7b383"
#define SECRET "s3cr3t+/=&x~Q"
#define CONFIG "{\"tenants\": {\"default\": {\"tenant_id\": \"" TENANT "\", \"client_id\": \"" CLIENT "\"}}}"
#define MAX 32

struct script { enum http_transport transport; long status; char *body; const char *retry_after; };
struct timer { int64_t due; void (*fn)(void *); void *arg; };
struct answer { provider_cb cb; void *ud; struct provider_result res; };
struct pending { http_cb cb; void *ud; struct script s; };

struct world {
    struct http_client http;
    struct http_request sent[MAX];
    char *sent_body[MAX];
    int64_t sent_at[MAX];
    int n_sent;
    struct script script[MAX];
    int n_script, next_script;
    struct pending queue[MAX];
    int n_queue;
    struct timer timers[MAX];
    int n_timers;
    struct answer *answers[MAX];
    int n_answers;
    const char *env[16][2];
    int n_env, in_call, reentered, n_results, hold_clock;
    int64_t now;
    struct provider *p;
    struct provider_result last;
};

/* ---- the fakes -------------------------------------------------------------------- */

static int fake_send(struct http_client *c, const struct http_request *req, http_cb cb, void *ud)
{
    struct world *w = c->impl;
    if (w->n_sent >= MAX || w->next_script >= w->n_script)
        return -1;                       /* nothing scripted: the test sees a missing answer */
    w->sent[w->n_sent] = *req;
    w->sent_body[w->n_sent] = req->body ? strndup(req->body, req->body_len) : NULL;
    w->sent[w->n_sent].body = w->sent_body[w->n_sent];
    w->sent_at[w->n_sent++] = w->now;
    w->queue[w->n_queue++] = (struct pending){cb, ud, w->script[w->next_script++]};
    return 0;
}

static void fake_defer(void *loop, provider_cb cb, void *ud, const struct provider_result *res)
{
    struct world *w = loop;
    struct answer *a = malloc(sizeof(*a));
    *a = (struct answer){cb, ud, *res};
    w->answers[w->n_answers++] = a;
}

static void fake_defer_at(void *loop, int64_t due, void (*fn)(void *), void *arg)
{
    struct world *w = loop;
    w->timers[w->n_timers++] = (struct timer){due, fn, arg};
}

static int64_t fake_now(void *loop) { return ((struct world *)loop)->now; }

static const char *fake_getenv(void *ud, const char *name)
{
    struct world *w = ud;
    for (int i = 0; i < w->n_env; i++)
        if (!strcmp(w->env[i][0], name))
            return w->env[i][1];
    return NULL;
}

static void on_result(void *ud, const struct provider_result *res)
{
    struct world *w = ud;
    w->reentered |= w->in_call;
    w->last = *res;
    w->n_results++;
}

/* Runs queued answers and due timers; when idle, moves the clock to the next timer. */
static void settle(struct world *w)
{
    for (int progress = 1; progress;) {
        progress = 0;
        if (w->n_queue) {
            struct pending q = w->queue[0];
            struct http_response r;
            memmove(w->queue, w->queue + 1, (size_t)--w->n_queue * sizeof(q));
            memset(&r, 0, sizeof(r));
            r.transport = q.s.transport;
            r.status = q.s.transport == HTTP_OK ? q.s.status : 0;
            r.body = q.s.body ? q.s.body : "";
            r.body_len = strlen(r.body);
            snprintf(r.error, sizeof(r.error), "%s", q.s.transport ? "connection timed out" : "");
            if (q.s.retry_after) {
                snprintf(r.headers[0].name, sizeof(r.headers[0].name), "Retry-After");
                snprintf(r.headers[0].value, sizeof(r.headers[0].value), "%s", q.s.retry_after);
                r.n_headers = 1;
            }
            q.cb(q.ud, &r);
            progress = 1;
        } else if (w->n_answers) {
            struct answer *a = w->answers[0];
            memmove(w->answers, w->answers + 1, (size_t)--w->n_answers * sizeof(a));
            a->cb(a->ud, &a->res);
            free(a);
            progress = 1;
        } else if (w->n_timers) {
            int first = 0;
            for (int i = 1; i < w->n_timers; i++)
                if (w->timers[i].due < w->timers[first].due)
                    first = i;
            if (w->hold_clock && w->timers[first].due > w->now)
                break;
            struct timer t = w->timers[first];
            w->timers[first] = w->timers[--w->n_timers];
            if (t.due > w->now)
                w->now = t.due;
            t.fn(t.arg);
            progress = 1;
        }
    }
}

static char *data(const char *name)
{
    const char *root = getenv("CANCELBOT_TESTDATA");
    char path[4096], *text;
    json_t *j;
    if (root)
        snprintf(path, sizeof(path), "%s/azure/%s", root, name);
    else
        snprintf(path, sizeof(path), "%.*s/data/azure/%s",
                 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, name);
    j = json_load_file(path, 0, NULL);
    CHECK(j != NULL);
    text = j ? json_dumps(j, JSON_COMPACT) : strdup("{}");
    json_decref(j);
    return text;
}

static char *error_body(const char *key)
{
    char *all = data("errors.json"), *text;
    json_t *j = json_loads(all, 0, NULL);
    text = json_dumps(json_object_get(j, key), JSON_COMPACT);
    CHECK(text != NULL);
    json_decref(j);
    free(all);
    return text;
}

/* Scripts the next answer; body is a data file name, "{...}" literal, "!key" from
 * errors.json, or NULL. */
static void answer(struct world *w, long status, const char *body, const char *retry_after)
{
    char *b = !body ? NULL : body[0] == '{' ? strdup(body) : body[0] == '!' ? error_body(body + 1)
                                                                             : data(body);
    w->script[w->n_script++] = (struct script){HTTP_OK, status, b, retry_after};
}

static void answer_timeout(struct world *w)
{
    w->script[w->n_script++] = (struct script){HTTP_E_TIMEOUT, 0, NULL, NULL};
}

static void setenv_w(struct world *w, const char *name, const char *value)
{
    w->env[w->n_env][0] = name;
    w->env[w->n_env++][1] = value;
}

static struct world *world_new(void)
{
    struct world *w = calloc(1, sizeof(*w));
    w->http.send = fake_send;
    w->http.impl = w;
    w->now = T0;
    return w;
}

static struct provider *open_azure(struct world *w, const char *config, char *err, size_t errlen)
{
    struct provider_env env = {.loop = w, .defer = fake_defer, .defer_at = fake_defer_at,
                               .now_ms = fake_now, .http = &w->http};
    return w->p = azure_provider_new(&env, config, fake_getenv, w, err, errlen);
}

/* The usual world: one tenant with a client secret, provider open. */
static struct world *world(void)
{
    struct world *w = world_new();
    char err[512] = "";
    setenv_w(w, "AZURE_CLIENT_SECRET", SECRET);
    if (!open_azure(w, CONFIG, err, sizeof(err)))
        fprintf(stderr, "azure_provider_new: %s\n", err);
    CHECK(w->p != NULL);
    return w;
}

/* Frees the provider first, then runs what is left; returns the callbacks seen. */
static int world_free(struct world *w)
{
    int n;
    provider_free(w->p);
    w->hold_clock = 0;
    settle(w);                           /* orphaned calls end quietly and free themselves */
    n = w->n_results;
    for (int i = 0; i < w->n_sent; i++)
        free(w->sent_body[i]);
    for (int i = 0; i < w->n_script; i++)
        free(w->script[i].body);
    free(w);
    return n;
}

static const char *hdr(const struct http_request *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static int form_has(const char *body, const char *field)    /* exact "name=value" field */
{
    size_t n = strlen(field);
    for (const char *f = body; f && *f; f = strchr(f, '&') ? strchr(f, '&') + 1 : NULL)
        if (!strncmp(f, field, n) && (f[n] == '&' || !f[n]))
            return 1;
    return 0;
}

static struct provider_target target(void)
{
    struct provider_target t;
    memset(&t, 0, sizeof(t));
    t.market = MARKET_AZURE;
    snprintf(t.customer_id, sizeof(t.customer_id), CUSTOMER);
    snprintf(t.subscription_id, sizeof(t.subscription_id), SUBSCRIPTION);
    snprintf(t.entitlement_id, sizeof(t.entitlement_id), ENTITLEMENT);
    return t;
}

static struct provider_submission cancel(void)
{
    struct provider_submission s;
    memset(&s, 0, sizeof(s));
    s.kind = REQUEST_CANCEL;
    s.target = target();
    snprintf(s.reason_code, sizeof(s.reason_code), "compromise");
    snprintf(s.client_token, sizeof(s.client_token), "cancelbot-CR-1");
    return s;
}

static int submit(struct world *w, const struct provider_submission *s)
{
    int rc;
    w->in_call = 1;
    rc = provider_submit(w->p, s, on_result, w);
    w->in_call = 0;
    settle(w);
    return rc;
}

static int lookup(struct world *w, const struct provider_target *t)
{
    int rc;
    w->in_call = 1;
    rc = provider_lookup(w->p, t, on_result, w);
    w->in_call = 0;
    settle(w);
    return rc;
}

static int count_to(const struct world *w, const char *url_part)
{
    int n = 0;
    for (int i = 0; i < w->n_sent; i++)
        n += strstr(w->sent[i].url, url_part) != NULL;
    return n;
}

/* ---- sign-in --------------------------------------------------------------------- */

static void test_token_is_fetched_with_client_credentials_form(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 202, NULL, NULL);
    CHECK(submit(w, &s) == 0);
    CHECK(w->n_sent == 2 && w->last.rc == PROVIDER_OK && !w->reentered);
    CHECK_STR(w->sent[0].method, "POST");
    CHECK_STR(w->sent[0].url, "https://login.microsoftonline.com/" TENANT "/oauth2/token");
    CHECK_STR(hdr(&w->sent[0], "Content-Type"), "application/x-www-form-urlencoded");
    CHECK(form_has(w->sent[0].body, "grant_type=client_credentials"));
    CHECK(form_has(w->sent[0].body, "client_id=" CLIENT));
    CHECK(form_has(w->sent[0].body, "client_secret=s3cr3t%2B%2F%3D%26x~Q"));
    CHECK(form_has(w->sent[0].body, "resource=https%3A%2F%2Fapi.partnercenter.microsoft.com"));
    CHECK(w->sent[0].timeout_ms > 0);
    CHECK_STR(hdr(&w->sent[1], "Authorization"),
              "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.v1-token-one.sig");
    world_free(w);
}

static void test_token_v2_setting_uses_scope_endpoint(void)
{
    struct world *w = world_new();
    struct provider_target t = target();
    char err[512];
    setenv_w(w, "AZURE_CLIENT_SECRET", SECRET);
    CHECK(open_azure(w, "{\"token_version\": \"v2\", \"tenants\": {\"default\": {\"tenant_id\": \""
                     TENANT "\", \"client_id\": \"" CLIENT "\"}}}", err, sizeof(err)) != NULL);
    answer(w, 200, "token_v2.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    lookup(w, &t);
    CHECK_STR(w->sent[0].url, "https://login.microsoftonline.com/" TENANT "/oauth2/v2.0/token");
    CHECK(form_has(w->sent[0].body, "scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default"));
    CHECK(!strstr(w->sent[0].body, "resource="));
    CHECK(w->last.rc == PROVIDER_OK);
    provider_free(w->p);
    CHECK(!open_azure(w, "{\"token_version\": \"v3\"}", err, sizeof(err)));
    CHECK_CONTAINS(err, "token_version");
    world_free(w);
}

static void test_token_is_cached_and_shared(void)
{
    struct world *w = world();
    struct provider_target t = target();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    w->in_call = 1;                      /* two calls before the token arrives: one sign-in */
    CHECK(provider_lookup(w->p, &t, on_result, w) == 0);
    CHECK(provider_lookup(w->p, &t, on_result, w) == 0);
    w->in_call = 0;
    settle(w);
    CHECK(w->n_results == 2 && !w->reentered);
    lookup(w, &t);                       /* and a later one uses the cache */
    CHECK(count_to(w, "/oauth2/") == 1 && count_to(w, "azureEntitlements") == 3);
    world_free(w);
}

static void test_token_renewed_five_minutes_before_expiry(void)
{
    struct world *w = world();
    struct provider_target t = target();
    answer(w, 200, "token_v1.json", NULL);          /* expires_in 3599 s */
    answer(w, 200, "entitlement_active.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    answer(w, 200, "token_v2.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    lookup(w, &t);
    w->now = T0 + 3599000 - AZURE_TOKEN_RENEW_AHEAD_MS - 1;
    lookup(w, &t);
    CHECK(count_to(w, "/oauth2/") == 1);
    w->now += 1;                         /* exactly 5 minutes before expiry: renew */
    lookup(w, &t);
    CHECK(count_to(w, "/oauth2/") == 2);
    CHECK_CONTAINS(hdr(&w->sent[w->n_sent - 1], "Authorization"), "v2-token");
    world_free(w);
}

static void test_401_renews_token_once_then_names_the_role(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 401, "!401", NULL);
    answer(w, 200, "token_v2.json", NULL);
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->last.rc == PROVIDER_OK && count_to(w, "/oauth2/") == 2);
    CHECK_CONTAINS(hdr(&w->sent[3], "Authorization"), "v2-token");
    w->n_results = 0;
    answer(w, 401, "!401", NULL);        /* cached token refused: renew once, then give up */
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 401, "!401", NULL);
    submit(w, &s);
    CHECK(w->n_results == 1 && w->last.rc == PROVIDER_E_AUTH && count_to(w, "/oauth2/") == 3);
    CHECK_CONTAINS(w->last.message, "Global Administrator role with Admin Agent");
    world_free(w);
}

static void test_refresh_token_grant_keeps_the_rotated_token(void)
{
    struct world *w = world_new();
    struct provider_submission s = cancel();
    char err[512];
    setenv_w(w, "AZURE_REFRESH_TOKEN", "0.ARoA-first-refresh-token");
    setenv_w(w, "AZURE_CLIENT_SECRET_FILE", "/nonexistent/secret");
    CHECK(!open_azure(w, CONFIG, err, sizeof(err)));
    CHECK_CONTAINS(err, "AZURE_CLIENT_SECRET_FILE");
    w->n_env = 1;                        /* a public client: refresh token, no secret */
    CHECK(open_azure(w, CONFIG, err, sizeof(err)) != NULL);
    answer(w, 200, "token_refresh.json", NULL);
    answer(w, 401, "!401", NULL);
    answer(w, 200, "token_refresh.json", NULL);
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(form_has(w->sent[0].body, "grant_type=refresh_token"));
    CHECK(form_has(w->sent[0].body, "refresh_token=0.ARoA-first-refresh-token"));
    CHECK(form_has(w->sent[0].body, "scope=openid") && !strstr(w->sent[0].body, "client_secret"));
    CHECK(form_has(w->sent[2].body, "refresh_token=0.ARoA-rotated-refresh-token"));
    CHECK(w->last.rc == PROVIDER_OK);
    world_free(w);
}

static void test_secrets_come_from_files_and_never_into_messages(void)
{
    struct world *w = world_new();
    struct provider_target t = target();
    char path[] = "/tmp/test_azure_secretXXXXXX", err[512] = "";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "file-secret-value\n", 18) == 18);
    close(fd);
    CHECK(!open_azure(w, CONFIG, err, sizeof(err)));         /* no secret at all */
    CHECK_CONTAINS(err, "AZURE_CLIENT_SECRET");
    setenv_w(w, "AZURE_CLIENT_SECRET_DEFAULT_FILE", path);
    setenv_w(w, "AZURE_CLIENT_SECRET", SECRET);              /* the tenant's own wins */
    CHECK(open_azure(w, CONFIG, err, sizeof(err)) != NULL);
    answer(w, 401, "token_invalid_client.json", NULL);
    lookup(w, &t);
    CHECK(form_has(w->sent[0].body, "client_secret=file-secret-value"));
    CHECK(w->last.rc == PROVIDER_E_AUTH);
    CHECK_CONTAINS(w->last.message, "AADSTS7000215");
    CHECK_CONTAINS(w->last.message, "client secret is wrong");
    CHECK(!strstr(w->last.message, "file-secret") && !strstr(w->last.message, SECRET));
    provider_free(w->p);
    w->p = NULL;
    setenv_w(w, "AZURE_CLIENT_SECRET_DEFAULT", SECRET);      /* both value and file: refused */
    CHECK(!open_azure(w, CONFIG, err, sizeof(err)));
    CHECK_CONTAINS(err, "set only one");
    CHECK(!strstr(err, SECRET) && !strstr(err, "file-secret"));
    unlink(path);
    world_free(w);
}

/* ---- cancel ------------------------------------------------------------------------ */

static void test_cancel_request_has_documented_shape(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    const struct http_request *r;
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    submit(w, &s);
    r = &w->sent[1];
    CHECK_STR(r->method, "POST");
    CHECK_STR(r->url, "https://api.partnercenter.microsoft.com/v1/customers/" CUSTOMER
              "/subscriptions/" SUBSCRIPTION "/azureEntitlements/" ENTITLEMENT "/cancel");
    CHECK_STR(r->body, "{\"cancellationReason\":\"compromise\"}");
    CHECK_STR(hdr(r, "Accept"), "application/json");
    CHECK_STR(hdr(r, "Content-Type"), "application/json");
    CHECK_STR(hdr(r, "MS-Contract-Version"), "v1");
    CHECK(azure_is_guid(hdr(r, "MS-RequestId")) && azure_is_guid(hdr(r, "MS-CorrelationId")));
    {
        /* The first request id comes from the client token (version 5), so a re-run
         * after a crash is a replay at Partner Center; the correlation id is random. */
        char expect[AZURE_GUID_LEN + 1];
        CHECK(azure_guid_from("cancelbot-CR-1", expect) == 0);
        CHECK_STR(hdr(r, "MS-RequestId"), expect);
        CHECK(hdr(r, "MS-RequestId")[14] == '5');
        CHECK(hdr(r, "MS-CorrelationId")[14] == '4');
    }
    CHECK(r->timeout_ms > 0 && r->timeout_ms <= AZURE_REQUEST_TIMEOUT_MS);
    CHECK(w->last.rc == PROVIDER_OK && w->last.status == MSTATUS_PENDING);
    CHECK_STR(w->last.status_raw, "active");
    CHECK(!strncmp(w->last.ref, ENTITLEMENT "#", strlen(ENTITLEMENT) + 1));
    CHECK_STR(strchr(w->last.ref, '#') + 1, hdr(r, "MS-CorrelationId"));
    world_free(w);
}

static void test_202_without_body_is_accepted(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->last.rc == PROVIDER_OK && w->last.ref[0]);
    CHECK_STR(w->last.status_raw, "accepted");
    world_free(w);
}

static void test_429_waits_retry_after_with_new_request_id(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 429, "!429", "2");
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->last.rc == PROVIDER_OK && w->n_sent == 3);
    CHECK(w->sent_at[2] - w->sent_at[1] == 2000);
    CHECK(strcmp(hdr(&w->sent[1], "MS-RequestId"), hdr(&w->sent[2], "MS-RequestId")) != 0);
    CHECK_STR(hdr(&w->sent[1], "MS-CorrelationId"), hdr(&w->sent[2], "MS-CorrelationId"));
    world_free(w);
}

static void test_throttling_gives_up_after_the_budget(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 429, "!429", "20");
    answer(w, 429, "!429", "20");        /* 20 + 20 s is past the 30 s budget */
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->n_results == 1 && w->last.rc == PROVIDER_E_THROTTLED && w->n_sent == 3);
    CHECK_CONTAINS(w->last.message, "throttling");
    world_free(w);
}

static void test_5xx_backs_off_then_succeeds(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 503, "!500", NULL);
    answer(w, 500, "!500", NULL);
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->last.rc == PROVIDER_OK && w->n_sent == 4);
    CHECK(w->sent_at[2] - w->sent_at[1] == AZURE_BACKOFF_FIRST_MS);
    CHECK(w->sent_at[3] - w->sent_at[2] == 2 * AZURE_BACKOFF_FIRST_MS);
    world_free(w);
}

static void test_timeout_retry_reuses_request_id_until_answered(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    answer(w, 200, "token_v1.json", NULL);
    answer_timeout(w);
    answer(w, 429, "!429", "1");
    answer(w, 202, NULL, NULL);
    submit(w, &s);
    CHECK(w->last.rc == PROVIDER_OK && w->n_sent == 4);
    CHECK_STR(hdr(&w->sent[1], "MS-RequestId"), hdr(&w->sent[2], "MS-RequestId"));
    CHECK(strcmp(hdr(&w->sent[2], "MS-RequestId"), hdr(&w->sent[3], "MS-RequestId")) != 0);
    world_free(w);
}

static void test_documented_errors_become_sentences(void)
{
    static const struct { long status; const char *body; enum provider_rc rc; const char *says; } k[] = {
        {400, "!900118", PROVIDER_E_INVALID, "does not accept customer ID " CUSTOMER},
        {400, "!800002_guid", PROVIDER_E_INVALID, "must be a GUID"},
        {400, "!800002_subscription", PROVIDER_E_INVALID, "subscription ID is required"},
        {400, "!800002_entitlement", PROVIDER_E_INVALID, "entitlement ID is required"},
        {400, "!800002_content", PROVIDER_E_INVALID, "had no content"},
        {403, "!900159", PROVIDER_E_NOT_FOUND,
         "\"default\" has no commerce relationship with customer " CUSTOMER},
        {400, "!900307", PROVIDER_E_INVALID, "refused the cancellation reason"},
        {404, "!800111", PROVIDER_E_NOT_FOUND, "no Azure entitlement " ENTITLEMENT},
        {403, "!403", PROVIDER_E_DENIED, "Global Administrator role with Admin Agent"},
        {409, "!409", PROVIDER_E_CONFLICT, "HTTP 409, error 27009"},
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        struct world *w = world();
        struct provider_submission s = cancel();
        answer(w, 200, "token_v1.json", NULL);
        answer(w, k[i].status, k[i].body, NULL);
        submit(w, &s);
        if (w->last.rc != k[i].rc)
            fprintf(stderr, "case %s: rc %d\n", k[i].body, w->last.rc);
        CHECK(w->n_results == 1 && w->last.rc == k[i].rc && w->n_sent == 2);
        CHECK_CONTAINS(w->last.message, k[i].says);
        CHECK(!strstr(w->last.message, SECRET) && !strstr(w->last.message, "v1-token-one"));
        world_free(w);
    }
}

static void test_invalid_input_is_refused_before_sending(void)
{
    static const struct { const char *field, *value, *says; } k[] = {
        {"customer", "not-a-guid", "must be a GUID"},
        {"subscription", "", "subscription ID is required"},
        {"entitlement", "", "entitlement ID is required"},
        {"entitlement", "../../partners", "may contain only"},
        {"reason", "REPLACING_AGREEMENT", "only for compromise"},
        {"account", "emea", "No Partner Center tenant named \"emea\""},
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        struct world *w = world();
        struct provider_submission s = cancel();
        char *f = !strcmp(k[i].field, "customer") ? s.target.customer_id
                  : !strcmp(k[i].field, "subscription") ? s.target.subscription_id
                  : !strcmp(k[i].field, "entitlement") ? s.target.entitlement_id
                  : !strcmp(k[i].field, "reason") ? s.reason_code : s.target.account;
        strcpy(f, k[i].value);
        answer(w, 200, "token_v1.json", NULL);
        answer(w, 202, NULL, NULL);
        CHECK(submit(w, &s) == 0);
        CHECK(w->n_results == 1 && !w->reentered && w->n_sent == 0);
        CHECK(w->last.rc == PROVIDER_E_INVALID);
        CHECK_CONTAINS(w->last.message, k[i].says);
        world_free(w);
    }
}

/* ---- tenants, endpoints, lookup, poll, suspend, lifetime --------------------------- */

static void test_each_tenant_signs_in_with_its_own_credentials(void)
{
    struct world *w = world_new();
    struct provider_target t = target();
    char err[512];
    setenv_w(w, "AZURE_CLIENT_SECRET", SECRET);
    setenv_w(w, "AZURE_CLIENT_SECRET_EMEA_WEST", "emea-secret");
    CHECK(open_azure(w, "{\"tenants\": {\"default\": {\"tenant_id\": \"" TENANT "\", \"client_id\": \""
                     CLIENT "\"}, \"emea-west\": {\"tenant_id\": \"contoso-emea.onmicrosoft.com\", "
                     "\"client_id\": \"" CUSTOMER "\"}}}", err, sizeof(err)) != NULL);
    strcpy(t.account, "emea-west");
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    lookup(w, &t);
    CHECK_CONTAINS(w->sent[0].url, "/contoso-emea.onmicrosoft.com/oauth2/token");
    CHECK(form_has(w->sent[0].body, "client_secret=emea-secret"));
    CHECK(form_has(w->sent[0].body, "client_id=" CUSTOMER));
    world_free(w);
}

static void test_endpoint_overrides_and_plain_http_only_to_loopback(void)
{
    struct world *w = world_new();
    struct provider_target t = target();
    char err[512];
    setenv_w(w, "AZURE_CLIENT_SECRET", SECRET);
    setenv_w(w, "PARTNER_CENTER_URL", "http://127.0.0.1:8443/");
    setenv_w(w, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us");
    CHECK(open_azure(w, CONFIG, err, sizeof(err)) != NULL);
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    lookup(w, &t);
    CHECK_STR(w->sent[0].url, "https://login.microsoftonline.us/" TENANT "/oauth2/token");
    CHECK_STR(w->sent[1].url, "http://127.0.0.1:8443/v1/customers/" CUSTOMER "/subscriptions/"
              SUBSCRIPTION "/azureEntitlements/" ENTITLEMENT);
    provider_free(w->p);
    w->env[1][1] = "http://partnercenter.example.com";  /* a secret must not cross in clear */
    CHECK(!open_azure(w, CONFIG, err, sizeof(err)));
    CHECK_CONTAINS(err, "PARTNER_CENTER_URL");
    world_free(w);
}

static void test_lookup_fills_the_agreement(void)
{
    struct world *w = world();
    struct provider_target t = target();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    CHECK(lookup(w, &t) == 0);
    CHECK_STR(w->sent[1].method, "GET");
    CHECK(w->last.rc == PROVIDER_OK && w->last.n_matches == 1);
    CHECK_STR(w->last.matches[0].id, ENTITLEMENT);
    CHECK_STR(w->last.matches[0].buyer_account, CUSTOMER);
    CHECK_STR(w->last.matches[0].subscription_id, SUBSCRIPTION);
    CHECK_STR(w->last.matches[0].product, "Cancel_Azure_Subscription");
    CHECK_STR(w->last.matches[0].status, "active");
    world_free(w);
}

static void test_poll_reads_active_as_pending_and_inactive_as_done(void)
{
    struct world *w = world();
    struct provider_ref r;
    memset(&r, 0, sizeof(r));
    r.target = target();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "entitlement_active.json", NULL);
    answer(w, 200, "entitlement_inactive.json", NULL);
    answer(w, 200, "{\"id\": \"x\"}", NULL);
    for (int i = 0; i < 3; i++) {
        w->in_call = 1;
        CHECK(provider_poll(w->p, &r, on_result, w) == 0);
        w->in_call = 0;
        settle(w);
        CHECK(!w->reentered);
        if (i == 0)
            CHECK(w->last.rc == PROVIDER_OK && w->last.status == MSTATUS_PENDING);
        if (i == 1)
            CHECK(w->last.rc == PROVIDER_OK && w->last.status == MSTATUS_APPROVED);
        if (i < 2)
            CHECK_STR(w->last.status_raw, i ? "inactive" : "active");
    }
    CHECK(w->last.rc == PROVIDER_E_UNAVAILABLE);       /* an answer without a status */
    CHECK(provider_withdraw(w->p, &r, "changed my mind", on_result, w) == PROVIDER_E_UNSUPPORTED);
    world_free(w);
}

static void test_refund_is_refused_without_sending(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    s.kind = REQUEST_REFUND;
    CHECK(submit(w, &s) == 0);
    CHECK(w->n_sent == 0 && w->last.rc == PROVIDER_E_UNSUPPORTED && !w->reentered);
    world_free(w);
}

static void test_suspend_patches_the_subscription_with_its_etag(void)
{
    struct world *w = world();
    struct provider_target t = target();
    struct http_request req;
    struct http_response res;
    struct provider_result out;
    char *sub = data("subscription.json"), *done = data("subscription_suspended.json");
    char *body = NULL, err[300];
    CHECK(azure_build_suspend("https://pc.test", &t, sub, strlen(sub), "tok", CUSTOMER, TENANT,
                              &req, &body, err, sizeof(err)) == 0);
    CHECK_STR(req.method, "PATCH");
    CHECK_STR(req.url, "https://pc.test/v1/customers/" CUSTOMER "/subscriptions/" SUBSCRIPTION);
    CHECK_STR(hdr(&req, "If-Match"), "eyJpZCI6IjA2NWVlZmM0In0=");
    CHECK(body && strstr(body, "\"status\":\"suspended\"") && strstr(body, "\"orderId\""));
    free(body);
    CHECK(azure_build_suspend("https://pc.test", &t, "{\"status\":\"active\"}", 19, "tok",
                              CUSTOMER, TENANT, &req, &body, err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "without an etag");
    memset(&res, 0, sizeof(res));
    res.status = 200;
    res.body = sub;
    res.body_len = strlen(sub);
    CHECK(azure_parse_suspend(&res, &t, &out) == PROVIDER_E_CONFLICT);
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 200, "subscription.json", NULL);
    answer(w, 200, "subscription_suspended.json", NULL);
    w->in_call = 1;
    CHECK(azure_suspend(w->p, &t, on_result, w) == 0);
    w->in_call = 0;
    settle(w);
    CHECK(w->n_sent == 3 && !strcmp(w->sent[1].method, "GET") && !strcmp(w->sent[2].method, "PATCH"));
    CHECK(strcmp(hdr(&w->sent[1], "MS-RequestId"), hdr(&w->sent[2], "MS-RequestId")) != 0);
    CHECK_STR(hdr(&w->sent[1], "MS-CorrelationId"), hdr(&w->sent[2], "MS-CorrelationId"));
    CHECK(w->last.rc == PROVIDER_OK && !w->reentered);
    CHECK_STR(w->last.status_raw, "suspended");
    CHECK_STR(w->last.ref + strlen(SUBSCRIPTION) + 1, hdr(&w->sent[2], "MS-CorrelationId"));
    free(sub);
    free(done);
    world_free(w);
}

static void test_freeing_with_calls_in_flight_ends_them_quietly(void)
{
    struct world *w = world();
    struct provider_submission s = cancel();
    struct provider_target t = target();
    answer(w, 200, "token_v1.json", NULL);
    answer(w, 429, "!429", "5");
    answer(w, 503, "!500", NULL);        /* arrives after the free: must not retry */
    w->hold_clock = 1;
    CHECK(provider_submit(w->p, &s, on_result, w) == 0);
    settle(w);                                               /* waits on a retry timer */
    CHECK(provider_lookup(w->p, &t, on_result, w) == 0);     /* waits for its answer */
    CHECK(w->n_timers == 1 && w->n_queue == 1);
    CHECK(world_free(w) == 0);                               /* no callback after free */
    w = world();
    answer(w, 200, "token_v1.json", NULL);
    CHECK(provider_submit(w->p, &s, on_result, w) == 0);     /* both wait for the token */
    CHECK(provider_lookup(w->p, &t, on_result, w) == 0);
    CHECK(w->n_sent == 1);
    CHECK(world_free(w) == 0);                               /* ASan: nothing leaks */
}

int main(void)
{
    RUN(test_token_is_fetched_with_client_credentials_form);
    RUN(test_token_v2_setting_uses_scope_endpoint);
    RUN(test_token_is_cached_and_shared);
    RUN(test_token_renewed_five_minutes_before_expiry);
    RUN(test_401_renews_token_once_then_names_the_role);
    RUN(test_refresh_token_grant_keeps_the_rotated_token);
    RUN(test_secrets_come_from_files_and_never_into_messages);
    RUN(test_cancel_request_has_documented_shape);
    RUN(test_202_without_body_is_accepted);
    RUN(test_429_waits_retry_after_with_new_request_id);
    RUN(test_throttling_gives_up_after_the_budget);
    RUN(test_5xx_backs_off_then_succeeds);
    RUN(test_timeout_retry_reuses_request_id_until_answered);
    RUN(test_documented_errors_become_sentences);
    RUN(test_invalid_input_is_refused_before_sending);
    RUN(test_each_tenant_signs_in_with_its_own_credentials);
    RUN(test_endpoint_overrides_and_plain_http_only_to_loopback);
    RUN(test_lookup_fills_the_agreement);
    RUN(test_poll_reads_active_as_pending_and_inactive_as_done);
    RUN(test_refund_is_refused_without_sending);
    RUN(test_suspend_patches_the_subscription_with_its_etag);
    RUN(test_freeing_with_calls_in_flight_ends_them_quietly);
    return check_summary();
}
