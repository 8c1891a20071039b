/* bot/slack_api.c -- Slack Web API calls: build, send, retry, answer. Read methods
 * take form-encoded arguments and write methods JSON, as Slack documents them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "bot/slack_api.h"
#include "bot/log.h"

#define CALL_TIMEOUT_MS 10000
#define UPLOAD_TIMEOUT_MS 60000
#define MAX_RATE_LIMIT_WAITS 5
#define MAX_TRANSIENT_RETRIES 3

struct slack_api {
    char base_url[512];
    char bot_token[256];
    char app_token[256];
    struct http_client *http;
    struct loop *loop;
    int in_flight;
    struct slack_call *waiting;  /* calls waiting in the loop for their retry */
    struct metrics *metrics;     /* 429s by method; NULL: not counted */
};

struct slack_call {
    struct slack_api *api;
    char method[64];
    enum slack_token token;
    json_t *args;
    slack_api_cb cb;
    void *ud;
    int rate_limit_waits;
    int transient_retries;
    int cancelled;               /* answered by slack_api_free; only the struct is left */
    int once;                    /* transport errors and 5xx answered at once */
    struct slack_call *next_waiting;
};

/* Methods Slack documents as taking application/x-www-form-urlencoded only. */
static int is_form_method(const char *m)
{
    static const char *const form[] = {"apps.connections.open", "auth.test", "users.info",
                                       "usergroups.users.list", "conversations.info",
                                       "conversations.open", "files.getUploadURLExternal",
                                       "conversations.history", "conversations.replies"};
    for (size_t i = 0; i < sizeof(form) / sizeof(form[0]); i++)
        if (strcmp(m, form[i]) == 0)
            return 1;
    return 0;
}

static char *form_encode(json_t *args)
{
    const char *key;
    json_t *value;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    int first = 1;
    if (!f)
        return NULL;
    json_object_foreach(args, key, value) {
        char *k = curl_easy_escape(NULL, key, 0), *v = NULL, num[32];
        const char *raw = json_is_string(value) ? json_string_value(value) : NULL;
        if (!raw && json_is_integer(value)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(value));
            raw = num;
        }
        if (raw)
            v = curl_easy_escape(NULL, raw, 0);
        if (k && v)
            fprintf(f, "%s%s=%s", first ? "" : "&", k, v);
        first = 0;
        curl_free(k);
        curl_free(v);
    }
    fclose(f);
    return out;
}

static void call_free(struct slack_call *c)
{
    json_decref(c->args);
    free(c);
}

static void call_answer(struct slack_call *c, int ok, json_t *answer, const char *error)
{
    c->api->in_flight--;
    if (c->cb)
        c->cb(c->ud, ok, answer, error);
    else if (!ok)
        log_warn("slack %s failed: %s", c->method, error);
    call_free(c);
}

static int call_send(struct slack_call *c);

static void call_retry(void *arg)
{
    struct slack_call *c = arg;
    if (c->cancelled) {
        free(c);
        return;
    }
    for (struct slack_call **p = &c->api->waiting; *p; p = &(*p)->next_waiting) {
        if (*p == c) {
            *p = c->next_waiting;
            break;
        }
    }
    if (call_send(c) != 0)
        call_answer(c, 0, NULL, "could not send the request");
}

static void retry_later(struct slack_call *c, int64_t delay_ms)
{
    c->next_waiting = c->api->waiting;
    c->api->waiting = c;
    loop_defer_at(c->api->loop, loop_now_ms(c->api->loop) + delay_ms, call_retry, c);
}

