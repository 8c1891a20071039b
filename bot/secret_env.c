/* bot/secret_env.c -- NAME_FILE secret variables (see secret_env.h). Every file is
 * read and checked before any variable changes, so a refusal leaves the environment
 * as it was. A value never appears in a message: only variable names, paths and the
 * OS's reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/log.h"
#include "bot/secret_env.h"

extern char **environ;

static const char *const secret_names[] = {
    "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "CANCELBOT_DATABASE_URL", "DATABASE_URL", "PGPASSWORD",
    "AZURE_CLIENT_SECRET", "AZURE_REFRESH_TOKEN",
};
/* One Partner Center tenant's own secret: AZURE_CLIENT_SECRET_<TENANT>. */
static const char *const secret_families[] = {"AZURE_CLIENT_SECRET_", "AZURE_REFRESH_TOKEN_"};

#define FILE_SUFFIX "_FILE"
#define MAX_FILE_VARS 32

static int say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int secret_env_is_secret(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
        if (strlen(secret_names[i]) == len && strncmp(name, secret_names[i], len) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(secret_families) / sizeof(secret_families[0]); i++) {
        size_t n = strlen(secret_families[i]);
        /* AZURE_CLIENT_SECRET_FILE is the plain one's file, not a tenant "FILE" */
        if (len > n && strncmp(name, secret_families[i], n) == 0 &&
            !(len >= 5 && strncmp(name + len - 5, FILE_SUFFIX, 5) == 0))
            return 1;
    }
    return 0;
}

int secret_file_read(const char *file_var, const char *path, char **out, char *err,
                     size_t errlen)
{
    FILE *f;
    char *buf;
    size_t n;
    int failed, saved;
    if (!*path)
        return say(err, errlen, "%s is set but empty; give the path of a file that holds "
                   "the value", file_var);
    if (!(f = fopen(path, "rb")))
        return say(err, errlen, "%s: cannot read %s: %s", file_var, path, strerror(errno));
    if (!(buf = malloc(SECRET_FILE_MAX + 2)))
        abort();
    errno = 0;
    n = fread(buf, 1, SECRET_FILE_MAX + 1, f);
    failed = ferror(f);
    saved = errno;
    fclose(f);
    if (failed) {
        free(buf);
        return say(err, errlen, "%s: cannot read %s: %s", file_var, path,
                   strerror(saved ? saved : EIO));
    }
    if (n > SECRET_FILE_MAX) {
        free(buf);
        return say(err, errlen, "%s: %s is larger than %d bytes; it should hold the value "
                   "alone", file_var, path, SECRET_FILE_MAX);
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return say(err, errlen, "%s: %s holds a NUL byte; it should hold the value alone",
                   file_var, path);
    }
    if (n == 0) {
        free(buf);
        return say(err, errlen, "%s: %s is empty; it should hold the value", file_var, path);
    }
    *out = buf;
    return 0;
}

struct pending {
    char name[128];                  /* NAME (without _FILE) */
    char *value;                     /* the file's content */
};

static void pending_free(struct pending *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].value)
            memset(p[i].value, 0, strlen(p[i].value));
        free(p[i].value);
    }
}

int secret_env_load(char *err, size_t errlen)
{
    struct pending todo[MAX_FILE_VARS];
    size_t n = 0;
    int rc = -1;
    memset(todo, 0, sizeof(todo));
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '='), *v;
        size_t len = eq ? (size_t)(eq - *e) : 0, base;
        char file_var[160];
        if (len <= 5 || strncmp(*e + len - 5, FILE_SUFFIX, 5) != 0)
            continue;
        base = len - 5;
        if (!secret_env_is_secret(*e, base) || base >= sizeof(todo[0].name))
            continue;
        if (n == MAX_FILE_VARS) {
            say(err, errlen, "more than %d secret _FILE variables are set", MAX_FILE_VARS);
            goto out;
        }
        memcpy(todo[n].name, *e, base);
        todo[n].name[base] = '\0';
        snprintf(file_var, sizeof(file_var), "%.127s%s", todo[n].name, FILE_SUFFIX);
        if ((v = getenv(todo[n].name)) && *v) {
            say(err, errlen, "both %s and %s are set; set only one", todo[n].name, file_var);
            goto out;
        }
        if (secret_file_read(file_var, eq + 1, &todo[n].value, err, errlen) != 0)
            goto out;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        char file_var[160];
        snprintf(file_var, sizeof(file_var), "%.127s%s", todo[i].name, FILE_SUFFIX);
        if (setenv(todo[i].name, todo[i].value, 1) != 0) {
            say(err, errlen, "%s: cannot set %s: %s", file_var, todo[i].name, strerror(errno));
            goto out;
        }
        unsetenv(file_var);
    }
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq && secret_env_is_secret(*e, (size_t)(eq - *e)))
            log_add_secret(eq + 1);
    }
    rc = 0;
out:
    pending_free(todo, n);
    return rc;
}
