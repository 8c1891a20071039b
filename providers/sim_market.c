/* providers/sim_market.c -- the simulated marketplace's model (see sim_market.h).
 *
 * DESIGN. The market is five growable arrays (AWS agreements, cancellation requests,
 * billing adjustments, Azure entitlements, submit calls per client token) and an
 * optional state-file path. Every public call that takes now_ms first runs
 * market_advance(), which applies what time has made due (7-day automatic approval,
 * Azure entitlements going inactive, refunds settling); anything that changed the
 * market is then written with sim_market_save() before the call returns, so the state
 * file never lags behind an answer the bot has seen. Seed and state share one JSON
 * shape: a seed is a state file without requests, adjustments or counters.
 * Request ids are derived from (agreement, client token, sequence) with FNV-1a, so the
 * same history yields the same ids: handy in tests and in transcripts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "providers/sim_market.h"

struct token_calls {
    char token[SIM_TOKEN_MAX];
    int calls;
};

struct sim_market {
    struct sim_agreement *agreements;
    size_t n_agreements, cap_agreements;
    struct sim_request *requests;
    size_t n_requests, cap_requests;
    struct sim_adjustment *adjustments;
    size_t n_adjustments, cap_adjustments;
    struct sim_entitlement *entitlements;
    size_t n_entitlements, cap_entitlements;
    struct token_calls *tokens;
    size_t n_tokens, cap_tokens;
    char *state_path;                    /* NULL: memory only */
};

static const char *const cancel_reasons[] = {   /* SendAgreementCancellationRequest */
    "INCORRECT_TERMS_ACCEPTED", "REPLACING_AGREEMENT", "TEST_AGREEMENT",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "PRODUCT_DISCONTINUED", "UNINTENDED_RENEWAL",
    "BUYER_DISSATISFACTION", "OTHER", NULL
};
static const char *const refund_reasons[] = {   /* billing adjustment reason codes */
    "INCORRECT_TERMS_ACCEPTED", "INCORRECT_METERING", "TEST_ENVIRONMENT_CHARGES",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "UNINTENDED_RENEWAL", "BUYER_DISSATISFACTION",
    "OTHER", NULL
};
#define AZURE_REASON "compromise"

static const char *builtin_seed(void);

/* ---- small helpers ------------------------------------------------------------ */

/* Makes room for one more element; dies when memory runs out, like xmalloc. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(arr, ncap * elem);
    if (!p)
        abort();
    *cap = ncap;
    return p;
}

#define PUSH(arr, n, cap)                                                       \
    ((arr) = grow((arr), &(cap), (n), sizeof(*(arr))),                          \
     memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

static int streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Copies user text into a fixed buffer as valid UTF-8 (bad or cut bytes become '?'),
 * so the state file always loads again. */
static void copy_text(char *dst, size_t dstlen, const char *src)
{
    request_copy_str(dst, dstlen, src ? src : "");
    unsigned char *s = (unsigned char *)dst;
    while (*s) {
        int len = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3
                : (*s & 0xF8) == 0xF0 ? 4 : 0;
        int ok = len > 0 && !(len == 2 && *s < 0xC2) && *s <= 0xF4;
        for (int i = 1; ok && i < len; i++)
            ok = (s[i] & 0xC0) == 0x80;
        if (ok && len >= 3)              /* no overlong forms, surrogates or > U+10FFFF */
            ok = !(*s == 0xE0 && s[1] < 0xA0) && !(*s == 0xED && s[1] > 0x9F) &&
                 !(*s == 0xF0 && s[1] < 0x90) && !(*s == 0xF4 && s[1] > 0x8F);
        if (!ok) {
            *s++ = '?';
            continue;
        }
        s += len;
    }
}

static enum provider_rc answer(struct provider_result *out, enum provider_rc rc,
                               const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum provider_rc answer(struct provider_result *out, enum provider_rc rc,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    out->rc = rc;
    return rc;
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    if (!buf || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static const char *seller(const char *account)
{
    return account && *account ? account : "default";
}

/* "1200.00" -> 120000. Digits, then at most two decimals; nothing else. */
static int money_parse(const char *s, int64_t *cents)
{
    int64_t units = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (units > (INT64_MAX / 100 - 9) / 10)
            return -1;
        units = units * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9' && decimals < 2; s++, decimals++)
            frac = frac * 10 + (*s - '0');
        if (decimals == 0)
            return -1;
    }
    if (*s || digits == 0)
        return -1;
    *cents = units * 100 + (decimals == 1 ? frac * 10 : frac);
    return 0;
}

static void money_format(char *buf, size_t len, int64_t cents)
{
    snprintf(buf, len, "%s%lld.%02lld", cents < 0 ? "-" : "",
             (long long)(cents < 0 ? -(cents / 100) : cents / 100),
             (long long)(cents < 0 ? -(cents % 100) : cents % 100));
}

static int token_valid(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > 64)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
              (*t >= '0' && *t <= '9') || *t == '-'))
            return 0;
    return 1;
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (streq(*list, s))
            return 1;
    return 0;
}

