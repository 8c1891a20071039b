/* tests/fake_market_sigv4.c -- SigV4 for the marketplace fake: checking the signature
 * of every AWS call, and `fake_market --sign-request`, which writes a signed raw
 * request for bash tests that have neither an SDK nor curl.
 *
 * The signature is recomputed with providers/aws_sigv4 over what actually arrived: the
 * headers the client's SignedHeaders names, with the values received, the body, Host,
 * the scope's region and date, and the known test key (FM_AWS_KEY_ID). A mismatch
 * answers 403 with the canonical request and string to sign we expected, as AWS does,
 * so a failing test shows which byte differs. The library is the one the provider
 * signs with, so what this catches is what changes between signing and the wire
 * (headers rewritten, or added and signed; the body re-encoded; the wrong host, scope,
 * key or date), not bugs in the library: tests/test_sigv4.c runs the official suite.
 * Like the library, this does not handle the unsigned-payload or chunked variants,
 * nor paths that lws would normalise: AWS JSON calls always POST to "/". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "providers/aws_sigv4.h"
#include "tests/fake_market_int.h"

/* ---- checking ------------------------------------------------------------------------- */

static int64_t days_from_civil(int y, int m, int d)    /* H. Hinnant's algorithm */
{
    int64_t yy = y - (m <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

int fm_sigv4_parse_date(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, se;
    char z = 0;
    if (strlen(s) != 16 || sscanf(s, "%4d%2d%2dT%2d%2d%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + se) * 1000;
    return 0;
}

static const char *signed_header(const struct http_request *req, const char *lname)
{
    for (int i = 0; i < req->n_headers; i++)
        if (!strcmp(req->headers[i].name, lname))
            return req->headers[i].value;
    return NULL;
}

/* Copies the value of "Key=" in an Authorization header, up to ',' or blank. */
static int auth_param(const char *auth, const char *key, char *out, size_t cap)
{
    const char *p = strstr(auth, key);
    size_t n;
    if (!p)
        return -1;
    p += strlen(key);
    n = strcspn(p, ", ");
    if (!n || n >= cap)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static json_t *mismatch(struct fm_answer *a, const struct http_request *req,
                        const struct aws_sigv4_params *p)
{
    char hash[65], *creq = NULL, *sts = NULL;
    aws_sigv4_payload_hash(req->body, req->body_len, hash);
    if (!aws_sigv4_canonical_request(req, hash, &creq))
        aws_sigv4_string_to_sign(creq, p, &sts);
    fm_aws_fail(a, NULL, 403, "InvalidSignatureException", "The request signature we "
                "calculated does not match the signature you provided. Check your AWS Secret "
                "Access Key and signing method. Consult the service documentation for "
                "details.\n\nThe Canonical String for this request should have been\n'%s'\n\n"
                "The String-to-Sign should have been\n'%s'\n", creq ? creq : "?", sts ? sts : "?");
    free(creq);
    free(sts);
    return NULL;
}

int fm_sigv4_verify(struct fm *f, const struct fm_call *c, const char *service,
                  const char *only_region, struct fm_answer *a)
{
    struct http_request *req = c->signed_req;
    struct aws_sigv4_params p = {FM_AWS_KEY_ID, FM_AWS_SECRET, NULL, NULL, service, 0};
    char cred[256], sig[80], *parts[5] = {0}, *save = NULL, mine[sizeof req->headers[0].value];
    const char *date, *mine_sig;
    int n = 0;
    /* fm_aws_fail() returns NULL, so each "return !!fm_aws_fail(...)" returns 0 */
    if (!c->authorization[0])
        return !!fm_aws_fail(a, NULL, 403, "MissingAuthenticationTokenException",
                             "Missing Authentication Token");
    if (!req || auth_param(c->authorization, "Credential=", cred, sizeof cred) ||
        auth_param(c->authorization, "Signature=", sig, sizeof sig))
        return !!fm_aws_fail(a, NULL, 400, "IncompleteSignatureException", "Authorization header "
                             "requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
                             "(AWS4-HMAC-SHA256).");
    for (char *s = strtok_r(cred, "/", &save); s && n < 5; s = strtok_r(NULL, "/", &save))
        parts[n++] = s;
    if (n != 5 || strtok_r(NULL, "/", &save) || strcmp(parts[4], "aws4_request"))
        return !!fm_aws_fail(a, NULL, 400, "IncompleteSignatureException", "Credential must have "
                             "the form <key id>/<date>/<region>/<service>/aws4_request.");
    if (strcmp(parts[0], FM_AWS_KEY_ID))
        return !!fm_aws_fail(a, NULL, 403, "UnrecognizedClientException",
                             "The security token included in the request is invalid.");
    if (!signed_header(req, "host"))
        return !!fm_aws_fail(a, NULL, 400, "IncompleteSignatureException", "'Host' or ':authority' "
                             "must be a 'SignedHeader' in the AWS Authorization.");
    if (!(date = signed_header(req, "x-amz-date")) || fm_sigv4_parse_date(date, &p.now_ms))
        return !!fm_aws_fail(a, NULL, 400, "IncompleteSignatureException", "Authorization header "
                             "requires existence of a signed, valid 'X-Amz-Date' header "
                             "(YYYYMMDDTHHMMSSZ).");
    if (strncmp(parts[1], date, 8) || strlen(parts[1]) != 8)
        return !!fm_aws_fail(a, NULL, 403, "InvalidSignatureException", "Date in Credential "
                             "scope does not match YYYYMMDD from ISO-8601 version of date from "
                             "HTTP: '%s' != '%.8s', from '%s'.", parts[1], date, date);
    if (strcmp(parts[3], service))
        return !!fm_aws_fail(a, NULL, 403, "InvalidSignatureException", "Credential should be "
                             "scoped to correct service: '%s'.", service);
    if (only_region && strcmp(parts[2], only_region))
        return !!fm_aws_fail(a, NULL, 403, "InvalidSignatureException", "Credential should be "
                             "scoped to a valid region, not '%s'.", parts[2]);
    if (f->max_skew_s) {             /* AWS allows 5 minutes; tests choose */
        int64_t skew = p.now_ms - (int64_t)(fm_wall_s() * 1000);
        if (skew > f->max_skew_s * 1000 || -skew > f->max_skew_s * 1000)
            return !!fm_aws_fail(a, NULL, 403, "InvalidSignatureException", "Signature %s: %s is "
                                 "%lld s away from the server's clock (at most %ld s allowed).",
                                 skew < 0 ? "expired" : "not yet current", date,
                                 (long long)(skew / 1000), f->max_skew_s);
    }
    p.region = parts[2];
    req->body = c->body;
    req->body_len = c->body_len;
    if (aws_sigv4_authorization(req, &p, mine, sizeof mine) ||
        !(mine_sig = strstr(mine, "Signature=")))
        return !!mismatch(a, req, &p);       /* an odd region or header the signer refuses */
    mine_sig += strlen("Signature=");
    if (strlen(mine_sig) != strlen(sig) || CRYPTO_memcmp(mine_sig, sig, strlen(sig)))
        return !!mismatch(a, req, &p);
    return 1;
}

/* ---- the --sign-request helper ---------------------------------------------------------- */

/* fake_market --sign-request --host H:P --target T --body JSON [--service S] [--region R]
 *   [--key-id K] [--secret X] [--date YYYYMMDDTHHMMSSZ] [--bad-signature]
 * writes one signed "POST / HTTP/1.1" request, Connection: close, to stdout: bash
 * tests send it over /dev/tcp, since a minimal Debian has no SDK and no curl. */
int fm_sigv4_sign_main(int argc, char **argv)
{
    struct http_request *req = calloc(1, sizeof *req);
    const char *host = NULL, *target = NULL, *body = NULL, *service = NULL, *date = NULL;
    struct aws_sigv4_params p = {FM_AWS_KEY_ID, FM_AWS_SECRET, NULL, "us-east-1", NULL, 0};
    int bad = 0, rc = 1;
    for (int i = 1; req && i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--bad-signature")) {
            bad = 1;
            continue;
        }
        if (!v)
            goto usage;
        i++;
        if (!strcmp(o, "--host")) host = v;
        else if (!strcmp(o, "--target")) target = v;
        else if (!strcmp(o, "--body")) body = v;
        else if (!strcmp(o, "--service")) service = v;
        else if (!strcmp(o, "--region")) p.region = v;
        else if (!strcmp(o, "--key-id")) p.access_key_id = v;
        else if (!strcmp(o, "--secret")) p.secret_access_key = v;
        else if (!strcmp(o, "--date")) date = v;
        else goto usage;
    }
    if (!req || !host || !target || !body)
        goto usage;
    if (!service)
        service = strncmp(target, SUPPORT_PREFIX, strlen(SUPPORT_PREFIX)) ? "aws-marketplace"
                                                                           : "support";
    p.service = service;
    p.now_ms = (int64_t)(fm_wall_s() * 1000);
    if (date && fm_sigv4_parse_date(date, &p.now_ms))
        goto usage;
    snprintf(req->method, sizeof req->method, "POST");
    snprintf(req->url, sizeof req->url, "http://%s/", host);
    req->body = body;
    req->body_len = strlen(body);
    if (http_request_add_header(req, "Host", host) ||
        http_request_add_header(req, "Content-Type", strcmp(service, "support")
                                ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1") ||
        http_request_add_header(req, "X-Amz-Target", target) || aws_sigv4_sign(req, &p)) {
        fputs("fake_market: cannot sign that request\n", stderr);
        goto out;
    }
    printf("POST / HTTP/1.1\r\n");
    for (int i = 0; i < req->n_headers; i++) {
        char *v = req->headers[i].value;
        if (bad && !strcmp(req->headers[i].name, "Authorization"))
            v[strlen(v) - 1] = v[strlen(v) - 1] == '0' ? '1' : '0';   /* one digit off */
        printf("%s: %s\r\n", req->headers[i].name, v);
    }
    printf("Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    rc = fflush(stdout) ? 1 : 0;
    goto out;
usage:
    fputs("usage: fake_market --sign-request --host HOST:PORT --target TARGET --body JSON\n"
          "         [--service NAME] [--region R] [--key-id ID] [--secret KEY]\n"
          "         [--date YYYYMMDDTHHMMSSZ] [--bad-signature]\n", stderr);
out:
    free(req);
    return rc;
}
