/* bot/http_health.c -- /healthz, /readyz and /metrics on an lws server vhost of the
 * runtime's context. Every answer is one plain-text body rendered at once, written
 * in writeable callbacks (/metrics' in chunks, so a slow reader never makes the loop
 * wait); connections are closed after it and idle ones time out (lws), so a probe
 * costs the loop a few microseconds (a scrape: two grouped queries and the text). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/http_health.h"

#define HEALTH_PROTOCOL "cancelbot-health"
#define HEALTH_TIMEOUT_S 5
#define METRICS_PATH "/metrics"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define WRITE_CHUNK 8192

struct http_health {
    struct lws_vhost *vhost;
    health_snapshot_fn snap;
    void *ud;
    health_metrics_fn metrics;
    void *metrics_ud;
    int port;
};

struct health_sess {
    int status;
    size_t len, sent;
    unsigned char *heap;             /* /metrics: LWS_PRE bytes, then the text; or NULL */
    unsigned char body[LWS_PRE + HEALTH_BODY_MAX];
};

int health_parse_addr(const char *value, struct health_addr *out, char *err, size_t cap)
{
    const char *colon;
    struct in_addr a;
    char *end = NULL;
    long port = -1;
    size_t host_len;
    memset(out, 0, sizeof(*out));
    if (!value || !*value)
        value = HEALTH_DEFAULT_ADDR;
    if (strcmp(value, "off") == 0)
        return 0;
    colon = strrchr(value, ':');
    host_len = colon ? (size_t)(colon - value) : 0;
    if (colon && colon[1])
        port = strtol(colon + 1, &end, 10);
    if (!colon || !colon[1] || *end || port < 0 || port > 65535 || host_len == 0 ||
        host_len >= sizeof(out->host)) {
        snprintf(err, cap, "%s=\"%s\" is not accepted; use HOST:PORT with an IPv4 address "
                 "and a port from 0 to 65535 (e.g. %s; 0: any free port), or off",
                 HEALTH_ADDR_ENV, value, HEALTH_DEFAULT_ADDR);
        return -1;
    }
    memcpy(out->host, value, host_len);
    out->host[host_len] = '\0';
    if (inet_pton(AF_INET, out->host, &a) != 1) {
        snprintf(err, cap, "%s=\"%s\": \"%s\" is not an IPv4 address; use HOST:PORT with an "
                 "IPv4 address (e.g. %s, or 0.0.0.0:8089 for every interface), or off",
                 HEALTH_ADDR_ENV, value, out->host, HEALTH_DEFAULT_ADDR);
        return -1;
    }
    out->port = (int)port;
    out->enabled = 1;
    return 0;
}

static int not_ready(const struct health_snapshot *s, char *body, size_t cap)
{
    const char *why = NULL;
    if (s->starting && *s->starting)
        why = s->starting;
    else if (!s->policy_loaded)
        why = "policy not loaded";
    else if (!s->store_up)
        why = s->store_is_sqlite ? "database unreachable"
                                 : "database unreachable (reconnecting)";
    else if (s->slack_live <= 0)
        why = "slack not connected (reconnecting)";
    if (!why)
        return 0;
    snprintf(body, cap, "not ready: %s\n", why);
    return 1;
}

int health_answer(const char *method, const char *path, const struct health_snapshot *s,
                  char *body, size_t cap)
{
    int64_t age = s->now_ms - s->last_tick_ms;
    int healthz = strcmp(path, "/healthz") == 0, readyz = strcmp(path, "/readyz") == 0;
    if (!healthz && !readyz) {
        snprintf(body, cap, "not found: /healthz, /readyz and /metrics are served here\n");
        return 404;
    }
    if (strcmp(method, "GET") != 0) {
        snprintf(body, cap, "method not allowed: GET only\n");
        return 405;
    }
    if (healthz) {
        if (age > HEALTH_TICK_STALE_MS) {
            snprintf(body, cap, "unhealthy: the event loop has not turned for %lld ms\n",
                     (long long)age);
            return 503;
        }
        snprintf(body, cap, "ok\n");
        return 200;
    }
    /* A failing poller is said, but is no reason to stop sending work here. */
    if (not_ready(s, body, cap)) {
        snprintf(body + strlen(body), cap - strlen(body), "%s", s->pollers);
        return 503;
    }
    snprintf(body, cap, "ready\n%s", s->pollers);
    return 200;
}

static const char *request_method(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
        return "GET";
    return "OTHER";                  /* POST, HEAD, PUT, ...: all answered 405 */
}

