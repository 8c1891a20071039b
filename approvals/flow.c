/* approvals/flow.c -- the request state machine: (request, event, policy, now) ->
 * (request', effects). Pure: no I/O, clock or globals; the runtime stores request'
 * and its effects in one transaction, so nothing here knows Slack or SQL. A refused
 * event leaves *out as a copy of *in and explains itself in *why, for the actor.
 *
 *   draft --confirm--> awaiting_approval --approvals met--> submitting --> submitted
 *   draft --discard--> discarded           --reject--> rejected   --refused--> failed
 *   draft --draft_expiry_minutes unconfirmed--> discarded
 *   awaiting_approval --withdraw / expiry--> withdrawn / expired
 *   submitted --buyer approves / 7-day auto--> completed, --buyer rejects--> buyer_rejected
 *   submitted --withdraw (marketplace call)--> withdrawn
 *
 * New state? Add it to enum request_state and fix each default-free switch the
 * compiler points at. Every user-visible sentence of the flow is written here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "approvals/flow.h"
#include "approvals/format.h"

#define MINUTE_MS (60LL * 1000)
#define HOUR_MS (60 * MINUTE_MS)
#define POLL_BACKOFF_CAP_MS HOUR_MS

static const char *const event_names[REQUEST_EVENT_KIND_COUNT] = {
    [EV_CREATE] = "create",
    [EV_CONFIRM] = "confirm",
    [EV_DISCARD] = "discard",
    [EV_APPROVE] = "approve",
    [EV_UNAPPROVE] = "unapprove",
    [EV_REJECT] = "reject",
    [EV_WITHDRAW] = "withdraw",
    [EV_SUBMIT_ACCEPTED] = "submit_accepted",
    [EV_SUBMIT_REFUSED] = "submit_refused",
    [EV_WITHDRAW_ACCEPTED] = "withdraw_accepted",
    [EV_WITHDRAW_REFUSED] = "withdraw_refused",
    [EV_STATUS] = "status",
    [EV_TIMER] = "timer",
    [EV_CASE_FILED] = "case_filed",
    [EV_CASE_FILE] = "case_file",
    [EV_CASE_OPENED] = "case_opened",
    [EV_CASE_NO_PLAN] = "case_no_plan",
    [EV_CASE_FILE_FAILED] = "case_file_failed",
    [EV_CASE_STATUS] = "case_status",
};

const char *request_event_kind_name(enum request_event_kind k)
{
    if ((int)k < 0 || k >= REQUEST_EVENT_KIND_COUNT)
        return "unknown";
    return event_names[k];
}

const char *market_status_name(enum market_status s)
{
    switch (s) {
    case MSTATUS_PENDING:       return "pending";
    case MSTATUS_APPROVED:      return "approved";
    case MSTATUS_AUTO_APPROVED: return "auto_approved";
    case MSTATUS_REJECTED:      return "rejected";
    case MSTATUS_CANCELLED:     return "cancelled";
    case MSTATUS_FAILED:        return "failed";
    }
    return "unknown";
}

static int refuse(struct refusal *why, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct refusal *why, const char *field, const char *fmt, ...)
{
    va_list ap;
    request_copy_str(why->field, sizeof(why->field), field);
    va_start(ap, fmt);
    vsnprintf(why->text, sizeof(why->text), fmt, ap);
    va_end(ap);
    return REQUEST_REFUSED;
}

/* How the state reads in a sentence: "CR-7 is already <this>". */
static const char *state_words(enum request_state s)
{
    switch (s) {
    case REQUEST_DRAFT:             return "a draft waiting for its requester to confirm";
    case REQUEST_AWAITING_APPROVAL: return "waiting for finance approval";
    case REQUEST_SUBMITTING:        return "being submitted to the marketplace";
    case REQUEST_SUBMITTED:         return "submitted to the marketplace";
    case REQUEST_COMPLETED:         return "completed";
    case REQUEST_REJECTED:          return "rejected by finance";
    case REQUEST_WITHDRAWN:         return "withdrawn";
    case REQUEST_BUYER_REJECTED:    return "rejected by the buyer";
    case REQUEST_FAILED:            return "failed";
    case REQUEST_DISCARDED:         return "discarded";
    case REQUEST_EXPIRED:           return "expired";
    case REQUEST_SUPPORT_CASE:      return "with AWS Support (a support case)";
    }
    return "in an unknown state";
}

static const char *market_words(const struct request *rq)
{
    return rq->market == MARKET_AZURE ? "Partner Center" : "AWS Marketplace";
}

/* What the requester is asked to verify: "this agreement", "these 8 entitlements". */
static const char *verify_words(const struct request *rq)
{
    if (rq->kind == REQUEST_SUSPEND)
        return "this subscription";
    if (rq->kind == REQUEST_REFUND)
        return "this refund";
    if (rq->n_items >= 2)
        return "these entitlements";
    return rq->market == MARKET_AZURE ? "this entitlement" : "this agreement";
}

/* What is and is not reversible, by what the marketplace offers: an AWS cancellation
 * can be withdrawn until the buyer answers, a Partner Center one cannot, a suspended
 * subscription can be reactivated, and money refunded stays refunded. */
static const char *undo_words(const struct request *rq)
{
    if (rq->kind == REQUEST_SUSPEND)
        return "Suspending it stops the customer's Azure services until the subscription "
               "is reactivated in Partner Center (a separate step, not done by this bot).";
    if (rq->kind == REQUEST_REFUND)
        return "Once the marketplace issues the refund it cannot be taken back.";
    if (rq->market == MARKET_AZURE)
        return "Partner Center cancels at once once approved, and a cancelled entitlement "
               "cannot be restored: the customer would have to buy again.";
    return "Until the buyer accepts, the cancellation can be withdrawn; once it is done, "
           "undoing it means a new offer and a new agreement.";
}

static int is_approver(const struct policy *pol, const struct request_event *ev)
{
    return ev->actor_in_approver_group || policy_is_approver(pol, ev->actor);
}

static int approved_by(const struct request *rq, const char *user)
{
    for (int i = 0; i < rq->n_approvals; i++)
        if (strcmp(rq->approvals[i].user, user) == 0)
            return i;
    return -1;
}

