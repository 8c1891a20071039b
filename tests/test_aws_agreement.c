/* tests/test_aws_agreement.c -- the "aws" provider against recorded Agreement API
 * answers ($CANCELBOT_TESTDATA/aws), with no network, environment or real clock:
 * a fake http_client records every request and answers from a script, a fake loop
 * runs the provider's deferred work in due order and moves the clock to each task
 * (so retries take simulated seconds), and a fake getenv supplies credentials. Every
 * request is checked for its target, content type, timeout and a signature that
 * aws_sigv4_authorization recomputes from the recorded request. STS GetCallerIdentity
 * (sent before a look-up until the account id is known) is answered from f->identity,
 * apart from the script, and recorded in f->sts, apart from f->x. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include "providers/aws_agreement.h"
#include "providers/aws_sigv4.h"
#include "providers/aws_sts.h"
#include "tests/check.h"

#define T0 1736937000000LL           /* 2025-01-15T10:30:00Z */
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
#define AGMT "agmt-1a2b3c4d5e6f7g8h9i0j"
#define ACR "acr-752jqvg74yo7k4h56cakk6396"
#define MAX_X 40
#define SELLER_ID "210987654321"
#define IDENTITY_OK "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">" \
    "<GetCallerIdentityResult><Arn>arn:aws:iam::" SELLER_ID ":user/cancelbot</Arn>"        \
    "<UserId>AIDAEXAMPLE</UserId><Account>" SELLER_ID "</Account></GetCallerIdentityResult>" \
    "</GetCallerIdentityResponse>"

struct exchange {                    /* one request as the provider sent it */
    char method[8], url[2048];
    struct http_header headers[HTTP_MAX_HEADERS];
    int n_headers;
    char *body;
    long timeout_ms;
    int64_t sent_ms;
};

struct reply {                       /* one scripted answer */
    enum http_transport transport;
    long status;
    const char *file, *body, *type, *retry_after;
};

enum task_kind { T_HTTP, T_ANSWER, T_FN };
struct task {
    enum task_kind kind;
    int64_t due;
    http_cb hcb;
    void *hud;
    int reply;
    int sts;                         /* answered from f->identity */
    provider_cb pcb;
    void *pud;
    struct provider_result res;
    void (*fn)(void *);
    void *arg;
    struct task *next;
};

struct fake {
    struct http_client client;
    int64_t now;
    struct exchange x[MAX_X];
    int n_x;
    struct reply script[MAX_X];
    int n_script, next_reply;
    struct exchange sts[8];          /* GetCallerIdentity requests */
    int n_sts;
    struct reply identity;           /* their answer */
    int warnings;                    /* env.warn lines */
    char last_warning[1200];
    struct task *tasks;              /* FIFO; run in due order */
    const char *env_name[16], *env_value[16];
    int n_env;
    char err[512];
};

struct got {
    int n;
    struct provider_result res;
};

static const char *fake_getenv(void *ud, const char *name)
{
    struct fake *f = ud;
    for (int i = f->n_env - 1; i >= 0; i--)
        if (strcmp(f->env_name[i], name) == 0)
            return f->env_value[i];
    return NULL;
}

static void setenv_fake(struct fake *f, const char *name, const char *value)
{
    if (f->n_env < 16) {
        f->env_name[f->n_env] = name;
        f->env_value[f->n_env++] = value;
    }
}

static void queue(struct fake *f, struct task *t)
{
    struct task **p = &f->tasks;
    while (*p)
        p = &(*p)->next;
    *p = t;
}

static struct task *task_new(enum task_kind kind, int64_t due)
{
    struct task *t = calloc(1, sizeof(*t));
    t->kind = kind;
    t->due = due;
    return t;
}

static int fake_send(struct http_client *c, const struct http_request *req, http_cb cb, void *ud)
{
    struct fake *f = c->impl;
    struct exchange *x;
    struct task *t;
    int sts = req->body && strncmp(req->body, "Action=GetCallerIdentity&", 25) == 0;
    CHECK(sts ? f->n_sts < 8 : f->n_x < MAX_X);
    if (sts ? f->n_sts >= 8 : f->n_x >= MAX_X)
        return -1;
    x = sts ? &f->sts[f->n_sts++] : &f->x[f->n_x++];
    memcpy(x->method, req->method, sizeof(x->method));
    memcpy(x->url, req->url, sizeof(x->url));
    memcpy(x->headers, req->headers, sizeof(x->headers));
    x->n_headers = req->n_headers;
    x->body = calloc(1, req->body_len + 1);
    if (req->body_len)
        memcpy(x->body, req->body, req->body_len);
    x->timeout_ms = req->timeout_ms;
    x->sent_ms = f->now;
    t = task_new(T_HTTP, f->now);    /* answered later, never inside send */
    t->hcb = cb;
    t->hud = ud;
    t->sts = sts;
    t->reply = sts ? f->n_sts - 1 : f->next_reply++;
    queue(f, t);
    return 0;
}

static void fake_defer(void *loop, provider_cb cb, void *ud, const struct provider_result *res)
{
    struct fake *f = loop;
    struct task *t = task_new(T_ANSWER, f->now);
    t->pcb = cb;
    t->pud = ud;
    t->res = *res;
    queue(f, t);
}

static void fake_defer_at(void *loop, int64_t due_ms, void (*fn)(void *), void *arg)
{
    struct task *t = task_new(T_FN, due_ms);
    t->fn = fn;
    t->arg = arg;
    queue(loop, t);
}

static void fake_warn(void *loop, const char *line)
{
    struct fake *f = loop;
    f->warnings++;
    snprintf(f->last_warning, sizeof(f->last_warning), "%s", line);
}

static int64_t fake_now(void *loop)
{
    return ((struct fake *)loop)->now;
}

