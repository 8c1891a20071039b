/* approvals/card.c -- what the request card shows in each state. The looked-up
 * agreement comes first because the point of the card is that people verify it
 * before anything irreversible happens. */
#include <stdio.h>
#include <string.h>
#include "approvals/card.h"
#include "approvals/format.h"

static void add_field(struct card *c, const char *label, const char *value)
{
    if (!value || !*value || c->n_fields >= CARD_MAX_FIELDS)
        return;
    request_copy_str(c->fields[c->n_fields].label, sizeof(c->fields[0].label), label);
    request_copy_str(c->fields[c->n_fields].value, sizeof(c->fields[0].value), value);
    c->n_fields++;
}

static void render_status(const struct request *rq, char *out, size_t outlen)
{
    char when[40];
    switch (rq->state) {
    case REQUEST_DRAFT:
        snprintf(out, outlen, "Draft: waiting for <@%s> to confirm", rq->requester);
        return;
    case REQUEST_AWAITING_APPROVAL:
        snprintf(out, outlen, "Waiting for finance: %d of %d approval%s", rq->n_approvals,
                 rq->approvals_needed, rq->approvals_needed > 1 ? "s" : "");
        return;
    case REQUEST_SUBMITTING:
        snprintf(out, outlen, "Approved: submitting to the marketplace");
        return;
    case REQUEST_SUBMITTED:
        if (rq->withdrawing) {
            snprintf(out, outlen, "Submitted: withdrawal under way");
        } else if (rq->buyer_deadline_ms) {
            format_time(when, sizeof(when), rq->buyer_deadline_ms);
            snprintf(out, outlen, "Submitted: waiting for the buyer (automatic cancellation %s)",
                     when);
        } else {
            snprintf(out, outlen, "Submitted: waiting for the marketplace");
        }
        return;
    case REQUEST_COMPLETED:
        snprintf(out, outlen, "Completed%s", rq->kind == REQUEST_REFUND ? ": refund issued"
                 : rq->kind == REQUEST_SUSPEND ? ": subscription suspended"
                 : rq->market == MARKET_AZURE ? ": entitlement inactive"
                 : ": agreement cancelled");
        return;
    case REQUEST_REJECTED:
        snprintf(out, outlen, "Rejected by <@%s>", rq->decided_by);
        return;
    case REQUEST_WITHDRAWN:
        snprintf(out, outlen, "Withdrawn%s%s%s", rq->decided_by[0] ? " by <@" : "",
                 rq->decided_by, rq->decided_by[0] ? ">" : "");
        return;
    case REQUEST_BUYER_REJECTED:
        snprintf(out, outlen, "The buyer rejected the cancellation");
        return;
    case REQUEST_FAILED:
        snprintf(out, outlen, "Failed: the marketplace refused it");
        return;
    case REQUEST_DISCARDED:
        snprintf(out, outlen, "Discarded by the requester");
        return;
    case REQUEST_EXPIRED:
        snprintf(out, outlen, "Expired: finance did not decide in time");
        return;
    case REQUEST_SUPPORT_CASE:
        snprintf(out, outlen, "With AWS Support: case %s%s%s", rq->case_id,
                 rq->case_status[0] ? ", " : "", rq->case_status);
        return;
    }
    snprintf(out, outlen, "Unknown state");
}

