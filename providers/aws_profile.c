/* providers/aws_profile.c -- the shared-file INI reader of aws_profile.h. A file and a
 * text in memory feed the same line reader one line at a time, so the fuzzer reads
 * exactly what a file on disk would give. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "providers/aws_profile.h"

const char *const aws_profile_key_names[AWS_PROFILE_NKEYS] = {
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region"};

/* With these the SDKs assume a role or use SSO before looking at static keys, so
 * using the keys instead would silently be other credentials. */
static const char *const role_keys[] = {"role_arn", "web_identity_token_file",
                                        "credential_source", "sso_start_url", "sso_session",
                                        "sso_account_id"};

/* Where the reader is in the file. */
struct reading {
    struct aws_profile *pr;
    int config_style;
    const char *profile;
    int lineno, in, any_section, nested;
};

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

char *aws_profile_trim(char *s)
{
    size_t n;
    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void aws_profile_fini(struct aws_profile *pr)
{
    for (int k = 0; k < AWS_PROFILE_NKEYS; k++) {
        wipe_free(pr->val[k]);
        pr->val[k] = NULL;
    }
}

/* The text between the brackets, trimmed: is it our profile? The config file says
 * "[profile NAME]" except for "[default]"; the credentials file says "[NAME]". */
static int section_is(const char *sec, int config_style, const char *profile)
{
    if (!config_style || strcmp(sec, "default") == 0)
        return strcmp(sec, profile) == 0;
    if (strncmp(sec, "profile", 7) != 0 || (sec[7] != ' ' && sec[7] != '\t'))
        return 0;
    sec += 7;
    while (*sec == ' ' || *sec == '\t')
        sec++;
    return strcmp(sec, profile) == 0;
}

/* A '#' or ';' after a blank starts a comment (keys and tokens hold neither blanks
 * nor those characters after one), as the AWS SDK for Java reads these files. */
static char *strip_comment(char *v)
{
    for (char *p = v; *p; p++)
        if ((*p == '#' || *p == ';') && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    return v;
}

/* One line (NUL-terminated, modified in place). */
static int read_line(struct reading *r, char *line, char *err, size_t errlen)
{
    struct aws_profile *pr = r->pr;
    char *s = line, *eq, *key, *val;
    int indented = *s == ' ' || *s == '\t';
    r->lineno++;
    s = aws_profile_trim(s);
    if (!*s || *s == '#' || *s == ';')
        return AWS_CRED_OK;
    if (indented && r->nested)
        return AWS_CRED_OK;              /* "s3 =" followed by indented sub-settings */
    r->nested = 0;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close)
            return fail(err, errlen, AWS_CRED_E_INVALID,
                        "%s line %d: a [section] without its closing ']'.", pr->path,
                        r->lineno);
        *close = '\0';
        r->in = section_is(aws_profile_trim(s + 1), r->config_style, r->profile);
        pr->has_section |= r->in;
        r->any_section = 1;
        return AWS_CRED_OK;
    }
    if (!(eq = strchr(s, '=')) || eq == s || !r->any_section)
        return fail(err, errlen, AWS_CRED_E_INVALID,
                    "%s line %d is not a [section], a 'name = value' setting inside a "
                    "section, or a comment.", pr->path, r->lineno);
    *eq = '\0';
    key = aws_profile_trim(s);
    val = aws_profile_trim(strip_comment(eq + 1));
    r->nested = !*val;
    if (!r->in)
        return AWS_CRED_OK;
    for (char *k = key; *k; k++)
        *k = (char)tolower((unsigned char)*k);          /* names are case-insensitive */
    for (int k = 0; k < AWS_PROFILE_NKEYS; k++) {
        if (strcmp(key, aws_profile_key_names[k]) != 0)
            continue;
        wipe_free(pr->val[k]);
        if (!(pr->val[k] = strdup(val)))
            return fail(err, errlen, AWS_CRED_E_NOMEM, "Out of memory reading %s.", pr->path);
        pr->line[k] = r->lineno;
    }
    for (size_t k = 0; k < sizeof(role_keys) / sizeof(role_keys[0]); k++)
        if (!pr->refused && strcmp(key, role_keys[k]) == 0) {
            pr->refused = role_keys[k];
            pr->refused_line = r->lineno;
        }
    if (strcmp(key, "credential_process") == 0)
        pr->process_line = r->lineno;
    return AWS_CRED_OK;
}

int aws_profile_read_file(struct aws_profile *pr, const char *path, int config_style,
                          const char *profile, char *err, size_t errlen)
{
    struct reading r = {pr, config_style, profile, 0, 0, 0, 0};
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    int rc = AWS_CRED_OK;
    pr->path = path;
    if (!path[0] || !(f = fopen(path, "r"))) {
        if (!path[0] || errno == ENOENT || errno == ENOTDIR)
            return AWS_CRED_OK;
        return fail(err, errlen, AWS_CRED_E_IO, "Cannot read %s: %s.", path, strerror(errno));
    }
    while (rc == AWS_CRED_OK && getline(&line, &cap, f) >= 0)
        rc = read_line(&r, line, err, errlen);
    if (rc == AWS_CRED_OK && ferror(f))
        rc = fail(err, errlen, AWS_CRED_E_IO, "Cannot read %s: %s.", path, strerror(errno));
    if (line) {
        OPENSSL_cleanse(line, cap);
        free(line);
    }
    fclose(f);
    return rc;
}

int aws_profile_read_text(struct aws_profile *pr, const char *text, size_t len,
                          const char *path, int config_style, const char *profile,
                          char *err, size_t errlen)
{
    struct reading r = {pr, config_style, profile, 0, 0, 0, 0};
    char *line = malloc(len + 1);
    size_t at = 0;
    int rc = AWS_CRED_OK;
    pr->path = path;
    if (!line)
        return fail(err, errlen, AWS_CRED_E_NOMEM, "Out of memory reading %s.", path);
    while (rc == AWS_CRED_OK && at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;   /* with its '\n' */
        memcpy(line, text + at, n);
        line[n] = '\0';
        at += n;
        rc = read_line(&r, line, err, errlen);
    }
    OPENSSL_cleanse(line, len + 1);
    free(line);
    return rc;
}
