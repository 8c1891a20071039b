/* bot/slack_socket.c -- the Socket Mode connection set.
 *
 * A connection's life: apps.connections.open (app token) gives a wss URL; we connect,
 * Slack sends `hello`, envelopes follow. Slack asks us to move with `disconnect`:
 * on refresh_requested and warning a replacement is opened first and the old
 * connection is closed only after the replacement's hello, so nothing is missed; on
 * too_many_websockets we close first. link_disabled means Socket Mode was switched
 * off in the app settings: say so loudly and retry slowly. lws sends pings and hangs
 * up a connection that has been silent for too long; every lost connection is
 * replaced after a jittered, capped back-off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "bot/slack_socket.h"
#include "providers/backoff.h"
#include "bot/log.h"

#define RX_MAX (1024 * 1024)
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS (60 * 1000)
#define LINK_DISABLED_RETRY_MS (5 * 60 * 1000)

struct out_frame {
    struct out_frame *next;
    size_t len;
    unsigned char buf[];         /* LWS_PRE bytes, then the text */
};

struct slack_conn {
    struct slack_socket *owner;
    struct lws *wsi;
    int id;
    int hello;
    int closing;                 /* we asked it to close: no replacement on close */
    int replaces;                /* id of the connection this one replaces, or 0 */
    char *rx;
    size_t rx_len;
    struct out_frame *out_head, *out_tail;
    struct slack_conn *next;
};

struct slack_socket {
    struct loop *loop;
    struct slack_api *api;
    struct lws_context *ctx;
    struct slack_socket_handlers h;
    void *ud;
    int wanted;
    int next_id;
    int failures;                /* consecutive: drives the back-off */
    int stopping;
    int fatal;
    uint64_t rng;
    struct slack_conn *conns;
    lws_retry_bo_t idle;
    struct metrics *metrics;     /* reconnects by reason; NULL: not counted */
};

/* A connection replaced or lost, by reason: Slack's disconnect reason, or ours. */
static void count_reconnect(struct slack_socket *s, const char *reason)
{
    if (s->metrics)
        metrics_labeled_add(&s->metrics->reconnects, reason, NULL, NULL, 1);
}

struct open_ctx {
    struct slack_socket *s;
    int replaces;
};

static void conn_close(struct slack_conn *c);
static void open_connection(struct slack_socket *s, int replaces);

