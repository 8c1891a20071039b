/* bot/log.h -- one-line logs to stderr with a level; the shell adapter's output is
 * stdout, so logs never interleave with what a user reads there. Two formats: text
 * (the default, also on a terminal) and JSON lines (CANCELBOT_LOG_FORMAT=json, one
 * object per line for a log shipper). Every message, in both formats, goes through
 * log_redact (bot/log_redact.h) first, so a token that slips into one is masked;
 * still, never log a secret, a token or a request body on purpose.
 *
 * What a line is about (the request, the Slack envelope, the marketplace's ids for
 * the call) travels in a struct log_ctx that the caller fills where it knows them;
 * log.c keeps no per-request state. Its only process-wide settings (level, format,
 * the secret values to mask) are set once at start-up, before any other thread. */
#ifndef CANCELBOT_BOT_LOG_H
#define CANCELBOT_BOT_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Any field may be NULL or "": it is left out. */
struct log_ctx {
    const char *request_id;          /* CR-7, RF-2, SU-1 */
    const char *envelope_id;         /* the Slack Socket Mode envelope */
    const char *aws_request_id;      /* x-amzn-RequestId of the marketplace's answer */
    const char *ms_correlation_id;   /* Partner Center MS-CorrelationId */
    const char *ms_request_id;       /* Partner Center MS-RequestId */
};

/* Parses CANCELBOT_LOG_LEVEL's value; -1 when unknown. */
int log_level_from_name(const char *name);
/* Parses CANCELBOT_LOG_FORMAT's value (text, json); -1 when unknown. */
int log_format_from_name(const char *name);
void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/* A value to mask wherever it appears (a token or key the bot was given whose shape
 * log_redact cannot know). Copied; values shorter than 6 characters are ignored, as
 * masking them would mask ordinary words. Start-up only. */
void log_add_secret(const char *value);
/* Forgets every value log_add_secret kept (tests). */
void log_forget_secrets(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_ctx_msg(enum log_level level, const struct log_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error a command stops on (a refused option, environment or policy; a start-up
 * that cannot go on), said as a command-line tool says it: in text "WHO: message"
 * alone on its line (no time, no level: a person reads it at the prompt or in
 * journalctl), in JSON an error line like any other, so a log shipper reads every line
 * a service writes. WHO may be NULL (the line is the message alone). Written whatever
 * the level, redacted like every line. */
void log_cli_error(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The line as it is written, without its newline: for tests and for a caller that
 * prints elsewhere. Returns a string the caller frees. */
char *log_format_line(enum log_format format, long long epoch_ms, enum log_level level,
                      const struct log_ctx *ctx, const char *msg);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_error_ctx(ctx, ...) log_ctx_msg(LOG_ERROR, (ctx), __VA_ARGS__)
#define log_warn_ctx(ctx, ...) log_ctx_msg(LOG_WARN, (ctx), __VA_ARGS__)
#define log_info_ctx(ctx, ...) log_ctx_msg(LOG_INFO, (ctx), __VA_ARGS__)
#define log_debug_ctx(ctx, ...) log_ctx_msg(LOG_DEBUG, (ctx), __VA_ARGS__)

#endif
