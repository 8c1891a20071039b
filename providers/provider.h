/* providers/provider.h -- one interface for every marketplace (sim, aws, azure),
 * one const ops table per backend, as curl does for its TLS backends. Callers use the
 * provider_* wrappers, never p->ops directly. A backend builds and parses the
 * marketplace's messages; I/O goes through env (the runtime's loop and HTTP client),
 * so backends are tested without a network. Callbacks never fire inside the call that
 * registered them; a call that returns non-zero never calls its callback. */
#ifndef CANCELBOT_PROVIDERS_PROVIDER_H
#define CANCELBOT_PROVIDERS_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include "approvals/request.h"
#include "approvals/flow.h"

enum provider_rc {
    PROVIDER_OK = 0,
    PROVIDER_E_NOT_FOUND,       /* no such agreement / entitlement (or not ours) */
    PROVIDER_E_NOT_ELIGIBLE,    /* self-serve cancellation refused: support-case route */
    PROVIDER_E_INVALID,         /* the marketplace rejected a field */
    PROVIDER_E_CONFLICT,        /* e.g. a cancellation request is already pending */
    PROVIDER_E_DENIED,          /* missing permission */
    PROVIDER_E_THROTTLED,
    PROVIDER_E_UNAVAILABLE,     /* 5xx, connection failure */
    PROVIDER_E_TIMEOUT,
    PROVIDER_E_AUTH,            /* bad or expired credentials, clock skew */
    PROVIDER_E_UNSUPPORTED,     /* this backend cannot do that operation */
    PROVIDER_E_NOT_SELLER       /* this seller account is not the agreement's proposer */
};

/* What to look up: one agreement by id, or candidates by buyer / offer. */
struct provider_target {
    enum request_market market;
    char account[ACCOUNT_NAME_MAX];
    char agreement_id[AGREEMENT_ID_MAX];     /* AWS */
    char buyer_account[40];                  /* AWS search */
    char offer_id[AGREEMENT_ID_MAX];         /* AWS search */
    char customer_id[40];                    /* Azure */
    char subscription_id[40];                /* Azure */
    char entitlement_id[AGREEMENT_ID_MAX];   /* Azure */
};

struct provider_submission {
    enum request_kind kind;                  /* cancel, or refund (billing adjustment) */
    struct provider_target target;
    char reason_code[REASON_CODE_MAX];
    char description[NOTE_MAX];
    char client_token[65];                   /* [a-zA-Z0-9-]{1,64}: same request, same token */
    char invoice_id[64];                     /* refund */
    int64_t amount_cents;                    /* refund */
    char currency[4];
};

/* A submitted request, as the marketplace knows it. */
struct provider_ref {
    enum request_kind kind;
    struct provider_target target;
    char ref[128];                           /* acr-..., billing adjustment id, ... */
};

#define PROVIDER_MAX_MATCHES 20

/* The marketplace's own ids of the call that gave a result, for the operator's log
 * (so a support case can name the call); "" when unknown. Never shown to users. */
struct provider_trace {
    char aws_request_id[64];                 /* x-amzn-RequestId */
    char ms_correlation_id[40];              /* Partner Center MS-CorrelationId */
    char ms_request_id[40];                  /* Partner Center MS-RequestId */
};

struct provider_result {
    enum provider_rc rc;
    char message[512];                       /* for the user when rc != OK; never secrets */
    struct agreement matches[PROVIDER_MAX_MATCHES];   /* lookup: 1; search: candidates */
    int n_matches;
    char ref[128];                           /* submit: the marketplace's request id */
    enum market_status status;               /* poll / submit */
    char status_raw[32];
    struct provider_trace trace;             /* of the last answer, error or not */
};

typedef void (*provider_cb)(void *ud, const struct provider_result *res);

struct provider;

/* What the runtime lends a provider: a way to finish a call on a later loop tick,
 * the (possibly simulated) clock, and later the HTTP client. */
