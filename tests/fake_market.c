/* tests/fake_market.c -- local fakes of the marketplaces for the end-to-end tests: the
 * AWS Marketplace Agreement API, the AWS Support API, the Azure AD token endpoint and
 * Partner Center, in one process, over plain HTTP on 127.0.0.1 only. The providers
 * reach it through their endpoint overrides; tests start it, wait for --port-file,
 * drive the bot, play the buyer through the control endpoints, and assert on --log.
 *
 *   fake_market --port-file FILE --log FILE [--timeout SECONDS (120)]
 *               [--throttle OPERATION:N ...] [--fail OPERATION:STATUS:ERRORTYPE:N ...]
 *               [--no-support-plan] [--token-lifetime SECONDS (3600)]
 *               [--azure-delay SECONDS (2)] [--azure-cancel-status 200|202]
 *               [--slow OPERATION:MS[:N]]: that AWS operation answers MS late (the
 *                whole fake waits: a test of a slow call has one client); the next N
 *                calls only, when N is given. The operation takes effect after the wait.
 *               [--cut OPERATION:N ...]: the next N calls of that operation (any
 *                service, names as for --fail) take effect and are answered with the
 *                full Content-Length but half the body, then the connection closes: an
 *                answer cut mid-body
 *               [--search-page-size N] [--max-skew SECONDS]
 *               [--agreements N]: N more agreements, agmt-rep0000000000000001 onwards
 *                (ACTIVE, self-serve, the seller's), one per flow of a load test
 *   fake_market --sign-request --host HOST:PORT --target TARGET --body JSON [...]
 *               prints a signed raw HTTP request (fake_market_sigv4.c) for bash tests
 *
 * Endpoints:
 *   POST /  X-Amz-Target: AWSMPCommerceService_v20200301.<Op>   Agreement API (awsJson1_0)
 *   POST /  X-Amz-Target: AWSSupport_20130415.<Op>              Support API (awsJson1_1)
 *   POST /  Action=GetCallerIdentity (form, no X-Amz-Target)     STS (Query API, XML)
 *   POST /<tenant>/oauth2/token, /<tenant>/oauth2/v2.0/token    Azure AD client credentials
 *   GET|POST /v1/customers/{c}/subscriptions/{s}/azureEntitlements[/{e}[/cancel]]
 *   GET  /_control/stats                                        counters, as JSON
 *   POST /_control/buyer  {"requestId":"acr-...","answer":"APPROVED"|"REJECTED"}
 *   POST /_control/refund {"billingAdjustmentRequestId":"ba-...","status":"COMPLETED"}
 *   POST /_control/case   {"caseId":"case-...","status":"resolved"}
 * Operation names for --throttle/--fail are the AWS operation names (GetCallerIdentity
 * too), "token" (Azure
 * AD), and "cancel", "get_entitlement", "list_entitlements" (Partner Center); "*" is
 * every operation. Signature checks and bearer tokens are checked before faults, as
 * the real services authenticate before they throttle.
 *
 * Log: one JSON line per request: t_ms, service ("aws", "support", "aad", "partner",
 * "control", "http"), operation, status, client_token (when the call has one), sig_ok
 * (AWS calls), body (as received; form secrets redacted), and per service a few more
 * (request_id; ms_request_id...). The Authorization value and client secrets are
 * never written anywhere.
 *
 * Lifetime: exits 0 at --timeout or on SIGTERM/SIGINT, 1 when it cannot start; a stats
 * line goes to stdout at exit. A repeating 100 ms timer watches both, so a signal is
 * seen even while no request arrives. */
#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "tests/fake_market_int.h"

#define TICK_US (100 * 1000LL)

static volatile sig_atomic_t stop_signal;

struct server {
    struct fm fm;
    struct lws_context *ctx;
    FILE *log;
    int done;
    int64_t deadline_ms;
    lws_sorted_usec_list_t sul_tick;
};

struct sess {                        /* lws per-session data; zeroed by lws */
    struct fm_call *call;            /* the request being read, or NULL */
    size_t body_cap;
    int too_big;
    unsigned char *resp;             /* LWS_PRE headroom; written on WRITEABLE */
    size_t resp_len;
    int cut;                         /* --cut: half the body, then close */
};

