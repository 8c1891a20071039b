/* providers/aws_credentials.c -- the credential sources of aws_credentials.h.
 *
 * Every source ends in fill(), the one place that checks key id, secret and token
 * (present, fits, no spaces or control characters, since they end up in headers)
 * and phrases the error from a description of where the value came from. The shared
 * files are read by aws_profile.h, which keeps only the keys of one profile and their
 * line numbers. The STS answer is XML, read with aws_sts.h's small reader. Secrets
 * copied into locals are wiped. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "providers/aws_credentials.h"
#include "providers/aws_profile.h"
#include "providers/aws_sigv4.h"
#include "providers/aws_sts.h"

#define ECS_AGENT "http://169.254.170.2"
#define WEB_TOKEN_MAX 20000          /* STS: WebIdentityToken is at most 20000 characters */
#define PATH_BUF 4096

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *env_get(aws_getenv_fn fn, void *ud, const char *name)
{
    const char *v = fn(ud, name);
    return v && v[0] ? v : NULL;
}

/* At most max bytes of path, NUL-terminated. Returns 0 or an errno value (EFBIG:
 * longer than max). *out: caller frees. */
static int read_file(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;
    int e = 0;
    if (!f)
        return errno ? errno : EIO;
    if (!(buf = malloc(max + 2))) {
        e = ENOMEM;
        goto out;
    }
    n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        e = errno ? errno : EIO;
    } else if (n > max) {
        e = EFBIG;
    } else {
        buf[n] = '\0';
        *out = buf;
        *len = n;
        buf = NULL;
    }
out:
    free(buf);
    fclose(f);
    return e;
}

/* What a value may hold. Everything ends up in a header, so never a control
 * character (a line break would let it write headers of its own). */
enum field_kind { FIELD_KEY_ID, FIELD_TOKEN, FIELD_HEADER };

/* what says where the value came from: "AWS_SESSION_TOKEN", "aws_access_key_id of
 * profile 'dev' (/home/x/.aws/credentials line 3)". */
static int check_field(const char *v, size_t cap, enum field_kind kind, const char *what,
                       char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (n == 0)
        return fail(err, errlen, AWS_CRED_E_INVALID, "%s is empty.", what);
    if (n >= cap)
        return fail(err, errlen, AWS_CRED_E_INVALID, "%s is longer than %zu characters.", what,
                    cap - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (kind == FIELD_KEY_ID && !isalnum(c))
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "%s has characters other than letters and digits.", what);
        if (kind == FIELD_HEADER && (c < 0x20 || c >= 0x7f))
            return fail(err, errlen, AWS_CRED_E_INVALID, "%s contains control characters.",
                        what);
        if (kind != FIELD_HEADER && (c <= 0x20 || c >= 0x7f))
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "%s contains spaces or control characters.", what);
    }
    return AWS_CRED_OK;
}

/* what[]: where the key id, the secret and the token came from. */
static int fill(struct aws_credentials *out, const char *id, const char *secret,
                const char *token, int64_t expires_ms, const char *source,
                const char *const what[3], char *err, size_t errlen)
{
    struct aws_credentials c;
    int rc;
    memset(&c, 0, sizeof(c));
    if (!(rc = check_field(id, sizeof(c.access_key_id), FIELD_KEY_ID, what[0], err, errlen)) &&
        !(rc = check_field(secret, sizeof(c.secret_access_key), FIELD_TOKEN, what[1], err,
                           errlen)) &&
        !(token && token[0] &&
          (rc = check_field(token, sizeof(c.session_token), FIELD_TOKEN, what[2], err, errlen)))) {
        snprintf(c.access_key_id, sizeof(c.access_key_id), "%s", id);
        snprintf(c.secret_access_key, sizeof(c.secret_access_key), "%s", secret);
        snprintf(c.session_token, sizeof(c.session_token), "%s", token ? token : "");
        snprintf(c.source, sizeof(c.source), "%s", source);
        c.expires_ms = expires_ms;
        *out = c;
    }
    OPENSSL_cleanse(&c, sizeof(c));
    return rc;
}

