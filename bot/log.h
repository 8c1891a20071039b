/* bot/log.h -- one-line logs to stderr with a level; the shell adapter's output is
 * stdout, so logs never interleave with what a user reads there. Never log a secret,
 * a token or a request body. */
#ifndef CANCELBOT_BOT_LOG_H
#define CANCELBOT_BOT_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses CANCELBOT_LOG_LEVEL's value; -1 when unknown. */
int log_level_from_name(const char *name);
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