static void list_join(char *buf, size_t len, const char *const *list)
{
    size_t used = 0;
    buf[0] = '\0';
    for (; *list && used < len; list++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *list);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- finding things ----------------------------------------------------------- */

static struct sim_agreement *find_agreement(struct sim_market *m, const char *id)
{
    for (size_t i = 0; i < m->n_agreements; i++)
        if (streq(m->agreements[i].info.id, id))
            return &m->agreements[i];
    return NULL;
}

static struct sim_request *find_request(struct sim_market *m, const char *id)
{
    for (size_t i = 0; i < m->n_requests; i++)
        if (streq(m->requests[i].id, id))
            return &m->requests[i];
    return NULL;
}

static struct sim_request *newest_request(struct sim_market *m, const char *agreement_id,
                                          int pending_only)
{
    for (size_t i = m->n_requests; i-- > 0;) {
        struct sim_request *r = &m->requests[i];
        if (streq(r->agreement_id, agreement_id) &&
            (!pending_only || r->status == SIM_REQ_PENDING_APPROVAL))
            return r;
    }
    return NULL;
}

static struct sim_request *request_by_token(struct sim_market *m, const char *token)
{
    for (size_t i = 0; token[0] && i < m->n_requests; i++)
        if (streq(m->requests[i].client_token, token))
            return &m->requests[i];
    return NULL;
}

static struct sim_adjustment *find_adjustment(struct sim_market *m, const char *id)
{
    for (size_t i = 0; i < m->n_adjustments; i++)
        if (streq(m->adjustments[i].id, id))
            return &m->adjustments[i];
    return NULL;
}

static struct sim_adjustment *adjustment_by_token(struct sim_market *m, const char *token)
{
    for (size_t i = 0; token[0] && i < m->n_adjustments; i++)
        if (streq(m->adjustments[i].client_token, token))
            return &m->adjustments[i];
    return NULL;
}

static int customer_known(const struct sim_market *m, const char *customer)
{
    for (size_t i = 0; i < m->n_entitlements; i++)
        if (streq(m->entitlements[i].info.buyer_account, customer))
            return 1;
    return 0;
}

static struct sim_entitlement *find_entitlement(struct sim_market *m, const char *customer,
                                                const char *subscription, const char *ent)
{
    for (size_t i = 0; i < m->n_entitlements; i++) {
        struct sim_entitlement *e = &m->entitlements[i];
        if (streq(e->info.buyer_account, customer) && streq(e->info.subscription_id, subscription)
            && streq(e->info.id, ent))
            return e;
    }
    return NULL;
}

static int id_taken(struct sim_market *m, const char *id)
{
    return find_request(m, id) || find_adjustment(m, id);
}

/* prefix + 12 lowercase alphanumerics from FNV-1a over (prefix, a, b, salt). */
static void make_id(struct sim_market *m, char *dst, size_t dstlen, const char *prefix,
                    const char *a, const char *b)
{
    static const char alnum[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    unsigned long salt = (unsigned long)(m->n_requests + m->n_adjustments);
    do {
        char seq[24], body[13];
        const char *parts[] = { prefix, "|", a, "|", b, "|", seq };
        uint64_t h = 0xcbf29ce484222325ULL;
        snprintf(seq, sizeof(seq), "%lu", salt++);
        for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
            for (const char *s = parts[p]; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 0x100000001b3ULL;
            }
        h ^= h >> 33;                    /* spread the bits before taking digits */
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        for (int i = 0; i < 12; i++, h /= 36)
            body[i] = alnum[h % 36];
        body[12] = '\0';
        snprintf(dst, dstlen, "%s%s", prefix, body);
    } while (id_taken(m, dst));
}

/* ---- time and saving ---------------------------------------------------------- */

static void request_approve(struct sim_market *m, struct sim_request *r, int64_t at, int automatic)
{
    struct sim_agreement *a = find_agreement(m, r->agreement_id);
    r->status = SIM_REQ_APPROVED;
    r->auto_approved = automatic;
    r->updated_ms = at;
    if (a)
        request_copy_str(a->info.status, sizeof(a->info.status), "CANCELLED");
}

/* Applies whatever time has made due; returns 1 if the market changed. */
static int market_advance(struct sim_market *m, int64_t now_ms)
{
    int changed = 0;
    for (size_t i = 0; i < m->n_requests; i++) {
        struct sim_request *r = &m->requests[i];
        if (r->status == SIM_REQ_PENDING_APPROVAL &&
            now_ms - r->created_ms >= SIM_AWS_AUTO_APPROVE_MS) {
            request_approve(m, r, r->created_ms + SIM_AWS_AUTO_APPROVE_MS, 1);
            changed = 1;
        }
    }
    for (size_t i = 0; i < m->n_entitlements; i++) {
        struct sim_entitlement *e = &m->entitlements[i];
        if (e->cancel_called && streq(e->info.status, "active") &&
            now_ms - e->cancel_ms >= SIM_AZURE_DEACTIVATE_MS) {
            request_copy_str(e->info.status, sizeof(e->info.status), "inactive");
            changed = 1;
        }
    }
    for (size_t i = 0; i < m->n_adjustments; i++) {
        struct sim_adjustment *b = &m->adjustments[i];
        if (b->status == SIM_ADJ_PENDING && now_ms - b->created_ms >= SIM_REFUND_SETTLE_MS) {
            b->status = SIM_ADJ_COMPLETED;
            b->updated_ms = b->created_ms + SIM_REFUND_SETTLE_MS;
            changed = 1;
        }
    }
    return changed;
}

/* After a change: write the state file, or turn the answer into UNAVAILABLE. */
static enum provider_rc market_commit(struct sim_market *m, int changed,
                                      struct provider_result *out)
{
    char err[300];
    if (!changed || sim_market_save(m, err, sizeof(err)) == 0)
        return out->rc;
    return answer(out, PROVIDER_E_UNAVAILABLE,
                  "The simulated marketplace could not save its state (%s).", err);
}

static void count_submit(struct sim_market *m, const char *token)
{
    if (!token[0])
        return;
    for (size_t i = 0; i < m->n_tokens; i++) {
        if (streq(m->tokens[i].token, token)) {
            m->tokens[i].calls++;
            return;
        }
    }
    struct token_calls *t = PUSH(m->tokens, m->n_tokens, m->cap_tokens);
    request_copy_str(t->token, sizeof(t->token), token);
    t->calls = 1;
}

/* ---- results ------------------------------------------------------------------ */

static void result_from_request(struct sim_market *m, const struct sim_request *r,
                                struct provider_result *out)
{
    const struct sim_agreement *a = find_agreement(m, r->agreement_id);
    request_copy_str(out->ref, sizeof(out->ref), r->id);
    request_copy_str(out->status_raw, sizeof(out->status_raw), sim_request_status_name(r->status));
    switch (r->status) {
    case SIM_REQ_PENDING_APPROVAL: out->status = MSTATUS_PENDING; break;
    case SIM_REQ_APPROVED:
        out->status = r->auto_approved ? MSTATUS_AUTO_APPROVED : MSTATUS_APPROVED;
        break;
    case SIM_REQ_REJECTED:         out->status = MSTATUS_REJECTED; break;
    case SIM_REQ_CANCELLED:        out->status = MSTATUS_CANCELLED; break;
    }
    if (a) {
        out->matches[0] = a->info;
        out->n_matches = 1;
    }
    out->rc = PROVIDER_OK;
}

static void result_from_adjustment(struct sim_market *m, const struct sim_adjustment *b,
                                   struct provider_result *out)
{
    const struct sim_agreement *a = find_agreement(m, b->agreement_id);
    request_copy_str(out->ref, sizeof(out->ref), b->id);
    request_copy_str(out->status_raw, sizeof(out->status_raw), sim_adjustment_status_name(b->status));
    out->status = b->status == SIM_ADJ_COMPLETED ? MSTATUS_APPROVED : MSTATUS_PENDING;
    if (a) {
        out->matches[0] = a->info;
        out->n_matches = 1;
    }
    out->rc = PROVIDER_OK;
}

static void result_from_entitlement(const struct sim_entitlement *e, struct provider_result *out)
{
    say(out->ref, sizeof(out->ref), "%s/%s/%s", e->info.buyer_account, e->info.subscription_id,
        e->info.id);
    request_copy_str(out->status_raw, sizeof(out->status_raw), e->info.status);
    out->status = streq(e->info.status, "active") ? MSTATUS_PENDING : MSTATUS_APPROVED;
    out->matches[0] = e->info;
    out->n_matches = 1;
    out->rc = PROVIDER_OK;
}

/* ---- lookup and search -------------------------------------------------------- */

static enum provider_rc azure_resolve(struct sim_market *m, const char *customer,
                                      const char *subscription, const char *ent,
                                      const char *account, struct sim_entitlement **found,
                                      struct provider_result *out)
{
    if (!customer[0] || !subscription[0] || !ent[0])
        return answer(out, PROVIDER_E_INVALID, "An Azure entitlement is named by its customer, "
                      "subscription and entitlement ids; one of them is missing.");
    if (!customer_known(m, customer))
        return answer(out, PROVIDER_E_NOT_FOUND, "Partner tenant %s has no commerce relationship "
                      "with customer %s.", seller(account), customer);
    if (!(*found = find_entitlement(m, customer, subscription, ent)))
        return answer(out, PROVIDER_E_NOT_FOUND, "No entitlement %s in subscription %s of "
                      "customer %s.", ent, subscription, customer);
    return PROVIDER_OK;
}

enum provider_rc sim_market_lookup(struct sim_market *m, const struct provider_target *t,
                                   int64_t now_ms, struct provider_result *out)
{
    memset(out, 0, sizeof(*out));
    int changed = market_advance(m, now_ms);
    if (t->market == MARKET_AZURE) {
        struct sim_entitlement *e = NULL;
        if (azure_resolve(m, t->customer_id, t->subscription_id, t->entitlement_id, t->account,
                          &e, out) == PROVIDER_OK)
            result_from_entitlement(e, out);
    } else if (!t->agreement_id[0]) {
        answer(out, PROVIDER_E_INVALID, "An AWS agreement id (agmt-...) is needed to look up "
               "an agreement.");
    } else {
        const struct sim_agreement *a = find_agreement(m, t->agreement_id);
        if (!a) {
            answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.",
                   t->agreement_id, seller(t->account));
        } else {
            out->matches[0] = a->info;
            out->n_matches = 1;
            request_copy_str(out->status_raw, sizeof(out->status_raw), a->info.status);
        }
    }
    return market_commit(m, changed, out);
}

static void search_aws(struct sim_market *m, const struct provider_target *t,
                       struct provider_result *out)
{
    const char *buyer = t->buyer_account, *offer = t->offer_id;
    if (!buyer[0] && !offer[0]) {
        answer(out, PROVIDER_E_INVALID, "Searching AWS agreements needs a buyer account or an "
               "offer id.");
        return;
    }
    for (size_t i = 0; i < m->n_agreements && out->n_matches < PROVIDER_MAX_MATCHES; i++) {
        const struct agreement *a = &m->agreements[i].info;
        if (streq(a->status, "ACTIVE") && (!buyer[0] || streq(a->buyer_account, buyer)) &&
            (!offer[0] || streq(a->offer_id, offer)))
            out->matches[out->n_matches++] = *a;
    }
    if (!out->n_matches && buyer[0])
        say(out->message, sizeof(out->message), "No active agreements for buyer account %s "
            "under seller account %s.", buyer, seller(t->account));
    else if (!out->n_matches)
        say(out->message, sizeof(out->message), "No active agreements for offer %s under "
            "seller account %s.", offer, seller(t->account));
}

static void search_azure(struct sim_market *m, const struct provider_target *t,
                         struct provider_result *out)
{
    if (!t->customer_id[0]) {
        answer(out, PROVIDER_E_INVALID, "Searching Azure entitlements needs a customer id.");
        return;
    }
    if (!customer_known(m, t->customer_id)) {
        answer(out, PROVIDER_E_NOT_FOUND, "Partner tenant %s has no commerce relationship with "
               "customer %s.", seller(t->account), t->customer_id);
        return;
    }
    for (size_t i = 0; i < m->n_entitlements && out->n_matches < PROVIDER_MAX_MATCHES; i++) {
        const struct agreement *a = &m->entitlements[i].info;
        if (streq(a->status, "active") && streq(a->buyer_account, t->customer_id) &&
            (!t->subscription_id[0] || streq(a->subscription_id, t->subscription_id)))
            out->matches[out->n_matches++] = *a;
    }
    if (!out->n_matches)
        say(out->message, sizeof(out->message), "Customer %s has no active entitlements.",
            t->customer_id);
}

/* Only active agreements, at most PROVIDER_MAX_MATCHES. No match is PROVIDER_OK with
 * n_matches 0 and a sentence in message, as SearchAgreements answers an empty list. */
enum provider_rc sim_market_search(struct sim_market *m, const struct provider_target *t,
                                   int64_t now_ms, struct provider_result *out)
{
    memset(out, 0, sizeof(*out));
    int changed = market_advance(m, now_ms);
    if (t->market == MARKET_AZURE)
        search_azure(m, t, out);
    else
        search_aws(m, t, out);
    return market_commit(m, changed, out);
}

/* ---- submit ------------------------------------------------------------------- */

static int aws_cancel(struct sim_market *m, const struct provider_submission *s,
                      int64_t now_ms, struct provider_result *out)
{
    const char *id = s->target.agreement_id;
    char codes[300];
    if (!in_list(cancel_reasons, s->reason_code)) {
        list_join(codes, sizeof(codes), cancel_reasons);
        answer(out, PROVIDER_E_INVALID, "AWS does not accept reason code \"%s\" for a "
               "cancellation; use one of %s.", s->reason_code, codes);
        return 0;
    }
    struct sim_agreement *a = find_agreement(m, id);
    if (!a) {
        answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.", id,
               seller(s->target.account));
        return 0;
    }
    struct sim_request *r = request_by_token(m, s->client_token);
    if (r && !streq(r->agreement_id, id)) {
        answer(out, PROVIDER_E_CONFLICT, "Client token %s was already used for cancellation "
               "request %s on agreement %s, not %s.", s->client_token, r->id, r->agreement_id, id);
        return 0;
    }
    if (r) {                             /* the same call again: the same request */
        result_from_request(m, r, out);
        return 0;
    }
    if (!streq(a->info.status, "ACTIVE")) {
        answer(out, PROVIDER_E_INVALID, "Agreement %s is not active (its status is %s), so it "
               "cannot be cancelled.", id, a->info.status);
        return 0;
    }
    if (!a->self_serve) {
        answer(out, PROVIDER_E_NOT_ELIGIBLE, "Agreement %s is a contract-based or private offer "
               "past its first 48 hours: AWS does not accept a self-serve cancellation for it, "
               "so it needs a support case.", id);
        return 0;
    }
    if ((r = newest_request(m, id, 1))) {
        answer(out, PROVIDER_E_CONFLICT, "Agreement %s already has a pending cancellation "
               "request %s, sent with a different client token.", id, r->id);
        return 0;
    }
    char new_id[SIM_ID_MAX];
    make_id(m, new_id, sizeof(new_id), "acr-", id, s->client_token);
    r = PUSH(m->requests, m->n_requests, m->cap_requests);
    request_copy_str(r->id, sizeof(r->id), new_id);
    request_copy_str(r->agreement_id, sizeof(r->agreement_id), id);
    request_copy_str(r->client_token, sizeof(r->client_token), s->client_token);
    request_copy_str(r->reason_code, sizeof(r->reason_code), s->reason_code);
    copy_text(r->description, sizeof(r->description), s->description);
    r->status = SIM_REQ_PENDING_APPROVAL;
    r->created_ms = r->updated_ms = now_ms;
    result_from_request(m, r, out);
    return 1;
}