static void approver_mentions(const struct policy *pol, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < pol->n_approvers && used + 1 < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s<@%s>", i ? ", " : "", pol->approvers[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (pol->approver_group[0] && used + 1 < outlen)
        snprintf(out + used, outlen - used, "%s<!subteam^%s>", used ? ", " : "",
                 pol->approver_group);
}

/* The buyer-confirmation link, filled from the policy template. */
static void fill_buyer_link(const struct policy *pol, struct request *rq)
{
    const char *t = pol->aws_buyer_link;
    size_t used = 0, cap = sizeof(rq->buyer_link);
    while (*t && used + 1 < cap) {
        const char *sub = NULL;
        size_t skip = 0;
        if (strncmp(t, "{agreement_id}", 14) == 0) {
            sub = rq->agreement.id;
            skip = 14;
        } else if (strncmp(t, "{request_id}", 12) == 0) {
            sub = rq->provider_ref;
            skip = 12;
        }
        if (sub) {
            int n = snprintf(rq->buyer_link + used, cap - used, "%s", sub);
            used += n > 0 ? (size_t)n : 0;
            if (used >= cap)
                used = cap - 1;
            t += skip;
        } else {
            rq->buyer_link[used++] = *t++;
        }
    }
    rq->buyer_link[used] = '\0';
}

static int64_t poll_delay(const struct policy *pol, int unchanged)
{
    int64_t d = pol->poll_interval_ms > 0 ? pol->poll_interval_ms : MINUTE_MS;
    for (int i = 0; i < unchanged && d < POLL_BACKOFF_CAP_MS; i++)
        d *= 2;
    return d < POLL_BACKOFF_CAP_MS ? d : POLL_BACKOFF_CAP_MS;
}

static void push_poll(struct effect_list *fx, int64_t due_ms)
{
    effect_list_push(fx, EFFECT_PROVIDER_POLL, due_ms);
}

static void push_item_poll(struct effect_list *fx, int64_t due_ms, int item)
{
    struct effect *e = effect_list_push(fx, EFFECT_PROVIDER_POLL, due_ms);
    if (e)
        e->item = item;
}

static int count_items(const struct request *rq, int phase)
{
    int n = 0;
    for (int i = 0; i < rq->n_items; i++)
        n += rq->items[i].phase == phase;
    return n;
}

static void push_timer(struct effect_list *fx, enum request_timer t, int64_t due_ms)
{
    struct effect *e = effect_list_push(fx, EFFECT_TIMER, due_ms);
    if (e)
        e->timer = t;
}

static void close_request(struct request *out, enum request_state s, int64_t now_ms)
{
    out->state = s;
    out->closed_ms = now_ms;
    out->withdrawing = 0;
}

/* A draft nobody confirms must not wait for ever: Slack may never have shown its
 * preview (ephemeral messages reach only users who are active in the channel). */
static void push_draft_expiry(const struct policy *pol, int64_t now_ms, struct effect_list *fx)
{
    if (pol->draft_expiry_ms > 0)
        push_timer(fx, TIMER_DRAFT_EXPIRY, now_ms + pol->draft_expiry_ms);
}

/* "24 hours", "90 minutes": how long a draft waited, in the expiry notice. */
static void format_wait(char *buf, size_t len, int64_t ms)
{
    int64_t minutes = ms / MINUTE_MS;
    if (minutes % 60 == 0)
        snprintf(buf, len, "%lld hour%s", (long long)(minutes / 60), minutes == 60 ? "" : "s");
    else
        snprintf(buf, len, "%lld minute%s", (long long)minutes, minutes == 1 ? "" : "s");
}

/* The draft was never confirmed: it ends as discarded (nothing reached finance or the
 * marketplace), with the reason in the record and a private word to the requester. */
static int on_draft_expiry(const struct request *in, const struct policy *pol, int64_t now_ms,
                           struct request *out, struct effect_list *fx)
{
    char waited[40];
    if (in->state != REQUEST_DRAFT)
        return REQUEST_IGNORED;
    /* The configured time, not the clock's jump: the shell's clock +2d fires it late. */
    format_wait(waited, sizeof(waited), pol->draft_expiry_ms);
    close_request(out, REQUEST_DISCARDED, now_ms);
    snprintf(out->decision_note, sizeof(out->decision_note),
             "Not confirmed within %s: discarded automatically.", waited);
    effect_list_push_text(fx, EFFECT_DIRECT_MESSAGE, in->requester,
                          "%s was not confirmed within %s, so I discarded it. Nothing was sent "
                          "to finance or the marketplace. If it is still needed, ask again "
                          "with /cancel.", in->id, waited);
    return REQUEST_APPLIED;
}

static int on_create(const struct request_event *ev, const struct policy *pol, int64_t now_ms,
                     struct request *out, struct effect_list *fx, struct refusal *why)
{
    const struct request *d = ev->draft;
    if (!d || !d->id[0])
        return refuse(why, "request", "Internal error: the request has no id.");
    if (!policy_may_request(pol, d->requester))
        return refuse(why, "requester",
                      "You are not on the list of people who may request cancellations or "
                      "refunds; ask an admin to add you to \"requesters\" in the policy.");
    if (!policy_allows_channel(pol, d->channel))
        return refuse(why, "channel",
                      "Requests are not taken in this channel; use one of the configured "
                      "request channels.");
    if (d->kind == REQUEST_CANCEL && d->agreement.status[0] &&
        strcasecmp(d->agreement.status, "ACTIVE") != 0)
        return refuse(why, "agreement",
                      "%s %s is %s, not active: there is nothing to cancel.",
                      d->market == MARKET_AZURE ? "Entitlement" : "Agreement", d->agreement.id,
                      d->agreement.status);
    if (d->kind == REQUEST_REFUND && d->agreement.value_cents > 0 &&
        d->refund_cents > d->agreement.value_cents) {
        char amount[48], value[48];
        format_money(amount, sizeof(amount), d->refund_cents, d->refund_currency);
        format_money(value, sizeof(value), d->agreement.value_cents, d->agreement.currency);
        return refuse(why, "amount", "amount: %s is more than the agreement's value of %s.",
                      amount, value);
    }
    {
        int64_t total;
        char cur[4], other[4];
        if (request_total_value(d, &total, cur, other) != 0)
            return refuse(why, "entitlement",
                          "entitlement: these entitlements are priced in %s and in %s. "
                          "Approvals follow a request's total value, which needs one "
                          "currency: ask for the %s ones and the %s ones in two requests.",
                          cur, other, cur, other);
    }
    *out = *d;
    out->state = REQUEST_DRAFT;
    format_neutralise_markup(out->note);
    format_neutralise_markup(out->next_step);
    format_neutralise_markup(out->buyer_ref);
    format_neutralise_markup(out->case_id);
    format_neutralise_markup(out->invoice_id);
    format_neutralise_markup(out->agreement.product);
    out->created_ms = now_ms;
    out->n_approvals = 0;
    effect_list_push_text(fx, EFFECT_CONFIRM_PROMPT, out->requester,
                          "Please verify %s before it goes to finance. %s Confirm %s or "
                          "Discard it.", verify_words(out), undo_words(out), out->id);
    push_draft_expiry(pol, now_ms, fx);
    return REQUEST_APPLIED;
}

