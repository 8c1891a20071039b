/* tests/test_sigv4.c -- SigV4 against the official AWS test suite, then the rules
 * the suite does not reach (re-signing, URLs already percent-encoded, refusals).
 *
 * The suite lives in $CANCELBOT_TESTDATA/sigv4 (ctest sets the variable). Every
 * folder holding <name>/<name>.req is a case, nested ones included; the run fails
 * when the variable is unset or fewer than SUITE_CASES cases turn up, so a moved
 * folder cannot pass as "nothing to check". Each case: parse the raw .req into a
 * struct http_request, sign it, then compare the canonical request, the string to
 * sign, the Authorization value and the rendered signed request with the files. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "providers/aws_sigv4.h"
#include "tests/check.h"

#define SUITE_CASES 29                      /* README.md: "29 cases here" */
#define SUITE_NOW_MS 1440938160000LL        /* 2015-08-30T12:36:00Z */
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define VANILLA_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define STS_TOKEN                                                                        \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAe" \
    "MicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phU" \
    "ZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38x" \
    "Vqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2" \
    "ICCR/oLxBA=="

static struct aws_sigv4_params suite_params(void)
{
    struct aws_sigv4_params p = {.access_key_id = "AKIDEXAMPLE",
                                 .secret_access_key = SUITE_SECRET,
                                 .region = "us-east-1",
                                 .service = "service",
                                 .now_ms = SUITE_NOW_MS};
    return p;
}

/* Whole file, NUL-terminated; NULL when unreadable. Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *nb;
    size_t n = 0, cap = 0, got;
    if (!f)
        return NULL;
    do {
        if (cap - n < 2) {
            if (!(nb = realloc(buf, cap ? cap * 2 : 4096)))
                goto fail;
            buf = nb;
            cap = cap ? cap * 2 : 4096;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    if (ferror(f))
        goto fail;
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

static void set_header(struct http_header *h, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    snprintf(h->name, sizeof(h->name), "%.*s", (int)nlen, name);
    snprintf(h->value, sizeof(h->value), "%.*s", (int)vlen, value);
}

/* The suite's raw request: "METHOD target HTTP/1.1", "Name:value" lines (values
 * kept raw, with a continuation line appended after "\n"), then optionally an empty
 * line and the body. The target may hold spaces, so it ends at the last space.
 * req->body points into text. Returns 0 when the text had that shape. */
static int parse_req(const char *text, size_t len, struct http_request *req, char *target,
                     size_t target_len)
{
    const char *end = text + len, *line = text, *nl, *sp1, *sp2, *host = NULL;
    size_t hl, tl;
    memset(req, 0, sizeof(*req));
    nl = memchr(line, '\n', (size_t)(end - line));
    nl = nl ? nl : end;
    sp1 = memchr(line, ' ', (size_t)(nl - line));
    for (sp2 = nl; sp2 > line && sp2[-1] != ' '; sp2--)
        ;
    if (!sp1 || --sp2 <= sp1 || (size_t)(nl - sp2) != 9 || memcmp(sp2, " HTTP/1.1", 9) != 0)
        return -1;
    snprintf(req->method, sizeof(req->method), "%.*s", (int)(sp1 - line), line);
    snprintf(target, target_len, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    for (line = nl < end ? nl + 1 : end; line < end; line = nl < end ? nl + 1 : end) {
        const char *colon;
        nl = memchr(line, '\n', (size_t)(end - line));
        nl = nl ? nl : end;
        if (nl == line) {                          /* empty line: the body follows */
            req->body = nl + 1 < end ? nl + 1 : NULL;
            req->body_len = req->body ? (size_t)(end - nl - 1) : 0;
            break;
        }
        if (*line == ' ' || *line == '\t') {       /* folded continuation line */
            struct http_header *h;
            size_t used;
            if (req->n_headers == 0)
                return -1;
            h = &req->headers[req->n_headers - 1];
            used = strlen(h->value);
            snprintf(h->value + used, sizeof(h->value) - used, "\n%.*s", (int)(nl - line),
                     line);
            continue;
        }
        colon = memchr(line, ':', (size_t)(nl - line));
        if (!colon || req->n_headers == HTTP_MAX_HEADERS)
            return -1;
        set_header(&req->headers[req->n_headers++], line, (size_t)(colon - line), colon + 1,
                   (size_t)(nl - colon - 1));
        if (strcasecmp(req->headers[req->n_headers - 1].name, "Host") == 0)
            host = req->headers[req->n_headers - 1].value;
    }
    if (!host)
        return -1;
    host += strspn(host, " \t");
    hl = strlen(host);
    tl = strlen(target);
    if (8 + hl + tl >= sizeof(req->url))
        return -1;
    memcpy(req->url, "https://", 8);
    memcpy(req->url + 8, host, hl);
    memcpy(req->url + 8 + hl, target, tl + 1);
    return 0;
}

/* The .sreq shape: request line, "Name:value" lines ("Authorization: " with a
 * space, as the suite writes it), then the body after an empty line. */
static void render_sreq(const struct http_request *req, const char *target, char *out,
                        size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "%s %s HTTP/1.1", req->method, target);
    for (int i = 0; i < req->n_headers && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "\n%s:%s%s", req->headers[i].name,
                              strcmp(req->headers[i].name, "Authorization") ? "" : " ",
                              req->headers[i].value);
    if (req->body && n < outlen)
        snprintf(out + n, outlen - n, "\n\n%.*s", (int)req->body_len, req->body);
}

