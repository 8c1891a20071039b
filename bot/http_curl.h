/* bot/http_curl.h -- the runtime's HTTP client: struct http_client on a libcurl multi
 * handle. The event loop calls http_curl_pump whenever it wakes; transfers never block
 * the loop (curl's threaded resolver does DNS). Each transfer has a whole-exchange
 * timeout and a connect timeout, follows no redirects, and keeps only the response
 * headers someone reads (Retry-After, request and correlation ids). */
#ifndef CANCELBOT_BOT_HTTP_CURL_H
#define CANCELBOT_BOT_HTTP_CURL_H

#include "providers/http.h"

struct http_curl;

struct http_curl *http_curl_new(void);
/* Outstanding transfers end with HTTP_E_OTHER ("shutting down"): every callback fires
 * exactly once, so its owner frees its context. */
void http_curl_free(struct http_curl *h);
struct http_client *http_curl_client(struct http_curl *h);
/* Called whenever a transfer is queued, so the loop pumps soon instead of at its next
 * idle wake-up. */
void http_curl_set_wakeup(struct http_curl *h, void (*wakeup)(void *ud), void *ud);
/* Moves transfers on and fires the callbacks of those that finished. Returns how many
 * are still running. */
int http_curl_pump(struct http_curl *h);
/* Blocks up to wait_ms for transfer activity, then pumps. For the terminal shell
 * only: the Slack runtime never blocks its loop. Returns http_curl_pump's count. */
int http_curl_settle(void *h, int wait_ms);

#endif