static int on_confirm(const struct request *in, const struct request_event *ev,
                      const struct policy *pol, int64_t now_ms, struct request *out,
                      struct effect_list *fx, struct refusal *why)
{
    char approvers[400], value[48], total[48], threshold[160], currency[4], other[4];
    int64_t value_cents;
    if (in->state != REQUEST_DRAFT)
        return refuse(why, "state", "%s is already %s; nothing to confirm.", in->id,
                      state_words(in->state));
    if (strcmp(ev->actor, in->requester) != 0)
        return refuse(why, "user", "Only <@%s>, who asked for %s, can confirm it.",
                      in->requester, in->id);
    /* Checked at creation too; a record from before that check is refused here. */
    if (request_total_value(in, &value_cents, currency, other) != 0)
        return refuse(why, "entitlement", "%s names entitlements priced in %s and in %s; "
                      "discard it and ask in two requests, one per currency.", in->id,
                      currency, other);
    out->state = REQUEST_AWAITING_APPROVAL;
    out->confirmed_ms = now_ms;
    out->approvals_needed = policy_approvals_needed(pol, value_cents, currency);
    approver_mentions(pol, approvers, sizeof(approvers));
    threshold[0] = '\0';
    if (out->approvals_needed > pol->approvals_required) {
        format_money(value, sizeof(value), pol->second_approval_above_cents,
                     pol->second_approval_currency);
        format_money(total, sizeof(total), value_cents, currency);
        snprintf(threshold, sizeof(threshold), ", since its %s of %s is above %s",
                 in->kind == REQUEST_REFUND ? "amount"
                 : in->n_items >= 2 ? "total value" : "value", total, value);
    }
    effect_list_push(fx, EFFECT_POST_CARD, 0);
    effect_list_push_text(fx, EFFECT_REPLY, NULL,
                          "<@%s> asked for %s. It needs %d approval%s from finance (%s)%s. "
                          "Approve or reject with the buttons, or react :%s: / :%s: on the card.",
                          in->requester, in->id, out->approvals_needed,
                          out->approvals_needed > 1 ? "s" : "", approvers, threshold,
                          pol->react_approve, pol->react_reject);
    effect_list_push_text(fx, EFFECT_EPHEMERAL, in->requester,
                          "%s is with finance now. I will post every step in its thread.",
                          in->id);
    if (pol->approval_reminder_ms > 0 &&
        (pol->approval_expiry_ms == 0 || pol->approval_reminder_ms < pol->approval_expiry_ms))
        push_timer(fx, TIMER_APPROVAL_REMINDER, now_ms + pol->approval_reminder_ms);
    if (pol->approval_expiry_ms > 0)
        push_timer(fx, TIMER_APPROVAL_EXPIRY, now_ms + pol->approval_expiry_ms);
    return REQUEST_APPLIED;
}

static int on_discard(const struct request *in, const struct request_event *ev, int64_t now_ms,
                      struct request *out, struct effect_list *fx, struct refusal *why)
{
    if (in->state != REQUEST_DRAFT)
        return refuse(why, "state", "%s is already %s; it can no longer be discarded.", in->id,
                      state_words(in->state));
    if (strcmp(ev->actor, in->requester) != 0)
        return refuse(why, "user", "Only <@%s>, who asked for %s, can discard it.",
                      in->requester, in->id);
    close_request(out, REQUEST_DISCARDED, now_ms);
    effect_list_push_text(fx, EFFECT_EPHEMERAL, in->requester,
                          "%s discarded. Nothing was sent to finance or the marketplace.", in->id);
    return REQUEST_APPLIED;
}

static void push_submit_notice(const struct request *out, struct effect_list *fx)
{
    effect_list_push_text(fx, EFFECT_REPLY, NULL, "Approvals complete. Submitting %s to %s...",
                          out->kind == REQUEST_REFUND ? "the refund"
                          : out->kind == REQUEST_SUSPEND ? "the suspension" : "the cancellation",
                          market_words(out));
    if (out->n_items >= 2) {
        /* The marketplace takes one entitlement per call: one call each. */
        for (int i = 0; i < out->n_items; i++) {
            struct effect *e = effect_list_push(fx, EFFECT_PROVIDER_SUBMIT, 0);
            if (e)
                e->item = i + 1;
        }
    } else {
        effect_list_push(fx, EFFECT_PROVIDER_SUBMIT, 0);
    }
}

