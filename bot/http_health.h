/* bot/http_health.h -- the service's probes over HTTP: /healthz (the event loop
 * turns) and /readyz (Slack connected, store reachable, policy loaded; a failing
 * background poller is named in the body but keeps it ready), and /metrics (the
 * Prometheus text the runtime renders, bot/metrics.h), served by an
 * lws server vhost on the runtime's own context, so a probe never needs a thread and
 * never blocks the loop. The answer itself is a pure function of a snapshot the
 * runtime fills in (health_answer), testable without a socket. */
#ifndef CANCELBOT_BOT_HTTP_HEALTH_H
#define CANCELBOT_BOT_HTTP_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <libwebsockets.h>

#define HEALTH_ADDR_ENV "CANCELBOT_HTTP_ADDR"
#define HEALTH_DEFAULT_ADDR "127.0.0.1:8089"
#define HEALTH_TICK_STALE_MS 10000   /* /healthz fails when the loop has not turned since */
#define HEALTH_BODY_MAX 640
#define HEALTH_POLLERS_MAX 480       /* the failing pollers' lines in /readyz's body */

struct health_addr {
    int enabled;
    char host[64];                   /* an IPv4 address */
    int port;                        /* 0: any free port (the log says which) */
};

/* Parses CANCELBOT_HTTP_ADDR's value (NULL or "": the default; "off": disabled).
 * 0, or -1 with err naming the variable and what it accepts. */
int health_parse_addr(const char *value, struct health_addr *out, char *err, size_t cap);

struct health_snapshot {
    int64_t now_ms, last_tick_ms;    /* a monotonic clock */
    int slack_live;                  /* Socket Mode connections past hello */
    int store_up;
    int store_is_sqlite;             /* else PostgreSQL: for the reason's wording */
    int policy_loaded;
    char pollers[HEALTH_POLLERS_MAX];   /* one line per failing poller; "" when none */
    const char *starting;            /* start-up still waits: for what, in a few words
                                        (NULL or "": started) */
};

/* The status (200, 404, 405, 503) and a short plain-text body for METHOD PATH. */
int health_answer(const char *method, const char *path, const struct health_snapshot *s,
                  char *body, size_t cap);

/* ---- the listener (the runtime's side) ---- */

struct http_health;
typedef void (*health_snapshot_fn)(void *ud, struct health_snapshot *out);

/* Listens on addr in a vhost of ctx; NULL with err (naming the variable) when it
 * cannot. The port actually bound: http_health_port. */
struct http_health *http_health_start(struct lws_context *ctx, const struct health_addr *addr,
                                      health_snapshot_fn snap, void *ud, char *err,
                                      size_t cap);
int http_health_port(const struct http_health *h);
/* Serves /metrics with the text fn returns (heap, caller of fn frees: this module;
 * *len its length; NULL: answered 503). Without it /metrics is 404. */
typedef char *(*health_metrics_fn)(void *ud, size_t *len);
void http_health_serve_metrics(struct http_health *h, health_metrics_fn fn, void *ud);
/* After the context is destroyed (the vhost goes with it, and calls back until then). */
void http_health_free(struct http_health *h);

#endif