static void on_http_answer(void *ud, const struct http_response *res)
{
    struct slack_call *c = ud;
    json_t *answer = NULL;
    json_error_t jerr;
    int ok;
    if (res->transport != HTTP_OK || res->status >= 500) {
        char status[32];
        /* A keyed message (one the outbox posts) may have been taken before the
         * answer was lost: its owner retries, and looks for it first. */
        if (json_object_get(c->args, "metadata")) {
            log_warn("slack %s: %s; the outbox retries it", c->method,
                     res->transport != HTTP_OK ? res->error : "server error");
            call_answer(c, 0, NULL, "slack_server_error");
            return;
        }
        if (!c->once && c->transient_retries++ < MAX_TRANSIENT_RETRIES) {
            log_warn("slack %s: %s; retrying", c->method,
                     res->transport != HTTP_OK ? res->error : "server error");
            retry_later(c, 1000LL << c->transient_retries);
            return;
        }
        snprintf(status, sizeof(status), "HTTP %ld", res->status);
        call_answer(c, 0, NULL, res->transport != HTTP_OK ? res->error
                                : c->once ? status : "slack_server_error");
        return;
    }
    if (res->status == 429) {
        int64_t wait = http_retry_after_ms(res);
        if (c->api->metrics)
            metrics_labeled_add(&c->api->metrics->slack_rate_limited, c->method, NULL, NULL, 1);
        if (c->rate_limit_waits++ < MAX_RATE_LIMIT_WAITS) {
            log_info("slack %s rate-limited; retrying in %lld ms", c->method,
                     (long long)(wait > 0 ? wait : 1000));
            retry_later(c, wait > 0 ? wait : 1000);
            return;
        }
        call_answer(c, 0, NULL, "ratelimited");
        return;
    }
    if (!(answer = json_loadb(res->body, res->body_len, 0, &jerr)) || !json_is_object(answer)) {
        call_answer(c, 0, NULL, "invalid_response");
        json_decref(answer);
        return;
    }
    ok = json_is_true(json_object_get(answer, "ok"));
    call_answer(c, ok, answer, ok ? NULL : json_string_value(json_object_get(answer, "error"))
                                      ? json_string_value(json_object_get(answer, "error"))
                                      : "unknown_error");
    json_decref(answer);
}

static int call_send(struct slack_call *c)
{
    struct http_request *req = calloc(1, sizeof(*req));
    char *body = NULL, auth[300];
    int rc = -1, form = is_form_method(c->method);
    if (!req)
        return -1;
    snprintf(req->method, sizeof(req->method), "POST");
    if ((size_t)snprintf(req->url, sizeof(req->url), "%s%s", c->api->base_url, c->method) >=
        sizeof(req->url))
        goto out;
    body = form ? form_encode(c->args) : json_dumps(c->args, JSON_COMPACT);
    if (!body)
        goto out;
    snprintf(auth, sizeof(auth), "Bearer %s",
             c->token == SLACK_TOKEN_APP ? c->api->app_token : c->api->bot_token);
    if (http_request_add_header(req, "Authorization", auth) ||
        http_request_add_header(req, "Content-Type",
                                form ? "application/x-www-form-urlencoded"
                                     : "application/json; charset=utf-8"))
        goto out;
    req->body = body;
    req->body_len = strlen(body);
    req->timeout_ms = CALL_TIMEOUT_MS;
    rc = http_send(c->api->http, req, on_http_answer, c);
out:
    memset(auth, 0, sizeof(auth));
    if (req)
        memset(req->headers, 0, sizeof(req->headers));   /* the token lived there */
    free(body);
    free(req);
    return rc;
}

static int api_call(struct slack_api *a, const char *method, enum slack_token token,
                    json_t *args, slack_api_cb cb, void *ud, int once)
{
    struct slack_call *c = calloc(1, sizeof(*c));
    if (!c || !args) {
        free(c);
        json_decref(args);
        return -1;
    }
    c->api = a;
    snprintf(c->method, sizeof(c->method), "%s", method);
    c->token = token;
    c->args = args;
    c->cb = cb;
    c->ud = ud;
    c->once = once;
    if (call_send(c) != 0) {
        call_free(c);
        return -1;
    }
    a->in_flight++;
    return 0;
}

int slack_api_call(struct slack_api *a, const char *method, enum slack_token token,
                   json_t *args, slack_api_cb cb, void *ud)
{
    return api_call(a, method, token, args, cb, ud, 0);
}

