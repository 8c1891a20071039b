/* providers/aws_agreement_answer.c -- what the AWS Marketplace Agreement API's
 * answers mean for the "aws" provider: a 200's members read into the provider's
 * result, every error (X-Amzn-ErrorType or "__type", and the transport's) mapped to
 * a provider code, a sentence and what to do next (done, next page, retry, fetch
 * credentials again).
 *
 * Names and shapes follow the model in @aws-sdk/client-marketplace-agreement
 * 3.1164.0. Timestamps arrive as Unix seconds (awsJson's default); strings are taken
 * too. Sentences name the operation, the account and AWS's request id, and carry at
 * most AWS's short message: none for signature errors, whose message quotes the
 * canonical request. Pure: no I/O, clock or environment. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "providers/aws_agreement_int.h"

__attribute__((format(printf, 3, 4)))
static void say(struct provider_result *res, enum provider_rc rc, const char *fmt, ...)
{
    va_list ap;
    res->rc = rc;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
}

/* ---- reading answers ----------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int aws_scrub_message(char *msg, size_t len, const struct aws_credentials *cr,
                      const char *instead)
{
    const char *secret[3] = {cr->access_key_id, cr->secret_access_key, cr->session_token};
    for (int i = 0; i < 3; i++)
        if (secret[i][0] && strstr(msg, secret[i])) {
            snprintf(msg, len, "%s (AWS's message quoted the credentials, so it is not shown.)",
                     instead);
            return 1;
        }
    return 0;
}

int aws_iso8601_from_seconds(double secs, char out[32])
{
    struct tm tm;
    time_t t;
    if (!(secs >= 0 && secs < 253402300800.0))     /* up to 9999-12-31 */
        return -1;
    t = (time_t)secs;                 /* non-negative: truncation is floor */
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return -1;
    return 0;
}

static void put_time(const json_t *v, char out[32])
{
    if (json_is_number(v) && aws_iso8601_from_seconds(json_number_value(v), out) == 0)
        return;
    request_copy_str(out, 32, json_is_string(v) ? json_string_value(v) : "");
}

/* "12000.5" -> 1200050; more than two decimals are cut (the value is shown, not billed). */
static int64_t cents(const char *s)
{
    int64_t whole = 0, frac = 0;
    int digits = 0;
    if (!s || !isdigit((unsigned char)*s))
        return 0;
    for (; isdigit((unsigned char)*s); s++) {
        whole = whole * 10 + (*s - '0');     /* whole was <= INT64_MAX / 100: no overflow */
        if (whole > (INT64_MAX - 99) / 100)  /* too large to hold in cents: unknown */
            return 0;
    }
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++)
            if (digits < 2) {
                frac = frac * 10 + (*s - '0');
                digits++;
            }
    if (*s)
        return 0;
    return whole * 100 + (digits == 1 ? frac * 10 : frac);
}

static void agreement_from(const json_t *o, struct agreement *ag)
{
    const json_t *prop = json_object_get(o, "proposalSummary");
    const json_t *res0 = json_array_get(json_object_get(prop, "resources"), 0);
    const json_t *money = json_object_get(o, "estimatedCharges");
    memset(ag, 0, sizeof(*ag));
    request_copy_str(ag->id, sizeof(ag->id), jstr(o, "agreementId"));
    request_copy_str(ag->buyer_account, sizeof(ag->buyer_account),
                     jstr(json_object_get(o, "acceptor"), "accountId"));
    request_copy_str(ag->offer_id, sizeof(ag->offer_id), jstr(prop, "offerId"));
    request_copy_str(ag->status, sizeof(ag->status), jstr(o, "status"));
    put_time(json_object_get(o, "startTime"), ag->start_date);
    put_time(json_object_get(o, "endTime"), ag->end_date);
    /* The agreement carries no product name: the first resource is the product. */
    if (jstr(res0, "id"))
        snprintf(ag->product, sizeof(ag->product), "%.80s%s%.32s%s", jstr(res0, "id"),
                 jstr(res0, "type") ? " (" : "", jstr(res0, "type") ? jstr(res0, "type") : "",
                 jstr(res0, "type") ? ")" : "");
    if (jstr(money, "agreementValue") && jstr(money, "currencyCode") &&
        strlen(jstr(money, "currencyCode")) == 3) {
        ag->value_cents = cents(jstr(money, "agreementValue"));
        request_copy_str(ag->currency, sizeof(ag->currency), jstr(money, "currencyCode"));
    }
}