static void render_common(const struct request *rq, struct card *c)
{
    const struct agreement *a = &rq->agreement;
    char buf[600];
    memset(c, 0, sizeof(*c));
    request_copy_str(c->request_id, sizeof(c->request_id), rq->id);
    if (rq->n_items >= 2)
        snprintf(c->title, sizeof(c->title), "%s · %s %d Azure entitlements of subscription %s",
                 rq->id, rq->kind == REQUEST_SUSPEND ? "Suspend, for" : "Cancel", rq->n_items,
                 a->subscription_id);
    else if (rq->kind == REQUEST_SUSPEND)
        snprintf(c->title, sizeof(c->title), "%s · Suspend Azure subscription %s", rq->id,
                 a->subscription_id);
    else
        snprintf(c->title, sizeof(c->title), "%s · %s %s %s %s", rq->id,
                 rq->kind == REQUEST_REFUND ? "Refund against" : "Cancel",
                 rq->market == MARKET_AZURE ? "Azure" : "AWS",
                 rq->market == MARKET_AZURE ? "entitlement" : "agreement", a->id);
    render_status(rq, c->status, sizeof(c->status));
    snprintf(buf, sizeof(buf), "<@%s>", rq->requester);
    add_field(c, "Requested by", buf);
    add_field(c, rq->market == MARKET_AZURE ? "Customer" : "Buyer account", a->buyer_account);
    add_field(c, "Subscription", a->subscription_id);
    add_field(c, "Offer", a->offer_id);
    if (rq->n_items < 2)
        add_field(c, "Product", a->product);
    /* The look-up's word is true until the request goes to the marketplace; after
     * that the marketplace status (below) is the one that is kept current. */
    if (rq->state == REQUEST_DRAFT || rq->state == REQUEST_AWAITING_APPROVAL)
        add_field(c, "Agreement status", a->status);
    if (a->start_date[0] || a->end_date[0]) {
        snprintf(buf, sizeof(buf), "%s to %s", a->start_date[0] ? a->start_date : "?",
                 a->end_date[0] ? a->end_date : "?");
        add_field(c, "Term", buf);
    }
    if (rq->n_items >= 2) {
        int64_t total;
        char cur[4], other[4];
        if (request_total_value(rq, &total, cur, other) == 0 && total > 0) {
            format_money(buf, sizeof(buf), total, cur);
            add_field(c, "Total value", buf);
        }
    } else if (a->value_cents > 0) {
        format_money(buf, sizeof(buf), a->value_cents, a->currency);
        add_field(c, "Value", buf);
    }
    if (rq->kind == REQUEST_REFUND) {
        format_money(buf, sizeof(buf), rq->refund_cents, rq->refund_currency);
        add_field(c, "Refund", buf);
        add_field(c, "Invoice", rq->invoice_id);
    }
    add_field(c, "Reason", rq->reason_code);
    add_field(c, "Note", rq->note);
    add_field(c, "Support case", rq->case_id);
    add_field(c, "Case status", rq->case_status);
    add_field(c, "Buyer reference", rq->buyer_ref);
    add_field(c, "Next step", rq->next_step);
    for (int i = 0; i < rq->n_items; i++) {
        static const char *const phase_words[] = {"waiting for Partner Center", "accepted",
                                                  "inactive", "refused"};
        int ph = rq->items[i].phase >= 0 && rq->items[i].phase < 4 ? rq->items[i].phase : 0;
        const char *word = rq->state == REQUEST_DRAFT || rq->state == REQUEST_AWAITING_APPROVAL
                               ? "to cancel" : phase_words[ph];
        /* The marketplace's own word, when it says more than ours. */
        int say = rq->items[i].status[0] && strcmp(rq->items[i].status, word) != 0 &&
                  strcmp(rq->items[i].status, "active") != 0;
        char label[48], value[48] = "";
        if (rq->items[i].value_cents > 0)
            format_money(value, sizeof(value), rq->items[i].value_cents, rq->items[i].currency);
        snprintf(label, sizeof(label), "Entitlement %d of %d", i + 1, rq->n_items);
        snprintf(buf, sizeof(buf), "%s: %s%s%s%s%s%s%s%s", rq->items[i].id, word,
                 say ? " (" : "", say ? rq->items[i].status : "", say ? ")" : "",
                 rq->items[i].product[0] ? " · " : "", rq->items[i].product,
                 value[0] ? " · " : "", value);
        add_field(c, label, buf);
    }
}

void card_render(const struct request *rq, struct card *c)
{
    char buf[600];
    size_t used = 0;
    render_common(rq, c);
    buf[0] = '\0';
    for (int i = 0; i < rq->n_approvals && used + 1 < sizeof(buf); i++) {
        int n = snprintf(buf + used, sizeof(buf) - used, "%s<@%s>", i ? ", " : "",
                         rq->approvals[i].user);
        used += n > 0 ? (size_t)n : 0;
    }
    add_field(c, "Approved by", buf);
    if (rq->decision_note[0] && rq->decided_by[0]) {
        snprintf(buf, sizeof(buf), "<@%s>: %s", rq->decided_by, rq->decision_note);
        add_field(c, "Decision", buf);
    }
    add_field(c, "Marketplace request", rq->provider_ref);
    /* A card says what is true now. Once a support case carries the request, the
     * self-serve refusal is why there is a case, not the request's state: the case
     * status says where it stands, and when the case is resolved the refusal is
     * history (kept in the record and the export, not on the card). */
    if (rq->state != REQUEST_SUPPORT_CASE && !(rq->case_status[0] && rq->state == REQUEST_COMPLETED))
        add_field(c, "Marketplace status", rq->provider_status);
    add_field(c, "Buyer link", rq->state == REQUEST_SUBMITTED ? rq->buyer_link : "");
    if (rq->state == REQUEST_FAILED)
        add_field(c, "Failure", rq->failure);
    else if (rq->state == REQUEST_SUPPORT_CASE)
        add_field(c, "Self-serve refused", rq->failure);
    c->buttons = rq->state == REQUEST_AWAITING_APPROVAL ? CARD_BUTTONS_APPROVE_REJECT
                                                        : CARD_BUTTONS_NONE;
}

void card_render_confirm(const struct request *rq, struct card *c)
{
    render_common(rq, c);
    snprintf(c->status, sizeof(c->status), "Verify before it goes to finance%s",
             rq->kind == REQUEST_SUSPEND ? ": services stop until the subscription is reactivated"
             : rq->kind == REQUEST_REFUND ? ": a refund issued cannot be taken back"
             : rq->market == MARKET_AZURE ? ": Partner Center cancellations cannot be undone"
             : ": once the buyer accepts there is no undo");
    c->buttons = rq->state == REQUEST_DRAFT ? CARD_BUTTONS_CONFIRM_DISCARD : CARD_BUTTONS_NONE;
}
