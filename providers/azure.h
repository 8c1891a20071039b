/* providers/azure.h -- the "azure" provider: Microsoft Partner Center behind struct
 * provider_ops, for cancelling an Azure subscription's entitlement when it is
 * compromised (POST .../azureEntitlements/{id}/cancel, reason "compromise", one call
 * per subscription; the entitlement turns from active to inactive in about ten
 * minutes). Withdraw is NULL: Partner Center has no undo.
 *
 * Settings (provider_new's config_json): {"tenants": {"default": {"tenant_id": "<GUID>",
 * "client_id": "<GUID>"}, ...}, "token_version": "v1"|"v2"}; provider_target.account
 * names the tenant ("" means "default", or the only one). Secrets and endpoint
 * overrides come from the environment: AZURE_CLIENT_SECRET[_FILE], AZURE_REFRESH_TOKEN
 * [_FILE], AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_AUTHORITY_HOST, PARTNER_CENTER_URL
 * (see azure_token.h). provider_new reads the process environment; azure_provider_new
 * takes a getenv function and says what is wrong in err.
 *
 * Every request carries Authorization, Accept, MS-Contract-Version: v1, an
 * MS-CorrelationId kept for the whole operation (it goes into the submit ref), and an
 * MS-RequestId that is reused when a retry follows a timeout (so Partner Center can
 * treat it as the same request) and new after any answer. 429 and 5xx are retried
 * after Retry-After (else 1, 2, 4, 8 s) within AZURE_RETRY_BUDGET_MS; a 401 fetches a
 * new token once. Invalid input is refused before anything is sent, through the
 * callback, with the sentence Partner Center's own error would have meant.
 *
 * Lifetime: free the provider before the loop that runs its timers; calls still in
 * flight then end quietly (no callback) when their answers or timers arrive. */
#ifndef CANCELBOT_PROVIDERS_AZURE_H
#define CANCELBOT_PROVIDERS_AZURE_H

#include <stddef.h>
#include "providers/provider.h"
#include "providers/http.h"
#include "providers/azure_token.h"

#define AZURE_RETRY_BUDGET_MS 30000       /* from the first send to the last retry */
#define AZURE_REQUEST_TIMEOUT_MS 15000L   /* one exchange, capped by what is left */
#define AZURE_BACKOFF_FIRST_MS 1000
#define AZURE_BACKOFF_MAX_MS 8000
#define AZURE_CANCEL_REASON "compromise"  /* the only reason Partner Center accepts */

extern const struct provider_ops azure_provider_ops;

/* provider_new with an injectable environment (tests, check-config). NULL with err
 * (never a secret) when the settings or the environment are wrong. */
struct provider *azure_provider_new(const struct provider_env *env, const char *config_json,
                                    azure_getenv_fn getenv_fn, void *getenv_ud, char *err,
                                    size_t errlen);

/* ---- reading an answer (pure: the provider uses it; tests and the fuzzer too) ----
 * The answer to a GET of an entitlement (lookup, poll) or to its cancel POST, once it
 * is not retried (not 429 or 5xx, and not the first 401): a 2xx is read into out (the
 * entitlement as matches[0] and its status; for a cancel, ref "<entitlement>#<
 * correlation_id>"), any other status becomes one sentence naming what Partner Center
 * meant. tenant names the partner tenant in sentences. Returns out->rc. */
enum azure_answer_op { AZURE_ANSWER_ENTITLEMENT, AZURE_ANSWER_CANCEL };
int azure_parse_answer(enum azure_answer_op op, const struct http_response *res,
                       const char *tenant, const struct provider_target *t,
                       const char *correlation_id, struct provider_result *out);

/* ---- suspending instead of cancelling --------------------------------------------
 * Partner Center suspends an Azure plan subscription by "Update a subscription by
 * ID": GET the subscription, then PATCH the full resource back with status
 * "suspended" and If-Match: its etag. azure_suspend runs both steps with the same
 * tokens, retries and error sentences as the provider operations (result: OK with
 * status_raw "suspended" and ref "<subscription>#<correlation id>"); the builders and
 * the parser below are the same steps as pure functions. */
int azure_suspend(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud);

/* The PATCH of subscription_json (the GET's answer) with its status set to
 * "suspended" and If-Match from attributes.etag. *body: caller frees once http_send
 * has returned. 0, or -1 with err. */
int azure_build_suspend(const char *base_url, const struct provider_target *t,
                        const char *subscription_json, size_t len, const char *access_token,
                        const char *request_id, const char *correlation_id,
                        struct http_request *req, char **body, char *err, size_t errlen);
/* The PATCH's answer: 200 with status "suspended" is PROVIDER_OK; else the mapped
 * error. Writes out->rc, out->message, out->status_raw; returns out->rc. */
int azure_parse_suspend(const struct http_response *res, const struct provider_target *t,
                        struct provider_result *out);

#endif
