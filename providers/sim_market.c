/* providers/sim_market.c -- the simulated marketplace's model (see sim_market.h).
 *
 * DESIGN. The market is five growable arrays (AWS agreements, cancellation requests,
 * billing adjustments, Azure entitlements, submit calls per client token) and an
 * optional state-file path. Every public call that takes now_ms first runs
 * market_advance(), which applies what time has made due (7-day automatic approval,
 * Azure entitlements going inactive, refunds settling); anything that changed the
 * market is then written with sim_market_save() before the call returns, so the state
 * file never lags behind an answer the bot has seen. Loading, saving and the built-in
 * seed live in sim_state.c; sim_market_int.h holds what the two files share.
 * Request ids are derived from (agreement, client token, sequence) with FNV-1a, so the
 * same history yields the same ids: handy in tests and in transcripts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "providers/sim_market_int.h"

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

/* ---- small helpers ------------------------------------------------------------ */

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

void sim_say(char *buf, size_t len, const char *fmt, ...)
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

void sim_money_format(char *buf, size_t len, int64_t cents)
{
    snprintf(buf, len, "%s%lld.%02lld", cents < 0 ? "-" : "",
             (long long)(cents < 0 ? -(cents / 100) : cents / 100),
             (long long)(cents < 0 ? -(cents % 100) : cents % 100));
}

int sim_token_valid(const char *t)
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

struct sim_agreement *sim_find_agreement(struct sim_market *m, const char *id)
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

struct sim_entitlement *sim_find_entitlement(struct sim_market *m, const char *customer,
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

int sim_id_taken(struct sim_market *m, const char *id)
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
    } while (sim_id_taken(m, dst));
}

/* ---- time and saving ---------------------------------------------------------- */

static void request_approve(struct sim_market *m, struct sim_request *r, int64_t at, int automatic)
{
    struct sim_agreement *a = sim_find_agreement(m, r->agreement_id);
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
    const struct sim_agreement *a = sim_find_agreement(m, r->agreement_id);
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
    const struct sim_agreement *a = sim_find_agreement(m, b->agreement_id);
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
    sim_say(out->ref, sizeof(out->ref), "%s/%s/%s", e->info.buyer_account, e->info.subscription_id,
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
    if (!(*found = sim_find_entitlement(m, customer, subscription, ent)))
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
        const struct sim_agreement *a = sim_find_agreement(m, t->agreement_id);
        if (!a) {
            answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.",
                   t->agreement_id, seller(t->account));
        } else if (!provider_refuse_not_seller(out, a->info.id, SIM_SELLER_ACCOUNT,
                                               a->info.buyer_account, a->proposer)) {
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
        /* As SearchAgreements with PartyType=Proposer: the seller's own agreements only. */
        if (streq(a->status, "ACTIVE") && streq(m->agreements[i].proposer, SIM_SELLER_ACCOUNT) &&
            (!buyer[0] || streq(a->buyer_account, buyer)) &&
            (!offer[0] || streq(a->offer_id, offer)))
            out->matches[out->n_matches++] = *a;
    }
    if (!out->n_matches && buyer[0])
        sim_say(out->message, sizeof(out->message), "No active agreements for buyer account %s "
                "under seller account %s.", buyer, seller(t->account));
    else if (!out->n_matches)
        sim_say(out->message, sizeof(out->message), "No active agreements for offer %s under "
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
        sim_say(out->message, sizeof(out->message), "Customer %s has no active entitlements.",
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

/* AWS answers a seller call on an agreement it did not propose with AccessDenied
 * (INVALID_ACCESS): what a submission says when the look-up could not refuse it,
 * e.g. a request recorded before this check existed. */
static int not_proposer(const struct sim_agreement *a, const char *what,
                        struct provider_result *out)
{
    if (streq(a->proposer, SIM_SELLER_ACCOUNT))
        return 0;
    answer(out, PROVIDER_E_NOT_SELLER, "AWS Marketplace refused this for agreement %s: seller "
           "account %s is not its seller (its proposer, %s), and only the proposer can %s: "
           "ask its seller.", a->info.id, SIM_SELLER_ACCOUNT, a->proposer, what);
    return 1;
}

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
    struct sim_agreement *a = sim_find_agreement(m, id);
    if (!a) {
        answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.", id,
               seller(s->target.account));
        return 0;
    }
    if (not_proposer(a, "ask for its cancellation", out))
        return 0;
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
    struct sim_agreement *a = sim_find_agreement(m, id);
    if (!a) {
        answer(out, PROVIDER_E_NOT_FOUND, "No agreement %s for seller account %s.", id,
               seller(s->target.account));
        return 0;
    }
    if (not_proposer(a, "adjust its invoices", out))
        return 0;
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
        sim_money_format(amount, sizeof(amount), s->amount_cents);
        sim_money_format(left, sizeof(left), a->info.value_cents - refunded);
        sim_money_format(value, sizeof(value), a->info.value_cents);
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
    if (s->client_token[0] && !sim_token_valid(s->client_token)) {
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
        sim_say(err, errlen, "No cancellation request %s.", name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (!q && !sim_find_agreement(m, name)) {
        sim_say(err, errlen, "No agreement %s.", name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (!q) {
        sim_say(err, errlen, "Agreement %s has no cancellation request for the buyer to answer.",
                name);
        rc = PROVIDER_E_NOT_FOUND;
    } else if (q->status != SIM_REQ_PENDING_APPROVAL) {
        sim_say(err, errlen, "Cancellation request %s is %s%s; the buyer can only answer a pending "
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
        sim_say(err, errlen, "The simulated marketplace could not save its state (%s).", serr);
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
    const struct sim_agreement *a = sim_find_agreement(m, agreement_id);
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
    const struct sim_entitlement *e = sim_find_entitlement(m, customer_id, subscription_id,
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
