/* tests/fake_market_aws.c -- the AWS half of the marketplace fake: the AWS Marketplace
 * Agreement API (awsJson1_0, signing name "aws-marketplace") and the AWS Support API
 * (awsJson1_1, signing name "support").
 *
 * Shapes follow the service model in @aws-sdk/client-marketplace-agreement 3.1164.0
 * (member names, enums, each error's HTTP status: Validation 400, AccessDenied 403,
 * ResourceNotFound 404, Conflict 409, Throttling 429, InternalServer 500) and the
 * public Support API reference. Errors carry __type, message and X-Amzn-ErrorType as
 * Coral services send them: modeled Agreement errors with their namespace
 * ("com.amazonaws.marketplaceagreement#ConflictException"), authentication and
 * Support errors without, so a client must cope with both forms, as it must with AWS.
 *
 * Every call is signature-checked first (fake_market_sigv4.c), then faults apply,
 * then the operation.
 *
 * Seed: three agreements the seller proposed (ACTIVE, 1200.00 USD; ACTIVE, 120000.00
 * USD; one whose self-serve cancellation AWS refuses with ValidationException
 * UNSUPPORTED_ACTION), and two it did not: agmt-bought000000000001, which the seller's
 * own account bought (it is the acceptor), and agmt-other0000000000001, between two
 * other accounts. DescribeAgreement shows both (the fake does not hide the second as
 * AWS may); SearchAgreements keeps to the caller's party type; a seller operation on
 * either answers AccessDeniedException with reason INVALID_ACCESS (the reason AWS
 * gave when a buyer-side agreement was submitted; its message here is the fake's).
 * Cancellation requests wait in PENDING_APPROVAL until /_control/buyer answers;
 * billing adjustments stay PENDING until /_control/refund; cases stay "opened" until
 * /_control/case. Ids count up per kind (acr-fm00000000000001, ba-fm00000000000001,
 * case-123456789012-muen-<year>-5eed0001), so a test can predict them. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/fake_market_int.h"

#define NS_AGREEMENT "com.amazonaws.marketplaceagreement"
#define NS_SQS "com.amazonaws.sqs"
#define SELLER_ACCOUNT FM_SELLER_ACCOUNT  /* the bot's seller account */
#define CASE_ACCOUNT "123456789012"      /* the account in case ids the tests expect */
#define MAX_PAGE 100
#define DESCRIPTION_MAX 2000
#define MSG_MAX 16384                    /* mismatch messages quote the canonical request */

struct agreement {
    const char *id, *acceptor, *offer, *product, *product_type, *value, *currency;
    const char *proposer;                /* NULL: SELLER_ACCOUNT */
    int self_serve;                      /* 0: SendAgreementCancellationRequest refused */
    int64_t value_cents;
    char status[16];                     /* ACTIVE until the buyer approves a cancellation */
    int64_t adjusted_cents;              /* billing adjustments accepted so far */
    char *owned_id;                      /* --agreements: id points here, freed with us */
};

struct acr {                             /* an agreement cancellation request */
    char id[32], agreement[72], token[72], reason[40], status[24], message[160];
    char *description;
    double created, updated;
};

struct refund {                          /* a billing adjustment request */
    char id[32], agreement[72], token[72], invoice[80], amount[32], currency[8];
    char reason[40], status[24], message[160];
    char *description;
    double created, updated;
};

struct scase {
    char id[64], display_id[24], status[40], created[32];
    char *subject, *service_code, *category_code, *severity, *body, *language;
};

struct fm_aws {
    struct agreement *ag;                /* the seed, then --agreements N generated ones */
    size_t n_ag;
    struct acr *acrs;
    size_t n_acrs;
    struct refund *refunds;
    size_t n_refunds;
    struct scase *cases;
    size_t n_cases;
    json_t *sqs;                         /* queued SQS message bodies (strings) */
    long sqs_received, sqs_deleted, sqs_seq;
    json_t *send_calls;                  /* clientToken -> SendAgreementCancellationRequest calls */
    json_t *calls;                       /* operation -> calls with a good signature */
    long seq, sig_failures;
};

static const char *const cancel_reasons[] = {
    "INCORRECT_TERMS_ACCEPTED", "REPLACING_AGREEMENT", "TEST_AGREEMENT",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "PRODUCT_DISCONTINUED", "UNINTENDED_RENEWAL",
    "BUYER_DISSATISFACTION", "OTHER", NULL};
static const char *const refund_reasons[] = {
    "INCORRECT_TERMS_ACCEPTED", "INCORRECT_METERING", "TEST_ENVIRONMENT_CHARGES",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "UNINTENDED_RENEWAL", "BUYER_DISSATISFACTION",
    "OTHER", NULL};
static const char *const acr_statuses[] = {
    "PENDING_APPROVAL", "APPROVED", "REJECTED", "CANCELLED", "VALIDATION_FAILED", NULL};

/* 2025-01-15, 2027-01-15, and the day before the start: fixed, so answers are stable. */
static const double T_START = 1736899200.0, T_END = 1799971200.0, T_ACCEPTED = 1736812800.0;

static int in_list(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));   /* NULL unless a string */
}

static const char *or_else(const char *s, const char *dflt) { return s ? s : dflt; }

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* "120.5" or "120.50" -> 12050; -1 unless a positive amount with at most 2 decimals. */
static int64_t parse_cents(const char *s)
{
    int64_t whole = 0, frac = 0;
    int digits = 0;
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > 100000000000LL)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s) && digits < 3; s++, digits++)
            frac = frac * 10 + (*s - '0');
        if (digits == 0 || digits > 2)
            return -1;
    }
    if (*s)
        return -1;
    frac = digits == 1 ? frac * 10 : frac;
    return whole * 100 + frac > 0 ? whole * 100 + frac : -1;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- errors ------------------------------------------------------------------------ */

