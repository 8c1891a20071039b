/* bot/slack_socket.h -- Slack Socket Mode connections (libwebsockets clients): open
 * with apps.connections.open, keep alive with pings, replace on `disconnect` (make
 * before break on refresh_requested / warning, break first on too_many_websockets,
 * slow retries on link_disabled), reconnect with jittered, capped back-off, and hand
 * every envelope to the adapter. Lifecycle frames (hello, disconnect) are handled
 * here; envelopes are not even looked at beyond their type. */
#ifndef CANCELBOT_BOT_SLACK_SOCKET_H
#define CANCELBOT_BOT_SLACK_SOCKET_H

#include <stddef.h>
#include <libwebsockets.h>
#include "bot/loop.h"
#include "bot/slack_api.h"

#define SLACK_SOCKET_MAX_CONNECTIONS 10

struct slack_socket;
struct slack_conn;

struct slack_socket_handlers {
    /* A Socket Mode envelope (slash_commands, interactive, events_api, ...). The
     * adapter acks it through slack_socket_send on the same connection. */
    void (*on_envelope)(void *ud, struct slack_conn *conn, const char *text, size_t len);
    /* Slack refused the app token: nothing will ever connect. */
    void (*on_fatal)(void *ud, const char *why);
    /* A connection wrote every frame queued on it (the acks are out). May be NULL. */
    void (*on_drained)(void *ud);
};

struct slack_socket *slack_socket_new(struct loop *loop, struct slack_api *api,
                                      int n_connections,
                                      const struct slack_socket_handlers *h, void *ud);
void slack_socket_free(struct slack_socket *s);
/* The lws protocol table entry the context must be created with (user = s). */
const struct lws_protocols *slack_socket_protocol(void);
void slack_socket_attach(struct slack_socket *s, struct lws_context *ctx);
/* Counts replaced and lost connections by reason in m (borrowed; NULL: none). */
void slack_socket_set_metrics(struct slack_socket *s, struct metrics *m);
/* Opens the configured number of connections. */
void slack_socket_start(struct slack_socket *s);
/* Closes every connection (bounded: no more than a second for the close handshake). */
void slack_socket_stop(struct slack_socket *s);
int slack_socket_live(const struct slack_socket *s);     /* connections past hello */
int slack_socket_connections(const struct slack_socket *s);  /* open, closing included */

/* Queues a text frame (an ack) on conn; 0 when queued. */
int slack_socket_send(struct slack_conn *conn, const char *text);
/* A connection by id, which outlives the connection: an ack held for a group commit
 * goes out on the same connection if it is still open, else -1. */
struct slack_socket *slack_conn_socket(const struct slack_conn *conn);
int slack_conn_id(const struct slack_conn *conn);
int slack_socket_send_to(struct slack_socket *s, int conn_id, const char *text);

#endif
