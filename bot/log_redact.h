/* bot/log_redact.h -- masks tokens and secrets in a log message. Pure text in, text
 * out: the log sink (bot/log.c) runs every message through it, in both formats. */
#ifndef CANCELBOT_BOT_LOG_REDACT_H
#define CANCELBOT_BOT_LOG_REDACT_H

#include <stddef.h>

#define LOG_REDACTED "[redacted]"

/* A copy of text where each of these is replaced by LOG_REDACTED (a recognisable
 * prefix such as "xoxb-" or "AKIA" is kept, so the reader knows what was there):
 *   - every value in secrets[0..n) (the tokens and keys the bot was given, whatever
 *     their shape; values shorter than 6 characters are ignored);
 *   - Slack tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-, xoxe.xoxp-, xapp-;
 *   - AWS access key ids: AKIA... and ASIA... (16 more capitals and digits);
 *   - Bearer tokens, and JWTs (eyJ...x.y) wherever they stand;
 *   - the password of a URL: scheme://user:PASSWORD@host (postgresql:// included);
 *   - the value after a secret-named key, in key=value, key: value or JSON
 *     "key":"value" form: Authorization, client_secret, (aws_)secret_access_key /
 *     SecretAccessKey, session_token / SessionToken, X-Amz-Security-Token,
 *     access_token, refresh_token, id_token, password / PGPASSWORD, signing_secret,
 *     token;
 *   - the path of a Slack webhook or response URL (https://hooks.slack.com/TYPE/...).
 * The caller frees the copy. */
char *log_redact(const char *text, const char *const *secrets, size_t n_secrets);

#endif