json_t *fm_aws_fail(struct fm_answer *a, const char *ns, int status, const char *type,
                    const char *fmt, ...)
{
    char *msg = fm_xrealloc(NULL, MSG_MAX), full[160], hdr[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, MSG_MAX, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s%s%s", ns ? ns : "", ns ? "#" : "", type);
    snprintf(hdr, sizeof hdr, "%s:http://internal.amazon.com/coral/%s/", type,
             ns ? ns : "com.amazon.coral.service");
    json_decref(a->body);
    a->status = status;
    a->body = json_pack("{s:s, s:s}", "__type", full, "message", msg);
    fm_answer_header(a, "X-Amzn-ErrorType", hdr);
    free(msg);
    return NULL;
}

/* ValidationException with its reason and, when one field is at fault, fields[]. */
__attribute__((format(printf, 4, 5)))
static json_t *invalid(struct fm_answer *a, const char *reason, const char *field,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fm_aws_fail(a, NS_AGREEMENT, 400, "ValidationException", "%s", msg);
    json_object_set_new(a->body, "reason", json_string(reason));
    if (field)
        json_object_set_new(a->body, "fields",
                            json_pack("[{s:s, s:s}]", "name", field, "message", msg));
    return NULL;
}

__attribute__((format(printf, 3, 4)))
static json_t *access_denied(struct fm_answer *a, const char *reason, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fm_aws_fail(a, NS_AGREEMENT, 403, "AccessDeniedException", "%s", msg);
    json_object_set_new(a->body, "reason", json_string(reason));
    return NULL;
}

static json_t *not_found(struct fm_answer *a, const char *type, const char *id)
{
    fm_aws_fail(a, NS_AGREEMENT, 404, "ResourceNotFoundException", "%s %s was not found.",
                type, id ? id : "(none)");
    json_object_set_new(a->body, "resourceId", json_string(id ? id : ""));
    json_object_set_new(a->body, "resourceType", json_string(type));
    return NULL;
}

static json_t *conflict(struct fm_answer *a, const char *type, const char *id, const char *msg)
{
    fm_aws_fail(a, NS_AGREEMENT, 409, "ConflictException", "%s", msg);
    json_object_set_new(a->body, "resourceId", json_string(id));
    json_object_set_new(a->body, "resourceType", json_string(type));
    return NULL;
}

/* ---- the Agreement API ------------------------------------------------------------ */

static struct agreement *agreement_find(struct fm_aws *s, const char *id)
{
    for (size_t i = 0; id && i < s->n_ag; i++)
        if (!strcmp(s->ag[i].id, id))
            return &s->ag[i];
    return NULL;
}

static json_t *agreement_json(const struct agreement *ag, int describe)
{
    json_t *o = json_pack("{s:s, s:{s:s}, s:{s:s}, s:f, s:f, s:f, s:s, s:{s:[{s:s, s:s}], s:s}, "
                          "s:s}", "agreementId", ag->id, "acceptor", "accountId", ag->acceptor,
                          "proposer", "accountId", or_else(ag->proposer, SELLER_ACCOUNT),
                          "startTime", T_START,
                          "endTime", T_END, "acceptanceTime", T_ACCEPTED, "agreementType",
                          "PurchaseAgreement", "proposalSummary", "resources", "id",
                          ag->product, "type", ag->product_type, "offerId", ag->offer,
                          "status", ag->status);
    if (describe)                    /* the model has estimatedCharges on Describe only */
        json_object_set_new(o, "estimatedCharges", json_pack("{s:s, s:s}", "currencyCode",
                            ag->currency, "agreementValue", ag->value));
    else
        json_object_set_new(o, "lastUpdateTime", json_real(T_ACCEPTED));
    return o;
}

static json_t *acr_json(const struct acr *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "agreementId", r->agreement,
                          "agreementCancellationRequestId", r->id, "status", r->status,
                          "reasonCode", r->reason, "createdAt", r->created, "updatedAt",
                          r->updated);
    if (r->description)
        json_object_set_new(o, "description", json_string(r->description));
    if (r->message[0])
        json_object_set_new(o, "statusMessage", json_string(r->message));
    return o;
}

/* maxResults (1..MAX_PAGE, else dflt) and nextToken ("fm-page-<offset>") into a
 * window of total items; 0, or -1 with the error in a. */
static int page(struct fm *f, const json_t *in, size_t total, size_t dflt, size_t *from,
                size_t *count, struct fm_answer *a)
{
    const json_t *mr = json_object_get(in, "maxResults");
    const char *tok = jstr(in, "nextToken");
    size_t max = dflt;
    unsigned long off = 0;
    char tail;
    if (mr && (!json_is_integer(mr) || json_integer_value(mr) < 1 ||
               json_integer_value(mr) > MAX_PAGE)) {
        invalid(a, "INVALID_MAX_RESULTS", "maxResults", "maxResults must be 1 to %d.", MAX_PAGE);
        return -1;
    }
    if (mr)
        max = (size_t)json_integer_value(mr);
    if (json_object_get(in, "nextToken") &&
        (!tok || sscanf(tok, "fm-page-%lu%c", &off, &tail) != 1 || off == 0 || off >= total)) {
        invalid(a, "INVALID_NEXT_TOKEN", "nextToken", "The nextToken is not valid.");
        return -1;
    }
    if (f->search_page_size && (size_t)f->search_page_size < max)
        max = (size_t)f->search_page_size;   /* AWS may answer fewer than asked */
    *from = off;
    *count = total - off < max ? total - off : max;
    return 0;
}

static void page_token(json_t *out, size_t from, size_t count, size_t total)
{
    char tok[40];
    if (from + count < total) {
        snprintf(tok, sizeof tok, "fm-page-%zu", from + count);
        json_object_set_new(out, "nextToken", json_string(tok));
    }
}

static json_t *op_describe(struct fm *f, json_t *in, struct fm_answer *a)
{
    const char *id = jstr(in, "agreementId");
    struct agreement *ag = agreement_find(f->aws, id);
    if (!id)
        return invalid(a, "MISSING_AGREEMENT_ID", "agreementId", "agreementId is required.");
    return ag ? agreement_json(ag, 1) : not_found(a, "Agreement", id);
}

