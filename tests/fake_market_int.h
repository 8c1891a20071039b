/* tests/fake_market_int.h -- what the three files of the marketplace fake share
 * (tests/fake_market.c says what the fake is and how to run it).
 *
 *   fake_market.c        command line, the lws HTTP server, routing, faults, the log,
 *                        the control endpoints
 *   fake_market_sigv4.c  SigV4 checking, and the --sign-request helper
 *   fake_market_aws.c    the Agreement API and the Support API
 *   fake_market_sts.c    STS GetCallerIdentity
 *   fake_market_azure.c  the Azure AD token endpoint and Partner Center
 *
 * The HTTP layer turns each request into a struct fm_call (headers already copied,
 * body complete); a service fills a struct fm_answer (status, body, headers, and what
 * the log line says about the call). Services keep their own state behind an opaque
 * pointer in struct fm and never touch lws. Single-threaded: lws runs everything. */
#ifndef CANCELBOT_TESTS_FAKE_MARKET_INT_H
#define CANCELBOT_TESTS_FAKE_MARKET_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "providers/http.h"

#define FM_MAX_BODY (1 << 20)        /* larger request bodies are answered 413 */
#define FM_MAX_ANSWER_HEADERS 6

/* The known test credentials (the AWS documentation's example pair, no secret). */
#define FM_AWS_KEY_ID "AKIDEXAMPLE"
#define FM_AWS_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define FM_AZURE_SECRET "s3cret"

#define AGREEMENT_PREFIX "AWSMPCommerceService_v20200301."   /* X-Amz-Target prefixes */
#define SUPPORT_PREFIX "AWSSupport_20130415."
/* The account the test keys belong to: the seller, proposer of the fake's agreements. */
#define FM_SELLER_ACCOUNT "210987654321"

struct fm_fault {                    /* --throttle OP:N and --fail OP:STATUS:TYPE:N */
    char *op;                        /* an operation name, or "*" for every one */
    char *type;                      /* NULL for a throttle: each service knows its own */
    long status, left;
};

struct fm_aws;
struct fm_azure;

struct fm {
    int64_t t0_ms;                   /* monotonic, at start */
    long search_page_size;           /* 0: as many as maxResults asks */
    long max_skew_s;                 /* 0: X-Amz-Date is not compared with the clock */
    long token_lifetime_s;
    long azure_delay_ms;
    char *slow_op;                   /* --slow OP:MS[:N]: this AWS operation answers late */
    long slow_ms, slow_left;         /* slow_left: calls still to slow down, -1 every one */
    struct fm_fault *cuts;           /* --cut OP:N: answers cut mid-body (type unused) */
    size_t n_cuts;
    int azure_cancel_status;         /* 200 (the documented example) or 202 */
    int no_support_plan;
    struct fm_fault *faults;
    size_t n_faults;
    struct fm_aws *aws;
    struct fm_azure *azure;
    long sts_seq, sts_calls;         /* STS requests seen; GetCallerIdentity calls */
};

/* One request as the services see it. Header values are copies (lws recycles its
 * own); the Authorization value is kept only to check it and is never logged. */
struct fm_call {
    char method[8];
    char path[1024];                 /* as lws hands it over, without the query */
    char query[1024];                /* "a=b&c=d", or "" */
    char authorization[2048];
    char content_type[128], target[160], host[256];
    char ms_request_id[128], ms_correlation_id[128], ms_contract_version[32];
    /* The headers the Authorization's SignedHeaders names, with the values received,
     * and the URL rebuilt from Host and path: what SigV4 is recomputed over. NULL when
     * the request carries no AWS4-HMAC-SHA256 Authorization. */
    struct http_request *signed_req;
    char *body;                      /* NUL-terminated; may hold NULs before body_len */
    size_t body_len;
};

