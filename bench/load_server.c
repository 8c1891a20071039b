/* bench/load_server.c -- the lws side of slack_load: plain HTTP for the Web API
 * (POST /api/<method>) and the Socket Mode websocket (/link/), on one vhost with one
 * protocol, as in tests/fake_slack.c: lws hands a websocket upgrade that names no
 * subprotocol (Slack clients name none) to protocols[0], so one callback serves both.
 * Unlike the test fake there is no script and no log: every event goes straight to
 * load_workload.c, and nothing here waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bench/slack_load.h"

struct sess {                       /* lws per-session data; zeroed by lws */
    struct conn *conn;              /* websocket: owned by struct load */
    char path[256], ctype[128], auth[256];
    int too_big;
    char *body; size_t body_len, body_cap;
    unsigned char *resp; size_t resp_len;   /* LWS_PRE headroom */
    struct ready follow; int has_follow;    /* a click to send once resp has left */
};

/* --- Web API ------------------------------------------------------------------- */

static void sess_http_reset(struct sess *s)
{
    free(s->body);
    free(s->resp);
    s->body = NULL;
    s->resp = NULL;
    s->body_len = s->body_cap = s->resp_len = 0;
    s->too_big = s->has_follow = 0;
}

/* Headers now, the body (stolen from resp) on HTTP_WRITEABLE. */
static int http_respond(struct lws *wsi, struct sess *s, int status, json_t *resp)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    char *text = json_dumps(resp, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;
    int rc = -1;
    json_decref(resp);
    if (text &&
        !lws_add_http_common_headers(wsi, (unsigned)status, "application/json; charset=utf-8",
                                     len, &p, end) &&
        !lws_finalize_write_http_header(wsi, start, &p, end)) {
        s->resp = xrealloc(NULL, LWS_PRE + len);
        memcpy(s->resp + LWS_PRE, text, len);
        s->resp_len = len;
        lws_callback_on_writable(wsi);
        rc = 0;
    }
    free(text);
    return rc;
}

static int http_handle(struct load *L, struct lws *wsi, struct sess *s)
{
    const char *method = s->path + 5, *token = NULL;
    json_t *body = NULL, *resp;
    int rep;
    if (strncmp(s->path, "/api/", 5) || !*method)
        return http_respond(wsi, s, 404, json_pack("{s:b, s:s}", "ok", 0, "error", "not_found"));
    if (!strncasecmp(s->auth, "Bearer ", 7))
        token = s->auth + 7;
    if (s->too_big)
        return http_respond(wsi, s, 413, json_pack("{s:b, s:s}", "ok", 0, "error",
                                                   "request_too_large"));
    if (!s->body_len)
        body = json_object();
    else if (!strncasecmp(s->ctype, "application/json", 16))
        body = json_loadb(s->body, s->body_len, 0, NULL);
    else                            /* form: what curl and Node's web-api send */
        body = api_form_parse(s->body, s->body_len);
    if (!json_is_object(body)) {
        json_decref(body);
        return http_respond(wsi, s, 200, json_pack("{s:b, s:s}", "ok", 0, "error",
                                                   "invalid_json"));
    }
    if (!token)                     /* web-api may send the token as a form field */
        token = json_string_value(json_object_get(body, "token"));
    if ((rep = apps_replica_of_token(L, token)) >= 0) {
        L->reps[rep].api_calls++;
        if (L->reps[rep].hanging) {  /* no answer: it dies waiting (load_apps.c) */
            L->reps[rep].held_calls++;
            json_decref(body);
            return 0;
        }
    }
    resp = api_answer(L, method, token, body);
    s->has_follow = workload_on_api(L, method, body, resp, &s->follow);
    json_decref(body);
    return http_respond(wsi, s, 200, resp);
}