/* 1 when ag passes one filter; -1 (error in a) for a filter this API does not know. */
static int filter_match(const struct agreement *ag, const char *name, const json_t *values,
                        int *party_acceptor, struct fm_answer *a)
{
    static const char *const ignored[] = {  /* known to AWS; not modelled by the fake */
        "BeforeEndTime", "AfterEndTime", "BeforeStartTime", "AfterStartTime",
        "BeforeLastUpdateTime", "AfterLastUpdateTime", "OfferSetId", "EndTimeBehaviorType",
        "EndTimeBehaviorReasonCode", "InitialAgreementId", "LicenseArn", NULL};
    const char *field = !strcmp(name, "AcceptorAccountId") ? ag->acceptor
                      : !strcmp(name, "OfferId") ? ag->offer
                      : !strcmp(name, "Status") ? ag->status
                      : !strcmp(name, "ResourceIdentifier") ? ag->product
                      : !strcmp(name, "ResourceType") ? ag->product_type
                      : !strcmp(name, "AgreementType") ? "PurchaseAgreement" : NULL;
    const json_t *v;
    size_t i;
    if (!strcmp(name, "PartyType")) {
        json_array_foreach(values, i, v) {
            if (!in_list((const char *const[]){"Proposer", "Acceptor", NULL},
                         json_string_value(v))) {
                invalid(a, "INVALID_PARTY_TYPE", "filters", "PartyType is Proposer or Acceptor.");
                return -1;
            }
            *party_acceptor = !strcmp(json_string_value(v), "Acceptor");
        }
        return 1;
    }
    if (in_list(ignored, name))
        return 1;
    if (!field) {
        invalid(a, "INVALID_FILTER_NAME", "filters", "Filter name %.64s is not supported.", name);
        return -1;
    }
    json_array_foreach(values, i, v)
        if (json_is_string(v) && !strcmp(json_string_value(v), field))
            return 1;
    return 0;
}

static json_t *op_search(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    const json_t *filters = json_object_get(in, "filters"), *flt;
    const struct agreement **hits;
    size_t n_hits = 0, kept, i, from, count;
    int has_type = 0, acceptor = 0;
    json_t *out, *list;
    if (json_object_get(in, "catalog") && !in_list((const char *const[]){"AWSMarketplace", NULL},
                                                   jstr(in, "catalog")))
        return invalid(a, "INVALID_CATALOG", "catalog", "catalog must be AWSMarketplace.");
    if (filters && !json_is_array(filters))
        return invalid(a, "INVALID_FILTERS", "filters", "filters must be a list.");
    json_array_foreach(filters, i, flt) {
        const json_t *values = json_object_get(flt, "values");
        if (!jstr(flt, "name") || !json_is_array(values) || !json_array_size(values))
            return invalid(a, "MISSING_FILTER_VALUES", "filters", "Each filter needs a name "
                           "and at least one value.");
        has_type |= !strcmp(jstr(flt, "name"), "AgreementType");
    }
    if (!has_type)                   /* the reference: AgreementType is required */
        return invalid(a, "INVALID_FILTERS", "filters", "The AgreementType filter is required.");
    hits = fm_xrealloc(NULL, s->n_ag * sizeof *hits);
    for (size_t k = 0; k < s->n_ag; k++) {
        int all = 1;
        json_array_foreach(filters, i, flt) {
            int m = filter_match(&s->ag[k], jstr(flt, "name"), json_object_get(flt, "values"),
                                 &acceptor, a);
            if (m < 0) {
                free(hits);
                return NULL;
            }
            all &= m;
        }
        if (all)
            hits[n_hits++] = &s->ag[k];
    }
    kept = 0;                        /* the caller's party: the seller's by default */
    for (size_t k = 0; k < n_hits; k++)
        if (!strcmp(acceptor ? hits[k]->acceptor : or_else(hits[k]->proposer, SELLER_ACCOUNT),
                    SELLER_ACCOUNT))
            hits[kept++] = hits[k];
    n_hits = kept;
    if (page(f, in, n_hits, 20, &from, &count, a)) {
        free(hits);
        return NULL;
    }
    list = json_array();
    for (i = from; i < from + count; i++)
        json_array_append_new(list, agreement_json(hits[i], 0));
    free(hits);
    out = json_pack("{s:o}", "agreementViewSummaries", list);
    page_token(out, from, count, n_hits);
    return out;
}

static int token_ok(const char *t)
{
    size_t n = strlen(t);
    return n >= 1 && n <= 64 && strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-") == n;
}

static json_t *op_send_cancel(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    const char *id = jstr(in, "agreementId"), *reason = jstr(in, "reasonCode");
    const char *desc = jstr(in, "description"), *tok = jstr(in, "clientToken");
    struct agreement *ag;
    struct acr *r;
    if (!id)
        return invalid(a, "MISSING_AGREEMENT_ID", "agreementId", "agreementId is required.");
    if (!reason)
        return invalid(a, "MISSING_REASON_CODE", "reasonCode", "reasonCode is required.");
    if (!in_list(cancel_reasons, reason))
        return invalid(a, "INVALID_REASON_CODE", "reasonCode", "reasonCode %.64s is not valid.",
                       reason);
    if (json_object_get(in, "description") &&
        (!desc || !*desc || utf8_chars(desc) > DESCRIPTION_MAX))
        return invalid(a, "INVALID_DESCRIPTION", "description", "description must be 1 to %d "
                       "characters.", DESCRIPTION_MAX);
    if (json_object_get(in, "clientToken") && (!tok || !token_ok(tok)))
        return invalid(a, "INVALID_CLIENT_TOKEN", "clientToken", "clientToken must be 1 to 64 "
                       "letters, digits or '-'.");
    for (size_t i = 0; tok && i < s->n_acrs; i++) {
        if (strcmp(s->acrs[i].token, tok))
            continue;
        if (strcmp(s->acrs[i].agreement, id))   /* a token names one request */
            return conflict(a, "AgreementCancellationRequest", s->acrs[i].id, "The clientToken "
                            "was already used for a request on another agreement.");
        return acr_json(&s->acrs[i]);           /* idempotent: the same request again */
    }
    if (!(ag = agreement_find(s, id)))
        return not_found(a, "Agreement", id);
    if (ag->proposer && strcmp(ag->proposer, SELLER_ACCOUNT))
        return access_denied(a, "INVALID_ACCESS", "The caller is not authorized to send a "
                             "cancellation request for agreement %s.", id);
    if (!ag->self_serve)
        return invalid(a, "UNSUPPORTED_ACTION", NULL, "Self-service cancellation is not "
                       "supported for agreement %s. Contact AWS Marketplace Seller Operations.",
                       id);
    if (strcmp(ag->status, "ACTIVE"))
        return invalid(a, "INACTIVE_AGREEMENT", "agreementId", "Agreement %s is %s, not ACTIVE.",
                       id, ag->status);
    for (size_t i = 0; i < s->n_acrs; i++)
        if (!strcmp(s->acrs[i].agreement, id) && !strcmp(s->acrs[i].status, "PENDING_APPROVAL"))
            return conflict(a, "AgreementCancellationRequest", s->acrs[i].id, "A cancellation "
                            "request for this agreement is already pending approval.");
    s->acrs = fm_xrealloc(s->acrs, (s->n_acrs + 1) * sizeof *s->acrs);
    r = memset(&s->acrs[s->n_acrs++], 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "acr-fm%014zu", s->n_acrs);
    copy(r->agreement, sizeof r->agreement, id);
    copy(r->token, sizeof r->token, tok);
    copy(r->reason, sizeof r->reason, reason);
    copy(r->status, sizeof r->status, "PENDING_APPROVAL");
    r->description = desc ? fm_xstrdup(desc) : NULL;
    r->created = r->updated = fm_wall_s();
    return acr_json(r);
}