/* Cuts the "Authorization: ..." line out, for the one .sreq the README lists as
 * wrong (its .authz is checked on its own). */
static void drop_authorization_line(char *s)
{
    char *a = strstr(s, "\nAuthorization: ");
    if (a) {
        char *e = strchr(a + 1, '\n');
        memmove(a, e ? e : a + strlen(a), strlen(e ? e : a + strlen(a)) + 1);
    }
}

static char *case_file(const char *dir, const char *name, const char *ext, size_t *len)
{
    char path[4096];
    size_t ignored;
    if (snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext) >= (int)sizeof(path))
        return NULL;                         /* the case then fails as unreadable */
    return slurp(path, len ? len : &ignored);
}

static void run_case(const char *dir, const char *name)
{
    struct http_request req;
    struct aws_sigv4_params p = suite_params();
    char target[2048], hash[65], *creq = NULL, *sts = NULL, *sreq = NULL;
    size_t len = 0;
    char *text = case_file(dir, name, ".req", &len);
    char *want_creq = case_file(dir, name, ".creq", NULL);
    char *want_sts = case_file(dir, name, ".sts", NULL);
    char *want_authz = case_file(dir, name, ".authz", NULL);
    char *want_sreq = case_file(dir, name, ".sreq", NULL);
    const char *authz = NULL;
    int ok;
    CHECK(text && want_creq && want_sts && want_authz && want_sreq);
    if (!text || !want_creq || !want_sts || !want_authz || !want_sreq)
        goto out;
    ok = parse_req(text, len, &req, target, sizeof(target)) == 0;
    CHECK(ok);
    if (!ok)
        goto out;
    /* The token cases, as README.md describes them. */
    if (strcmp(name, "get-vanilla-with-session-token") == 0)
        p.session_token = VANILLA_TOKEN;       /* the signer adds and signs the header */
    else if (strcmp(name, "post-sts-header-before") == 0)
        p.session_token = STS_TOKEN;           /* already in the .req, signed in place */
    CHECK(aws_sigv4_sign(&req, &p) == AWS_SIGV4_OK);
    CHECK(aws_sigv4_payload_hash(req.body, req.body_len, hash) == AWS_SIGV4_OK);
    CHECK(aws_sigv4_canonical_request(&req, hash, &creq) == AWS_SIGV4_OK);
    CHECK_STR(creq, want_creq);
    CHECK(creq && aws_sigv4_string_to_sign(creq, &p, &sts) == AWS_SIGV4_OK);
    CHECK_STR(sts, want_sts);
    for (int i = 0; i < req.n_headers; i++)
        if (strcmp(req.headers[i].name, "Authorization") == 0)
            authz = req.headers[i].value;
    CHECK_STR(authz, want_authz);
    if (strcmp(name, "post-sts-header-after") == 0) {
        /* Signed without the token; the token travels unsigned, added afterwards,
         * before Authorization as in the .sreq. */
        req.headers[req.n_headers] = req.headers[req.n_headers - 1];
        set_header(&req.headers[req.n_headers - 1], "X-Amz-Security-Token", 20, STS_TOKEN,
                   strlen(STS_TOKEN));
        req.n_headers++;
    }
    sreq = malloc(65536);
    if (!sreq)
        goto out;
    render_sreq(&req, target, sreq, 65536);
    if (strcmp(name, "get-vanilla-with-session-token") == 0) {
        drop_authorization_line(sreq);
        drop_authorization_line(want_sreq);
    }
    CHECK_STR(sreq, want_sreq);
out:
    if (check_current_failed)
        fprintf(stderr, "  in sigv4 case %s/%s\n", dir, name);
    free(text);
    free(want_creq);
    free(want_sts);
    free(want_authz);
    free(want_sreq);
    free(creq);
    free(sts);
    free(sreq);
}