struct provider_env {
    void *loop;
    void (*defer)(void *loop, provider_cb cb, void *ud, const struct provider_result *res);
    /* Runs fn(arg) on a later tick once the clock reaches due_ms (retry back-off).
     * arg is owned by the task: fn frees it; if the loop ends first, free() does. */
    void (*defer_at)(void *loop, int64_t due_ms, void (*fn)(void *arg), void *arg);
    /* The same for work nobody waits on (the next long poll of an events queue). */
    void (*defer_background_at)(void *loop, int64_t due_ms, void (*fn)(void *arg), void *arg);
    int64_t (*now_ms)(void *loop);
    struct http_client *http;                /* NULL for sim */
    /* One line for the operator's log (never a secret); may be NULL. For what no
     * request waits on, e.g. "this account's id is unknown, checks are weaker". */
    void (*warn)(void *loop, const char *line);
    /* A background poller's outcome (the events queue, token or credential refresh),
     * for the log (rate-limited), /readyz and /metrics: code NULL when it worked; else
     * the service's error code ("AccessDenied", "AADSTS7000215", "HTTP500",
     * "transport") and a detail line (never a secret), tried again in retry_in_ms
     * (< 0: when asked). poller names it for the metrics ("aws_events_queue"), what
     * for the log ("events queue"). May be NULL. */
    void (*poller_report)(void *report_ud, const char *poller, const char *what,
                          const char *code, const char *detail, int64_t retry_in_ms);
    void *report_ud;
};

struct provider_ops {
    const char *name;                        /* "sim", "aws", "azure" */
    size_t priv_size;                        /* provider_new callocs this */
    int (*init)(struct provider *p, const char *config_json);   /* may be NULL */
    void (*fini)(struct provider *p);                           /* may be NULL */
    int (*lookup)(struct provider *, const struct provider_target *, provider_cb, void *ud);
    int (*search)(struct provider *, const struct provider_target *, provider_cb, void *ud);
    int (*submit)(struct provider *, const struct provider_submission *, provider_cb, void *ud);
    int (*poll)(struct provider *, const struct provider_ref *, provider_cb, void *ud);
    int (*withdraw)(struct provider *, const struct provider_ref *, const char *why,
                    provider_cb, void *ud);              /* may be NULL */
    /* Azure: suspend the subscription instead of cancelling it. May be NULL. */
    int (*suspend)(struct provider *, const struct provider_target *, provider_cb, void *ud);
};

struct provider {
    const struct provider_ops *ops;
    struct provider_env env;
    void *priv;                              /* priv_size bytes, owned by the provider */
};

/* config_json: backend-specific settings (sim: {"seed": "path", "state": "path"}).
 * Returns NULL with err filled when init fails. */
struct provider *provider_new(const struct provider_ops *ops, const struct provider_env *env,
                              const char *config_json, char *err, size_t errlen);
void provider_free(struct provider *p);

int provider_lookup(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud);
int provider_search(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud);
int provider_submit(struct provider *p, const struct provider_submission *s, provider_cb cb, void *ud);
int provider_poll(struct provider *p, const struct provider_ref *r, provider_cb cb, void *ud);
int provider_withdraw(struct provider *p, const struct provider_ref *r, const char *why,
                      provider_cb cb, void *ud);

int provider_suspend(struct provider *p, const struct provider_target *t, provider_cb cb,
                     void *ud);

struct http_response;

/* Copies the marketplace's request and correlation ids from an answer's headers
 * (x-amzn-RequestId, MS-CorrelationId, MS-RequestId); leaves a field alone when the
 * answer has no such header. */
void provider_trace_from_response(struct provider_trace *t, const struct http_response *rsp);

/* One sentence per code, for the thread and the record. */
const char *provider_rc_text(enum provider_rc rc);
/* A short name per code, for metrics' labels: "ok", "not_found", "throttled", ... */
const char *provider_rc_name(enum provider_rc rc);

/* Only an agreement's seller (its proposer) can ask for its cancellation. When
 * our_account (this seller account's id; "" when unknown) is the agreement's acceptor
 * or is not its proposer, fills res with PROVIDER_E_NOT_SELLER and the sentence the
 * requester sees instead of Confirm, and returns 1; else 0 and res is untouched.
 * Either party id may be "" (not given by the marketplace): nothing is concluded
 * from what is missing. */
int provider_refuse_not_seller(struct provider_result *res, const char *agreement_id,
                               const char *our_account, const char *acceptor,
                               const char *proposer);

#endif
