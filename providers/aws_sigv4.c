/* providers/aws_sigv4.c -- AWS Signature Version 4, as aws_sigv4.h describes it.
 *
 * Four stages, each checked byte for byte against the official suite:
 *   canonical request  method, normalised path, sorted query, canonical headers,
 *                      signed-header list, payload hash
 *   string to sign     algorithm, date, credential scope, hash of the canonical request
 *   signing key        HMAC chain "AWS4"+secret -> date -> region -> service -> aws4_request
 *   Authorization      Credential=<key id>/<scope>, SignedHeaders=..., Signature=<hex>
 * Text is built in a growable buffer with a sticky out-of-memory flag, so each
 * function checks for failure once, at its out: label. Key material lives on the
 * stack and is wiped with OPENSSL_cleanse before returning. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "providers/aws_sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SECRET_MAX 255

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(np = realloc(b->p, cap))) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_putc(struct sbuf *b, char c) { sb_add(b, &c, 1); }

/* RFC 3986 unreserved, spelled out: isalnum() would follow the process's locale. */
static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

size_t aws_sigv4_uri_encode(const char *in, size_t len, int keep_slash, char *out)
{
    static const char digits[] = "0123456789ABCDEF";   /* the spec wants upper case */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            if (out)
                out[n] = (char)c;
            n++;
        } else {
            if (out) {
                out[n] = '%';
                out[n + 1] = digits[c >> 4];
                out[n + 2] = digits[c & 15];
            }
            n += 3;
        }
    }
    if (out)
        out[n] = '\0';
    return n;
}

static void sb_encode(struct sbuf *b, const char *s, size_t n, int keep_slash)
{
    size_t len = b->len, need = aws_sigv4_uri_encode(s, n, keep_slash, NULL);
    for (size_t i = 0; i < need; i++)        /* make room, then encode in place */
        sb_putc(b, ' ');
    if (!b->oom)
        aws_sigv4_uri_encode(s, n, keep_slash, b->p + len);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): no gmtime_r, so
 * the result never depends on the process's time zone or locale. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void aws_sigv4_amz_date(int64_t now_ms, char out[17])
{
    int64_t secs = now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    /* Years past 9999 cannot be written in 4 digits; clamp so out never overflows. */
    y = y < 0 ? 0 : y > 9999 ? 9999 : y;
    /* The modulos tell gcc each field's width, so it can see 17 bytes suffice. */
    snprintf(out, 17, "%04u%02u%02uT%02u%02u%02uZ", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(rem / 3600) % 100u, (unsigned)(rem % 3600 / 60) % 100u,
             (unsigned)(rem % 60) % 100u);
}

