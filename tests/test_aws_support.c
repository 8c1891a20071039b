/* tests/test_aws_support.c -- the support-case route (providers/aws_support.c) against
 * recorded AWS Support answers ($CANCELBOT_TESTDATA/aws_support), with no network,
 * environment or real clock: a fake http_client records every request and answers
 * from a script on a later turn of a fake loop, which runs deferred work in due order
 * and moves the clock to each task (so back-off takes simulated seconds). Every
 * request is checked for its target, content type, timeout and a SigV4 signature
 * recomputed with aws_sigv4_authorization (signing name "support"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "providers/aws_support.h"
#include "providers/aws_sigv4.h"
#include "tests/check.h"

#define T0 1736937000000LL           /* 2025-01-15T10:30:00Z */
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
#define AGMT "agmt-1a2b3c4d5e6f7g8h9i0j"
#define CASE "case-123456789012-muen-2025-4e1e6a5b2d3c1f00"
#define MAX_X 40

struct exchange {
    char url[2048];
    struct http_header headers[HTTP_MAX_HEADERS];
    int n_headers;
    char *body;
    long timeout_ms;
    int64_t sent_ms;
};

struct reply {
    enum http_transport transport;
    long status;
    const char *file, *body;
};

struct task {
    int64_t due;
    http_cb hcb;                     /* an HTTP answer, or ... */
    void *hud;
    int reply;
    void (*fn)(void *);              /* ... deferred work */
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
    struct task *tasks;
    const char *env_name[16], *env_value[16];
    int n_env;
    char err[512];
};

struct got {
    int n;
    struct aws_support_result res;
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
    f->env_name[f->n_env] = name;
    f->env_value[f->n_env++] = value;
}

static void queue(struct fake *f, struct task *t)
{
    struct task **p = &f->tasks;
    while (*p)
        p = &(*p)->next;
    *p = t;
}

static int fake_send(struct http_client *c, const struct http_request *req, http_cb cb, void *ud)
{
    struct fake *f = c->impl;
    struct exchange *x;
    struct task *t;
    CHECK(f->n_x < MAX_X);
    if (f->n_x >= MAX_X)
        return -1;
    x = &f->x[f->n_x++];
    memcpy(x->url, req->url, sizeof(x->url));
    memcpy(x->headers, req->headers, sizeof(x->headers));
    x->n_headers = req->n_headers;
    x->body = calloc(1, req->body_len + 1);
    memcpy(x->body, req->body, req->body_len);
    x->timeout_ms = req->timeout_ms;
    x->sent_ms = f->now;
    t = calloc(1, sizeof(*t));       /* answered on a later turn, never inside send */
    t->due = f->now;
    t->hcb = cb;
    t->hud = ud;
    t->reply = f->next_reply++;
    queue(f, t);
    return 0;
}

static void fake_defer_at(void *loop, int64_t due_ms, void (*fn)(void *), void *arg)
{
    struct task *t = calloc(1, sizeof(*t));
    t->due = due_ms;
    t->fn = fn;
    t->arg = arg;
    queue(loop, t);
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
    snprintf(path, sizeof(path), "%s/aws_support/%s", root ? root : "", name);
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
    struct reply *r = t->reply < f->n_script ? &f->script[t->reply] : NULL;
    char *body;
    memset(&rsp, 0, sizeof(rsp));
    CHECK(r != NULL);                /* more requests than the script holds */
    rsp.transport = r ? r->transport : HTTP_E_OTHER;
    rsp.status = r && r->transport == HTTP_OK ? r->status : 0;
    body = r && r->file ? load(r->file) : strdup(r && r->body ? r->body : "");
    rsp.body = body;
    rsp.body_len = strlen(body);
    snprintf(rsp.headers[0].name, 64, "x-amzn-RequestId");
    snprintf(rsp.headers[0].value, 2048, "req-%d", t->reply + 1);
    rsp.n_headers = 1;
    if (rsp.transport != HTTP_OK)
        snprintf(rsp.error, sizeof(rsp.error), "Operation timed out after 15000 ms");
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
        if (t->hcb)
            answer(f, t);
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
        free(t->arg);
        free(t);
    }
    for (int i = 0; i < f->n_x; i++)
        free(f->x[i].body);
    free(f);
}

