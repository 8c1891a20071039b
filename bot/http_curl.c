/* bot/http_curl.c -- struct http_client over a curl multi handle.
 *
 * Attached to a libwebsockets context (the Slack runtime), curl says which descriptors
 * it waits on (CURLMOPT_SOCKETFUNCTION) and when it next needs time
 * (CURLMOPT_TIMERFUNCTION); each descriptor is watched as a raw-file wsi and the timer
 * is an lws sul, so the loop sleeps until the network or a deadline (curl's own
 * timeouts included) has something for curl. lws closes the descriptor of a wsi it
 * frees, and curl must close its sockets itself, so lws is handed a dup() of each: the
 * two never close each other's. Not attached (the terminal shell), the caller pumps
 * (curl_multi_perform) or settles (curl_multi_poll).
 *
 * Either way a finished transfer's callback runs from the loop (a curl event, a pump),
 * never from send(), so a caller is never re-entered. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libwebsockets.h>
#include "bot/http_curl.h"
#include "bot/log.h"
#include "approvals/request.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L
#define MAX_BODY (8 * 1024 * 1024)
#define KEPT_CONNECTIONS 32          /* idle connections kept for reuse */

static const char *const kept_headers[] = {
    "retry-after", "x-amzn-requestid", "x-amzn-errortype", "content-type",
    "ms-correlationid", "ms-requestid", "x-slack-req-id", "date",
};

struct xfer {
    CURL *easy;
    int background;
    struct curl_slist *headers;
    char *body;                  /* our copy of the request body */
    char *resp;
    size_t resp_len;
    int too_big;
    struct http_response res;
    http_cb cb;
    void *ud;
    char errbuf[CURL_ERROR_SIZE];
    int done;                    /* finished, its callback not yet fired */
    CURLcode result;
    struct xfer *next;
};

/* A descriptor curl waits on while attached. */
struct watch {
    struct http_curl *h;
    curl_socket_t fd;            /* curl's: curl opens and closes it */
    struct lws *wsi;             /* on a dup of fd that lws owns; NULL when lws has none */
    int what;                    /* CURL_POLL_IN / _OUT / _INOUT */
    int lost;                    /* lws dropped wsi (hang-up): curl has yet to look */
    struct watch *next;
};

struct http_curl {
    CURLM *multi;
    struct http_client client;
    struct xfer *xfers;
    void (*wakeup)(void *ud);
    void *wakeup_ud;
    struct lws_context *ctx;     /* the loop curl is attached to, or NULL */
    struct lws_vhost *vhost;
    struct watch *watches;
    lws_sorted_usec_list_t timer_sul;    /* curl's one timer */
    lws_sorted_usec_list_t poke_sul;     /* re-arms POLLOUT, reports lost descriptors */
};

#define LWS_PROTOCOL_NAME "cancelbot-curl"
#define PEEK_MAX 16                  /* sockets looked at by one attached pump */

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    char *grown;
    if (x->resp_len + len > MAX_BODY) {
        x->too_big = 1;
        return 0;                /* aborts the transfer */
    }
    if (!(grown = realloc(x->resp, x->resp_len + len + 1)))
        return 0;
    x->resp = grown;
    memcpy(x->resp + x->resp_len, data, len);
    x->resp_len += len;
    x->resp[x->resp_len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n, name_len;
    const char *colon = memchr(data, ':', len);
    if (!colon || x->res.n_headers >= HTTP_MAX_HEADERS)
        return len;
    name_len = (size_t)(colon - data);
    for (size_t i = 0; i < sizeof(kept_headers) / sizeof(kept_headers[0]); i++) {
        struct http_header *h;
        const char *v = colon + 1, *end = data + len;
        if (strlen(kept_headers[i]) != name_len || strncasecmp(data, kept_headers[i], name_len))
            continue;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        h = &x->res.headers[x->res.n_headers++];
        snprintf(h->name, sizeof(h->name), "%.*s", (int)name_len, data);
        snprintf(h->value, sizeof(h->value), "%.*s", (int)(end - v), v);
        break;
    }
    return len;
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    free(x->body);
    free(x->resp);
    free(x);
}