int aws_sigv4_payload_hash(const void *body, size_t len, char out_hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(body ? body : "", len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return AWS_SIGV4_E_CRYPTO;
    hex_encode(md, 32, out_hex);
    return AWS_SIGV4_OK;
}

/* The pieces of req->url: no allocation, pointers into the string. */
struct url_parts {
    int https;
    const char *host;
    size_t host_len;             /* authority with a default port removed */
    const char *path;
    size_t path_len;
    const char *query;           /* after '?', may be empty */
    size_t query_len;
};

static int url_split(const char *url, struct url_parts *u)
{
    const char *a, *p;
    size_t alen;
    memset(u, 0, sizeof(*u));
    if (strncasecmp(url, "https://", 8) == 0) {
        u->https = 1;
        a = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        a = url + 7;
    } else {
        return AWS_SIGV4_E_URL;
    }
    alen = strcspn(a, "/?#");
    /* Userinfo in the URL would be sent in clear and is never what we mean. */
    if (alen == 0 || memchr(a, '@', alen))
        return AWS_SIGV4_E_URL;
    u->host = a;
    u->host_len = alen;
    if (alen > 4 && u->https && memcmp(a + alen - 4, ":443", 4) == 0 && a[alen - 5] != ':')
        u->host_len -= 4;
    else if (alen > 3 && !u->https && memcmp(a + alen - 3, ":80", 3) == 0 &&
             a[alen - 4] != ':')
        u->host_len -= 3;
    p = a + alen;
    u->path = p;
    u->path_len = strcspn(p, "?#");
    p += u->path_len;
    if (*p == '?') {
        u->query = p + 1;
        u->query_len = strcspn(u->query, "#");
    }
    return AWS_SIGV4_OK;
}

/* Removes "." and "..", collapses "//" and keeps a trailing slash (RFC 3986 5.2.4,
 * plus the empty-segment rule of SigV4), then encodes the result once more. */
static void canonical_uri(struct sbuf *b, const char *path, size_t len)
{
    char *out = malloc(len + 2);
    size_t n = 0, i = 0;
    int trailing = 0;
    if (!out) {
        b->oom = 1;
        return;
    }
    while (i < len) {
        size_t s = i, seg;
        while (i < len && path[i] != '/')
            i++;
        seg = i - s;
        trailing = i < len;                  /* a '/' follows this segment */
        if (i < len)
            i++;
        if (seg == 0 || (seg == 1 && path[s] == '.')) {
            trailing = 1;
        } else if (seg == 2 && path[s] == '.' && path[s + 1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
            trailing = 1;
        } else {
            out[n++] = '/';
            memcpy(out + n, path + s, seg);
            n += seg;
        }
    }
    if (n == 0 || trailing)
        out[n++] = '/';
    sb_encode(b, out, n, 1);
    free(out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX to bytes; a malformed escape stays literal (and is then encoded as %25). */
static size_t percent_decode(const char *s, size_t n, char *out)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[r++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[r++] = s[i];
        }
    }
    return r;
}

struct qpair {
    const char *name, *value;    /* encoded, in the arena */
};

static int qpair_cmp(const void *a, const void *b)
{
    const struct qpair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* Each name and value is decoded then encoded, so "%E1%88%B4" and the raw UTF-8
 * bytes sign alike; pairs sort by encoded name, then encoded value. */
static void canonical_query(struct sbuf *b, const char *q, size_t len)
{
    size_t npairs = 1, used = 0, n = 0, i = 0;
    struct qpair *pairs = NULL;
    char *arena = NULL, *scratch;
    for (size_t k = 0; k < len; k++)
        npairs += q[k] == '&';
    pairs = calloc(npairs, sizeof(*pairs));
    /* Encoded text is at most three times the raw text, plus a NUL per string;
     * the last len + 1 bytes are scratch space for decoding. */
    arena = malloc(3 * len + 2 * npairs + len + 1);
    if (!pairs || !arena) {
        b->oom = 1;
        goto out;
    }
    scratch = arena + 3 * len + 2 * npairs;
    while (i < len) {
        size_t s = i, eq, r;
        while (i < len && q[i] != '&')
            i++;
        if (i == s) {
            i++;
            continue;                            /* "a=1&&b=2": nothing between */
        }
        for (eq = s; eq < i && q[eq] != '='; eq++)
            ;
        r = percent_decode(q + s, eq - s, scratch);
        pairs[n].name = arena + used;
        used += aws_sigv4_uri_encode(scratch, r, 0, arena + used) + 1;
        r = eq < i ? percent_decode(q + eq + 1, i - eq - 1, scratch) : 0;
        pairs[n].value = arena + used;
        used += aws_sigv4_uri_encode(scratch, r, 0, arena + used) + 1;
        n++;
        i++;
    }
    qsort(pairs, n, sizeof(*pairs), qpair_cmp);
    for (size_t k = 0; k < n; k++) {
        if (k)
            sb_putc(b, '&');
        sb_puts(b, pairs[k].name);
        sb_putc(b, '=');
        sb_puts(b, pairs[k].value);
    }
out:
    free(arena);
    free(pairs);
}

/* Authorization cannot sign itself; the others are set or rewritten by HTTP clients
 * and proxies after signing, so the SDKs leave them out too. */
static int header_is_unsigned(const char *lname)
{
    static const char *const skip[] = {"authorization", "user-agent", "expect",
                                       "x-amzn-trace-id"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(lname, skip[i]) == 0)
            return 1;
    return 0;
}

struct canon_header {
    char name[sizeof(((struct http_header *)0)->name)];   /* lower case, trimmed */
    int idx[HTTP_MAX_HEADERS];       /* repeated headers, in the order they appear */
    int n;
};

/* Groups req's headers by lower-cased name and sorts the groups by name. */
static int collect_headers(const struct http_request *req, struct canon_header *h, int *nh)
{
    int n = 0;
    for (int i = 0; i < req->n_headers && i < HTTP_MAX_HEADERS; i++) {
        const char *s = req->headers[i].name;
        size_t len;
        char lname[sizeof(h->name)];
        int j;
        while (is_blank(*s))
            s++;
        len = strnlen(s, sizeof(lname) - 1);
        while (len > 0 && is_blank(s[len - 1]))
            len--;
        if (len == 0)
            return AWS_SIGV4_E_PARAMS;
        for (size_t k = 0; k < len; k++)
            lname[k] = (char)tolower((unsigned char)s[k]);
        lname[len] = '\0';
        if (header_is_unsigned(lname))
            continue;
        for (j = 0; j < n && strcmp(h[j].name, lname) != 0; j++)
            ;
        if (j == n) {
            memcpy(h[n].name, lname, len + 1);
            h[n++].n = 0;
        }
        h[j].idx[h[j].n++] = i;
    }
    for (int i = 1; i < n; i++) {            /* insertion sort: at most 24 entries */
        struct canon_header t = h[i];
        int j = i;
        for (; j > 0 && strcmp(h[j - 1].name, t.name) > 0; j--)
            h[j] = h[j - 1];
        h[j] = t;
    }
    *nh = n;
    return AWS_SIGV4_OK;
}

/* Trims the value and squeezes each run of blanks, line breaks of a folded
 * (multi-line) value included, to one space. */
static void sb_squeezed(struct sbuf *b, const char *v)
{
    int pending = 0;
    while (is_blank(*v))
        v++;
    for (; *v; v++) {
        if (is_blank(*v)) {
            pending = 1;
            continue;
        }
        if (pending)
            sb_putc(b, ' ');
        pending = 0;
        sb_putc(b, *v);
    }
}

static int build_canonical(const struct http_request *req, const char *payload_hash_hex,
                           struct sbuf *creq, struct sbuf *signed_list)
{
    struct canon_header h[HTTP_MAX_HEADERS];
    struct url_parts u;
    int nh, rc;
    if ((rc = url_split(req->url, &u)) || (rc = collect_headers(req, h, &nh)))
        return rc;
    sb_puts(creq, req->method);
    sb_putc(creq, '\n');
    canonical_uri(creq, u.path, u.path_len);
    sb_putc(creq, '\n');
    canonical_query(creq, u.query ? u.query : "", u.query_len);
    sb_putc(creq, '\n');
    for (int i = 0; i < nh; i++) {
        sb_puts(creq, h[i].name);
        sb_putc(creq, ':');
        for (int k = 0; k < h[i].n; k++) {
            if (k)
                sb_putc(creq, ',');
            sb_squeezed(creq, req->headers[h[i].idx[k]].value);
        }
        sb_putc(creq, '\n');
        if (i)
            sb_putc(signed_list, ';');
        sb_puts(signed_list, h[i].name);
    }
    sb_putc(creq, '\n');
    sb_puts(creq, signed_list->p ? signed_list->p : "");
    sb_putc(creq, '\n');
    sb_puts(creq, payload_hash_hex);
    return creq->oom || signed_list->oom ? AWS_SIGV4_E_NOMEM : AWS_SIGV4_OK;
}

int aws_sigv4_canonical_request(const struct http_request *req, const char *payload_hash_hex,
                                char **out)
{
    struct sbuf creq = {0}, signed_list = {0};
    int rc = build_canonical(req, payload_hash_hex, &creq, &signed_list);
    if (rc == AWS_SIGV4_OK) {
        *out = creq.p;
        creq.p = NULL;
    }
    free(creq.p);
    free(signed_list.p);
    return rc;
}

static int is_scope_word(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (!(islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '-'))
            return 0;
    return n > 0 && n < 64;
}

/* Everything that ends up in a header must be plain printable ASCII: a line break
 * in a token would let it write headers of its own. */
static int is_header_safe(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
            return 0;
    return n > 0 && n <= max;
}

static int check_params(const struct aws_sigv4_params *p)
{
    size_t n;
    if (!p->access_key_id || !p->secret_access_key || !is_scope_word(p->region) ||
        !is_scope_word(p->service))
        return AWS_SIGV4_E_PARAMS;
    for (n = 0; p->access_key_id[n]; n++)
        if (!isalnum((unsigned char)p->access_key_id[n]))
            return AWS_SIGV4_E_PARAMS;
    if (n == 0 || n > 127)
        return AWS_SIGV4_E_PARAMS;
    n = strlen(p->secret_access_key);
    if (n == 0 || n > SECRET_MAX)
        return AWS_SIGV4_E_PARAMS;
    if (p->session_token && p->session_token[0] &&
        !is_header_safe(p->session_token, sizeof(((struct http_header *)0)->value) - 1))
        return AWS_SIGV4_E_PARAMS;
    /* S3 signs the path unnormalised and encoded once: not what this file does. */
    if (strcmp(p->service, "s3") == 0 || strncmp(p->service, "s3-", 3) == 0)
        return AWS_SIGV4_E_UNSUPPORTED;
    return AWS_SIGV4_OK;
}

static void sb_scope(struct sbuf *b, const char *amz_date, const struct aws_sigv4_params *p)
{
    sb_add(b, amz_date, 8);
    sb_putc(b, '/');
    sb_puts(b, p->region);
    sb_putc(b, '/');
    sb_puts(b, p->service);
    sb_puts(b, "/aws4_request");
}

int aws_sigv4_string_to_sign(const char *canonical_request, const struct aws_sigv4_params *p,
                             char **out)
{
    struct sbuf sts = {0};
    char date[17], hash[65];
    int rc;
    if (!is_scope_word(p->region) || !is_scope_word(p->service))
        return AWS_SIGV4_E_PARAMS;
    if ((rc = aws_sigv4_payload_hash(canonical_request, strlen(canonical_request), hash)))
        return rc;
    aws_sigv4_amz_date(p->now_ms, date);
    sb_puts(&sts, ALGORITHM "\n");
    sb_puts(&sts, date);
    sb_putc(&sts, '\n');
    sb_scope(&sts, date, p);
    sb_putc(&sts, '\n');
    sb_puts(&sts, hash);
    if (sts.oom) {
        free(sts.p);
        return AWS_SIGV4_E_NOMEM;
    }
    *out = sts.p;
    return AWS_SIGV4_OK;
}

/* The signing key chain, then HMAC of the string to sign. Key material is wiped. */
static int signature_hex(const char *sts, const struct aws_sigv4_params *p, char out[65])
{
    unsigned char secret[4 + SECRET_MAX], a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    size_t slen = strlen(p->secret_access_key);
    unsigned int alen = 0, blen = 0;
    char date[17];
    int rc = AWS_SIGV4_E_CRYPTO;
    aws_sigv4_amz_date(p->now_ms, date);
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, p->secret_access_key, slen);     /* slen <= SECRET_MAX: checked */
    if (!HMAC(EVP_sha256(), secret, (int)(4 + slen), (const unsigned char *)date, 8, a, &alen) ||
        !HMAC(EVP_sha256(), a, (int)alen, (const unsigned char *)p->region, strlen(p->region),
              b, &blen) ||
        !HMAC(EVP_sha256(), b, (int)blen, (const unsigned char *)p->service,
              strlen(p->service), a, &alen) ||
        !HMAC(EVP_sha256(), a, (int)alen, (const unsigned char *)"aws4_request", 12, b, &blen) ||
        !HMAC(EVP_sha256(), b, (int)blen, (const unsigned char *)sts, strlen(sts), a, &alen) ||
        alen != 32)
        goto out;
    hex_encode(a, 32, out);
    rc = AWS_SIGV4_OK;
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    return rc;
}

int aws_sigv4_authorization(const struct http_request *req, const struct aws_sigv4_params *p,
                            char *out, size_t outlen)
{
    struct sbuf creq = {0}, signed_list = {0}, authz = {0};
    char *sts = NULL, payload_hash[65], sig[65], date[17];
    int rc;
    if ((rc = check_params(p)) ||
        (rc = aws_sigv4_payload_hash(req->body, req->body ? req->body_len : 0, payload_hash)) ||
        (rc = build_canonical(req, payload_hash, &creq, &signed_list)) ||
        (rc = aws_sigv4_string_to_sign(creq.p, p, &sts)) ||
        (rc = signature_hex(sts, p, sig)))
        goto out;
    aws_sigv4_amz_date(p->now_ms, date);
    sb_puts(&authz, ALGORITHM " Credential=");
    sb_puts(&authz, p->access_key_id);
    sb_putc(&authz, '/');
    sb_scope(&authz, date, p);
    sb_puts(&authz, ", SignedHeaders=");
    sb_puts(&authz, signed_list.p);
    sb_puts(&authz, ", Signature=");
    sb_puts(&authz, sig);
    rc = authz.oom ? AWS_SIGV4_E_NOMEM : authz.len >= outlen ? AWS_SIGV4_E_TOO_BIG : AWS_SIGV4_OK;
    if (rc == AWS_SIGV4_OK)
        memcpy(out, authz.p, authz.len + 1);
out:
    OPENSSL_cleanse(sig, sizeof(sig));
    free(authz.p);
    free(sts);
    free(creq.p);
    free(signed_list.p);
    return rc;
}

static int header_index(const struct http_request *req, const char *name)
{
    for (int i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return i;
    return -1;
}

static void header_remove(struct http_request *req, const char *name)
{
    int w = 0;
    for (int i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) != 0)
            req->headers[w++] = req->headers[i];
    req->n_headers = w;
}

/* Overwrites the first header of that name and drops its repeats, or appends: a
 * re-signed request keeps one copy of each, where it was. */
static int header_set(struct http_request *req, const char *name, const char *value, size_t len)
{
    int at = -1, w = 0;
    if (len >= sizeof(req->headers[0].value))
        return AWS_SIGV4_E_TOO_BIG;
    for (int i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            if (at >= 0)
                continue;
            at = w;
        }
        req->headers[w++] = req->headers[i];
    }
    req->n_headers = w;
    if (at < 0) {
        if (req->n_headers >= HTTP_MAX_HEADERS)
            return AWS_SIGV4_E_TOO_BIG;
        at = req->n_headers++;
        snprintf(req->headers[at].name, sizeof(req->headers[at].name), "%s", name);
    }
    memcpy(req->headers[at].value, value, len);
    req->headers[at].value[len] = '\0';
    return AWS_SIGV4_OK;
}

int aws_sigv4_sign(struct http_request *req, const struct aws_sigv4_params *p)
{
    char date[17], authz[sizeof(req->headers[0].value)];
    struct url_parts u;
    int rc;
    header_remove(req, "Authorization");     /* a failed re-sign leaves no stale signature */
    if ((rc = check_params(p)) || (rc = url_split(req->url, &u)))
        return rc;
    aws_sigv4_amz_date(p->now_ms, date);
    if ((rc = header_set(req, "X-Amz-Date", date, 16)))
        return rc;
    if (p->session_token && p->session_token[0]) {
        if ((rc = header_set(req, "X-Amz-Security-Token", p->session_token,
                             strlen(p->session_token))))
            return rc;
    } else {
        header_remove(req, "X-Amz-Security-Token");
    }
    if (header_index(req, "Host") < 0 &&
        (rc = header_set(req, "Host", u.host, u.host_len)))
        return rc;
    if ((rc = aws_sigv4_authorization(req, p, authz, sizeof(authz))))
        return rc;
    return header_set(req, "Authorization", authz, strlen(authz));
}

const char *aws_sigv4_rc_text(enum aws_sigv4_rc rc)
{
    switch (rc) {                            /* no default: -Wswitch names a new code */
    case AWS_SIGV4_OK:            return "Signed.";
    case AWS_SIGV4_E_PARAMS:      return "AWS signing needs an access key id (letters and "
                                         "digits), a secret key, a region, a service name "
                                         "and non-empty header names.";
    case AWS_SIGV4_E_URL:         return "The AWS request URL is not http(s)://host/path.";
    case AWS_SIGV4_E_TOO_BIG:     return "The signed AWS request has too many or too long "
                                         "headers.";
    case AWS_SIGV4_E_UNSUPPORTED: return "Signing for Amazon S3 is not supported (its path "
                                         "rules differ).";
    case AWS_SIGV4_E_NOMEM:       return "Out of memory while signing the AWS request.";
    case AWS_SIGV4_E_CRYPTO:      return "OpenSSL failed while signing the AWS request.";
    }
    return "Unexpected AWS signing error.";
}
