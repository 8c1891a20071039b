/* tests/fake_market_sts.c -- STS for the marketplace fake: GetCallerIdentity (Query
 * API: a form POST to "/", answered in XML), so that the "aws" provider can learn
 * which account its credentials belong to. The test keys (FM_AWS_KEY_ID) are the
 * seller's: FM_SELLER_ACCOUNT. The signature is checked as for every AWS call
 * (service "sts"); --fail GetCallerIdentity:STATUS:CODE:N and --throttle answer
 * errors in STS's XML shape (<ErrorResponse><Error><Type/><Code/><Message/>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/fake_market_int.h"

static void xml_answer(struct fm_answer *a, int status, const char *fmt, const char *v1,
                       const char *v2, const char *rid)
{
    char body[2048];
    snprintf(body, sizeof body, fmt, v1, v2, rid);
    json_decref(a->body);
    a->body = NULL;
    free(a->raw_body);
    a->raw_body = fm_xstrdup(body);
    a->status = status;
}

static void sts_error(struct fm_answer *a, int status, const char *code, const char *msg,
                      const char *rid)
{
    xml_answer(a, status, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
               "<RequestId>%s</RequestId></ErrorResponse>", code, msg, rid);
}

int fm_sts_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a)
{
    const char *action;
    json_t *form;
    struct fm_fault ft;
    char rid[48];
    if (strcmp(c->path, "/") || strcmp(c->method, "POST") || c->target[0] ||
        strncmp(c->content_type, "application/x-www-form-urlencoded", 33))
        return 0;
    form = fm_form_parse(c->body ? c->body : "", c->body_len);
    action = json_string_value(json_object_get(form, "Action"));
    a->service = "sts";
    a->content_type = "text/xml";
    snprintf(a->operation, sizeof a->operation, "%.95s", action ? action : "(none)");
    snprintf(rid, sizeof rid, "57500000-0000-4000-8000-%012ld", ++f->sts_seq);
    fm_answer_header(a, "x-amzn-RequestId", rid);
    a->log_body = json_incref(form);
    a->sig_ok = fm_sigv4_verify(f, c, "sts", NULL, a);
    if (!a->sig_ok) {
        /* fm_sigv4_verify answered in JSON, as the Agreement API does: STS says it in XML. */
        const char *type = json_string_value(json_object_get(a->body, "__type"));
        sts_error(a, 403, type ? type : "SignatureDoesNotMatch", "The request signature we "
                  "calculated does not match the signature you provided.", rid);
    } else if (!action || strcmp(action, "GetCallerIdentity") ||
               !json_is_string(json_object_get(form, "Version"))) {
        sts_error(a, 400, "InvalidAction", "Could not find operation for this request.", rid);
    } else if (f->sts_calls++, fm_fault_take(f, "GetCallerIdentity", &ft)) {
        if (ft.type)
            sts_error(a, (int)ft.status, ft.type, "Injected by fake_market --fail.", rid);
        else
            sts_error(a, 400, "Throttling", "Rate exceeded", rid);
    } else {
        xml_answer(a, 200, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
                   "2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/cancelbot"
                   "</Arn><UserId>AIDAFAKEMARKETSELLER</UserId><Account>%s</Account>"
                   "</GetCallerIdentityResult><ResponseMetadata><RequestId>%s</RequestId>"
                   "</ResponseMetadata></GetCallerIdentityResponse>", FM_SELLER_ACCOUNT,
                   FM_SELLER_ACCOUNT, rid);
    }
    json_decref(form);
    return 1;
}