static int curl_send(struct http_client *c, const struct http_request *req, http_cb cb, void *ud)
{
    struct http_curl *h = c->impl;
    struct xfer *x = calloc(1, sizeof(*x));
    char line[sizeof(req->headers[0].name) + sizeof(req->headers[0].value) + 4];
    if (!x)
        return -1;
    x->cb = cb;
    x->ud = ud;
    x->background = req->background;
    if (!(x->easy = curl_easy_init()))
        goto fail;
    for (int i = 0; i < req->n_headers; i++) {
        struct curl_slist *l;
        snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, req->headers[i].value);
        if (!(l = curl_slist_append(x->headers, line)))
            goto fail;
        x->headers = l;
    }
    curl_easy_setopt(x->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms
                                                                       : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "cancelbot");
    if (strcmp(req->method, "GET") != 0) {
        if (!(x->body = malloc(req->body_len + 1)))
            goto fail;
        if (req->body_len)
            memcpy(x->body, req->body, req->body_len);
        x->body[req->body_len] = '\0';
        curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
        goto fail;
    x->next = h->xfers;
    h->xfers = x;
    if (h->wakeup && !h->ctx)    /* attached, curl's timer callback starts it */
        h->wakeup(h->wakeup_ud);
    return 0;
fail:
    xfer_free(x);
    return -1;
}

static void unlink_xfer(struct http_curl *h, struct xfer *x)
{
    for (struct xfer **p = &h->xfers; *p; p = &(*p)->next) {
        if (*p == x) {
            *p = x->next;
            return;
        }
    }
}

static void finish(struct http_curl *h, struct xfer *x, CURLcode code)
{
    long status = 0;
    curl_multi_remove_handle(h->multi, x->easy);
    unlink_xfer(h, x);
    if (code == CURLE_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        x->res.transport = HTTP_OK;
        x->res.status = status;
    } else {
        x->res.transport = code == CURLE_OPERATION_TIMEDOUT ? HTTP_E_TIMEOUT
                         : (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                            code == CURLE_SSL_CONNECT_ERROR) ? HTTP_E_CONNECT : HTTP_E_OTHER;
        long os_errno = 0;
        snprintf(x->res.error, sizeof(x->res.error), "%s",
                 x->too_big ? "response too large" : x->errbuf[0] ? x->errbuf
                                                                   : curl_easy_strerror(code));
        /* The system's reason ("Connection refused") says more than curl's category. */
        if (curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno &&
            strlen(x->res.error) + 40 < sizeof(x->res.error))
            snprintf(x->res.error + strlen(x->res.error),
                     sizeof(x->res.error) - strlen(x->res.error), " (%s)",
                     strerror((int)os_errno));
    }
    x->res.body = x->resp ? x->resp : "";
    x->res.body_len = x->resp_len;
    x->cb(x->ud, &x->res);
    xfer_free(x);
}

/* Takes curl's news of finished transfers (curl hands each out once); land_finished
 * delivers them. Returns how many are new. */
static int note_finished(struct http_curl *h)
{
    int left, n = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        struct xfer *x = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x && !x->done) {
            x->done = 1;
            x->result = msg->data.result;
            n++;
        }
    }
    return n;
}

/* Fires the callbacks of finished transfers; returns how many finished. A callback may
 * queue the next exchange (a token, then the call it was for): curl_send only adds it,
 * and it is not done, so this ends. */
static int land_finished(struct http_curl *h)
{
    int n = 0;
    note_finished(h);
    for (;;) {
        struct xfer *x = h->xfers;
        while (x && !x->done)
            x = x->next;
        if (!x)
            return n;
        finish(h, x, x->result);
        n++;
    }
}

static void act(struct http_curl *h, curl_socket_t fd, int ev);

/* Attached: tells curl about sockets that are ready now, without waiting for lws to
 * report them. lws reports ready descriptors in the order it adopted them, so an answer
 * that came in together with a websocket frame would otherwise land after that frame
 * was handled. Sockets past PEEK_MAX land on the loop's next pass as usual. */
