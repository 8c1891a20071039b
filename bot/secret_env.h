/* bot/secret_env.h -- secrets from files: NAME_FILE=/path instead of NAME=value, for
 * systemd credentials, Docker and Kubernetes secrets mounted as files, so a secret
 * is not in the unit, the container's spec or `ps e`.
 *
 * secret_env_load runs once at start-up, before anything reads the environment or a
 * thread exists: for each secret variable given as NAME_FILE it reads the file
 * (trailing newlines trimmed), sets NAME to its content and unsets NAME_FILE, so
 * every reader (the providers' credential chains, libpq's PGPASSWORD) sees NAME as
 * if it had been set. It also hands every secret value, however given, to the log's
 * redaction (log_add_secret). */
#ifndef CANCELBOT_BOT_SECRET_ENV_H
#define CANCELBOT_BOT_SECRET_ENV_H

#include <stddef.h>

/* Largest secret file read: a value, not a document. */
#define SECRET_FILE_MAX 65536

/* 1 when NAME is a secret variable that may be given as NAME_FILE: SLACK_BOT_TOKEN,
 * SLACK_APP_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * CANCELBOT_DATABASE_URL, DATABASE_URL, PGPASSWORD, AZURE_CLIENT_SECRET[_<TENANT>],
 * AZURE_REFRESH_TOKEN[_<TENANT>]. */
int secret_env_is_secret(const char *name, size_t len);

/* Reads the secret file path named by file_var into *out (the caller frees), without
 * its trailing newlines. 0, or -1 with err naming file_var and the reason (the OS's,
 * or empty, too large, a NUL byte), never the content. */
int secret_file_read(const char *file_var, const char *path, char **out, char *err,
                     size_t errlen);

/* See above. 0, or -1 with err: both NAME and NAME_FILE set, or a file that cannot be
 * used (as secret_file_read says). Nothing is changed for any variable then. */
int secret_env_load(char *err, size_t errlen);

#endif