static int64_t backoff_ms(struct slack_socket *s)
{
    return backoff_jittered_ms(&s->rng, s->failures + 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static void reopen_task(void *arg)
{
    struct open_ctx *o = arg;
    if (!o->s->stopping && !o->s->fatal)
        open_connection(o->s, o->replaces);
    free(o);
}

static void reopen_later(struct slack_socket *s, int replaces, int64_t delay_ms)
{
    struct open_ctx *o = calloc(1, sizeof(*o));
    if (!o)
        abort();
    o->s = s;
    o->replaces = replaces;
    s->failures++;
    log_info("slack: reconnecting in %lld ms", (long long)delay_ms);
    loop_defer_at(s->loop, loop_now_ms(s->loop) + delay_ms, reopen_task, o);
}

static struct slack_conn *conn_by_id(struct slack_socket *s, int id)
{
    for (struct slack_conn *c = s->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static int count_open(const struct slack_socket *s)
{
    int n = 0;
    for (const struct slack_conn *c = s->conns; c; c = c->next)
        n += !c->closing;
    return n;
}

static void conn_unlink_free(struct slack_conn *c)
{
    struct slack_socket *s = c->owner;
    for (struct slack_conn **p = &s->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    while (c->out_head) {
        struct out_frame *f = c->out_head;
        c->out_head = f->next;
        free(f);
    }
    free(c->rx);
    free(c);
}

static int connect_url(struct slack_socket *s, const char *url, int replaces)
{
    struct lws_client_connect_info info;
    struct slack_conn *c;
    char copy[1024];
    const char *prot, *address, *path;
    char full_path[1024];
    int port;
    snprintf(copy, sizeof(copy), "%s", url);
    if (lws_parse_uri(copy, &prot, &address, &port, &path)) {
        log_error("slack: apps.connections.open returned an unusable URL");
        return -1;
    }
    if (!(c = calloc(1, sizeof(*c))))
        abort();
    c->owner = s;
    c->id = ++s->next_id;
    c->replaces = replaces;
    c->next = s->conns;
    s->conns = c;
    snprintf(full_path, sizeof(full_path), "/%s", path);
    memset(&info, 0, sizeof(info));
    info.context = s->ctx;
    info.address = address;
    info.port = port;
    info.path = full_path;
    info.host = address;
    info.origin = address;
    info.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
    info.local_protocol_name = slack_socket_protocol()->name;
    info.retry_and_idle_policy = &s->idle;
    info.userdata = c;
    info.pwsi = &c->wsi;
    if (!lws_client_connect_via_info(&info)) {
        log_warn("slack: connection %d could not start", c->id);
        conn_unlink_free(c);
        return -1;
    }
    log_info("slack: connection %d opening", c->id);
    return 0;
}

static void on_open_answer(void *ud, int ok, json_t *answer, const char *error)
{
    struct open_ctx *o = ud;
    struct slack_socket *s = o->s;
    const char *url = ok ? json_string_value(json_object_get(answer, "url")) : NULL;
    if (s->stopping) {
        free(o);
        return;
    }
    if (!ok && slack_token_error(error)) {
        s->fatal = 1;
        log_error("slack: apps.connections.open refused the app token (%s): check "
                  "SLACK_APP_TOKEN (an xapp- token with connections:write)", error);
        if (s->h.on_fatal)
            s->h.on_fatal(s->ud, error);
    } else if (!url || connect_url(s, url, o->replaces) != 0) {
        int64_t delay = backoff_ms(s);
        count_reconnect(s, "open_failed");
        if (!ok && !answer)     /* no answer from Slack itself: the network's failure */
            log_warn("slack: cannot reach %s: %s; retrying in %lld s",
                     slack_api_base_url(s->api), error, (long long)(delay + 500) / 1000);
        else
            log_warn("slack: apps.connections.open failed: %s; retrying in %lld s",
                     ok ? "no url" : error, (long long)(delay + 500) / 1000);
        reopen_later(s, o->replaces, delay);
    }
    free(o);
}

static void open_connection(struct slack_socket *s, int replaces)
{
    struct open_ctx *o = calloc(1, sizeof(*o));
    if (!o)
        abort();
    o->s = s;
    o->replaces = replaces;
    if (slack_api_call_once(s->api, "apps.connections.open", SLACK_TOKEN_APP, json_object(),
                            on_open_answer, o) != 0) {
        free(o);
        reopen_later(s, replaces, backoff_ms(s));
    }
}

static void conn_close(struct slack_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->wsi) {
        /* Don't wait more than a second for Slack's side of the close handshake. */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 1);
        lws_callback_on_writable(c->wsi);
    }
}

static void on_hello(struct slack_conn *c, json_t *frame)
{
    struct slack_socket *s = c->owner;
    struct slack_conn *old;
    c->hello = 1;
    s->failures = 0;
    log_info("slack: connection %d ready (num_connections %lld)", c->id,
             (long long)json_integer_value(json_object_get(frame, "num_connections")));
    if (c->replaces && (old = conn_by_id(s, c->replaces))) {
        log_info("slack: connection %d replaced by %d; closing it", old->id, c->id);
        conn_close(old);
    }
}

static void on_disconnect(struct slack_conn *c, json_t *frame)
{
    struct slack_socket *s = c->owner;
    const char *reason = json_string_value(json_object_get(frame, "reason"));
    if (!reason)
        reason = "";
    log_info("slack: connection %d: disconnect (%s)", c->id, reason);
    if (!c->closing)
        count_reconnect(s, reason[0] ? reason : "unknown");
    if (strcmp(reason, "too_many_websockets") == 0) {
        conn_close(c);            /* close first: opening another would be refused */
        reopen_later(s, 0, backoff_ms(s));
    } else if (strcmp(reason, "link_disabled") == 0) {
        log_error("slack: Socket Mode is switched off in the Slack app settings "
                  "(link_disabled); turn it on again. Retrying every %d minutes.",
                  LINK_DISABLED_RETRY_MS / 60000);
        conn_close(c);
        reopen_later(s, 0, LINK_DISABLED_RETRY_MS);
    } else if (!c->closing) {
        open_connection(s, c->id);   /* make before break */
    }
}

static void on_frame(struct slack_conn *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *frame = json_loadb(text, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(frame, "type"));
    if (!frame || !json_is_object(frame)) {
        log_warn("slack: connection %d sent a frame that is not JSON; ignored", c->id);
    } else if (type && strcmp(type, "hello") == 0) {
        on_hello(c, frame);
    } else if (type && strcmp(type, "disconnect") == 0) {
        on_disconnect(c, frame);
    } else if (c->owner->h.on_envelope) {
        c->owner->h.on_envelope(c->owner->ud, c, text, len);
    }
    json_decref(frame);
}

static int on_receive(struct slack_conn *c, struct lws *wsi, const void *in, size_t len)
{
    char *grown;
    if (c->rx_len + len > RX_MAX) {
        log_warn("slack: connection %d sent a frame over %d bytes; dropping it", c->id, RX_MAX);
        return -1;
    }
    if (!(grown = realloc(c->rx, c->rx_len + len + 1)))
        return -1;
    c->rx = grown;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    c->rx[c->rx_len] = '\0';
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    on_frame(c, c->rx, c->rx_len);
    c->rx_len = 0;
    return 0;
}

/* Writes queued frames, oldest first, for as long as the socket takes them: a burst of
 * acks leaves in one wake-up instead of one per pass of the loop. lws keeps what the
 * kernel did not take of a frame and then reports the pipe choked, so nothing is
 * written behind a partial frame. Another writable callback only when frames remain,
 * or to close after the last of them. */
static int on_writable(struct slack_conn *c, struct lws *wsi)
{
    struct out_frame *f;
    if (!c->out_head && c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    while ((f = c->out_head)) {
        int n;
        c->out_head = f->next;
        if (!c->out_head)
            c->out_tail = NULL;
        n = lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT);
        if (n < (int)f->len) {
            free(f);
            return -1;
        }
        free(f);
        if (c->out_head && lws_send_pipe_choked(wsi))
            break;
    }
    if (c->out_head || c->closing)
        lws_callback_on_writable(wsi);
    else if (c->owner->h.on_drained)
        c->owner->h.on_drained(c->owner->ud);
    return 0;
}

static int slack_socket_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                                 void *in, size_t len)
{
    struct slack_conn *c = user;
    struct slack_socket *s;
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        log_info("slack: connection %d established", c->id);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return c ? on_receive(c, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return c ? on_writable(c, wsi) : -1;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!c)
            return 0;
        s = c->owner;
        log_info("slack: connection %d %s%s%s", c->id,
                 reason == LWS_CALLBACK_CLIENT_CLOSED ? "closed" : "failed",
                 in && len ? ": " : "", in && len && reason != LWS_CALLBACK_CLIENT_CLOSED
                 ? (const char *)in : "");
        c->wsi = NULL;
        /* Replace a connection we did not mean to lose, unless a replacement is
         * already on its way or there are as many as wanted. */
        if (!c->closing && !s->stopping && !s->fatal && count_open(s) - 1 < s->wanted) {
            count_reconnect(s, reason == LWS_CALLBACK_CLIENT_CLOSED ? "connection_lost"
                                                                      : "connection_failed");
            reopen_later(s, 0, backoff_ms(s));
        }
        conn_unlink_free(c);
        lws_set_wsi_user(wsi, NULL);
        return 0;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols slack_protocols[] = {
    {"cancelbot-slack", slack_socket_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *slack_socket_protocol(void)
{
    return &slack_protocols[0];
}

int slack_socket_send(struct slack_conn *c, const char *text)
{
    size_t len = strlen(text);
    struct out_frame *f;
    if (!c->wsi || c->closing)
        return -1;
    if (!(f = malloc(sizeof(*f) + LWS_PRE + len)))
        return -1;
    f->next = NULL;
    f->len = len;
    memcpy(f->buf + LWS_PRE, text, len);
    if (c->out_tail)
        c->out_tail->next = f;
    else
        c->out_head = f;
    c->out_tail = f;
    lws_callback_on_writable(c->wsi);
    return 0;
}

struct slack_socket *slack_socket_new(struct loop *loop, struct slack_api *api,
                                      int n_connections,
                                      const struct slack_socket_handlers *h, void *ud)
{
    struct slack_socket *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->api = api;
    s->h = *h;
    s->ud = ud;
    s->wanted = n_connections < 1 ? 1 : n_connections > SLACK_SOCKET_MAX_CONNECTIONS
                                                      ? SLACK_SOCKET_MAX_CONNECTIONS
                                                      : n_connections;
    s->rng = 0x2545f4914f6cdd1dULL ^ (uint64_t)(uintptr_t)s;
    /* Ping after 5 s of silence; a socket silent for 20 s is dead. */
    s->idle.secs_since_valid_ping = 5;
    s->idle.secs_since_valid_hangup = 20;
    return s;
}

void slack_socket_set_metrics(struct slack_socket *s, struct metrics *m)
{
    s->metrics = m;
}

void slack_socket_attach(struct slack_socket *s, struct lws_context *ctx)
{
    s->ctx = ctx;
}

void slack_socket_start(struct slack_socket *s)
{
    for (int i = 0; i < s->wanted; i++)
        open_connection(s, 0);
}

void slack_socket_stop(struct slack_socket *s)
{
    s->stopping = 1;
    for (struct slack_conn *c = s->conns; c; c = c->next)
        conn_close(c);
}

int slack_socket_connections(const struct slack_socket *s)
{
    int n = 0;
    for (const struct slack_conn *c = s->conns; c; c = c->next)
        n += c->wsi != NULL;
    return n;
}

int slack_socket_live(const struct slack_socket *s)
{
    int n = 0;
    for (const struct slack_conn *c = s->conns; c; c = c->next)
        n += c->hello && !c->closing;
    return n;
}

void slack_socket_free(struct slack_socket *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_unlink_free(s->conns);
    free(s);
}

struct slack_socket *slack_conn_socket(const struct slack_conn *c)
{
    return c->owner;
}

int slack_conn_id(const struct slack_conn *c)
{
    return c->id;
}

int slack_socket_send_to(struct slack_socket *s, int conn_id, const char *text)
{
    for (struct slack_conn *c = s->conns; c; c = c->next)
        if (c->id == conn_id)
            return slack_socket_send(c, text);
    return -1;
}