static int aws_refund(struct sim_market *m, const struct provider_submission *s,
                      int64_t now_ms, struct provider_result *out)
{
    const char *id = s->target.agreement_id;
    char codes[300], amount[32], left[32], value[32];
    if (!in_list(refund_reasons, s->reason_code)) {
        list_join(codes, sizeof(codes), refund_reasons);
        answer(out, PROVIDER_E_INVALID, "AWS does not accept reason code \"%s\" for a billing "
               "adjustment; use one of %s.", s->reason_code, codes);
        return 0;
    }
    if (!s->invoice_id[0]) {
        answer(out, PROVIDER_E_INVALID, "A refund on agreement %s needs the id of the invoice "
               "it adjusts.", id);
        return 0;
    }
    if (s->amount_cents <= 0) {
        answer(out, PROVIDER_E_INVALID, "A refund on agreement %s must be for more than 0.00.",
               id);
        return 0;
    }
    struct sim_agreement *a = find_agreement(m, id);
    if (!a) {
        answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.", id,
               seller(s->target.account));
        return 0;
    }
    struct sim_adjustment *b = adjustment_by_token(m, s->client_token);
    if (b && !streq(b->agreement_id, id)) {
        answer(out, PROVIDER_E_CONFLICT, "Client token %s was already used for billing "
               "adjustment %s on agreement %s, not %s.", s->client_token, b->id,
               b->agreement_id, id);
        return 0;
    }
    if (b) {
        result_from_adjustment(m, b, out);
        return 0;
    }
    const char *currency = s->currency[0] ? s->currency : a->info.currency;
    if (!streq(currency, a->info.currency)) {
        answer(out, PROVIDER_E_INVALID, "Agreement %s is billed in %s, not %s.", id,
               a->info.currency, currency);
        return 0;
    }
    int64_t refunded = 0;
    for (size_t i = 0; i < m->n_adjustments; i++)
        if (streq(m->adjustments[i].agreement_id, id))
            refunded += m->adjustments[i].amount_cents;
    if (s->amount_cents > a->info.value_cents - refunded) {
        money_format(amount, sizeof(amount), s->amount_cents);
        money_format(left, sizeof(left), a->info.value_cents - refunded);
        money_format(value, sizeof(value), a->info.value_cents);
        answer(out, PROVIDER_E_INVALID, "A refund of %s %s is more than is left to refund on "
               "agreement %s (%s of %s %s).", amount, currency, id, left, value, currency);
        return 0;
    }
    char new_id[SIM_ID_MAX];
    make_id(m, new_id, sizeof(new_id), "ba-", id, s->client_token);
    b = PUSH(m->adjustments, m->n_adjustments, m->cap_adjustments);
    request_copy_str(b->id, sizeof(b->id), new_id);
    request_copy_str(b->agreement_id, sizeof(b->agreement_id), id);
    copy_text(b->invoice_id, sizeof(b->invoice_id), s->invoice_id);
    b->amount_cents = s->amount_cents;
    request_copy_str(b->currency, sizeof(b->currency), currency);
    request_copy_str(b->reason_code, sizeof(b->reason_code), s->reason_code);
    copy_text(b->description, sizeof(b->description), s->description);
    request_copy_str(b->client_token, sizeof(b->client_token), s->client_token);
    b->status = SIM_ADJ_PENDING;
    b->created_ms = b->updated_ms = now_ms;
    result_from_adjustment(m, b, out);
    return 1;
}

