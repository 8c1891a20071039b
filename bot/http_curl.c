/* bot/http_curl.c -- struct http_client over a curl multi handle, pumped by the loop.
 * A finished transfer's callback runs from http_curl_pump, never from send(), so a
 * caller is never re-entered. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "bot/http_curl.h"
#include "bot/log.h"
#include "approvals/request.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L
#define MAX_BODY (8 * 1024 * 1024)

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
    struct xfer *next;
};

struct http_curl {
    CURLM *multi;
    struct http_client client;
    struct xfer *xfers;
    void (*wakeup)(void *ud);
    void *wakeup_ud;
};

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
    if (h->wakeup)
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
        snprintf(x->res.error, sizeof(x->res.error), "%s",
                 x->too_big ? "response too large" : x->errbuf[0] ? x->errbuf
                                                                   : curl_easy_strerror(code));
    }
    x->res.body = x->resp ? x->resp : "";
    x->res.body_len = x->resp_len;
    x->cb(x->ud, &x->res);
    xfer_free(x);
}

int http_curl_pump(struct http_curl *h)
{
    int running = 0, left, n = 0;
    CURLMsg *msg;
    curl_multi_perform(h->multi, &running);
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        struct xfer *x = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            finish(h, x, msg->data.result);
    }
    /* Count our own list, not curl's `running`: a callback above may have queued the
     * next exchange (a token, then the call it was for), which curl has not counted. */
    for (const struct xfer *x = h->xfers; x; x = x->next)
        n += !x->background;
    return n;
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
    h->client.send = curl_send;
    h->client.impl = h;
    return h;
}

void http_curl_free(struct http_curl *h)
{
    if (!h)
        return;
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