/* AWS's own words, short and on one line. */
static void aws_words(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap && n < 240; s++)
        out[n++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)   /* no cut character */
        n--;
    if (n && (unsigned char)out[n - 1] >= 0xC0)
        n--;
    out[n] = '\0';
}

static enum market_status cancel_status(const char *s)
{
    if (strcmp(s, "APPROVED") == 0)
        return MSTATUS_APPROVED;      /* the model does not say whether AWS auto-approved */
    if (strcmp(s, "REJECTED") == 0)
        return MSTATUS_REJECTED;
    if (strcmp(s, "CANCELLED") == 0)
        return MSTATUS_CANCELLED;
    if (strcmp(s, "VALIDATION_FAILED") == 0)
        return MSTATUS_FAILED;
    return MSTATUS_PENDING;           /* PENDING_APPROVAL, or a status added later: keep polling */
}

static enum market_status refund_status(const char *s)
{
    if (strcmp(s, "COMPLETED") == 0)
        return MSTATUS_APPROVED;
    if (strcmp(s, "VALIDATION_FAILED") == 0)
        return MSTATUS_FAILED;
    return MSTATUS_PENDING;
}

static enum aws_verdict read_search(struct aws_args *a, const struct aws_who *who,
                                    const json_t *body, struct provider_result *res)
{
    const json_t *list = json_object_get(body, "agreementViewSummaries"), *it;
    const char *next = jstr(body, "nextToken");
    size_t i;
    json_array_foreach(list, i, it) {
        if (res->n_matches >= PROVIDER_MAX_MATCHES)
            break;
        /* Status=ACTIVE is filtered at AWS too; a summary without it is not offered. */
        if (jstr(it, "status") && strcmp(jstr(it, "status"), "ACTIVE") == 0 && jstr(it, "agreementId"))
            agreement_from(it, &res->matches[res->n_matches++]);
    }
    res->rc = PROVIDER_OK;
    res->message[0] = '\0';
    if (next && *next && strlen(next) < sizeof(a->next_token) &&
        res->n_matches < PROVIDER_MAX_MATCHES) {
        memcpy(a->next_token, next, strlen(next) + 1);
        return AWS_NEXT_PAGE;
    }
    a->next_token[0] = '\0';
    if (!res->n_matches)
        say(res, PROVIDER_OK, "No active agreements for %s %s under seller account '%s'.",
            a->buyer_account[0] ? "buyer account" : "offer",
            a->buyer_account[0] ? a->buyer_account : a->offer_id, who->account);
    return AWS_DONE;
}

/* Our one entry of a batch: in items (accepted) or in errors (refused); other
 * entries, if AWS ever echoed any, are not ours to report. */
static enum aws_verdict read_refund(const struct aws_args *a, const json_t *body,
                                    struct provider_result *res)
{
    const json_t *it;
    size_t i;
    char words[256];
    json_array_foreach(json_object_get(body, "items"), i, it) {
        const char *id = jstr(it, "billingAdjustmentRequestId");
        if (jstr(it, "clientToken") && strcmp(jstr(it, "clientToken"), a->client_token) == 0 && id) {
            request_copy_str(res->ref, sizeof(res->ref), id);
            request_copy_str(res->status_raw, sizeof(res->status_raw), "PENDING");
            res->status = MSTATUS_PENDING;
            res->rc = PROVIDER_OK;
            return AWS_DONE;
        }
    }
    json_array_foreach(json_object_get(body, "errors"), i, it) {
        const char *code = jstr(it, "code");
        enum provider_rc rc = PROVIDER_E_INVALID;
        if (!jstr(it, "clientToken") || strcmp(jstr(it, "clientToken"), a->client_token) != 0)
            continue;
        code = code ? code : "?";
        aws_words(jstr(it, "message"), words, sizeof(words));
        if (strcmp(code, "CONFLICT_EXCEPTION") == 0)
            rc = PROVIDER_E_CONFLICT;
        else if (strcmp(code, "RESOURCE_NOT_FOUND_EXCEPTION") == 0)
            rc = PROVIDER_E_NOT_FOUND;
        else if (strcmp(code, "INTERNAL_FAILURE") == 0)
            rc = PROVIDER_E_UNAVAILABLE;
        say(res, rc, "AWS Marketplace refused the billing adjustment for invoice %s of "
            "agreement %s (%s): %s", a->invoice_id, a->agreement_id, code, words);
        return rc == PROVIDER_E_UNAVAILABLE ? AWS_RETRY_UNAVAILABLE : AWS_DONE;
    }
    say(res, PROVIDER_E_UNAVAILABLE, "AWS Marketplace answered %s without a word on our "
        "entry (client token %s); I will ask again.", aws_op_name(a->op), a->client_token);
    return AWS_DONE;
}