static void peek(struct http_curl *h)
{
    struct pollfd pfd[PEEK_MAX];
    nfds_t n = 0;
    for (const struct watch *w = h->watches; w && n < PEEK_MAX; w = w->next) {
        if (!w->wsi)
            continue;
        pfd[n].fd = w->fd;
        pfd[n].events = (short)((w->what & CURL_POLL_IN ? POLLIN : 0) |
                                (w->what & CURL_POLL_OUT ? POLLOUT : 0));
        pfd[n++].revents = 0;
    }
    if (!n || poll(pfd, n, 0) <= 0)
        return;
    /* act() may drop watches; it takes the descriptor, which curl looks up itself. */
    for (nfds_t i = 0; i < n; i++)
        if (pfd[i].revents)
            act(h, pfd[i].fd, (pfd[i].revents & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
                              (pfd[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
                              (pfd[i].revents & POLLERR ? CURL_CSELECT_ERR : 0));
}

int http_curl_pump(struct http_curl *h)
{
    int running = 0, n = 0;
    if (h->ctx)
        peek(h);
    else
        curl_multi_perform(h->multi, &running);
    land_finished(h);
    /* Count our own list, not curl's `running`: a callback above may have queued the
     * next exchange, which curl has not counted. */
    for (const struct xfer *x = h->xfers; x; x = x->next)
        n += !x->background;
    return n;
}

/* ---- attached to an lws loop ---- */

/* Tells curl what happened on fd (or that its timer is due) and, when a transfer may
 * have finished, wakes the runtime, whose next turn lands it (http_curl_pump): the
 * answers' callbacks write to the store, and the runtime puts a turn's writes in one
 * transaction rather than one per answer. */
static void act(struct http_curl *h, curl_socket_t fd, int ev)
{
    int running;
    curl_multi_socket_action(h->multi, fd, ev, &running);
    if (note_finished(h) && h->wakeup)
        h->wakeup(h->wakeup_ud);
}

static void on_poke(lws_sorted_usec_list_t *sul);

static void poke_soon(struct http_curl *h)
{
    lws_sul_schedule(h->ctx, 0, &h->poke_sul, on_poke, 0);
}

/* Makes the wsi's poll events what curl asked for. lws 4.1 has no public call to set
 * them: rx flow control switches POLLIN, and POLLOUT is one-shot (a writable request),
 * so one stale POLLOUT may still come after curl stopped wanting it; it is ignored. */
static void watch_events(struct watch *w)
{
    lws_rx_flow_control(w->wsi, (w->what & CURL_POLL_IN) != 0);
    if (w->what & CURL_POLL_OUT)
        lws_callback_on_writable(w->wsi);
}

static void watch_adopt(struct watch *w)
{
    lws_adopt_desc_t info;
    int dup_fd = fcntl(w->fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) {
        /* Unwatched, the transfer still ends at its own timeout. */
        log_error("http: cannot watch a curl socket (dup failed)");
        return;
    }
    memset(&info, 0, sizeof(info));
    info.vh = w->h->vhost;
    info.type = LWS_ADOPT_RAW_FILE_DESC;
    info.fd.filefd = dup_fd;
    info.vh_prot_name = LWS_PROTOCOL_NAME;
    info.opaque = w;
    if (!(w->wsi = lws_adopt_descriptor_vhost_via_info(&info))) {
        close(dup_fd);           /* lws closes a raw file's descriptor only once adopted */
        log_error("http: cannot watch a curl socket (lws refused it)");
    }
}

/* Forgets the wsi (lws frees it, and closes the dup, on its next pass: this may run
 * inside that wsi's own callback). */
static void watch_release(struct watch *w)
{
    struct lws *wsi = w->wsi;
    if (!wsi)
        return;
    w->wsi = NULL;
    lws_set_opaque_user_data(wsi, NULL);
    lws_rx_flow_control(wsi, 0);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void watch_free(struct http_curl *h, struct watch *w)
{
    for (struct watch **p = &h->watches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    watch_release(w);
    free(w);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *socketp)
{
    struct http_curl *h = ud;
    struct watch *w = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (w)
            watch_free(h, w);
        return 0;
    }
    if (!w) {
        /* Out of memory: unwatched, the transfer still ends at its own timeout (a
         * non-zero return would kill the whole multi handle). */
        if (!(w = calloc(1, sizeof(*w))))
            return 0;
        w->h = h;
        w->fd = fd;
        w->next = h->watches;
        h->watches = w;
        curl_multi_assign(h->multi, fd, w);
    }
    w->what = what;
    if (!w->wsi)
        watch_adopt(w);
    if (w->wsi)
        watch_events(w);
    return 0;
}

static void on_timer_due(lws_sorted_usec_list_t *sul)
{
    act(lws_container_of(sul, struct http_curl, timer_sul), CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *ud)
{
    struct http_curl *h = ud;
    (void)multi;
    /* Only scheduled: curl must not be called back from inside its own callback. */
    if (timeout_ms < 0)
        lws_sul_cancel(&h->timer_sul);
    else
        lws_sul_schedule(h->ctx, 0, &h->timer_sul, on_timer_due,
                         (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    return 0;
}

/* lws hands a raw file's POLLOUT over once and then clears it, even when set again from
 * the writable callback, so a socket curl still wants to write to is re-armed here, on
 * the next pass. A descriptor lws dropped on a hang-up is reported to curl here too,
 * outside lws's close path; curl then finds the error itself. */
static void on_poke(lws_sorted_usec_list_t *sul)
{
    struct http_curl *h = lws_container_of(sul, struct http_curl, poke_sul);
    struct watch *w;
again:
    for (w = h->watches; w; w = w->next) {
        if (w->lost) {
            w->lost = 0;
            /* curl may drop any watch in here: start over afterwards. */
            act(h, w->fd, (w->what & CURL_POLL_IN ? CURL_CSELECT_IN : 0) |
                          (w->what & CURL_POLL_OUT ? CURL_CSELECT_OUT : 0));
            goto again;
        }
    }
    for (w = h->watches; w; w = w->next)
        if (w->wsi && (w->what & CURL_POLL_OUT))
            lws_callback_on_writable(w->wsi);
}

/* Never returns non-zero: a wsi goes only through watch_release, so lws never tears
 * one down on its own initiative except on a hang-up. */
static int on_lws_event(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                        void *in, size_t len)
{
    struct watch *w;
    struct http_curl *h;
    (void)user;
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if ((w = lws_get_opaque_user_data(wsi)))
            act(w->h, w->fd, CURL_CSELECT_IN);
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        if ((w = lws_get_opaque_user_data(wsi)) && (w->what & CURL_POLL_OUT)) {
            h = w->h;
            act(h, w->fd, CURL_CSELECT_OUT);
            /* w may be gone now; look again. */
            if ((w = lws_get_opaque_user_data(wsi)) && (w->what & CURL_POLL_OUT))
                poke_soon(h);
        }
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if ((w = lws_get_opaque_user_data(wsi))) {
            w->wsi = NULL;
            w->lost = 1;
            poke_soon(w->h);
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols lws_protocols_table[] = {
    {LWS_PROTOCOL_NAME, on_lws_event, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *http_curl_lws_protocol(void)
{
    return &lws_protocols_table[0];
}

static void detach(struct http_curl *h)
{
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, NULL);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, NULL);
    lws_sul_cancel(&h->timer_sul);
    lws_sul_cancel(&h->poke_sul);
    while (h->watches) {
        curl_multi_assign(h->multi, h->watches->fd, NULL);
        watch_free(h, h->watches);
    }
    h->ctx = NULL;
    h->vhost = NULL;
}

int http_curl_attach_lws(struct http_curl *h, struct lws_context *ctx)
{
    struct lws_vhost *vh;
    if (!ctx) {
        if (h->ctx)
            detach(h);
        return 0;
    }
    if (h->ctx || !(vh = lws_get_vhost_by_name(ctx, "default")) ||
        !lws_vhost_name_to_protocol(vh, LWS_PROTOCOL_NAME))
        return -1;
    h->ctx = ctx;
    h->vhost = vh;
    memset(&h->timer_sul, 0, sizeof(h->timer_sul));
    memset(&h->poke_sul, 0, sizeof(h->poke_sul));
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* Transfers queued before now announced no timer: give curl a first look. */
    if (h->xfers)
        lws_sul_schedule(ctx, 0, &h->timer_sul, on_timer_due, 0);
    return 0;
}

int http_curl_settle(void *ud, int wait_ms)
{
    struct http_curl *h = ud;
    if (wait_ms > 0) {
        if (h->xfers)      /* background ones too: their answers are work when they come */
            curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
        else {
            struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return http_curl_pump(h);
}

struct http_curl *http_curl_new(void)
{
    struct http_curl *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    if (!(h->multi = curl_multi_init())) {
        free(h);
        return NULL;
    }
    /* Idle connections kept for reuse after a burst (a TLS handshake each, against
     * Slack). Capping connections per host instead queues transfers inside curl,
     * whose pending list costs more CPU than the connections save (measured). */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)KEPT_CONNECTIONS);
    h->client.send = curl_send;
    h->client.impl = h;
    return h;
}

void http_curl_free(struct http_curl *h)
{
    if (!h)
        return;
    if (h->ctx)
        detach(h);
    while (h->xfers) {
        struct xfer *x = h->xfers;
        curl_multi_remove_handle(h->multi, x->easy);
        h->xfers = x->next;
        x->res.transport = HTTP_E_OTHER;
        snprintf(x->res.error, sizeof(x->res.error), "shutting down");
        x->res.body = "";
        x->cb(x->ud, &x->res);
        xfer_free(x);
    }
    curl_multi_cleanup(h->multi);
    free(h);
}

struct http_client *http_curl_client(struct http_curl *h)
{
    return &h->client;
}

void http_curl_set_wakeup(struct http_curl *h, void (*wakeup)(void *ud), void *ud)
{
    h->wakeup = wakeup;
    h->wakeup_ud = ud;
}