static int azure_cancel(struct sim_market *m, const struct provider_submission *s,
                        int64_t now_ms, struct provider_result *out)
{
    const struct provider_target *t = &s->target;
    struct sim_entitlement *e = NULL;
    if (!streq(s->reason_code, AZURE_REASON)) {
        answer(out, PROVIDER_E_INVALID, "Partner Center cancels entitlement %s only for "
               "compromise (reason=compromise), not for \"%s\".", t->entitlement_id,
               s->reason_code);
        return 0;
    }
    if (azure_resolve(m, t->customer_id, t->subscription_id, t->entitlement_id, t->account,
                      &e, out) != PROVIDER_OK)
        return 0;
    if (e->cancel_called) {              /* the same call again: nothing new happens */
        result_from_entitlement(e, out);
        return 0;
    }
    if (!streq(e->info.status, "active")) {
        answer(out, PROVIDER_E_INVALID, "Entitlement %s of customer %s is not active (its "
               "status is %s), so it cannot be cancelled.", e->info.id, e->info.buyer_account,
               e->info.status);
        return 0;
    }
    e->cancel_called = 1;
    e->cancel_ms = now_ms;
    request_copy_str(e->client_token, sizeof(e->client_token), s->client_token);
    request_copy_str(e->reason, sizeof(e->reason), s->reason_code);
    result_from_entitlement(e, out);
    return 1;
}

enum provider_rc sim_market_submit(struct sim_market *m, const struct provider_submission *s,
                                   int64_t now_ms, struct provider_result *out)
{
    memset(out, 0, sizeof(*out));
    int changed = market_advance(m, now_ms);
    if (s->client_token[0] && !token_valid(s->client_token)) {
        answer(out, PROVIDER_E_INVALID, "The client token must be 1 to 64 letters, digits or "
               "dashes.");
        return market_commit(m, changed, out);
    }
    count_submit(m, s->client_token);
    changed = 1;
    if (s->target.market == MARKET_AZURE && s->kind == REQUEST_REFUND)
        answer(out, PROVIDER_E_UNSUPPORTED, "Refunds of Azure entitlements such as %s are not "
               "handled through this marketplace.", s->target.entitlement_id);
    else if (s->target.market == MARKET_AZURE)
        azure_cancel(m, s, now_ms, out);
    else if (s->kind == REQUEST_REFUND)
        aws_refund(m, s, now_ms, out);
    else
        aws_cancel(m, s, now_ms, out);
    return market_commit(m, changed, out);
}

/* ---- poll and withdraw -------------------------------------------------------- */

/* The request a ref names: by its acr- id, else the agreement's newest request. */
static struct sim_request *ref_request(struct sim_market *m, const struct provider_ref *r,
                                       struct provider_result *out)
{
    struct sim_request *q = r->ref[0] ? find_request(m, r->ref)
                                      : newest_request(m, r->target.agreement_id, 0);
    if (!q && r->ref[0])
        answer(out, PROVIDER_E_NOT_FOUND, "No cancellation request %s for seller account %s.",
               r->ref, seller(r->target.account));
    else if (!q)
        answer(out, PROVIDER_E_NOT_FOUND, "Agreement %s has no cancellation request.",
               r->target.agreement_id);
    return q;
}

/* Azure refs are "<customer>/<subscription>/<entitlement>"; without one, the target. */
static struct sim_entitlement *ref_entitlement(struct sim_market *m, const struct provider_ref *r,
                                               struct provider_result *out)
{
    char customer[40] = "", subscription[40] = "", ent[AGREEMENT_ID_MAX] = "";
    struct sim_entitlement *e = NULL;
    if (r->ref[0]) {
        const char *s1 = strchr(r->ref, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s2 || (size_t)(s1 - r->ref) >= sizeof(customer) ||
            (size_t)(s2 - s1 - 1) >= sizeof(subscription)) {
            answer(out, PROVIDER_E_INVALID, "%s is not an Azure entitlement reference "
                   "(customer/subscription/entitlement).", r->ref);
            return NULL;
        }
        memcpy(customer, r->ref, (size_t)(s1 - r->ref));
        memcpy(subscription, s1 + 1, (size_t)(s2 - s1 - 1));
        request_copy_str(ent, sizeof(ent), s2 + 1);
    } else {
        request_copy_str(customer, sizeof(customer), r->target.customer_id);
        request_copy_str(subscription, sizeof(subscription), r->target.subscription_id);
        request_copy_str(ent, sizeof(ent), r->target.entitlement_id);
    }
    azure_resolve(m, customer, subscription, ent, r->target.account, &e, out);
    return e;
}

enum provider_rc sim_market_poll(struct sim_market *m, const struct provider_ref *r,
                                 int64_t now_ms, struct provider_result *out)
{
    memset(out, 0, sizeof(*out));
    int changed = market_advance(m, now_ms);
    if (r->target.market == MARKET_AZURE) {
        struct sim_entitlement *e = ref_entitlement(m, r, out);
        if (e)
            result_from_entitlement(e, out);
    } else if (r->kind == REQUEST_REFUND) {
        struct sim_adjustment *b = find_adjustment(m, r->ref);
        if (b)
            result_from_adjustment(m, b, out);
        else
            answer(out, PROVIDER_E_NOT_FOUND, "No billing adjustment %s for seller account %s.",
                   r->ref[0] ? r->ref : "(none given)", seller(r->target.account));
    } else {
        struct sim_request *q = ref_request(m, r, out);
        if (q)
            result_from_request(m, q, out);
    }
    return market_commit(m, changed, out);
}