static int on_approve(const struct request *in, const struct request_event *ev,
                      const struct policy *pol, int64_t now_ms, struct request *out,
                      struct effect_list *fx, struct refusal *why)
{
    struct approval *a;
    if (in->state == REQUEST_DRAFT)
        return refuse(why, "state", "%s is still a draft: <@%s> has to confirm it before "
                      "finance can decide.", in->id, in->requester);
    if (in->state != REQUEST_AWAITING_APPROVAL)
        return refuse(why, "state", "%s is already %s; approvals are closed.", in->id,
                      state_words(in->state));
    if (strcmp(ev->actor, in->requester) == 0)
        return refuse(why, "user",
                      "You cannot approve your own request %s: another finance approver must.",
                      in->id);
    if (!is_approver(pol, ev))
        return refuse(why, "user",
                      "Only finance approvers can approve %s; your approval was not counted.",
                      in->id);
    if (approved_by(in, ev->actor) >= 0)
        return refuse(why, "user", "You already approved %s; it counts once.", in->id);
    if (in->n_approvals >= REQUEST_MAX_APPROVALS)
        return refuse(why, "user", "%s has all the approvals it can hold.", in->id);
    a = &out->approvals[out->n_approvals++];
    request_copy_str(a->user, sizeof(a->user), ev->actor);
    request_copy_str(a->via, sizeof(a->via), ev->via[0] ? ev->via : "button");
    a->at_ms = now_ms;
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    if (out->n_approvals >= out->approvals_needed) {
        out->state = REQUEST_SUBMITTING;
        effect_list_push_text(fx, EFFECT_REPLY, NULL, "Approved by <@%s> (%d of %d).", ev->actor,
                              out->n_approvals, out->approvals_needed);
        push_submit_notice(out, fx);
    } else {
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Approved by <@%s> (%d of %d). One more approval from another "
                              "finance approver is needed.",
                              ev->actor, out->n_approvals, out->approvals_needed);
    }
    return REQUEST_APPLIED;
}

static int on_unapprove(const struct request *in, const struct request_event *ev,
                        struct request *out, struct effect_list *fx, struct refusal *why)
{
    int i = approved_by(in, ev->actor);
    if (i < 0)
        return REQUEST_IGNORED;
    if (in->state != REQUEST_AWAITING_APPROVAL)
        return refuse(why, "state",
                      "%s is already %s; removing the reaction does not undo the approval.",
                      in->id, state_words(in->state));
    memmove(&out->approvals[i], &out->approvals[i + 1],
            (size_t)(out->n_approvals - i - 1) * sizeof(out->approvals[0]));
    out->n_approvals--;
    memset(&out->approvals[out->n_approvals], 0, sizeof(out->approvals[0]));
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    effect_list_push_text(fx, EFFECT_REPLY, NULL, "<@%s> took back their approval (%d of %d).",
                          ev->actor, out->n_approvals, out->approvals_needed);
    return REQUEST_APPLIED;
}

static int on_reject(const struct request *in, const struct request_event *ev,
                     const struct policy *pol, int64_t now_ms, struct request *out,
                     struct effect_list *fx, struct refusal *why)
{
    if (in->state == REQUEST_DRAFT)
        return refuse(why, "state", "%s is still a draft: <@%s> has to confirm it before "
                      "finance can decide.", in->id, in->requester);
    if (in->state != REQUEST_AWAITING_APPROVAL)
        return refuse(why, "state", "%s is already %s; it can no longer be rejected.", in->id,
                      state_words(in->state));
    if (strcmp(ev->actor, in->requester) == 0)
        return refuse(why, "user",
                      "You cannot reject your own request; withdraw it instead: "
                      "/cancel withdraw %s note=\"...\"", in->id);
    if (!is_approver(pol, ev))
        return refuse(why, "user", "Only finance approvers can reject %s.", in->id);
    if (!ev->text[0])
        return refuse(why, "note",
                      "note: a rejection needs a reason the requester can act on, e.g. "
                      "click %s reject note=\"Invoice still open; refund first\".", in->id);
    close_request(out, REQUEST_REJECTED, now_ms);
    request_copy_str(out->decided_by, sizeof(out->decided_by), ev->actor);
    request_copy_str(out->decision_note, sizeof(out->decision_note), ev->text);
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    effect_list_push_text(fx, EFFECT_REPLY, NULL,
                          "Rejected by <@%s>: %s. Nothing was sent to the marketplace. <@%s>",
                          ev->actor, ev->text, in->requester);
    return REQUEST_APPLIED;
}

static int on_withdraw(const struct request *in, const struct request_event *ev,
                       const struct policy *pol, int64_t now_ms, struct request *out,
                       struct effect_list *fx, struct refusal *why)
{
    if (strcmp(ev->actor, in->requester) != 0 && !is_approver(pol, ev))
        return refuse(why, "user", "Only <@%s>, who asked for %s, or a finance approver can "
                      "withdraw it.", in->requester, in->id);
    if (!ev->text[0])
        return refuse(why, "note",
                      "note: say why the request is withdrawn, e.g. /cancel withdraw %s "
                      "note=\"Buyer decided to keep the agreement\".", in->id);
    switch (in->state) {
    case REQUEST_DRAFT:
    case REQUEST_AWAITING_APPROVAL:
        close_request(out, REQUEST_WITHDRAWN, now_ms);
        request_copy_str(out->decided_by, sizeof(out->decided_by), ev->actor);
        request_copy_str(out->decision_note, sizeof(out->decision_note), ev->text);
        if (in->state == REQUEST_AWAITING_APPROVAL) {
            effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "Withdrawn by <@%s>: %s. Nothing was sent to the marketplace.",
                                  ev->actor, ev->text);
        } else {
            effect_list_push_text(fx, EFFECT_EPHEMERAL, ev->actor, "%s withdrawn.", in->id);
        }
        return REQUEST_APPLIED;
    case REQUEST_SUBMITTING:
        return refuse(why, "state", "%s is being submitted right now; withdraw it once the "
                      "marketplace has answered (in a minute or so).", in->id);
    case REQUEST_SUBMITTED:
        if (in->market == MARKET_AZURE)
            return refuse(why, "state", "Partner Center cancellations take effect at once and "
                          "cannot be withdrawn; %s stays as it is.", in->id);
        if (in->kind == REQUEST_REFUND)
            return refuse(why, "state", "A submitted refund cannot be withdrawn; %s stays as "
                          "it is.", in->id);
        if (in->withdrawing)
            return refuse(why, "state", "The withdrawal of %s is already under way.", in->id);
        out->withdrawing = 1;
        request_copy_str(out->decided_by, sizeof(out->decided_by), ev->actor);
        request_copy_str(out->decision_note, sizeof(out->decision_note), ev->text);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "<@%s> is withdrawing the cancellation request %s at %s: %s",
                              ev->actor, in->provider_ref, market_words(in), ev->text);
        effect_list_push(fx, EFFECT_PROVIDER_WITHDRAW, 0);
        return REQUEST_APPLIED;
    case REQUEST_SUPPORT_CASE:
        return refuse(why, "state", "%s is with AWS Support (case %s); ask AWS in that case "
                      "to stop.", in->id, in->case_id);
    case REQUEST_COMPLETED:
    case REQUEST_REJECTED:
    case REQUEST_WITHDRAWN:
    case REQUEST_BUYER_REJECTED:
    case REQUEST_FAILED:
    case REQUEST_DISCARDED:
    case REQUEST_EXPIRED:
        break;
    }
    return refuse(why, "state", "%s is already %s; there is nothing to withdraw.", in->id,
                  state_words(in->state));
}