struct fm_answer {
    int status;
    json_t *body;                    /* owned; NULL sends an empty body */
    char *raw_body;                  /* owned; sent instead of body when set (STS's XML) */
    const char *content_type;        /* NULL: application/json */
    struct { char name[48]; char value[256]; } headers[FM_MAX_ANSWER_HEADERS];
    int n_headers;
    /* What the log line says: the HTTP layer adds t_ms and status. */
    const char *service;             /* "aws", "support", "aad", "partner", "control" */
    char operation[96];
    char client_token[80];           /* "" when the call has none */
    int sig_ok;                      /* 1 / 0 for AWS calls; -1: not logged */
    json_t *log_body;                /* owned: the body as logged (secrets redacted) */
    json_t *log_extra;               /* owned: further fields for the line, or NULL */
};

/* ---- fake_market.c ------------------------------------------------------------- */
void *fm_xrealloc(void *p, size_t n);                 /* dies on out of memory */
char *fm_xstrdup(const char *s);
int64_t fm_now_ms(const struct fm *f);                /* monotonic, since start */
double fm_wall_s(void);                               /* Unix time, for timestamps */
json_t *fm_json_text(const char *s, size_t len);      /* any bytes -> a JSON string */
json_t *fm_form_parse(const char *body, size_t len);  /* a=b&c=d -> object */
void fm_answer_header(struct fm_answer *a, const char *name, const char *value);
/* Takes one use of the first fault for op that has uses left: 1 and *out, else 0. */
int fm_fault_take(struct fm *f, const char *op, struct fm_fault *out);
/* Adds 1 to obj[key] (an integer), creating it at 0. */
void fm_count(json_t *obj, const char *key);

/* ---- fake_market_sigv4.c ------------------------------------------------------- */
/* 1 when c carries a valid signature for service (and region, when not NULL); else 0
 * with the error AWS would answer in a. */
int fm_sigv4_verify(struct fm *f, const struct fm_call *c, const char *service,
                    const char *only_region, struct fm_answer *a);
/* "20150830T123600Z" -> Unix ms; 0, or -1 when malformed. */
int fm_sigv4_parse_date(const char *s, int64_t *ms);
/* fake_market --sign-request ...: the raw HTTP request of a signed AWS call. */
int fm_sigv4_sign_main(int argc, char **argv);

/* ---- fake_market_aws.c --------------------------------------------------------- */
struct fm_aws *fm_aws_new(void);
void fm_aws_free(struct fm_aws *s);
/* --agreements N: N more ACTIVE self-serve agreements of the seller,
 * agmt-rep0000000000000001 onwards. */
void fm_aws_add_agreements(struct fm_aws *s, long n);
/* 1 when the call is for AWS (POST / with an X-Amz-Target), answered in a. */
int fm_aws_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a);
/* POST /_control/{buyer,refund,case}: 1 when name is one of them, answered in a. */
int fm_aws_control(struct fm *f, const char *name, json_t *in, struct fm_answer *a);
void fm_aws_stats(const struct fm *f, json_t *stats);
/* Sets a to an AWS error: status, {"__type", "message"} and X-Amzn-ErrorType. ns NULL
 * gives a bare __type, as AWS's authentication layer sends it; else "ns#type". Always
 * returns NULL, so an operation can "return fm_aws_fail(...)". */
__attribute__((format(printf, 5, 6)))
json_t *fm_aws_fail(struct fm_answer *a, const char *ns, int status, const char *type,
                    const char *fmt, ...);

/* ---- fake_market_sts.c --------------------------------------------------------- */
/* 1 when the call is an STS Query call (POST / with a form body and no X-Amz-Target),
 * answered in a. */
int fm_sts_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a);

/* ---- fake_market_azure.c ------------------------------------------------------- */
struct fm_azure *fm_azure_new(void);
void fm_azure_free(struct fm_azure *s);
/* 1 when the call is for Azure AD or Partner Center, answered in a. */
int fm_azure_handle(struct fm *f, const struct fm_call *c, struct fm_answer *a);
void fm_azure_stats(const struct fm *f, json_t *stats);

#endif