/* The request named in "agreementCancellationRequestId" of the agreement in
 * "agreementId"; NULL with the error in a. */
static struct acr *acr_lookup(struct fm *f, json_t *in, struct fm_answer *a)
{
    const char *id = jstr(in, "agreementId"), *rid = jstr(in, "agreementCancellationRequestId");
    if (!id)
        return invalid(a, "MISSING_AGREEMENT_ID", "agreementId", "agreementId is required."),
               NULL;
    if (!rid)
        return invalid(a, "MISSING_AGREEMENT_CANCELLATION_REQUEST_ID",
                       "agreementCancellationRequestId",
                       "agreementCancellationRequestId is required."), NULL;
    if (!agreement_find(f->aws, id))
        return not_found(a, "Agreement", id), NULL;
    for (size_t i = 0; i < f->aws->n_acrs; i++)
        if (!strcmp(f->aws->acrs[i].id, rid) && !strcmp(f->aws->acrs[i].agreement, id))
            return &f->aws->acrs[i];
    return not_found(a, "AgreementCancellationRequest", rid), NULL;
}

static json_t *op_get_cancel(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct acr *r = acr_lookup(f, in, a);
    return r ? acr_json(r) : NULL;
}

static json_t *op_withdraw_cancel(struct fm *f, json_t *in, struct fm_answer *a)
{
    const char *why = jstr(in, "cancellationReason");
    struct acr *r = acr_lookup(f, in, a);
    if (!r)
        return NULL;
    if (!why || !*why || utf8_chars(why) > DESCRIPTION_MAX)
        return invalid(a, why ? "INVALID_REASON" : "MISSING_REASON", "cancellationReason",
                       "cancellationReason must be 1 to %d characters.", DESCRIPTION_MAX);
    if (strcmp(r->status, "PENDING_APPROVAL"))
        return conflict(a, "AgreementCancellationRequest", r->id, "Only a request in "
                        "PENDING_APPROVAL can be cancelled.");
    copy(r->status, sizeof r->status, "CANCELLED");
    r->updated = fm_wall_s();
    return acr_json(r);
}

static json_t *op_list_cancels(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    const char *party = jstr(in, "partyType"), *id = jstr(in, "agreementId");
    const char *status = jstr(in, "status");
    size_t *hits = fm_xrealloc(NULL, (s->n_acrs + 1) * sizeof *hits), n = 0, from, count;
    json_t *out = NULL, *items;
    if (!party)
        invalid(a, "MISSING_PARTY_TYPE", "partyType", "partyType is required.");
    else if (!in_list((const char *const[]){"Proposer", "Acceptor", NULL}, party))
        invalid(a, "INVALID_PARTY_TYPE", "partyType", "partyType is Proposer or Acceptor.");
    else if (json_object_get(in, "status") && !in_list(acr_statuses, status))
        invalid(a, "INVALID_STATUS", "status", "status is not a cancellation request status.");
    else {
        for (size_t i = 0; !strcmp(party, "Proposer") && i < s->n_acrs; i++)
            if ((!id || !strcmp(id, s->acrs[i].agreement)) &&
                (!status || !strcmp(status, s->acrs[i].status)))
                hits[n++] = i;
        if (!page(f, in, n, 20, &from, &count, a)) {
            items = json_array();
            for (size_t i = from; i < from + count; i++) {
                const struct acr *r = &s->acrs[hits[i]];
                json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}",
                                      "agreementCancellationRequestId", r->id, "agreementId",
                                      r->agreement, "status", r->status, "reasonCode", r->reason,
                                      "agreementType", "PurchaseAgreement", "catalog",
                                      "AWSMarketplace", "createdAt", r->created, "updatedAt",
                                      r->updated));
            }
            out = json_pack("{s:o}", "items", items);
            page_token(out, from, count, n);
        }
    }
    free(hits);
    return out;
}

static json_t *refund_json(const struct refund *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}",
                          "billingAdjustmentRequestId", r->id, "agreementId", r->agreement,
                          "adjustmentReasonCode", r->reason, "originalInvoiceId", r->invoice,
                          "adjustmentAmount", r->amount, "currencyCode", r->currency, "status",
                          r->status, "createdAt", r->created, "updatedAt", r->updated);
    if (r->description)
        json_object_set_new(o, "description", json_string(r->description));
    if (r->message[0])
        json_object_set_new(o, "statusMessage", json_string(r->message));
    return o;
}

/* One entry of a batch: its billing adjustment request, or the words of its error
 * (code in *code). Accepted entries count against the agreement's value. */
