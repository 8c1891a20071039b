/* providers/aws_support.c -- the support-case route (aws_support.h): the marketplace's
 * refund / cancellation form as text, and AWS Support CreateCase / DescribeCases to file
 * and follow it. Accounts are the "aws" provider's (aws_config_read, aws_account_resolve:
 * a profile means the same to both); only the endpoint is set here. A call (struct
 * sup_call) is one flat allocation, the ud of its exchanges and the arg of its deferred
 * tasks, so the loop may free() it if it ends first:
 *   start  -- check account and fields; a refusal finishes at once
 *   step   -- credentials fresh? send : fetch them (container / web identity), then send
 *   answer -- done | throttled or 5xx: retry after jittered back-off within the budget |
 *             expired token: fetch again, once
 *   finish -- env.defer_at(now) hands the result to the callback and frees the call
 * A create that timed out is not resent: AWS may have opened the case, and CreateCase
 * has no client token that would make a resend harmless. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "providers/aws_support.h"
#include "providers/aws_agreement_int.h"
#include "providers/aws_sigv4.h"
#include "providers/backoff.h"

#define TARGET_PREFIX "AWSSupport_20130415."
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define SIGNING_NAME "support"
#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 8000

struct aws_support {
    struct provider_env env;
    char sign_region[AWS_MAX_ACCOUNTS][32];  /* the partition's Support region, per account */
    struct aws_priv pv;                      /* accounts, credentials, back-off jitter */
};

enum sup_op { OP_CREATE, OP_DESCRIBE };

struct sup_call {
    struct aws_support *s;
    int acct;                                /* index into s->pv.accounts */
    enum sup_op op;
    aws_support_cb cb;
    void *ud;
    int64_t started_ms;
    int retries, reauthed;
    struct aws_support_case_input in;        /* create */
    char token[65];                          /* create: the reference in the body */
    char case_id[128];                       /* describe */
    struct aws_support_result res;
};


__attribute__((format(printf, 3, 4)))
static void say(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

/* ---- the form (pure) ------------------------------------------------------------- */

/* 1..max of letters, digits and the extra characters; "" passes when optional. */
static int id_ok(const char *s, size_t max, const char *extra, int optional)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr(extra, s[n]))
            return 0;
    return n <= max && (n > 0 || optional);
}

