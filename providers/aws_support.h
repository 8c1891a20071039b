/* providers/aws_support.h -- the support-case route: agreements the Agreement API
 * will not cancel self-serve (contract-based, or private offers past their first 48
 * hours) go to AWS Marketplace Seller Operations as the marketplace's refund /
 * cancellation form, filed as an AWS Support case and followed to its end.
 *
 *   aws_support_form_text     the filled-in form as plain text (pure): what is sent
 *                             as the case, and what the requester pastes into the
 *                             marketplace portal when the API is not available
 *   aws_support_create_case   AWS Support CreateCase   -> case_id
 *   aws_support_describe_case AWS Support DescribeCases -> Pending / Action Required /
 *                             Completed
 *
 * The wire: awsJson1_1 (POST /, X-Amz-Target AWSSupport_20130415.<Op>), SigV4 with
 * signing name "support". The Support API has one endpoint per partition, whatever
 * the seller's region: https://support.us-east-1.amazonaws.com (aws; .cn-north-1 ...
 * .com.cn for cn-*, .us-gov-west-1 for us-gov-*), unless AWS_ENDPOINT_URL_SUPPORT,
 * else AWS_ENDPOINT_URL, names another (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns
 * both off). Accounts, profiles and credentials are the "aws" provider's, from the
 * same config JSON ({"accounts": {"default": {"profile": ..., "region": ...}}}).
 *
 * The API needs a Business (or higher) support plan; without one AWS answers
 * SubscriptionRequiredException (AWS_SUPPORT_E_NO_PLAN) and the requester files the
 * form text in the portal, then records the case with /cancel case CR-7 <case-id>.
 *
 * IDEMPOTENCY: CreateCase has no client token, so every call may open a new case.
 * The runtime must store the case_id of a successful create before anything else
 * (the card, the thread) and never call create twice for one request; on
 * AWS_SUPPORT_E_UNKNOWN the case may exist, so a person checks the Support Center
 * (the subject carries the request id) instead of the bot asking again. Throttling
 * and 5xx are retried here (AWS refused or failed the call), a timed-out exchange is
 * not.
 *
 * Like the providers: no I/O of its own (env.http), every answer on a later tick
 * (env.defer_at), never inside the call; a call that returns non-zero never calls
 * back. Retries use jittered back-off within AWS_SUPPORT_BUDGET_MS; each exchange
 * times out after 15 s. Messages never hold secrets or request bodies. */
#ifndef CANCELBOT_PROVIDERS_AWS_SUPPORT_H
#define CANCELBOT_PROVIDERS_AWS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include "approvals/request.h"
#include "providers/aws_credentials.h"
#include "providers/http.h"
#include "providers/provider.h"

/* The case's classification, from the Support API's DescribeServices: service
 * "Marketplace", category "Marketplace Seller Request"; severity "low" is "General
 * guidance" (nothing is down). Issue type customer-service, as in the console's
 * "Account and billing". */
#define AWS_SUPPORT_SERVICE_CODE "amazon-marketplace"
#define AWS_SUPPORT_CATEGORY_CODE "marketplace-seller-request"
#define AWS_SUPPORT_SEVERITY_CODE "low"
#define AWS_SUPPORT_ISSUE_TYPE "customer-service"
#define AWS_SUPPORT_BUDGET_MS 30000          /* retries of one call stop inside this */
#define AWS_SUPPORT_TIMEOUT_MS 15000         /* each exchange */
#define AWS_SUPPORT_BODY_MAX 8000            /* communicationBody's limit */

enum aws_support_rc {
    AWS_SUPPORT_OK = 0,
    AWS_SUPPORT_E_NO_PLAN,       /* SubscriptionRequiredException: use the form text */
    AWS_SUPPORT_E_THROTTLED,     /* still throttled after retries, or the case limit */
    AWS_SUPPORT_E_UNAVAILABLE,   /* 5xx after retries, or AWS not reachable */
    AWS_SUPPORT_E_UNKNOWN,       /* create timed out: the case may exist; do not resend */
    AWS_SUPPORT_E_DENIED,        /* IAM does not allow support:<Op> */
    AWS_SUPPORT_E_AUTH,          /* credentials, signature, clock */
    AWS_SUPPORT_E_NOT_FOUND,     /* describe: no case with that id */
    AWS_SUPPORT_E_INVALID        /* a field is missing or malformed, here or at AWS */
};

enum aws_support_status {
    AWS_SUPPORT_PENDING,         /* opened, unassigned, work-in-progress, reopened */
    AWS_SUPPORT_ACTION_REQUIRED, /* pending-customer-action: AWS waits for the seller */
    AWS_SUPPORT_COMPLETED        /* resolved */
};

/* Everything the form says; a plain value like struct provider_submission, every
 * string NUL-terminated in its buffer; "" is "not given". Required: agreement_id,
 * subscriber_account (12 digits), product_id, effective_date (YYYY-MM-DD), reason,
 * request_id. */