enum provider_rc sim_market_withdraw(struct sim_market *m, const struct provider_ref *r,
                                     const char *why, int64_t now_ms,
                                     struct provider_result *out)
{
    memset(out, 0, sizeof(*out));
    int changed = market_advance(m, now_ms);
    struct sim_request *q = NULL;
    if (r->target.market == MARKET_AZURE) {
        answer(out, PROVIDER_E_UNSUPPORTED, "Partner Center cannot take back the cancellation "
               "of entitlement %s.", r->target.entitlement_id[0] ? r->target.entitlement_id
                                                                 : r->ref);
    } else if (r->kind == REQUEST_REFUND) {
        answer(out, PROVIDER_E_UNSUPPORTED, "Billing adjustment %s cannot be withdrawn once "
               "submitted.", r->ref);
    } else if (!(q = ref_request(m, r, out))) {
        /* answered by ref_request */
    } else if (q->status == SIM_REQ_CANCELLED) {
        result_from_request(m, q, out);  /* withdrawn already: the same answer again */
    } else if (q->status == SIM_REQ_APPROVED && q->auto_approved) {
        answer(out, PROVIDER_E_CONFLICT, "Cancellation request %s can no longer be withdrawn: "
               "AWS approved it automatically after 7 days without an answer from the buyer.",
               q->id);
    } else if (q->status != SIM_REQ_PENDING_APPROVAL) {
        answer(out, PROVIDER_E_CONFLICT, "Cancellation request %s can no longer be withdrawn: "
               "the buyer already answered (%s).", q->id, sim_request_status_name(q->status));
    } else {
        q->status = SIM_REQ_CANCELLED;
        q->updated_ms = now_ms;
        copy_text(q->answer_note, sizeof(q->answer_note),
                  why && *why ? why : "Withdrawn by the seller.");
        result_from_request(m, q, out);
        changed = 1;
    }
    return market_commit(m, changed, out);
}

/* ---- the buyer, and reads ----------------------------------------------------- */

