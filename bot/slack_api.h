/* bot/slack_api.h -- calls to Slack's Web API over the runtime's HTTP client. One
 * call = one method, a JSON object of arguments, and a callback with Slack's answer.
 * Rate limits (HTTP 429) wait for Retry-After and try the same call again, so a
 * message is still delivered exactly once; 5xx and transport errors retry a few
 * times with back-off; everything else is answered at once. Tokens are held here
 * and never appear in logs or errors. */
#ifndef CANCELBOT_BOT_SLACK_API_H
#define CANCELBOT_BOT_SLACK_API_H

#include <jansson.h>
#include "bot/loop.h"
#include "bot/metrics.h"
#include "providers/http.h"

enum slack_token { SLACK_TOKEN_BOT, SLACK_TOKEN_APP };

struct slack_api;

/* answer: Slack's JSON (borrowed, valid during the call) when ok; error: Slack's error
 * string ("channel_not_found", "ratelimited", "invalid_auth") or a transport error. */
typedef void (*slack_api_cb)(void *ud, int ok, json_t *answer, const char *error);

/* base_url ends with "/" (SLACK_API_URL, default https://slack.com/api/). Tokens are
 * copied. */
struct slack_api *slack_api_new(const char *base_url, const char *bot_token,
                                const char *app_token, struct http_client *http,
                                struct loop *loop);
void slack_api_free(struct slack_api *a);
/* Counts Slack's 429 answers by method in m (borrowed; NULL: none). */
void slack_api_set_metrics(struct slack_api *a, struct metrics *m);

/* args is stolen. cb may be NULL (fire and forget: failures are logged). Returns 0
 * when queued; non-zero (and cb never fires) when the request could not be built. */
int slack_api_call(struct slack_api *a, const char *method, enum slack_token token,
                   json_t *args, slack_api_cb cb, void *ud);

/* The same, for start-up's calls, which have their own back-off and say why each
 * attempt failed: a transport error or a 5xx is answered at once (error: curl's words,
 * or "HTTP 503"; answer NULL), not retried here. 429s still wait for Retry-After. */
int slack_api_call_once(struct slack_api *a, const char *method, enum slack_token token,
                        json_t *args, slack_api_cb cb, void *ud);
/* 1 for Slack's refusals of a token itself (invalid_auth, not_authed,
 * account_inactive, token_revoked, token_expired, not_allowed_token_type): waiting
 * does not mend them. Everything else may pass. */
int slack_token_error(const char *error);
const char *slack_api_base_url(const struct slack_api *a);

/* POSTs bytes (copied) to an upload URL that files.getUploadURLExternal handed out:
 * no token goes with them, the URL is the permission. It must be https, or on the
 * API's own origin (a local fake). cb: ok, or the transport error / HTTP status in
 * words. Returns non-zero (cb never fires) when the URL is refused. */
typedef void (*slack_upload_cb)(void *ud, int ok, const char *error);
int slack_api_upload(struct slack_api *a, const char *url, const char *bytes, size_t len,
                     slack_upload_cb cb, void *ud);
/* 1 when url may be POSTed to as a response_url (from a slash command or a click):
 * with Slack's own Web API base, only https://hooks.slack.com/...; with another base
 * (SLACK_API_URL naming a local fake in tests) only that base's own scheme, host and
 * port. Anything else (another host, control characters, too long) is 0: the URL
 * comes inside a payload, and the bot must not be made to POST elsewhere. */
int slack_response_url_allowed(const char *api_base, const char *url);

/* POSTs body (stolen) as JSON to a response_url, as Slack documents it
 * ({"replace_original": true, "text": ..., "blocks": [...]}); no token is sent: the
 * URL is the credential. One try with a timeout; cb (may be NULL) gets ok, or the
 * answer's text ("expired_url", "used_url") or a transport error. Returns non-zero
 * (cb never fires) when url is not allowed (slack_response_url_allowed) or the
 * request could not be built. */
int slack_api_respond(struct slack_api *a, const char *url, json_t *body, slack_api_cb cb,
                      void *ud);

/* How many calls are waiting for an answer or a retry (for a clean shutdown). */
int slack_api_in_flight(const struct slack_api *a);

#endif