int slack_api_call_once(struct slack_api *a, const char *method, enum slack_token token,
                        json_t *args, slack_api_cb cb, void *ud)
{
    return api_call(a, method, token, args, cb, ud, 1);
}

int slack_token_error(const char *error)
{
    static const char *const refusals[] = {
        "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
        "not_allowed_token_type",
    };
    for (size_t i = 0; error && i < sizeof(refusals) / sizeof(refusals[0]); i++)
        if (strcmp(error, refusals[i]) == 0)
            return 1;
    return 0;
}

const char *slack_api_base_url(const struct slack_api *a)
{
    return a->base_url;
}

struct upload {
    struct slack_api *api;
    slack_upload_cb cb;
    void *ud;
};

static void on_upload_answer(void *ud, const struct http_response *res)
{
    struct upload *u = ud;
    char why[300];
    u->api->in_flight--;
    if (res->transport != HTTP_OK)
        u->cb(u->ud, 0, res->error[0] ? res->error : "no answer");
    else if (res->status != 200) {
        snprintf(why, sizeof(why), "HTTP %ld", res->status);
        u->cb(u->ud, 0, why);
    } else {
        u->cb(u->ud, 1, NULL);
    }
    free(u);
}

/* Same scheme, host and port as the API: "http://127.0.0.1:8080/" of ".../api/". */
static int same_origin(const char *base, const char *url)
{
    const char *host = strstr(base, "://"), *end;
    size_t n;
    if (!host || !(end = strchr(host + 3, '/')))
        return 0;
    n = (size_t)(end - base) + 1;
    return strncmp(base, url, n) == 0;
}

int slack_api_upload(struct slack_api *a, const char *url, const char *bytes, size_t len,
                     slack_upload_cb cb, void *ud)
{
    struct http_request *req;
    struct upload *u;
    int rc;
    if (!url || (strncmp(url, "https://", 8) != 0 && !same_origin(a->base_url, url)) ||
        strlen(url) >= sizeof(req->url))
        return -1;
    req = calloc(1, sizeof(*req));
    u = calloc(1, sizeof(*u));
    if (!req || !u) {
        free(req);
        free(u);
        return -1;
    }
    snprintf(req->method, sizeof(req->method), "POST");
    snprintf(req->url, sizeof(req->url), "%s", url);
    req->body = bytes;
    req->body_len = len;
    req->timeout_ms = UPLOAD_TIMEOUT_MS;
    u->api = a;
    u->cb = cb;
    u->ud = ud;
    if ((rc = http_request_add_header(req, "Content-Type", "application/octet-stream")) == 0 &&
        (rc = http_send(a->http, req, on_upload_answer, u)) == 0)
        a->in_flight++;
    else
        free(u);
    free(req);
    return rc;
}

/* ---- response_url ---- */

#define SLACK_HOOKS_PREFIX "https://hooks.slack.com/"
#define SLACK_API_PREFIX "https://slack.com/api/"
#define RESPONSE_URL_MAX 512

int slack_response_url_allowed(const char *api_base, const char *url)
{
    const char *scheme_end, *path;
    size_t origin_len;
    if (!api_base || !url || strlen(url) >= RESPONSE_URL_MAX)
        return 0;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\\' || *p == '"')
            return 0;
    if (strncmp(api_base, SLACK_API_PREFIX, strlen(SLACK_API_PREFIX)) == 0)
        return strncmp(url, SLACK_HOOKS_PREFIX, strlen(SLACK_HOOKS_PREFIX)) == 0 &&
               url[strlen(SLACK_HOOKS_PREFIX)] != '\0';
    /* Another base: its origin (scheme://host:port) and a path after it. */
    if (!(scheme_end = strstr(api_base, "://")) || !(path = strchr(scheme_end + 3, '/')))
        return 0;
    origin_len = (size_t)(path - api_base) + 1;
    return strncmp(url, api_base, origin_len) == 0 && url[origin_len] != '\0';
}

