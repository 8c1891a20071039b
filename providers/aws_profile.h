/* providers/aws_profile.h -- the AWS shared credentials and config files: a small INI
 * reader that keeps only the settings of one profile that the credential chain uses,
 * with their line numbers, and notes the settings it must refuse (roles, SSO and
 * credential_process: with these the SDKs would use other credentials than the keys).
 *
 * The credentials file names a profile "[NAME]"; the config file "[profile NAME]",
 * except "[default]" (config_style). A '#' or ';' at the start of a line, or after a
 * blank inside a value, starts a comment; an indented line after "name =" with no
 * value is a sub-setting ("s3 =" then "  region = ...") and is skipped. Errors name
 * the file and line, never the line's text (it may hold a secret). Values are wiped
 * when freed. */
#ifndef CANCELBOT_PROVIDERS_AWS_PROFILE_H
#define CANCELBOT_PROVIDERS_AWS_PROFILE_H

#include <stddef.h>
#include "providers/aws_credentials.h"

enum aws_profile_key {
    AWS_PROFILE_KEY_ID,              /* aws_access_key_id */
    AWS_PROFILE_SECRET,              /* aws_secret_access_key */
    AWS_PROFILE_TOKEN,               /* aws_session_token */
    AWS_PROFILE_REGION,              /* region */
    AWS_PROFILE_NKEYS
};

/* s without its leading and trailing white space (trailing cut in place): for the
 * files' lines and values, the token files of the credential chain, and STS's XML
 * text (aws_sts.c). */
char *aws_profile_trim(char *s);

/* The setting names, indexed by enum aws_profile_key. */
extern const char *const aws_profile_key_names[AWS_PROFILE_NKEYS];

/* What one file says about one profile. Zero it before reading; aws_profile_fini
 * frees it, also after a failed read. */
struct aws_profile {
    const char *path;                /* the file, for sentences ("" when there is none) */
    int has_section;                 /* the profile's section appears in the file */
    char *val[AWS_PROFILE_NKEYS];    /* owned, trimmed; NULL when unset */
    int line[AWS_PROFILE_NKEYS];
    const char *refused;             /* the first role / SSO setting seen, with its line */
    int refused_line;
    int process_line;                /* credential_process: also not supported */
};

/* Reads path (borrowed: it must outlive pr); a missing file, or path "", is an empty
 * one. Returns an enum aws_cred_rc: OK, E_INVALID (a malformed line), E_IO, E_NOMEM. */
int aws_profile_read_file(struct aws_profile *pr, const char *path, int config_style,
                          const char *profile, char *err, size_t errlen);

/* The same for a file's contents already in memory (len bytes, not NUL-terminated);
 * path only names it in sentences. */
int aws_profile_read_text(struct aws_profile *pr, const char *text, size_t len,
                          const char *path, int config_style, const char *profile,
                          char *err, size_t errlen);

void aws_profile_fini(struct aws_profile *pr);

#endif