/* Runs every <name>/<name>.req below dir; returns how many it found. */
static int walk_suite(const char *dir, int depth)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort), found = 0;
    for (int i = 0; i < n; i++) {
        char sub[4096], req[4096 + 300];
        FILE *f;
        if (ents[i]->d_name[0] == '.' || depth > 4)
            goto next;
        /* A path too long to build is not run, so the case count comes up short. */
        if (snprintf(sub, sizeof(sub), "%s/%s", dir, ents[i]->d_name) >= (int)sizeof(sub) ||
            snprintf(req, sizeof(req), "%s/%s.req", sub, ents[i]->d_name) >= (int)sizeof(req))
            goto next;
        if ((f = fopen(req, "rb"))) {
            fclose(f);
            run_case(sub, ents[i]->d_name);
            found++;
        } else {
            DIR *d = opendir(sub);
            if (d) {
                closedir(d);
                found += walk_suite(sub, depth + 1);
            }
        }
    next:
        free(ents[i]);
    }
    free(ents);
    return found;
}

static void test_every_suite_case_signs_byte_for_byte(void)
{
    const char *root = getenv("CANCELBOT_TESTDATA");
    char dir[4096];
    int cases;
    CHECK(root != NULL);
    if (!root) {
        fprintf(stderr, "CANCELBOT_TESTDATA is not set: cannot find the SigV4 suite\n");
        return;
    }
    cases = snprintf(dir, sizeof(dir), "%s/sigv4", root) < (int)sizeof(dir) ? walk_suite(dir, 0)
                                                                             : 0;
    printf("sigv4 suite: %d cases ran (%d expected)\n", cases, SUITE_CASES);
    CHECK(cases >= SUITE_CASES);
}

static struct http_request make_req(const char *method, const char *url)
{
    struct http_request r;
    memset(&r, 0, sizeof(r));
    snprintf(r.method, sizeof(r.method), "%s", method);
    snprintf(r.url, sizeof(r.url), "%s", url);
    return r;
}

/* Line `n` (0-based) of the canonical request of a GET to url, into out. */
static const char *creq_line(const char *url, int n, char *out, size_t outlen)
{
    struct http_request r = make_req("GET", url);
    char *creq = NULL, *s;
    out[0] = '\0';
    if (aws_sigv4_canonical_request(&r, "HASH", &creq) != AWS_SIGV4_OK)
        return "(refused)";
    for (s = creq; n > 0 && s; n--)
        s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL;
    if (s)
        snprintf(out, outlen, "%.*s", (int)strcspn(s, "\n"), s);
    free(creq);
    return out;
}

static const char *header(const struct http_request *r, const char *name, int *count)
{
    const char *v = NULL;
    *count = 0;
    for (int i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) {
            v = r->headers[i].value;
            (*count)++;
        }
    return v;
}