static int on_submit_accepted(const struct request *in, const struct request_event *ev,
                              const struct policy *pol, int64_t now_ms, struct request *out,
                              struct effect_list *fx, struct refusal *why)
{
    char when[40], amount[48];
    if (in->state != REQUEST_SUBMITTING)
        return REQUEST_IGNORED;    /* a replayed submission answered again: already known */
    if (!ev->ref[0])
        return refuse(why, "ref", "The marketplace accepted %s without a request id.", in->id);
    out->state = REQUEST_SUBMITTED;
    out->submitted_ms = now_ms;
    request_copy_str(out->provider_ref, sizeof(out->provider_ref), ev->ref);
    request_copy_str(out->provider_status, sizeof(out->provider_status), ev->status_raw);
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    if (in->kind == REQUEST_SUSPEND) {
        /* Suspension takes effect with the answer: nothing to follow. */
        close_request(out, REQUEST_COMPLETED, now_ms);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Partner Center suspended subscription %s of customer %s. "
                              "%s is complete; reactivate it in Partner Center when the "
                              "customer is safe again. <@%s>",
                              in->agreement.subscription_id, in->agreement.buyer_account,
                              in->id, in->requester);
        return REQUEST_APPLIED;
    }
    if (in->kind == REQUEST_REFUND) {
        format_money(amount, sizeof(amount), in->refund_cents, in->refund_currency);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Refund submitted: billing adjustment %s for %s against invoice "
                              "%s. Agreement %s stays active.",
                              ev->ref, amount, in->invoice_id, in->agreement.id);
    } else if (in->market == MARKET_AZURE) {
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Partner Center accepted the cancellation of entitlement %s of "
                              "customer %s. It turns inactive in about 10 minutes; I will "
                              "confirm here.",
                              in->agreement.id, in->agreement.buyer_account);
    } else {
        out->buyer_deadline_ms = now_ms + pol->buyer_window_ms;
        fill_buyer_link(pol, out);
        format_time(when, sizeof(when), out->buyer_deadline_ms);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Submitted to AWS Marketplace as cancellation request %s. <@%s>, "
                              "share this link with the buyer to confirm: %s . If the buyer "
                              "does not answer, AWS cancels agreement %s automatically on %s.",
                              ev->ref, in->requester, out->buyer_link, in->agreement.id, when);
        for (int i = 0; i < pol->n_reminders; i++) {
            int64_t due = now_ms + pol->reminders_hours[i] * HOUR_MS;
            if (due < out->buyer_deadline_ms)
                push_timer(fx, TIMER_REMINDER, due);
        }
        push_timer(fx, TIMER_BUYER_DEADLINE, out->buyer_deadline_ms);
    }
    push_poll(fx, now_ms + poll_delay(pol, 0));
    return REQUEST_APPLIED;
}

static int on_submit_refused(const struct request *in, const struct request_event *ev,
                             int64_t now_ms, struct request *out, struct effect_list *fx)
{
    if (in->state != REQUEST_SUBMITTING)
        return REQUEST_IGNORED;
    close_request(out, REQUEST_FAILED, now_ms);
    request_copy_str(out->failure, sizeof(out->failure), ev->text);
    request_copy_str(out->provider_status, sizeof(out->provider_status), ev->status_raw);
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    if (strcmp(ev->status_raw, "NOT_ELIGIBLE") == 0)
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "%s refused %s: %s <@%s>, this agreement needs the support-case "
                              "route: I can file the AWS Marketplace refund/cancellation form "
                              "for agreement %s as an AWS Support case with /cancel case %s "
                              "file, or you file it and record it with /cancel case %s "
                              "<case-id>.",
                              market_words(in), in->id, ev->text, in->requester,
                              in->agreement.id, in->id, in->id);
    else
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "%s refused %s: %s Nothing was changed at the marketplace. <@%s>",
                              market_words(in), in->id, ev->text, in->requester);
    return REQUEST_APPLIED;
}

static int on_withdraw_answer(const struct request *in, const struct request_event *ev,
                              int64_t now_ms, struct request *out, struct effect_list *fx)
{
    if (in->state != REQUEST_SUBMITTED || !in->withdrawing)
        return REQUEST_IGNORED;
    if (ev->kind == EV_WITHDRAW_ACCEPTED) {
        close_request(out, REQUEST_WITHDRAWN, now_ms);
        request_copy_str(out->provider_status, sizeof(out->provider_status), "CANCELLED");
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Withdrawn at %s: cancellation request %s is cancelled and "
                              "agreement %s stays active.",
                              market_words(in), in->provider_ref, in->agreement.id);
        return REQUEST_APPLIED;
    }
    out->withdrawing = 0;
    effect_list_push_text(fx, EFFECT_REPLY, NULL, "Could not withdraw %s: %s", in->id, ev->text);
    push_poll(fx, 0);   /* the usual cause is that the buyer just answered: find out */
    return REQUEST_APPLIED;
}

static void push_refund_followup(const struct request *in, struct effect_list *fx)
{
    effect_list_push_text(fx, EFFECT_REPLY, NULL,
                          "<@%s> a cancellation is not a refund. If the buyer is owed money, "
                          "ask for a billing adjustment: /refund aws %s invoice=<invoice-id> "
                          "amount=<amount> currency=USD reason=%s note=\"...\"",
                          in->requester, in->agreement.id,
                          in->reason_code[0] ? in->reason_code : "OTHER");
}