static enum aws_verdict read_ok(struct aws_args *a, const struct aws_who *who,
                                const json_t *body, struct provider_result *res)
{
    const char *status = jstr(body, "status");
    const char *ref = jstr(body, a->op == AWS_OP_GET_REFUND ? "billingAdjustmentRequestId"
                                                            : "agreementCancellationRequestId");
    char words[256];
    switch (a->op) {
    case AWS_OP_DESCRIBE:
        if (!jstr(body, "agreementId"))
            break;
        agreement_from(body, &res->matches[0]);
        res->n_matches = 1;
        res->rc = PROVIDER_OK;
        /* Only the proposer may send SendAgreementCancellationRequest ("Allows sellers
         * (proposers) ...", the API reference): refuse now, before Confirm, rather
         * than after finance has approved. */
        provider_refuse_not_seller(res, res->matches[0].id, who->account_id,
                                   res->matches[0].buyer_account,
                                   jstr(json_object_get(body, "proposer"), "accountId"));
        return AWS_DONE;
    case AWS_OP_SEARCH:
        return read_search(a, who, body, res);
    case AWS_OP_CREATE_REFUND:
        return read_refund(a, body, res);
    case AWS_OP_SEND_CANCEL:
    case AWS_OP_GET_CANCEL:
    case AWS_OP_WITHDRAW_CANCEL:
    case AWS_OP_GET_REFUND:
        if (!status || !(ref || a->op != AWS_OP_SEND_CANCEL))
            break;
        request_copy_str(res->ref, sizeof(res->ref), ref ? ref : a->ref);
        request_copy_str(res->status_raw, sizeof(res->status_raw), status);
        res->status = a->op == AWS_OP_GET_REFUND ? refund_status(status) : cancel_status(status);
        res->rc = PROVIDER_OK;
        aws_words(jstr(body, "statusMessage"), words, sizeof(words));
        if (words[0])                 /* why it failed, or AWS's note on the change */
            say(res, PROVIDER_OK, "AWS Marketplace: %s is %s: %s", res->ref, status, words);
        return AWS_DONE;
    }
    say(res, PROVIDER_E_UNAVAILABLE, "AWS Marketplace's answer to %s lacks the fields it "
        "should have; I will ask again.", aws_op_name(a->op));
    return AWS_DONE;
}

/* The error's type name: X-Amzn-ErrorType, else the body's __type (or code), cut to
 * the part before ':' and after '#', as the awsJson1_0 protocol says. */
static void error_type(const struct http_response *rsp, const json_t *body, char out[96])
{
    const char *t = http_response_header(rsp, "X-Amzn-ErrorType"), *hash;
    size_t n;
    if (!t || !*t)
        t = jstr(body, "__type");
    if (!t)
        t = jstr(body, "code") ? jstr(body, "code") : jstr(body, "Code");
    if (!t)
        t = "";
    n = strcspn(t, ":");
    hash = memchr(t, '#', n);
    if (hash) {
        n -= (size_t)(hash + 1 - t);
        t = hash + 1;
    }
    snprintf(out, 96, "%.*s", (int)(n < 95 ? n : 95), t);
}