static struct refund *refund_entry(struct fm_aws *s, const json_t *e, const char **code,
                                   char *why, size_t cap)
{
    const char *id = jstr(e, "agreementId"), *inv = jstr(e, "originalInvoiceId");
    const char *amt = jstr(e, "adjustmentAmount"), *cur = jstr(e, "currencyCode");
    const char *reason = jstr(e, "adjustmentReasonCode"), *tok = jstr(e, "clientToken");
    const char *desc = jstr(e, "description");
    struct agreement *ag;
    struct refund *r;
    int64_t cents = parse_cents(amt);
    *code = "VALIDATION_EXCEPTION";
    if (!id || !inv || !amt || !cur || !reason || !tok) {
        snprintf(why, cap, "agreementId, originalInvoiceId, adjustmentAmount, currencyCode, "
                 "adjustmentReasonCode and clientToken are required.");
        return NULL;
    }
    for (size_t i = 0; i < s->n_refunds; i++)
        if (!strcmp(s->refunds[i].token, tok))
            return &s->refunds[i];   /* idempotent: the same request again */
    if (!token_ok(tok))
        snprintf(why, cap, "clientToken must be 1 to 64 letters, digits or '-'.");
    else if (!in_list(refund_reasons, reason))
        snprintf(why, cap, "adjustmentReasonCode %.64s is not valid.", reason);
    else if (cents <= 0)
        snprintf(why, cap, "adjustmentAmount %.32s is not a positive amount with at most two "
                 "decimals (INVALID_ADJUSTMENT_AMOUNT).", amt);
    else if (desc && utf8_chars(desc) > DESCRIPTION_MAX)
        snprintf(why, cap, "description must be at most %d characters.", DESCRIPTION_MAX);
    else if (!(ag = agreement_find(s, id))) {
        *code = "RESOURCE_NOT_FOUND_EXCEPTION";
        snprintf(why, cap, "Agreement %.64s was not found.", id);
    } else if (strcmp(cur, ag->currency))
        snprintf(why, cap, "currencyCode %.8s does not match the agreement's %s "
                 "(INVALID_CURRENCY_CODE).", cur, ag->currency);
    else if (ag->adjusted_cents + cents > ag->value_cents)
        snprintf(why, cap, "adjustmentAmount %.32s exceeds what agreement %s can still be "
                 "adjusted by: %lld.%02lld %s (EXCEEDED_MAXIMUM_ADJUSTMENT_AMOUNT).", amt, id,
                 (long long)((ag->value_cents - ag->adjusted_cents) / 100),
                 (long long)((ag->value_cents - ag->adjusted_cents) % 100), ag->currency);
    else {
        for (size_t i = 0; i < s->n_refunds; i++)
            if (!strcmp(s->refunds[i].invoice, inv) && !strcmp(s->refunds[i].status, "PENDING")) {
                *code = "CONFLICT_EXCEPTION";
                snprintf(why, cap, "A billing adjustment request for invoice %.64s is already "
                         "pending.", inv);
                return NULL;
            }
        ag->adjusted_cents += cents;
        s->refunds = fm_xrealloc(s->refunds, (s->n_refunds + 1) * sizeof *s->refunds);
        r = memset(&s->refunds[s->n_refunds++], 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "ba-fm%014zu", s->n_refunds);
        copy(r->agreement, sizeof r->agreement, id);
        copy(r->token, sizeof r->token, tok);
        copy(r->invoice, sizeof r->invoice, inv);
        snprintf(r->amount, sizeof r->amount, "%lld.%02lld", (long long)(cents / 100),
                 (long long)(cents % 100));
        copy(r->currency, sizeof r->currency, cur);
        copy(r->reason, sizeof r->reason, reason);
        copy(r->status, sizeof r->status, "PENDING");
        r->description = desc ? fm_xstrdup(desc) : NULL;
        r->created = r->updated = fm_wall_s();
        return r;
    }
    return NULL;
}

static json_t *op_create_refunds(struct fm *f, json_t *in, struct fm_answer *a)
{
    const json_t *entries = json_object_get(in, "billingAdjustmentRequestEntries"), *e;
    json_t *items, *errors;
    size_t i;
    if (!json_is_array(entries) || !json_array_size(entries))
        return invalid(a, "MISSING_BILLING_ADJUSTMENT_REQUEST_ENTRY",
                       "billingAdjustmentRequestEntries", "At least one entry is required.");
    items = json_array();
    errors = json_array();
    json_array_foreach(entries, i, e) {
        const char *code;
        char why[400];
        struct refund *r = refund_entry(f->aws, e, &code, why, sizeof why);
        if (r)
            json_array_append_new(items, json_pack("{s:s, s:s}", "billingAdjustmentRequestId",
                                                   r->id, "clientToken", r->token));
        else
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s?}", "code", code, "message",
                                                    why, "clientToken", jstr(e, "clientToken")));
    }
    return json_pack("{s:o, s:o}", "items", items, "errors", errors);
}

static json_t *op_get_refund(struct fm *f, json_t *in, struct fm_answer *a)
{
    const char *id = jstr(in, "agreementId"), *rid = jstr(in, "billingAdjustmentRequestId");
    if (!id)
        return invalid(a, "MISSING_AGREEMENT_ID", "agreementId", "agreementId is required.");
    if (!rid)
        return invalid(a, "OTHER", "billingAdjustmentRequestId",
                       "billingAdjustmentRequestId is required.");
    if (!agreement_find(f->aws, id))
        return not_found(a, "Agreement", id);
    for (size_t i = 0; i < f->aws->n_refunds; i++)
        if (!strcmp(f->aws->refunds[i].id, rid) && !strcmp(f->aws->refunds[i].agreement, id))
            return refund_json(&f->aws->refunds[i]);
    return not_found(a, "BillingAdjustmentRequest", rid);
}

/* ---- the Support API ------------------------------------------------------------------ */

static json_t *case_json(const struct scase *c, int communications)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:s}",
                          "caseId", c->id, "displayId", c->display_id, "subject", c->subject,
                          "status", c->status, "serviceCode", c->service_code, "categoryCode",
                          c->category_code, "severityCode", c->severity, "submittedBy",
                          "seller-ops@example.com", "timeCreated", c->created,
                          "ccEmailAddresses", "language", c->language);
    if (communications)
        json_object_set_new(o, "recentCommunications", json_pack("{s:[{s:s, s:s, s:s, s:s, s:[]}]}",
                            "communications", "caseId", c->id, "body", c->body, "submittedBy",
                            "seller-ops@example.com", "timeCreated", c->created,
                            "attachmentSet"));
    return o;
}