int sim_market_buyer_answer(struct sim_market *m, const char *request_ref_or_agreement_id,
                            int accept, int64_t now_ms, char *err, size_t errlen)
{
    const char *name = request_ref_or_agreement_id ? request_ref_or_agreement_id : "";
    int changed = market_advance(m, now_ms), rc = PROVIDER_OK;
    struct sim_request *q = strncmp(name, "acr-", 4) == 0 ? find_request(m, name)
                                                          : newest_request(m, name, 0);
    if (!q && strncmp(name, "acr-", 4) == 0) {
        say(err, errlen, "No cancellation request %s.", name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (!q && !find_agreement(m, name)) {
        say(err, errlen, "No agreement %s.", name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (!q) {
        say(err, errlen, "Agreement %s has no cancellation request for the buyer to answer.",
            name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (q->status != SIM_REQ_PENDING_APPROVAL) {
        say(err, errlen, "Cancellation request %s is %s%s; the buyer can only answer a pending "
            "request.", q->id, sim_request_status_name(q->status),
            q->auto_approved ? " (automatically, after 7 days)" : "");
        rc = PROVIDER_E_CONFLICT;
    } else {
        if (accept) {
            request_approve(m, q, now_ms, 0);
        } else {
            q->status = SIM_REQ_REJECTED;
            q->updated_ms = now_ms;
        }
        changed = 1;
    }
    char serr[300];
    if (changed && sim_market_save(m, serr, sizeof(serr)) != 0) {
        say(err, errlen, "The simulated marketplace could not save its state (%s).", serr);
        rc = PROVIDER_E_UNAVAILABLE;
    }
    return rc;
}

static void advance_and_save(struct sim_market *m, int64_t now_ms)
{
    char err[300];
    if (market_advance(m, now_ms))
        (void)sim_market_save(m, err, sizeof(err));   /* retried on the next change */
}

int sim_market_find_request_for_agreement(struct sim_market *m, const char *agreement_id,
                                          int64_t now_ms, struct sim_request *out)
{
    advance_and_save(m, now_ms);
    const struct sim_request *r = newest_request(m, agreement_id, 0);
    if (!r)
        return -1;
    *out = *r;
    return 0;
}

int sim_market_get_request(struct sim_market *m, const char *request_id, int64_t now_ms,
                           struct sim_request *out)
{
    advance_and_save(m, now_ms);
    const struct sim_request *r = find_request(m, request_id);
    if (!r)
        return -1;
    *out = *r;
    return 0;
}

int sim_market_get_agreement(struct sim_market *m, const char *agreement_id, int64_t now_ms,
                             struct sim_agreement *out)
{
    advance_and_save(m, now_ms);
    const struct sim_agreement *a = find_agreement(m, agreement_id);
    if (!a)
        return -1;
    *out = *a;
    return 0;
}

int sim_market_get_adjustment(struct sim_market *m, const char *adjustment_id, int64_t now_ms,
                              struct sim_adjustment *out)
{
    advance_and_save(m, now_ms);
    const struct sim_adjustment *b = find_adjustment(m, adjustment_id);
    if (!b)
        return -1;
    *out = *b;
    return 0;
}

int sim_market_get_entitlement(struct sim_market *m, const char *customer_id,
                               const char *subscription_id, const char *entitlement_id,
                               int64_t now_ms, struct sim_entitlement *out)
{
    advance_and_save(m, now_ms);
    const struct sim_entitlement *e = find_entitlement(m, customer_id, subscription_id,
                                                       entitlement_id);
    if (!e)
        return -1;
    *out = *e;
    return 0;
}

int sim_market_count_requests(const struct sim_market *m, const char *agreement_id)
{
    int n = 0;
    for (size_t i = 0; i < m->n_requests; i++)
        if (!agreement_id || streq(m->requests[i].agreement_id, agreement_id))
            n++;
    for (size_t i = 0; i < m->n_entitlements; i++)
        if (m->entitlements[i].cancel_called &&
            (!agreement_id || streq(m->entitlements[i].info.id, agreement_id)))
            n++;
    return n;
}

int sim_market_submit_calls(const struct sim_market *m, const char *client_token)
{
    for (size_t i = 0; client_token && i < m->n_tokens; i++)
        if (streq(m->tokens[i].token, client_token))
            return m->tokens[i].calls;
    return 0;
}

static const char *const request_status_names[] = {
    [SIM_REQ_PENDING_APPROVAL] = "PENDING_APPROVAL",
    [SIM_REQ_APPROVED] = "APPROVED",
    [SIM_REQ_REJECTED] = "REJECTED",
    [SIM_REQ_CANCELLED] = "CANCELLED",
};

const char *sim_request_status_name(enum sim_request_status s)
{
    return (unsigned)s <= SIM_REQ_CANCELLED ? request_status_names[s] : "UNKNOWN";
}

const char *sim_adjustment_status_name(enum sim_adjustment_status s)
{
    return s == SIM_ADJ_COMPLETED ? "COMPLETED" : "PENDING";
}

/* ---- JSON: state file and seed ------------------------------------------------ */

struct loader {
    const char *origin;                  /* file name or "built-in seed", for errors */
    char *err;
    size_t errlen;
};

static int load_fail(struct loader *ld, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int load_fail(struct loader *ld, const char *where, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    say(ld->err, ld->errlen, "%s: %s: %s", ld->origin, where, what);
    return -1;
}

static int get_str(struct loader *ld, const char *where, json_t *obj, const char *key,
                   char *dst, size_t dstlen, int required)
{
    json_t *v = json_object_get(obj, key);
    dst[0] = '\0';
    if (!v)
        return required ? load_fail(ld, where, "\"%s\" is missing", key) : 0;
    if (!json_is_string(v))
        return load_fail(ld, where, "\"%s\" must be a string", key);
    size_t n = json_string_length(v);
    if (n >= dstlen || strlen(json_string_value(v)) != n)
        return load_fail(ld, where, "\"%s\" is too long (at most %zu characters)", key,
                         dstlen - 1);
    memcpy(dst, json_string_value(v), n + 1);
    return 0;
}

static int get_ms(struct loader *ld, const char *where, json_t *obj, const char *key,
                  int64_t *dst, int *present)
{
    json_t *v = json_object_get(obj, key);
    *dst = 0;
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? 0 : load_fail(ld, where, "\"%s\" is missing", key);
    if (!json_is_integer(v))
        return load_fail(ld, where, "\"%s\" must be an integer (milliseconds)", key);
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

static int get_bool(struct loader *ld, const char *where, json_t *obj, const char *key,
                    int dflt, int *dst)
{
    json_t *v = json_object_get(obj, key);
    *dst = dflt;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return load_fail(ld, where, "\"%s\" must be true or false", key);
    *dst = json_is_true(v);
    return 0;
}

static int get_money(struct loader *ld, const char *where, json_t *obj, const char *key,
                     int64_t *dst)
{
    char text[32];
    if (get_str(ld, where, obj, key, text, sizeof(text), 0) != 0)
        return -1;
    *dst = 0;
    if (text[0] && money_parse(text, dst) != 0)
        return load_fail(ld, where, "\"%s\" must be an amount like \"1200.00\"", key);
    return 0;
}

static json_t *get_array(struct loader *ld, json_t *obj, const char *key, int *bad)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v && !json_is_array(v)) {
        load_fail(ld, key, "must be a list");
        *bad = 1;
        return NULL;
    }
    return v;
}

static int load_agreement(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_agreement a;
    memset(&a, 0, sizeof(a));
    if (get_str(ld, where, o, "id", a.info.id, sizeof(a.info.id), 1) ||
        get_str(ld, where, o, "buyer_account", a.info.buyer_account,
                sizeof(a.info.buyer_account), 1) ||
        get_str(ld, where, o, "offer_id", a.info.offer_id, sizeof(a.info.offer_id), 0) ||
        get_str(ld, where, o, "product", a.info.product, sizeof(a.info.product), 0) ||
        get_str(ld, where, o, "status", a.info.status, sizeof(a.info.status), 1) ||
        get_str(ld, where, o, "start_date", a.info.start_date, sizeof(a.info.start_date), 0) ||
        get_str(ld, where, o, "end_date", a.info.end_date, sizeof(a.info.end_date), 0) ||
        get_money(ld, where, o, "value", &a.info.value_cents) ||
        get_str(ld, where, o, "currency", a.info.currency, sizeof(a.info.currency), 0) ||
        get_bool(ld, where, o, "self_serve", 1, &a.self_serve))
        return -1;
    if (find_agreement(m, a.info.id))
        return load_fail(ld, where, "agreement %s is listed twice", a.info.id);
    *PUSH(m->agreements, m->n_agreements, m->cap_agreements) = a;
    return 0;
}

static int load_request(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_request r;
    char status[32];
    int i;
    memset(&r, 0, sizeof(r));
    if (get_str(ld, where, o, "id", r.id, sizeof(r.id), 1) ||
        get_str(ld, where, o, "agreement_id", r.agreement_id, sizeof(r.agreement_id), 1) ||
        get_str(ld, where, o, "status", status, sizeof(status), 1) ||
        get_bool(ld, where, o, "auto_approved", 0, &r.auto_approved) ||
        get_str(ld, where, o, "client_token", r.client_token, sizeof(r.client_token), 0) ||
        get_str(ld, where, o, "reason_code", r.reason_code, sizeof(r.reason_code), 0) ||
        get_str(ld, where, o, "description", r.description, sizeof(r.description), 0) ||
        get_str(ld, where, o, "answer_note", r.answer_note, sizeof(r.answer_note), 0) ||
        get_ms(ld, where, o, "created_ms", &r.created_ms, NULL) ||
        get_ms(ld, where, o, "updated_ms", &r.updated_ms, NULL))
        return -1;
    for (i = SIM_REQ_PENDING_APPROVAL; i <= SIM_REQ_CANCELLED; i++)
        if (streq(status, sim_request_status_name((enum sim_request_status)i)))
            break;
    if (i > SIM_REQ_CANCELLED)
        return load_fail(ld, where, "unknown status \"%s\"", status);
    r.status = (enum sim_request_status)i;
    if (!find_agreement(m, r.agreement_id))
        return load_fail(ld, where, "request %s names unknown agreement %s", r.id,
                         r.agreement_id);
    if (id_taken(m, r.id))
        return load_fail(ld, where, "request %s is listed twice", r.id);
    *PUSH(m->requests, m->n_requests, m->cap_requests) = r;
    return 0;
}

static int load_adjustment(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_adjustment b;
    char status[32];
    memset(&b, 0, sizeof(b));
    if (get_str(ld, where, o, "id", b.id, sizeof(b.id), 1) ||
        get_str(ld, where, o, "agreement_id", b.agreement_id, sizeof(b.agreement_id), 1) ||
        get_str(ld, where, o, "invoice_id", b.invoice_id, sizeof(b.invoice_id), 1) ||
        get_money(ld, where, o, "amount", &b.amount_cents) ||
        get_str(ld, where, o, "currency", b.currency, sizeof(b.currency), 0) ||
        get_str(ld, where, o, "reason_code", b.reason_code, sizeof(b.reason_code), 0) ||
        get_str(ld, where, o, "description", b.description, sizeof(b.description), 0) ||
        get_str(ld, where, o, "client_token", b.client_token, sizeof(b.client_token), 0) ||
        get_str(ld, where, o, "status", status, sizeof(status), 1) ||
        get_ms(ld, where, o, "created_ms", &b.created_ms, NULL) ||
        get_ms(ld, where, o, "updated_ms", &b.updated_ms, NULL))
        return -1;
    if (streq(status, "COMPLETED"))
        b.status = SIM_ADJ_COMPLETED;
    else if (streq(status, "PENDING"))
        b.status = SIM_ADJ_PENDING;
    else
        return load_fail(ld, where, "unknown status \"%s\"", status);
    if (!find_agreement(m, b.agreement_id))
        return load_fail(ld, where, "adjustment %s names unknown agreement %s", b.id,
                         b.agreement_id);
    if (id_taken(m, b.id))
        return load_fail(ld, where, "adjustment %s is listed twice", b.id);
    *PUSH(m->adjustments, m->n_adjustments, m->cap_adjustments) = b;
    return 0;
}

static int load_entitlement(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_entitlement e;
    memset(&e, 0, sizeof(e));
    if (get_str(ld, where, o, "customer_id", e.info.buyer_account,
                sizeof(e.info.buyer_account), 1) ||
        get_str(ld, where, o, "subscription_id", e.info.subscription_id,
                sizeof(e.info.subscription_id), 1) ||
        get_str(ld, where, o, "entitlement_id", e.info.id, sizeof(e.info.id), 1) ||
        get_str(ld, where, o, "product", e.info.product, sizeof(e.info.product), 0) ||
        get_str(ld, where, o, "offer_id", e.info.offer_id, sizeof(e.info.offer_id), 0) ||
        get_str(ld, where, o, "status", e.info.status, sizeof(e.info.status), 1) ||
        get_str(ld, where, o, "start_date", e.info.start_date, sizeof(e.info.start_date), 0) ||
        get_str(ld, where, o, "end_date", e.info.end_date, sizeof(e.info.end_date), 0) ||
        get_money(ld, where, o, "value", &e.info.value_cents) ||
        get_str(ld, where, o, "currency", e.info.currency, sizeof(e.info.currency), 0) ||
        get_ms(ld, where, o, "cancel_ms", &e.cancel_ms, &e.cancel_called) ||
        get_str(ld, where, o, "client_token", e.client_token, sizeof(e.client_token), 0) ||
        get_str(ld, where, o, "reason", e.reason, sizeof(e.reason), 0))
        return -1;
    if (!streq(e.info.status, "active") && !streq(e.info.status, "inactive"))
        return load_fail(ld, where, "status must be \"active\" or \"inactive\"");
    if (find_entitlement(m, e.info.buyer_account, e.info.subscription_id, e.info.id))
        return load_fail(ld, where, "entitlement %s is listed twice", e.info.id);
    *PUSH(m->entitlements, m->n_entitlements, m->cap_entitlements) = e;
    return 0;
}

typedef int (*load_item_fn)(struct sim_market *, struct loader *, const char *, json_t *);

static int load_list(struct sim_market *m, struct loader *ld, json_t *list, const char *name,
                     load_item_fn fn)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", name, i);
        if (!json_is_object(item))
            return load_fail(ld, where, "must be an object");
        if (fn(m, ld, where, item) != 0)
            return -1;
    }
    return 0;
}

static int load_root(struct sim_market *m, struct loader *ld, json_t *root)
{
    int bad = 0;
    if (!json_is_object(root))
        return load_fail(ld, "top level", "must be an object");
    json_t *aws = json_object_get(root, "aws"), *azure = json_object_get(root, "azure");
    json_t *agreements = get_array(ld, aws, "agreements", &bad);
    json_t *requests = get_array(ld, aws, "cancellation_requests", &bad);
    json_t *adjustments = get_array(ld, aws, "billing_adjustments", &bad);
    json_t *entitlements = get_array(ld, azure, "entitlements", &bad);
    json_t *calls = json_object_get(root, "submit_calls");
    if (bad)
        return -1;
    if (load_list(m, ld, agreements, "aws.agreements", load_agreement) ||
        load_list(m, ld, requests, "aws.cancellation_requests", load_request) ||
        load_list(m, ld, adjustments, "aws.billing_adjustments", load_adjustment) ||
        load_list(m, ld, entitlements, "azure.entitlements", load_entitlement))
        return -1;
    if (calls && !json_is_object(calls))
        return load_fail(ld, "submit_calls", "must be an object");
    const char *token;
    json_t *n;
    json_object_foreach(calls, token, n) {
        if (!json_is_integer(n) || !token_valid(token))
            return load_fail(ld, "submit_calls", "\"%s\" must be a client token with a count",
                             token);
        struct token_calls *t = PUSH(m->tokens, m->n_tokens, m->cap_tokens);
        request_copy_str(t->token, sizeof(t->token), token);
        t->calls = (int)json_integer_value(n);
    }
    return 0;
}

static struct sim_market *market_from_root(json_t *root, const char *origin,
                                           char *err, size_t errlen)
{
    struct loader ld = { origin, err, errlen };
    struct sim_market *m = calloc(1, sizeof(*m));
    if (!m) {
        say(err, errlen, "out of memory");
        return NULL;
    }
    if (load_root(m, &ld, root) != 0) {
        sim_market_free(m);
        return NULL;
    }
    return m;
}

struct sim_market *sim_market_from_json(const char *text, const char *origin,
                                        char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    struct sim_market *m = NULL;
    if (!root)
        say(err, errlen, "%s:%d: %s", origin, jerr.line, jerr.text);
    else
        m = market_from_root(root, origin, err, errlen);
    json_decref(root);
    return m;
}

/* Loads a file; *absent says it does not exist (and err is then left alone). */
static struct sim_market *market_from_file(const char *path, int *absent, char *err,
                                           size_t errlen)
{
    json_error_t jerr;
    json_t *root = NULL;
    struct sim_market *m = NULL;
    FILE *fp = fopen(path, "r");
    *absent = 0;
    if (!fp) {
        if (errno == ENOENT)
            *absent = 1;
        else
            say(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!(root = json_loadf(fp, 0, &jerr)))
        say(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
    else
        m = market_from_root(root, path, err, errlen);
    json_decref(root);
    fclose(fp);
    return m;
}

struct sim_market *sim_market_load_json(const char *seed_path, const char *state_path,
                                        char *err, size_t errlen)
{
    struct sim_market *m = NULL;
    int absent = 0;
    if (state_path && *state_path) {
        m = market_from_file(state_path, &absent, err, errlen);
        if (!m && !absent)
            return NULL;                 /* a damaged state file is not silently reset */
    }
    if (!m && seed_path && *seed_path) {
        m = market_from_file(seed_path, &absent, err, errlen);
        if (!m && absent)
            say(err, errlen, "the seed file %s does not exist", seed_path);
    } else if (!m) {
        m = sim_market_from_json(builtin_seed(), "built-in seed", err, errlen);
    }
    if (m && state_path && *state_path && !(m->state_path = strdup(state_path))) {
        say(err, errlen, "out of memory");
        sim_market_free(m);
        return NULL;
    }
    return m;
}

const char *sim_market_builtin_seed(void)
{
    return builtin_seed();
}

void sim_market_free(struct sim_market *m)
{
    if (!m)
        return;
    free(m->agreements);
    free(m->requests);
    free(m->adjustments);
    free(m->entitlements);
    free(m->tokens);
    free(m->state_path);
    free(m);
}

/* ---- JSON out ----------------------------------------------------------------- */

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v));
}

static void set_money(json_t *o, const char *key, int64_t cents)
{
    char text[32];
    money_format(text, sizeof(text), cents);
    set_str(o, key, text);
}

static json_t *dump_agreement(const struct sim_agreement *a)
{
    json_t *o = json_object();
    set_str(o, "id", a->info.id);
    set_str(o, "buyer_account", a->info.buyer_account);
    set_str(o, "offer_id", a->info.offer_id);
    set_str(o, "product", a->info.product);
    set_str(o, "status", a->info.status);
    set_str(o, "start_date", a->info.start_date);
    set_str(o, "end_date", a->info.end_date);
    set_money(o, "value", a->info.value_cents);
    set_str(o, "currency", a->info.currency);
    json_object_set_new(o, "self_serve", json_boolean(a->self_serve));
    return o;
}

static json_t *dump_request(const struct sim_request *r)
{
    json_t *o = json_object();
    set_str(o, "id", r->id);
    set_str(o, "agreement_id", r->agreement_id);
    set_str(o, "status", sim_request_status_name(r->status));
    json_object_set_new(o, "auto_approved", json_boolean(r->auto_approved));
    set_str(o, "client_token", r->client_token);
    set_str(o, "reason_code", r->reason_code);
    set_str(o, "description", r->description);
    set_str(o, "answer_note", r->answer_note);
    json_object_set_new(o, "created_ms", json_integer(r->created_ms));
    json_object_set_new(o, "updated_ms", json_integer(r->updated_ms));
    return o;
}

static json_t *dump_adjustment(const struct sim_adjustment *b)
{
    json_t *o = json_object();
    set_str(o, "id", b->id);
    set_str(o, "agreement_id", b->agreement_id);
    set_str(o, "invoice_id", b->invoice_id);
    set_money(o, "amount", b->amount_cents);
    set_str(o, "currency", b->currency);
    set_str(o, "reason_code", b->reason_code);
    set_str(o, "description", b->description);
    set_str(o, "client_token", b->client_token);
    set_str(o, "status", sim_adjustment_status_name(b->status));
    json_object_set_new(o, "created_ms", json_integer(b->created_ms));
    json_object_set_new(o, "updated_ms", json_integer(b->updated_ms));
    return o;
}

static json_t *dump_entitlement(const struct sim_entitlement *e)
{
    json_t *o = json_object();
    set_str(o, "customer_id", e->info.buyer_account);
    set_str(o, "subscription_id", e->info.subscription_id);
    set_str(o, "entitlement_id", e->info.id);
    set_str(o, "product", e->info.product);
    set_str(o, "offer_id", e->info.offer_id);
    set_str(o, "status", e->info.status);
    set_str(o, "start_date", e->info.start_date);
    set_str(o, "end_date", e->info.end_date);
    set_money(o, "value", e->info.value_cents);
    set_str(o, "currency", e->info.currency);
    if (e->cancel_called) {
        json_object_set_new(o, "cancel_ms", json_integer(e->cancel_ms));
        set_str(o, "client_token", e->client_token);
        set_str(o, "reason", e->reason);
    }
    return o;
}

char *sim_market_dump(const struct sim_market *m)
{
    json_t *agreements = json_array(), *requests = json_array(), *adjustments = json_array();
    json_t *entitlements = json_array(), *calls = json_object();
    for (size_t i = 0; i < m->n_agreements; i++)
        json_array_append_new(agreements, dump_agreement(&m->agreements[i]));
    for (size_t i = 0; i < m->n_requests; i++)
        json_array_append_new(requests, dump_request(&m->requests[i]));
    for (size_t i = 0; i < m->n_adjustments; i++)
        json_array_append_new(adjustments, dump_adjustment(&m->adjustments[i]));
    for (size_t i = 0; i < m->n_entitlements; i++)
        json_array_append_new(entitlements, dump_entitlement(&m->entitlements[i]));
    for (size_t i = 0; i < m->n_tokens; i++)
        json_object_set_new(calls, m->tokens[i].token, json_integer(m->tokens[i].calls));
    json_t *root = json_pack("{s:s, s:{s:o, s:o, s:o}, s:{s:o}, s:o}",
                             "_comment", "State of cancelbot's simulated marketplace, rewritten "
                             "after every change. Delete it to start again from the seed.",
                             "aws", "agreements", agreements, "cancellation_requests", requests,
                             "billing_adjustments", adjustments,
                             "azure", "entitlements", entitlements,
                             "submit_calls", calls);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}

int sim_market_save(const struct sim_market *m, char *err, size_t errlen)
{
    char *text = NULL, *tmp = NULL;
    FILE *fp = NULL;
    int rc = -1;
    if (!m->state_path)
        return 0;
    size_t tmplen = strlen(m->state_path) + 5;
    if (!(text = sim_market_dump(m)) || !(tmp = malloc(tmplen))) {
        say(err, errlen, "out of memory");
        goto out;
    }
    snprintf(tmp, tmplen, "%s.tmp", m->state_path);
    if (!(fp = fopen(tmp, "w")) || fputs(text, fp) == EOF || fputc('\n', fp) == EOF ||
        fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        say(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    int closed = fclose(fp);
    fp = NULL;
    if (closed != 0 || rename(tmp, m->state_path) != 0) {
        say(err, errlen, "cannot replace %s: %s", m->state_path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fp) {
        fclose(fp);
        remove(tmp);
    }
    free(tmp);
    free(text);
    return rc;
}

/* ---- the built-in seed: deploy/sim-seed.json, content for content ------------ */

static const char *builtin_seed(void)
{
    return
        "{\n"
        "  \"_comment\": [\n"
        "    \"Seed of the simulated marketplace (provider \\\"sim\\\"): what the market holds on first start.\",\n"
        "    \"Load it with the sim provider's config {\\\"seed\\\": \\\"deploy/sim-seed.json\\\", \\\"state\\\": \\\"sim-state.json\\\"}.\",\n"
        "    \"Once the state file exists it is loaded instead, so a restarted bot sees the same market.\",\n"
        "    \"aws.agreements[]: id, buyer_account (12-digit acceptor account), offer_id, product,\",\n"
        "    \"  status (ACTIVE, CANCELLED, EXPIRED, ...), start_date, end_date (ISO 8601),\",\n"
        "    \"  value (total contract value, decimal string), currency, self_serve (false: a\",\n"
        "    \"  contract-based or private offer past 48 hours that the cancellation API refuses).\",\n"
        "    \"azure.entitlements[]: customer_id, subscription_id, entitlement_id, product, offer_id,\",\n"
        "    \"  status (active, inactive), start_date, end_date, value, currency.\",\n"
        "    \"The state file adds aws.cancellation_requests, aws.billing_adjustments and submit_calls.\",\n"
        "    \"The built-in seed (providers/sim_market.c) has the same content; tests/test_sim.c checks it.\"\n"
        "  ],\n"
        "  \"aws\": {\n"
        "    \"agreements\": [\n"
        "      {\n"
        "        \"id\": \"agmt-1a2b3c4d5e6f7g8h9i0j\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-09-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-08-31T23:59:59Z\",\n"
        "        \"value\": \"1200.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-big0000000000000001\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-ent0000000001\",\n"
        "        \"product\": \"Acme Observability Platform Enterprise\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-07-01T00:00:00Z\",\n"
        "        \"end_date\": \"2028-06-30T23:59:59Z\",\n"
        "        \"value\": \"120000.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-cancelled0000000001\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"CANCELLED\",\n"
        "        \"start_date\": \"2024-09-01T00:00:00Z\",\n"
        "        \"end_date\": \"2025-08-31T23:59:59Z\",\n"
        "        \"value\": \"600.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-private000000000001\",\n"
        "        \"buyer_account\": \"210987654321\",\n"
        "        \"offer_id\": \"offer-priv00000000001\",\n"
        "        \"product\": \"Acme Observability Platform (private offer)\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-11-15T00:00:00Z\",\n"
        "        \"end_date\": \"2026-11-14T23:59:59Z\",\n"
        "        \"value\": \"45000.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": false\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-3c4d5e6f7g8h9i0j1k2l\",\n"
        "        \"buyer_account\": \"210987654321\",\n"
        "        \"offer_id\": \"offer-5t4r3e2w1q0p\",\n"
        "        \"product\": \"Acme Log Archive\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2026-01-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-12-31T23:59:59Z\",\n"
        "        \"value\": \"8400.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-2b3c4d5e6f7g8h9i0j1k\",\n"
        "        \"buyer_account\": \"345678901234\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2026-02-01T00:00:00Z\",\n"
        "        \"end_date\": \"2027-01-31T23:59:59Z\",\n"
        "        \"value\": \"2400.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      }\n"
        "    ]\n"
        "  },\n"
        "  \"azure\": {\n"
        "    \"entitlements\": [\n"
        "      {\n"
        "        \"customer_id\": \"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\n"
        "        \"subscription_id\": \"9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789\",\n"
        "        \"entitlement_id\": \"ent-0001\",\n"
        "        \"product\": \"Acme Observability Platform for Azure\",\n"
        "        \"offer_id\": \"acme-observability-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2025-10-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-09-30T23:59:59Z\",\n"
        "        \"value\": \"3600.00\",\n"
        "        \"currency\": \"USD\"\n"
        "      },\n"
        "      {\n"
        "        \"customer_id\": \"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\n"
        "        \"subscription_id\": \"1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809\",\n"
        "        \"entitlement_id\": \"ent-0002\",\n"
        "        \"product\": \"Acme Log Archive for Azure\",\n"
        "        \"offer_id\": \"acme-log-archive-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2026-01-15T00:00:00Z\",\n"
        "        \"end_date\": \"2027-01-14T23:59:59Z\",\n"
        "        \"value\": \"1800.00\",\n"
        "        \"currency\": \"USD\"\n"
        "      },\n"
        "      {\n"
        "        \"customer_id\": \"7c6b5a49-3827-4165-9a8b-7c6d5e4f3a2b\",\n"
        "        \"subscription_id\": \"0f1e2d3c-4b5a-4968-8776-655443322110\",\n"
        "        \"entitlement_id\": \"ent-0003\",\n"
        "        \"product\": \"Acme Observability Platform for Azure\",\n"
        "        \"offer_id\": \"acme-observability-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2025-12-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-11-30T23:59:59Z\",\n"
        "        \"value\": \"7200.00\",\n"
        "        \"currency\": \"EUR\"\n"
        "      }\n"
        "    ]\n"
        "  }\n"
        "}\n";
}
