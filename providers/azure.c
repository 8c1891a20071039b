/* providers/azure.c -- the Partner Center provider (see azure.h for the contract).
 *
 * DESIGN. Each operation is one struct az_call, which moves through: validate ->
 * token (azure_token_get; maybe wait as a token waiter) -> send -> answer -> done,
 * or -> retry timer (env.defer_at) -> token -> send ... Its wait state says what will
 * bring it back, so fini frees the calls waiting on a token (nothing else will) and
 * orphans (p = NULL) the ones an HTTP answer or a timer still owes a callback; an
 * orphan's body is freed at once, so the loop's plain free() of a dropped timer's
 * call leaks nothing. A step that fails inside the caller's own call returns an rc
 * and never calls back; later steps end the call through its callback. Refusals of
 * invalid input go through env.defer, so the sentence reaches the user and nothing
 * is sent. Every user-facing sentence is in explain(), one switch. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "providers/azure.h"

enum az_op { AZ_LOOKUP, AZ_CANCEL, AZ_POLL, AZ_SUSPEND_READ, AZ_SUSPEND_WRITE };
enum az_wait { AZ_IDLE, AZ_WAIT_TOKEN, AZ_WAIT_HTTP, AZ_WAIT_TIMER };

enum az_why {
    WHY_TENANT_UNKNOWN, WHY_CUSTOMER_GUID, WHY_SUBSCRIPTION_REQUIRED, WHY_ENTITLEMENT_REQUIRED,
    WHY_ID_CHARS, WHY_REASON, WHY_REFUND, WHY_CONTENT_REQUIRED, WHY_CUSTOMER_INVALID,
    WHY_NO_RELATIONSHIP, WHY_REASON_REFUSED, WHY_NOT_FOUND, WHY_NOT_FOUND_OTHER, WHY_ROLE,
    WHY_THROTTLED, WHY_UNAVAILABLE, WHY_TIMEOUT, WHY_REJECTED, WHY_BAD_ANSWER, WHY_NOT_SUSPENDED,
    WHY_NO_ETAG
};

struct az_call {
    struct azure_token_waiter waiter;        /* while waiting for the tenant's token */
    struct az_call *prev, *next;             /* the provider's live calls */
    struct provider *p;                      /* NULL: the provider is gone; end quietly */
    struct azure_tenant *tenant;
    enum az_op op;
    enum az_wait wait;
    provider_cb cb;
    void *ud;
    struct provider_target target;
    char request_id[AZURE_GUID_LEN + 1];     /* same on a retry after a timeout */
    char correlation_id[AZURE_GUID_LEN + 1]; /* one per operation, retries included, so
                                                the recorded id finds every attempt */
    char if_match[256];
    int64_t deadline_ms;
    int backoffs, renewed;
    char *body;                              /* the request's, or NULL */
};

struct azure_priv {
    struct azure_settings s;             /* endpoints, token settings, tenants */
    struct az_call *calls;
};

/* What explain() may mention; any of it may be absent. */
struct az_ctx {
    const char *tenant;
    const struct provider_target *t;
    long status, code;
    const char *detail;
};

static int64_t now(struct provider *p) { return p->env.now_ms(p->env.loop); }

__attribute__((format(printf, 3, 4)))
static enum provider_rc put(struct provider_result *out, enum provider_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    return out->rc = rc;
}

