/* providers/aws_sigv4.h -- AWS Signature Version 4 (header form, AWS4-HMAC-SHA256)
 * over our struct http_request, with OpenSSL for SHA-256 and HMAC.
 *
 * aws_sigv4_sign() is what providers call: it stamps X-Amz-Date (and
 * X-Amz-Security-Token, Host when missing), then adds Authorization. Signing again
 * (an outbox retry) replaces those headers instead of piling up copies, so a retried
 * request always carries a fresh date. The steps in between are public so the test
 * can compare each one with the official suite (shared/testdata/sigv4).
 *
 * URL convention: req->url is what goes on the wire, so its path and query are
 * already percent-encoded. Following the spec for every service except S3, the path
 * is normalised (".", "..", "//") and encoded once more ("%2F" signs as "%252F"),
 * while query names and values are decoded and re-encoded (RFC 3986; '+' is a literal
 * plus, so build URLs with %20 for spaces). S3 needs different path rules and is
 * refused rather than signed wrongly.
 *
 * Nothing here logs; results are codes. The secret key and the derived keys never
 * leave the functions that use them. */
#ifndef CANCELBOT_PROVIDERS_AWS_SIGV4_H
#define CANCELBOT_PROVIDERS_AWS_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include "providers/http.h"

enum aws_sigv4_rc {
    AWS_SIGV4_OK = 0,
    AWS_SIGV4_E_PARAMS,          /* key id, secret, region or service missing or malformed */
    AWS_SIGV4_E_URL,             /* req->url is not http(s)://host/... */
    AWS_SIGV4_E_TOO_BIG,         /* a header would not fit struct http_request */
    AWS_SIGV4_E_UNSUPPORTED,     /* service "s3": its path rules differ */
    AWS_SIGV4_E_NOMEM,
    AWS_SIGV4_E_CRYPTO           /* OpenSSL refused (should not happen) */
};

struct aws_sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;   /* NULL or "" for long-term keys */
    const char *region;          /* "us-east-1" */
    const char *service;         /* signing name, e.g. "aws-marketplace" */
    int64_t now_ms;              /* Unix time in ms; the caller's (possibly simulated) clock */
};

/* "20150830T123600Z" for now_ms; out must hold 17 bytes. */
void aws_sigv4_amz_date(int64_t now_ms, char out[17]);

/* Lower-case hex SHA-256 of the body (empty body allowed, body may then be NULL). */
int aws_sigv4_payload_hash(const void *body, size_t len, char out_hex[65]);

/* Percent-encodes len bytes of in, leaving A-Z a-z 0-9 - _ . ~ (and '/' when
 * keep_slash) as they are. Writes the result and a NUL to out when out is not NULL;
 * returns the encoded length either way, so call once with NULL to size out. */
size_t aws_sigv4_uri_encode(const char *in, size_t len, int keep_slash, char *out);

/* The canonical request of req as it stands (every header but Authorization and a
 * few a proxy or client may rewrite is signed). *out: caller frees. */
int aws_sigv4_canonical_request(const struct http_request *req, const char *payload_hash_hex,
                                char **out);

/* AWS4-HMAC-SHA256, the date, the credential scope and the canonical request's hash.
 * Uses p's time, region and service only. *out: caller frees. */
int aws_sigv4_string_to_sign(const char *canonical_request, const struct aws_sigv4_params *p,
                             char **out);

/* The Authorization value for req as it stands: no header is added or changed.
 * out is written only on success. */
int aws_sigv4_authorization(const struct http_request *req, const struct aws_sigv4_params *p,
                            char *out, size_t outlen);

/* Sets X-Amz-Date from p->now_ms, X-Amz-Security-Token from p (removed when p has
 * none), Host from the URL when absent, then replaces Authorization. On failure req
 * may hold the new date and token headers but no Authorization. */
int aws_sigv4_sign(struct http_request *req, const struct aws_sigv4_params *p);

/* One sentence per code, free of request data. */
const char *aws_sigv4_rc_text(enum aws_sigv4_rc rc);

#endif