static char *load(const char *name)
{
    const char *root = getenv("CANCELBOT_TESTDATA");
    char path[1024], *buf = NULL;
    long n;
    FILE *fp;
    CHECK(root != NULL);             /* ctest sets it; never guess a path */
    if (!root)
        return calloc(1, 1);
    snprintf(path, sizeof(path), "%s/aws/%s", root, name);
    fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (fp && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (fp)
        fclose(fp);
    return buf ? buf : calloc(1, 1);
}

static void answer(struct fake *f, struct task *t)
{
    struct http_response rsp;
    struct reply *r = t->sts ? &f->identity : t->reply < f->n_script ? &f->script[t->reply] : NULL;
    char *body = NULL;
    memset(&rsp, 0, sizeof(rsp));
    CHECK(r != NULL);                /* the provider sent more than the script holds */
    if (!r) {
        rsp.transport = HTTP_E_OTHER;
        snprintf(rsp.error, sizeof(rsp.error), "no scripted reply");
    } else {
        rsp.transport = r->transport;
        rsp.status = r->transport == HTTP_OK ? r->status : 0;
        body = r->file ? load(r->file) : strdup(r->body ? r->body : "");
        rsp.body = body;
        rsp.body_len = strlen(body);
        if (r->type) {
            snprintf(rsp.headers[rsp.n_headers].name, 64, "X-Amzn-ErrorType");
            snprintf(rsp.headers[rsp.n_headers++].value, 2048, "%s", r->type);
        }
        if (r->retry_after) {
            snprintf(rsp.headers[rsp.n_headers].name, 64, "Retry-After");
            snprintf(rsp.headers[rsp.n_headers++].value, 2048, "%s", r->retry_after);
        }
        snprintf(rsp.headers[rsp.n_headers].name, 64, "x-amzn-RequestId");
        snprintf(rsp.headers[rsp.n_headers++].value, 2048, "req-%d", t->reply + 1);
        if (r->transport != HTTP_OK)
            snprintf(rsp.error, sizeof(rsp.error), "Connection timed out after 15000 ms");
    }
    t->hcb(t->hud, &rsp);
    free(body);
}

/* Runs every task, earliest due first, moving the clock forward to each. */
static void run(struct fake *f)
{
    for (int guard = 0; f->tasks && guard < 1000; guard++) {
        struct task **best = &f->tasks, *t;
        for (struct task **p = &f->tasks; *p; p = &(*p)->next)
            if ((*p)->due < (*best)->due)
                best = p;
        t = *best;
        *best = t->next;
        if (t->due > f->now)
            f->now = t->due;
        if (t->kind == T_HTTP)
            answer(f, t);
        else if (t->kind == T_ANSWER)
            t->pcb(t->pud, &t->res);
        else
            t->fn(t->arg);
        free(t);
    }
    CHECK(f->tasks == NULL);
}

static struct fake *fake_new(void)
{
    struct fake *f = calloc(1, sizeof(*f));
    f->client.send = fake_send;
    f->client.impl = f;
    f->now = T0;
    f->identity = (struct reply){HTTP_OK, 200, NULL, IDENTITY_OK, NULL, NULL};
    setenv_fake(f, "HOME", "/nonexistent");
    setenv_fake(f, "AWS_ACCESS_KEY_ID", AKID);
    setenv_fake(f, "AWS_SECRET_ACCESS_KEY", SECRET);
    setenv_fake(f, "AWS_SESSION_TOKEN", TOKEN);
    return f;
}

static void fake_free(struct fake *f)
{
    while (f->tasks) {
        struct task *t = f->tasks;
        f->tasks = t->next;
        if (t->kind == T_FN)
            free(t->arg);
        free(t);
    }
    for (int i = 0; i < f->n_x; i++)
        free(f->x[i].body);
    for (int i = 0; i < f->n_sts; i++)
        free(f->sts[i].body);
    free(f);
}

static void script(struct fake *f, long status, const char *file, const char *type)
{
    f->script[f->n_script++] = (struct reply){HTTP_OK, status, file, NULL, type, NULL};
}

static struct provider_env env_of(struct fake *f)
{
    struct provider_env env = {.loop = f, .defer = fake_defer, .defer_at = fake_defer_at,
                               .now_ms = fake_now, .http = &f->client, .warn = fake_warn};
    return env;
}

/* NULL with f->err when start-up fails (said on stderr only when expect_ok). */
static struct provider *open_aws_expect(struct fake *f, const char *config, int expect_ok)
{
    struct provider_env env = env_of(f);
    struct provider *p = aws_agreement_provider_new(&env, config, fake_getenv, f, f->err,
                                                    sizeof(f->err));
    if (!p && expect_ok)
        fprintf(stderr, "  provider: %s\n", f->err);
    return p;
}

static struct provider *open_aws(struct fake *f, const char *config)
{
    return open_aws_expect(f, config, 1);
}

static void on_result(void *ud, const struct provider_result *res)
{
    struct got *g = ud;
    g->n++;
    g->res = *res;
}

static const char *header(const struct exchange *x, const char *name)
{
    for (int i = 0; i < x->n_headers; i++)
        if (strcasecmp(x->headers[i].name, name) == 0)
            return x->headers[i].value;
    return NULL;
}

/* The request is an awsJson1_0 call of op, signed with these keys at its send time. */
static void check_call(const struct exchange *x, const char *op, const char *akid,
                       const char *secret, const char *token, const char *region)
{
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {akid, secret, token, region, "aws-marketplace", x->sent_ms};
    char want[1024] = "", target[128], scope[160], date[17];
    CHECK(x->body != NULL);          /* a request that was never sent */
    if (!x->body) {
        free(req);
        return;
    }
    CHECK_STR(x->method, "POST");
    snprintf(target, sizeof(target), "AWSMPCommerceService_v20200301.%s", op);
    CHECK_STR(header(x, "X-Amz-Target"), target);
    CHECK_STR(header(x, "Content-Type"), "application/x-amz-json-1.0");
    CHECK(x->timeout_ms == 15000);
    aws_sigv4_amz_date(x->sent_ms, date);
    CHECK_STR(header(x, "X-Amz-Date"), date);
    if (token)
        CHECK_STR(header(x, "X-Amz-Security-Token"), token);
    snprintf(scope, sizeof(scope), "Credential=%s/%.8s/%s/aws-marketplace/aws4_request", akid,
             date, region);
    CHECK_CONTAINS(header(x, "Authorization"), scope);
    memcpy(req->method, x->method, sizeof(req->method));
    memcpy(req->url, x->url, sizeof(req->url));
    for (int i = 0; i < x->n_headers; i++)
        if (strcasecmp(x->headers[i].name, "Authorization") != 0)
            http_request_add_header(req, x->headers[i].name, x->headers[i].value);
    req->body = x->body;
    req->body_len = strlen(x->body);
    CHECK(aws_sigv4_authorization(req, &sp, want, sizeof(want)) == 0);
    CHECK_STR(header(x, "Authorization"), want);
    free(req);
}

/* The request is STS GetCallerIdentity to url, signed (service "sts") at its send time. */
static void check_sts_call(const struct exchange *x, const char *url, const char *region)
{
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {AKID, SECRET, TOKEN, region, "sts", x->sent_ms};
    char want[1024] = "";
    CHECK_STR(x->method, "POST");
    CHECK_STR(x->url, url);
    CHECK_STR(x->body, "Action=GetCallerIdentity&Version=2011-06-15");
    CHECK_STR(header(x, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
    CHECK(header(x, "X-Amz-Target") == NULL);
    CHECK(x->timeout_ms == 5000);
    memcpy(req->method, x->method, sizeof(req->method));
    memcpy(req->url, x->url, sizeof(req->url));
    for (int i = 0; i < x->n_headers; i++)
        if (strcasecmp(x->headers[i].name, "Authorization") != 0)
            http_request_add_header(req, x->headers[i].name, x->headers[i].value);
    req->body = x->body;
    req->body_len = strlen(x->body);
    CHECK(aws_sigv4_authorization(req, &sp, want, sizeof(want)) == 0);
    CHECK_STR(header(x, "Authorization"), want);
    free(req);
}

/* The body's string member (dotted path through objects; "[n]" picks an element). */
static int body_is(const struct exchange *x, const char *path, const char *want)
{
    json_t *root = json_loads(x->body, 0, NULL), *v = root;
    char key[64];
    int ok;
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        v = key[0] == '[' ? json_array_get(v, (size_t)atoi(key + 1)) : json_object_get(v, key);
        p += n + (p[n] == '.');
    }
    ok = want ? json_is_string(v) && strcmp(json_string_value(v), want) == 0 : v == NULL;
    if (!ok)
        fprintf(stderr, "  body %s: want %s in %s\n", path, want ? want : "(absent)", x->body);
    json_decref(root);
    return ok;
}

static struct provider_ref acr_ref(enum request_kind kind, const char *ref)
{
    struct provider_ref r;
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    snprintf(r.target.agreement_id, sizeof(r.target.agreement_id), AGMT);
    snprintf(r.ref, sizeof(r.ref), "%s", ref);
    return r;
}

static struct provider_submission cancel_sub(void)
{
    struct provider_submission s;
    memset(&s, 0, sizeof(s));
    s.kind = REQUEST_CANCEL;
    snprintf(s.target.agreement_id, sizeof(s.target.agreement_id), AGMT);
    snprintf(s.reason_code, sizeof(s.reason_code), "REPLACING_AGREEMENT");
    snprintf(s.description, sizeof(s.description), "Replacing with private offer offer-9x8y7w6v5u4t");
    snprintf(s.client_token, sizeof(s.client_token), "cancelbot-CR-7");
    return s;
}

static struct provider_submission refund_sub(void)
{
    struct provider_submission s = cancel_sub();
    s.kind = REQUEST_REFUND;
    snprintf(s.reason_code, sizeof(s.reason_code), "BUYER_DISSATISFACTION");
    snprintf(s.description, sizeof(s.description), "Refund for the outage of 2025-01-10");
    snprintf(s.client_token, sizeof(s.client_token), "cancelbot-RF-3");
    snprintf(s.invoice_id, sizeof(s.invoice_id), "E2E20230929a108cfae");
    s.amount_cents = 12000;
    snprintf(s.currency, sizeof(s.currency), "USD");
    return s;
}

/* ---- operations ------------------------------------------------------------------ */

static void test_lookup_sends_signed_describe_and_reads_the_agreement(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
    struct got g = {0};
    const struct agreement *a = &g.res.matches[0];
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    CHECK(g.n == 0);                 /* never inside the call */
    run(f);
    CHECK(g.n == 1 && g.res.rc == PROVIDER_OK && g.res.n_matches == 1);
    CHECK(f->n_x == 1);
    CHECK_STR(f->x[0].url, "https://agreement-marketplace.us-east-1.amazonaws.com/");
    check_call(&f->x[0], "DescribeAgreement", AKID, SECRET, TOKEN, "us-east-1");
    CHECK(f->n_sts == 1 && f->sts[0].sent_ms <= f->x[0].sent_ms);   /* whose keys, first */
    check_sts_call(&f->sts[0], "https://sts.us-east-1.amazonaws.com/", "us-east-1");
    CHECK(body_is(&f->x[0], "agreementId", AGMT));
    CHECK_STR(a->id, AGMT);
    CHECK_STR(a->buyer_account, "123456789012");
    CHECK_STR(a->offer_id, "offer-9x8y7w6v5u4t");
    CHECK_STR(a->status, "ACTIVE");
    CHECK_STR(a->start_date, "2025-01-01T00:00:00Z");
    CHECK_STR(a->end_date, "2026-01-01T00:00:00Z");
    CHECK(a->value_cents == 1200050);
    CHECK_STR(a->currency, "USD");
    CHECK_STR(a->product, "prod-abc123xyz (SaaSProduct)");
    provider_free(p);
    fake_free(f);
}

static void test_search_follows_next_token_and_keeps_only_active(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .buyer_account = "123456789012"};
    struct got g = {0};
    script(f, 200, "search_page1.json", NULL);
    script(f, 200, "search_page2.json", NULL);
    CHECK(p && provider_search(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 2 && g.n == 1 && g.res.rc == PROVIDER_OK);
    CHECK(g.res.n_matches == 2);
    CHECK_STR(g.res.matches[0].id, "agmt-aaaa1111");
    CHECK_STR(g.res.matches[1].id, "agmt-cccc3333");
    for (int i = 0; i < f->n_x; i++) {
        check_call(&f->x[i], "SearchAgreements", AKID, SECRET, TOKEN, "us-east-1");
        CHECK(body_is(&f->x[i], "catalog", "AWSMarketplace"));
        CHECK(body_is(&f->x[i], "filters.[0].name", "PartyType"));
        CHECK(body_is(&f->x[i], "filters.[0].values.[0]", "Proposer"));
        CHECK(body_is(&f->x[i], "filters.[1].name", "AgreementType"));
        CHECK(body_is(&f->x[i], "filters.[1].values.[0]", "PurchaseAgreement"));
        CHECK(body_is(&f->x[i], "filters.[2].name", "AcceptorAccountId"));
        CHECK(body_is(&f->x[i], "filters.[2].values.[0]", "123456789012"));
        CHECK(body_is(&f->x[i], "filters.[3].name", "Status"));
    }
    CHECK(body_is(&f->x[0], "nextToken", NULL));
    CHECK(body_is(&f->x[1], "nextToken", "eyJwYWdlIjoyfQ=="));
    provider_free(p);
    fake_free(f);
}

static void test_search_by_offer_filters_on_offer_id(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .offer_id = "offer-3333"};
    struct got g = {0};
    script(f, 200, NULL, NULL);
    f->script[0].body = "{\"agreementViewSummaries\": []}";
    CHECK(p && provider_search(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && body_is(&f->x[0], "filters.[2].name", "OfferId"));
    CHECK(body_is(&f->x[0], "filters.[2].values.[0]", "offer-3333"));
    CHECK(g.res.rc == PROVIDER_OK && g.res.n_matches == 0);
    CHECK_CONTAINS(g.res.message, "No active agreements for offer offer-3333");
    provider_free(p);
    fake_free(f);
}

static void test_submit_cancel_sends_the_model_members(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_submission s = cancel_sub();
    struct got g = {0};
    script(f, 200, "send_cancellation.json", NULL);
    CHECK(p && provider_submit(p, &s, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == PROVIDER_OK);
    check_call(&f->x[0], "SendAgreementCancellationRequest", AKID, SECRET, TOKEN, "us-east-1");
    CHECK(body_is(&f->x[0], "agreementId", AGMT));
    CHECK(body_is(&f->x[0], "reasonCode", "REPLACING_AGREEMENT"));
    CHECK(body_is(&f->x[0], "description", "Replacing with private offer offer-9x8y7w6v5u4t"));
    CHECK(body_is(&f->x[0], "clientToken", "cancelbot-CR-7"));
    CHECK_STR(g.res.ref, ACR);
    CHECK(g.res.status == MSTATUS_PENDING);
    CHECK_STR(g.res.status_raw, "PENDING_APPROVAL");
    provider_free(p);
    fake_free(f);
}

static void test_a_resend_carries_the_same_client_token(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_submission s = cancel_sub();
    struct got g1 = {0}, g2 = {0};
    script(f, 429, "error_throttling.json", NULL);   /* resent inside the provider */
    script(f, 200, "send_cancellation.json", NULL);
    script(f, 200, "send_cancellation.json", NULL);  /* and again by the outbox */
    CHECK(p && provider_submit(p, &s, on_result, &g1) == 0);
    run(f);
    CHECK(p && provider_submit(p, &s, on_result, &g2) == 0);
    run(f);
    CHECK(f->n_x == 3 && g1.res.rc == PROVIDER_OK && g2.res.rc == PROVIDER_OK);
    for (int i = 0; i < f->n_x; i++)
        CHECK(body_is(&f->x[i], "clientToken", "cancelbot-CR-7"));
    CHECK_STR(g1.res.ref, g2.res.ref);
    provider_free(p);
    fake_free(f);
}

static void test_poll_maps_each_cancellation_status(void)
{
    static const struct { const char *aws; enum market_status want; } cases[] = {
        {"PENDING_APPROVAL", MSTATUS_PENDING}, {"APPROVED", MSTATUS_APPROVED},
        {"REJECTED", MSTATUS_REJECTED},         {"CANCELLED", MSTATUS_CANCELLED},
        {"VALIDATION_FAILED", MSTATUS_FAILED},  {"SOMETHING_NEW", MSTATUS_PENDING}};
    char body[6][256];
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_ref r = acr_ref(REQUEST_CANCEL, ACR);
    for (int i = 0; i < 6; i++) {
        struct got g = {0};
        snprintf(body[i], sizeof(body[i]), "{\"agreementCancellationRequestId\": \"%s\", "
                 "\"agreementId\": \"%s\", \"status\": \"%s\"}", ACR, AGMT, cases[i].aws);
        script(f, 200, NULL, NULL);
        f->script[i].body = body[i];
        CHECK(p && provider_poll(p, &r, on_result, &g) == 0);
        run(f);
        CHECK(g.res.rc == PROVIDER_OK && g.res.status == cases[i].want);
        CHECK_STR(g.res.status_raw, cases[i].aws);
        check_call(&f->x[i], "GetAgreementCancellationRequest", AKID, SECRET, TOKEN, "us-east-1");
        CHECK(body_is(&f->x[i], "agreementCancellationRequestId", ACR));
        CHECK(body_is(&f->x[i], "agreementId", AGMT));
    }
    provider_free(p);
    fake_free(f);
}

static void test_poll_says_why_validation_failed(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_ref r = acr_ref(REQUEST_CANCEL, ACR);
    struct got g = {0};
    script(f, 200, "get_cancellation_validation_failed.json", NULL);
    CHECK(p && provider_poll(p, &r, on_result, &g) == 0);
    run(f);
    CHECK(g.res.rc == PROVIDER_OK && g.res.status == MSTATUS_FAILED);
    CHECK_CONTAINS(g.res.message, "Agreement is not in an active state");
    provider_free(p);
    fake_free(f);
}

static void test_withdraw_sends_the_reason_and_refunds_cannot_be_withdrawn(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_ref r = acr_ref(REQUEST_CANCEL, ACR), rf = acr_ref(REQUEST_REFUND, "ba-1a2b");
    struct got g = {0}, g2 = {0};
    script(f, 200, "cancel_cancellation.json", NULL);
    CHECK(p && provider_withdraw(p, &r, "Buyer asked us to keep it", on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && g.res.rc == PROVIDER_OK && g.res.status == MSTATUS_CANCELLED);
    check_call(&f->x[0], "CancelAgreementCancellationRequest", AKID, SECRET, TOKEN, "us-east-1");
    CHECK(body_is(&f->x[0], "cancellationReason", "Buyer asked us to keep it"));
    CHECK(body_is(&f->x[0], "agreementCancellationRequestId", ACR));
    CHECK(p && provider_withdraw(p, &rf, "oops", on_result, &g2) == 0);
    CHECK(g2.n == 0);
    run(f);
    CHECK(f->n_x == 1 && g2.n == 1 && g2.res.rc == PROVIDER_E_UNSUPPORTED);
    provider_free(p);
    fake_free(f);
}

static void test_refund_sends_one_entry_and_reads_its_id(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_submission s = refund_sub();
    struct provider_ref r = acr_ref(REQUEST_REFUND, "ba-1a2b3c4d5e6f7g");
    struct got g = {0}, g2 = {0};
    script(f, 200, "batch_billing_ok.json", NULL);
    script(f, 200, "get_billing_completed.json", NULL);
    CHECK(p && provider_submit(p, &s, on_result, &g) == 0);
    run(f);
    CHECK(g.res.rc == PROVIDER_OK && g.res.status == MSTATUS_PENDING);
    CHECK_STR(g.res.ref, "ba-1a2b3c4d5e6f7g");
    check_call(&f->x[0], "BatchCreateBillingAdjustmentRequest", AKID, SECRET, TOKEN, "us-east-1");
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].agreementId", AGMT));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].originalInvoiceId", "E2E20230929a108cfae"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].adjustmentAmount", "120.00"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].currencyCode", "USD"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].adjustmentReasonCode", "BUYER_DISSATISFACTION"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].description", "Refund for the outage of 2025-01-10"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[0].clientToken", "cancelbot-RF-3"));
    CHECK(body_is(&f->x[0], "billingAdjustmentRequestEntries.[1]", NULL));
    CHECK(p && provider_poll(p, &r, on_result, &g2) == 0);
    run(f);
    check_call(&f->x[1], "GetBillingAdjustmentRequest", AKID, SECRET, TOKEN, "us-east-1");
    CHECK(body_is(&f->x[1], "billingAdjustmentRequestId", "ba-1a2b3c4d5e6f7g"));
    CHECK(g2.res.rc == PROVIDER_OK && g2.res.status == MSTATUS_APPROVED);
    CHECK_STR(g2.res.status_raw, "COMPLETED");
    provider_free(p);
    fake_free(f);
}

static void test_a_partly_failed_batch_reports_our_entry(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_submission s = refund_sub();
    struct got g = {0};
    script(f, 200, "batch_billing_partial.json", NULL);   /* another entry succeeded */
    CHECK(p && provider_submit(p, &s, on_result, &g) == 0);
    run(f);
    CHECK(g.res.rc == PROVIDER_E_INVALID && g.res.ref[0] == '\0');
    CHECK_CONTAINS(g.res.message, "VALIDATION_EXCEPTION");
    CHECK_CONTAINS(g.res.message, "exceeds the invoice amount");
    CHECK_CONTAINS(g.res.message, "E2E20230929a108cfae");
    provider_free(p);
    fake_free(f);
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_each_error_maps_to_a_code_and_a_sentence(void)
{
    static const struct {
        long status;
        const char *file, *body, *type_header;
        int refund;
        enum provider_rc want;
        const char *says, *also, *never;
    } cases[] = {
        {400, "error_validation_unsupported.json", NULL, NULL, 0, PROVIDER_E_NOT_ELIGIBLE,
         "does not support self-serve cancellation", "support-case route", NULL},
        {400, "error_validation_fields.json", NULL, NULL, 0, PROVIDER_E_INVALID,
         "INVALID_DESCRIPTION", "fields: description", NULL},
        {404, "error_not_found.json", NULL, NULL, 0, PROVIDER_E_NOT_FOUND,
         "not the agreement's proposer", "AWS request id req-1", NULL},
        {403, "error_access_denied.json", NULL, NULL, 0, PROVIDER_E_DENIED,
         "aws-marketplace:SendAgreementCancellationRequest", "IAM", "proposer"},
        /* a reason means the refusal is not IAM's: never the advice to allow an action */
        {403, NULL, "{\"__type\": \"com.amazonaws.marketplaceagreement#AccessDeniedException\", "
         "\"message\": \"Not authorized for agreement agmt-1.\", \"reason\": \"INVALID_ACCESS\"}",
         NULL, 0, PROVIDER_E_NOT_SELLER, "is not the agreement's seller (its proposer)",
         "only the proposer can ask for its cancellation", "IAM action"},
        {403, NULL, "{\"__type\": \"AccessDeniedException\", \"message\": \"Denied.\", "
         "\"reason\": \"INVALID_ACCESS\"}", NULL, 1, PROVIDER_E_NOT_SELLER, "adjust its invoices",
         "INVALID_ACCESS", "IAM action"},
        {403, NULL, "{\"__type\": \"AccessDeniedException\", \"message\": \"Denied.\", "
         "\"reason\": \"FAILED_KYC_COMPLIANCE\"}", NULL, 0, PROVIDER_E_DENIED, "KYC verification",
         "FAILED_KYC_COMPLIANCE", "IAM action"},
        {403, NULL, "{\"__type\": \"AccessDeniedException\", \"message\": \"Denied.\", "
         "\"reason\": \"MISSING_MFA\"}", NULL, 0, PROVIDER_E_DENIED, "MFA-authenticated",
         "MISSING_MFA", "IAM action"},
        {403, NULL, "{\"__type\": \"AccessDeniedException\", \"message\": \"Denied.\", "
         "\"reason\": \"SOMETHING_NEW\"}", NULL, 0, PROVIDER_E_DENIED, "reason SOMETHING_NEW",
         "Denied.", "IAM action"},
        {409, "error_conflict.json", NULL, NULL, 0, PROVIDER_E_CONFLICT, "already pending",
         "conflict", NULL},
        {402, "error_quota.json", NULL, NULL, 1, PROVIDER_E_DENIED, "HTTP 402", "L-BA000001", NULL},
        {400, "error_invalid_signature.json", NULL, NULL, 0, PROVIDER_E_AUTH, "check the clock",
         "signature", "Canonical"},
        {400, "error_signature_expired.json", NULL, NULL, 0, PROVIDER_E_AUTH, "check the clock",
         "5 minutes", NULL},
        /* no type at all: the message alone tells a skewed clock from a denial */
        {403, NULL, "{\"message\": \"Signature expired: 20250115T095000Z is now earlier than "
         "20250115T102500Z\"}", NULL, 0, PROVIDER_E_AUTH, "check the clock", "seller", NULL},
        {400, "error_expired_token.json", NULL, NULL, 0, PROVIDER_E_AUTH, "expired", "renew", NULL},
        {400, "error_unrecognized_client.json", NULL, NULL, 0, PROVIDER_E_AUTH, "credentials",
         "access key", NULL},
        /* the header wins over the body, and only the part between '#' and ':' counts */
        {400, "error_throttling.json", NULL, "aws.marketplace#ValidationException:http://internal/x",
         0, PROVIDER_E_INVALID, "(ValidationException)", "Rate exceeded", NULL},
        {418, NULL, "<html>teapot</html>", NULL, 0, PROVIDER_E_INVALID, "HTTP 418",
         "SendAgreementCancellationRequest", NULL},
        /* AWS's words are passed on, unless they quote the credentials */
        {400, NULL, "{\"__type\": \"SerializationException\", \"message\": \"bad header "
         "x-amz-security-token:" TOKEN "\"}", NULL, 0, PROVIDER_E_INVALID,
         "quoted the credentials", "rejected the request as invalid", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake *f = fake_new();
        struct provider *p = open_aws(f, NULL);
        struct provider_submission s = cases[i].refund ? refund_sub() : cancel_sub();
        struct got g = {0};
        script(f, cases[i].status, cases[i].file, cases[i].type_header);
        f->script[0].body = cases[i].body;
        CHECK(p && provider_submit(p, &s, on_result, &g) == 0);
        run(f);
        if (g.res.rc != cases[i].want || !strstr(g.res.message, cases[i].says) ||
            !strstr(g.res.message, cases[i].also))
            fprintf(stderr, "  case %zu (%s): rc %d: %s\n", i, cases[i].file ? cases[i].file : "-",
                    g.res.rc, g.res.message);
        CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == cases[i].want);
        CHECK_CONTAINS(g.res.message, cases[i].says);
        CHECK_CONTAINS(g.res.message, cases[i].also);
        CHECK(!cases[i].never || !strstr(g.res.message, cases[i].never));
        CHECK(!strstr(g.res.message, SECRET) && !strstr(g.res.message, TOKEN));
        provider_free(p);
        fake_free(f);
    }
}

static void test_transport_failures_are_timeout_or_unavailable(void)
{
    static const enum http_transport how[2] = {HTTP_E_TIMEOUT, HTTP_E_CONNECT};
    static const enum provider_rc want[2] = {PROVIDER_E_TIMEOUT, PROVIDER_E_UNAVAILABLE};
    for (int i = 0; i < 2; i++) {
        struct fake *f = fake_new();
        struct provider *p = open_aws(f, NULL);
        struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
        struct got g = {0};
        f->script[f->n_script++] = (struct reply){how[i], 0, NULL, NULL, NULL, NULL};
        CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
        run(f);
        CHECK(f->n_x == 1 && g.res.rc == want[i]);
        CHECK_CONTAINS(g.res.message, "DescribeAgreement");
        provider_free(p);
        fake_free(f);
    }
}

static void test_throttled_twice_then_answered(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
    struct got g = {0};
    script(f, 429, "error_throttling.json", NULL);
    script(f, 400, "error_throttling.json", "ThrottlingException");
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 3 && g.n == 1 && g.res.rc == PROVIDER_OK && g.res.message[0] == '\0');
    CHECK(f->x[1].sent_ms - f->x[0].sent_ms >= 250);      /* backed off, jittered */
    CHECK(f->x[2].sent_ms - f->x[1].sent_ms >= 500);
    for (int i = 0; i < 3; i++)
        check_call(&f->x[i], "DescribeAgreement", AKID, SECRET, TOKEN, "us-east-1");
    provider_free(p);
    fake_free(f);
}

static void test_retries_stop_inside_the_budget(void)
{
    static const char *const files[2] = {"error_throttling.json", "error_internal.json"};
    static const long status[2] = {429, 503};
    static const enum provider_rc want[2] = {PROVIDER_E_THROTTLED, PROVIDER_E_UNAVAILABLE};
    for (int k = 0; k < 2; k++) {
        struct fake *f = fake_new();
        struct provider *p = open_aws(f, NULL);
        struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
        struct got g = {0};
        for (int i = 0; i < MAX_X; i++)
            script(f, status[k], files[k], NULL);
        CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
        run(f);
        CHECK(g.n == 1 && g.res.rc == want[k]);
        CHECK(f->n_x >= 4 && f->n_x <= 12);
        CHECK(f->x[f->n_x - 1].sent_ms - f->x[0].sent_ms <= 30000);
        CHECK(f->now - T0 <= 30000);
        CHECK_CONTAINS(g.res.message, "Gave up after");
        provider_free(p);
        fake_free(f);
    }
}

static void test_retry_after_is_honoured(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
    struct got g = {0};
    script(f, 429, "error_throttling.json", NULL);
    f->script[0].retry_after = "7";
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 2 && g.res.rc == PROVIDER_OK);
    CHECK(f->x[1].sent_ms - f->x[0].sent_ms >= 7000);
    provider_free(p);
    fake_free(f);
}