static int on_status(const struct request *in, const struct request_event *ev,
                     const struct policy *pol, int64_t now_ms, struct request *out,
                     struct effect_list *fx)
{
    if (in->state != REQUEST_SUBMITTED)
        return REQUEST_IGNORED;
    request_copy_str(out->provider_status, sizeof(out->provider_status), ev->status_raw);
    switch (ev->status) {
    case MSTATUS_PENDING:
        /* Nothing changed: poll again later, backing off, and keep no audit row. */
        out->polls_unchanged = in->polls_unchanged + 1;
        push_poll(fx, now_ms + poll_delay(pol, out->polls_unchanged));
        return REQUEST_QUIET;
    case MSTATUS_APPROVED:
    case MSTATUS_AUTO_APPROVED:
        close_request(out, REQUEST_COMPLETED, now_ms);
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        if (in->kind == REQUEST_REFUND) {
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "Refund %s completed (billing adjustment %s). <@%s>", in->id,
                                  in->provider_ref, in->requester);
            return REQUEST_APPLIED;
        }
        if (in->market == MARKET_AZURE) {
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "Entitlement %s is now inactive: %s is complete. <@%s>",
                                  in->agreement.id, in->id, in->requester);
            return REQUEST_APPLIED;     /* Partner Center refunds are not ours to offer */
        } else if (ev->status == MSTATUS_AUTO_APPROVED)
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "The buyer did not answer within 7 days, so AWS cancelled "
                                  "agreement %s automatically. %s is complete. <@%s>",
                                  in->agreement.id, in->id, in->requester);
        else
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "The buyer approved: agreement %s is cancelled. %s is "
                                  "complete. <@%s>",
                                  in->agreement.id, in->id, in->requester);
        push_refund_followup(in, fx);
        return REQUEST_APPLIED;
    case MSTATUS_REJECTED:
        close_request(out, REQUEST_BUYER_REJECTED, now_ms);
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "The buyer rejected cancellation request %s: agreement %s stays "
                              "active. <@%s>, talk to the buyer before asking again.",
                              in->provider_ref, in->agreement.id, in->requester);
        return REQUEST_APPLIED;
    case MSTATUS_CANCELLED:
        close_request(out, REQUEST_WITHDRAWN, now_ms);
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Cancellation request %s was withdrawn at %s; agreement %s stays "
                              "active.", in->provider_ref, market_words(in), in->agreement.id);
        return REQUEST_APPLIED;
    case MSTATUS_FAILED:
        close_request(out, REQUEST_FAILED, now_ms);
        request_copy_str(out->failure, sizeof(out->failure), ev->text[0] ? ev->text : ev->status_raw);
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL, "%s reports %s as %s: %s <@%s>",
                              market_words(in), in->provider_ref, ev->status_raw,
                              out->failure, in->requester);
        return REQUEST_APPLIED;
    }
    return REQUEST_IGNORED;
}

static int on_timer(const struct request *in, const struct request_event *ev,
                    const struct policy *pol, int64_t now_ms, struct request *out,
                    struct effect_list *fx)
{
    char when[40];
    switch (ev->timer) {
    case TIMER_REMINDER:
        if (in->state != REQUEST_SUBMITTED || in->kind != REQUEST_CANCEL ||
            in->market != MARKET_AWS)
            return REQUEST_IGNORED;
        out->reminders_sent = in->reminders_sent + 1;
        if (ev->repeat_in_jump)
            return REQUEST_APPLIED;
        format_time(when, sizeof(when), in->buyer_deadline_ms);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "Reminder <@%s>: the buyer has not yet answered cancellation "
                              "request %s. Link for the buyer: %s . AWS cancels automatically "
                              "on %s.",
                              in->requester, in->provider_ref, in->buyer_link, when);
        return REQUEST_APPLIED;
    case TIMER_APPROVAL_REMINDER: {
        char approvers[400];
        if (in->state != REQUEST_AWAITING_APPROVAL)
            return REQUEST_IGNORED;
        if (!ev->repeat_in_jump) {
            approver_mentions(pol, approvers, sizeof(approvers));
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "Reminder for finance (%s): %s is still waiting for approval "
                                  "(%d of %d).",
                                  approvers, in->id, in->n_approvals, in->approvals_needed);
        }
        if (pol->approval_reminder_ms > 0 &&
            (pol->approval_expiry_ms == 0 ||
             now_ms + pol->approval_reminder_ms < in->confirmed_ms + pol->approval_expiry_ms))
            push_timer(fx, TIMER_APPROVAL_REMINDER, now_ms + pol->approval_reminder_ms);
        return REQUEST_APPLIED;
    }
    case TIMER_APPROVAL_EXPIRY:
        if (in->state != REQUEST_AWAITING_APPROVAL)
            return REQUEST_IGNORED;
        close_request(out, REQUEST_EXPIRED, now_ms);
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "%s expired: finance did not decide in time. Nothing was sent to "
                              "the marketplace. <@%s>, ask again if it is still needed.",
                              in->id, in->requester);
        return REQUEST_APPLIED;
    case TIMER_DRAFT_EXPIRY:
        return on_draft_expiry(in, pol, now_ms, out, fx);
    case TIMER_BUYER_DEADLINE:
        if (in->state != REQUEST_SUBMITTED)
            return REQUEST_IGNORED;
        push_poll(fx, 0);   /* the marketplace decides; we read its answer now */
        return REQUEST_QUIET;
    case TIMER_NONE:
        break;
    }
    return REQUEST_IGNORED;
}

static int may_act_on_case(const struct request *in, const struct request_event *ev,
                           const struct policy *pol)
{
    return strcmp(ev->actor, in->requester) == 0 || is_approver(pol, ev);
}

/* The requester reports a case they filed themselves (the portal form). */
static int on_case_filed(const struct request *in, const struct request_event *ev,
                         const struct policy *pol, int64_t now_ms, struct request *out,
                         struct effect_list *fx, struct refusal *why)
{
    if (!ev->text[0])
        return refuse(why, "case", "case: give the support case id, e.g. /cancel case %s "
                      "12345678901.", in->id);
    if (in->state == REQUEST_DRAFT || in->state == REQUEST_DISCARDED)
        return refuse(why, "state", "%s is %s; a support case can be recorded once it is "
                      "confirmed.", in->id, state_words(in->state));
    if (!may_act_on_case(in, ev, pol))
        return refuse(why, "user", "Only <@%s>, who asked for %s, or a finance approver can "
                      "record its support case.", in->requester, in->id);
    request_copy_str(out->case_id, sizeof(out->case_id), ev->text);
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    effect_list_push_text(fx, EFFECT_REPLY, NULL, "Support case %s recorded for %s by <@%s>.",
                          out->case_id, in->id, ev->actor);
    if (in->state == REQUEST_FAILED) {
        /* The refused cancellation now lives on in that case: follow it. */
        out->state = REQUEST_SUPPORT_CASE;
        out->closed_ms = 0;
        request_copy_str(out->case_status, sizeof(out->case_status), "Recorded");
        effect_list_push(fx, EFFECT_SUPPORT_POLL, now_ms + HOUR_MS);
    }
    return REQUEST_APPLIED;
}