/* ---- small shared helpers -------------------------------------------------------- */

void *fm_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {                        /* a test tool: dying loudly beats limping on */
        fputs("fake_market: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

char *fm_xstrdup(const char *s) { return strcpy(fm_xrealloc(NULL, strlen(s) + 1), s); }

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t fm_now_ms(const struct fm *f) { return mono_ms() - f->t0_ms; }

double fm_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}

json_t *fm_json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);    /* NULL when not UTF-8: jansson insists */
    return j ? j : json_string("<not utf-8>");
}

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *url_decode(const char *s, size_t len)     /* caller frees */
{
    char *out = fm_xrealloc(NULL, len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
            *o++ = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

json_t *fm_form_parse(const char *body, size_t len)
{
    json_t *obj = json_object();
    size_t i = 0;
    while (i < len) {                /* each pass moves i past one '&': bounded by len */
        size_t end = i, eq;
        char *k, *v;
        while (end < len && body[end] != '&')
            end++;
        for (eq = i; eq < end && body[eq] != '='; eq++)
            ;
        k = url_decode(body + i, eq - i);
        v = url_decode(body + eq + (eq < end), end - eq - (eq < end));
        if (*k)
            json_object_set_new(obj, k, fm_json_text(v, strlen(v)));
        free(k);
        free(v);
        i = end + 1;
    }
    return obj;
}

void fm_answer_header(struct fm_answer *a, const char *name, const char *value)
{
    if (a->n_headers >= FM_MAX_ANSWER_HEADERS)
        return;                      /* the services send at most four */
    snprintf(a->headers[a->n_headers].name, sizeof a->headers[0].name, "%s", name);
    snprintf(a->headers[a->n_headers].value, sizeof a->headers[0].value, "%s", value);
    a->n_headers++;
}

int fm_fault_take(struct fm *f, const char *op, struct fm_fault *out)
{
    for (size_t i = 0; i < f->n_faults; i++) {
        struct fm_fault *ft = &f->faults[i];
        if (ft->left > 0 && (!strcmp(ft->op, "*") || !strcmp(ft->op, op))) {
            ft->left--;
            *out = *ft;
            return 1;
        }
    }
    return 0;
}

void fm_count(json_t *obj, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(obj, key));
    json_object_set_new(obj, key, json_integer(n + 1));
}

/* ---- control endpoints ------------------------------------------------------------ */

static json_t *stats_json(const struct fm *f)
{
    json_t *stats = json_pack("{s:I}", "uptime_ms", (json_int_t)fm_now_ms(f));
    fm_aws_stats(f, stats);
    fm_azure_stats(f, stats);
    json_object_set_new(stats, "sts_identity_calls", json_integer(f->sts_calls));
    return stats;
}

static void control(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    const char *name = c->path + strlen("/_control/");
    json_t *in = NULL;
    a->service = "control";
    snprintf(a->operation, sizeof a->operation, "%s", name);
    if (!strcmp(name, "stats") && !strcmp(c->method, "GET")) {
        a->status = 200;
        a->body = stats_json(f);
        return;
    }
    if (strcmp(c->method, "POST")) {
        a->status = 405;
        a->body = json_pack("{s:s}", "error", "use POST with a JSON body (GET for stats)");
        return;
    }
    in = json_loadb(c->body, c->body_len, 0, NULL);
    a->log_body = json_is_object(in) ? json_incref(in) : NULL;
    if (!json_is_object(in)) {
        a->status = 400;
        a->body = json_pack("{s:s}", "error", "the body must be a JSON object");
    } else if (!fm_aws_control(f, name, in, a)) {
        a->status = 404;
        a->body = json_pack("{s:s}", "error", "no such control endpoint");
    }
    json_decref(in);
}

/* ---- HTTP ----------------------------------------------------------------------------- */

/* Copies the header named lname (lower case, no colon). lws parses ~100 common
 * headers into token slots and keeps the rest as "custom" headers, so look in both.
 * 0 and buf written when present; -1 when absent or too long. */
static int header_copy(struct lws *wsi, const char *lname, char *buf, int len)
{
    char key[80];
    size_t n = strlen(lname);
    buf[0] = '\0';
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
        const char *s = (const char *)lws_token_to_string((enum lws_token_indexes)t);
        if (s && strlen(s) == n + 1 && s[n] == ':' && !strncasecmp(s, lname, n))
            return lws_hdr_total_length(wsi, (enum lws_token_indexes)t) > 0 &&
                   lws_hdr_copy(wsi, buf, len, (enum lws_token_indexes)t) >= 0 ? 0 : -1;
    }
    if (n + 2 > sizeof key)
        return -1;
    snprintf(key, sizeof key, "%s:", lname);
    return lws_hdr_custom_copy(wsi, buf, len, key, (int)n + 1) >= 0 ? 0 : -1;
}

