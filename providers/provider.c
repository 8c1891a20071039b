/* providers/provider.c -- the generic side of the provider interface: allocation of
 * a backend's private state, and wrappers that give optional operations a default. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "providers/provider.h"
#include "providers/http.h"

struct provider *provider_new(const struct provider_ops *ops, const struct provider_env *env,
                              const char *config_json, char *err, size_t errlen)
{
    struct provider *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->ops = ops;
    p->env = *env;
    if (ops->priv_size && !(p->priv = calloc(1, ops->priv_size))) {
        snprintf(err, errlen, "out of memory");
        free(p);
        return NULL;
    }
    if (ops->init && ops->init(p, config_json) != 0) {
        snprintf(err, errlen, "the %s marketplace could not start", ops->name);
        free(p->priv);
        free(p);
        return NULL;
    }
    return p;
}

void provider_free(struct provider *p)
{
    if (!p)
        return;
    if (p->ops->fini)
        p->ops->fini(p);
    free(p->priv);
    free(p);
}

int provider_lookup(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud)
{
    return p->ops->lookup(p, t, cb, ud);
}

int provider_search(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud)
{
    return p->ops->search ? p->ops->search(p, t, cb, ud) : PROVIDER_E_UNSUPPORTED;
}

int provider_submit(struct provider *p, const struct provider_submission *s, provider_cb cb, void *ud)
{
    return p->ops->submit(p, s, cb, ud);
}

int provider_poll(struct provider *p, const struct provider_ref *r, provider_cb cb, void *ud)
{
    return p->ops->poll(p, r, cb, ud);
}

int provider_withdraw(struct provider *p, const struct provider_ref *r, const char *why,
                      provider_cb cb, void *ud)
{
    return p->ops->withdraw ? p->ops->withdraw(p, r, why, cb, ud) : PROVIDER_E_UNSUPPORTED;
}

int provider_suspend(struct provider *p, const struct provider_target *t, provider_cb cb,
                     void *ud)
{
    return p->ops->suspend ? p->ops->suspend(p, t, cb, ud) : PROVIDER_E_UNSUPPORTED;
}

const char *provider_rc_text(enum provider_rc rc)
{
    switch (rc) {               /* no default: -Wswitch names the case we forgot */
    case PROVIDER_OK:             return "Done.";
    case PROVIDER_E_NOT_FOUND:    return "The marketplace has no agreement with that ID for this seller account.";
    case PROVIDER_E_NOT_ELIGIBLE: return "The marketplace does not allow self-serve cancellation of this agreement; it needs a support case.";
    case PROVIDER_E_INVALID:      return "The marketplace rejected the request as invalid.";
    case PROVIDER_E_CONFLICT:     return "The marketplace reports a conflict: a cancellation request may already be open for this agreement.";
    case PROVIDER_E_DENIED:       return "The seller account's credentials are not allowed to do this.";
    case PROVIDER_E_THROTTLED:    return "The marketplace is throttling requests; I will retry.";
    case PROVIDER_E_UNAVAILABLE:  return "The marketplace is unavailable right now; I will retry.";
    case PROVIDER_E_TIMEOUT:      return "The marketplace did not answer in time; I will retry.";
    case PROVIDER_E_AUTH:         return "The marketplace did not accept the seller credentials.";
    case PROVIDER_E_UNSUPPORTED:  return "This marketplace does not support that operation.";
    case PROVIDER_E_NOT_SELLER:   return "This seller account is not the agreement's seller (its proposer), so it cannot ask for its cancellation.";
    }
    return "Unexpected marketplace error.";
}

const char *provider_rc_name(enum provider_rc rc)
{
    switch (rc) {
    case PROVIDER_OK:             return "ok";
    case PROVIDER_E_NOT_FOUND:    return "not_found";
    case PROVIDER_E_NOT_ELIGIBLE: return "not_eligible";
    case PROVIDER_E_INVALID:      return "invalid";
    case PROVIDER_E_CONFLICT:     return "conflict";
    case PROVIDER_E_DENIED:       return "denied";
    case PROVIDER_E_THROTTLED:    return "throttled";
    case PROVIDER_E_UNAVAILABLE:  return "unavailable";
    case PROVIDER_E_TIMEOUT:      return "timeout";
    case PROVIDER_E_AUTH:         return "auth";
    case PROVIDER_E_UNSUPPORTED:  return "unsupported";
    case PROVIDER_E_NOT_SELLER:   return "not_seller";
    }
    return "unknown";
}

int provider_refuse_not_seller(struct provider_result *res, const char *agreement_id,
                               const char *our_account, const char *acceptor,
                               const char *proposer)
{
    if (!our_account || !our_account[0])
        return 0;
    acceptor = acceptor ? acceptor : "";
    proposer = proposer ? proposer : "";
    if (strcmp(acceptor, our_account) == 0) {
        res->rc = PROVIDER_E_NOT_SELLER;
        snprintf(res->message, sizeof(res->message), "agreement: %.64s was bought by this "
                 "account (%.20s): only its seller (the proposer%s%.20s) can cancel it; ask "
                 "them.", agreement_id, our_account, proposer[0] ? ", " : "", proposer);
        return 1;
    }
    if (proposer[0] && strcmp(proposer, our_account) != 0) {
        res->rc = PROVIDER_E_NOT_SELLER;
        snprintf(res->message, sizeof(res->message), "agreement: %.64s was sold by account "
                 "%.20s, not by this seller account (%.20s): only its seller (the proposer) "
                 "can cancel it. If that account is configured here, name it with "
                 "account=<name>; otherwise ask its seller.", agreement_id, proposer,
                 our_account);
        return 1;
    }
    return 0;
}

/* An id is letters, digits and - _ . : ; anything else (a peer's stray bytes) ends it,
 * so what reaches a log line stays one plain word. */
static void copy_id(char *dst, size_t cap, const char *v)
{
    size_t n = 0;
    if (!v || !*v)
        return;
    while (v[n] && n + 1 < cap &&
           ((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' && v[n] <= 'Z') ||
            (v[n] >= '0' && v[n] <= '9') || strchr("-_.:", v[n])))
        n++;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

void provider_trace_from_response(struct provider_trace *t, const struct http_response *rsp)
{
    if (!rsp)
        return;
    copy_id(t->aws_request_id, sizeof(t->aws_request_id),
            http_response_header(rsp, "x-amzn-RequestId"));
    copy_id(t->ms_correlation_id, sizeof(t->ms_correlation_id),
            http_response_header(rsp, "MS-CorrelationId"));
    copy_id(t->ms_request_id, sizeof(t->ms_request_id),
            http_response_header(rsp, "MS-RequestId"));
}
