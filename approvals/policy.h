/* approvals/policy.h -- the rules a request is judged by, as plain data. bot/config.c
 * fills it from the JSON policy file (or policy_init_default for the demo); the core
 * only reads it. Secrets never live here. */
#ifndef CANCELBOT_APPROVALS_POLICY_H
#define CANCELBOT_APPROVALS_POLICY_H

#include <stdint.h>
#include "approvals/request.h"

#define POLICY_MAX_CHANNELS 32
#define POLICY_MAX_USERS 64
#define POLICY_MAX_REMINDERS 8
#define POLICY_MAX_ACCOUNTS 16

struct policy_account {
    char name[ACCOUNT_NAME_MAX];        /* "default", "emea", ... */
    enum request_market market;
    char profile[64];                   /* AWS: shared-config profile */
    char region[32];                    /* AWS */
    char tenant_id[64];                 /* Azure: partner tenant */
    char client_id[64];                 /* Azure: app registration (not a secret) */
};

struct policy {
    char channels[POLICY_MAX_CHANNELS][CHANNEL_ID_MAX];  /* none: every channel */
    int n_channels;
    char requesters[POLICY_MAX_USERS][USER_ID_MAX];      /* "*": everyone */
    int n_requesters;
    char approvers[POLICY_MAX_USERS][USER_ID_MAX];
    int n_approvers;
    char approver_group[USER_ID_MAX];                    /* Slack user group id, or "" */
    /* Who may run /cancel export in chat. Not listed: whoever may approve. */
    char exporters[POLICY_MAX_USERS][USER_ID_MAX];
    int n_exporters;
    int exporters_listed;                                /* 1: "exporters" was given */
    int approvals_required;                              /* >= 1 */
    int64_t second_approval_above_cents;                 /* 0: never */
    char second_approval_currency[4];
    char react_approve[64];                              /* emoji name, no colons */
    char react_reject[64];
    int reminders_hours[POLICY_MAX_REMINDERS];           /* after submission */
    int n_reminders;
    int64_t poll_interval_ms;
    int64_t approval_expiry_ms;                          /* 0: never */
    int64_t approval_reminder_ms;                        /* nudge approvers; 0: never */
    int64_t draft_expiry_ms;                             /* unconfirmed draft discarded; 0: never */
    int64_t buyer_window_ms;                             /* AWS: 7 days */
    char aws_buyer_link[512];                            /* {agreement_id} {request_id} */
    char aws_events_queue_url[512];                      /* SQS queue of EventBridge events */
    struct policy_account accounts[POLICY_MAX_ACCOUNTS];
    int n_accounts;
    char provider_aws[16];                               /* "sim" or "aws" */
    char provider_azure[16];                             /* "sim" or "azure" */
    int64_t dedup_ttl_ms;                                /* Slack delivery ids kept */
    int64_t done_retention_ms;                           /* done outbox rows kept */
};

/* The built-in demo policy: channel C0CANCELS, everyone may request, U0FIN1 and
 * U0FIN2 approve, one approval (two above 50000 USD), sim providers. */
void policy_init_default(struct policy *p);

int policy_may_request(const struct policy *p, const char *user);
int policy_is_approver(const struct policy *p, const char *user);
/* The export holds every request's notes, buyers and values: by default only those who
 * approve may take it. in_approver_group: the chat adapter's answer for the group. */
int policy_may_export(const struct policy *p, const char *user, int in_approver_group);
int policy_allows_channel(const struct policy *p, const char *channel);
const struct policy_account *policy_find_account(const struct policy *p,
                                                 enum request_market m, const char *name);
/* How many approvals a request of this value needs. */
int policy_approvals_needed(const struct policy *p, int64_t value_cents, const char *currency);

#endif
