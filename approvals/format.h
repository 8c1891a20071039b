/* approvals/format.h -- money and time in the words users read. Pure arithmetic (no
 * time.h in the core), so messages are identical in tests, the shell and Slack. */
#ifndef CANCELBOT_APPROVALS_FORMAT_H
#define CANCELBOT_APPROVALS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* 120000050 "USD" -> "1,200,000.50 USD" */
void format_money(char *out, size_t outlen, int64_t cents, const char *currency);
/* Unix ms -> "2026-12-02 10:00 UTC" */
void format_time(char *out, size_t outlen, int64_t ms);
/* Unix ms -> "2026-12-02T10:00:00Z" */
void format_time_iso(char *out, size_t outlen, int64_t ms);
/* "2026-01-01" -> Unix ms at 00:00 UTC; -1 when not a valid date. */
int64_t format_parse_date(const char *ymd);

#endif
