/* providers/http.h -- the HTTP exchange as data, and the client interface that
 * providers and the Slack Web API client call. The runtime implements it with libcurl
 * (bot/http_curl.c); tests pass a fake that answers from recorded responses. Nothing
 * here blocks: send() queues the exchange and the callback fires on a later loop tick
 * with the response or the transport error. Every exchange has a timeout. */
#ifndef CANCELBOT_PROVIDERS_HTTP_H
#define CANCELBOT_PROVIDERS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 24

struct http_header {
    char name[64];
    char value[2048];            /* Authorization values can be long; never logged */
};

struct http_request {
    char method[8];              /* "GET", "POST" */
    char url[2048];
    struct http_header headers[HTTP_MAX_HEADERS];
    int n_headers;
    const char *body;            /* borrowed until send() returns (the client copies) */
    size_t body_len;
    long timeout_ms;             /* whole exchange; 0 means the client's default (30 s) */
    int background;              /* a long poll: nobody waits for it (the shell goes on) */
};

enum http_transport {
    HTTP_OK = 0,                 /* a response arrived (any status) */
    HTTP_E_TIMEOUT,
    HTTP_E_CONNECT,              /* DNS, refused, TLS handshake */
    HTTP_E_OTHER
};

struct http_response {
    enum http_transport transport;
    long status;                 /* 200, 429, ...; 0 when transport != HTTP_OK */
    const char *body;            /* NUL-terminated; valid only during the callback */
    size_t body_len;
    struct http_header headers[HTTP_MAX_HEADERS];   /* the ones the caller asked to keep */
    int n_headers;
    char error[256];             /* transport error in words; never secrets */
};

typedef void (*http_cb)(void *ud, const struct http_response *res);

struct http_client {
    /* Queues req; cb fires later, exactly once, unless send returns non-zero. */
    int (*send)(struct http_client *c, const struct http_request *req, http_cb cb, void *ud);
    void *impl;
};

static inline int http_send(struct http_client *c, const struct http_request *req, http_cb cb,
                            void *ud)
{
    return c->send(c, req, cb, ud);
}

/* Helpers for building and reading exchanges (providers/http.c). */
int http_request_add_header(struct http_request *req, const char *name, const char *value);
/* Case-insensitive; NULL when absent. */
const char *http_response_header(const struct http_response *res, const char *name);
/* Retry-After in ms (seconds or HTTP-date not supported: seconds only); -1 when absent. */
int64_t http_retry_after_ms(const struct http_response *res);

#endif
