/* bot/config.h -- the JSON policy file, read into struct policy (approvals/policy.h).
 * Loading starts from policy_init_default and overlays what the file sets, so a file
 * names only what it changes. Validation never stops at the first problem: every
 * problem lands in a struct config_report with its JSON path ("$.approvers.users[1]")
 * and what is accepted there, which is what `cancelbot check-config` prints.
 * No problem text ever carries the value of a secret-looking key, a value that looks
 * like a token or key, or any string longer than 64 characters. The field reference
 * is docs/configuration.md; deploy/cancelbot.example.json sets every field. */
#ifndef CANCELBOT_BOT_CONFIG_H
#define CANCELBOT_BOT_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "approvals/policy.h"

#define CONFIG_MAX_PROBLEMS 64
#define CONFIG_FILE_MAX (1024 * 1024)   /* a policy file is a few KiB; refuse more */

enum config_rc {
    CONFIG_OK = 0,
    CONFIG_E_READ,              /* the file could not be read (or is too large) */
    CONFIG_E_SYNTAX,            /* not JSON; the report gives line and column */
    CONFIG_E_INVALID            /* JSON, but some field is refused; see the report */
};

struct config_problem {
    char path[128];             /* "$.approvers.users[1]"; "$" for the whole file */
    char text[512];             /* what is wrong and what is accepted (every field name) */
};

struct config_report {
    struct config_problem items[CONFIG_MAX_PROBLEMS];
    int n;                      /* when full, the last item says problems were left out */
};

/* Fill *out from policy_init_default overlaid with the file (or text). Returns
 * CONFIG_OK when there is no problem; otherwise an enum config_rc and every problem
 * in *report. *out is written only on CONFIG_OK. report may be NULL. */
int config_load_policy_file(const char *path, struct policy *out, struct config_report *report);
int config_load_policy_text(const char *json_text, struct policy *out,
                            struct config_report *report);

/* One "path: text" line per problem. */
void config_report_print(const struct config_report *r, FILE *out);

const char *config_rc_text(enum config_rc rc);

/* Which policy file to read: cli_arg (--config) if given, else $CANCELBOT_CONFIG if
 * set and non-empty, else ./cancelbot.json if it exists. Returns 1 with the path in
 * buf, 0 when none applies (use policy_init_default), -1 when the path does not fit
 * in buf. A named file that is missing is still returned: loading it then fails
 * loudly instead of silently falling back to the demo policy. */
int config_policy_path(const char *cli_arg, char *buf, size_t buflen);

#endif