static void script(struct fake *f, long status, const char *file, const char *body)
{
    f->script[f->n_script++] = (struct reply){HTTP_OK, status, file, body};
}

static struct aws_support *open_support(struct fake *f, const char *config)
{
    struct provider_env env = {.loop = f, .defer_at = fake_defer_at, .now_ms = fake_now,
                               .http = &f->client};
    struct aws_support *s = aws_support_new(&env, config, fake_getenv, f, f->err, sizeof(f->err));
    if (!s)
        fprintf(stderr, "  aws_support_new: %s\n", f->err);
    return s;
}

static void on_result(void *ud, const struct aws_support_result *r)
{
    struct got *g = ud;
    g->n++;
    g->res = *r;
}

static const char *header(const struct exchange *x, const char *name)
{
    for (int i = 0; i < x->n_headers; i++)
        if (strcasecmp(x->headers[i].name, name) == 0)
            return x->headers[i].value;
    return NULL;
}

/* x is an awsJson1_1 call of op to url, signed for "support" in region at its send time. */
static void check_call(const struct exchange *x, const char *op, const char *url, const char *region)
{
    struct http_request *req = calloc(1, sizeof(*req));
    struct aws_sigv4_params sp = {AKID, SECRET, TOKEN, region, "support", x->sent_ms};
    char want[1024] = "", target[128], scope[160], date[17];
    snprintf(target, sizeof(target), "AWSSupport_20130415.%s", op);
    CHECK_STR(x->url, url);
    CHECK_STR(header(x, "X-Amz-Target"), target);
    CHECK_STR(header(x, "Content-Type"), "application/x-amz-json-1.1");
    CHECK(x->timeout_ms == 15000);
    aws_sigv4_amz_date(x->sent_ms, date);
    CHECK_STR(header(x, "X-Amz-Date"), date);
    CHECK_STR(header(x, "X-Amz-Security-Token"), TOKEN);
    snprintf(scope, sizeof(scope), "Credential=%s/%.8s/%s/support/aws4_request", AKID, date, region);
    CHECK_CONTAINS(header(x, "Authorization"), scope);
    snprintf(req->method, sizeof(req->method), "POST");
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

/* The body's member at a dotted path ("caseIdList.[0]"): a string, "true"/"false", or
 * NULL when absent. Copied out: out holds 8192 bytes. */
static const char *member(const struct exchange *x, const char *path, char out[8192])
{
    json_t *root = json_loads(x->body, 0, NULL), *v = root;
    char key[64];
    for (const char *p = path; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        v = key[0] == '[' ? json_array_get(v, (size_t)atoi(key + 1)) : json_object_get(v, key);
        p += n + (p[n] == '.');
    }
    snprintf(out, 8192, "%s", json_is_string(v) ? json_string_value(v) : json_is_true(v) ? "true"
             : json_is_false(v) ? "false" : "");
    json_decref(root);
    return v ? out : NULL;
}

static struct aws_support_case_input input(void)
{
    struct aws_support_case_input in;
    memset(&in, 0, sizeof(in));
    snprintf(in.agreement_id, sizeof(in.agreement_id), AGMT);
    snprintf(in.subscriber_account, sizeof(in.subscriber_account), "123456789012");
    snprintf(in.product_id, sizeof(in.product_id), "prod-abc123xyz");
    snprintf(in.offer_id, sizeof(in.offer_id), "offer-9x8y7w6v5u4t");
    snprintf(in.billing_period, sizeof(in.billing_period), "2025-01 to 2025-12");
    snprintf(in.invoice_id, sizeof(in.invoice_id), "E2E20230929a108cfae");
    in.amount_cents = 12000;
    snprintf(in.currency, sizeof(in.currency), "USD");
    snprintf(in.effective_date, sizeof(in.effective_date), "2025-02-01");
    snprintf(in.reason, sizeof(in.reason), "Replacing with private offer offer-1234");
    snprintf(in.case_id, sizeof(in.case_id), "12345");
    snprintf(in.buyer_ref, sizeof(in.buyer_ref), "ZD-778");
    snprintf(in.next_step, sizeof(in.next_step), "new offer");
    snprintf(in.requester, sizeof(in.requester), "U0ALICE");
    snprintf(in.request_id, sizeof(in.request_id), "CR-7");
    return in;
}

/* ---- the form (pure) ------------------------------------------------------------- */

static void test_form_text_carries_every_field_of_the_form(void)
{
    struct aws_support_case_input in = input();
    static char text[8192];
    static const char *const want[] = {
        "Subject: AWS Marketplace agreement cancellation: " AGMT " (CR-7)\n",
        "Please cancel this agreement effective 2025-02-01.",
        "Agreement ID: " AGMT "\n", "Subscriber AWS account ID: 123456789012\n",
        "Product ID: prod-abc123xyz\n", "Offer ID: offer-9x8y7w6v5u4t\n",
        "Billing period: 2025-01 to 2025-12\n", "Invoice ID: E2E20230929a108cfae\n",
        "Refund amount: 120.00 USD\n", "Reason for the cancellation: Replacing with private offer "
        "offer-1234 and more\n", "Related support case: 12345\n",
        "Buyer's request reference: ZD-778\n", "Intended next step: new offer\n",
        "U0ALICE", "request CR-7"};
    snprintf(in.reason, sizeof(in.reason), "Replacing with private offer offer-1234\nand more");
    CHECK(aws_support_form_text(&in, text, sizeof(text)) == AWS_SUPPORT_OK);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_CONTAINS(text, want[i]);
    CHECK(strncmp(text, "Subject: ", 9) == 0);
}

static void test_form_without_refund_or_context_says_cancellation_only(void)
{
    struct aws_support_case_input in = input();
    static char text[8192];
    in.amount_cents = 0;
    in.invoice_id[0] = in.case_id[0] = in.buyer_ref[0] = in.next_step[0] = in.offer_id[0] = '\0';
    CHECK(aws_support_form_text(&in, text, sizeof(text)) == AWS_SUPPORT_OK);
    CHECK_CONTAINS(text, "Refund amount: 0.00 (cancellation only, no refund)");
    CHECK_CONTAINS(text, "Offer ID: not given");
    CHECK(!strstr(text, "Invoice ID") && !strstr(text, "Context:") && !strstr(text, "Buyer's"));
}

static void test_form_refuses_bad_fields_and_leaves_out_alone(void)
{
    static const struct { const char *field, *value; int ok; const char *says; } cases[] = {
        {"date", "2025-02-29", 0, "YYYY-MM-DD"}, {"date", "2024-02-29", 1, NULL},
        {"date", "2025-13-01", 0, "YYYY-MM-DD"}, {"date", "1/2/2025", 0, "YYYY-MM-DD"},
        {"buyer", "12345678901", 0, "12 digits"}, {"buyer", "12345678901a", 0, "12 digits"},
        {"reason", "   ", 0, "reason"},          {"agreement", "", 0, "agreement ID"},
        {"product", "", 0, "product ID"},        {"currency", "", 0, "currency"},
        {"request", "", 0, "request id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_support_case_input in = input();
        char text[8192] = "untouched", why[200] = "";
        const char *f = cases[i].field, *v = cases[i].value;
        char *dst = !strcmp(f, "date") ? in.effective_date : !strcmp(f, "buyer") ? in.subscriber_account
                    : !strcmp(f, "reason") ? in.reason : !strcmp(f, "agreement") ? in.agreement_id
                    : !strcmp(f, "product") ? in.product_id : !strcmp(f, "currency") ? in.currency
                    : in.request_id;
        strcpy(dst, v);
        CHECK((aws_support_form_text(&in, text, sizeof(text)) == AWS_SUPPORT_OK) == cases[i].ok);
        CHECK((aws_support_input_check(&in, why, sizeof(why)) == AWS_SUPPORT_OK) == cases[i].ok);
        if (!cases[i].ok) {
            CHECK_STR(text, "untouched");
            CHECK_CONTAINS(why, cases[i].says);
        }
    }
    {
        struct aws_support_case_input in = input();
        char small[200] = "untouched";          /* the form does not fit */
        CHECK(aws_support_form_text(&in, small, sizeof(small)) == AWS_SUPPORT_E_INVALID);
        CHECK_STR(small, "untouched");
    }
}

/* ---- CreateCase ------------------------------------------------------------------ */

static void test_create_case_sends_the_form_signed_for_support(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct aws_support_case_input in = input();
    struct got g = {0};
    static char form[8192], m[8192];
    script(f, 200, "create_case.json", NULL);
    CHECK(s && aws_support_create_case(s, &in, "cancelbot-CR-7", on_result, &g) == 0);
    CHECK(g.n == 0);                 /* never called back inside the call */
    run(f);
    CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == AWS_SUPPORT_OK);
    CHECK_STR(g.res.case_id, CASE);
    CHECK(g.res.status == AWS_SUPPORT_PENDING);
    if (f->n_x != 1)
        goto out;
    check_call(&f->x[0], "CreateCase", "https://support.us-east-1.amazonaws.com/", "us-east-1");
    CHECK_STR(member(&f->x[0], "subject", m), "AWS Marketplace agreement cancellation: " AGMT " (CR-7)");
    CHECK_STR(member(&f->x[0], "serviceCode", m), "amazon-marketplace");
    CHECK_STR(member(&f->x[0], "categoryCode", m), "marketplace-seller-request");
    CHECK_STR(member(&f->x[0], "severityCode", m), "low");
    CHECK_STR(member(&f->x[0], "language", m), "en");
    CHECK_STR(member(&f->x[0], "issueType", m), "customer-service");
    CHECK(aws_support_form_text(&in, form, sizeof(form)) == 0);
    strcat(form, "Tracking token: cancelbot-CR-7\n");
    CHECK_STR(member(&f->x[0], "communicationBody", m), form);
out:
    aws_support_free(s);
    fake_free(f);
}

static void test_no_support_plan_sends_the_requester_to_the_portal(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct aws_support_case_input in = input();
    struct got g = {0};
    script(f, 400, "error_subscription_required.json", NULL);
    CHECK(s && aws_support_create_case(s, &in, "", on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == AWS_SUPPORT_E_NO_PLAN);   /* not retried */
    CHECK_STR(g.res.message, "This AWS account has no Business (or higher) support plan, so I "
              "cannot open the case for you: paste the form below into the AWS Marketplace "
              "portal and record the case id with /cancel case CR-7 <case-id>.");
    CHECK(g.res.case_id[0] == '\0');
    aws_support_free(s);
    fake_free(f);
}

static void test_throttled_then_answered_after_backing_off(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct aws_support_case_input in = input();
    struct got g = {0};
    char m[8192];
    script(f, 400, "error_throttling.json", NULL);
    script(f, 429, NULL, "");
    script(f, 200, "create_case.json", NULL);
    CHECK(s && aws_support_create_case(s, &in, NULL, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 3 && g.n == 1 && g.res.rc == AWS_SUPPORT_OK && g.res.message[0] == '\0');
    CHECK_STR(g.res.case_id, CASE);
    CHECK(f->n_x == 3 && f->x[1].sent_ms - f->x[0].sent_ms >= 250);    /* jittered back-off */
    CHECK(f->n_x == 3 && f->x[2].sent_ms - f->x[1].sent_ms >= 500);
    for (int i = 0; i < f->n_x; i++) {        /* each attempt signed afresh, same body */
        check_call(&f->x[i], "CreateCase", "https://support.us-east-1.amazonaws.com/", "us-east-1");
        CHECK(member(&f->x[i], "subject", m) && !strcmp(f->x[i].body, f->x[0].body));
    }
    aws_support_free(s);
    fake_free(f);
}

static void test_retries_stop_inside_the_budget(void)
{
    static const char *const files[2] = {"error_throttling.json", "error_internal.json"};
    static const long status[2] = {400, 500};
    static const enum aws_support_rc want[2] = {AWS_SUPPORT_E_THROTTLED, AWS_SUPPORT_E_UNAVAILABLE};
    for (int k = 0; k < 2; k++) {
        struct fake *f = fake_new();
        struct aws_support *s = open_support(f, NULL);
        struct aws_support_case_input in = input();
        struct got g = {0};
        for (int i = 0; i < MAX_X; i++)
            script(f, status[k], files[k], NULL);
        CHECK(s && aws_support_create_case(s, &in, NULL, on_result, &g) == 0);
        run(f);
        CHECK(g.n == 1 && g.res.rc == want[k]);
        CHECK(f->n_x >= 4 && f->n_x <= 12);
        CHECK(f->now - T0 <= 30000);
        CHECK_CONTAINS(g.res.message, "Gave up after");
        aws_support_free(s);
        fake_free(f);
    }
}

static void test_a_create_that_timed_out_is_not_resent(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct aws_support_case_input in = input();
    struct got g = {0};
    f->script[f->n_script++] = (struct reply){HTTP_E_TIMEOUT, 0, NULL, NULL};
    script(f, 200, "create_case.json", NULL);         /* a resend would open a second case */
    CHECK(s && aws_support_create_case(s, &in, NULL, on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == AWS_SUPPORT_E_UNKNOWN);
    CHECK_CONTAINS(g.res.message, "may have been opened");
    CHECK_CONTAINS(g.res.message, "\"AWS Marketplace agreement cancellation: " AGMT " (CR-7)\"");
    CHECK_CONTAINS(g.res.message, "/cancel case CR-7 <case-id>");
    aws_support_free(s);
    fake_free(f);
}

/* ---- DescribeCases --------------------------------------------------------------- */

static void test_describe_maps_each_case_status(void)
{
    static const struct { const char *aws; enum aws_support_status want; } cases[] = {
        {"opened", AWS_SUPPORT_PENDING},          {"unassigned", AWS_SUPPORT_PENDING},
        {"work-in-progress", AWS_SUPPORT_PENDING}, {"reopened", AWS_SUPPORT_PENDING},
        {"pending-customer-action", AWS_SUPPORT_ACTION_REQUIRED},
        {"resolved", AWS_SUPPORT_COMPLETED},      {"something-new", AWS_SUPPORT_PENDING}};
    static char body[7][512];
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    char m[8192];
    for (int i = 0; i < 7; i++) {
        struct got g = {0};
        snprintf(body[i], sizeof(body[i]), "{\"cases\": [{\"caseId\": \"%s\", \"displayId\": "
                 "\"173693700100123\", \"status\": \"%s\"}]}", CASE, cases[i].aws);
        script(f, 200, NULL, body[i]);
        CHECK(s && aws_support_describe_case(s, "", CASE, on_result, &g) == 0);
        run(f);
        CHECK(g.n == 1 && g.res.rc == AWS_SUPPORT_OK && g.res.status == cases[i].want);
        CHECK_STR(g.res.status_raw, cases[i].aws);
        CHECK_STR(g.res.display_id, "173693700100123");
        if (f->n_x != i + 1)
            break;
        check_call(&f->x[i], "DescribeCases", "https://support.us-east-1.amazonaws.com/", "us-east-1");
        CHECK_STR(member(&f->x[i], "caseIdList.[0]", m), CASE);
        CHECK_STR(member(&f->x[i], "includeResolvedCases", m), "true");
        CHECK(member(&f->x[i], "displayId", m) == NULL);
    }
    CHECK_STR(aws_support_status_name(AWS_SUPPORT_ACTION_REQUIRED), "Action Required");
    aws_support_free(s);
    fake_free(f);
}

static void test_describe_by_the_number_the_support_center_shows(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct got g = {0};
    char m[8192];
    script(f, 200, "describe_cases.json", NULL);
    CHECK(s && aws_support_describe_case(s, "default", "173693700100123", on_result, &g) == 0);
    run(f);
    CHECK(f->n_x == 1 && g.res.rc == AWS_SUPPORT_OK && g.res.status == AWS_SUPPORT_ACTION_REQUIRED);
    CHECK_STR(g.res.case_id, CASE);
    CHECK(f->n_x == 1 && member(&f->x[0], "caseIdList", m) == NULL);
    CHECK(f->n_x == 1 && member(&f->x[0], "displayId", m) && !strcmp(m, "173693700100123"));
    aws_support_free(s);
    fake_free(f);
}

static void test_describe_errors_map_to_codes_and_sentences(void)
{
    static const struct {
        long status;
        const char *file, *body;
        enum aws_support_rc want;
        const char *says, *never;
    } cases[] = {
        {400, "error_case_not_found.json", NULL, AWS_SUPPORT_E_NOT_FOUND, "no case " CASE, NULL},
        {200, NULL, "{\"cases\": []}", AWS_SUPPORT_E_NOT_FOUND, "no case " CASE, NULL},
        {400, "error_access_denied.json", NULL, AWS_SUPPORT_E_DENIED, "support:DescribeCases", NULL},
        {400, "error_subscription_required.json", NULL, AWS_SUPPORT_E_NO_PLAN,
         "cannot follow case " CASE, NULL},
        {403, "error_invalid_signature.json", NULL, AWS_SUPPORT_E_AUTH, "check the clock",
         "Canonical"},
        {400, NULL, "{\"__type\": \"SerializationException\", \"message\": \"bad x-amz-security-"
         "token:" TOKEN "\"}", AWS_SUPPORT_E_INVALID, "quoted the credentials", TOKEN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake *f = fake_new();
        struct aws_support *s = open_support(f, NULL);
        struct got g = {0};
        script(f, cases[i].status, cases[i].file, cases[i].body);
        CHECK(s && aws_support_describe_case(s, NULL, CASE, on_result, &g) == 0);
        run(f);
        if (g.res.rc != cases[i].want)
            fprintf(stderr, "  case %zu: rc %d: %s\n", i, g.res.rc, g.res.message);
        CHECK(f->n_x == 1 && g.n == 1 && g.res.rc == cases[i].want);
        CHECK_STR(g.res.case_id, CASE);          /* the caller learns which case failed */
        CHECK_CONTAINS(g.res.message, cases[i].says);
        CHECK(!cases[i].never || !strstr(g.res.message, cases[i].never));
        aws_support_free(s);
        fake_free(f);
    }
}

/* ---- endpoints, refusals ------------------------------------------------------------ */

static void test_endpoint_overrides_and_partitions(void)
{
    static const struct { const char *region, *specific, *general, *ignore, *url, *sign; } cases[] = {
        {"eu-west-1", NULL, NULL, NULL, "https://support.us-east-1.amazonaws.com/", "us-east-1"},
        {"eu-west-1", NULL, "http://127.0.0.1:4566", NULL, "http://127.0.0.1:4566/", "us-east-1"},
        {"eu-west-1", "http://127.0.0.1:9000/support", "http://127.0.0.1:4566", NULL,
         "http://127.0.0.1:9000/support/", "us-east-1"},
        {"eu-west-1", "http://127.0.0.1:9000", NULL, "true",
         "https://support.us-east-1.amazonaws.com/", "us-east-1"},
        {"cn-northwest-1", NULL, NULL, NULL, "https://support.cn-north-1.amazonaws.com.cn/",
         "cn-north-1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake *f = fake_new();
        struct aws_support *s;
        struct got g = {0};
        char config[200];
        if (cases[i].specific)
            setenv_fake(f, "AWS_ENDPOINT_URL_SUPPORT", cases[i].specific);
        if (cases[i].general)
            setenv_fake(f, "AWS_ENDPOINT_URL", cases[i].general);
        if (cases[i].ignore)
            setenv_fake(f, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", cases[i].ignore);
        snprintf(config, sizeof(config), "{\"accounts\": {\"default\": {\"region\": \"%s\"}}}",
                 cases[i].region);
        s = open_support(f, config);
        script(f, 200, "describe_cases.json", NULL);
        CHECK(s && aws_support_describe_case(s, "", CASE, on_result, &g) == 0);
        run(f);
        CHECK(f->n_x == 1 && g.res.rc == AWS_SUPPORT_OK);
        if (f->n_x == 1)
            check_call(&f->x[0], "DescribeCases", cases[i].url, cases[i].sign);
        aws_support_free(s);
        fake_free(f);
    }
    {
        struct fake *f = fake_new();
        struct provider_env env = {.loop = f, .defer_at = fake_defer_at, .now_ms = fake_now,
                                   .http = &f->client};
        setenv_fake(f, "AWS_ENDPOINT_URL_SUPPORT", "ftp://example.com");
        CHECK(aws_support_new(&env, NULL, fake_getenv, f, f->err, sizeof(f->err)) == NULL);
        CHECK_CONTAINS(f->err, "AWS_ENDPOINT_URL_SUPPORT");
        fake_free(f);
    }
}

static void test_refusals_answer_later_and_send_nothing(void)
{
    struct fake *f = fake_new();
    struct aws_support *s = open_support(f, NULL);
    struct aws_support_case_input bad = input(), other = input(), good = input();
    struct got g[5] = {{0}};
    struct provider_env no_timer = {.loop = f, .now_ms = fake_now, .http = &f->client};
    char err[200] = "";
    bad.subscriber_account[0] = '\0';
    snprintf(other.account, sizeof(other.account), "emea");
    CHECK(s && aws_support_create_case(s, &bad, NULL, on_result, &g[0]) == 0);
    CHECK(s && aws_support_create_case(s, &other, NULL, on_result, &g[1]) == 0);
    CHECK(s && aws_support_create_case(s, &good, "bad token!", on_result, &g[2]) == 0);
    CHECK(s && aws_support_describe_case(s, "", "case 1", on_result, &g[3]) == 0);
    CHECK(s && aws_support_describe_case(s, "em\001ea", CASE, on_result, &g[4]) == 0);
    CHECK(aws_support_create_case(s, &bad, NULL, NULL, NULL) == AWS_SUPPORT_E_INVALID);
    CHECK(g[0].n == 0 && g[1].n == 0);
    run(f);
    for (int i = 0; i < 5; i++)
        CHECK(g[i].n == 1 && g[i].res.rc == AWS_SUPPORT_E_INVALID);
    CHECK_CONTAINS(g[0].res.message, "12 digits");
    CHECK_CONTAINS(g[1].res.message, "'emea'");
    CHECK_CONTAINS(g[2].res.message, "tracking token");
    CHECK_CONTAINS(g[3].res.message, "case-...");
    CHECK_CONTAINS(g[4].res.message, "seller account name");
    CHECK(f->n_x == 0);
    CHECK(aws_support_new(&no_timer, NULL, fake_getenv, f, err, sizeof(err)) == NULL);
    CHECK_CONTAINS(err, "defer_at");
    aws_support_free(s);
    fake_free(f);
}

int main(void)
{
    RUN(test_form_text_carries_every_field_of_the_form);
    RUN(test_form_without_refund_or_context_says_cancellation_only);
    RUN(test_form_refuses_bad_fields_and_leaves_out_alone);
    RUN(test_create_case_sends_the_form_signed_for_support);
    RUN(test_no_support_plan_sends_the_requester_to_the_portal);
    RUN(test_throttled_then_answered_after_backing_off);
    RUN(test_retries_stop_inside_the_budget);
    RUN(test_a_create_that_timed_out_is_not_resent);
    RUN(test_describe_maps_each_case_status);
    RUN(test_describe_by_the_number_the_support_center_shows);
    RUN(test_describe_errors_map_to_codes_and_sentences);
    RUN(test_endpoint_overrides_and_partitions);
    RUN(test_refusals_answer_later_and_send_nothing);
    return check_summary();
}