/* ---- refusals before sending ----------------------------------------------------- */

static void test_bad_fields_are_refused_without_a_request(void)
{
    static const struct { const char *field, *value, *says; } cases[] = {
        {"agreement", "agmt 1", "agreementId"},
        {"agreement", "a123456789012345678901234567890123456789012345678901234567890123x", "agreementId"},
        {"token", "cancelbot_CR_7", "clientToken"},
        {"token", "", "clientToken"},
        {"description", "", "description"},
        {"description", "bad \x01 byte", "description"},
        {"reason", "NO_LONGER_NEEDED", "reasonCode"},
        {"account", "emea", "emea"},
        {"acr", "req-123", "agreementCancellationRequestId"},
        {"acr", "acr-12_3", "agreementCancellationRequestId"},
        {"buyer", "12345", "AcceptorAccountId"},
        {"search", "", "buyer account"},
        {"withdraw", "", "cancellationReason"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake *f = fake_new();
        struct provider *p = open_aws(f, NULL);
        struct provider_submission s = cancel_sub();
        struct provider_ref r = acr_ref(REQUEST_CANCEL, ACR);
        struct provider_target t = {.market = MARKET_AWS};
        const char *field = cases[i].field, *v = cases[i].value;
        char longer[2100] = "";
        struct got g = {0};
        int rc;
        if (!strcmp(field, "agreement"))
            snprintf(s.target.agreement_id, sizeof(s.target.agreement_id), "%s", v);
        else if (!strcmp(field, "token"))
            snprintf(s.client_token, sizeof(s.client_token), "%s", v);
        else if (!strcmp(field, "description"))
            snprintf(s.description, sizeof(s.description), "%s", v);
        else if (!strcmp(field, "reason"))
            snprintf(s.reason_code, sizeof(s.reason_code), "%s", v);
        else if (!strcmp(field, "account"))
            snprintf(s.target.account, sizeof(s.target.account), "%s", v);
        else if (!strcmp(field, "acr"))
            snprintf(r.ref, sizeof(r.ref), "%s", v);
        else if (!strcmp(field, "withdraw"))
            memset(longer, 'x', 2001);                  /* one character too many */
        else
            snprintf(t.buyer_account, sizeof(t.buyer_account), "%s", v);
        rc = !p ? -1 : !strcmp(field, "acr") ? provider_poll(p, &r, on_result, &g)
             : !strcmp(field, "withdraw") ? provider_withdraw(p, &r, longer, on_result, &g)
             : !strcmp(field, "buyer") || !strcmp(field, "search") ? provider_search(p, &t, on_result, &g)
             : provider_submit(p, &s, on_result, &g);
        CHECK(rc == 0 && g.n == 0);
        run(f);
        if (g.res.rc != PROVIDER_E_INVALID || !strstr(g.res.message, cases[i].says))
            fprintf(stderr, "  case %zu: %s\n", i, g.res.message);
        CHECK(g.n == 1 && g.res.rc == PROVIDER_E_INVALID);
        CHECK_CONTAINS(g.res.message, cases[i].says);
        CHECK(f->n_x == 0);          /* nothing went out */
        provider_free(p);
        fake_free(f);
    }
}

/* ---- accounts, endpoints, credentials -------------------------------------------- */

static void test_endpoint_overrides_take_precedence(void)
{
    static const struct { const char *specific, *general, *ignore, *want; } cases[] = {
        {NULL, NULL, NULL, "https://agreement-marketplace.eu-west-1.amazonaws.com/"},
        {NULL, "http://127.0.0.1:4566", NULL, "http://127.0.0.1:4566/"},
        {"http://127.0.0.1:9000/agreement/", "http://127.0.0.1:4566", NULL,
         "http://127.0.0.1:9000/agreement/"},
        {"http://127.0.0.1:9000", "http://127.0.0.1:4566", "true",
         "https://agreement-marketplace.eu-west-1.amazonaws.com/"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake *f = fake_new();
        struct provider *p;
        struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
        struct got g = {0};
        if (cases[i].specific)
            setenv_fake(f, "AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT", cases[i].specific);
        if (cases[i].general)
            setenv_fake(f, "AWS_ENDPOINT_URL", cases[i].general);
        if (cases[i].ignore)
            setenv_fake(f, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", cases[i].ignore);
        p = open_aws(f, "{\"accounts\": {\"default\": {\"region\": \"eu-west-1\"}}, "
                        "\"buyer_link\": \"https://example.com/{agreement_id}\"}");
        script(f, 200, "describe_agreement.json", NULL);
        CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
        run(f);
        CHECK(f->n_x == 1);
        CHECK_STR(f->x[0].url, cases[i].want);
        check_call(&f->x[0], "DescribeAgreement", AKID, SECRET, TOKEN, "eu-west-1");
        provider_free(p);
        fake_free(f);
    }
}

static void test_each_account_signs_with_its_own_profile(void)
{
    char path[] = "/tmp/cb-aws-agreement-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct fake *f = fake_new();
    struct provider *p;
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT, .account = "emea"};
    struct got g = {0}, g2 = {0};
    CHECK(fp != NULL);
    if (fp) {
        fputs("[seller]\naws_access_key_id = AKIDSELLER\naws_secret_access_key = "
              "sellerSecretKey0000000000000000000000000\n[emea]\naws_access_key_id = AKIDEMEA\n"
              "aws_secret_access_key = emeaSecretKey00000000000000000000000000\n", fp);
        fclose(fp);
    }
    f->n_env = 0;                    /* no keys in the environment */
    setenv_fake(f, "HOME", "/nonexistent");
    setenv_fake(f, "AWS_SHARED_CREDENTIALS_FILE", path);
    p = open_aws(f, "{\"accounts\": {\"default\": {\"profile\": \"seller\"}, "
                    "\"emea\": {\"profile\": \"emea\", \"region\": \"eu-central-1\"}}}");
    script(f, 200, "describe_agreement.json", NULL);
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    snprintf(t.account, sizeof(t.account), "default");
    CHECK(p && provider_lookup(p, &t, on_result, &g2) == 0);
    run(f);
    CHECK(f->n_x == 2 && g.res.rc == PROVIDER_OK && g2.res.rc == PROVIDER_OK);
    CHECK_STR(f->x[0].url, "https://agreement-marketplace.eu-central-1.amazonaws.com/");
    check_call(&f->x[0], "DescribeAgreement", "AKIDEMEA",
               "emeaSecretKey00000000000000000000000000", NULL, "eu-central-1");
    check_call(&f->x[1], "DescribeAgreement", "AKIDSELLER",
               "sellerSecretKey0000000000000000000000000", NULL, "us-east-1");
    CHECK(header(&f->x[0], "X-Amz-Security-Token") == NULL);
    provider_free(p);
    fake_free(f);
    unlink(path);
}

static void test_several_accounts_may_not_share_environment_keys(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws_expect(f, "{\"accounts\": {\"default\": {\"profile\": "
                                            "\"seller\"}, \"emea\": {\"profile\": \"emea\"}}}", 0);
    CHECK(p == NULL);
    CHECK_CONTAINS(f->err, "'default' and 'emea'");
    CHECK_CONTAINS(f->err, "AWS_ACCESS_KEY_ID");
    CHECK(!strstr(f->err, SECRET));
    provider_free(p);
    fake_free(f);
}

static void test_container_credentials_are_fetched_cached_and_renewed(void)
{
    struct fake *f = fake_new();
    struct provider *p;
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
    struct got g = {0};
    f->n_env = 0;
    setenv_fake(f, "HOME", "/nonexistent");
    setenv_fake(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1338/creds");
    p = open_aws(f, NULL);
    script(f, 200, "container_credentials.json", NULL);
    script(f, 200, "describe_agreement.json", NULL);
    script(f, 200, "describe_agreement.json", NULL);       /* cached: no second fetch */
    script(f, 400, "error_expired_token.json", NULL);      /* fetched again, once */
    script(f, 200, "container_credentials.json", NULL);
    script(f, 200, "describe_agreement.json", NULL);
    for (int i = 0; i < 3; i++) {
        CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
        run(f);
        CHECK(g.res.rc == PROVIDER_OK);
    }
    CHECK(f->n_x == 6);
    CHECK_STR(f->x[0].method, "GET");
    CHECK_STR(f->x[0].url, "http://127.0.0.1:1338/creds");
    check_call(&f->x[1], "DescribeAgreement", "ASIACONTAINEREXAMPLE",
               "containerSecretKeyExample0000000000000000", "IQoJb3JpZ2luX2VjEXAMPLECONTAINERTOKEN",
               "us-east-1");
    CHECK_STR(f->x[4].url, "http://127.0.0.1:1338/creds");
    /* near expiry (11:30 less 5 minutes) the next call fetches first */
    f->now = T0 + 56 * 60 * 1000LL;
    script(f, 200, "container_credentials.json", NULL);
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 8 && strcmp(f->x[6].method, "GET") == 0);
    provider_free(p);
    fake_free(f);
}

static void test_an_unnamed_target_uses_the_only_account(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, "{\"accounts\": {\"emea\": {\"region\": \"eu-central-1\"}}}");
    struct provider_ref r = acr_ref(REQUEST_CANCEL, ACR);
    struct got g = {0};
    script(f, 200, "cancel_cancellation.json", NULL);
    CHECK(p && provider_withdraw(p, &r, NULL, on_result, &g) == 0);   /* no reason given */
    run(f);
    CHECK(f->n_x == 1 && g.res.rc == PROVIDER_OK);
    check_call(&f->x[0], "CancelAgreementCancellationRequest", AKID, SECRET, TOKEN, "eu-central-1");
    CHECK(body_is(&f->x[0], "cancellationReason", "Withdrawn by the seller."));
    provider_free(p);
    fake_free(f);
}

static void test_a_batch_entry_that_failed_inside_aws_is_sent_again(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_submission s = refund_sub();
    struct got g = {0};
    script(f, 200, NULL, NULL);
    f->script[0].body = "{\"items\": [], \"errors\": [{\"code\": \"INTERNAL_FAILURE\", "
                        "\"message\": \"try again\", \"clientToken\": \"cancelbot-RF-3\"}]}";
    script(f, 200, "batch_billing_ok.json", NULL);
    CHECK(p && provider_submit(p, &s, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 2 && g.res.rc == PROVIDER_OK);
    CHECK_STR(g.res.ref, "ba-1a2b3c4d5e6f7g");
    CHECK(body_is(&f->x[1], "billingAdjustmentRequestEntries.[0].clientToken", "cancelbot-RF-3"));
    provider_free(p);
    fake_free(f);
}

#define STS_SECRET "stsSecretKeyExample000000000000000000000"

static void test_web_identity_credentials_come_from_sts_first(void)
{
    static const char sts[] =
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>ASIASTSEXAMPLE</AccessKeyId><SecretAccessKey>" STS_SECRET "</SecretAccessKey><SessionToken>FwoGZXIvSTSEXAMPLETOKEN</SessionToken>"
        "<Expiration>2025-01-15T11:30:00Z</Expiration></Credentials>"
        "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    char path[] = "/tmp/cb-aws-token-XXXXXX";
    int fd = mkstemp(path);
    struct fake *f = fake_new();
    struct provider *p;
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = AGMT};
    struct got g = {0};
    CHECK(fd >= 0 && write(fd, "eyJhbGciOiJSUzI1NiJ9.e30.sig\n", 29) == 29);
    if (fd >= 0)
        close(fd);
    f->n_env = 0;
    setenv_fake(f, "HOME", "/nonexistent");
    setenv_fake(f, "AWS_WEB_IDENTITY_TOKEN_FILE", path);
    setenv_fake(f, "AWS_ROLE_ARN", "arn:aws:iam::210987654321:role/cancelbot");
    p = open_aws(f, NULL);
    script(f, 200, NULL, NULL);
    f->script[0].body = sts;
    script(f, 200, "describe_agreement.json", NULL);
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 2 && g.res.rc == PROVIDER_OK);
    CHECK_STR(f->x[0].url, "https://sts.us-east-1.amazonaws.com/");
    CHECK_CONTAINS(f->x[0].body, "Action=AssumeRoleWithWebIdentity");
    check_call(&f->x[1], "DescribeAgreement", "ASIASTSEXAMPLE", STS_SECRET,
               "FwoGZXIvSTSEXAMPLETOKEN", "us-east-1");
    provider_free(p);
    fake_free(f);
    unlink(path);
}

