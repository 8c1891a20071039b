/* providers/aws_agreement_int.h -- what the parts of the "aws" provider share:
 *   aws_agreement.c         the ops, and calls (credentials, signing, retries, pages)
 *   aws_agreement_config.c  accounts: config, region, endpoint, credentials at start
 *   aws_agreement_request.c checks before a call, and each operation's JSON body
 *   aws_agreement_answer.c  what an answer or an error means
 * The request and answer parts are pure (no I/O, clock or environment), so every
 * mapping is testable from a recorded body. */
#ifndef CANCELBOT_PROVIDERS_AWS_AGREEMENT_INT_H
#define CANCELBOT_PROVIDERS_AWS_AGREEMENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include "providers/aws_credentials.h"
#include "providers/aws_sts.h"
#include "providers/http.h"
#include "providers/provider.h"

#define AWS_AGREEMENT_TIMEOUT_MS 15000       /* each exchange */
#define AWS_AGREEMENT_BUDGET_MS 30000        /* retries of one API call stop inside this */
#define AWS_AGREEMENT_MAX_PAGES 10           /* SearchAgreements pages per search */
#define AWS_AGREEMENT_TARGET_PREFIX "AWSMPCommerceService_v20200301."
#define AWS_AGREEMENT_SIGNING_NAME "aws-marketplace"
#define AWS_AGREEMENT_CONTENT_TYPE "application/x-amz-json-1.0"
#define AWS_IDENTITY_TIMEOUT_MS 5000         /* GetCallerIdentity: it delays a look-up */
#define AWS_IDENTITY_RETRY_MS (15 * 60 * 1000)   /* after a failure, ask again no sooner */

/* ---- accounts (aws_agreement_config.c) ---- */

#define AWS_MAX_ACCOUNTS 16

enum cred_kind {
    CRED_STATIC,                     /* environment or shared files: read at start-up */
    CRED_CONTAINER,                  /* fetched from the container agent */
    CRED_WEB_IDENTITY                /* fetched from STS AssumeRoleWithWebIdentity */
};

struct aws_account {
    char name[ACCOUNT_NAME_MAX];
    char profile[64];                /* "" : AWS_PROFILE, else "default" */
    char region[64];
    char endpoint[1024];             /* ends with '/' */
    char sts_endpoint[1024];         /* GetCallerIdentity; ends with '/' */
    enum cred_kind kind;
    int have_creds;
    struct aws_credentials creds;
    char source[160];                /* where the credentials come from, for sentences */
    aws_getenv_fn base_getenv;       /* the provider's environment ... */
    void *base_ud;                   /* ... seen through aws_account_getenv */
    /* Which AWS account the credentials belong to (STS GetCallerIdentity, asked at
     * the first look-up and kept for the process): "" while unknown. */
    char account_id[AWS_ACCOUNT_ID_MAX];
    int64_t identity_retry_ms;       /* after a failure: not asked again before this */
    int identity_warned;             /* the failure is logged once */
};

struct aws_priv {
    struct aws_account accounts[AWS_MAX_ACCOUNTS];
    int n_accounts;
    uint64_t rng;                    /* back-off jitter */
};

/* The environment as account ud (a struct aws_account *) sees it: its profile, if
 * it names one, is AWS_PROFILE. An aws_getenv_fn. */
const char *aws_account_getenv(void *ud, const char *name);

/* Reads config_json ({"accounts": {...}}; NULL or "" is one "default" account) into
 * pv's accounts: names, profiles, regions. 0, or -1 with err naming the JSON path. */
int aws_config_read(const char *config_json, struct aws_priv *pv, char *err, size_t errlen);

/* Settles a's region, endpoint and credentials (base_getenv set first). 0, or -1
 * with err naming the account and the source at fault. */
int aws_account_resolve(struct aws_account *a, char *err, size_t errlen);

/* -1 with err when two accounts would sign as one identity from the environment. */
int aws_accounts_distinct(const struct aws_priv *pv, char *err, size_t errlen);

/* ---- the wire (aws_agreement_request.c, aws_agreement_answer.c) ---- */

enum aws_op {
    AWS_OP_DESCRIBE,                 /* DescribeAgreement */
    AWS_OP_SEARCH,                   /* SearchAgreements */
    AWS_OP_SEND_CANCEL,              /* SendAgreementCancellationRequest */
    AWS_OP_GET_CANCEL,               /* GetAgreementCancellationRequest */
    AWS_OP_WITHDRAW_CANCEL,          /* CancelAgreementCancellationRequest */
    AWS_OP_CREATE_REFUND,            /* BatchCreateBillingAdjustmentRequest */
    AWS_OP_GET_REFUND                /* GetBillingAdjustmentRequest */
};

/* Everything one call sends, kept so that each attempt and each page builds its body
 * again from the same values (the same clientToken on every resend). Plain data:
 * a call that holds it can be freed with free(). */
struct aws_args {
    enum aws_op op;
    char agreement_id[AGREEMENT_ID_MAX];
    char buyer_account[40];          /* search */
    char offer_id[AGREEMENT_ID_MAX]; /* search */
    char ref[128];                   /* acr-... or the billing adjustment request id */
    char reason_code[REASON_CODE_MAX];
    char text[NOTE_MAX];             /* description, or the withdrawal's reason */
    char client_token[65];
    char invoice_id[64];
    int64_t amount_cents;
    char currency[4];
    char next_token[2048];           /* search: the page to ask for next */
};

/* What the caller does next with an answer. */
enum aws_verdict {
    AWS_DONE,                        /* res is final: hand it to the callback */
    AWS_NEXT_PAGE,                   /* search: ask again with args->next_token */
    AWS_RETRY_THROTTLED,             /* retry after a back-off; res says THROTTLED */
    AWS_RETRY_UNAVAILABLE,           /* the same, for 5xx; res says UNAVAILABLE */
    AWS_REAUTH                       /* expired token: fetch credentials again, once */
};

/* Who is calling, for sentences: the policy's account name and where its
 * credentials came from ("profile 'seller' (shared credentials file)"). */
struct aws_who {
    const char *account;
    const char *source;
    const char *account_id;          /* its 12-digit id, or "" when unknown */
};

const char *aws_op_name(enum aws_op op);    /* "DescribeAgreement" */

/* 0 if a can be sent; else PROVIDER_E_INVALID with one sentence in msg that names
 * the field (in words and by its API member name) and what is accepted. */
int aws_args_check(const struct aws_args *a, char *msg, size_t msglen);

/* The JSON body of a's operation. *out: caller frees; 0 on success. */
int aws_args_body(const struct aws_args *a, char **out, size_t *len);

/* Reads one answer (or transport failure) of a's operation into res. Search
 * appends to res->matches across pages and writes the next page's token into
 * a->next_token; other operations overwrite res. The sentence in res->message never
 * holds more of AWS's own text than its short message, and none for signature errors
 * (AWS echoes the canonical request, session token included). */
enum aws_verdict aws_answer(struct aws_args *a, const struct aws_who *who,
                            const struct http_response *rsp, struct provider_result *res);

/* "2025-01-15T10:30:00Z" from Unix seconds; out holds 32 bytes. 0 on success. */
int aws_iso8601_from_seconds(double secs, char out[32]);

/* An AWS message that quotes any part of the credentials is replaced by `instead`
 * (AWS echoes the canonical request, session token included, on signature errors).
 * Returns 1 when it replaced the message. */
int aws_scrub_message(char *msg, size_t len, const struct aws_credentials *cr,
                      const char *instead);

#endif