/* "agreement agmt-1", "cancellation request acr-1 of agreement agmt-1", ... */
static void subject(const struct aws_args *a, char *out, size_t cap)
{
    if (a->op == AWS_OP_SEARCH)
        snprintf(out, cap, "agreements of %s %s", a->buyer_account[0] ? "buyer account" : "offer",
                 a->buyer_account[0] ? a->buyer_account : a->offer_id);
    else if (a->op == AWS_OP_GET_CANCEL || a->op == AWS_OP_WITHDRAW_CANCEL)
        snprintf(out, cap, "cancellation request %s of agreement %s", a->ref, a->agreement_id);
    else if (a->op == AWS_OP_GET_REFUND)
        snprintf(out, cap, "billing adjustment request %s of agreement %s", a->ref,
                 a->agreement_id);
    else
        snprintf(out, cap, "agreement %s", a->agreement_id);
}

/* ValidationException: its reason and the fields it names (member "fields" in the
 * model; "fieldList" is read too, the name some AWS services use). */
static enum aws_verdict validation(const struct aws_args *a, const json_t *body,
                                   const char *what, const char *words, const char *rid,
                                   struct provider_result *res)
{
    const char *reason = jstr(body, "reason");
    const json_t *fields = json_object_get(body, "fields"), *f;
    char names[200] = "";
    size_t i, used = 0;
    if (!json_is_array(fields))
        fields = json_object_get(body, "fieldList");
    json_array_foreach(fields, i, f) {
        int n = snprintf(names + used, sizeof(names) - used, "%s%.60s", used ? ", " : "",
                         jstr(f, "name") ? jstr(f, "name") : "?");
        if (n < 0 || (size_t)n >= sizeof(names) - used)
            break;
        used += (size_t)n;
    }
    if (reason && strcmp(reason, "UNSUPPORTED_ACTION") == 0) {
        say(res, PROVIDER_E_NOT_ELIGIBLE, "AWS Marketplace does not support self-serve "
            "cancellation of %s: use the support-case route (%s: %s)%s", what,
            aws_op_name(a->op), words, rid);
        return AWS_DONE;
    }
    say(res, PROVIDER_E_INVALID, "AWS Marketplace rejected %s for %s (ValidationException%s%s)"
        "%s%s: %s%s", aws_op_name(a->op), what, reason ? ", " : "", reason ? reason : "",
        used ? "; fields: " : "", names, words, rid);
    return AWS_DONE;
}

/* What the seller may not do by the operation, for "only the proposer can ...". */
static const char *proposer_right(enum aws_op op)
{
    switch (op) {
    case AWS_OP_SEND_CANCEL:     return "ask for its cancellation";
    case AWS_OP_WITHDRAW_CANCEL: return "withdraw its cancellation request";
    case AWS_OP_CREATE_REFUND:   return "adjust its invoices";
    case AWS_OP_DESCRIBE:
    case AWS_OP_SEARCH:
    case AWS_OP_GET_CANCEL:
    case AWS_OP_GET_REFUND:      break;
    }
    return "act on it as its seller";
}

/* AccessDeniedException. Documented (Agreement API reference, e.g. CancelAgreement's
 * Errors): members message, reason ("the reason for the access denied exception") and
 * requestId. The service model (@aws-sdk/client-marketplace-agreement) lists the
 * reasons INVALID_ACCOUNT_STATE, DENIED_BY_PRIVATE_MARKETPLACE_POLICY,
 * FAILED_KYC_COMPLIANCE, MISSING_MFA and INVALID_ACCESS, without a word on each.
 * Inferred, not documented: an IAM denial carries no reason (its message is IAM's
 * "... is not authorized to perform: aws-marketplace:..."), so only then is the
 * advice "allow the IAM action"; INVALID_ACCESS is AWS's answer to a seller call on
 * an agreement whose proposer is another account (seen when our account had bought
 * the agreement), so it is PROVIDER_E_NOT_SELLER, not a permission to add. The other
 * reasons are read from their names. */