static void test_config_mistakes_are_named(void)
{
    struct fake *f = fake_new();
    struct provider_env env = env_of(f);
    char err[512];
    env.http = NULL;                 /* the runtime has not lent its HTTP client */
    CHECK(provider_new(&aws_agreement_provider_ops, &env, NULL, err, sizeof(err)) == NULL);
    CHECK(aws_agreement_provider_new(&env, NULL, fake_getenv, f, err, sizeof(err)) == NULL);
    CHECK_CONTAINS(err, "HTTP client");
    fake_free(f);
    CHECK(aws_agreement_check_config("{\"accounts\": {\"default\": {\"region\": \"eu-west-1\"}}}",
                                     err, sizeof(err)) == 0);
    CHECK(aws_agreement_check_config("{\"accounts\": {\"default\": {\"key\": \"x\"}}}", err,
                                     sizeof(err)) != 0);
    CHECK_CONTAINS(err, "unknown setting \"key\"");
    CHECK(aws_agreement_check_config("{\"accounts\": {\"x\": {\"region\": \"EU West\"}}}", err,
                                     sizeof(err)) != 0);
    CHECK_CONTAINS(err, "aws.accounts.x.region");
    CHECK(aws_agreement_check_config("{\"accounts\": []}", err, sizeof(err)) != 0);
}