/* The request SigV4 is recomputed over: method, URL from Host + path + query, and
 * each header the SignedHeaders list names, with the value received. Headers the
 * client did not sign are left out, as AWS leaves them out. */
static void capture_signed(struct lws *wsi, struct fm_call *c)
{
    const char *sh = strstr(c->authorization, "SignedHeaders=");
    struct http_request *req;
    char names[1024], *save = NULL, *name;
    size_t n;
    if (strncmp(c->authorization, "AWS4-HMAC-SHA256 ", 17) || !sh)
        return;
    sh += strlen("SignedHeaders=");
    n = strcspn(sh, ", ");
    if (n >= sizeof names)
        return;
    memcpy(names, sh, n);
    names[n] = '\0';
    req = c->signed_req = calloc(1, sizeof *req);
    if (!req)
        return;
    snprintf(req->method, sizeof req->method, "%s", c->method);
    snprintf(req->url, sizeof req->url, "http://%.255s%.1023s%s%.700s", c->host, c->path,
             c->query[0] ? "?" : "", c->query);
    for (name = strtok_r(names, ";", &save); name; name = strtok_r(NULL, ";", &save)) {
        struct http_header *h;
        if (req->n_headers >= HTTP_MAX_HEADERS)
            break;                   /* more than the signer can produce: will mismatch */
        h = &req->headers[req->n_headers++];
        snprintf(h->name, sizeof h->name, "%s", name);
        if (header_copy(wsi, name, h->value, (int)sizeof h->value))
            h->value[0] = '\0';      /* signed but absent: the signature will not match */
    }
}

static void capture_query(struct lws *wsi, struct fm_call *c)
{
    size_t used = 0;
    char frag[512];
    for (int i = 0; i < 32; i++) {   /* lws splits the query at '&' into fragments */
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n <= 0)
            break;
        if (used + (size_t)n + 2 > sizeof c->query)
            break;
        used += (size_t)snprintf(c->query + used, sizeof c->query - used, "%s%s",
                                 used ? "&" : "", frag);
    }
}

static struct fm_call *call_new(struct lws *wsi, const char *path)
{
    static const struct { enum lws_token_indexes tok; const char *name; } methods[] = {
        {WSI_TOKEN_GET_URI, "GET"}, {WSI_TOKEN_POST_URI, "POST"}, {WSI_TOKEN_PUT_URI, "PUT"},
        {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_DELETE_URI, "DELETE"},
    };
    struct fm_call *c = fm_xrealloc(NULL, sizeof *c);
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (lws_hdr_total_length(wsi, methods[i].tok) > 0)
            snprintf(c->method, sizeof c->method, "%s", methods[i].name);
    snprintf(c->path, sizeof c->path, "%s", path ? path : "");
    capture_query(wsi, c);
    header_copy(wsi, "authorization", c->authorization, sizeof c->authorization);
    header_copy(wsi, "content-type", c->content_type, sizeof c->content_type);
    header_copy(wsi, "x-amz-target", c->target, sizeof c->target);
    header_copy(wsi, "host", c->host, sizeof c->host);
    header_copy(wsi, "ms-requestid", c->ms_request_id, sizeof c->ms_request_id);
    header_copy(wsi, "ms-correlationid", c->ms_correlation_id, sizeof c->ms_correlation_id);
    header_copy(wsi, "ms-contract-version", c->ms_contract_version,
                sizeof c->ms_contract_version);
    capture_signed(wsi, c);
    return c;
}