/* GET /metrics: the runtime's text, kept in the session until it is written. */
static int metrics_answer(struct http_health *h, struct lws *wsi, struct health_sess *sess)
{
    char *body = (char *)sess->body + LWS_PRE, *text;
    size_t len = 0;
    if (strcmp(request_method(wsi), "GET") != 0) {
        snprintf(body, HEALTH_BODY_MAX, "method not allowed: GET only\n");
        return 405;
    }
    if (!(text = h->metrics(h->metrics_ud, &len))) {
        snprintf(body, HEALTH_BODY_MAX, "metrics unavailable\n");
        return 503;
    }
    if (!(sess->heap = malloc(LWS_PRE + len + 1)))
        abort();
    memcpy(sess->heap + LWS_PRE, text, len);
    sess->len = len;
    free(text);
    return 200;
}

static int on_request(struct http_health *h, struct lws *wsi, struct health_sess *sess,
                      const char *path)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof(hdr) - 1;
    struct health_snapshot snap;
    char *body = (char *)sess->body + LWS_PRE;
    const char *type = "text/plain; charset=utf-8";
    free(sess->heap);
    sess->heap = NULL;
    sess->sent = 0;
    body[0] = '\0';
    if (h->metrics && path && strcmp(path, METRICS_PATH) == 0) {
        sess->status = metrics_answer(h, wsi, sess);
        if (sess->heap)
            type = METRICS_CONTENT_TYPE;
        else
            sess->len = strlen(body);
    } else {
        memset(&snap, 0, sizeof(snap));
        h->snap(h->ud, &snap);
        sess->status = health_answer(request_method(wsi), path ? path : "", &snap, body,
                                     HEALTH_BODY_MAX);
        sess->len = strlen(body);
    }
    if (lws_add_http_common_headers(wsi, (unsigned)sess->status, type, sess->len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int on_writeable(struct lws *wsi, struct health_sess *sess)
{
    unsigned char *base = (sess->heap ? sess->heap : sess->body) + LWS_PRE;
    size_t n = sess->len - sess->sent < WRITE_CHUNK ? sess->len - sess->sent : WRITE_CHUNK;
    int last = sess->sent + n == sess->len;
    /* lws may use the LWS_PRE bytes before what it writes: here, text already sent. */
    if (lws_write(wsi, base + sess->sent, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        (int)n)
        return -1;
    sess->sent += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(sess->heap);
    sess->heap = NULL;
    sess->status = 0;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int on_health_event(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                           void *in, size_t len)
{
    struct http_health *h = lws_vhost_user(lws_get_vhost(wsi));
    struct health_sess *sess = user;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return h && sess ? on_request(h, wsi, sess, in) : -1;
    case LWS_CALLBACK_HTTP_BODY:
        return 0;                    /* a body (of a 405) is not read */
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!sess || !sess->status)
            return -1;
        return on_writeable(wsi, sess);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (sess) {
            free(sess->heap);            /* closed before all of /metrics was written */
            sess->heap = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* lws keeps a pointer to the table, not a copy: it lives as long as the program. */
static const struct lws_protocols health_protocols[] = {
    {HEALTH_PROTOCOL, on_health_event, sizeof(struct health_sess), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}
};

struct http_health *http_health_start(struct lws_context *ctx, const struct health_addr *addr,
                                      health_snapshot_fn snap, void *ud, char *err,
                                      size_t cap)
{
    struct http_health *h = calloc(1, sizeof(*h));
    struct lws_context_creation_info info;
    if (!h)
        abort();
    h->snap = snap;
    h->ud = ud;
    memset(&info, 0, sizeof(info));
    info.port = addr->port;
    info.iface = addr->host;
    /* Without FAIL_UPON_UNABLE_TO_BIND, lws 4.1 takes an address that is not this
     * machine's as an interface still to come up: it would say yes and never listen. */
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.protocols = health_protocols;
    info.user = h;
    info.vhost_name = "health";
    info.keepalive_timeout = HEALTH_TIMEOUT_S;
    info.timeout_secs = HEALTH_TIMEOUT_S;
    info.max_http_header_data = 1024;
    if (!(h->vhost = lws_create_vhost(ctx, &info)) ||
        (h->port = lws_get_vhost_listen_port(h->vhost)) <= 0) {
        snprintf(err, cap, "cannot listen on %s:%d (%s): the address is in use or not "
                 "this machine's; set %s to another HOST:PORT, or off",
                 addr->host, addr->port, HEALTH_ADDR_ENV, HEALTH_ADDR_ENV);
        free(h);
        return NULL;
    }
    return h;
}

int http_health_port(const struct http_health *h)
{
    return h->port;
}

void http_health_serve_metrics(struct http_health *h, health_metrics_fn fn, void *ud)
{
    h->metrics = fn;
    h->metrics_ud = ud;
}

void http_health_free(struct http_health *h)
{
    free(h);
}