static enum provider_rc explain(struct provider_result *out, enum az_why why,
                                const struct az_ctx *x)
{
    static const struct provider_target none;
    const struct provider_target *t = x->t ? x->t : &none;
    const char *tenant = x->tenant ? x->tenant : "", *d = x->detail ? x->detail : "";
    switch (why) {
    case WHY_TENANT_UNKNOWN:
        return put(out, PROVIDER_E_INVALID, "No Partner Center tenant named \"%s\" is configured; "
                   "azure.tenants in the policy names the partner tenants.", tenant);
    case WHY_CUSTOMER_GUID:
        return put(out, PROVIDER_E_INVALID, "The customer ID \"%s\" must be a GUID "
                   "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): the customer's Microsoft ID in Partner "
                   "Center.", t->customer_id);
    case WHY_SUBSCRIPTION_REQUIRED:
        return put(out, PROVIDER_E_INVALID, "A subscription ID is required: the Azure "
                   "subscription the entitlement belongs to.");
    case WHY_ENTITLEMENT_REQUIRED:
        return put(out, PROVIDER_E_INVALID, "An entitlement ID is required: the Azure "
                   "subscription entitlement to cancel.");
    case WHY_ID_CHARS:
        return put(out, PROVIDER_E_INVALID, "The %s ID may contain only letters, digits, '-' "
                   "and '_'.", d);
    case WHY_REASON:
        return put(out, PROVIDER_E_INVALID, "Partner Center cancels an Azure subscription only "
                   "for compromise (reason=compromise), not for \"%s\".", d);
    case WHY_REFUND:
        return put(out, PROVIDER_E_UNSUPPORTED, "Partner Center has no refund of Azure "
                   "entitlement %s here: only its cancellation for compromise.", t->entitlement_id);
    case WHY_CONTENT_REQUIRED:
        return put(out, PROVIDER_E_INVALID, "Partner Center says the cancellation request had no "
                   "content (error 800002).");
    case WHY_CUSTOMER_INVALID:
        return put(out, PROVIDER_E_INVALID, "Partner Center does not accept customer ID %s (error "
                   "900118): check the customer's Microsoft ID in Partner Center.", t->customer_id);
    case WHY_NO_RELATIONSHIP:
        return put(out, PROVIDER_E_NOT_FOUND, "Partner tenant \"%s\" has no commerce relationship "
                   "with customer %s (Partner Center error 900159): that customer is not served "
                   "by this partner tenant. Check the customer ID, or name the partner tenant "
                   "that serves it (account=<tenant>).", tenant, t->customer_id);
    case WHY_REASON_REFUSED:
        return put(out, PROVIDER_E_INVALID, "Partner Center refused the cancellation reason "
                   "(error 900307); it cancels only for \"" AZURE_CANCEL_REASON "\".");
    case WHY_NOT_FOUND:
        return put(out, PROVIDER_E_NOT_FOUND, "Partner Center has no Azure entitlement %s in "
                   "subscription %s of customer %s (error 800111).", t->entitlement_id,
                   t->subscription_id, t->customer_id);
    case WHY_NOT_FOUND_OTHER:
        return put(out, PROVIDER_E_NOT_FOUND, "Partner Center found no subscription %s of "
                   "customer %s (HTTP 404%s%s).", t->subscription_id, t->customer_id,
                   d[0] ? ", " : "", d);
    case WHY_ROLE:
        return put(out, x->status == 401 ? PROVIDER_E_AUTH : PROVIDER_E_DENIED,
                   "Partner Center refused the app of partner tenant \"%s\" (HTTP %ld%s%s). "
                   "Cancelling Azure subscriptions needs the Global Administrator role with "
                   "Admin Agent in the partner tenant (README: \"Partner Center access\").",
                   tenant, x->status, d[0] ? ", " : "", d);
    case WHY_THROTTLED:
        return put(out, PROVIDER_E_THROTTLED, "Partner Center kept throttling requests (HTTP "
                   "429) for the %d s I may wait; I will try again later.",
                   AZURE_RETRY_BUDGET_MS / 1000);
    case WHY_UNAVAILABLE:
        return put(out, PROVIDER_E_UNAVAILABLE, "Partner Center is unavailable (%s); I will try "
                   "again later.", d);
    case WHY_TIMEOUT:
        return put(out, PROVIDER_E_TIMEOUT, "Partner Center did not answer in time; I will try "
                   "again later.");
    case WHY_REJECTED:
        return put(out, x->status == 409 || x->status == 412 ? PROVIDER_E_CONFLICT
                                                             : PROVIDER_E_INVALID,
                   "Partner Center refused the request (HTTP %ld, error %ld): %s", x->status,
                   x->code, d[0] ? d : "no details given.");
    case WHY_BAD_ANSWER:
        return put(out, PROVIDER_E_UNAVAILABLE, "Partner Center's answer (HTTP %ld) could not be "
                   "read as %s.", x->status, d);
    case WHY_NOT_SUSPENDED:
        return put(out, PROVIDER_E_CONFLICT, "Partner Center answered, but subscription %s is "
                   "\"%s\", not suspended.", t->subscription_id, d);
    case WHY_NO_ETAG:
        return put(out, PROVIDER_E_UNAVAILABLE, "Subscription %s came without an etag, so it "
                   "cannot be updated safely.", t->subscription_id);
    }
    return put(out, PROVIDER_E_UNAVAILABLE, "Unexpected Partner Center error.");
}

/* ---- reading answers ------------------------------------------------------------- */

static json_t *get_ci(json_t *obj, const char *key)      /* Partner Center mixes cases */
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
        if (!strcasecmp(k, key))
            return v;
    return NULL;
}

