/* commands/cmd.h -- turns the text of a /cancel or /refund slash command (or a
 * submitted form, already flattened to the same key=value text) into a typed command.
 * Pure: no I/O. Every refusal names the field at fault and what it accepts. */
#ifndef CANCELBOT_COMMANDS_CMD_H
#define CANCELBOT_COMMANDS_CMD_H

#include <stdint.h>
#include "approvals/request.h"

enum cmd_verb {
    CMD_HELP,          /* /cancel help, /refund help */
    CMD_FORM,          /* /cancel with no text: open the form */
    CMD_CANCEL,        /* /cancel aws agmt-... reason=... note=... */
    CMD_SEARCH,        /* /cancel aws buyer=123456789012 | offer=offer-... : list candidates */
    CMD_REFUND,        /* /refund aws agmt-... invoice=... amount=... currency=... */
    CMD_STATUS,        /* /cancel status CR-7 */
    CMD_LIST,          /* /cancel list [mine|pending|open|all] */
    CMD_WITHDRAW,      /* /cancel withdraw CR-7 note="..." */
    CMD_EXPORT,        /* /cancel export [since=2026-01-01] */
    CMD_CASE,          /* /cancel case CR-7 <case-id> : record a support case id */
    CMD_SUSPEND        /* /cancel suspend azure customer=... (Azure: suspend, not cancel) */
};

enum cmd_list_scope { CMD_LIST_MINE, CMD_LIST_PENDING, CMD_LIST_OPEN, CMD_LIST_ALL };

struct cmd {
    enum cmd_verb verb;
    enum request_market market;          /* CANCEL, SEARCH, REFUND */
    char account[ACCOUNT_NAME_MAX];      /* account=NAME, else "default" */

    char agreement_id[AGREEMENT_ID_MAX]; /* AWS: 1-64 of [A-Za-z0-9_/-] */
    char buyer_account[16];              /* SEARCH: 12-digit AWS account */
    char offer_id[AGREEMENT_ID_MAX];     /* SEARCH */
    char customer_id[40];                /* Azure: GUID */
    char subscription_id[40];            /* Azure: GUID */
    char entitlement_id[AGREEMENT_ID_MAX];  /* the first of entitlements[] */
    char entitlements[REQUEST_MAX_ITEMS][AGREEMENT_ID_MAX];  /* entitlement=e1,e2,... */
    int n_entitlements;

    char reason_code[REASON_CODE_MAX];   /* canonical: REPLACING_AGREEMENT, ..., compromise */
    char note[NOTE_MAX];
    char case_id[64];
    char buyer_ref[128];                 /* ref= */
    char next_step[256];                 /* next= */

    char invoice_id[64];                 /* REFUND */
    int64_t amount_cents;                /* REFUND: amount=120.00 -> 12000 */
    char currency[4];                    /* REFUND: ISO 4217, upper case */

    char request_id[REQUEST_ID_MAX];     /* STATUS, WITHDRAW, CASE: CR-7 / RF-3 */
    enum cmd_list_scope scope;           /* LIST */
    char since[11];                      /* EXPORT: YYYY-MM-DD or "" */
};

struct cmd_error {
    char field[32];                      /* "reason", "agreement", "note", ... */
    char text[600];                      /* a full sentence, with an example */
};

/* command: "/cancel" or "/refund"; text: everything after it. Returns 0 and fills
 * *out, or -1 and fills *err (out is then unspecified). */
int cmd_parse(const char *command, const char *text, struct cmd *out, struct cmd_error *err);

/* "replacing-agreement", "Replacing Agreement", "REPLACING_AGREEMENT" ->
 * "REPLACING_AGREEMENT". NULL when the alias is unknown for that market. */
const char *cmd_reason_from_alias(enum request_market m, const char *alias);

/* The help text for /cancel help (and /refund help). */
const char *cmd_help_text(void);

int cmd_valid_guid(const char *s);
int cmd_valid_aws_agreement_id(const char *s);

#endif