struct aws_support_case_input {
    char account[ACCOUNT_NAME_MAX];          /* seller account from the policy; "" = default */
    char agreement_id[AGREEMENT_ID_MAX];
    char subscriber_account[40];             /* the buyer's AWS account id */
    char product_id[128];
    char offer_id[AGREEMENT_ID_MAX];
    char billing_period[128];                /* in words: "2025-01 to 2025-12" */
    char invoice_id[64];                     /* optional */
    int64_t amount_cents;                    /* refund with the cancellation; 0: none */
    char currency[4];                        /* with amount_cents */
    char effective_date[11];                 /* YYYY-MM-DD */
    char reason[NOTE_MAX];
    char case_id[64];                        /* context: an earlier support case */
    char buyer_ref[128];                     /* context: the buyer's own reference */
    char next_step[256];                     /* context: the intended next step */
    char requester[USER_ID_MAX];
    char request_id[REQUEST_ID_MAX];         /* CR-7 */
};

struct aws_support_result {
    enum aws_support_rc rc;
    char case_id[128];                       /* create: the new case; describe: as asked */
    char display_id[32];                     /* describe: the number the Support Center shows */
    enum aws_support_status status;          /* create: PENDING */
    char status_raw[40];                     /* describe: AWS's own word ("opened") */
    char message[512];                       /* for the user when rc != OK; never secrets */
};

typedef void (*aws_support_cb)(void *ud, const struct aws_support_result *r);

struct aws_support;

/* 0 if in can be filed; else AWS_SUPPORT_E_INVALID with one sentence in msg naming
 * the field and what is accepted. Pure. */
int aws_support_input_check(const struct aws_support_case_input *in, char *msg, size_t msglen);

/* "Subject: ...\n\n" then the body: the form with "Please cancel this agreement
 * effective <date>.", the ids, billing period, invoice and amount (or "no refund"),
 * the reason and context, and the request id for reference. Control characters in
 * one-line fields become spaces. 0, or AWS_SUPPORT_E_INVALID (input refused, or out
 * too small; out is then untouched). Pure. */
int aws_support_form_text(const struct aws_support_case_input *in, char *out, size_t outlen);

/* Needs env->http, env->defer_at and env->now_ms. getenv_fn NULL reads the process
 * environment; ud must outlive the object (credential refreshes read it again).
 * NULL with err on failure. */
struct aws_support *aws_support_new(const struct provider_env *env, const char *config_json,
                                    aws_getenv_fn getenv_fn, void *ud, char *err, size_t errlen);
/* Free only once the loop and the HTTP client have run (or dropped) every callback
 * of its calls: a call in flight points back to it. NULL is fine. */
void aws_support_free(struct aws_support *s);

/* CreateCase with the form. client_token ("" or [A-Za-z0-9-]{1,64}) is written into
 * the body as a reference, not as an idempotency key (see above). Returns
 * AWS_SUPPORT_E_INVALID without calling back when s, in or cb is NULL; otherwise 0,
 * and cb fires later, once, also for refused fields. */
int aws_support_create_case(struct aws_support *s, const struct aws_support_case_input *in,
                            const char *client_token, aws_support_cb cb, void *ud);

/* DescribeCases of one case (resolved ones included), on the seller account of
 * account ("" = default). case_id is the API's "case-..." id, or the all-digit id the
 * Support Center shows (sent as displayId). Same return rules as create. */
int aws_support_describe_case(struct aws_support *s, const char *account, const char *case_id,
                              aws_support_cb cb, void *ud);

/* ---- reading an answer (pure: the calls above use it; tests and the fuzzer too) ---- */

/* What the caller does next with an answer. */
enum aws_support_next {
    AWS_SUPPORT_NEXT_DONE,       /* the result is final */
    AWS_SUPPORT_NEXT_RETRY,      /* throttled or 5xx: send again after a back-off */
    AWS_SUPPORT_NEXT_REAUTH      /* the session token expired: fetch credentials, once */
};

/* The call an answer belongs to, and who made it, for the sentences. */
struct aws_support_asked {
    int create;                                  /* 1: CreateCase of in; 0: DescribeCases */
    const struct aws_support_case_input *in;     /* create (its request id and subject) */
    const char *case_id;                         /* describe: the id asked about */
    const char *account;                         /* the policy's name of the seller account */
    const char *source;                          /* where its credentials come from */
};

/* Reads one CreateCase or DescribeCases answer (or transport failure) into *out
 * (overwritten): the case id and status, or rc with one sentence that holds no more
 * of AWS's text than its short message. */
enum aws_support_next aws_support_read_answer(const struct aws_support_asked *asked,
                                              const struct http_response *rsp,
                                              struct aws_support_result *out);

const char *aws_support_rc_text(enum aws_support_rc rc);
const char *aws_support_status_name(enum aws_support_status st);   /* "Pending", ... */

#endif