int aws_credentials_from_env(aws_getenv_fn fn, void *ud, struct aws_credentials *out,
                             char *err, size_t errlen)
{
    static const char *const what[3] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN"};
    const char *id = env_get(fn, ud, what[0]), *secret = env_get(fn, ud, what[1]);
    if (!id && !secret)
        return fail(err, errlen, AWS_CRED_E_NOT_FOUND,
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set.");
    if (!id || !secret)
        return fail(err, errlen, AWS_CRED_E_INVALID, "%s is set but %s is not.",
                    id ? what[0] : what[1], id ? what[1] : what[0]);
    return fill(out, id, secret, env_get(fn, ud, what[2]), 0, "environment", what, err, errlen);
}

/* The override variable, else ~/.aws/<name>; a leading "~/" means HOME, as in the
 * SDKs. out[0] stays '\0' when there is no HOME to start from. */
static int shared_path(aws_getenv_fn fn, void *ud, const char *var, const char *name,
                       char out[PATH_BUF], char *err, size_t errlen)
{
    const char *v = env_get(fn, ud, var), *home = env_get(fn, ud, "HOME");
    int n;
    out[0] = '\0';
    if (v && !(v[0] == '~' && v[1] == '/'))
        n = snprintf(out, PATH_BUF, "%s", v);
    else if (home)
        n = v ? snprintf(out, PATH_BUF, "%s%s", home, v + 1)
              : snprintf(out, PATH_BUF, "%s/.aws/%s", home, name);
    else
        return AWS_CRED_OK;
    if (n < 0 || n >= PATH_BUF) {
        out[0] = '\0';
        return fail(err, errlen, AWS_CRED_E_INVALID, "The path in %s is too long.",
                    v ? var : "HOME");
    }
    return AWS_CRED_OK;
}

static int has_keys(const struct aws_profile *p)
{
    return p->val[AWS_PROFILE_KEY_ID] || p->val[AWS_PROFILE_SECRET];
}

int aws_credentials_from_profiles(const struct aws_profile *pc, const struct aws_profile *pf,
                                  const char *profile, int named, struct aws_credentials *out,
                                  char *err, size_t errlen)
{
    const char *const *names = aws_profile_key_names;
    const struct aws_profile *src;
    const char *cpath = pc->path && pc->path[0] ? pc->path : "HOME unset";
    const char *fpath = pf->path && pf->path[0] ? pf->path : "HOME unset";
    char what[3][PATH_BUF + 128];
    const char *whatp[3] = {what[0], what[1], what[2]};
    if (!pc->has_section && !pf->has_section)
        return fail(err, errlen, named ? AWS_CRED_E_INVALID : AWS_CRED_E_NOT_FOUND,
                    "Profile '%s'%s is in neither the credentials file (%s) nor the config "
                    "file (%s).", profile, named ? " (from AWS_PROFILE)" : "", cpath, fpath);
    for (const struct aws_profile *p = pc; p; p = p == pc ? pf : NULL)
        if (p->refused)
            return fail(err, errlen, AWS_CRED_E_UNSUPPORTED,
                        "Profile '%s' in %s (line %d) uses %s: roles, web identity and SSO "
                        "from a profile are not supported yet; give the profile "
                        "aws_access_key_id and aws_secret_access_key, or set AWS_ROLE_ARN and "
                        "AWS_WEB_IDENTITY_TOKEN_FILE.", profile, p->path, p->refused_line,
                        p->refused);
    /* The SDKs' order: credentials file keys, credential_process, config file keys. */
    src = has_keys(pc) ? pc : NULL;
    if (!src && (pc->process_line || pf->process_line))
        return fail(err, errlen, AWS_CRED_E_UNSUPPORTED,
                    "Profile '%s' in %s (line %d) uses credential_process, which is not "
                    "supported yet.", profile, pc->process_line ? cpath : fpath,
                    pc->process_line ? pc->process_line : pf->process_line);
    src = src ? src : has_keys(pf) ? pf : NULL;
    if (!src)
        return fail(err, errlen, AWS_CRED_E_NOT_FOUND,
                    "Profile '%s' has no aws_access_key_id in %s or %s.", profile, cpath, fpath);
    if (!src->val[AWS_PROFILE_KEY_ID] || !src->val[AWS_PROFILE_SECRET]) {
        int has = src->val[AWS_PROFILE_KEY_ID] ? AWS_PROFILE_KEY_ID : AWS_PROFILE_SECRET;
        return fail(err, errlen, AWS_CRED_E_INVALID,
                    "Profile '%s' in %s sets %s (line %d) but not %s.", profile, src->path,
                    names[has], src->line[has],
                    names[has == AWS_PROFILE_KEY_ID ? AWS_PROFILE_SECRET : AWS_PROFILE_KEY_ID]);
    }
    for (int k = 0; k < 3; k++)
        snprintf(what[k], sizeof(what[k]), "%s of profile '%s' (%s line %d)", names[k],
                 profile, src->path, src->line[k]);
    return fill(out, src->val[AWS_PROFILE_KEY_ID], src->val[AWS_PROFILE_SECRET],
                src->val[AWS_PROFILE_TOKEN], 0,
                src == pc ? "shared-credentials-file" : "config-file", whatp, err, errlen);
}

int aws_credentials_from_profile(aws_getenv_fn fn, void *ud, struct aws_credentials *out,
                                 char *err, size_t errlen)
{
    struct aws_profile pc = {0}, pf = {0};
    char cpath[PATH_BUF], fpath[PATH_BUF];
    const char *named = env_get(fn, ud, "AWS_PROFILE");
    const char *profile = named ? named : "default";
    int rc;
    if (!(rc = shared_path(fn, ud, "AWS_SHARED_CREDENTIALS_FILE", "credentials", cpath, err,
                           errlen)) &&
        !(rc = shared_path(fn, ud, "AWS_CONFIG_FILE", "config", fpath, err, errlen)) &&
        !(rc = aws_profile_read_file(&pc, cpath, 0, profile, err, errlen)) &&
        !(rc = aws_profile_read_file(&pf, fpath, 1, profile, err, errlen)))
        rc = aws_credentials_from_profiles(&pc, &pf, profile, named != NULL, out, err, errlen);
    aws_profile_fini(&pc);
    aws_profile_fini(&pf);
    return rc;
}

static int is_region(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!(islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '-'))
            return 0;
    return n > 0 && n < 64;
}