static void test_amz_date_is_the_utc_calendar(void)
{
    char d[17];
    aws_sigv4_amz_date(0, d);
    CHECK_STR(d, "19700101T000000Z");
    aws_sigv4_amz_date(951868799999LL, d);         /* last ms of a leap day */
    CHECK_STR(d, "20000229T235959Z");
    aws_sigv4_amz_date(951868800000LL, d);
    CHECK_STR(d, "20000301T000000Z");
    aws_sigv4_amz_date(2147483648000LL, d);        /* past 32-bit time_t */
    CHECK_STR(d, "20380119T031408Z");
}

static void test_encoded_path_is_encoded_again(void)
{
    char l[256];
    CHECK_STR(creq_line("https://h.example/a%2Fb/c d~", 1, l, sizeof(l)), "/a%252Fb/c%20d~");
}

static void test_dot_segments_go_and_trailing_slash_stays(void)
{
    char l[256];
    CHECK_STR(creq_line("https://h/a/b/..", 1, l, sizeof(l)), "/a/");
    CHECK_STR(creq_line("https://h/a/./b", 1, l, sizeof(l)), "/a/b");
    CHECK_STR(creq_line("https://h/../a", 1, l, sizeof(l)), "/a");
    CHECK_STR(creq_line("https://h", 1, l, sizeof(l)), "/");
    CHECK_STR(creq_line("https://h?x=1", 1, l, sizeof(l)), "/");
    CHECK_STR(creq_line("https://h?x=1#frag", 2, l, sizeof(l)), "x=1");
}

static void test_query_is_decoded_encoded_and_sorted(void)
{
    char l[256];
    /* '+' is a literal plus; %7e decodes to '~', which is never encoded; "c" has no
     * '=' and signs as "c="; the empty piece between && is dropped; %zz stays. */
    CHECK_STR(creq_line("https://h/?b=%7e&a=x+y&&c&d=%zz", 2, l, sizeof(l)),
              "a=x%2By&b=~&c=&d=%25zz");
    CHECK_STR(creq_line("https://h/?a=2&A=1&a=10", 2, l, sizeof(l)), "A=1&a=10&a=2");
}

static void test_resigning_replaces_date_token_and_signature(void)
{
    struct http_request r = make_req("POST", "https://example.amazonaws.com/");
    struct aws_sigv4_params p = suite_params();
    char first[2048] = "";
    const char *v;
    int n;
    r.body = "{}";
    r.body_len = 2;
    p.session_token = "TOKEN1";
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_OK);
    v = header(&r, "Authorization", &n);
    snprintf(first, sizeof(first), "%s", v ? v : "");
    CHECK_CONTAINS(first, "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=");
    p.session_token = NULL;
    p.now_ms += 60000;
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_OK);
    CHECK_STR(header(&r, "X-Amz-Date", &n), "20150830T123700Z");
    CHECK(n == 1);
    CHECK(header(&r, "X-Amz-Security-Token", &n) == NULL);
    v = header(&r, "Authorization", &n);
    CHECK(n == 1 && v && strcmp(v, first) != 0);
    CHECK_STR(r.headers[r.n_headers - 1].name, "Authorization");
    CHECK(header(&r, "Host", &n) && n == 1);
    p.region = "";                            /* a failed re-sign keeps no old signature */
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_PARAMS);
    CHECK(header(&r, "Authorization", &n) == NULL);
}

static void test_host_comes_from_url_without_default_port(void)
{
    struct aws_sigv4_params p = suite_params();
    struct http_request a = make_req("GET", "https://example.amazonaws.com:443/x");
    struct http_request b = make_req("GET", "http://127.0.0.1:8080/x");
    int n;
    CHECK(aws_sigv4_sign(&a, &p) == AWS_SIGV4_OK);
    CHECK_STR(header(&a, "Host", &n), "example.amazonaws.com");
    CHECK(aws_sigv4_sign(&b, &p) == AWS_SIGV4_OK);
    CHECK_STR(header(&b, "Host", &n), "127.0.0.1:8080");
}