static json_t *op_create_case(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    const char *subject = jstr(in, "subject"), *body = jstr(in, "communicationBody");
    struct scase *c;
    struct tm tm;
    time_t now = (time_t)fm_wall_s();
    if (!subject || !*subject || !body || !*body)
        return fm_aws_fail(a, NULL, 400, "ValidationException",
                           "subject and communicationBody are required.");
    gmtime_r(&now, &tm);
    s->cases = fm_xrealloc(s->cases, (s->n_cases + 1) * sizeof *s->cases);
    c = memset(&s->cases[s->n_cases++], 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "case-" CASE_ACCOUNT "-muen-%04d-%08zx", tm.tm_year + 1900,
             0x5eed0000u + s->n_cases);
    snprintf(c->display_id, sizeof c->display_id, "%zu", 1000000000u + s->n_cases);
    copy(c->status, sizeof c->status, "opened");
    strftime(c->created, sizeof c->created, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    c->subject = fm_xstrdup(subject);
    c->body = fm_xstrdup(body);
    c->service_code = fm_xstrdup(or_else(jstr(in, "serviceCode"), "general-info"));
    c->category_code = fm_xstrdup(or_else(jstr(in, "categoryCode"), "other"));
    c->severity = fm_xstrdup(or_else(jstr(in, "severityCode"), "low"));
    c->language = fm_xstrdup(or_else(jstr(in, "language"), "en"));
    return json_pack("{s:s}", "caseId", c->id);
}

static json_t *op_describe_cases(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    const json_t *ids = json_object_get(in, "caseIdList"), *v;
    const char *display = jstr(in, "displayId");
    int resolved = json_is_true(json_object_get(in, "includeResolvedCases"));
    int comms = !json_is_false(json_object_get(in, "includeCommunications"));
    size_t *hits = fm_xrealloc(NULL, (s->n_cases + 1) * sizeof *hits), n = 0, i, from, count;
    json_t *out = NULL, *list;
    json_array_foreach(ids, i, v) {  /* every id asked for must exist */
        size_t k = 0;
        while (k < s->n_cases &&
               (!json_is_string(v) || strcmp(s->cases[k].id, json_string_value(v))))
            k++;
        if (k == s->n_cases) {
            fm_aws_fail(a, NULL, 400, "CaseIdNotFound", "Case %.80s was not found.",
                        json_is_string(v) ? json_string_value(v) : "?");
            goto out;
        }
    }
    for (size_t k = 0; k < s->n_cases; k++) {
        int asked = !json_array_size(ids);
        json_array_foreach(ids, i, v)
            asked |= !strcmp(s->cases[k].id, json_string_value(v));
        /* resolved cases are left out unless asked for: the API's default, easy to miss */
        if (asked && (!display || !strcmp(display, s->cases[k].display_id)) &&
            (resolved || strcmp(s->cases[k].status, "resolved")))
            hits[n++] = k;
    }
    if (page(f, in, n, MAX_PAGE, &from, &count, a))
        goto out;
    list = json_array();
    for (i = from; i < from + count; i++)
        json_array_append_new(list, case_json(&s->cases[hits[i]], comms));
    out = json_pack("{s:o}", "cases", list);
    page_token(out, from, count, n);
out:
    free(hits);
    return out;
}

/* ---- SQS: the queue EventBridge would fill (awsJson1_0, AmazonSQS.<Op>) ---------------- */

/* ReceiveMessage answers at once with what is queued (no 20 s wait: a fake need not
 * hold the line); what it hands out leaves the queue, as if never made visible again. */
static json_t *op_sqs_receive(struct fm *f, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    json_t *msgs = json_array();
    (void)in;
    (void)a;
    while (s->sqs && json_array_size(s->sqs) && json_array_size(msgs) < 10) {
        char id[48], handle[64];
        snprintf(id, sizeof id, "m-%ld", ++s->sqs_seq);
        snprintf(handle, sizeof handle, "rh-%ld", s->sqs_seq);
        json_array_append_new(msgs, json_pack("{s:s, s:s, s:O}", "MessageId", id,
                                              "ReceiptHandle", handle, "Body",
                                              json_array_get(s->sqs, 0)));
        json_array_remove(s->sqs, 0);
        s->sqs_received++;
    }
    if (!json_array_size(msgs)) {
        json_decref(msgs);
        return json_object();
    }
    return json_pack("{s:o}", "Messages", msgs);
}

static json_t *op_sqs_delete(struct fm *f, json_t *in, struct fm_answer *a)
{
    json_t *ok = json_array(), *e;
    size_t i;
    (void)a;
    json_array_foreach(json_object_get(in, "Entries"), i, e) {
        f->aws->sqs_deleted++;
        json_array_append_new(ok, json_pack("{s:O}", "Id", json_object_get(e, "Id")));
    }
    return json_pack("{s:o, s:[]}", "Successful", ok, "Failed");
}

/* ---- dispatch ------------------------------------------------------------------------ */

typedef json_t *(*op_fn)(struct fm *f, json_t *in, struct fm_answer *a);

static const struct op { const char *name; op_fn fn; } agreement_ops[] = {
    {"DescribeAgreement", op_describe},
    {"SearchAgreements", op_search},
    {"SendAgreementCancellationRequest", op_send_cancel},
    {"GetAgreementCancellationRequest", op_get_cancel},
    {"ListAgreementCancellationRequests", op_list_cancels},
    {"CancelAgreementCancellationRequest", op_withdraw_cancel},
    {"BatchCreateBillingAdjustmentRequest", op_create_refunds},
    {"GetBillingAdjustmentRequest", op_get_refund},
    {NULL, NULL},
}, support_ops[] = {
    {"CreateCase", op_create_case},
    {"DescribeCases", op_describe_cases},
    {NULL, NULL},
}, sqs_ops[] = {
    {"ReceiveMessage", op_sqs_receive},
    {"DeleteMessageBatch", op_sqs_delete},
    {NULL, NULL},
};

/* An SQS error as the JSON protocol answers it: __type in SQS's namespace (or the
 * service-wide one for AccessDenied), its message, and the x-amzn-query-error header
 * that maps it back to the query protocol's code. --fail ReceiveMessage:403:
 * AccessDenied:N, ...:400:QueueDoesNotExist:N, ...:500:InternalError:N. */
static void sqs_fail(struct fm_answer *a, const struct fm_fault *ft)
{
    static const struct {
        const char *type, *full, *query, *message;
    } known[] = {
        {"AccessDenied", "com.amazon.coral.service#AccessDeniedException", "AccessDenied;Sender",
         "User: arn:aws:iam::123456789012:user/seller is not authorized to perform: "
         "sqs:receivemessage on resource: arn:aws:sqs:us-east-1:123456789012:cancelbot-events "
         "because no identity-based policy allows the sqs:receivemessage action"},
        {"QueueDoesNotExist", NS_SQS "#QueueDoesNotExist",
         "AWS.SimpleQueueService.NonExistentQueue;Sender", "The specified queue does not exist."},
        {"InternalError", NS_SQS "#InternalError", "InternalError;Receiver",
         "We encountered an internal error. Please try again."},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(ft->type, known[i].type))
            continue;
        fm_aws_fail(a, NULL, (int)ft->status, known[i].full, "%s", known[i].message);
        fm_answer_header(a, "x-amzn-query-error", known[i].query);
        return;
    }
    fm_aws_fail(a, strchr(ft->type, '#') ? NULL : NS_SQS, (int)ft->status, ft->type,
                "Injected by fake_market --fail.");
}