static int on_http(struct load *L, struct lws *wsi, struct sess *s, const char *path)
{
    char cl[32] = "";
    sess_http_reset(s);
    snprintf(s->path, sizeof s->path, "%s", path ? path : "");
    if (lws_hdr_copy(wsi, s->ctype, sizeof s->ctype, WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        s->ctype[0] = '\0';
    if (lws_hdr_copy(wsi, s->auth, sizeof s->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        s->auth[0] = '\0';
    /* lws calls BODY_COMPLETION for a POST with any Content-Length, 0 included */
    if (!lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) ||
        lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return http_handle(L, wsi, s);
    s->too_big = atoll(cl) > LOAD_MAX_BODY;
    return 0;
}

static void on_http_body(struct sess *s, const char *in, size_t len)
{
    if (!in || !len)
        return;
    if (s->too_big || s->body_len + len > LOAD_MAX_BODY) {
        s->too_big = 1;
        return;
    }
    GROW(s->body, s->body_cap, s->body_len + len + 1);
    memcpy(s->body + s->body_len, in, len);
    s->body_len += len;
    s->body[s->body_len] = '\0';
}

static int on_http_writeable(struct load *L, struct lws *wsi, struct sess *s)
{
    int n, short_write, has_follow = s->has_follow;
    struct ready follow = s->follow;
    if (!s->resp)
        return 0;
    n = lws_write(wsi, s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP_FINAL);
    short_write = n < (int)s->resp_len;
    sess_http_reset(s);
    if (has_follow)
        workload_on_answered(L, follow);
    return short_write || lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* --- Socket Mode ----------------------------------------------------------------- */

static void conn_queue(struct conn *c, const char *text, int env)
{
    size_t len = strlen(text);
    struct out_frame *fr;
    GROW(c->q, c->q_cap, c->q_len + 1);
    fr = &c->q[c->q_len++];
    fr->buf = xrealloc(NULL, LWS_PRE + len);
    memcpy(fr->buf + LWS_PRE, text, len);
    fr->len = len;
    fr->env = env;
    lws_callback_on_writable(c->wsi);
}

static struct conn *newest_conn(const struct load *L)
{
    for (size_t i = L->n_conns; i > 0; i--)
        if (L->conns[i - 1]->wsi)
            return L->conns[i - 1];
    return NULL;
}

int server_connected(const struct load *L)
{
    return L->hellos > 0 && newest_conn(L) != NULL;
}

int server_open_conns(const struct load *L)
{
    int n = 0;
    for (size_t i = 0; i < L->n_conns; i++)
        n += L->conns[i]->wsi && L->conns[i]->said_hello;
    return n;
}

/* Slack hands an envelope to any of an app's connections: the next one in turn, or
 * one at random. */
static struct conn *pick_conn(struct load *L)
{
    int n = server_open_conns(L), k;
    if (!L->redeliver)
        return newest_conn(L);
    if (!n)
        return NULL;
    k = (int)(L->deliver_random ? (unsigned)rand_r(&L->rng) % (unsigned)n : L->rr++ % (unsigned)n);
    for (size_t i = 0; i < L->n_conns; i++)
        if (L->conns[i]->wsi && L->conns[i]->said_hello && k-- == 0)
            return L->conns[i];
    return NULL;
}

static void wait_for_conn(struct load *L, int env)
{
    GROW(L->waiting, L->waiting_cap, L->n_waiting + 1);
    L->waiting[L->n_waiting++] = env;
}

/* No connection (the app dropped it): without redelivery the envelope is never sent
 * and counts as missing, as Slack would have lost it too; with it, it waits for one. */
void server_send(struct load *L, int env, const char *text)
{
    struct conn *c = pick_conn(L);
    if (L->redeliver) {
        struct env *e = &L->envs[env];
        e->text = strcpy(xrealloc(NULL, strlen(text) + 1), text);
        e->conn = c;
        if (!c)
            wait_for_conn(L, env);
    }
    if (c)
        conn_queue(c, text, env);
}

void server_resend_waiting(struct load *L)
{
    size_t kept = 0;
    for (size_t i = 0; i < L->n_waiting; i++) {
        struct env *e = &L->envs[L->waiting[i]];
        struct conn *c;
        if (e->ack_us || !e->text)
            continue;               /* acked meanwhile (a late ack on the old socket) */
        if (!(c = pick_conn(L))) {
            L->waiting[kept++] = L->waiting[i];
            continue;
        }
        e->conn = c;
        L->redeliveries++;
        conn_queue(c, e->text, L->waiting[i]);
    }
    L->n_waiting = kept;
}

static void ws_established(struct load *L, struct lws *wsi, struct sess *s)
{
    struct conn *c = calloc(1, sizeof *c);
    char uri[128];
    if (!c)
        abort();
    c->wsi = wsi;
    /* /link/r<i>/ names the replica (load_api.c hands each its own URL) */
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) > 0 && !strncmp(uri, "/link/r", 7))
        c->replica = atoi(uri + 7) - 1;
    if (c->replica < 0 || c->replica >= L->n_replicas)
        c->replica = 0;
    GROW(L->conns, L->conns_cap, L->n_conns + 1);
    L->conns[L->n_conns++] = c;
    s->conn = c;
    conn_queue(c, "{\"type\":\"hello\",\"num_connections\":1,\"debug_info\":{\"host\":\"bench\","
                  "\"approximate_connection_time\":3600},\"connection_info\":{\"app_id\":\"A0APP\"}}",
               -1);
}

/* An ack is {"envelope_id":...} with no "type"; anything else the app says is ignored. */
static void ws_on_message(struct load *L, struct conn *c)
{
    json_t *j = c->rx_overflow ? NULL : json_loadb(c->rx, c->rx_len, 0, NULL);
    const char *eid = json_string_value(json_object_get(j, "envelope_id"));
    if (eid && !json_object_get(j, "type")) {
        L->reps[c->replica].acks++;
        workload_on_ack(L, eid);
    }
    json_decref(j);
    c->rx_len = 0;
}

static void ws_receive(struct load *L, struct lws *wsi, struct conn *c, const char *in,
                       size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rx_len = c->rx_overflow = 0;
    if (c->rx_len + len > LOAD_MAX_BODY) {
        c->rx_overflow = 1;
    } else if (len) {
        GROW(c->rx, c->rx_cap, c->rx_len + len + 1);
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
    }
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi))
        ws_on_message(L, c);
}

static int ws_writeable(struct load *L, struct lws *wsi, struct conn *c)
{
    struct out_frame fr;
    int n;
    if (L->done) {                  /* the run is over: a clean close */
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
        return -1;
    }
    if (!c->q_len)
        return 0;
    fr = c->q[0];
    memmove(c->q, c->q + 1, --c->q_len * sizeof *c->q);
    n = lws_write(wsi, fr.buf + LWS_PRE, fr.len, LWS_WRITE_TEXT);
    free(fr.buf);
    if (n < (int)fr.len)
        return -1;
    if (fr.env < 0) {
        c->said_hello = 1;
        if (!L->reps[c->replica].hello_us)
            L->reps[c->replica].hello_us = now_us();
        if (!L->hellos++)
            L->hello_us = now_us();
    } else {
        L->reps[c->replica].envs_sent++;
        workload_on_sent(L, fr.env);
    }
    if (c->q_len)                   /* one lws_write per writeable callback */
        lws_callback_on_writable(wsi);
    return 0;
}

static void ws_closed(struct load *L, struct conn *c)
{
    c->wsi = NULL;
    if (L->redeliver && !L->done)   /* what it left unacked goes to another connection */
        for (size_t i = 0; i < L->n_envs; i++)
            if (L->envs[i].conn == c && !L->envs[i].ack_us) {
                L->envs[i].conn = NULL;
                wait_for_conn(L, (int)i);
            }
    for (size_t i = 0; i < c->q_len; i++)
        free(c->q[i].buf);
    c->q_len = 0;
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct load *L = lws_context_user(lws_get_context(wsi));
    struct sess *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(L, wsi, s, in);
    case LWS_CALLBACK_HTTP_BODY:
        on_http_body(s, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return http_handle(L, wsi, s);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_http_writeable(L, wsi, s);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:   /* upgrade to ws: lws frees this session */
        if (s)
            sess_http_reset(s);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        ws_established(L, wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (s->conn)
            ws_receive(L, wsi, s->conn, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s->conn ? ws_writeable(L, wsi, s->conn) : 0;
    case LWS_CALLBACK_CLOSED:
        if (s->conn)
            ws_closed(L, s->conn);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

int server_start(struct load *L)
{
    static const struct lws_protocols protocols[] = {
        { "slack-load", on_lws, sizeof(struct sess), 0, 0, NULL, 0 },
        { NULL, NULL, 0, 0, 0, NULL, 0 },
    };
    struct lws_context_creation_info info;
    struct lws_vhost *vh;
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = 0;                  /* the kernel picks a free port */
    info.iface = "127.0.0.1";
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = protocols;
    info.vhost_name = "slack-load";
    info.user = L;
    info.keepalive_timeout = 60;
    info.max_http_header_data = 8192;
    info.timeout_secs = 30;
    info.fd_limit_per_thread = 4096;   /* Node opens many keep-alive connections */
    if (!(L->ctx = lws_create_context(&info)) ||
        !(vh = lws_get_vhost_by_name(L->ctx, "slack-load")) ||
        (L->port = lws_get_vhost_listen_port(vh)) <= 0)
        return -1;
    return 0;
}

/* Close frames go out on the writeable callbacks while lws_context_destroy runs. */
void server_free(struct load *L)
{
    L->done = 1;
    if (L->ctx)
        lws_context_destroy(L->ctx);
    L->ctx = NULL;
    for (size_t i = 0; i < L->n_conns; i++) {
        for (size_t j = 0; j < L->conns[i]->q_len; j++)
            free(L->conns[i]->q[j].buf);
        free(L->conns[i]->q);
        free(L->conns[i]->rx);
        free(L->conns[i]);
    }
    free(L->conns);
    L->conns = NULL;
    L->n_conns = 0;
    free(L->waiting);
    L->waiting = NULL;
}