static enum aws_verdict access_denied(const struct aws_args *a, const struct aws_who *who,
                                      const json_t *body, const char *what, const char *words,
                                      const char *rid, struct provider_result *res)
{
    const char *op = aws_op_name(a->op), *why = jstr(body, "reason");
    char acct[40] = "";
    if (who->account_id && who->account_id[0])
        snprintf(acct, sizeof(acct), " (%s)", who->account_id);
    if (!why || !*why) {
        say(res, PROVIDER_E_DENIED, "The credentials of seller account '%s' (%s) may not call "
            "%s: allow the IAM action aws-marketplace:%s (%s)%s.", who->account, who->source,
            op, op, words, rid);
    } else if (!strcmp(why, "INVALID_ACCESS")) {
        say(res, PROVIDER_E_NOT_SELLER, "AWS Marketplace refused %s for %s: seller account "
            "'%s'%s is not the agreement's seller (its proposer), and only the proposer can "
            "%s: ask its seller. No IAM permission changes this (INVALID_ACCESS: %.100s)%s.",
            op, what, who->account, acct, proposer_right(a->op), words, rid);
    } else if (!strcmp(why, "INVALID_ACCOUNT_STATE") || !strcmp(why, "FAILED_KYC_COMPLIANCE")) {
        say(res, PROVIDER_E_DENIED, "AWS Marketplace refused %s for %s: seller account '%s'%s "
            "is not in a state that allows it (%s): check the account's seller registration%s "
            "in the AWS Marketplace Management Portal (%s)%s.", op, what, who->account, acct,
            why, !strcmp(why, "FAILED_KYC_COMPLIANCE") ? " and its KYC verification" : "",
            words, rid);
    } else if (!strcmp(why, "MISSING_MFA")) {
        say(res, PROVIDER_E_DENIED, "AWS Marketplace refused %s for %s: it wants credentials "
            "of an MFA-authenticated session for seller account '%s' (%s, MISSING_MFA: %s)%s.",
            op, what, who->account, who->source, words, rid);
    } else {
        say(res, PROVIDER_E_DENIED, "AWS Marketplace refused %s for %s to seller account "
            "'%s'%s (AccessDeniedException, reason %.40s: %s)%s.", op, what, who->account, acct,
            why, words, rid);
    }
    return AWS_DONE;
}

static enum aws_verdict read_error(const struct aws_args *a, const struct aws_who *who,
                                   const struct http_response *rsp, const json_t *body,
                                   struct provider_result *res)
{
    char type[96], words[256], what[300], rid[80] = "";
    const char *op = aws_op_name(a->op), *m = jstr(body, "message");
    const char *req_id = http_response_header(rsp, "x-amzn-RequestId");
    long st = rsp->status;
    error_type(rsp, body, type);
    aws_words(m ? m : jstr(body, "Message"), words, sizeof(words));
    if (!words[0])
        snprintf(words, sizeof(words), "no message");
    if (req_id && *req_id)
        snprintf(rid, sizeof(rid), " (AWS request id %.60s)", req_id);
    subject(a, what, sizeof(what));

