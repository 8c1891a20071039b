/* bot/log.c -- the log sink. Level, format and the secret values to mask are the only
 * process-wide state outside the runtime context: set once at start-up, before any
 * other thread exists, and only read afterwards. What a line is about comes with the
 * call (struct log_ctx), never from here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "bot/log.h"
#include "bot/log_redact.h"

#define LOG_MAX_SECRETS 64

static enum log_level log_threshold = LOG_INFO;
static enum log_format log_output = LOG_FORMAT_TEXT;
static char *log_secrets[LOG_MAX_SECRETS];
static size_t log_n_secrets;
static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const format_names[] = {"text", "json"};

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

int log_format_from_name(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, format_names[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

void log_set_format(enum log_format format)
{
    log_output = format;
}

void log_add_secret(const char *value)
{
    char *copy;
    if (!value || strlen(value) < 6 || log_n_secrets == LOG_MAX_SECRETS)
        return;
    for (size_t i = 0; i < log_n_secrets; i++)
        if (strcmp(log_secrets[i], value) == 0)
            return;
    if (!(copy = strdup(value)))
        abort();
    log_secrets[log_n_secrets++] = copy;
}

void log_forget_secrets(void)
{
    for (size_t i = 0; i < log_n_secrets; i++)
        free(log_secrets[i]);
    log_n_secrets = 0;
}

/* The ids of a line, name and value, in the order they are written. */
static size_t ctx_fields(const struct log_ctx *ctx, const char *names[5], const char *values[5])
{
    const char *const all_names[5] = {"request_id", "envelope_id", "aws_request_id",
                                      "ms_correlation_id", "ms_request_id"};
    const char *all_values[5] = {NULL, NULL, NULL, NULL, NULL};
    size_t n = 0;
    if (ctx) {
        all_values[0] = ctx->request_id;
        all_values[1] = ctx->envelope_id;
        all_values[2] = ctx->aws_request_id;
        all_values[3] = ctx->ms_correlation_id;
        all_values[4] = ctx->ms_request_id;
    }
    for (size_t i = 0; i < 5; i++)
        if (all_values[i] && *all_values[i]) {
            names[n] = all_names[i];
            values[n++] = all_values[i];
        }
    return n;
}

/* jansson refuses a string that is not UTF-8; a message quoting a peer's bytes may
 * not be, so its other bytes become '?'. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    char *copy;
    if (j)
        return j;
    if (!(copy = strdup(s)))
        abort();
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static char *json_line(const char *stamp, enum log_level level, const struct log_ctx *ctx,
                       const char *msg)
{
    const char *names[5], *values[5];
    size_t n = ctx_fields(ctx, names, values);
    json_t *o = json_object();
    char *line;
    if (!o)
        abort();
    json_object_set_new(o, "time", json_string(stamp));
    json_object_set_new(o, "level", json_string(level_names[level]));
    json_object_set_new(o, "msg", json_text(msg));
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, names[i], json_text(values[i]));
    if (!(line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        abort();
    json_decref(o);
    return line;
}

/* The message, then the ids it does not already name, as key=value. */
static char *text_line(const char *stamp, enum log_level level, const struct log_ctx *ctx,
                       const char *msg)
{
    const char *names[5], *values[5];
    size_t n = ctx_fields(ctx, names, values), cap = strlen(stamp) + strlen(msg) + 16, len;
    char *line;
    for (size_t i = 0; i < n; i++)
        cap += strlen(names[i]) + strlen(values[i]) + 2;
    if (!(line = malloc(cap)))
        abort();
    len = (size_t)snprintf(line, cap, "%s %-5s %s", stamp, level_names[level], msg);
    for (size_t i = 0; i < n; i++)
        if (!strstr(msg, values[i]))
            len += (size_t)snprintf(line + len, cap - len, " %s=%s", names[i], values[i]);
    return line;
}

char *log_format_line(enum log_format format, long long epoch_ms, enum log_level level,
                      const struct log_ctx *ctx, const char *msg)
{
    char stamp[40], day[32];
    time_t sec = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    /* milliseconds: several processes' logs are read side by side (e2e_replicas
     * measures a failover from them) */
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp, sizeof(stamp), "%s.%03dZ", day, (int)(epoch_ms % 1000));
    return format == LOG_FORMAT_JSON ? json_line(stamp, level, ctx, msg)
                                     : text_line(stamp, level, ctx, msg);
}

/* The message, formatted and masked; the caller frees it. */
static char *message_redacted(const char *fmt, va_list ap)
{
    char *msg, *clean;
    va_list again;
    int n;
    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0 || !(msg = malloc((size_t)n + 1)))
        abort();
    vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    clean = log_redact(msg, (const char *const *)log_secrets, log_n_secrets);
    free(msg);
    return clean;
}

static void log_vwrite(enum log_level level, const struct log_ctx *ctx, const char *fmt,
                       va_list ap)
{
    struct timespec ts;
    char *clean = message_redacted(fmt, ap), *line;
    clock_gettime(CLOCK_REALTIME, &ts);
    line = log_format_line(log_output, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                           level, ctx, clean);
    fprintf(stderr, "%s\n", line);
    free(line);
    free(clean);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    log_vwrite(level, NULL, fmt, ap);
    va_end(ap);
}

void log_ctx_msg(enum log_level level, const struct log_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    if (level > log_threshold)
        return;
    va_start(ap, fmt);
    log_vwrite(level, ctx, fmt, ap);
    va_end(ap);
}

void log_cli_error(const char *who, const char *fmt, ...)
{
    va_list ap;
    char *clean;
    va_start(ap, fmt);
    if (log_output == LOG_FORMAT_JSON) {
        log_vwrite(LOG_ERROR, NULL, fmt, ap);
    } else {
        clean = message_redacted(fmt, ap);
        fprintf(stderr, "%s%s%s\n", who ? who : "", who ? ": " : "", clean);
        free(clean);
    }
    va_end(ap);
}