/* ---- who may cancel: the seller account's id and the agreement's parties --------- */

static char *describe_of(const char *id, const char *acceptor, const char *proposer)
{
    static const char fmt[] = "{\"agreementId\": \"%s\", \"acceptor\": {\"accountId\": \"%s\"}, "
                              "\"proposer\": {\"accountId\": \"%s\"}, \"status\": \"ACTIVE\", "
                              "\"agreementType\": \"PurchaseAgreement\"}";
    char *body = malloc(512);
    CHECK(body && snprintf(body, 512, fmt, id, acceptor, proposer) < 512);
    return body;
}

static void test_lookup_refuses_an_agreement_this_account_bought(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = "agmt-bought1"};
    struct got g = {0}, g2 = {0};
    char *bought = describe_of("agmt-bought1", SELLER_ID, "444455556666");
    char *ours = describe_of(AGMT, "123456789012", SELLER_ID);
    script(f, 200, NULL, NULL);
    script(f, 200, NULL, NULL);
    f->script[0].body = bought;
    f->script[1].body = ours;
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(g.n == 1 && g.res.rc == PROVIDER_E_NOT_SELLER);
    CHECK_STR(g.res.message, "agreement: agmt-bought1 was bought by this account (" SELLER_ID
              "): only its seller (the proposer, 444455556666) can cancel it; ask them.");
    /* the id is kept for the process: our own agreement goes through without asking again */
    snprintf(t.agreement_id, sizeof(t.agreement_id), AGMT);
    CHECK(p && provider_lookup(p, &t, on_result, &g2) == 0);
    run(f);
    CHECK(g2.n == 1 && g2.res.rc == PROVIDER_OK && g2.res.n_matches == 1);
    CHECK(f->n_sts == 1 && f->n_x == 2 && f->warnings == 0);
    free(bought);
    free(ours);
    provider_free(p);
    fake_free(f);
}