static void call_free(struct fm_call *c)
{
    if (!c)
        return;
    free(c->signed_req);
    free(c->body);
    free(c);
}

static void sess_reset(struct sess *s)
{
    call_free(s->call);
    free(s->resp);
    memset(s, 0, sizeof *s);
}

static void log_answer(struct server *sv, const struct fm_call *c, struct fm_answer *a)
{
    json_t *line = json_pack("{s:I, s:s, s:s, s:i}", "t_ms", (json_int_t)fm_now_ms(&sv->fm),
                             "service", a->service ? a->service : "http", "operation",
                             a->operation[0] ? a->operation : c->path, "status", a->status);
    char *text;
    if (a->client_token[0])
        json_object_set_new(line, "client_token", json_string(a->client_token));
    if (a->sig_ok >= 0)
        json_object_set_new(line, "sig_ok", json_boolean(a->sig_ok));
    if (a->log_extra)
        json_object_update(line, a->log_extra);
    json_object_set_new(line, "body", a->log_body ? json_incref(a->log_body)
                        : fm_json_text(c->body ? c->body : "", c->body_len));
    if ((text = json_dumps(line, JSON_COMPACT))) {
        fprintf(sv->log, "%s\n", text);
        free(text);
    }
    json_decref(line);
}

/* Writes the status line and headers now; the body goes out on HTTP_WRITEABLE. */
static int respond(struct lws *wsi, struct sess *s, struct fm_answer *a)
{
    unsigned char hdr[LWS_PRE + 4096], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    char *text = a->raw_body ? fm_xstrdup(a->raw_body)
               : a->body ? json_dumps(a->body, JSON_COMPACT) : NULL;
    size_t len = text ? strlen(text) : 0;
    int rc = -1;
    if (lws_add_http_common_headers(wsi, (unsigned)a->status,
                                    a->content_type ? a->content_type : "application/json",
                                    len, &p, end))
        goto out;
    for (int i = 0; i < a->n_headers; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s:", a->headers[i].name);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)a->headers[i].value,
                                        (int)strlen(a->headers[i].value), &p, end))
            goto out;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        goto out;
    s->resp = fm_xrealloc(NULL, LWS_PRE + len);
    if (len)
        memcpy(s->resp + LWS_PRE, text, len);
    s->resp_len = s->cut ? len / 2 : len;    /* the header still says len */
    lws_callback_on_writable(wsi);
    rc = 0;
out:
    free(text);
    return rc;
}

/* 1 when this call of op is one --cut asked for (and takes that use). */
static int take_cut(struct fm *f, const char *op)
{
    for (size_t i = 0; i < f->n_cuts; i++) {
        if (f->cuts[i].left > 0 && !strcmp(f->cuts[i].op, op)) {
            f->cuts[i].left--;
            return 1;
        }
    }
    return 0;
}

/* The whole request is in: route it, log it, answer it. */
static int handle(struct server *sv, struct lws *wsi, struct sess *s)
{
    struct fm_call *c = s->call;
    struct fm_answer a;
    int rc;
    memset(&a, 0, sizeof a);
    a.sig_ok = -1;
    if (s->too_big) {
        a.status = 413;
        a.body = json_pack("{s:s}", "error", "request body over 1 MiB");
        free(c->body);               /* log the size, not a truncated body */
        c->body = NULL;
        c->body_len = 0;
    } else if (!strncmp(c->path, "/_control/", 10)) {
        control(&sv->fm, c, &a);
    } else if (!fm_aws_handle(&sv->fm, c, &a) && !fm_sts_handle(&sv->fm, c, &a) &&
               !fm_azure_handle(&sv->fm, c, &a)) {
        a.status = 404;
        a.body = json_pack("{s:s}", "error", "no such endpoint in fake_market");
    }
    if (a.operation[0] && take_cut(&sv->fm, a.operation)) {
        s->cut = 1;
        if (!a.log_extra)
            a.log_extra = json_object();
        json_object_set_new(a.log_extra, "cut", json_true());
    }
    log_answer(sv, c, &a);
    rc = respond(wsi, s, &a);
    json_decref(a.body);
    free(a.raw_body);
    json_decref(a.log_body);
    json_decref(a.log_extra);
    return rc;
}