static const char *str_ci(json_t *obj, const char *key)
{
    return json_string_value(get_ci(obj, key));
}

static void copy_trim(char *dst, size_t len, const char *src)
{
    size_t n;
    while (src && isspace((unsigned char)*src))
        src++;
    request_copy_str(dst, len, src ? src : "");
    for (n = strlen(dst); n > 0 && isspace((unsigned char)dst[n - 1]);)
        dst[--n] = '\0';
}

/* Printable ASCII only: the description is the server's text, shown to people. */
static void sanitize(char *dst, size_t len, const char *src)
{
    size_t n = 0;
    for (; src && *src && n + 1 < len; src++)
        dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : ' ';
    dst[n] = '\0';
}

static int has_ci(const char *hay, const char *needle)    /* strcasestr is not POSIX */
{
    for (size_t n = strlen(needle); hay && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return 0;
}

static enum provider_rc map_error(const struct http_response *res, const char *tenant,
                                  const struct provider_target *t, struct provider_result *out)
{
    json_t *root = res->body ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    json_t *code = get_ci(root, "code");
    const char *desc = str_ci(root, "description");
    char detail[240] = "";
    struct az_ctx x = {tenant, t, res->status, 0, detail};
    enum az_why why = WHY_REJECTED;
    enum provider_rc rc;
    x.code = json_is_integer(code) ? (long)json_integer_value(code)
             : json_is_string(code) ? strtol(json_string_value(code), NULL, 10) : 0;
    sanitize(detail, sizeof(detail), desc);
    if (res->status == 400 && x.code == 900118)
        why = WHY_CUSTOMER_INVALID;
    else if (res->status == 400 && x.code == 800002 && has_ci(desc, "GUID"))
        why = WHY_CUSTOMER_GUID;
    else if (res->status == 400 && x.code == 800002 && has_ci(desc, "subscription id"))
        why = WHY_SUBSCRIPTION_REQUIRED;
    else if (res->status == 400 && x.code == 800002 && has_ci(desc, "entitlement id"))
        why = WHY_ENTITLEMENT_REQUIRED;
    else if (res->status == 400 && x.code == 800002 && has_ci(desc, "content"))
        why = WHY_CONTENT_REQUIRED;
    else if (res->status == 400 && x.code == 900307)
        why = WHY_REASON_REFUSED;
    else if (res->status == 403 && x.code == 900159)
        why = WHY_NO_RELATIONSHIP;
    else if (res->status == 404 && x.code == 800111)
        why = WHY_NOT_FOUND;
    else if (res->status == 404)
        why = WHY_NOT_FOUND_OTHER;
    else if (res->status == 401 || res->status == 403)
        why = WHY_ROLE;
    if (why == WHY_NOT_FOUND_OTHER || why == WHY_ROLE) {  /* the code, not the server's text */
        detail[0] = '\0';
        if (x.code)
            snprintf(detail, sizeof(detail), "error %ld", x.code);
    }
    rc = explain(out, why, &x);
    json_decref(root);
    return rc;
}

static enum market_status entitlement_status(const char *s)
{
    static const char *const gone[] = {"inactive", "disabled", "deleted", "cancelled", "canceled"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        if (!strcasecmp(s, gone[i]))
            return MSTATUS_APPROVED;
    return MSTATUS_PENDING;              /* "active", or a state on its way */
}

/* One AzureEntitlement resource: id, friendlyName, status, subscriptionId. */
static int read_entitlement(json_t *e, const struct provider_target *t, struct agreement *a)
{
    const char *id = str_ci(e, "id"), *status = str_ci(e, "status");
    const char *sub = str_ci(e, "subscriptionId");
    if (!id || !id[0] || !status)
        return -1;
    memset(a, 0, sizeof(*a));
    request_copy_str(a->id, sizeof(a->id), id);
    request_copy_str(a->buyer_account, sizeof(a->buyer_account), t->customer_id);
    request_copy_str(a->subscription_id, sizeof(a->subscription_id),
                     sub && sub[0] ? sub : t->subscription_id);
    copy_trim(a->product, sizeof(a->product), str_ci(e, "friendlyName"));
    request_copy_str(a->status, sizeof(a->status), status);
    return 0;
}

/* ---- requests ---------------------------------------------------------------------- */

static int id_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* Checks the ids an operation puts into its path; 0, or the refusal in out. */
static int check_ids(const struct provider_target *t, int need_entitlement,
                     struct provider_result *out)
{
    struct az_ctx x = {NULL, t, 0, 0, NULL};
    if (!azure_is_guid(t->customer_id))
        return explain(out, WHY_CUSTOMER_GUID, &x);
    if (!t->subscription_id[0])
        return explain(out, WHY_SUBSCRIPTION_REQUIRED, &x);
    if (need_entitlement && !t->entitlement_id[0])
        return explain(out, WHY_ENTITLEMENT_REQUIRED, &x);
    x.detail = !id_ok(t->subscription_id) ? "subscription"
               : need_entitlement && !id_ok(t->entitlement_id) ? "entitlement" : NULL;
    return x.detail ? explain(out, WHY_ID_CHARS, &x) : 0;
}

static int build_request(const char *base, enum az_op op, const struct provider_target *t,
                         const char *token, const char *request_id, const char *correlation_id,
                         const char *if_match, const char *body, size_t body_len,
                         struct http_request *req)
{
    int with_ent = op == AZ_LOOKUP || op == AZ_CANCEL || op == AZ_POLL, bad = 0, n;
    char auth[AZURE_TOKEN_MAX + 8];
    memset(req, 0, sizeof(*req));
    snprintf(req->method, sizeof(req->method), "%s", op == AZ_CANCEL ? "POST"
             : op == AZ_SUSPEND_WRITE ? "PATCH" : "GET");
    n = snprintf(req->url, sizeof(req->url), "%s/v1/customers/%s/subscriptions/%s%s%s%s", base,
                 t->customer_id, t->subscription_id, with_ent ? "/azureEntitlements/" : "",
                 with_ent ? t->entitlement_id : "", op == AZ_CANCEL ? "/cancel" : "");
    snprintf(auth, sizeof(auth), "Bearer %s", token);
    bad |= n < 0 || (size_t)n >= sizeof(req->url) || strlen(token) > AZURE_TOKEN_MAX;
    bad |= http_request_add_header(req, "Authorization", auth);
    bad |= http_request_add_header(req, "Accept", "application/json");
    bad |= http_request_add_header(req, "MS-Contract-Version", "v1");
    bad |= http_request_add_header(req, "MS-RequestId", request_id);
    bad |= http_request_add_header(req, "MS-CorrelationId", correlation_id);
    if (body)
        bad |= http_request_add_header(req, "Content-Type", "application/json");
    if (if_match && if_match[0])
        bad |= http_request_add_header(req, "If-Match", if_match);
    OPENSSL_cleanse(auth, sizeof(auth));
    req->body = body;
    req->body_len = body ? body_len : 0;
    req->timeout_ms = AZURE_REQUEST_TIMEOUT_MS;
    if (bad)
        OPENSSL_cleanse(req, sizeof(*req));
    return bad ? -1 : 0;
}

/* ---- calls ------------------------------------------------------------------------- */

static void on_http(void *ud, const struct http_response *res);

static void call_link(struct az_call *c)
{
    struct azure_priv *ap = c->p->priv;
    c->prev = NULL;
    c->next = ap->calls;
    if (ap->calls)
        ap->calls->prev = c;
    ap->calls = c;
}

/* seed: the submission's client token, or NULL. A request id derived from it is the
 * same when the outbox re-runs the call after a crash, so Partner Center sees a
 * replay of the first call rather than a second cancellation. */
static struct az_call *call_new(struct provider *p, struct azure_tenant *tn, enum az_op op,
                                const struct provider_target *t, const char *body,
                                const char *seed, provider_cb cb, void *ud)
{
    struct az_call *c = calloc(1, sizeof(*c));
    if (!c || (body && !(c->body = strdup(body))) ||
        (seed && *seed ? azure_guid_from(seed, c->request_id) : azure_guid_new(c->request_id)) ||
        azure_guid_new(c->correlation_id)) {
        if (c)
            free(c->body);
        free(c);
        return NULL;
    }
    c->p = p;
    c->tenant = tn;
    c->op = op;
    c->cb = cb;
    c->ud = ud;
    c->target = *t;
    c->deadline_ms = now(p) + AZURE_RETRY_BUDGET_MS;
    call_link(c);
    return c;
}

static void call_unlink(struct az_call *c)
{
    if (!c->p)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        ((struct azure_priv *)c->p->priv)->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* The result carries the ids this call sent, whatever the answer: Partner Center
 * support finds an operation by its MS-CorrelationId. */
static void call_end(struct az_call *c, struct provider_result *res)
{
    provider_cb cb = c->cb;
    void *ud = c->ud;
    int live = c->p != NULL;
    request_copy_str(res->trace.ms_correlation_id, sizeof(res->trace.ms_correlation_id),
                     c->correlation_id);
    request_copy_str(res->trace.ms_request_id, sizeof(res->trace.ms_request_id), c->request_id);
    call_unlink(c);
    free(c->body);
    free(c);
    if (live)
        cb(ud, res);
}

static int call_send(struct az_call *c, struct provider_result *out)
{
    struct azure_priv *ap = c->p->priv;
    struct http_request req;
    struct az_ctx x = {c->tenant->name, &c->target, 0, 0, "the request could not be sent"};
    int64_t left = c->deadline_ms - now(c->p);
    int rc;
    if (build_request(ap->s.pc_url, c->op, &c->target, c->tenant->access_token, c->request_id,
                      c->correlation_id, c->if_match, c->body, c->body ? strlen(c->body) : 0,
                      &req) != 0)
        return explain(out, WHY_UNAVAILABLE, &x);
    if (left < req.timeout_ms)
        req.timeout_ms = left > 1000 ? (long)left : 1000;
    c->wait = AZ_WAIT_HTTP;
    rc = http_send(ap->s.auth.http, &req, on_http, c) == 0 ? 0 : -1;
    OPENSSL_cleanse(&req, sizeof(req));
    if (rc != 0) {
        c->wait = AZ_IDLE;
        return explain(out, WHY_UNAVAILABLE, &x);
    }
    return 0;
}

/* Token, then send. 0: under way; else the call could not go on and out says why. */
static int call_step(struct az_call *c, struct provider_result *out)
{
    struct azure_priv *ap = c->p->priv;
    char why[400] = "";
    int rc = azure_token_get(&ap->s.auth, c->tenant, &c->waiter, why, sizeof(why));
    if (rc == AZURE_TOKEN_PENDING) {
        c->wait = AZ_WAIT_TOKEN;
        return 0;
    }
    if (rc != 0)
        return put(out, (enum provider_rc)rc, "%s", why);
    return call_send(c, out);
}

static void on_timer(void *arg)
{
    struct az_call *c = arg;
    struct provider_result res;
    if (!c->p) {                         /* orphaned by fini, which freed its body */
        free(c);
        return;
    }
    c->wait = AZ_IDLE;
    memset(&res, 0, sizeof(res));
    if (call_step(c, &res) != 0)
        call_end(c, &res);
}

/* Tries again after delay_ms (-1: the next back-off step) if the budget allows;
 * else ends the call with why. An answered request gets a new MS-RequestId. */
static void call_retry(struct az_call *c, int64_t delay_ms, int answered, enum az_why why,
                       const char *detail)
{
    struct provider_result res;
    struct az_ctx x = {c->tenant->name, &c->target, 0, 0, detail};
    int64_t t = now(c->p);
    if (delay_ms < 0) {
        delay_ms = (int64_t)AZURE_BACKOFF_FIRST_MS << (c->backoffs < 3 ? c->backoffs : 3);
        if (delay_ms > AZURE_BACKOFF_MAX_MS)
            delay_ms = AZURE_BACKOFF_MAX_MS;
    }
    c->backoffs++;
    memset(&res, 0, sizeof(res));
    if (t + delay_ms >= c->deadline_ms || (answered && azure_guid_new(c->request_id))) {
        explain(&res, why, &x);
        call_end(c, &res);
        return;
    }
    c->wait = AZ_WAIT_TIMER;
    c->p->env.defer_at(c->p->env.loop, t + delay_ms, on_timer, c);
}

static int transient(int rc)
{
    return rc == PROVIDER_E_THROTTLED || rc == PROVIDER_E_UNAVAILABLE || rc == PROVIDER_E_TIMEOUT;
}

static void on_token(struct azure_token_waiter *w, int rc, const char *why)
{
    struct az_call *c = (struct az_call *)w;     /* the waiter is the first member */
    struct provider_result res;
    c->wait = AZ_IDLE;
    memset(&res, 0, sizeof(res));
    if (rc == PROVIDER_OK && call_send(c, &res) == 0)
        return;
    if (rc != PROVIDER_OK && transient(rc)) {
        call_retry(c, -1, 0, rc == PROVIDER_E_TIMEOUT ? WHY_TIMEOUT : WHY_UNAVAILABLE,
                   "Azure AD sign-in");
        return;
    }
    if (rc != PROVIDER_OK)
        put(&res, (enum provider_rc)rc, "%s", why);
    call_end(c, &res);
}

static int suspend_body(const char *json, size_t len, char **body, char *etag, size_t etaglen);

int azure_parse_answer(enum azure_answer_op op, const struct http_response *res,
                       const char *tenant, const struct provider_target *t,
                       const char *correlation_id, struct provider_result *out)
{
    json_t *root;
    struct az_ctx x = {tenant, t, res->status, 0, "an Azure entitlement"};
    const char *status;
    memset(out, 0, sizeof(*out));
    if (res->status < 200 || res->status >= 300)
        return map_error(res, tenant, t, out);
    root = res->body && res->body_len ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    status = str_ci(root, "status");
    if (op == AZURE_ANSWER_CANCEL) {     /* 200 with the entitlement, or 202 with no body */
        snprintf(out->ref, sizeof(out->ref), "%s#%s", t->entitlement_id, correlation_id);
        out->status = MSTATUS_PENDING;
        request_copy_str(out->status_raw, sizeof(out->status_raw), status ? status : "accepted");
    } else if (read_entitlement(root, t, &out->matches[0]) != 0) {
        explain(out, WHY_BAD_ANSWER, &x);
    } else {
        out->n_matches = 1;
        out->status = entitlement_status(out->matches[0].status);
        request_copy_str(out->status_raw, sizeof(out->status_raw), out->matches[0].status);
    }
    json_decref(root);
    return out->rc;
}

/* The subscription has been read: PATCH it back suspended, as a new request. */
static void suspend_write(struct az_call *c, const struct http_response *res)
{
    struct provider_result out;
    struct az_ctx x = {c->tenant->name, &c->target, res->status, 0, "a subscription"};
    char *body = NULL;
    int bad = suspend_body(res->body, res->body_len, &body, c->if_match, sizeof(c->if_match));
    memset(&out, 0, sizeof(out));
    if (!bad && azure_guid_new(c->request_id) == 0) {
        free(c->body);
        c->body = body;
        c->op = AZ_SUSPEND_WRITE;
        if (call_send(c, &out) == 0)
            return;
    } else {
        free(body);
        explain(&out, bad == -2 ? WHY_NO_ETAG : WHY_BAD_ANSWER, &x);
    }
    call_end(c, &out);
}

static void on_http(void *ud, const struct http_response *res)
{
    struct az_call *c = ud;
    struct provider_result out;
    char detail[300];
    if (!c->p) {                         /* orphaned by fini */
        free(c);
        return;
    }
    c->wait = AZ_IDLE;
    memset(&out, 0, sizeof(out));
    if (res->transport == HTTP_E_TIMEOUT) {
        call_retry(c, -1, 0, WHY_TIMEOUT, NULL);      /* same MS-RequestId: idempotent */
    } else if (res->transport != HTTP_OK) {
        sanitize(detail, sizeof(detail), res->error);
        call_retry(c, -1, 0, WHY_UNAVAILABLE, detail);
    } else if (res->status == 401 && !c->renewed) {
        c->renewed = 1;                  /* the token may have expired early: renew once */
        azure_token_invalidate(c->tenant);
        if (azure_guid_new(c->request_id) != 0 || call_step(c, &out) != 0)
            call_end(c, &out);
    } else if (res->status == 429 || res->status >= 500) {
        snprintf(detail, sizeof(detail), "HTTP %ld", res->status);
        call_retry(c, http_retry_after_ms(res), 1,
                   res->status == 429 ? WHY_THROTTLED : WHY_UNAVAILABLE, detail);
    } else if (res->status >= 200 && res->status < 300 && c->op == AZ_SUSPEND_READ) {
        suspend_write(c, res);
    } else if (res->status >= 200 && res->status < 300 && c->op == AZ_SUSPEND_WRITE) {
        if (azure_parse_suspend(res, &c->target, &out) == PROVIDER_OK)
            snprintf(out.ref, sizeof(out.ref), "%s#%s", c->target.subscription_id,
                     c->correlation_id);
        call_end(c, &out);
    } else {
        azure_parse_answer(c->op == AZ_CANCEL ? AZURE_ANSWER_CANCEL : AZURE_ANSWER_ENTITLEMENT,
                           res, c->tenant->name, &c->target, c->correlation_id, &out);
        call_end(c, &out);
    }
}

/* ---- operations -------------------------------------------------------------------- */

/* Validates, then starts op. A refusal is answered through env.defer: 0. */
static int start_seeded(struct provider *p, enum az_op op, const struct provider_target *t,
                        const char *body, const char *seed, enum az_why refusal,
                        const char *refusal_detail, provider_cb cb, void *ud)
{
    struct azure_priv *ap = p->priv;
    struct provider_result res;
    struct azure_tenant *tn = t ? azure_settings_tenant(&ap->s, t->account) : NULL;
    struct az_ctx x = {t && t->account[0] ? t->account : "default", t, 0, 0, refusal_detail};
    struct az_call *c;
    int rc;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    memset(&res, 0, sizeof(res));
    if (!tn)
        explain(&res, WHY_TENANT_UNKNOWN, &x);
    else if (check_ids(t, op == AZ_LOOKUP || op == AZ_CANCEL || op == AZ_POLL, &res) == 0 &&
             refusal_detail)
        explain(&res, refusal, &x);
    if (res.rc != PROVIDER_OK) {
        p->env.defer(p->env.loop, cb, ud, &res);
        return 0;
    }
    if (!(c = call_new(p, tn, op, t, body, seed, cb, ud)))
        return PROVIDER_E_UNAVAILABLE;
    c->waiter.done = on_token;
    if ((rc = call_step(c, &res)) != 0) {
        call_unlink(c);
        free(c->body);
        free(c);
    }
    return rc;
}

static int start(struct provider *p, enum az_op op, const struct provider_target *t,
                 const char *body, enum az_why refusal, const char *refusal_detail,
                 provider_cb cb, void *ud)
{
    return start_seeded(p, op, t, body, NULL, refusal, refusal_detail, cb, ud);
}

static int azure_lookup(struct provider *p, const struct provider_target *t, provider_cb cb,
                        void *ud)
{
    return start(p, AZ_LOOKUP, t, NULL, WHY_REJECTED, NULL, cb, ud);
}

static int azure_submit(struct provider *p, const struct provider_submission *s, provider_cb cb,
                        void *ud)
{
    if (!s)
        return PROVIDER_E_INVALID;
    if (s->kind == REQUEST_REFUND)
        return start(p, AZ_CANCEL, &s->target, NULL, WHY_REFUND, "refund", cb, ud);
    if (strcasecmp(s->reason_code, AZURE_CANCEL_REASON) != 0)
        return start(p, AZ_CANCEL, &s->target, NULL, WHY_REASON, s->reason_code, cb, ud);
    return start_seeded(p, AZ_CANCEL, &s->target,
                        "{\"cancellationReason\":\"" AZURE_CANCEL_REASON "\"}", s->client_token,
                        WHY_REJECTED, NULL, cb, ud);
}

static int azure_poll(struct provider *p, const struct provider_ref *r, provider_cb cb, void *ud)
{
    return r ? start(p, AZ_POLL, &r->target, NULL, WHY_REJECTED, NULL, cb, ud)
             : PROVIDER_E_INVALID;
}

int azure_suspend(struct provider *p, const struct provider_target *t, provider_cb cb, void *ud)
{
    return start(p, AZ_SUSPEND_READ, t, NULL, WHY_REJECTED, NULL, cb, ud);
}

/* ---- suspend, step by step --------------------------------------------------------- */

/* The GET's subscription with status "suspended"; its etag for If-Match. 0, -1 (not a
 * subscription) or -2 (no etag). *body: caller frees. */
static int suspend_body(const char *json, size_t len, char **body, char *etag, size_t etaglen)
{
    json_t *root = json ? json_loadb(json, len, 0, NULL) : NULL, *status;
    const char *tag = str_ci(get_ci(root, "attributes"), "etag");
    int rc = !json_is_object(root) ? -1 : !tag || strlen(tag) >= etaglen ? -2 : 0;
    if (rc == 0) {
        status = get_ci(root, "status");        /* keep the key's own spelling */
        if (status && json_is_string(status))
            json_string_set(status, "suspended");
        else
            json_object_set_new(root, "status", json_string("suspended"));
        memcpy(etag, tag, strlen(tag) + 1);
        if (!(*body = json_dumps(root, JSON_COMPACT)))
            rc = -1;
    }
    json_decref(root);
    return rc;
}

int azure_build_suspend(const char *base_url, const struct provider_target *t,
                        const char *subscription_json, size_t len, const char *access_token,
                        const char *request_id, const char *correlation_id,
                        struct http_request *req, char **body, char *err, size_t errlen)
{
    struct provider_result why;
    char etag[256], *json = NULL;
    int rc;
    memset(&why, 0, sizeof(why));
    if (check_ids(t, 0, &why) != 0) {
        snprintf(err, errlen, "%s", why.message);
        return -1;
    }
    if ((rc = suspend_body(subscription_json, len, &json, etag, sizeof(etag))) != 0) {
        explain(&why, rc == -2 ? WHY_NO_ETAG : WHY_BAD_ANSWER,
                &(struct az_ctx){NULL, t, 200, 0, "a subscription"});
        snprintf(err, errlen, "%s", why.message);
        return -1;
    }
    if (build_request(base_url, AZ_SUSPEND_WRITE, t, access_token, request_id, correlation_id,
                      etag, json, strlen(json), req) != 0) {
        free(json);
        snprintf(err, errlen, "request too long");
        return -1;
    }
    *body = json;
    return 0;
}

int azure_parse_suspend(const struct http_response *res, const struct provider_target *t,
                        struct provider_result *out)
{
    json_t *root;
    const char *status;
    memset(out, 0, sizeof(*out));
    if (res->status < 200 || res->status >= 300)
        return map_error(res, NULL, t, out);
    root = res->body ? json_loadb(res->body, res->body_len, 0, NULL) : NULL;
    status = str_ci(root, "status");
    request_copy_str(out->status_raw, sizeof(out->status_raw), status ? status : "");
    if (!status || strcasecmp(status, "suspended") != 0)
        explain(out, WHY_NOT_SUSPENDED, &(struct az_ctx){NULL, t, res->status, 0,
                                                         status ? status : "(none)"});
    json_decref(root);
    return out->rc;
}

/* ---- setup ------------------------------------------------------------------------- */

static void azure_fini(struct provider *p)
{
    struct azure_priv *ap = p->priv;
    struct az_call *c, *next;
    azure_settings_fini(&ap->s);         /* detaches token fetches, forgets their waiters */
    for (c = ap->calls; c; c = next) {
        next = c->next;
        c->prev = c->next = NULL;
        c->p = NULL;
        free(c->body);
        c->body = NULL;
        if (c->wait == AZ_WAIT_TOKEN)    /* nothing will call it back: ours to free */
            free(c);
    }
    ap->calls = NULL;
}

static int azure_setup(struct provider *p, const char *config_json, azure_getenv_fn fn,
                       void *ud, char *err, size_t errlen)
{
    struct azure_priv *ap = p->priv;
    if (!p->env.http || !p->env.defer || !p->env.defer_at || !p->env.now_ms) {
        snprintf(err, errlen, "the azure provider needs the runtime's HTTP client and timers");
        return -1;
    }
    /* provider_new does not call fini when init fails: settings clean up after themselves */
    if (azure_settings_load(&ap->s, config_json, fn, ud, err, errlen) != 0)
        return -1;
    ap->s.auth.http = p->env.http;
    ap->s.auth.loop = p->env.loop;
    ap->s.auth.now_ms = p->env.now_ms;
    ap->s.auth.report = p->env.poller_report;
    ap->s.auth.report_ud = p->env.report_ud;
    return 0;
}

static const char *process_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

static int azure_init(struct provider *p, const char *config_json)
{
    char err[512];
    return azure_setup(p, config_json, process_getenv, NULL, err, sizeof(err));
}

const struct provider_ops azure_provider_ops = {
    .name = "azure",
    .priv_size = sizeof(struct azure_priv),
    .init = azure_init,
    .fini = azure_fini,
    .lookup = azure_lookup,
    .search = NULL,                      /* entitlements are named, not searched */
    .submit = azure_submit,
    .poll = azure_poll,
    .withdraw = NULL,                    /* Partner Center has no undo */
    .suspend = azure_suspend,
};

/* The same table without init, so that azure_provider_new can run setup itself with
 * the caller's getenv and keep the error text. */
static const struct provider_ops azure_ops_uninit = {
    .name = "azure", .priv_size = sizeof(struct azure_priv), .fini = azure_fini,
    .lookup = azure_lookup, .submit = azure_submit, .poll = azure_poll,
};

struct provider *azure_provider_new(const struct provider_env *env, const char *config_json,
                                    azure_getenv_fn getenv_fn, void *getenv_ud, char *err,
                                    size_t errlen)
{
    struct provider *p = provider_new(&azure_ops_uninit, env, NULL, err, errlen);
    if (p && azure_setup(p, config_json, getenv_fn ? getenv_fn : process_getenv, getenv_ud, err,
                         errlen) != 0) {
        provider_free(p);
        return NULL;
    }
    if (p)
        p->ops = &azure_provider_ops;
    return p;
}