static void test_lookup_refuses_an_agreement_another_seller_sold(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = "agmt-other1"};
    struct got g = {0};
    char *other = describe_of("agmt-other1", "123456789012", "777788889999");
    script(f, 200, NULL, NULL);
    f->script[0].body = other;
    CHECK(p && provider_lookup(p, &t, on_result, &g) == 0);
    run(f);
    CHECK(g.n == 1 && g.res.rc == PROVIDER_E_NOT_SELLER);
    CHECK_CONTAINS(g.res.message, "agreement: agmt-other1 was sold by account 777788889999, "
                   "not by this seller account (" SELLER_ID ")");
    CHECK_CONTAINS(g.res.message, "account=<name>");
    free(other);
    provider_free(p);
    fake_free(f);
}

/* STS unreachable or refusing: the look-up is answered as before, the operator is told
 * once, and STS is asked again only after AWS_IDENTITY_RETRY_MS. */
static void test_without_the_account_id_lookups_go_on_and_the_log_says_so_once(void)
{
    struct fake *f = fake_new();
    struct provider *p = open_aws(f, NULL);
    struct provider_target t = {.market = MARKET_AWS, .agreement_id = "agmt-bought1"};
    struct got g[3] = {{0}};
    char *bought = describe_of("agmt-bought1", SELLER_ID, "444455556666");
    f->identity = (struct reply){HTTP_OK, 403, NULL, "<ErrorResponse><Error><Type>Sender</Type>"
                                 "<Code>AccessDenied</Code><Message>secret echo</Message></Error>"
                                 "</ErrorResponse>", NULL, NULL};
    for (int i = 0; i < 3; i++) {
        script(f, 200, NULL, NULL);
        f->script[i].body = bought;
    }
    for (int i = 0; i < 2; i++) {
        CHECK(p && provider_lookup(p, &t, on_result, &g[i]) == 0);
        run(f);
        CHECK(g[i].n == 1 && g[i].res.rc == PROVIDER_OK && g[i].res.n_matches == 1);
    }
    CHECK(f->n_sts == 1 && f->n_x == 2 && f->warnings == 1);
    CHECK_CONTAINS(f->last_warning, "AWS seller account 'default'");
    CHECK_CONTAINS(f->last_warning, "HTTP 403, AccessDenied");
    CHECK_CONTAINS(f->last_warning, "cannot refuse agreements this seller cannot cancel");
    CHECK(!strstr(f->last_warning, "secret echo"));
    f->now += 15 * 60 * 1000;        /* the quiet period is over: asked again, not logged */
    f->identity = (struct reply){HTTP_E_TIMEOUT, 0, NULL, "", NULL, NULL};
    CHECK(p && provider_lookup(p, &t, on_result, &g[2]) == 0);
    run(f);
    CHECK(g[2].n == 1 && g[2].res.rc == PROVIDER_OK);
    CHECK(f->n_sts == 2 && f->warnings == 1);
    free(bought);
    provider_free(p);
    fake_free(f);
}