int aws_region_resolve(aws_getenv_fn fn, void *ud, char *out, size_t outlen, char *err,
                       size_t errlen)
{
    struct aws_profile pf = {0};
    char fpath[PATH_BUF], what[PATH_BUF + 128];
    const char *named = env_get(fn, ud, "AWS_PROFILE");
    const char *v = env_get(fn, ud, "AWS_REGION"), *var = "AWS_REGION";
    int rc = AWS_CRED_OK;
    if (!v) {
        v = env_get(fn, ud, "AWS_DEFAULT_REGION");
        var = "AWS_DEFAULT_REGION";
    }
    if (!v) {
        if ((rc = shared_path(fn, ud, "AWS_CONFIG_FILE", "config", fpath, err, errlen)) ||
            (rc = aws_profile_read_file(&pf, fpath, 1, named ? named : "default", err, errlen)))
            goto out;
        snprintf(what, sizeof(what), "region of profile '%s' (%s line %d)",
                 named ? named : "default", fpath, pf.line[AWS_PROFILE_REGION]);
        v = pf.val[AWS_PROFILE_REGION] ? pf.val[AWS_PROFILE_REGION] : "us-east-1";
        var = what;
    }
    if (!is_region(v) || strlen(v) >= outlen) {
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "%s is not a region name (lower-case letters, digits and '-').", var);
        goto out;
    }
    memcpy(out, v, strlen(v) + 1);
out:
    aws_profile_fini(&pf);
    return rc;
}

