/* providers/aws_agreement.c -- the "aws" provider: its ops table, start-up, and the
 * life of one call. Accounts and their credentials are set up by
 * aws_agreement_config.c; what goes on the wire is aws_agreement_request.c and what
 * answers mean is aws_agreement_answer.c, so this file never builds or reads a body.
 *
 * A call (struct aws_call) is one flat allocation that owns itself from start to
 * finish: it is the ud of every HTTP exchange and the arg of every deferred retry,
 * so the loop may free() it if it ends first. Its life:
 *
 *   start -- check the account and the fields; a refusal finishes at once
 *   step  -- credentials fresh? send the API call : fetch credentials, then send;
 *            a look-up first asks STS whose credentials they are, once per account
 *            (aws_who.account_id), so that the answer can refuse an agreement this
 *            seller cannot cancel; if STS fails, the look-up goes on without it
 *   answer -- done: finish | next page: step | throttled/5xx: retry after a jittered
 *             back-off while the budget lasts | expired token: fetch again, once
 *   finish -- the result goes through env.defer; the call is freed
 *
 * Each attempt signs afresh (new X-Amz-Date) from the same arguments, so a resend
 * carries the same clientToken. Secrets live only in the account's credentials and,
 * briefly, in a request that is wiped after it is handed to the HTTP client. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "providers/aws_agreement.h"
#include "providers/aws_agreement_int.h"
#include "providers/aws_sigv4.h"
#include "providers/aws_sts.h"
#include "providers/backoff.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 8000
#define DEFAULT_WITHDRAW_REASON "Withdrawn by the seller."

struct aws_call {
    struct provider *p;
    struct aws_account *acct;
    provider_cb cb;
    void *ud;
    int64_t started_ms;              /* of the current API call: the retry budget */
    int retries, pages, reauthed;
    struct aws_args args;
    struct provider_result res;
};

static const char *process_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

static int aws_setup(struct provider *p, const char *config_json, aws_getenv_fn getenv_fn,
                     void *getenv_ud, char *err, size_t errlen)
{
    struct aws_priv *pv = p->priv;
    if (!p->env.http || !p->env.defer || !p->env.now_ms) {
        snprintf(err, errlen, "the aws provider needs the runtime's HTTP client, defer and clock");
        return -1;
    }
    if (aws_config_read(config_json, pv, err, errlen))
        return -1;
    pv->rng = (uint64_t)p->env.now_ms(p->env.loop) * 0x9E3779B97F4A7C15ull ^ (uintptr_t)pv;
    pv->rng |= 1;
    for (int i = 0; i < pv->n_accounts; i++) {
        pv->accounts[i].base_getenv = getenv_fn;
        pv->accounts[i].base_ud = getenv_ud;
        if (aws_account_resolve(&pv->accounts[i], err, errlen))
            return -1;
    }
    return aws_accounts_distinct(pv, err, errlen);
}

static int aws_init(struct provider *p, const char *config_json)
{
    char err[512];     /* provider_new has no room for it: aws_agreement_provider_new has */
    return aws_setup(p, config_json, process_getenv, NULL, err, sizeof(err));
}

static void aws_fini(struct provider *p)
{
    OPENSSL_cleanse(p->priv, sizeof(struct aws_priv));
}

/* ---- one call -------------------------------------------------------------------- */

static int64_t now_ms(const struct provider *p)
{
    return p->env.now_ms(p->env.loop);
}

static void finish(struct aws_call *c)
{
    c->p->env.defer(c->p->env.loop, c->cb, c->ud, &c->res);
    free(c);
}

__attribute__((format(printf, 3, 4)))
static void finish_with(struct aws_call *c, enum provider_rc rc, const char *fmt, ...)
{
    va_list ap;
    c->res.rc = rc;
    va_start(ap, fmt);
    vsnprintf(c->res.message, sizeof(c->res.message), fmt, ap);
    va_end(ap);
    finish(c);
}

static void scrub(struct provider_result *res, const struct aws_credentials *cr)
{
    aws_scrub_message(res->message, sizeof(res->message), cr, provider_rc_text(res->rc));
}