static void test_caller_identity_answers_are_read_strictly(void)
{
    static const char bad_id[] = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"
                                 "21098765432x</Account></GetCallerIdentityResult>"
                                 "</GetCallerIdentityResponse>";
    static const char refused[] = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code>"
                                  "<Message>The token AKIA... is bad</Message></Error>"
                                  "</ErrorResponse>";
    char id[AWS_ACCOUNT_ID_MAX] = "", err[300] = "";
    const char *ok = IDENTITY_OK;
    CHECK(aws_caller_identity_parse(200, ok, strlen(ok), id, err, sizeof(err)) == 0);
    CHECK_STR(id, SELLER_ID);
    memcpy(id, "unchanged", 10);
    CHECK(aws_caller_identity_parse(200, bad_id, strlen(bad_id), id, err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "not 12 digits");
    CHECK_STR(id, "unchanged");      /* written only on success */
    CHECK(aws_caller_identity_parse(200, "<x/>", 4, id, err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "GetCallerIdentityResult/Account");
    CHECK(aws_caller_identity_parse(400, refused, strlen(refused), id, err, sizeof(err)) == -1);
    CHECK_STR(err, "STS answered GetCallerIdentity with HTTP 400, InvalidClientTokenId");
}

int main(void)
{
    RUN(test_lookup_sends_signed_describe_and_reads_the_agreement);
    RUN(test_search_follows_next_token_and_keeps_only_active);
    RUN(test_search_by_offer_filters_on_offer_id);
    RUN(test_submit_cancel_sends_the_model_members);
    RUN(test_a_resend_carries_the_same_client_token);
    RUN(test_poll_maps_each_cancellation_status);
    RUN(test_poll_says_why_validation_failed);
    RUN(test_withdraw_sends_the_reason_and_refunds_cannot_be_withdrawn);
    RUN(test_refund_sends_one_entry_and_reads_its_id);
    RUN(test_a_partly_failed_batch_reports_our_entry);
    RUN(test_each_error_maps_to_a_code_and_a_sentence);
    RUN(test_transport_failures_are_timeout_or_unavailable);
    RUN(test_throttled_twice_then_answered);
    RUN(test_retries_stop_inside_the_budget);
    RUN(test_retry_after_is_honoured);
    RUN(test_bad_fields_are_refused_without_a_request);
    RUN(test_endpoint_overrides_take_precedence);
    RUN(test_each_account_signs_with_its_own_profile);
    RUN(test_several_accounts_may_not_share_environment_keys);
    RUN(test_container_credentials_are_fetched_cached_and_renewed);
    RUN(test_an_unnamed_target_uses_the_only_account);
    RUN(test_a_batch_entry_that_failed_inside_aws_is_sent_again);
    RUN(test_web_identity_credentials_come_from_sts_first);
    RUN(test_config_mistakes_are_named);
    RUN(test_lookup_refuses_an_agreement_this_account_bought);
    RUN(test_lookup_refuses_an_agreement_another_seller_sold);
    RUN(test_without_the_account_id_lookups_go_on_and_the_log_says_so_once);
    RUN(test_caller_identity_answers_are_read_strictly);
    return check_summary();
}
