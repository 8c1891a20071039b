/* approvals/policy.c -- questions asked of the policy, and the demo default. */
#include <string.h>
#include "approvals/policy.h"

#define HOUR_MS (3600LL * 1000)

void policy_init_default(struct policy *p)
{
    memset(p, 0, sizeof(*p));
    request_copy_str(p->channels[p->n_channels++], CHANNEL_ID_MAX, "C0CANCELS");
    request_copy_str(p->requesters[p->n_requesters++], USER_ID_MAX, "*");
    request_copy_str(p->approvers[p->n_approvers++], USER_ID_MAX, "U0FIN1");
    request_copy_str(p->approvers[p->n_approvers++], USER_ID_MAX, "U0FIN2");
    p->approvals_required = 1;
    p->second_approval_above_cents = 50000LL * 100;
    request_copy_str(p->second_approval_currency, sizeof(p->second_approval_currency), "USD");
    request_copy_str(p->react_approve, sizeof(p->react_approve), "white_check_mark");
    request_copy_str(p->react_reject, sizeof(p->react_reject), "x");
    p->reminders_hours[p->n_reminders++] = 24;
    p->reminders_hours[p->n_reminders++] = 72;
    p->reminders_hours[p->n_reminders++] = 144;
    p->poll_interval_ms = 60 * 1000;
    p->approval_expiry_ms = 168 * HOUR_MS;
    p->approval_reminder_ms = 24 * HOUR_MS;
    p->draft_expiry_ms = 24 * HOUR_MS;              /* draft_expiry_minutes 1440 */
    p->buyer_window_ms = 7 * 24 * HOUR_MS;
    p->dedup_ttl_ms = 60 * 60 * 1000;               /* Slack retries for about 5 min */
    p->done_retention_ms = 30 * 24 * HOUR_MS;
    request_copy_str(p->aws_buyer_link, sizeof(p->aws_buyer_link),
                     "https://console.aws.amazon.com/marketplace/home#/agreements/{agreement_id}");
    request_copy_str(p->accounts[0].name, ACCOUNT_NAME_MAX, "default");
    p->accounts[0].market = MARKET_AWS;
    request_copy_str(p->accounts[0].region, sizeof(p->accounts[0].region), "us-east-1");
    request_copy_str(p->accounts[1].name, ACCOUNT_NAME_MAX, "default");
    p->accounts[1].market = MARKET_AZURE;
    p->n_accounts = 2;
    request_copy_str(p->provider_aws, sizeof(p->provider_aws), "sim");
    request_copy_str(p->provider_azure, sizeof(p->provider_azure), "sim");
}

static int in_list(const char (*list)[USER_ID_MAX], int n, const char *user)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], "*") == 0 || strcmp(list[i], user) == 0)
            return 1;
    return 0;
}

int policy_may_request(const struct policy *p, const char *user)
{
    return in_list(p->requesters, p->n_requesters, user);
}

int policy_is_approver(const struct policy *p, const char *user)
{
    for (int i = 0; i < p->n_approvers; i++)
        if (strcmp(p->approvers[i], user) == 0)
            return 1;
    return 0;
}

int policy_may_export(const struct policy *p, const char *user, int in_approver_group)
{
    if (p->exporters_listed) {
        for (int i = 0; i < p->n_exporters; i++)
            if (strcmp(p->exporters[i], user) == 0)
                return 1;
        return 0;
    }
    return in_approver_group || policy_is_approver(p, user);
}

int policy_allows_channel(const struct policy *p, const char *channel)
{
    if (p->n_channels == 0)
        return 1;
    for (int i = 0; i < p->n_channels; i++)
        if (strcmp(p->channels[i], channel) == 0)
            return 1;
    return 0;
}

const struct policy_account *policy_find_account(const struct policy *p,
                                                 enum request_market m, const char *name)
{
    for (int i = 0; i < p->n_accounts; i++)
        if (p->accounts[i].market == m && strcmp(p->accounts[i].name, name) == 0)
            return &p->accounts[i];
    return NULL;
}

int policy_approvals_needed(const struct policy *p, int64_t value_cents, const char *currency)
{
    int n = p->approvals_required > 0 ? p->approvals_required : 1;
    /* Values in another currency are not converted: comparing them would be a guess,
     * so the threshold applies only in its own currency. */
    if (p->second_approval_above_cents > 0 && value_cents > p->second_approval_above_cents &&
        strcmp(currency, p->second_approval_currency) == 0 && n < 2)
        n = 2;
    return n;
}
