/* bot/log_redact.c -- finds token and secret shapes in a log message and masks them.
 * One left-to-right scan: at each position the matchers below are tried in turn; the
 * first that recognises something says how much to keep (a prefix naming what it
 * was) and how much to mask, and the scan goes on after it. A matcher looks only at
 * the text from its position on, and only where a word starts, so a shape in the
 * middle of a longer word is not one. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bot/log_redact.h"

#define SECRET_MIN_LEN 6

struct match {
    size_t keep;                 /* characters copied as they are */
    size_t len;                  /* characters consumed in all (keep + masked) */
};

struct out {
    char *buf;
    size_t len, cap;
};

static void out_put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 128;
        while (o->len + n + 1 > cap)
            cap *= 2;
        if (!(o->buf = realloc(o->buf, cap)))
            abort();             /* like xmalloc: the outbox makes a restart safe */
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static int is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* A shape starts here: the text starts, or the character before is no letter, digit
 * or '_' (so "xoxb-" in "myxoxb-" is not a token). */
static int word_start(const char *text, size_t i)
{
    return i == 0 || !is_word(text[i - 1]);
}

static size_t run_of(const char *s, const char *extra)
{
    size_t n = 0;
    while (s[n] && (isalnum((unsigned char)s[n]) || strchr(extra, s[n])))
        n++;
    return n;
}

static int has_alnum(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (isalnum((unsigned char)s[k]))
            return 1;
    return 0;
}

/* The longest of the given values that starts here. */
static struct match given_secret(const char *s, const char *const *secrets, size_t n)
{
    struct match m = {0, 0};
    for (size_t k = 0; k < n; k++) {
        size_t len = secrets[k] ? strlen(secrets[k]) : 0;
        if (len >= SECRET_MIN_LEN && len > m.len && strncmp(s, secrets[k], len) == 0)
            m.len = len;
    }
    return m;
}

/* xoxb-1-2-abc, xapp-1-A0-1-abc, xoxe.xoxp-1-abc, xoxe-1-abc: keep "xoxb-". */
static struct match slack_token(const char *s)
{
    struct match m = {0, 0};
    size_t body;
    if (strncmp(s, "xapp-", 5) == 0 ||
        (strncmp(s, "xox", 3) == 0 && islower((unsigned char)s[3]) && (s[4] == '-' || s[4] == '.')))
        m.keep = 5;
    else
        return m;
    body = run_of(s + m.keep, "-._");
    if (!has_alnum(s + m.keep, body))    /* "xoxb-..." in a sentence shows the shape */
        return (struct match){0, 0};
    m.len = m.keep + body;
    return m;
}

/* AKIA / ASIA + 16 capitals or digits (12 to 20 accepted): keep "AKIA". */
static struct match aws_key_id(const char *s)
{
    size_t n;
    if (strncmp(s, "AKIA", 4) != 0 && strncmp(s, "ASIA", 4) != 0)
        return (struct match){0, 0};
    for (n = 4; isupper((unsigned char)s[n]) || isdigit((unsigned char)s[n]); n++)
        ;
    if (n < 16 || n > 24 || is_word(s[n]))
        return (struct match){0, 0};
    return (struct match){4, n};
}

/* header.payload[.signature], base64url, the header always '{"...' = "eyJ". */
static struct match jwt(const char *s)
{
    size_t n;
    if (strncmp(s, "eyJ", 3) != 0)
        return (struct match){0, 0};
    n = run_of(s, "-_.");
    if (n < 16 || !memchr(s, '.', n))
        return (struct match){0, 0};
    return (struct match){0, n};
}

/* "Bearer <token>", any case: keep "Bearer ". */
static struct match bearer(const char *s)
{
    size_t k = 6, n;
    if (strncasecmp(s, "bearer", 6) != 0 || (s[k] != ' ' && s[k] != '\t'))
        return (struct match){0, 0};
    while (s[k] == ' ' || s[k] == '\t')
        k++;
    n = run_of(s + k, "-._~+/=");
    if (n < 8)
        return (struct match){0, 0};
    return (struct match){k, k + n};
}

/* scheme://user:PASSWORD@host: keep "://user:". Starts at "://". */
static struct match url_password(const char *s)
{
    size_t k = 3, pass;
    if (strncmp(s, "://", 3) != 0)
        return (struct match){0, 0};
    while (s[k] && !strchr(":/@?# \t\r\n\"'", s[k]))
        k++;
    if (s[k] != ':')
        return (struct match){0, 0};
    k++;
    pass = strcspn(s + k, "@/?# \t\r\n\"'");
    if (pass == 0 || s[k + pass] != '@')
        return (struct match){0, 0};
    return (struct match){k, k + pass};
}