int fm_aws_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    int support = !strncmp(c->target, SUPPORT_PREFIX, strlen(SUPPORT_PREFIX));
    int sqs = !strncmp(c->target, "AmazonSQS.", 10);
    const char *opname = strchr(c->target, '.') ? strchr(c->target, '.') + 1 : c->target;
    const struct op *op = sqs ? sqs_ops : support ? support_ops : agreement_ops;
    const json_t *e0;
    json_t *in, *out;
    struct fm_fault ft;
    char rid[48];
    if (strcmp(c->path, "/") || strcmp(c->method, "POST") || !c->target[0])
        return 0;
    a->service = sqs ? "sqs" : support ? "support" : "aws";
    a->content_type = support ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0";
    snprintf(a->operation, sizeof a->operation, "%.95s", opname);
    snprintf(rid, sizeof rid, "fa4e0000-0000-4000-8000-%012ld", ++s->seq);
    fm_answer_header(a, "x-amzn-RequestId", rid);
    a->log_extra = json_pack("{s:s}", "request_id", rid);
    in = json_loadb(c->body ? c->body : "", c->body_len, 0, NULL);
    a->log_body = json_is_object(in) ? json_incref(in) : NULL;
    /* a token (of a batch: its first entry's) makes log lines easy to pick out */
    e0 = json_array_get(json_object_get(in, "billingAdjustmentRequestEntries"), 0);
    copy(a->client_token, sizeof a->client_token,
         or_else(jstr(in, "clientToken"), jstr(e0, "clientToken")));
    a->sig_ok = fm_sigv4_verify(f, c, sqs ? "sqs" : support ? "support" : "aws-marketplace",
                                support ? "us-east-1" : NULL, a);   /* Support is global */
    if (!a->sig_ok) {
        s->sig_failures++;
        goto out;
    }
    if (!strcmp(opname, "SendAgreementCancellationRequest") && !support)
        fm_count(s->send_calls, a->client_token[0] ? a->client_token : "(none)");
    if (f->slow_op && !strcmp(f->slow_op, opname) && f->slow_left != 0) {
        if (f->slow_left > 0)
            f->slow_left--;
        struct timespec ts = {f->slow_ms / 1000, (f->slow_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    fm_count(s->calls, opname);
    while (op->name && strcmp(op->name, opname))
        op++;
    if (!op->name || (!sqs && strncmp(c->target, support ? SUPPORT_PREFIX : AGREEMENT_PREFIX,
                                      strlen(support ? SUPPORT_PREFIX : AGREEMENT_PREFIX)))) {
        fm_aws_fail(a, NULL, 400, "UnknownOperationException", "Unknown operation %.96s.",
                    c->target);
    } else if (support && f->no_support_plan) {
        fm_aws_fail(a, NULL, 400, "SubscriptionRequiredException", "Amazon Web Services "
                    "Premium Support Subscription is required to use this service.");
    } else if (fm_fault_take(f, opname, &ft)) {
        if (!ft.type)                /* a throttle: the model says 429; Support says 400 */
            fm_aws_fail(a, support ? NULL : NS_AGREEMENT, support ? 400 : 429,
                        "ThrottlingException", "Rate exceeded");
        else if (sqs)
            sqs_fail(a, &ft);
        else
            fm_aws_fail(a, strchr(ft.type, '#') || support ? NULL : NS_AGREEMENT,
                        (int)ft.status, ft.type, "Injected by fake_market --fail.");
    } else if (!json_is_object(in)) {
        fm_aws_fail(a, NULL, 400, "SerializationException",
                    "The request body is not a JSON object.");
    } else if ((out = op->fn(f, in, a))) {
        a->status = 200;
        json_decref(a->body);
        a->body = out;
    }
out:
    json_decref(in);
    return 1;
}

/* ---- control ------------------------------------------------------------------------- */

static void control_reply(struct fm_answer *a, int status, json_t *body)
{
    a->status = status;
    a->body = body;
}

int fm_aws_control(struct fm *f, const char *name, json_t *in, struct fm_answer *a)
{
    struct fm_aws *s = f->aws;
    if (!strcmp(name, "sqs")) {      /* EventBridge delivers an event to the queue */
        json_t *ev = json_object_get(in, "event");
        char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        if (!text) {
            control_reply(a, 400, json_pack("{s:s}", "error", "event (an object) is required"));
            return 1;
        }
        if (!s->sqs)
            s->sqs = json_array();
        json_array_append_new(s->sqs, json_string(text));
        free(text);
        control_reply(a, 200, json_pack("{s:b}", "ok", 1));
        return 1;
    }
    if (!strcmp(name, "buyer")) {    /* the buyer answers a cancellation request */
        const char *id = jstr(in, "requestId"), *ans = jstr(in, "answer");
        for (size_t i = 0; id && i < s->n_acrs; i++) {
            struct acr *r = &s->acrs[i];
            if (strcmp(r->id, id))
                continue;
            if (!in_list((const char *const[]){"APPROVED", "REJECTED", "VALIDATION_FAILED", NULL},
                         ans))
                control_reply(a, 400, json_pack("{s:s}", "error", "answer is APPROVED, "
                                                 "REJECTED or VALIDATION_FAILED"));
            else if (strcmp(r->status, "PENDING_APPROVAL"))
                control_reply(a, 409, json_pack("{s:s, s:s}", "error", "not pending", "status",
                                                 r->status));
            else {
                copy(r->status, sizeof r->status, ans);
                if (!strcmp(ans, "VALIDATION_FAILED"))
                    copy(r->message, sizeof r->message, "The agreement could not be cancelled.");
                if (!strcmp(ans, "APPROVED"))
                    copy(agreement_find(s, r->agreement)->status, sizeof s->ag->status,
                         "CANCELLED");
                r->updated = fm_wall_s();
                control_reply(a, 200, acr_json(r));
            }
            return 1;
        }
        control_reply(a, 404, json_pack("{s:s}", "error", "no such requestId"));
        return 1;
    }
    if (!strcmp(name, "refund")) {   /* AWS finishes a billing adjustment */
        const char *id = jstr(in, "billingAdjustmentRequestId"), *st = jstr(in, "status");
        for (size_t i = 0; id && i < s->n_refunds; i++) {
            if (strcmp(s->refunds[i].id, id))
                continue;
            if (!in_list((const char *const[]){"COMPLETED", "VALIDATION_FAILED", NULL}, st))
                control_reply(a, 400, json_pack("{s:s}", "error", "status is COMPLETED or "
                                                 "VALIDATION_FAILED"));
            else {
                copy(s->refunds[i].status, sizeof s->refunds[i].status, st);
                if (!strcmp(st, "VALIDATION_FAILED"))
                    copy(s->refunds[i].message, sizeof s->refunds[i].message,
                         "The invoice could not be adjusted.");
                s->refunds[i].updated = fm_wall_s();
                control_reply(a, 200, refund_json(&s->refunds[i]));
            }
            return 1;
        }
        control_reply(a, 404, json_pack("{s:s}", "error", "no such billingAdjustmentRequestId"));
        return 1;
    }
    if (!strcmp(name, "case")) {     /* AWS Support works a case */
        const char *id = jstr(in, "caseId"), *st = jstr(in, "status");
        for (size_t i = 0; id && i < s->n_cases; i++) {
            if (strcmp(s->cases[i].id, id))
                continue;
            if (!st || !*st)
                control_reply(a, 400, json_pack("{s:s}", "error", "status is required"));
            else {
                copy(s->cases[i].status, sizeof s->cases[i].status, st);
                control_reply(a, 200, case_json(&s->cases[i], 0));
            }
            return 1;
        }
        control_reply(a, 404, json_pack("{s:s}", "error", "no such caseId"));
        return 1;
    }
    return 0;
}

/* ---- lifetime and stats ----------------------------------------------------------------- */

struct fm_aws *fm_aws_new(void)
{
    static const struct agreement seed[] = {
        {"agmt-1a2b3c4d5e6f7g8h9i0j", "123456789012", "offer-9x8y7w6v5u4t", "prod-fm0saas00001",
         "SaaSProduct", "1200.00", "USD", NULL, 1, 120000, "ACTIVE", 0, NULL},
        {"agmt-big0000000000000001", "123456789012", "offer-big0000000001", "prod-fm0saas00001",
         "SaaSProduct", "120000.00", "USD", NULL, 1, 12000000, "ACTIVE", 0, NULL},
        {"agmt-private000000000001", "210000000001", "offer-private0000001", "prod-fm0ami000001",
         "AmiProduct", "5000.00", "USD", NULL, 0, 500000, "ACTIVE", 0, NULL},
        {"agmt-bought000000000001", SELLER_ACCOUNT, "offer-vendor00000001", "prod-fm0vendor0001",
         "SaaSProduct", "3000.00", "USD", "444455556666", 1, 300000, "ACTIVE", 0, NULL},
        {"agmt-other0000000000001", "123456789012", "offer-other000000001", "prod-fm0other00001",
         "SaaSProduct", "900.00", "USD", "777788889999", 1, 90000, "ACTIVE", 0, NULL},
    };
    struct fm_aws *s = fm_xrealloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->n_ag = sizeof seed / sizeof seed[0];
    s->ag = memcpy(fm_xrealloc(NULL, sizeof seed), seed, sizeof seed);
    s->send_calls = json_object();
    s->calls = json_object();
    return s;
}

/* --agreements N: agmt-rep0000000000000001 ... of one buyer account of their own,
 * proposed by the seller and self-serve, so that each flow of a load test (the
 * multi-replica test) cancels an agreement of its own. */
void fm_aws_add_agreements(struct fm_aws *s, long n)
{
    static const struct agreement tmpl = {
        NULL, "300000000001", "offer-rep0000000001", "prod-fm0saas00001", "SaaSProduct",
        "1200.00", "USD", NULL, 1, 120000, "ACTIVE", 0, NULL};
    s->ag = fm_xrealloc(s->ag, (s->n_ag + (size_t)n) * sizeof *s->ag);
    for (long i = 1; i <= n; i++) {
        struct agreement *ag = &s->ag[s->n_ag++];
        char id[32];
        *ag = tmpl;
        snprintf(id, sizeof id, "agmt-rep%016ld", i);
        ag->id = ag->owned_id = fm_xstrdup(id);
    }
}

void fm_aws_free(struct fm_aws *s)
{
    if (s)
        json_decref(s->sqs);
    if (!s)
        return;
    for (size_t i = 0; i < s->n_acrs; i++)
        free(s->acrs[i].description);
    for (size_t i = 0; i < s->n_refunds; i++)
        free(s->refunds[i].description);
    for (size_t i = 0; i < s->n_cases; i++) {
        struct scase *c = &s->cases[i];
        free(c->subject);
        free(c->body);
        free(c->service_code);
        free(c->category_code);
        free(c->severity);
        free(c->language);
    }
    for (size_t i = 0; i < s->n_ag; i++)
        free(s->ag[i].owned_id);
    free(s->ag);
    free(s->acrs);
    free(s->refunds);
    free(s->cases);
    json_decref(s->send_calls);
    json_decref(s->calls);
    free(s);
}

void fm_aws_stats(const struct fm *f, json_t *stats)
{
    const struct fm_aws *s = f->aws;
    json_object_set(stats, "send_calls", s->send_calls);
    json_object_set(stats, "aws_calls", s->calls);
    json_object_set_new(stats, "requests", json_integer((json_int_t)s->n_acrs));
    json_object_set_new(stats, "billing_adjustments", json_integer((json_int_t)s->n_refunds));
    json_object_set_new(stats, "support_cases", json_integer((json_int_t)s->n_cases));
    json_object_set_new(stats, "sig_failures", json_integer(s->sig_failures));
    json_object_set_new(stats, "sqs_received", json_integer(s->sqs_received));
    json_object_set_new(stats, "sqs_deleted", json_integer(s->sqs_deleted));
}
