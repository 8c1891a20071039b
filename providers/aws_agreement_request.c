/* providers/aws_agreement_request.c -- what the "aws" provider sends to the AWS
 * Marketplace Agreement API (awsJson1_0): the checks made before anything goes out,
 * so that a bad field is refused with a sentence naming it and no request, and the
 * JSON body of each operation.
 *
 * Member names and enums follow the service model shipped in
 * @aws-sdk/client-marketplace-agreement 3.1164.0 (its schemas and typings); lengths
 * and patterns follow the API reference. Where this file guesses, the comment says
 * so. Pure: no I/O, clock or environment. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "providers/aws_agreement_int.h"

/* CancellationReasonCode and BillingAdjustmentReasonCode in the model. */
static const char *const cancel_reasons[] = {
    "INCORRECT_TERMS_ACCEPTED", "REPLACING_AGREEMENT", "TEST_AGREEMENT",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "PRODUCT_DISCONTINUED", "UNINTENDED_RENEWAL",
    "BUYER_DISSATISFACTION", "OTHER", NULL};
static const char *const refund_reasons[] = {
    "INCORRECT_TERMS_ACCEPTED", "INCORRECT_METERING", "TEST_ENVIRONMENT_CHARGES",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "UNINTENDED_RENEWAL", "BUYER_DISSATISFACTION",
    "OTHER", NULL};

const char *aws_op_name(enum aws_op op)
{
    switch (op) {
    case AWS_OP_DESCRIBE:        return "DescribeAgreement";
    case AWS_OP_SEARCH:          return "SearchAgreements";
    case AWS_OP_SEND_CANCEL:     return "SendAgreementCancellationRequest";
    case AWS_OP_GET_CANCEL:      return "GetAgreementCancellationRequest";
    case AWS_OP_WITHDRAW_CANCEL: return "CancelAgreementCancellationRequest";
    case AWS_OP_CREATE_REFUND:   return "BatchCreateBillingAdjustmentRequest";
    case AWS_OP_GET_REFUND:      return "GetBillingAdjustmentRequest";
    }
    return "?";
}

__attribute__((format(printf, 3, 4)))
static int refuse(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return PROVIDER_E_INVALID;
}

/* ---- checks before sending ----------------------------------------------------- */

/* min..max characters, each a letter, a digit or one of extra. */
static int word(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr(extra, s[n]))
            return 0;
    return n >= min && n <= max;
}

/* Characters (code points) in s, or -1 when s is not UTF-8 or holds a control
 * character other than tab and line breaks (JSON could carry them; a note should not). */