int aws_credentials_resolve(aws_getenv_fn fn, void *ud, struct aws_credentials *out,
                            char *err, size_t errlen)
{
    const char *named = env_get(fn, ud, "AWS_PROFILE");
    int rc = aws_credentials_from_env(fn, ud, out, err, errlen);
    if (rc != AWS_CRED_E_NOT_FOUND)
        return rc;
    if (env_get(fn, ud, "AWS_WEB_IDENTITY_TOKEN_FILE")) {
        if (!env_get(fn, ud, "AWS_ROLE_ARN"))
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not.");
        return AWS_CRED_NEED_WEB_IDENTITY;
    }
    if ((rc = aws_credentials_from_profile(fn, ud, out, err, errlen)) != AWS_CRED_E_NOT_FOUND)
        return rc;
    if (env_get(fn, ud, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
        env_get(fn, ud, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        return AWS_CRED_NEED_CONTAINER;
    return fail(err, errlen, AWS_CRED_E_NOT_FOUND,
                "No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, give "
                "profile '%s' keys in the shared credentials file, or run where the container "
                "credential variables are set (instance metadata is not supported yet).",
                named ? named : "default");
}

int aws_credentials_need_refresh(const struct aws_credentials *c, int64_t now_ms)
{
    return c->expires_ms != 0 && now_ms >= c->expires_ms - AWS_REFRESH_AHEAD_MS;
}

static int two_digits(const char *s, int *v)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* Civil date to days since 1970-01-01 (H. Hinnant's algorithm): timegm() is not
 * POSIX, and mktime() would read the local time zone. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int aws_iso8601_to_ms(const char *s, int64_t *out_ms)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int c, yy, mo, d, h, mi, sec, ms = 0, oh = 0, om = 0, sign = 0;
    if (strlen(s) < 20 || two_digits(s, &c) || two_digits(s + 2, &yy) || s[4] != '-' ||
        two_digits(s + 5, &mo) || s[7] != '-' || two_digits(s + 8, &d) ||
        (s[10] != 'T' && s[10] != 't') || two_digits(s + 11, &h) || s[13] != ':' ||
        two_digits(s + 14, &mi) || s[16] != ':' || two_digits(s + 17, &sec))
        return -1;
    s += 19;
    if (*s == '.') {
        int scale = 100;
        if (!isdigit((unsigned char)*++s))
            return -1;
        for (; isdigit((unsigned char)*s); s++, scale /= 10)
            ms += (*s - '0') * scale;            /* past milliseconds, scale is 0 */
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        if (two_digits(s + 1, &oh))
            return -1;
        s += 3 + (s[3] == ':');
        if (two_digits(s, &om) || oh > 23 || om > 59)
            return -1;
        s += 2;
    } else {
        return -1;                               /* a time without a zone is ambiguous */
    }
    yy += c * 100;
    if (*s || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        sec > 60 || (mo == 2 && d == 29 && (yy % 4 || (yy % 100 == 0 && yy % 400))))
        return -1;
    *out_ms = ((days_from_civil(yy, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
               (int64_t)sign * (oh * 3600 + om * 60)) * 1000 + ms;
    return 0;
}

/* http is allowed only to this machine or the ECS/EKS agent, as in the SDKs: the
 * answer is credentials, and the request may carry a token. */
static int http_host_allowed(const char *url)
{
    static const char *const agents[] = {"localhost", "[::1]", "169.254.170.2",
                                         "169.254.170.23", "[fd00:ec2::23]"};
    const char *h = url + 7;
    size_t auth = strcspn(h, "/?#"), n;
    if (memchr(h, '@', auth))
        return 0;
    n = h[0] == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/?#");
    if (n > auth)
        return 0;
    for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
        if (strlen(agents[i]) == n && strncasecmp(h, agents[i], n) == 0)
            return 1;
    if (n < 5 || strncmp(h, "127.", 4) != 0)
        return 0;
    return strspn(h, "0123456789.") >= n;
}

int aws_container_request(aws_getenv_fn fn, void *ud, struct http_request *req, char *err,
                          size_t errlen)
{
    const char *rel = env_get(fn, ud, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_get(fn, ud, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *tfile = env_get(fn, ud, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token = env_get(fn, ud, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char url[sizeof(req->url)], what[PATH_BUF + 64], *file_text = NULL;
    size_t len = 0;
    int n, rc = AWS_CRED_OK, e;
    if (rel) {
        /* Without the '/', "…170.2" + "evil.com/x" would be someone else's host. */
        if (rel[0] != '/')
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not start with '/'.");
        n = snprintf(url, sizeof(url), "%s%s", ECS_AGENT, rel);
    } else if (full) {
        if (strncasecmp(full, "https://", 8) != 0 &&
            (strncasecmp(full, "http://", 7) != 0 || !http_host_allowed(full)))
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to "
                        "localhost, 127.0.0.0/8, [::1] or the ECS/EKS agent address.");
        n = snprintf(url, sizeof(url), "%s", full);
    } else {
        return fail(err, errlen, AWS_CRED_E_NOT_FOUND,
                    "Neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI is set.");
    }
    if (n < 0 || (size_t)n >= sizeof(url))
        return fail(err, errlen, AWS_CRED_E_INVALID, "The container credentials URI is too long.");
    if (tfile) {                             /* the file wins: it is rotated in place */
        if ((e = read_file(tfile, sizeof(req->headers[0].value) + 64, &file_text, &len)))
            return fail(err, errlen, AWS_CRED_E_IO,
                        "Cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (%s): %s.", tfile,
                        e == EFBIG ? "too long for a header" : strerror(e));
        token = aws_profile_trim(file_text);
        snprintf(what, sizeof(what), "The token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (%s)",
                 tfile);
    } else {
        snprintf(what, sizeof(what), "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token && (rc = check_field(token, sizeof(req->headers[0].value), FIELD_HEADER, what,
                                   err, errlen)))
        goto out;
    memset(req, 0, sizeof(*req));
    snprintf(req->method, sizeof(req->method), "GET");
    memcpy(req->url, url, (size_t)n + 1);
    req->timeout_ms = 2000;                  /* a local agent: answers fast or not at all */
    http_request_add_header(req, "Accept", "application/json");
    if (token)
        http_request_add_header(req, "Authorization", token);
out:
    if (file_text) {
        OPENSSL_cleanse(file_text, len);
        free(file_text);
    }
    return rc;
}

int aws_container_parse(const char *body, size_t len, struct aws_credentials *out, char *err,
                        size_t errlen)
{
    static const char *const what[3] = {"AccessKeyId in the container credentials response",
                                        "SecretAccessKey in the container credentials response",
                                        "Token in the container credentials response"};
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    const char *id, *secret, *token, *exp;
    int64_t expires_ms = 0;
    int rc;
    if (!json_is_object(root)) {
        /* je.text can quote the document, which holds secrets: position only. */
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "The container credentials response is not a JSON object (line %d, "
                  "column %d).", root ? 1 : je.line, root ? 1 : je.column);
        goto out;
    }
    id = json_string_value(json_object_get(root, "AccessKeyId"));
    secret = json_string_value(json_object_get(root, "SecretAccessKey"));
    token = json_string_value(json_object_get(root, "Token"));
    exp = json_string_value(json_object_get(root, "Expiration"));
    if (!id || !secret) {
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "The container credentials response has no %s string.",
                  id ? "SecretAccessKey" : "AccessKeyId");
        goto out;
    }
    if (exp && aws_iso8601_to_ms(exp, &expires_ms)) {
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "Expiration in the container credentials response is not an ISO 8601 time.");
        goto out;
    }
    rc = fill(out, id, secret, token, expires_ms, "container", what, err, errlen);
out:
    json_decref(root);
    return rc;
}

static int session_name_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                         "+=,.@_-");
    return s[n] == '\0' && n >= 2 && n <= 64;
}

static size_t put_param(char *b, const char *name, const char *value)
{
    size_t n = strlen(name);
    if (b)
        memcpy(b, name, n);
    return n + aws_sigv4_uri_encode(value, strlen(value), 0, b ? b + n : NULL);
}

int aws_web_identity_request(aws_getenv_fn fn, void *ud, const char *region, int64_t now_ms,
                             struct http_request *req, char **body, char *err, size_t errlen)
{
    const char *role = env_get(fn, ud, "AWS_ROLE_ARN");
    const char *file = env_get(fn, ud, "AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *session = env_get(fn, ud, "AWS_ROLE_SESSION_NAME");
    char *text = NULL, *b = NULL, *token, gen[32];
    size_t len = 0, text_len = 0, need;
    int rc = AWS_CRED_OK, e;
    if (!file)
        return fail(err, errlen, AWS_CRED_E_NOT_FOUND, "AWS_WEB_IDENTITY_TOKEN_FILE is not set.");
    if (!role || strncmp(role, "arn:", 4) != 0 || strlen(role) > 2048 ||
        check_field(role, 2049, FIELD_TOKEN, "AWS_ROLE_ARN", NULL, 0))
        return fail(err, errlen, AWS_CRED_E_INVALID,
                    "AWS_ROLE_ARN is %s (arn:aws:iam::<account>:role/<name>).",
                    role ? "not a role ARN" : "not set; web identity needs it");
    if (session && !session_name_ok(session))
        return fail(err, errlen, AWS_CRED_E_INVALID,
                    "AWS_ROLE_SESSION_NAME must be 2 to 64 of: letters, digits, + = , . @ _ -");
    if (!region || !is_region(region))
        return fail(err, errlen, AWS_CRED_E_INVALID,
                    "The region for STS is not a region name (lower-case letters, digits, '-').");
    snprintf(gen, sizeof(gen), "cancelbot-%lld", (long long)(now_ms / 1000));
    if ((e = read_file(file, WEB_TOKEN_MAX + 1024, &text, &text_len)))
        return fail(err, errlen, e == EFBIG ? AWS_CRED_E_INVALID : AWS_CRED_E_IO,
                    "Cannot use AWS_WEB_IDENTITY_TOKEN_FILE (%s): %s.", file,
                    e == EFBIG ? "longer than 20000 characters" : strerror(e));
    token = aws_profile_trim(text);
    if (!*token || strlen(token) > WEB_TOKEN_MAX) {
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "The token in AWS_WEB_IDENTITY_TOKEN_FILE (%s) is %s.", file,
                  *token ? "longer than 20000 characters" : "empty");
        goto out;
    }
    need = put_param(NULL, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=", role) +
           put_param(NULL, "&RoleSessionName=", session ? session : gen) +
           put_param(NULL, "&WebIdentityToken=", token);
    if (!(b = malloc(need + 1))) {
        rc = fail(err, errlen, AWS_CRED_E_NOMEM, "Out of memory building the STS request.");
        goto out;
    }
    len = put_param(b, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=", role);
    len += put_param(b + len, "&RoleSessionName=", session ? session : gen);
    len += put_param(b + len, "&WebIdentityToken=", token);
    memset(req, 0, sizeof(*req));
    snprintf(req->method, sizeof(req->method), "POST");
    snprintf(req->url, sizeof(req->url), "https://sts.%s.amazonaws.com%s/", region,
             strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    http_request_add_header(req, "Content-Type", "application/x-www-form-urlencoded");
    req->body = b;
    req->body_len = len;
    req->timeout_ms = 10000;
    *body = b;
    b = NULL;
out:
    OPENSSL_cleanse(text, text_len);
    free(text);
    free(b);
    return rc;
}

int aws_web_identity_parse(const char *body, size_t len, struct aws_credentials *out,
                           char *err, size_t errlen)
{
    static const char *const names[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                         "Expiration"};
    static const char *const what[3] = {"AccessKeyId in the STS response",
                                        "SecretAccessKey in the STS response",
                                        "SessionToken in the STS response"};
    struct aws_credentials c;                /* its fields are the text buffers */
    char expiration[64], *val[4] = {c.access_key_id, c.secret_access_key, c.session_token,
                                    expiration};
    size_t cap[4] = {sizeof(c.access_key_id), sizeof(c.secret_access_key),
                     sizeof(c.session_token), sizeof(expiration)};
    const char *end = body + len, *r0, *r1, *c0, *c1, *f0, *f1;
    int64_t expires_ms = 0;
    int rc = AWS_CRED_OK;
    if (aws_xml_find(body, end, "AssumeRoleWithWebIdentityResult", &r0, &r1) ||
        aws_xml_find(r0, r1, "Credentials", &c0, &c1)) {
        char code[64];
        if (aws_sts_error_code(body, len, code, sizeof(code)) == 0)
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "STS refused AssumeRoleWithWebIdentity: %s.", code);
        return fail(err, errlen, AWS_CRED_E_INVALID, "The STS response has no "
                    "AssumeRoleWithWebIdentityResult/Credentials element.");
    }
    for (int k = 0; k < 4 && !rc; k++)
        if (aws_xml_find(c0, c1, names[k], &f0, &f1) || aws_xml_text(f0, f1, val[k], cap[k]))
            rc = fail(err, errlen, AWS_CRED_E_INVALID,
                      "%s in the STS response's Credentials is missing, malformed or too long.",
                      names[k]);
    if (!rc && aws_iso8601_to_ms(expiration, &expires_ms))
        rc = fail(err, errlen, AWS_CRED_E_INVALID,
                  "Expiration in the STS response is not an ISO 8601 time.");
    if (!rc)
        rc = fill(out, c.access_key_id, c.secret_access_key, c.session_token, expires_ms,
                  "web-identity", what, err, errlen);
    OPENSSL_cleanse(&c, sizeof(c));
    return rc;
}

const char *aws_cred_rc_text(enum aws_cred_rc rc)
{
    switch (rc) {                            /* no default: -Wswitch names a new code */
    case AWS_CRED_OK:                return "AWS credentials found.";
    case AWS_CRED_NEED_WEB_IDENTITY: return "AWS credentials come from STS (web identity).";
    case AWS_CRED_NEED_CONTAINER:    return "AWS credentials come from the container agent.";
    case AWS_CRED_E_NOT_FOUND:       return "No AWS credentials are configured.";
    case AWS_CRED_E_INVALID:         return "The AWS credential setup or answer is malformed.";
    case AWS_CRED_E_UNSUPPORTED:     return "This AWS credential setup is not supported yet.";
    case AWS_CRED_E_IO:              return "An AWS credential file could not be read.";
    case AWS_CRED_E_NOMEM:           return "Out of memory reading AWS credentials.";
    }
    return "Unexpected AWS credentials error.";
}