    if (!strcmp(type, "InvalidSignatureException") || !strcmp(type, "SignatureDoesNotMatch") ||
        !strcmp(type, "IncompleteSignatureException") || !strcmp(type, "RequestExpired") ||
        strstr(words, "Signature expired") || strstr(words, "Signature not yet current")) {
        /* Never AWS's text here: it quotes the canonical request, token included. */
        say(res, PROVIDER_E_AUTH, "AWS did not accept the request signature of seller account "
            "'%s' (%s, %s): check the clock of this host (AWS refuses requests more than 5 "
            "minutes off) and that the secret key belongs to the key ID%s.", who->account,
            type[0] ? type : "signature error", who->source, rid);
        return AWS_DONE;
    }
    if (!strcmp(type, "ExpiredTokenException") || !strcmp(type, "ExpiredToken")) {
        say(res, PROVIDER_E_AUTH, "The session token of seller account '%s' (%s) has expired: "
            "renew the credentials%s.", who->account, who->source, rid);
        return AWS_REAUTH;
    }
    if (!strcmp(type, "UnrecognizedClientException") || !strcmp(type, "InvalidClientTokenId") ||
        !strcmp(type, "MissingAuthenticationTokenException")) {
        say(res, PROVIDER_E_AUTH, "AWS does not recognise the credentials of seller account "
            "'%s' (%s, %s): check the access key ID and that it is still active%s.",
            who->account, who->source, type, rid);
        return AWS_DONE;
    }
    if (!strcmp(type, "ValidationException"))
        return validation(a, body, what, words, rid, res);
    if (!strcmp(type, "ResourceNotFoundException") || (!type[0] && st == 404)) {
        say(res, PROVIDER_E_NOT_FOUND, "AWS Marketplace has no %s for seller account '%s'; AWS "
            "gives the same answer when this seller account is not the agreement's proposer, "
            "so check the account too (%s)%s.", what, who->account, words, rid);
        return AWS_DONE;
    }
    if (!strcmp(type, "AccessDeniedException") || (!type[0] && st == 403))
        return access_denied(a, who, body, what, words, rid, res);
    if (!strcmp(type, "ConflictException") || (!type[0] && st == 409)) {
        if (a->op == AWS_OP_WITHDRAW_CANCEL)
            say(res, PROVIDER_E_CONFLICT, "The %s can no longer be withdrawn: AWS only "
                "withdraws requests still pending approval (%s)%s.", what, words, rid);
        else
            say(res, PROVIDER_E_CONFLICT, "AWS Marketplace reports a conflict on %s: a "
                "cancellation request or an adjustment may already be open for it (%s)%s.",
                what, words, rid);
        return AWS_DONE;
    }
    if (!strcmp(type, "ServiceQuotaExceededException") || st == 402) {
        /* Not transient: a retry inside a quota period meets the same wall. */
        say(res, PROVIDER_E_DENIED, "AWS Marketplace refused %s for %s: seller account '%s' has "
            "used up a service quota (HTTP %ld, ServiceQuotaExceededException%s%.40s): wait "
            "for the quota period or ask AWS to raise it (%s)%s.", op, what, who->account, st,
            jstr(body, "quotaCode") ? ", quota " : "",
            jstr(body, "quotaCode") ? jstr(body, "quotaCode") : "", words, rid);
        return AWS_DONE;
    }
    if (st == 429 || !strcmp(type, "ThrottlingException") || !strcmp(type, "Throttling") ||
        !strcmp(type, "TooManyRequestsException") || !strcmp(type, "RequestLimitExceeded")) {
        say(res, PROVIDER_E_THROTTLED, "AWS Marketplace is throttling %s calls of seller account "
            "'%s' (HTTP %ld%s%s)%s.", op, who->account, st, type[0] ? ", " : "", type, rid);
        return AWS_RETRY_THROTTLED;
    }
    if (st >= 500 || !strcmp(type, "InternalServerException")) {
        say(res, PROVIDER_E_UNAVAILABLE, "AWS Marketplace failed to answer %s (HTTP %ld%s%s)%s.",
            op, st, type[0] ? ", " : "", type, rid);
        return AWS_RETRY_UNAVAILABLE;
    }
    if (st >= 400) {
        say(res, PROVIDER_E_INVALID, "AWS Marketplace rejected %s for %s (HTTP %ld%s%s: %s)%s.",
            op, what, st, type[0] ? " " : "", type, words, rid);
        return AWS_DONE;
    }
    say(res, PROVIDER_E_UNAVAILABLE, "AWS Marketplace answered %s with HTTP %ld, which I do not "
        "understand%s.", op, st, rid);
    return AWS_DONE;
}

enum aws_verdict aws_answer(struct aws_args *a, const struct aws_who *who,
                            const struct http_response *rsp, struct provider_result *res)
{
    json_t *body = NULL;
    enum aws_verdict v;
    if (rsp->transport != HTTP_OK) {
        if (rsp->transport == HTTP_E_TIMEOUT)
            say(res, PROVIDER_E_TIMEOUT, "AWS Marketplace did not answer %s within %d s.",
                aws_op_name(a->op), AWS_AGREEMENT_TIMEOUT_MS / 1000);
        else
            say(res, PROVIDER_E_UNAVAILABLE, "Could not reach AWS Marketplace for %s: %.200s.",
                aws_op_name(a->op), rsp->error[0] ? rsp->error : "transport error");
        return AWS_DONE;
    }
    if (rsp->body && rsp->body_len)
        body = json_loadb(rsp->body, rsp->body_len, 0, NULL);
    if (rsp->status >= 200 && rsp->status < 300) {
        if (json_is_object(body))
            v = read_ok(a, who, body, res);
        else {
            say(res, PROVIDER_E_UNAVAILABLE, "AWS Marketplace's answer to %s is not JSON; I will "
                "ask again.", aws_op_name(a->op));
            v = AWS_DONE;
        }
    } else {
        v = read_error(a, who, rsp, json_is_object(body) ? body : NULL, res);
    }
    json_decref(body);
    return v;
}