struct slack_hook {
    struct slack_api *api;
    slack_api_cb cb;
    void *ud;
};

static void on_hook_answer(void *ud, const struct http_response *res)
{
    struct slack_hook *h = ud;
    char error[sizeof(res->error)];
    int ok = res->transport == HTTP_OK && res->status == 200;
    if (ok)
        error[0] = '\0';
    else if (res->transport != HTTP_OK)
        snprintf(error, sizeof(error), "%s", res->error);
    else if (res->body_len && res->body_len < 64 && res->body[strspn(res->body,
                 "abcdefghijklmnopqrstuvwxyz_")] == '\0')
        snprintf(error, sizeof(error), "%s", res->body);   /* "expired_url", "used_url" */
    else
        snprintf(error, sizeof(error), "HTTP %ld", res->status);
    h->api->in_flight--;
    if (h->cb)
        h->cb(h->ud, ok, NULL, ok ? NULL : error);
    else if (!ok)
        log_warn("slack response_url failed: %s", error);
    free(h);
}

int slack_api_respond(struct slack_api *a, const char *url, json_t *body, slack_api_cb cb,
                      void *ud)
{
    struct http_request *req = NULL;
    struct slack_hook *h = NULL;
    char *text = NULL;
    int rc = -1;
    if (!body || !slack_response_url_allowed(a->base_url, url))
        goto out;
    req = calloc(1, sizeof(*req));
    h = calloc(1, sizeof(*h));
    if (!req || !h || !(text = json_dumps(body, JSON_COMPACT)))
        goto out;
    snprintf(req->method, sizeof(req->method), "POST");
    snprintf(req->url, sizeof(req->url), "%s", url);
    if (http_request_add_header(req, "Content-Type", "application/json; charset=utf-8"))
        goto out;
    req->body = text;
    req->body_len = strlen(text);
    req->timeout_ms = CALL_TIMEOUT_MS;
    h->api = a;
    h->cb = cb;
    h->ud = ud;
    if (http_send(a->http, req, on_hook_answer, h) != 0)
        goto out;
    a->in_flight++;
    h = NULL;                       /* the answer frees it */
    rc = 0;
out:
    free(h);
    free(text);
    free(req);
    json_decref(body);
    return rc;
}

int slack_api_in_flight(const struct slack_api *a)
{
    return a->in_flight;
}

struct slack_api *slack_api_new(const char *base_url, const char *bot_token,
                                const char *app_token, struct http_client *http,
                                struct loop *loop)
{
    struct slack_api *a = calloc(1, sizeof(*a));
    size_t n;
    if (!a)
        return NULL;
    snprintf(a->base_url, sizeof(a->base_url), "%s", base_url);
    n = strlen(a->base_url);
    if (n && a->base_url[n - 1] != '/' && n + 1 < sizeof(a->base_url))
        strcat(a->base_url, "/");
    snprintf(a->bot_token, sizeof(a->bot_token), "%s", bot_token ? bot_token : "");
    snprintf(a->app_token, sizeof(a->app_token), "%s", app_token ? app_token : "");
    a->http = http;
    a->loop = loop;
    return a;
}

void slack_api_set_metrics(struct slack_api *a, struct metrics *m)
{
    a->metrics = m;
}

void slack_api_free(struct slack_api *a)
{
    if (!a)
        return;
    /* A call still waiting for its retry is answered now (its owner frees its
     * context); the loop task keeps only the bare struct, which the loop frees. */
    while (a->waiting) {
        struct slack_call *c = a->waiting;
        a->waiting = c->next_waiting;
        c->cancelled = 1;
        if (c->cb)
            c->cb(c->ud, 0, NULL, "shutting down");
        json_decref(c->args);
        c->args = NULL;
        c->api = NULL;
    }
    memset(a->bot_token, 0, sizeof(a->bot_token));
    memset(a->app_token, 0, sizeof(a->app_token));
    free(a);
}