static int on_case_file(const struct request *in, const struct request_event *ev,
                        const struct policy *pol, struct request *out,
                        struct effect_list *fx, struct refusal *why)
{
    if (in->state != REQUEST_FAILED || in->kind != REQUEST_CANCEL || in->market != MARKET_AWS)
        return refuse(why, "state", "A support case is filed for an AWS cancellation the "
                      "self-serve API refused; %s is %s.", in->id, state_words(in->state));
    if (in->case_filing || in->case_id[0])
        return refuse(why, "case", "%s already has a support case%s%s.", in->id,
                      in->case_id[0] ? ": " : " on its way", in->case_id);
    if (!may_act_on_case(in, ev, pol))
        return refuse(why, "user", "Only <@%s>, who asked for %s, or a finance approver can "
                      "file its support case.", in->requester, in->id);
    out->case_filing = 1;
    effect_list_push_text(fx, EFFECT_REPLY, NULL,
                          "<@%s> asked me to file the AWS Marketplace cancellation form for "
                          "agreement %s as an AWS Support case...", ev->actor, in->agreement.id);
    effect_list_push(fx, EFFECT_SUPPORT_CREATE, 0);
    return REQUEST_APPLIED;
}

static int on_case_answer(const struct request *in, const struct request_event *ev,
                          int64_t now_ms, struct request *out, struct effect_list *fx)
{
    if (!in->case_filing)
        return REQUEST_IGNORED;           /* a replayed answer */
    out->case_filing = 0;
    switch (ev->kind) {
    case EV_CASE_OPENED:
        out->state = REQUEST_SUPPORT_CASE;
        out->closed_ms = 0;
        request_copy_str(out->case_id, sizeof(out->case_id), ev->text);
        request_copy_str(out->case_status, sizeof(out->case_status), "Pending");
        effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "AWS Support case %s is open for agreement %s. I will post its "
                              "status here (Pending, Action Required, Completed). <@%s>",
                              out->case_id, in->agreement.id, in->requester);
        effect_list_push(fx, EFFECT_SUPPORT_POLL, now_ms + HOUR_MS);
        return REQUEST_APPLIED;
    case EV_CASE_NO_PLAN:
        effect_list_push_text(fx, EFFECT_REPLY, NULL,
                              "<@%s> this AWS account has no Business (or higher) support "
                              "plan, so I cannot open the case myself. Paste this into the AWS "
                              "Marketplace refund/cancellation form, then record the case id "
                              "here with /cancel case %s <case-id>:\n%s",
                              in->requester, in->id, ev->text);
        return REQUEST_APPLIED;
    default:
        effect_list_push_text(fx, EFFECT_REPLY, NULL, "Could not file the support case for "
                              "%s: %s <@%s>", in->id, ev->text, in->requester);
        return REQUEST_APPLIED;
    }
}

static int on_case_status(const struct request *in, const struct request_event *ev,
                          const struct policy *pol, int64_t now_ms, struct request *out,
                          struct effect_list *fx, struct refusal *why)
{
    int by_user = strcmp(ev->actor, "marketplace") != 0;
    if (in->state != REQUEST_SUPPORT_CASE) {
        if (!by_user)
            return REQUEST_IGNORED;
        return refuse(why, "state", "%s has no open support case (it is %s).", in->id,
                      state_words(in->state));
    }
    if (by_user && !may_act_on_case(in, ev, pol))
        return refuse(why, "user", "Only <@%s>, who asked for %s, or a finance approver can "
                      "close its support case.", in->requester, in->id);
    if (strcmp(ev->status_raw, in->case_status) == 0) {
        effect_list_push(fx, EFFECT_SUPPORT_POLL, now_ms + HOUR_MS);
        return REQUEST_QUIET;
    }
    request_copy_str(out->case_status, sizeof(out->case_status), ev->status_raw);
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
    if (strcmp(ev->status_raw, "Completed") == 0) {
        close_request(out, REQUEST_COMPLETED, now_ms);
        if (by_user)
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "<@%s> marked support case %s as resolved: %s is complete. "
                                  "Check that agreement %s shows as cancelled.",
                                  ev->actor, in->case_id, in->id, in->agreement.id);
        else
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "AWS Support resolved case %s: %s is complete. Check that "
                                  "agreement %s shows as cancelled. <@%s>",
                                  in->case_id, in->id, in->agreement.id, in->requester);
        push_refund_followup(in, fx);
        return REQUEST_APPLIED;
    }
    effect_list_push_text(fx, EFFECT_REPLY, NULL, "Support case %s is now %s%s <@%s>",
                          in->case_id, ev->status_raw,
                          strcmp(ev->status_raw, "Action Required") == 0
                              ? ": AWS is waiting for an answer in the Support Center."
                              : ".", in->requester);
    effect_list_push(fx, EFFECT_SUPPORT_POLL, now_ms + HOUR_MS);
    return REQUEST_APPLIED;
}

/* Several entitlements: each answer and status is about one of them (ev->item); the
 * request moves on when all have answered, and completes when all are settled. */
static void settle_items(const struct request *in, int64_t now_ms, struct request *out,
                         struct effect_list *fx)
{
    int waiting = count_items(out, ITEM_WAITING), open = count_items(out, ITEM_SUBMITTED);
    int done = count_items(out, ITEM_DONE), total = out->n_items;
    if (waiting == 0 && out->state == REQUEST_SUBMITTING) {
        if (open + done == 0) {
            close_request(out, REQUEST_FAILED, now_ms);
            request_copy_str(out->failure, sizeof(out->failure),
                             "Partner Center refused every entitlement.");
        } else {
            out->state = REQUEST_SUBMITTED;
            out->submitted_ms = now_ms;
        }
    }
    if (waiting == 0 && open == 0 && !request_is_terminal(out->state)) {
        if (done > 0) {
            close_request(out, REQUEST_COMPLETED, now_ms);
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "%d of %d entitlements of customer %s are inactive: %s is "
                                  "complete. <@%s>",
                                  done, total, in->agreement.buyer_account, in->id,
                                  in->requester);
        } else {
            close_request(out, REQUEST_FAILED, now_ms);
        }
    }
    effect_list_push(fx, EFFECT_UPDATE_CARD, 0);
}

