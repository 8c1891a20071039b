/* bot/log.c -- the log sink. The level is the one piece of process-wide state outside
 * the runtime context: it is set once at start-up, before any other thread exists. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "bot/log.h"

static enum log_level log_threshold = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    if (level > log_threshold)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    /* milliseconds: several processes' logs are read side by side (e2e_replicas
     * measures a failover from them) */
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s ", stamp, ts.tv_nsec / 1000000, level_names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