/* https://hooks.slack.com/TYPE/SECRET-PATH: keep up to TYPE/. */
static struct match slack_hook(const char *s)
{
    static const char host[] = "hooks.slack.com/";
    size_t k = sizeof(host) - 1, path, seg;
    if (strncasecmp(s, host, k) != 0)
        return (struct match){0, 0};
    path = strcspn(s + k, " \t\r\n\"'<>|");
    seg = strcspn(s + k, "/ \t\r\n\"'<>|");
    if (seg < path)                      /* keep "services/", "commands/", "actions/" */
        k += seg + 1, path -= seg + 1;
    if (path == 0)
        return (struct match){0, 0};
    return (struct match){k, k + path};
}

/* Keys whose value is a secret, lower case without '_' and '-': a key matches when
 * it ends with one of these (AZURE_CLIENT_SECRET, aws_secret_access_key,
 * X-Amz-Security-Token), or is "token" itself (client_token, an idempotency key,
 * is not a secret). */
static const char *const secret_key_suffixes[] = {
    "authorization", "clientsecret", "secretaccesskey", "secretkey", "sessiontoken",
    "securitytoken", "accesstoken", "refreshtoken", "idtoken", "password", "passwd",
    "signingsecret", "apikey",
};

static int secret_key(const char *key, size_t n)
{
    char norm[64];
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        if (key[k] == '_' || key[k] == '-')
            continue;
        if (len + 1 >= sizeof(norm))
            return 0;
        norm[len++] = (char)tolower((unsigned char)key[k]);
    }
    norm[len] = '\0';
    if (strcmp(norm, "token") == 0)
        return 1;
    for (size_t k = 0; k < sizeof(secret_key_suffixes) / sizeof(secret_key_suffixes[0]); k++) {
        size_t sl = strlen(secret_key_suffixes[k]);
        if (len >= sl && strcmp(norm + len - sl, secret_key_suffixes[k]) == 0)
            return 1;
    }
    return 0;
}

/* key=value, key: value, "key":"value", key = 'value': keep up to the value. An
 * Authorization value runs to the end of the line (a scheme, then its parameters). */
static struct match keyed_secret(const char *s)
{
    size_t n = run_of(s, "-_"), k, v;
    int is_auth;
    char q = 0;
    if (n == 0 || !secret_key(s, n))
        return (struct match){0, 0};
    is_auth = n == 13 && strncasecmp(s, "authorization", 13) == 0;
    k = n;
    if (s[k] == '"' || s[k] == '\'')
        k++;
    while (s[k] == ' ' || s[k] == '\t')
        k++;
    if (s[k] != '=' && s[k] != ':')
        return (struct match){0, 0};
    k++;
    while (s[k] == ' ' || s[k] == '\t')
        k++;
    if (s[k] == '"' || s[k] == '\'')
        q = s[k++];
    if (q)
        v = strcspn(s + k, q == '"' ? "\"\r\n" : "'\r\n");
    else if (is_auth)
        v = strcspn(s + k, "\"\r\n");
    else
        v = strcspn(s + k, " \t\r\n,;&\"'<>(){}[]");
    if (v == 0)
        return (struct match){0, 0};
    return (struct match){k, k + v};
}

char *log_redact(const char *text, const char *const *secrets, size_t n_secrets)
{
    struct out o = {NULL, 0, 0};
    size_t i = 0;
    out_put(&o, "", 0);
    while (text[i]) {
        const char *s = text + i;
        struct match m = given_secret(s, secrets, n_secrets);
        if (!m.len && s[0] == ':')
            m = url_password(s);
        if (!m.len && s[0] == 'h' && (i == 0 || text[i - 1] == '/' || !is_word(text[i - 1])))
            m = slack_hook(s);
        if (!m.len && word_start(text, i) && (i == 0 || text[i - 1] != '-')) {
            m = keyed_secret(s);
            if (!m.len)
                m = bearer(s);
            if (!m.len)
                m = slack_token(s);
            if (!m.len)
                m = aws_key_id(s);
            if (!m.len)
                m = jwt(s);
        }
        if (!m.len) {
            out_put(&o, s, 1);
            i++;
            continue;
        }
        out_put(&o, s, m.keep);
        out_put(&o, LOG_REDACTED, sizeof(LOG_REDACTED) - 1);
        i += m.len;
    }
    return o.buf;
}
