/* bot/http_curl.h -- the runtime's HTTP client: struct http_client on a libcurl multi
 * handle. Two ways to drive it: attached to a libwebsockets context, curl's socket and
 * timer callbacks put its descriptors and deadlines on that loop, so nothing polls; not
 * attached (the terminal shell), the caller pumps or settles. Transfers never block the
 * loop (curl's threaded resolver does DNS). Each transfer has a whole-exchange timeout
 * and a connect timeout, follows no redirects, and keeps only the response headers
 * someone reads (Retry-After, request and correlation ids). */
#ifndef CANCELBOT_BOT_HTTP_CURL_H
#define CANCELBOT_BOT_HTTP_CURL_H

#include "providers/http.h"

struct http_curl;
struct lws_context;
struct lws_protocols;

struct http_curl *http_curl_new(void);
/* Outstanding transfers end with HTTP_E_OTHER ("shutting down"): every callback fires
 * exactly once, so its owner frees its context. Detaches first if still attached. */
void http_curl_free(struct http_curl *h);
struct http_client *http_curl_client(struct http_curl *h);
/* Not attached: called whenever a transfer is queued, so the loop pumps soon instead of
 * at its next idle wake-up. Attached: called after transfers finished, so the work their
 * callbacks queued runs soon. */
void http_curl_set_wakeup(struct http_curl *h, void (*wakeup)(void *ud), void *ud);
/* The lws protocol table entry the context must be created with: curl's descriptors
 * are adopted onto the context's default vhost under this protocol. */
const struct lws_protocols *http_curl_lws_protocol(void);
/* Hands curl's sockets and timers to ctx's loop (finished transfers' callbacks then run
 * from lws_service, never from send()). ctx NULL detaches: do that before destroying
 * the context; what is still running goes back to the pump. Attach at most once, before
 * anything pumps. Returns -1 when ctx lacks the protocol above. */
int http_curl_attach_lws(struct http_curl *h, struct lws_context *ctx);
/* Moves transfers on and fires the callbacks of those that finished. Attached, it only
 * looks (without waiting) at the sockets curl waits on: the runtime calls it before
 * handling an envelope, so answers that arrived first are landed first. Returns how
 * many are still running. */
int http_curl_pump(struct http_curl *h);
/* Blocks up to wait_ms for transfer activity, then pumps. For the terminal shell
 * only: the Slack runtime never blocks its loop. Returns http_curl_pump's count. */
int http_curl_settle(void *h, int wait_ms);

#endif