static int on_http(struct server *sv, struct lws *wsi, struct sess *s, const char *path)
{
    char cl[32] = "";
    long long want;
    sess_reset(s);
    s->call = call_new(wsi, path);
    /* lws calls BODY_COMPLETION for a POST with any Content-Length, 0 included; other
     * requests (and a POST without Content-Length) are answered with an empty body */
    if (!lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) ||
        lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return handle(sv, wsi, s);
    want = atoll(cl);
    s->too_big = want > FM_MAX_BODY || want < 0;
    return 0;
}

static void on_http_body(struct sess *s, const char *in, size_t len)
{
    struct fm_call *c = s->call;
    if (!c || !in || !len)           /* lws reports an empty body as (NULL, 0) */
        return;
    if (s->too_big || c->body_len + len > FM_MAX_BODY) {
        s->too_big = 1;
        return;
    }
    if (c->body_len + len + 1 > s->body_cap) {
        s->body_cap = (c->body_len + len + 1) * 2;
        c->body = fm_xrealloc(c->body, s->body_cap);
    }
    memcpy(c->body + c->body_len, in, len);
    c->body_len += len;
    c->body[c->body_len] = '\0';
}

static int on_http_writeable(struct lws *wsi, struct sess *s)
{
    int n, short_write;
    if (!s->resp)
        return 0;
    if (s->cut) {                    /* part of the body, then the connection drops */
        lws_write(wsi, s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP);
        sess_reset(s);
        return -1;
    }
    n = lws_write(wsi, s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP_FINAL);
    short_write = n < (int)s->resp_len;
    sess_reset(s);
    return short_write || lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct server *sv = lws_context_user(lws_get_context(wsi));
    struct sess *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(sv, wsi, s, in);
    case LWS_CALLBACK_HTTP_BODY:
        on_http_body(s, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return s->call ? handle(sv, wsi, s) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_http_writeable(wsi, s);
    case LWS_CALLBACK_CLOSED_HTTP:
        if (s)
            sess_reset(s);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- lifetime --------------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    stop_signal = 1;                 /* the tick timer sees it within 100 ms */
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct server *sv = lws_container_of(sul, struct server, sul_tick);
    if (stop_signal || fm_now_ms(&sv->fm) >= sv->deadline_ms) {
        sv->done = 1;
        lws_cancel_service(sv->ctx);
        return;
    }
    lws_sul_schedule(sv->ctx, 0, &sv->sul_tick, on_tick, TICK_US);
}

/* Written to a temporary name, then renamed: a test polling for the file never reads
 * it half-written. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    FILE *fp;
    int ok;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(fp = fopen(tmp, "w")))
        return -1;
    ok = fprintf(fp, "%d\n", port) > 0;
    ok = !fclose(fp) && ok;
    return ok && !rename(tmp, path) ? 0 : -1;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s ? s : "", &end, 10);
    if (!s || !*s || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "OP:N" (throttle, cut) or "OP:STATUS:TYPE:N" (fail). */
enum fault_kind { FAULT_FAIL, FAULT_THROTTLE, FAULT_CUT };

static int add_fault(struct fm *f, const char *spec, enum fault_kind kind)
{
    int throttle = kind != FAULT_FAIL;
    char *copy = fm_xstrdup(spec), *parts[4] = {0}, *save = NULL;
    int n = 0, want = throttle ? 2 : 4, rc = -1;
    struct fm_fault ft = {0};
    for (char *p = strtok_r(copy, ":", &save); p && n < 4; p = strtok_r(NULL, ":", &save))
        parts[n++] = p;
    if (n != want || strtok_r(NULL, ":", &save) ||
        parse_long(parts[n - 1], 1, 1000000, &ft.left) ||
        (!throttle && parse_long(parts[1], 100, 599, &ft.status)))
        goto out;
    ft.op = fm_xstrdup(parts[0]);
    ft.type = throttle ? NULL : fm_xstrdup(parts[2]);
    if (kind == FAULT_CUT) {
        f->cuts = fm_xrealloc(f->cuts, (f->n_cuts + 1) * sizeof *f->cuts);
        f->cuts[f->n_cuts++] = ft;
    } else {
        f->faults = fm_xrealloc(f->faults, (f->n_faults + 1) * sizeof *f->faults);
        f->faults[f->n_faults++] = ft;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

/* "OP:MS" (every call) or "OP:MS:N" (the next N calls). */
static int add_slow(struct fm *f, const char *spec)
{
    char *copy = fm_xstrdup(spec), *ms = strchr(copy, ':'), *n = NULL;
    long left = -1;
    int rc = -1;
    if (!ms)
        goto out;
    *ms++ = '\0';
    if ((n = strchr(ms, ':')))
        *n++ = '\0';
    if (!*copy || parse_long(ms, 1, 20000, &f->slow_ms) ||
        (n && parse_long(n, 1, 1000000, &left)))
        goto out;
    free(f->slow_op);
    f->slow_op = fm_xstrdup(copy);
    f->slow_left = left;
    rc = 0;
out:
    free(copy);
    return rc;
}

static int usage(void)
{
    fputs("usage: fake_market --port-file FILE --log FILE [--timeout SECONDS]\n"
          "         [--throttle OP:N ...] [--fail OP:STATUS:ERRORTYPE:N ...]\n"
          "         [--no-support-plan] [--token-lifetime S] [--azure-delay S]\n"
          "         [--slow OPERATION:MS[:N]] [--cut OP:N ...]\n"
          "         [--azure-cancel-status 200|202] [--search-page-size N] [--max-skew S]\n"
          "         [--agreements N]\n"
          "       fake_market --sign-request --host HOST:PORT --target TARGET --body JSON\n"
          "         [--service NAME] [--region R] [--key-id ID] [--secret KEY] [--bad-signature]\n",
          stderr);
    return 1;
}

static int parse_args(int argc, char **argv, struct fm *f, const char **port_file,
                      const char **log_path, long *timeout_s)
{
    long v;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--no-support-plan")) {
            f->no_support_plan = 1;
            continue;
        }
        if (!val)
            return -1;
        i++;                          /* every other option takes a value */
        if (!strcmp(o, "--port-file"))
            *port_file = val;
        else if (!strcmp(o, "--log"))
            *log_path = val;
        else if (!strcmp(o, "--timeout") && !parse_long(val, 1, 86400, &v))
            *timeout_s = v;
        else if (!strcmp(o, "--throttle") && !add_fault(f, val, FAULT_THROTTLE))
            ;
        else if (!strcmp(o, "--fail") && !add_fault(f, val, FAULT_FAIL))
            ;
        else if (!strcmp(o, "--cut") && !add_fault(f, val, FAULT_CUT))
            ;
        else if (!strcmp(o, "--token-lifetime") && !parse_long(val, 1, 86400, &v))
            f->token_lifetime_s = v;
        else if (!strcmp(o, "--azure-delay") && !parse_long(val, 0, 86400, &v))
            f->azure_delay_ms = v * 1000;
        else if (!strcmp(o, "--slow") && !add_slow(f, val))
            ;
        else if (!strcmp(o, "--azure-cancel-status") && !parse_long(val, 200, 202, &v) &&
                 v != 201)
            f->azure_cancel_status = (int)v;
        else if (!strcmp(o, "--search-page-size") && !parse_long(val, 1, 1000, &v))
            f->search_page_size = v;
        else if (!strcmp(o, "--max-skew") && !parse_long(val, 1, 86400 * 365, &v))
            f->max_skew_s = v;
        else if (!strcmp(o, "--agreements") && !parse_long(val, 1, 100000, &v))
            fm_aws_add_agreements(f->aws, v);
        else
            return -1;
    }
    return *port_file && *log_path ? 0 : -1;
}

static void fm_fini(struct fm *f)
{
    for (size_t i = 0; i < f->n_faults; i++) {
        free(f->faults[i].op);
        free(f->faults[i].type);
    }
    free(f->faults);
    for (size_t i = 0; i < f->n_cuts; i++)
        free(f->cuts[i].op);
    free(f->cuts);
    free(f->slow_op);
    fm_aws_free(f->aws);
    fm_azure_free(f->azure);
}

int main(int argc, char **argv)
{
    static const struct lws_protocols protocols[] = {
        { "fake-market", on_lws, sizeof(struct sess), 0, 0, NULL, 0 },
        { NULL, NULL, 0, 0, 0, NULL, 0 },
    };
    struct lws_context_creation_info info;
    struct lws_vhost *vh;
    struct server sv;
    const char *port_file = NULL, *log_path = NULL;
    long timeout_s = 120;
    int port, rc = 1;
    char *text;
    json_t *stats;
    if (argc > 1 && !strcmp(argv[1], "--sign-request"))
        return fm_sigv4_sign_main(argc - 1, argv + 1);
    memset(&sv, 0, sizeof sv);
    sv.fm.t0_ms = mono_ms();
    sv.fm.token_lifetime_s = 3600;
    sv.fm.azure_delay_ms = 2000;
    sv.fm.azure_cancel_status = 200;
    sv.fm.aws = fm_aws_new();
    sv.fm.azure = fm_azure_new();
    if (parse_args(argc, argv, &sv.fm, &port_file, &log_path, &timeout_s)) {
        usage();
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);        /* a peer gone mid-write is an event, not a death */
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (!(sv.log = fopen(log_path, "w"))) {
        fprintf(stderr, "fake_market: cannot write %s: %s\n", log_path, strerror(errno));
        goto out;
    }
    setvbuf(sv.log, NULL, _IOLBF, 0);    /* tests read the log while we run */
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = 0;                   /* the kernel picks a free port: no collisions in CI */
    info.iface = "127.0.0.1";        /* loopback only, never another address */
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = protocols;
    info.vhost_name = "fake-market";
    info.user = &sv;
    info.keepalive_timeout = 30;
    info.max_http_header_data = 8192;    /* SigV4 Authorization plus custom headers */
    info.timeout_secs = 10;
    if (!(sv.ctx = lws_create_context(&info)) ||
        !(vh = lws_get_vhost_by_name(sv.ctx, "fake-market")) ||
        (port = lws_get_vhost_listen_port(vh)) <= 0) {
        fputs("fake_market: cannot listen on 127.0.0.1\n", stderr);
        goto out;
    }
    if (write_port_file(port_file, port)) {
        fprintf(stderr, "fake_market: cannot write %s\n", port_file);
        goto out;
    }
    sv.deadline_ms = timeout_s * 1000;
    lws_sul_schedule(sv.ctx, 0, &sv.sul_tick, on_tick, TICK_US);
    rc = 0;
    while (!sv.done) {               /* bounded: the tick timer ends it, or the backstop */
        if (lws_service(sv.ctx, 0) < 0) {
            fputs("fake_market: lws_service failed\n", stderr);
            rc = 1;
            break;
        }
        if (fm_now_ms(&sv.fm) > sv.deadline_ms + 5000) {
            fputs("fake_market: overall timeout (backstop)\n", stderr);
            break;
        }
    }
    stats = stats_json(&sv.fm);
    if ((text = json_dumps(stats, JSON_COMPACT))) {
        printf("fake_market: %s; stats %s\n", stop_signal ? "signalled" : "timed out", text);
        free(text);
    }
    json_decref(stats);
out:
    if (sv.ctx)
        lws_context_destroy(sv.ctx);     /* closes sessions: their buffers are freed */
    if (sv.log && (ferror(sv.log) | fclose(sv.log))) {
        fputs("fake_market: writing the log failed\n", stderr);
        rc = 1;
    }
    fm_fini(&sv.fm);
    return rc;
}