/* Half to all of min(base * 2^n, cap), so that callers throttled together spread. */
static int64_t backoff_ms(struct aws_priv *pv, int n)
{
    return backoff_jittered_ms(&pv->rng, n + 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static void step(struct aws_call *c);

static void retry_task(void *arg)
{
    step(arg);
}

static void retry_later(struct aws_call *c, int64_t retry_after_ms)
{
    struct provider *p = c->p;
    int64_t now = now_ms(p), delay = backoff_ms(p->priv, c->retries);
    size_t used = strlen(c->res.message);
    if (retry_after_ms > delay)
        delay = retry_after_ms;
    if (!p->env.defer_at || now + delay - c->started_ms > AWS_AGREEMENT_BUDGET_MS) {
        snprintf(c->res.message + used, sizeof(c->res.message) - used, " Gave up after %d "
                 "attempt%s in %lld s.", c->retries + 1, c->retries ? "s" : "",
                 (long long)((now - c->started_ms) / 1000));
        finish(c);
        return;
    }
    c->retries++;
    p->env.defer_at(p->env.loop, now + delay, retry_task, c);
}

static void on_api(void *ud, const struct http_response *rsp)
{
    struct aws_call *c = ud;
    struct aws_account *a = c->acct;
    struct aws_who who = {a->name, a->source, a->account_id};
    enum aws_verdict v;
    if (c->args.op == AWS_OP_SEARCH) {          /* matches gather across pages */
        c->res.rc = PROVIDER_OK;
        c->res.message[0] = '\0';
    } else {
        memset(&c->res, 0, sizeof(c->res));
    }
    v = aws_answer(&c->args, &who, rsp, &c->res);
    provider_trace_from_response(&c->res.trace, rsp);
    scrub(&c->res, &a->creds);
    switch (v) {
    case AWS_DONE:
        finish(c);
        return;
    case AWS_NEXT_PAGE:
        if (++c->pages >= AWS_AGREEMENT_MAX_PAGES) {
            finish(c);
            return;
        }
        c->retries = 0;
        c->started_ms = now_ms(c->p);
        step(c);
        return;
    case AWS_RETRY_THROTTLED:
    case AWS_RETRY_UNAVAILABLE:
        retry_later(c, http_retry_after_ms(rsp));
        return;
    case AWS_REAUTH:
        if (a->kind == CRED_STATIC || c->reauthed) {
            finish(c);
            return;
        }
        c->reauthed = 1;
        a->have_creds = 0;
        step(c);
        return;
    }
}

static void send_api(struct aws_call *c)
{
    struct aws_account *a = c->acct;
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {a->creds.access_key_id, a->creds.secret_access_key,
                                  a->creds.session_token, a->region, AWS_AGREEMENT_SIGNING_NAME,
                                  now_ms(c->p)};
    char target[96], *body = NULL;
    size_t len = 0;
    int rc, sent = -1;
    if (!req)
        abort();                     /* as xmalloc: the outbox makes a restart safe */
    snprintf(target, sizeof(target), "%s%s", AWS_AGREEMENT_TARGET_PREFIX, aws_op_name(c->args.op));
    if (aws_args_body(&c->args, &body, &len)) {
        free(req);
        finish_with(c, PROVIDER_E_INVALID, "Could not encode the %s request as JSON.",
                    aws_op_name(c->args.op));
        return;
    }
    snprintf(req->method, sizeof(req->method), "POST");
    request_copy_str(req->url, sizeof(req->url), a->endpoint);
    http_request_add_header(req, "Content-Type", AWS_AGREEMENT_CONTENT_TYPE);
    http_request_add_header(req, "X-Amz-Target", target);
    req->body = body;
    req->body_len = len;
    req->timeout_ms = AWS_AGREEMENT_TIMEOUT_MS;
    if ((rc = aws_sigv4_sign(req, &sp)) == AWS_SIGV4_OK)
        sent = http_send(c->p->env.http, req, on_api, c);
    OPENSSL_cleanse(req, sizeof(*req));     /* the signature and the session token */
    free(req);
    free(body);
    if (rc != AWS_SIGV4_OK)
        finish_with(c, PROVIDER_E_AUTH, "Could not sign the %s request of seller account '%s': "
                    "%s", aws_op_name(c->args.op), a->name, aws_sigv4_rc_text(rc));
    else if (sent != 0)
        finish_with(c, PROVIDER_E_UNAVAILABLE, "Could not queue the %s request: the HTTP "
                    "client refused it.", aws_op_name(c->args.op));
}

/* ---- whose credentials: STS GetCallerIdentity, once per account ------------------- */

static int needs_identity(const struct aws_call *c)
{
    const struct aws_account *a = c->acct;
    return c->args.op == AWS_OP_DESCRIBE && !a->account_id[0] &&
           now_ms(c->p) >= a->identity_retry_ms;
}

/* Without the id a look-up still works; only the refusal before Confirm is lost, and
 * AWS's refusal at submission (AccessDeniedException INVALID_ACCESS) says it instead.
 * Said once per account: the next attempt waits AWS_IDENTITY_RETRY_MS. */
static void identity_failed(struct aws_call *c, const char *why)
{
    struct aws_account *a = c->acct;
    char line[1100];
    a->identity_retry_ms = now_ms(c->p) + AWS_IDENTITY_RETRY_MS;
    if (a->identity_warned || !c->p->env.warn)
        return;
    a->identity_warned = 1;
    snprintf(line, sizeof(line), "AWS seller account '%s': could not learn which AWS account "
             "its credentials (%s) belong to: %.300s. Look-ups go on, but cannot refuse "
             "agreements this seller cannot cancel (bought by this account, or sold by "
             "another); AWS's refusal at submission will say so instead. Asking again in %d "
             "minutes.", a->name, a->source, why, AWS_IDENTITY_RETRY_MS / 60000);
    c->p->env.warn(c->p->env.loop, line);
}

static void on_identity(void *ud, const struct http_response *rsp)
{
    struct aws_call *c = ud;
    struct aws_account *a = c->acct;
    char id[AWS_ACCOUNT_ID_MAX], why[300];
    if (rsp->transport != HTTP_OK)
        snprintf(why, sizeof(why), "STS GetCallerIdentity %s",
                 rsp->transport == HTTP_E_TIMEOUT ? "did not answer in time"
                 : rsp->error[0] ? rsp->error : "could not be reached");
    if (rsp->transport != HTTP_OK ||
        aws_caller_identity_parse(rsp->status, rsp->body ? rsp->body : "", rsp->body_len, id,
                                  why, sizeof(why)) != 0)
        identity_failed(c, why);
    else
        memcpy(a->account_id, id, sizeof(a->account_id));
    send_api(c);
}

static void send_identity(struct aws_call *c)
{
    struct aws_account *a = c->acct;
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {a->creds.access_key_id, a->creds.secret_access_key,
                                  a->creds.session_token, a->region, AWS_STS_SIGNING_NAME,
                                  now_ms(c->p)};
    int rc, sent = -1;
    if (!req)
        abort();
    snprintf(req->method, sizeof(req->method), "POST");
    request_copy_str(req->url, sizeof(req->url), a->sts_endpoint);
    http_request_add_header(req, "Content-Type", AWS_STS_CONTENT_TYPE);
    req->body = AWS_STS_IDENTITY_BODY;
    req->body_len = strlen(AWS_STS_IDENTITY_BODY);
    req->timeout_ms = AWS_IDENTITY_TIMEOUT_MS;
    if ((rc = aws_sigv4_sign(req, &sp)) == AWS_SIGV4_OK)
        sent = http_send(c->p->env.http, req, on_identity, c);
    OPENSSL_cleanse(req, sizeof(*req));
    free(req);
    if (rc != AWS_SIGV4_OK || sent != 0) {
        identity_failed(c, rc != AWS_SIGV4_OK ? aws_sigv4_rc_text(rc)
                                              : "the HTTP client refused the request");
        send_api(c);
    }
}

/* The call's next exchange once the credentials are fresh. */
static void send_next(struct aws_call *c)
{
    if (needs_identity(c))
        send_identity(c);
    else
        send_api(c);
}

/* A credentials refresh is a background poller's work as far as the operator is
 * concerned: one that keeps failing must show in the log, /readyz and /metrics. */
static void report_creds(struct aws_call *c, const struct http_response *rsp, const char *why)
{
    struct provider *p = c->p;
    char what[96], code[32];
    if (!p->env.poller_report)
        return;
    snprintf(what, sizeof(what), "AWS credentials of seller account %.40s", c->acct->name);
    if (!rsp)
        p->env.poller_report(p->env.report_ud, "aws_credentials", what, NULL, NULL, -1);
    else if (rsp->transport != HTTP_OK)
        p->env.poller_report(p->env.report_ud, "aws_credentials", what,
                             rsp->transport == HTTP_E_TIMEOUT ? "timeout" : "transport", why, -1);
    else {
        snprintf(code, sizeof(code), "HTTP%ld", rsp->status);
        p->env.poller_report(p->env.report_ud, "aws_credentials", what, code, why, -1);
    }
}

static void on_creds(void *ud, const struct http_response *rsp)
{
    struct aws_call *c = ud;
    struct aws_account *a = c->acct;
    struct aws_credentials cr;
    char why[512];
    int rc;
    if (rsp->transport != HTTP_OK) {
        report_creds(c, rsp, rsp->error[0] ? rsp->error : "transport error");
        finish_with(c, rsp->transport == HTTP_E_TIMEOUT ? PROVIDER_E_TIMEOUT : PROVIDER_E_UNAVAILABLE,
                    "Could not fetch the %s of seller account '%s': %.200s.", a->source, a->name,
                    rsp->error[0] ? rsp->error : "transport error");
        return;
    }
    rc = a->kind == CRED_CONTAINER
             ? aws_container_parse(rsp->body ? rsp->body : "", rsp->body_len, &cr, why, sizeof(why))
             : aws_web_identity_parse(rsp->body ? rsp->body : "", rsp->body_len, &cr, why,
                                      sizeof(why));
    if (rc != AWS_CRED_OK) {
        report_creds(c, rsp, why);
        finish_with(c, rsp->status >= 500 ? PROVIDER_E_UNAVAILABLE : PROVIDER_E_AUTH,
                    "Could not get the %s of seller account '%s' (HTTP %ld): %s", a->source,
                    a->name, rsp->status, why);
        return;
    }
    a->creds = cr;
    a->have_creds = 1;
    OPENSSL_cleanse(&cr, sizeof(cr));
    report_creds(c, NULL, NULL);
    send_next(c);
}

static void fetch_creds(struct aws_call *c)
{
    struct aws_account *a = c->acct;
    struct http_request *req = calloc(1, sizeof(*req));
    char why[512], *body = NULL;
    int rc, sent = -1;
    if (!req)
        abort();
    rc = a->kind == CRED_CONTAINER
             ? aws_container_request(aws_account_getenv, a, req, why, sizeof(why))
             : aws_web_identity_request(aws_account_getenv, a, a->region, now_ms(c->p), req, &body,
                                        why, sizeof(why));
    if (rc == AWS_CRED_OK)
        sent = http_send(c->p->env.http, req, on_creds, c);
    OPENSSL_cleanse(req, sizeof(*req));     /* the agent token, the web identity token */
    free(req);
    if (body)
        OPENSSL_cleanse(body, strlen(body));
    free(body);
    if (rc != AWS_CRED_OK)
        finish_with(c, PROVIDER_E_AUTH, "Could not ask for the %s of seller account '%s': %s",
                    a->source, a->name, why);
    else if (sent != 0)
        finish_with(c, PROVIDER_E_UNAVAILABLE, "Could not queue the credentials request of "
                    "seller account '%s': the HTTP client refused it.", a->name);
}

static void step(struct aws_call *c)
{
    struct aws_account *a = c->acct;
    if (a->kind != CRED_STATIC &&
        (!a->have_creds || aws_credentials_need_refresh(&a->creds, now_ms(c->p))))
        fetch_creds(c);
    else
        send_next(c);
}

static struct aws_account *account_named(struct aws_priv *pv, const char *name)
{
    if (!name[0] && pv->n_accounts == 1)
        return &pv->accounts[0];
    for (int i = 0; i < pv->n_accounts; i++)
        if (strcmp(pv->accounts[i].name, name[0] ? name : "default") == 0)
            return &pv->accounts[i];
    return NULL;
}

/* Takes over the call: it finishes now (refused) or after the exchange. */
static int start(struct provider *p, const char *account, struct aws_call *c)
{
    struct aws_priv *pv = p->priv;
    char known[300] = "", b[ACCOUNT_NAME_MAX];
    size_t used = 0;
    if (!(c->acct = account_named(pv, account))) {
        for (int i = 0; i < pv->n_accounts; i++) {
            int n = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                             pv->accounts[i].name);
            if (n < 0 || (size_t)n >= sizeof(known) - used)
                break;
            used += (size_t)n;
        }
        for (size_t i = 0; i < sizeof(b) && (b[i] = account[i]); i++)
            if ((unsigned char)b[i] < 0x20 || b[i] == 0x7F)
                b[i] = '?';
        b[sizeof(b) - 1] = '\0';
        finish_with(c, PROVIDER_E_INVALID, "No AWS seller account named '%s' is configured "
                    "(account; known: %s).", account[0] ? b : "default", known);
        return 0;
    }
    if (aws_args_check(&c->args, c->res.message, sizeof(c->res.message))) {
        c->res.rc = PROVIDER_E_INVALID;
        finish(c);
        return 0;
    }
    c->started_ms = now_ms(p);
    step(c);
    return 0;
}

static struct aws_call *call_new(struct provider *p, enum aws_op op, provider_cb cb, void *ud)
{
    struct aws_call *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->p = p;
    c->cb = cb;
    c->ud = ud;
    c->args.op = op;
    return c;
}

#define COPY(dst, src) request_copy_str((dst), sizeof(dst), (src))

static int aws_lookup(struct provider *p, const struct provider_target *t, provider_cb cb,
                      void *ud)
{
    struct aws_call *c;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    c = call_new(p, AWS_OP_DESCRIBE, cb, ud);
    COPY(c->args.agreement_id, t->agreement_id);
    return start(p, t->account, c);
}

static int aws_search(struct provider *p, const struct provider_target *t, provider_cb cb,
                      void *ud)
{
    struct aws_call *c;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    c = call_new(p, AWS_OP_SEARCH, cb, ud);
    COPY(c->args.buyer_account, t->buyer_account);
    COPY(c->args.offer_id, t->offer_id);
    return start(p, t->account, c);
}

static int aws_submit(struct provider *p, const struct provider_submission *s, provider_cb cb,
                      void *ud)
{
    struct aws_call *c;
    if (!cb || !s)
        return PROVIDER_E_INVALID;
    c = call_new(p, s->kind == REQUEST_REFUND ? AWS_OP_CREATE_REFUND : AWS_OP_SEND_CANCEL, cb, ud);
    COPY(c->args.agreement_id, s->target.agreement_id);
    COPY(c->args.reason_code, s->reason_code);
    COPY(c->args.text, s->description);
    COPY(c->args.client_token, s->client_token);
    COPY(c->args.invoice_id, s->invoice_id);
    COPY(c->args.currency, s->currency);
    c->args.amount_cents = s->amount_cents;
    return start(p, s->target.account, c);
}

static int aws_poll(struct provider *p, const struct provider_ref *r, provider_cb cb, void *ud)
{
    struct aws_call *c;
    if (!cb || !r)
        return PROVIDER_E_INVALID;
    c = call_new(p, r->kind == REQUEST_REFUND ? AWS_OP_GET_REFUND : AWS_OP_GET_CANCEL, cb, ud);
    COPY(c->args.agreement_id, r->target.agreement_id);
    COPY(c->args.ref, r->ref);
    return start(p, r->target.account, c);
}

static int aws_withdraw(struct provider *p, const struct provider_ref *r, const char *why,
                        provider_cb cb, void *ud)
{
    struct aws_call *c;
    if (!cb || !r)
        return PROVIDER_E_INVALID;
    c = call_new(p, AWS_OP_WITHDRAW_CANCEL, cb, ud);
    if (r->kind == REQUEST_REFUND) {
        finish_with(c, PROVIDER_E_UNSUPPORTED, "Billing adjustment request %.100s cannot be "
                    "withdrawn: AWS has no call for that once it is submitted.", r->ref);
        return 0;
    }
    COPY(c->args.agreement_id, r->target.agreement_id);
    COPY(c->args.ref, r->ref);
    if (why && strlen(why) >= sizeof(c->args.text)) {
        finish_with(c, PROVIDER_E_INVALID, "The reason for withdrawing (cancellationReason) is "
                    "too long: AWS takes 1 to 2000 characters of text.");
        return 0;
    }
    COPY(c->args.text, why && *why ? why : DEFAULT_WITHDRAW_REASON);
    return start(p, r->target.account, c);
}

#define AWS_OPS_COMMON                                                                    \
    .name = "aws", .priv_size = sizeof(struct aws_priv), .fini = aws_fini,                 \
    .lookup = aws_lookup, .search = aws_search, .submit = aws_submit, .poll = aws_poll,    \
    .withdraw = aws_withdraw

const struct provider_ops aws_agreement_provider_ops = {AWS_OPS_COMMON, .init = aws_init};

/* The same table without init, for aws_agreement_provider_new, which sets up itself
 * with the caller's getenv and keeps the error sentence. */
static const struct provider_ops aws_ops_set_up_by_caller = {AWS_OPS_COMMON, .init = NULL};

struct provider *aws_agreement_provider_new(const struct provider_env *env,
                                            const char *config_json, aws_getenv_fn getenv_fn,
                                            void *getenv_ud, char *err, size_t errlen)
{
    struct provider *p = provider_new(&aws_ops_set_up_by_caller, env, NULL, err, errlen);
    if (p && aws_setup(p, config_json, getenv_fn ? getenv_fn : process_getenv, getenv_ud, err,
                       errlen) != 0) {
        provider_free(p);
        return NULL;
    }
    return p;
}