static int date_ok(const char *s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    for (int i = 0; i < 10; i++)     /* stops at the NUL of a shorter string */
        if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return 0;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (s[10] || y < 2000 || m < 1 || m > 12 || d < 1)
        return 0;
    return d <= mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int aws_support_input_check(const struct aws_support_case_input *in, char *msg, size_t msglen)
{
    const char *why = NULL;
    if (!id_ok(in->agreement_id, AGREEMENT_ID_MAX - 1, "-_", 0))
        why = "The agreement ID is required: letters, digits, '-' and '_' (agmt-...).";
    else if (strlen(in->subscriber_account) != 12 ||
             strspn(in->subscriber_account, "0123456789") != 12)
        why = "The subscriber (buyer) account is an AWS account ID of 12 digits.";
    else if (!id_ok(in->product_id, sizeof(in->product_id) - 1, "-_.", 0))
        why = "The product ID is required: letters, digits, '-', '_' and '.' (prod-...).";
    else if (!id_ok(in->offer_id, sizeof(in->offer_id) - 1, "-_.", 1))
        why = "The offer ID takes letters, digits, '-', '_' and '.' (offer-...).";
    else if (!id_ok(in->invoice_id, sizeof(in->invoice_id) - 1, "-_", 1))
        why = "The invoice ID takes letters, digits, '-' and '_'.";
    else if (in->amount_cents < 0 || (in->amount_cents > 0 && !(strlen(in->currency) == 3 &&
             isupper((unsigned char)in->currency[0]) && isupper((unsigned char)in->currency[1]) &&
             isupper((unsigned char)in->currency[2]))))
        why = "A refund amount is zero or more, with a currency code like USD.";
    else if (!date_ok(in->effective_date))
        why = "The effective date is a calendar date written YYYY-MM-DD, like 2025-02-01.";
    else if (!in->reason[strspn(in->reason, " \t\r\n")])
        why = "The reason for the cancellation is required, in words.";
    else if (!id_ok(in->request_id, REQUEST_ID_MAX - 1, "-", 0))
        why = "The request id (CR-7) is required.";
    if (!why)
        return AWS_SUPPORT_OK;
    say(msg, msglen, "%s", why);
    return AWS_SUPPORT_E_INVALID;
}

struct text {
    char *p;
    size_t cap, len;
    int full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (t->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len)
        t->full = 1;
    else
        t->len += (size_t)n;
}

/* "Label: value" on one line: the person at AWS reads a form, not what a control
 * character in a Slack note would do to it. Empty values are left out. */
static void put_field(struct text *t, const char *label, const char *value)
{
    char clean[NOTE_MAX];
    size_t n = 0;
    for (; value[n] && n + 1 < sizeof(clean); n++)
        clean[n] = (unsigned char)value[n] < 0x20 || value[n] == 0x7F ? ' ' : value[n];
    clean[n] = '\0';
    if (n)
        put(t, "%s: %s\n", label, clean);
}

static void put_subject(struct text *t, const struct aws_support_case_input *in)
{
    put(t, "AWS Marketplace agreement cancellation: %s (%s)", in->agreement_id, in->request_id);
}

/* The form into t; the caller has checked in. token may be NULL. */
static void form(struct text *t, const struct aws_support_case_input *in, const char *token)
{
    const char *acct = in->account[0] ? in->account : "default";
    put(t, "Subject: ");
    put_subject(t, in);
    put(t, "\n\nHello AWS Marketplace Seller Operations,\n\nAs the seller of record we ask you to "
        "cancel the AWS Marketplace agreement below. Self-serve cancellation does not accept "
        "it (a contract-based agreement, or a private offer past its first 48 hours), so we "
        "send the refund and cancellation request form here.\n\n"
        "Please cancel this agreement effective %s.\n\n", in->effective_date);
    put_field(t, "Agreement ID", in->agreement_id);
    put_field(t, "Subscriber AWS account ID", in->subscriber_account);
    put_field(t, "Product ID", in->product_id);
    put_field(t, "Offer ID", in->offer_id[0] ? in->offer_id : "not given");
    put_field(t, "Billing period", in->billing_period[0] ? in->billing_period : "not given");
    if (in->amount_cents > 0)
        put(t, "Refund amount: %lld.%02lld %s\n", (long long)(in->amount_cents / 100),
            (long long)(in->amount_cents % 100), in->currency);
    else
        put(t, "Refund amount: 0.00 (cancellation only, no refund)\n");
    put_field(t, "Invoice ID", in->invoice_id);
    put_field(t, "Reason for the cancellation", in->reason);
    if (in->case_id[0] || in->buyer_ref[0] || in->next_step[0])
        put(t, "\nContext:\n");
    put_field(t, "Related support case", in->case_id);
    put_field(t, "Buyer's request reference", in->buyer_ref);
    put_field(t, "Intended next step", in->next_step);
    put(t, "\nRequested by %s through cancelbot for seller account '%s'. Our reference is "
        "request %s: please quote it when you reply.\n", in->requester[0] ? in->requester
        : "the seller", acct, in->request_id);
    if (token && *token)
        put(t, "Tracking token: %s\n", token);
}

int aws_support_form_text(const struct aws_support_case_input *in, char *out, size_t outlen)
{
    char why[160];
    struct text t = {NULL, outlen, 0, 0};
    int rc = AWS_SUPPORT_E_INVALID;
    if (!in || !out || !outlen || aws_support_input_check(in, why, sizeof(why)))
        return rc;
    if (!(t.p = malloc(outlen)))
        abort();                     /* as xmalloc */
    form(&t, in, NULL);
    if (!t.full) {
        memcpy(out, t.p, t.len + 1);
        rc = AWS_SUPPORT_OK;
    }
    free(t.p);
    return rc;
}

/* ---- set-up ---------------------------------------------------------------------- */

static const char *process_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

/* One Support endpoint per partition, whatever region the seller works in. */
static int set_endpoint(struct aws_account *a, char region[32], char *err, size_t errlen)
{
    const char *ignore = a->base_getenv(a->base_ud, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *var = "AWS_ENDPOINT_URL_SUPPORT", *v = NULL;
    size_t n;
    snprintf(region, 32, "%s", !strncmp(a->region, "cn-", 3) ? "cn-north-1"
             : !strncmp(a->region, "us-gov-", 7) ? "us-gov-west-1" : "us-east-1");
    if (!(ignore && strcasecmp(ignore, "true") == 0) &&
        (!(v = a->base_getenv(a->base_ud, var)) || !*v)) {
        var = "AWS_ENDPOINT_URL";
        v = a->base_getenv(a->base_ud, var);
    }
    if (!v || !*v) {
        snprintf(a->endpoint, sizeof(a->endpoint), "https://support.%s.amazonaws.com%s/", region,
                 region[0] == 'c' ? ".cn" : "");
        return 0;
    }
    n = strlen(v);
    if ((strncasecmp(v, "https://", 8) && strncasecmp(v, "http://", 7)) ||
        strpbrk(v, " \t\r\n?#") || n + 2 > sizeof(a->endpoint)) {
        say(err, errlen, "%s is not an endpoint URL like https://host[:port][/path] (no query, at "
            "most %zu characters)", var, sizeof(a->endpoint) - 2);
        return -1;
    }
    snprintf(a->endpoint, sizeof(a->endpoint), "%s%s", v, v[n - 1] == '/' ? "" : "/");
    return 0;
}

struct aws_support *aws_support_new(const struct provider_env *env, const char *config_json,
                                    aws_getenv_fn getenv_fn, void *ud, char *err, size_t errlen)
{
    struct aws_support *s = NULL;
    if (!env || !env->http || !env->defer_at || !env->now_ms) {
        say(err, errlen, "the support-case route needs the runtime's HTTP client, defer_at and "
            "clock");
        return NULL;
    }
    if (!(s = calloc(1, sizeof(*s))))
        abort();
    s->env = *env;
    if (aws_config_read(config_json, &s->pv, err, errlen))
        goto fail;
    s->pv.rng = ((uint64_t)env->now_ms(env->loop) * 0x9E3779B97F4A7C15ull ^ (uintptr_t)s) | 1;
    for (int i = 0; i < s->pv.n_accounts; i++) {
        struct aws_account *a = &s->pv.accounts[i];
        a->base_getenv = getenv_fn ? getenv_fn : process_getenv;
        a->base_ud = ud;
        if (aws_account_resolve(a, err, errlen) || set_endpoint(a, s->sign_region[i], err, errlen))
            goto fail;
    }
    if (aws_accounts_distinct(&s->pv, err, errlen) == 0)
        return s;
fail:
    aws_support_free(s);
    return NULL;
}

void aws_support_free(struct aws_support *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, sizeof(*s));          /* credentials */
    free(s);
}

/* ---- answers --------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The error's name: X-Amzn-ErrorType, else __type, without "ns#" and ":detail". */
static void error_type(const struct http_response *rsp, const json_t *body, char out[96])
{
    const char *t = http_response_header(rsp, "X-Amzn-ErrorType"), *hash;
    size_t n;
    if (!t || !*t)
        t = jstr(body, "__type") ? jstr(body, "__type") : "";
    n = strcspn(t, ":");
    if ((hash = memchr(t, '#', n))) {
        n -= (size_t)(hash + 1 - t);
        t = hash + 1;
    }
    snprintf(out, 96, "%.*s", (int)(n < 95 ? n : 95), t);
}

/* AWS's own words, short and on one line (never for signature errors: they quote the
 * canonical request). */
static void aws_words(const json_t *body, char out[200])
{
    const char *m = jstr(body, "message") ? jstr(body, "message") : jstr(body, "Message");
    size_t n = 0;
    for (; m && m[n] && n < 199; n++)
        out[n] = (unsigned char)m[n] < 0x20 ? ' ' : m[n];
    while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
        n--;                         /* no cut UTF-8 character */
    if (n && (unsigned char)out[n - 1] >= 0xC0)
        n--;
    out[n] = '\0';
}

static enum aws_support_status case_status(const char *raw)
{
    if (strcmp(raw, "resolved") == 0)
        return AWS_SUPPORT_COMPLETED;
    if (strcmp(raw, "pending-customer-action") == 0)
        return AWS_SUPPORT_ACTION_REQUIRED;
    return AWS_SUPPORT_PENDING;      /* opened, unassigned, work-in-progress, reopened, new */
}

static enum aws_support_next read_ok(const struct aws_support_asked *q, const json_t *body,
                                     struct aws_support_result *r)
{
    const json_t *it;
    size_t i;
    if (q->create) {
        /* An empty id names no case: the runtime would record "created" with nothing
         * to follow. */
        if (!jstr(body, "caseId") || !jstr(body, "caseId")[0] ||
            strlen(jstr(body, "caseId")) >= sizeof(r->case_id))
            goto odd;
        request_copy_str(r->case_id, sizeof(r->case_id), jstr(body, "caseId"));
        r->status = AWS_SUPPORT_PENDING;
        r->rc = AWS_SUPPORT_OK;
        return AWS_SUPPORT_NEXT_DONE;
    }
    if (!json_is_array(json_object_get(body, "cases")))
        goto odd;
    json_array_foreach(json_object_get(body, "cases"), i, it) {
        const char *id = jstr(it, "caseId"), *shown = jstr(it, "displayId");
        const char *st = jstr(it, "status");
        if (!st || !((id && !strcmp(id, q->case_id)) || (shown && !strcmp(shown, q->case_id))))
            continue;
        request_copy_str(r->case_id, sizeof(r->case_id), id && id[0] ? id : q->case_id);
        request_copy_str(r->display_id, sizeof(r->display_id), shown ? shown : "");
        request_copy_str(r->status_raw, sizeof(r->status_raw), st);
        r->status = case_status(st);
        r->rc = AWS_SUPPORT_OK;
        return AWS_SUPPORT_NEXT_DONE;
    }
    r->rc = AWS_SUPPORT_E_NOT_FOUND;
    say(r->message, sizeof(r->message), "AWS Support has no case %s for seller account '%s'.",
        q->case_id, q->account);
    return AWS_SUPPORT_NEXT_DONE;
odd:
    r->rc = AWS_SUPPORT_E_UNAVAILABLE;
    say(r->message, sizeof(r->message), "AWS Support's answer to %s lacks the fields it should "
        "have.", q->create ? "CreateCase" : "DescribeCases");
    return AWS_SUPPORT_NEXT_DONE;
}

/* type is one of the '|'-separated names. */
static int is(const char *type, const char *names)
{
    size_t n = strlen(type);
    for (const char *p = names; n && (p = strstr(p, type)); p += n)
        if ((p == names || p[-1] == '|') && (p[n] == '|' || !p[n]))
            return 1;
    return 0;
}

static enum aws_support_next read_error(const struct aws_support_asked *q,
                                        const struct http_response *rsp, const json_t *body,
                                        struct aws_support_result *r)
{
    const char *op = q->create ? "CreateCase" : "DescribeCases";
    const char *rid_h = http_response_header(rsp, "x-amzn-RequestId");
    char type[96], words[200], rid[80] = "";
    long st = rsp->status;
    error_type(rsp, body, type);
    aws_words(body, words);
    if (rid_h && *rid_h)
        snprintf(rid, sizeof(rid), " (AWS request id %.60s)", rid_h);
#define SAY(code, ...) (r->rc = (code), say(r->message, sizeof(r->message), __VA_ARGS__))
    if (is(type, "SubscriptionRequiredException") && q->create)
        SAY(AWS_SUPPORT_E_NO_PLAN, "This AWS account has no Business (or higher) support plan, "
            "so I cannot open the case for you: paste the form below into the AWS Marketplace "
            "portal and record the case id with /cancel case %s <case-id>.", q->in->request_id);
    else if (is(type, "SubscriptionRequiredException"))
        SAY(AWS_SUPPORT_E_NO_PLAN, "This AWS account has no Business (or higher) support plan, "
            "so I cannot follow case %s: check it in the AWS Support Center.", q->case_id);
    else if (is(type, "InvalidSignatureException|SignatureDoesNotMatch|"
                      "IncompleteSignatureException") || strstr(words, "Signature expired"))
        SAY(AWS_SUPPORT_E_AUTH, "AWS Support did not accept the request signature of seller "
            "account '%s' (%s, %s): check the clock of this host and that the secret key belongs "
            "to the key ID%s.", q->account, type[0] ? type : "signature error", q->source, rid);
    else if (is(type, "ExpiredTokenException|ExpiredToken"))
        SAY(AWS_SUPPORT_E_AUTH, "The session token of seller account '%s' (%s) has expired: "
            "renew the credentials%s.", q->account, q->source, rid);
    else if (is(type, "UnrecognizedClientException|InvalidClientTokenId|"
                      "MissingAuthenticationTokenException"))
        SAY(AWS_SUPPORT_E_AUTH, "AWS does not recognise the credentials of seller account '%s' "
            "(%s, %s)%s.", q->account, q->source, type, rid);
    else if (is(type, "AccessDeniedException") || (!type[0] && st == 403))
        SAY(AWS_SUPPORT_E_DENIED, "The credentials of seller account '%s' (%s) may not call %s: "
            "allow the IAM action support:%s (%s)%s.", q->account, q->source, op, op, words, rid);
    else if (is(type, "CaseIdNotFound"))
        SAY(AWS_SUPPORT_E_NOT_FOUND, "AWS Support has no case %s for seller account '%s'%s.",
            q->case_id, q->account, rid);
    else if (is(type, "CaseCreationLimitExceeded"))   /* not over in seconds: no retry */
        SAY(AWS_SUPPORT_E_THROTTLED, "AWS Support refused a new case: seller account '%s' has "
            "reached its case creation limit; try again later (%s)%s.", q->account, words, rid);
    else if (st == 429 || is(type, "ThrottlingException|Throttling|TooManyRequestsException"))
        SAY(AWS_SUPPORT_E_THROTTLED, "AWS Support is throttling %s calls of seller account '%s' "
            "(HTTP %ld%s%s)%s.", op, q->account, st, type[0] ? ", " : "", type, rid);
    else if (st >= 500 || is(type, "InternalServerError"))
        SAY(AWS_SUPPORT_E_UNAVAILABLE, "AWS Support failed to answer %s (HTTP %ld%s%s)%s.", op,
            st, type[0] ? ", " : "", type, rid);
    else
        SAY(AWS_SUPPORT_E_INVALID, "AWS Support rejected %s (HTTP %ld%s%s: %s)%s.", op, st,
            type[0] ? " " : "", type, words[0] ? words : "no message", rid);
#undef SAY
    if (is(type, "ExpiredTokenException|ExpiredToken"))
        return AWS_SUPPORT_NEXT_REAUTH;
    /* AWS refused or failed the call, so a resend opens no second case. */
    return r->rc == AWS_SUPPORT_E_UNAVAILABLE ||
                   (r->rc == AWS_SUPPORT_E_THROTTLED && !is(type, "CaseCreationLimitExceeded"))
               ? AWS_SUPPORT_NEXT_RETRY
               : AWS_SUPPORT_NEXT_DONE;
}

enum aws_support_next aws_support_read_answer(const struct aws_support_asked *q,
                                              const struct http_response *rsp,
                                              struct aws_support_result *r)
{
    json_t *body = NULL;
    enum aws_support_next v;
    char subj[200];
    struct text t = {subj, sizeof(subj), 0, 0};
    memset(r, 0, sizeof(*r));
    if (!q->create)                  /* the id asked about, also when the answer is an error */
        request_copy_str(r->case_id, sizeof(r->case_id), q->case_id);
    if (rsp->transport == HTTP_E_CONNECT || (rsp->transport != HTTP_OK && !q->create)) {
        r->rc = AWS_SUPPORT_E_UNAVAILABLE;
        say(r->message, sizeof(r->message), "Could not reach AWS Support for %s: %.200s.",
            q->create ? "CreateCase" : "DescribeCases", rsp->error[0] ? rsp->error
            : "transport error");
        return AWS_SUPPORT_NEXT_DONE;
    }
    if (rsp->transport != HTTP_OK) {  /* sent, maybe received: a resend could open a second case */
        put_subject(&t, q->in);
        r->rc = AWS_SUPPORT_E_UNKNOWN;
        say(r->message, sizeof(r->message), "AWS Support did not answer CreateCase within %d s, "
            "so the case may have been opened: look in the AWS Support Center for \"%s\" and "
            "record it with /cancel case %s <case-id> rather than filing again.",
            AWS_SUPPORT_TIMEOUT_MS / 1000, subj, q->in->request_id);
        return AWS_SUPPORT_NEXT_DONE;
    }
    if (rsp->body && rsp->body_len)
        body = json_loadb(rsp->body, rsp->body_len, 0, NULL);
    if (rsp->status >= 200 && rsp->status < 300)
        v = read_ok(q, json_is_object(body) ? body : NULL, r);
    else
        v = read_error(q, rsp, json_is_object(body) ? body : NULL, r);
    json_decref(body);
    return v;
}

/* ---- one call -------------------------------------------------------------------- */

static int64_t now_ms(const struct sup_call *c)
{
    return c->s->env.now_ms(c->s->env.loop);
}

static void deliver(void *arg)
{
    struct sup_call *c = arg;
    c->cb(c->ud, &c->res);
    free(c);
}

static void finish(struct sup_call *c)
{
    c->s->env.defer_at(c->s->env.loop, now_ms(c), deliver, c);
}

__attribute__((format(printf, 3, 4)))
static void finish_with(struct sup_call *c, enum aws_support_rc rc, const char *fmt, ...)
{
    va_list ap;
    c->res.rc = rc;
    va_start(ap, fmt);
    vsnprintf(c->res.message, sizeof(c->res.message), fmt, ap);
    va_end(ap);
    finish(c);
}

static void scrub(struct aws_support_result *r, const struct aws_credentials *cr)
{
    aws_scrub_message(r->message, sizeof(r->message), cr, aws_support_rc_text(r->rc));
}

/* Half to all of min(base * 2^n, cap), so that callers throttled together spread. */
static int64_t backoff_ms(struct aws_priv *pv, int n)
{
    return backoff_jittered_ms(&pv->rng, n + 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static void step(struct sup_call *c);

static void retry_task(void *arg)
{
    step(arg);
}

static void retry_later(struct sup_call *c, int64_t retry_after_ms)
{
    int64_t now = now_ms(c), delay = backoff_ms(&c->s->pv, c->retries);
    size_t used = strlen(c->res.message);
    if (retry_after_ms > delay)
        delay = retry_after_ms;
    if (now + delay - c->started_ms > AWS_SUPPORT_BUDGET_MS) {
        say(c->res.message + used, sizeof(c->res.message) - used, " Gave up after %d attempt%s "
            "in %lld s.", c->retries + 1, c->retries ? "s" : "",
            (long long)((now - c->started_ms) / 1000));
        finish(c);
        return;
    }
    c->retries++;
    c->s->env.defer_at(c->s->env.loop, now + delay, retry_task, c);
}

static void on_api(void *ud, const struct http_response *rsp)
{
    struct sup_call *c = ud;
    struct aws_account *a = &c->s->pv.accounts[c->acct];
    struct aws_support_asked q = {c->op == OP_CREATE, &c->in, c->case_id, a->name, a->source};
    enum aws_support_next v = aws_support_read_answer(&q, rsp, &c->res);
    scrub(&c->res, &a->creds);
    if (v == AWS_SUPPORT_NEXT_RETRY) {
        retry_later(c, http_retry_after_ms(rsp));
    } else if (v == AWS_SUPPORT_NEXT_REAUTH && a->kind != CRED_STATIC && !c->reauthed) {
        c->reauthed = 1;
        a->have_creds = 0;
        step(c);
    } else {
        finish(c);
    }
}

/* The JSON body of c's operation. *out: caller frees; 0 on success. */
static int body_of(const struct sup_call *c, char **out)
{
    json_t *root = NULL;
    struct text t = {NULL, AWS_SUPPORT_BODY_MAX + 1, 0, 0}, st;
    char subj[200];
    int all_digits = c->case_id[0] && strspn(c->case_id, "0123456789") == strlen(c->case_id);
    if (c->op == OP_DESCRIBE) {
        /* The Support Center shows a number (displayId); the API answers with case-... */
        root = json_pack("{s:b, s:b, s:s}", "includeResolvedCases", 1, "includeCommunications",
                         0, "language", "en");
        if (root)
            json_object_set_new(root, all_digits ? "displayId" : "caseIdList", all_digits
                                ? json_string(c->case_id) : json_pack("[s]", c->case_id));
    } else {
        if (!(t.p = malloc(t.cap)))
            abort();
        form(&t, &c->in, c->token);
        st = (struct text){subj, sizeof(subj), 0, 0};
        put_subject(&st, &c->in);
        if (!t.full && !st.full)
            root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "subject", subj,
                             "communicationBody", t.p, "serviceCode", AWS_SUPPORT_SERVICE_CODE,
                             "categoryCode", AWS_SUPPORT_CATEGORY_CODE, "severityCode",
                             AWS_SUPPORT_SEVERITY_CODE, "language", "en", "issueType",
                             AWS_SUPPORT_ISSUE_TYPE);
        free(t.p);
    }
    *out = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return *out ? 0 : -1;
}

static void send_api(struct sup_call *c)
{
    struct aws_account *a = &c->s->pv.accounts[c->acct];
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {a->creds.access_key_id, a->creds.secret_access_key,
                                  a->creds.session_token, c->s->sign_region[c->acct],
                                  SIGNING_NAME, now_ms(c)};
    const char *op = c->op == OP_CREATE ? "CreateCase" : "DescribeCases";
    char target[64], *body = NULL;
    int rc, sent = -1;
    if (!req)
        abort();
    if (body_of(c, &body)) {
        free(req);
        finish_with(c, AWS_SUPPORT_E_INVALID, "The %s request does not fit: the form is longer "
                    "than AWS Support's %d characters.", op, AWS_SUPPORT_BODY_MAX);
        return;
    }
    snprintf(target, sizeof(target), "%s%s", TARGET_PREFIX, op);
    snprintf(req->method, sizeof(req->method), "POST");
    request_copy_str(req->url, sizeof(req->url), a->endpoint);
    http_request_add_header(req, "Content-Type", CONTENT_TYPE);
    http_request_add_header(req, "X-Amz-Target", target);
    req->body = body;
    req->body_len = strlen(body);
    req->timeout_ms = AWS_SUPPORT_TIMEOUT_MS;
    if ((rc = aws_sigv4_sign(req, &sp)) == AWS_SIGV4_OK)
        sent = http_send(c->s->env.http, req, on_api, c);
    OPENSSL_cleanse(req, sizeof(*req));      /* the signature and the session token */
    free(req);
    free(body);
    if (rc != AWS_SIGV4_OK)
        finish_with(c, AWS_SUPPORT_E_AUTH, "Could not sign the %s request of seller account "
                    "'%s': %s", op, a->name, aws_sigv4_rc_text(rc));
    else if (sent != 0)
        finish_with(c, AWS_SUPPORT_E_UNAVAILABLE, "Could not queue the %s request: the HTTP "
                    "client refused it.", op);
}

static void on_creds(void *ud, const struct http_response *rsp)
{
    struct sup_call *c = ud;
    struct aws_account *a = &c->s->pv.accounts[c->acct];
    struct aws_credentials cr;
    char why[512];
    int rc;
    if (rsp->transport != HTTP_OK) {
        finish_with(c, AWS_SUPPORT_E_UNAVAILABLE, "Could not fetch the %s of seller account "
                    "'%s': %.200s.", a->source, a->name, rsp->error[0] ? rsp->error : "no answer");
        return;
    }
    rc = a->kind == CRED_CONTAINER
             ? aws_container_parse(rsp->body ? rsp->body : "", rsp->body_len, &cr, why, sizeof(why))
             : aws_web_identity_parse(rsp->body ? rsp->body : "", rsp->body_len, &cr, why,
                                      sizeof(why));
    if (rc != AWS_CRED_OK) {
        finish_with(c, rsp->status >= 500 ? AWS_SUPPORT_E_UNAVAILABLE : AWS_SUPPORT_E_AUTH,
                    "Could not get the %s of seller account '%s' (HTTP %ld): %s", a->source,
                    a->name, rsp->status, why);
        return;
    }
    a->creds = cr;
    a->have_creds = 1;
    OPENSSL_cleanse(&cr, sizeof(cr));
    send_api(c);
}

static void fetch_creds(struct sup_call *c)
{
    struct aws_account *a = &c->s->pv.accounts[c->acct];
    struct http_request *req = calloc(1, sizeof(*req));
    char why[512], *body = NULL;
    int rc, sent = -1;
    if (!req)
        abort();
    rc = a->kind == CRED_CONTAINER
             ? aws_container_request(aws_account_getenv, a, req, why, sizeof(why))
             : aws_web_identity_request(aws_account_getenv, a, a->region, now_ms(c), req, &body,
                                        why, sizeof(why));
    if (rc == AWS_CRED_OK)
        sent = http_send(c->s->env.http, req, on_creds, c);
    OPENSSL_cleanse(req, sizeof(*req));      /* the agent token, the web identity token */
    free(req);
    if (body)
        OPENSSL_cleanse(body, strlen(body));
    free(body);
    if (rc != AWS_CRED_OK)
        finish_with(c, AWS_SUPPORT_E_AUTH, "Could not ask for the %s of seller account '%s': %s",
                    a->source, a->name, why);
    else if (sent != 0)
        finish_with(c, AWS_SUPPORT_E_UNAVAILABLE, "Could not queue the credentials request of "
                    "seller account '%s': the HTTP client refused it.", a->name);
}

static void step(struct sup_call *c)
{
    struct aws_account *a = &c->s->pv.accounts[c->acct];
    if (a->kind != CRED_STATIC &&
        (!a->have_creds || aws_credentials_need_refresh(&a->creds, now_ms(c))))
        fetch_creds(c);
    else
        send_api(c);
}

/* Takes over c: it finishes now (refused) or after the exchanges. */
static int start(struct sup_call *c, const char *account, const char *why)
{
    struct aws_priv *pv = &c->s->pv;
    c->acct = -1;
    if (!why && !id_ok(account, ACCOUNT_NAME_MAX - 1, "_.-", 1))
        why = "A seller account name takes letters, digits, '_', '.' and '-'.";
    for (int i = 0; i < pv->n_accounts && c->acct < 0 && !why; i++)
        if (!strcmp(pv->accounts[i].name, account[0] ? account : "default") ||
            (!account[0] && pv->n_accounts == 1))
            c->acct = i;
    if (why)
        finish_with(c, AWS_SUPPORT_E_INVALID, "%s", why);
    else if (c->acct < 0)
        finish_with(c, AWS_SUPPORT_E_INVALID, "No AWS seller account named '%.31s' is configured.",
                    account[0] ? account : "default");
    else {
        c->started_ms = now_ms(c);
        step(c);
    }
    return AWS_SUPPORT_OK;
}

static struct sup_call *call_new(struct aws_support *s, enum sup_op op, aws_support_cb cb, void *ud)
{
    struct sup_call *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    *c = (struct sup_call){.s = s, .op = op, .cb = cb, .ud = ud};
    return c;
}

int aws_support_create_case(struct aws_support *s, const struct aws_support_case_input *in,
                            const char *client_token, aws_support_cb cb, void *ud)
{
    struct sup_call *c;
    char why[200];
    const char *refused = NULL;
    if (!s || !in || !cb)
        return AWS_SUPPORT_E_INVALID;
    c = call_new(s, OP_CREATE, cb, ud);
    c->in = *in;
    if (aws_support_input_check(in, why, sizeof(why)))
        refused = why;
    else if (client_token && !id_ok(client_token, 64, "-", 1))
        refused = "The tracking token takes 1 to 64 letters, digits and '-'.";
    else
        request_copy_str(c->token, sizeof(c->token), client_token ? client_token : "");
    return start(c, in->account, refused);
}

int aws_support_describe_case(struct aws_support *s, const char *account, const char *case_id,
                              aws_support_cb cb, void *ud)
{
    struct sup_call *c;
    if (!s || !case_id || !cb)
        return AWS_SUPPORT_E_INVALID;
    c = call_new(s, OP_DESCRIBE, cb, ud);
    request_copy_str(c->case_id, sizeof(c->case_id), case_id);
    request_copy_str(c->res.case_id, sizeof(c->res.case_id), case_id);
    return start(c, account ? account : "", id_ok(case_id, sizeof(c->case_id) - 1, "-", 0) ? NULL
                 : "A support case id is case-... (letters, digits and '-') or the number the "
                   "Support Center shows.");
}

const char *aws_support_rc_text(enum aws_support_rc rc)
{
    switch (rc) {                    /* no default: -Wswitch names the case we forgot */
    case AWS_SUPPORT_OK:            return "Done.";
    case AWS_SUPPORT_E_NO_PLAN:     return "This AWS account has no Business support plan.";
    case AWS_SUPPORT_E_THROTTLED:   return "AWS Support is throttling us; try again later.";
    case AWS_SUPPORT_E_UNAVAILABLE: return "AWS Support is not available right now.";
    case AWS_SUPPORT_E_UNKNOWN:     return "AWS Support did not answer; the case may exist.";
    case AWS_SUPPORT_E_DENIED:      return "The credentials may not use the AWS Support API.";
    case AWS_SUPPORT_E_AUTH:        return "AWS did not accept the credentials.";
    case AWS_SUPPORT_E_NOT_FOUND:   return "AWS Support has no such case.";
    case AWS_SUPPORT_E_INVALID:     return "AWS Support rejected the request as invalid.";
    }
    return "Unexpected AWS Support error.";
}

const char *aws_support_status_name(enum aws_support_status st)
{
    switch (st) {
    case AWS_SUPPORT_PENDING:         return "Pending";
    case AWS_SUPPORT_ACTION_REQUIRED: return "Action Required";
    case AWS_SUPPORT_COMPLETED:       return "Completed";
    }
    return "Pending";
}