static long text_chars(const char *s)
{
    long n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
        int more = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0 || (*p < 0x20 && !strchr("\t\n\r", *p)) || *p == 0x7F)
            return -1;
        for (p++; more > 0; more--, p++)
            if ((*p & 0xC0) != 0x80)
                return -1;
    }
    return n;
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static void join(char *out, size_t cap, const char *const *list)
{
    size_t used = 0;
    out[0] = '\0';
    for (; *list && used < cap; list++) {
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", *list);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* A user-typed value, safe to quote back: printable ASCII only, at most 64. */
static const char *shown(const char *s, char buf[72])
{
    size_t i = 0;
    for (; s[i] && i < 64; i++)
        buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

static int check_agreement(const struct aws_args *a, char *msg, size_t len)
{
    char b[72];
    if (word(a->agreement_id, 1, 64, "_/-"))
        return 0;
    return refuse(msg, len, "The agreement ID (agreementId) \"%s\" is not valid: AWS takes 1 to "
                  "64 of letters, digits, '_', '/' and '-', like agmt-1a2b3c4d5e6f.",
                  shown(a->agreement_id, b));
}

static int check_text(const char *text, const char *what, char *msg, size_t len)
{
    long n = text_chars(text);
    if (n >= 1 && n <= 2000)
        return 0;
    return refuse(msg, len, "The %s is %s: AWS takes 1 to 2000 characters of text.", what,
                  n == 0 ? "empty" : n < 0 ? "not plain UTF-8 text" : "too long");
}

static int check_token(const struct aws_args *a, char *msg, size_t len)
{
    if (word(a->client_token, 1, 64, "-"))
        return 0;
    return refuse(msg, len, "The client token (clientToken) is not valid: AWS takes 1 to 64 of "
                  "letters, digits and '-'.");
}

static int check_reason(const struct aws_args *a, const char *const *list, const char *what,
                        char *msg, size_t len)
{
    char codes[400], b[72];
    if (in_list(list, a->reason_code))
        return 0;
    join(codes, sizeof(codes), list);
    return refuse(msg, len, "The reason code (%s) \"%s\" is not one AWS accepts; use one of %s.",
                  what, shown(a->reason_code, b), codes);
}

static int check_ref(const struct aws_args *a, char *msg, size_t len)
{
    char b[72];
    if (a->op == AWS_OP_GET_REFUND) {
        /* The reference names no pattern for billingAdjustmentRequestId; examples read
         * "ba-...". Guessed: the same characters as other AWS ids. */
        if (word(a->ref, 1, 64, "_-"))
            return 0;
        return refuse(msg, len, "The billing adjustment request ID (billingAdjustmentRequestId) "
                      "\"%s\" is not valid: 1 to 64 of letters, digits, '_' and '-'.",
                      shown(a->ref, b));
    }
    if (strncmp(a->ref, "acr-", 4) == 0 && word(a->ref + 4, 1, 60, ""))
        return 0;
    return refuse(msg, len, "The cancellation request ID (agreementCancellationRequestId) \"%s\" "
                  "is not valid: AWS ids look like acr-<letters and digits>, at most 64 "
                  "characters.", shown(a->ref, b));
}

static int check_refund(const struct aws_args *a, char *msg, size_t len)
{
    char b[72];
    size_t n = 0;
    for (; a->invoice_id[n]; n++)
        if (!isgraph((unsigned char)a->invoice_id[n]))
            break;
    /* originalInvoiceId: the model gives no pattern; any printable id is passed on. */
    if (!n || a->invoice_id[n])
        return refuse(msg, len, "The invoice ID (originalInvoiceId) \"%s\" is not valid: give "
                      "the invoice's ID as AWS shows it, without spaces.", shown(a->invoice_id, b));
    if (a->amount_cents <= 0)
        return refuse(msg, len, "The refund amount (adjustmentAmount) must be more than zero.");
    if (!(strlen(a->currency) == 3 && isupper((unsigned char)a->currency[0]) &&
          isupper((unsigned char)a->currency[1]) && isupper((unsigned char)a->currency[2])))
        return refuse(msg, len, "The currency (currencyCode) \"%s\" is not valid: AWS takes a "
                      "3-letter ISO 4217 code in capitals, like USD.", shown(a->currency, b));
    return check_reason(a, refund_reasons, "adjustmentReasonCode", msg, len);
}

int aws_args_check(const struct aws_args *a, char *msg, size_t len)
{
    int rc = 0;
    char b[72];
    if (a->op == AWS_OP_SEARCH) {
        if (!a->buyer_account[0] && !a->offer_id[0])
            return refuse(msg, len, "Searching AWS agreements needs a buyer account "
                          "(AcceptorAccountId) or an offer ID (OfferId).");
        if (a->buyer_account[0] && !(strlen(a->buyer_account) == 12 &&
                                     strspn(a->buyer_account, "0123456789") == 12))
            return refuse(msg, len, "The buyer account (AcceptorAccountId) \"%s\" is not an AWS "
                          "account ID: 12 digits.", shown(a->buyer_account, b));
        if (a->offer_id[0] && !word(a->offer_id, 1, 64, "_/-"))
            return refuse(msg, len, "The offer ID (OfferId) \"%s\" is not valid: 1 to 64 of "
                          "letters, digits, '_', '/' and '-', like offer-1a2b3c.",
                          shown(a->offer_id, b));
        return 0;
    }
    if ((rc = check_agreement(a, msg, len)))
        return rc;
    switch (a->op) {
    case AWS_OP_DESCRIBE:
    case AWS_OP_SEARCH:
        break;
    case AWS_OP_SEND_CANCEL:
        if (!(rc = check_reason(a, cancel_reasons, "reasonCode", msg, len)) &&
            !(rc = check_text(a->text, "description (description)", msg, len)))
            rc = check_token(a, msg, len);
        break;
    case AWS_OP_WITHDRAW_CANCEL:
        if (!(rc = check_ref(a, msg, len)))
            rc = check_text(a->text, "reason for withdrawing (cancellationReason)", msg, len);
        break;
    case AWS_OP_GET_CANCEL:
    case AWS_OP_GET_REFUND:
        rc = check_ref(a, msg, len);
        break;
    case AWS_OP_CREATE_REFUND:
        if (!(rc = check_refund(a, msg, len)) &&
            !(rc = check_text(a->text, "description (description)", msg, len)))
            rc = check_token(a, msg, len);
        break;
    }
    return rc;
}

/* ---- request bodies ------------------------------------------------------------ */

static json_t *filter(const char *name, const char *value)
{
    return json_pack("{s:s, s:[s]}", "name", name, "values", value);
}

static json_t *search_body(const struct aws_args *a)
{
    json_t *o = json_object(), *f = json_array();
    /* PartyType and AgreementType are required for a seller; Status=ACTIVE is one of
     * the documented combinations with AcceptorAccountId and/or OfferId. */
    json_array_append_new(f, filter("PartyType", "Proposer"));
    json_array_append_new(f, filter("AgreementType", "PurchaseAgreement"));
    if (a->buyer_account[0])
        json_array_append_new(f, filter("AcceptorAccountId", a->buyer_account));
    if (a->offer_id[0])
        json_array_append_new(f, filter("OfferId", a->offer_id));
    json_array_append_new(f, filter("Status", "ACTIVE"));
    json_object_set_new(o, "catalog", json_string("AWSMarketplace"));
    json_object_set_new(o, "filters", f);
    /* The reference gives no maxResults range here; 20 is small enough for any. */
    json_object_set_new(o, "maxResults", json_integer(PROVIDER_MAX_MATCHES));
    if (a->next_token[0])
        json_object_set_new(o, "nextToken", json_string(a->next_token));
    return o;
}

static json_t *refund_body(const struct aws_args *a)
{
    char amount[32];
    snprintf(amount, sizeof(amount), "%lld.%02lld", (long long)(a->amount_cents / 100),
             (long long)(a->amount_cents % 100));
    return json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}",
                     "billingAdjustmentRequestEntries",
                     "agreementId", a->agreement_id, "originalInvoiceId", a->invoice_id,
                     "adjustmentAmount", amount, "currencyCode", a->currency,
                     "adjustmentReasonCode", a->reason_code, "description", a->text,
                     "clientToken", a->client_token);
}

int aws_args_body(const struct aws_args *a, char **out, size_t *len)
{
    json_t *o = NULL;
    char *text = NULL;
    switch (a->op) {
    case AWS_OP_DESCRIBE:
        o = json_pack("{s:s}", "agreementId", a->agreement_id);
        break;
    case AWS_OP_SEARCH:
        o = search_body(a);
        break;
    case AWS_OP_SEND_CANCEL:
        o = json_pack("{s:s, s:s, s:s, s:s}", "agreementId", a->agreement_id, "reasonCode",
                      a->reason_code, "description", a->text, "clientToken", a->client_token);
        break;
    case AWS_OP_GET_CANCEL:
        o = json_pack("{s:s, s:s}", "agreementId", a->agreement_id,
                      "agreementCancellationRequestId", a->ref);
        break;
    case AWS_OP_WITHDRAW_CANCEL:
        o = json_pack("{s:s, s:s, s:s}", "agreementId", a->agreement_id,
                      "agreementCancellationRequestId", a->ref, "cancellationReason", a->text);
        break;
    case AWS_OP_CREATE_REFUND:
        o = refund_body(a);
        break;
    case AWS_OP_GET_REFUND:
        o = json_pack("{s:s, s:s}", "agreementId", a->agreement_id,
                      "billingAdjustmentRequestId", a->ref);
        break;
    }
    if (o)
        text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return -1;
    *out = text;
    *len = strlen(text);
    return 0;
}