static int on_item_answer(const struct request *in, const struct request_event *ev,
                          const struct policy *pol, int64_t now_ms, struct request *out,
                          struct effect_list *fx)
{
    int i = ev->item - 1;
    struct request_item *it;
    if (i < 0 || i >= in->n_items ||
        (in->state != REQUEST_SUBMITTING && in->state != REQUEST_SUBMITTED))
        return REQUEST_IGNORED;
    it = &out->items[i];
    if (ev->kind == EV_STATUS) {
        if (it->phase != ITEM_SUBMITTED)
            return REQUEST_IGNORED;
        request_copy_str(it->status, sizeof(it->status), ev->status_raw);
        if (ev->status == MSTATUS_PENDING) {
            push_item_poll(fx, now_ms + poll_delay(pol, 1), ev->item);
            return REQUEST_QUIET;
        }
        it->phase = ev->status == MSTATUS_APPROVED || ev->status == MSTATUS_AUTO_APPROVED
                        ? ITEM_DONE : ITEM_FAILED;
        effect_list_push_text(fx, EFFECT_REPLY, NULL, "Entitlement %s is now %s (%d of %d "
                              "settled).", it->id, it->phase == ITEM_DONE ? "inactive"
                              : ev->status_raw, out->n_items - count_items(out, ITEM_WAITING)
                              - count_items(out, ITEM_SUBMITTED), out->n_items);
    } else {
        if (it->phase != ITEM_WAITING)
            return REQUEST_IGNORED;     /* a replayed answer */
        request_copy_str(it->status, sizeof(it->status), ev->status_raw);
        if (ev->kind == EV_SUBMIT_ACCEPTED) {
            it->phase = ITEM_SUBMITTED;
            request_copy_str(it->ref, sizeof(it->ref), ev->ref);
            effect_list_push_text(fx, EFFECT_REPLY, NULL,
                                  "Partner Center accepted the cancellation of entitlement %s "
                                  "(%d of %d). It turns inactive in about 10 minutes.",
                                  it->id, i + 1, in->n_items);
            push_item_poll(fx, now_ms + poll_delay(pol, 0), ev->item);
        } else {
            it->phase = ITEM_FAILED;
            effect_list_push_text(fx, EFFECT_REPLY, NULL, "Partner Center refused the "
                                  "cancellation of entitlement %s: %s <@%s>", it->id, ev->text,
                                  in->requester);
        }
    }
    settle_items(in, now_ms, out, fx);
    return REQUEST_APPLIED;
}

int request_transition(const struct request *in, const struct request_event *ev,
                       const struct policy *policy, int64_t now_ms,
                       struct request *out, struct effect_list *effects,
                       struct refusal *why)
{
    struct request_event clean;
    int rc;
    effects->len = 0;
    why->field[0] = why->text[0] = '\0';
    /* An event's text is someone's words (a note, a reason) or a marketplace's: it
     * goes into messages beside the bot's own mentions, so without Slack markup. */
    if (strchr(ev->text, '<')) {
        clean = *ev;
        format_neutralise_markup(clean.text);
        ev = &clean;
    }
    if (ev->kind == EV_CREATE) {
        memset(out, 0, sizeof(*out));
        rc = on_create(ev, policy, now_ms, out, effects, why);
    } else {
        *out = *in;
        if (ev->item > 0 && (ev->kind == EV_SUBMIT_ACCEPTED || ev->kind == EV_SUBMIT_REFUSED ||
                             ev->kind == EV_STATUS)) {
            rc = on_item_answer(in, ev, policy, now_ms, out, effects);
            goto done;
        }
        switch (ev->kind) {
        case EV_CONFIRM:           rc = on_confirm(in, ev, policy, now_ms, out, effects, why); break;
        case EV_DISCARD:           rc = on_discard(in, ev, now_ms, out, effects, why); break;
        case EV_APPROVE:           rc = on_approve(in, ev, policy, now_ms, out, effects, why); break;
        case EV_UNAPPROVE:         rc = on_unapprove(in, ev, out, effects, why); break;
        case EV_REJECT:            rc = on_reject(in, ev, policy, now_ms, out, effects, why); break;
        case EV_WITHDRAW:          rc = on_withdraw(in, ev, policy, now_ms, out, effects, why); break;
        case EV_SUBMIT_ACCEPTED:   rc = on_submit_accepted(in, ev, policy, now_ms, out, effects, why); break;
        case EV_SUBMIT_REFUSED:    rc = on_submit_refused(in, ev, now_ms, out, effects); break;
        case EV_WITHDRAW_ACCEPTED:
        case EV_WITHDRAW_REFUSED:  rc = on_withdraw_answer(in, ev, now_ms, out, effects); break;
        case EV_STATUS:            rc = on_status(in, ev, policy, now_ms, out, effects); break;
        case EV_TIMER:             rc = on_timer(in, ev, policy, now_ms, out, effects); break;
        case EV_CASE_FILED:        rc = on_case_filed(in, ev, policy, now_ms, out, effects, why); break;
        case EV_CASE_FILE:         rc = on_case_file(in, ev, policy, out, effects, why); break;
        case EV_CASE_OPENED:
        case EV_CASE_NO_PLAN:
        case EV_CASE_FILE_FAILED:  rc = on_case_answer(in, ev, now_ms, out, effects); break;
        case EV_CASE_STATUS:       rc = on_case_status(in, ev, policy, now_ms, out, effects, why); break;
        case EV_CREATE:
        default:                   rc = refuse(why, "event", "Unknown event."); break;
        }
    }
done:
    if (rc == REQUEST_APPLIED || rc == REQUEST_QUIET) {
        out->updated_ms = now_ms;
    } else {
        effects->len = 0;
        if (in)
            *out = *in;
    }
    return rc;
}
