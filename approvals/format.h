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

/* People's own words (notes, reasons) and other services' messages go into Slack
 * messages next to the bot's mentions. Slack's markup in them is turned into the
 * plain words it stands for, in place: "<@U1|ann>" -> "@ann", "<@U1>" -> "@U1",
 * "<!channel>" -> "@channel", "<!subteam^S1>" -> "@S1", "<#C1|general>" ->
 * "#general". What is left pings nobody, and the adapter can keep the bot's own
 * mentions as markup. Never makes the text longer. */
void format_neutralise_markup(char *s);

#endif
