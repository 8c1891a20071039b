/* approvals/format.c -- civil dates from Unix time without the C library's clock
 * functions (H. Hinnant's days_from_civil / civil_from_days), so the core stays free
 * of time.h and its time zone state. */
#include <stdio.h>
#include <string.h>
#include "approvals/format.h"

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

struct civil {
    int year;
    unsigned month, day, hour, minute, second;
};

static struct civil civil_from_ms(int64_t ms)
{
    struct civil c;
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    civil_from_days(days, &c.year, &c.month, &c.day);
    c.hour = (unsigned)(rem / 3600);
    c.minute = (unsigned)(rem % 3600 / 60);
    c.second = (unsigned)(rem % 60);
    return c;
}

void format_time(char *out, size_t outlen, int64_t ms)
{
    struct civil c = civil_from_ms(ms);
    snprintf(out, outlen, "%04d-%02u-%02u %02u:%02u UTC", c.year, c.month, c.day, c.hour,
             c.minute);
}

void format_time_iso(char *out, size_t outlen, int64_t ms)
{
    struct civil c = civil_from_ms(ms);
    snprintf(out, outlen, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day, c.hour,
             c.minute, c.second);
}

int64_t format_parse_date(const char *s)
{
    int y;
    unsigned m, d;
    char tail;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    if (sscanf(s, "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return -1;
    return days_from_civil(y, m, d) * 86400LL * 1000;
}

void format_money(char *out, size_t outlen, int64_t cents, const char *currency)
{
    char digits[32], grouped[48];
    const char *sign = cents < 0 ? "-" : "";
    uint64_t v = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
    size_t n, g = 0;
    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(v / 100));
    n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    snprintf(out, outlen, "%s%s.%02u %s", sign, grouped, (unsigned)(v % 100),
             currency && *currency ? currency : "USD");
}

void format_neutralise_markup(char *s)
{
    char *w = s;
    const char *r = s;
    while (*r) {
        const char *end, *body, *bar;
        if (r[0] != '<' || (r[1] != '@' && r[1] != '!' && r[1] != '#') ||
            !(end = strchr(r, '>'))) {
            *w++ = *r++;
            continue;
        }
        body = r + 2;
        bar = memchr(body, '|', (size_t)(end - body));
        if (bar) {
            body = bar + 1;
            if (*body == '@' || *body == '#')
                body++;
        } else if (r[1] == '!' && strncmp(body, "subteam^", 8) == 0 && body + 8 <= end) {
            body += 8;
        }
        *w++ = r[1] == '#' ? '#' : '@';
        /* Another '<' inside is left for the next round: "<@<!here>>" must not survive
         * as "@<!here>". */
        while (body < end && *body != '<')
            *w++ = *body++;
        r = body < end ? body : end + 1;
    }
    *w = '\0';
}