static void test_client_rewritten_headers_are_not_signed(void)
{
    struct http_request r = make_req("GET", "https://example.amazonaws.com/");
    struct aws_sigv4_params p = suite_params();
    int n;
    snprintf(r.headers[0].name, sizeof(r.headers[0].name), "User-Agent");
    snprintf(r.headers[0].value, sizeof(r.headers[0].value), "cancelbot/0.1");
    snprintf(r.headers[1].name, sizeof(r.headers[1].name), "Expect");
    snprintf(r.headers[1].value, sizeof(r.headers[1].value), "100-continue");
    r.n_headers = 2;
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_OK);
    CHECK_CONTAINS(header(&r, "Authorization", &n), "SignedHeaders=host;x-amz-date,");
}

static void test_body_is_part_of_the_signature(void)
{
    struct http_request a = make_req("POST", "https://example.amazonaws.com/");
    struct http_request b = a;
    struct aws_sigv4_params p = suite_params();
    char hash[65];
    int n;
    a.body = "Param1=value1";
    a.body_len = 13;
    b.body = "Param1=value2";
    b.body_len = 13;
    CHECK(aws_sigv4_sign(&a, &p) == AWS_SIGV4_OK && aws_sigv4_sign(&b, &p) == AWS_SIGV4_OK);
    CHECK(strcmp(header(&a, "Authorization", &n), header(&b, "Authorization", &n)) != 0);
    CHECK(aws_sigv4_payload_hash(NULL, 0, hash) == AWS_SIGV4_OK);
    CHECK_STR(hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_s3_is_refused_rather_than_signed_wrongly(void)
{
    struct http_request r = make_req("GET", "https://bucket.s3.amazonaws.com/a//b");
    struct aws_sigv4_params p = suite_params();
    int n;
    p.service = "s3";
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_UNSUPPORTED);
    CHECK(header(&r, "Authorization", &n) == NULL);
}

static void test_bad_inputs_are_refused(void)
{
    struct aws_sigv4_params p = suite_params();
    struct http_request r = make_req("GET", "https://example.amazonaws.com/");
    p.access_key_id = "AKID/2015";                 /* would forge the credential scope */
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_PARAMS);
    p = suite_params();
    p.secret_access_key = "";
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_PARAMS);
    p = suite_params();
    p.region = "US East";
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_PARAMS);
    p = suite_params();
    p.session_token = "abc\r\nX-Injected: 1";
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_PARAMS);
    p = suite_params();
    r = make_req("GET", "ftp://example.amazonaws.com/");
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_URL);
    r = make_req("GET", "https://user:pw@example.amazonaws.com/");
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_URL);
    CHECK(strstr(aws_sigv4_rc_text(AWS_SIGV4_E_PARAMS), "secret key") != NULL);
}

static void test_full_header_table_is_refused(void)
{
    struct http_request r = make_req("GET", "https://example.amazonaws.com/");
    struct aws_sigv4_params p = suite_params();
    int n;
    for (int i = 0; i < HTTP_MAX_HEADERS; i++) {
        snprintf(r.headers[i].name, sizeof(r.headers[i].name), "X-Custom-%d", i);
        snprintf(r.headers[i].value, sizeof(r.headers[i].value), "v");
    }
    r.n_headers = HTTP_MAX_HEADERS;
    CHECK(aws_sigv4_sign(&r, &p) == AWS_SIGV4_E_TOO_BIG);
    CHECK(header(&r, "Authorization", &n) == NULL);
}

int main(void)
{
    RUN(test_every_suite_case_signs_byte_for_byte);
    RUN(test_amz_date_is_the_utc_calendar);
    RUN(test_encoded_path_is_encoded_again);
    RUN(test_dot_segments_go_and_trailing_slash_stays);
    RUN(test_query_is_decoded_encoded_and_sorted);
    RUN(test_resigning_replaces_date_token_and_signature);
    RUN(test_host_comes_from_url_without_default_port);
    RUN(test_client_rewritten_headers_are_not_signed);
    RUN(test_body_is_part_of_the_signature);
    RUN(test_s3_is_refused_rather_than_signed_wrongly);
    RUN(test_bad_inputs_are_refused);
    RUN(test_full_header_table_is_refused);
    return check_summary();
}
