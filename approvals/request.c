/* approvals/request.c -- names of the record's enums, for the store, the export and
 * the messages. Each name is written once, here. */
#include <stdio.h>
#include <string.h>
#include "approvals/request.h"

static const char *const state_names[REQUEST_STATE_COUNT] = {
    [REQUEST_DRAFT] = "draft",
    [REQUEST_AWAITING_APPROVAL] = "awaiting_approval",
    [REQUEST_SUBMITTING] = "submitting",
    [REQUEST_SUBMITTED] = "submitted",
    [REQUEST_COMPLETED] = "completed",
    [REQUEST_REJECTED] = "rejected",
    [REQUEST_WITHDRAWN] = "withdrawn",
    [REQUEST_BUYER_REJECTED] = "buyer_rejected",
    [REQUEST_FAILED] = "failed",
    [REQUEST_DISCARDED] = "discarded",
    [REQUEST_EXPIRED] = "expired",
    [REQUEST_SUPPORT_CASE] = "support_case",
};

const char *request_state_name(enum request_state s)
{
    if ((int)s < 0 || s >= REQUEST_STATE_COUNT)
        return "unknown";
    return state_names[s];
}

int request_state_from_name(const char *name, enum request_state *out)
{
    for (int i = 0; i < REQUEST_STATE_COUNT; i++) {
        if (strcmp(state_names[i], name) == 0) {
            *out = (enum request_state)i;
            return 0;
        }
    }
    return -1;
}

const char *request_kind_name(enum request_kind k)
{
    switch (k) {
    case REQUEST_CANCEL:  return "cancel";
    case REQUEST_REFUND:  return "refund";
    case REQUEST_SUSPEND: return "suspend";
    }
    return "cancel";
}

const char *request_market_name(enum request_market m)
{
    return m == MARKET_AZURE ? "azure" : "aws";
}

const char *request_item_phase_name(int phase)
{
    switch ((enum request_item_phase)phase) {
    case ITEM_WAITING:   return "waiting";
    case ITEM_SUBMITTED: return "submitted";
    case ITEM_DONE:      return "done";
    case ITEM_FAILED:    return "failed";
    }
    return "unknown";
}

int request_is_terminal(enum request_state s)
{
    switch (s) {
    case REQUEST_DRAFT:
    case REQUEST_AWAITING_APPROVAL:
    case REQUEST_SUBMITTING:
    case REQUEST_SUBMITTED:
    case REQUEST_SUPPORT_CASE:
        return 0;
    case REQUEST_COMPLETED:
    case REQUEST_REJECTED:
    case REQUEST_WITHDRAWN:
    case REQUEST_BUYER_REJECTED:
    case REQUEST_FAILED:
    case REQUEST_DISCARDED:
    case REQUEST_EXPIRED:
        return 1;
    }
    return 1;
}

void request_copy_str(char *dst, size_t dstlen, const char *src)
{
    size_t n;
    if (!dstlen)
        return;
    if (!src)
        src = "";
    n = strlen(src);
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int request_total_value(const struct request *rq, int64_t *cents, char currency[4],
                        char other[4])
{
    *cents = 0;
    currency[0] = other[0] = '\0';
    if (rq->kind == REQUEST_REFUND) {
        *cents = rq->refund_cents;
        request_copy_str(currency, 4, rq->refund_currency);
        return 0;
    }
    if (rq->n_items < 2) {
        *cents = rq->agreement.value_cents;
        request_copy_str(currency, 4, rq->agreement.currency);
        return 0;
    }
    for (int i = 0; i < rq->n_items && i < REQUEST_MAX_ITEMS; i++) {
        const struct request_item *it = &rq->items[i];
        if (it->value_cents <= 0)
            continue;                   /* unknown value: nothing to add */
        if (currency[0] && strcmp(currency, it->currency) != 0) {
            request_copy_str(other, 4, it->currency);
            return -1;
        }
        request_copy_str(currency, 4, it->currency);
        *cents += it->value_cents;
    }
    return 0;
}

void request_client_token(const struct request *rq, int item, char *out, size_t outlen)
{
    char base[64];
    if (rq->client_token[0])
        request_copy_str(base, sizeof(base), rq->client_token);
    else
        snprintf(base, sizeof(base), "cancelbot-%s", rq->id);
    if (item > 0)
        snprintf(out, outlen, "%s-%d", base, item);
    else
        snprintf(out, outlen, "%s", base);
}
