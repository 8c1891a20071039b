/* tests/test_flow.c -- the state machine, one rule per test: every transition and
 * every refusal of approvals/flow.c, with the clock as a plain integer. */
#include <string.h>
#include "tests/check.h"
#include "approvals/flow.h"
#include "approvals/card.h"
#include "approvals/format.h"

#define T0 1764064800000LL            /* 2025-11-25 10:00 UTC */
#define HOUR (3600LL * 1000)
#define DAY (24 * HOUR)

static struct policy pol;

static struct request fixture_draft(enum request_market m, enum request_kind k)
{
    struct request d;
    memset(&d, 0, sizeof(d));
    strcpy(d.id, k == REQUEST_REFUND ? "RF-1" : "CR-1");
    d.kind = k;
    d.market = m;
    strcpy(d.account, "default");
    strcpy(d.requester, "U0ALICE");
    strcpy(d.channel, "C0CANCELS");
    strcpy(d.agreement.id, m == MARKET_AZURE ? "ent-0001" : "agmt-1a2b3c4d5e6f7g8h9i0j");
    strcpy(d.agreement.buyer_account, "123456789012");
    strcpy(d.agreement.status, m == MARKET_AZURE ? "active" : "ACTIVE");
    strcpy(d.agreement.currency, "USD");
    d.agreement.value_cents = 120000;
    strcpy(d.reason_code, m == MARKET_AZURE ? "compromise" : "REPLACING_AGREEMENT");
    strcpy(d.note, "Replacing with private offer offer-9x8y");
    if (k == REQUEST_REFUND) {
        strcpy(d.invoice_id, "inv-1");
        d.refund_cents = 12000;
        strcpy(d.refund_currency, "USD");
    }
    return d;
}

static struct request_event event(enum request_event_kind kind, const char *actor, const char *text)
{
    struct request_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    strcpy(ev.actor, actor);
    if (text)
        strcpy(ev.text, text);
    return ev;
}

/* Applies ev and, when it applies, replaces *rq. Returns the rc. */
static int step(struct request *rq, struct request_event ev, int64_t now,
                struct effect_list *fx, struct refusal *why)
{
    struct request out;
    int rc = request_transition(rq, &ev, &pol, now, &out, fx, why);
    if (rc == REQUEST_APPLIED || rc == REQUEST_QUIET)
        *rq = out;
    return rc;
}

static int count(const struct effect_list *fx, enum effect_kind k)
{
    int n = 0;
    for (int i = 0; i < fx->len; i++)
        n += fx->items[i].kind == k;
    return n;
}

/* The nth effect of kind k; an empty effect when there is none, so that the checks
 * on it fail rather than crash. */
static const struct effect *find(const struct effect_list *fx, enum effect_kind k, int nth)
{
    static const struct effect none;
    for (int i = 0; i < fx->len; i++)
        if (fx->items[i].kind == k && nth-- == 0)
            return &fx->items[i];
    return &none;
}

static struct request created(enum request_market m, enum request_kind k)
{
    struct request d = fixture_draft(m, k), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.draft = &d;
    memset(&rq, 0, sizeof(rq));
    request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why);
    return rq;
}

static struct request awaiting(enum request_market m, enum request_kind k)
{
    struct request rq = created(m, k);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0 + 1000, &fx, &why);
    return rq;
}

static struct request submitted(enum request_market m, enum request_kind k)
{
    struct request rq = awaiting(m, k);
    struct request_event ev = event(EV_SUBMIT_ACCEPTED, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0 + 2000, &fx, &why);
    strcpy(ev.ref, m == MARKET_AZURE ? "corr-1" : "acr-abcdef123456");
    strcpy(ev.status_raw, "PENDING_APPROVAL");
    step(&rq, ev, T0 + 3000, &fx, &why);
    return rq;
}

static void test_create_makes_a_draft_and_asks_the_requester_to_verify(void)
{
    struct request d = fixture_draft(MARKET_AWS, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_DRAFT);
    CHECK(rq.created_ms == T0);
    CHECK(count(&fx, EFFECT_CONFIRM_PROMPT) == 1);
    CHECK(count(&fx, EFFECT_POST_CARD) == 0);
    CHECK_STR(find(&fx, EFFECT_CONFIRM_PROMPT, 0)->user, "U0ALICE");
    CHECK_CONTAINS(find(&fx, EFFECT_CONFIRM_PROMPT, 0)->text, "the cancellation can be withdrawn");
}

static void test_create_refused_for_an_inactive_agreement(void)
{
    struct request d = fixture_draft(MARKET_AWS, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    strcpy(d.agreement.status, "CANCELLED");
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "agreement");
    CHECK_CONTAINS(why.text, "CANCELLED");
    CHECK(fx.len == 0);
}

static void test_create_refused_for_a_user_not_allowed_to_request(void)
{
    struct policy strict = pol;
    struct request d = fixture_draft(MARKET_AWS, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    strict.n_requesters = 1;
    strcpy(strict.requesters[0], "U0BOB");
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &strict, T0, &rq, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "requester");
}

static void test_create_refused_outside_the_request_channels(void)
{
    struct request d = fixture_draft(MARKET_AWS, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    strcpy(d.channel, "C0RANDOM");
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "channel");
}

static void test_refund_above_the_agreement_value_is_refused(void)
{
    struct request d = fixture_draft(MARKET_AWS, REQUEST_REFUND), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    d.refund_cents = d.agreement.value_cents + 1;
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "amount");
    d.refund_cents = d.agreement.value_cents;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_APPLIED);
}

static void test_confirm_posts_the_card_and_starts_the_expiry_timer(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0 + 10, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
    CHECK(rq.approvals_needed == 1);
    CHECK(count(&fx, EFFECT_POST_CARD) == 1);
    CHECK(fx.items[0].kind == EFFECT_POST_CARD);    /* before any thread reply */
    CHECK(count(&fx, EFFECT_TIMER) == 2);
    CHECK(find(&fx, EFFECT_TIMER, 1)->timer == TIMER_APPROVAL_EXPIRY);
    CHECK(find(&fx, EFFECT_TIMER, 1)->due_ms == T0 + 10 + pol.approval_expiry_ms);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "U0FIN1");
}

static void test_only_the_requester_confirms(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_CONFIRM, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(rq.state == REQUEST_DRAFT);
    CHECK_CONTAINS(why.text, "U0ALICE");
    CHECK(fx.len == 0);
}

static void test_confirm_twice_is_refused(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "waiting for finance");
}

static void test_discard_closes_the_draft_and_sends_nothing(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_DISCARD, "U0ALICE", NULL), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_DISCARDED);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 0 && count(&fx, EFFECT_POST_CARD) == 0);
    CHECK(step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_discard_by_someone_else_is_refused(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_DISCARD, "U0BOB", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(rq.state == REQUEST_DRAFT);
}

static void test_discard_after_confirm_is_refused(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_DISCARD, "U0ALICE", NULL), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_requester_cannot_approve_own_request(void)
{
    struct policy self = pol;
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    strcpy(self.approvers[self.n_approvers++], "U0ALICE");   /* even an approver */
    struct request_event ev = event(EV_APPROVE, "U0ALICE", NULL);
    struct request out;
    CHECK(request_transition(&rq, &ev, &self, T0, &out, &fx, &why) == REQUEST_REFUSED);
    CHECK(fx.len == 0);
    CHECK_CONTAINS(why.text, "your own request");
}

static void test_non_approver_cannot_approve(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_APPROVE, "U0BOB", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(rq.n_approvals == 0);
    CHECK_CONTAINS(why.text, "Only finance approvers");
}

static void test_user_group_member_may_approve(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_APPROVE, "U0CAROL", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.actor_in_approver_group = 1;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTING);
}

static void test_approval_of_a_draft_waits_for_the_requester(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "still a draft");
    CHECK(step(&rq, event(EV_REJECT, "U0FIN1", "no"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "U0ALICE");
    CHECK(rq.state == REQUEST_DRAFT);
}

static void test_one_approval_submits(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0 + 5, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTING);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 1);
    CHECK(count(&fx, EFFECT_UPDATE_CARD) == 1);
    CHECK(rq.n_approvals == 1 && strcmp(rq.approvals[0].user, "U0FIN1") == 0);
    CHECK(rq.approvals[0].at_ms == T0 + 5);
}

static void test_two_approvals_needed_above_the_threshold(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    rq.agreement.value_cents = pol.second_approval_above_cents + 1;
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why);
    CHECK(rq.approvals_needed == 2);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "above 50,000.00 USD");
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 0);
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "already approved");
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN2", NULL), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTING);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 1);
}

static void test_value_at_the_threshold_needs_one_approval(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    rq.agreement.value_cents = pol.second_approval_above_cents;
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why);
    CHECK(rq.approvals_needed == 1);
}

static void test_threshold_in_another_currency_does_not_apply(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    rq.agreement.value_cents = pol.second_approval_above_cents * 10;
    strcpy(rq.agreement.currency, "EUR");
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why);
    CHECK(rq.approvals_needed == 1);
}

static void test_unapprove_takes_back_an_approval(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    rq.agreement.value_cents = pol.second_approval_above_cents * 2;
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why);
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(step(&rq, event(EV_UNAPPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.n_approvals == 0);
    CHECK(step(&rq, event(EV_UNAPPROVE, "U0FIN2", NULL), T0, &fx, &why) == REQUEST_IGNORED);
}

static void test_unapprove_after_submission_is_refused(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(step(&rq, event(EV_UNAPPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(rq.state == REQUEST_SUBMITTING);
}

static void test_reject_needs_a_reason(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_REJECT, "U0FIN1", ""), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "note");
    CHECK(step(&rq, event(EV_REJECT, "U0FIN1", "Invoice still open"), T0 + 7, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_REJECTED);
    CHECK_STR(rq.decided_by, "U0FIN1");
    CHECK_STR(rq.decision_note, "Invoice still open");
    CHECK(rq.closed_ms == T0 + 7);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 0);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "Invoice still open");
}

static void test_requester_cannot_reject_and_non_approver_cannot_reject(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_REJECT, "U0ALICE", "no"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "withdraw");
    CHECK(step(&rq, event(EV_REJECT, "U0BOB", "no"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
}

static void test_stale_click_after_decision_names_the_state(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_REJECT, "U0FIN1", "Invoice still open"), T0, &fx, &why);
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN2", NULL), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "rejected by finance");
    CHECK(step(&rq, event(EV_REJECT, "U0FIN2", "x"), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_withdraw_while_awaiting_approval(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", ""), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "note");
    CHECK(step(&rq, event(EV_WITHDRAW, "U0BOB", "x"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "Buyer keeps it"), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_WITHDRAWN);
    CHECK(count(&fx, EFFECT_PROVIDER_WITHDRAW) == 0);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "again"), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_withdraw_while_submitting_is_refused(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "stop"), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_submission_accepted_posts_link_deadline_and_timers(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_SUBMIT_ACCEPTED, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    const struct effect *reply;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    strcpy(ev.ref, "acr-abcdef123456");
    CHECK(step(&rq, ev, T0 + 100, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTED);
    CHECK_STR(rq.provider_ref, "acr-abcdef123456");
    CHECK(rq.buyer_deadline_ms == T0 + 100 + 7 * DAY);
    CHECK_STR(rq.buyer_link,
              "https://console.aws.amazon.com/marketplace/home#/agreements/agmt-1a2b3c4d5e6f7g8h9i0j");
    reply = find(&fx, EFFECT_REPLY, 0);
    CHECK_CONTAINS(reply->text, rq.buyer_link);
    CHECK_CONTAINS(reply->text, "2025-12-02 10:00 UTC");
    CHECK(count(&fx, EFFECT_TIMER) == 4);          /* 24h, 72h, 144h reminders + deadline */
    CHECK(find(&fx, EFFECT_TIMER, 3)->timer == TIMER_BUYER_DEADLINE);
    CHECK(count(&fx, EFFECT_PROVIDER_POLL) == 1);
    CHECK(find(&fx, EFFECT_PROVIDER_POLL, 0)->due_ms == T0 + 100 + pol.poll_interval_ms);
}

static void test_replayed_submission_answer_is_ignored(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_SUBMIT_ACCEPTED, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    strcpy(ev.ref, "acr-abcdef123456");
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_IGNORED);
    CHECK(fx.len == 0);
}

static void test_submission_refused_fails_the_request(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_SUBMIT_REFUSED, "marketplace", "Agreement not active.");
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_FAILED);
    CHECK_STR(rq.failure, "Agreement not active.");
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "Agreement not active.");
}

static void test_not_eligible_offers_the_support_case_route(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_SUBMIT_REFUSED, "marketplace", "Private offer.");
    struct effect_list fx;
    struct refusal why;
    strcpy(ev.status_raw, "NOT_ELIGIBLE");
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "/cancel case CR-1");
    CHECK(step(&rq, event(EV_CASE_FILED, "U0ALICE", "17123456789"), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK_STR(rq.case_id, "17123456789");
}

static void test_buyer_approval_completes_with_refund_followup(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.status = MSTATUS_APPROVED;
    strcpy(ev.status_raw, "APPROVED");
    CHECK(step(&rq, ev, T0 + DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED);
    CHECK(rq.closed_ms == T0 + DAY);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "buyer approved");
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 1)->text, "not a refund");
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 1)->text, "/refund aws agmt-1a2b3c4d5e6f7g8h9i0j");
}

static void test_auto_approval_after_seven_days_says_so(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.status = MSTATUS_AUTO_APPROVED;
    CHECK(step(&rq, ev, T0 + 7 * DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "automatically");
}

static void test_buyer_rejection(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.status = MSTATUS_REJECTED;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_BUYER_REJECTED);
}

static void test_pending_status_polls_again_with_backoff_and_no_audit_row(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.status = MSTATUS_PENDING;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_QUIET);
    CHECK(find(&fx, EFFECT_PROVIDER_POLL, 0)->due_ms == T0 + 2 * pol.poll_interval_ms);
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_QUIET);
    CHECK(find(&fx, EFFECT_PROVIDER_POLL, 0)->due_ms == T0 + 4 * pol.poll_interval_ms);
    for (int i = 0; i < 20; i++)
        step(&rq, ev, T0, &fx, &why);
    CHECK(find(&fx, EFFECT_PROVIDER_POLL, 0)->due_ms == T0 + HOUR);   /* capped */
}

static void test_status_outside_submitted_is_ignored(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.status = MSTATUS_APPROVED;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_IGNORED);
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
}

static void test_withdraw_after_submission_calls_the_marketplace(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "Buyer changed mind"), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTED && rq.withdrawing);
    CHECK(count(&fx, EFFECT_PROVIDER_WITHDRAW) == 1);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "again"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(step(&rq, event(EV_WITHDRAW_ACCEPTED, "marketplace", NULL), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_WITHDRAWN);
}

static void test_withdraw_refused_by_marketplace_polls_for_the_answer(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_WITHDRAW, "U0ALICE", "stop"), T0, &fx, &why);
    CHECK(step(&rq, event(EV_WITHDRAW_REFUSED, "marketplace", "Buyer already answered."), T0,
               &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTED && !rq.withdrawing);
    CHECK(count(&fx, EFFECT_PROVIDER_POLL) == 1);
}

static void test_azure_cancellation_cannot_be_withdrawn_and_completes_when_inactive(void)
{
    struct request rq = submitted(MARKET_AZURE, REQUEST_CANCEL);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    CHECK(rq.buyer_deadline_ms == 0);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "stop"), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "Partner Center");
    ev.status = MSTATUS_APPROVED;
    strcpy(ev.status_raw, "inactive");
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "inactive");
    CHECK(count(&fx, EFFECT_REPLY) == 1);            /* the AWS refund hint is not for Azure */
}

static void test_refund_flow_keeps_the_agreement(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_REFUND);
    struct request_event ev = event(EV_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    CHECK(rq.state == REQUEST_SUBMITTED);
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "stop"), T0, &fx, &why) == REQUEST_REFUSED);
    ev.status = MSTATUS_APPROVED;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "Refund RF-1 completed");
    CHECK(count(&fx, EFFECT_REPLY) == 1);            /* no refund follow-up on a refund */
}

static void test_reminder_while_buyer_silent_and_ignored_after(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL), st = event(EV_STATUS, "m", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_REMINDER;
    CHECK(step(&rq, ev, T0 + DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.reminders_sent == 1);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "U0ALICE");
    st.status = MSTATUS_APPROVED;
    step(&rq, st, T0 + DAY, &fx, &why);
    CHECK(step(&rq, ev, T0 + 3 * DAY, &fx, &why) == REQUEST_IGNORED);
}

static void test_buyer_deadline_reads_the_marketplace(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_BUYER_DEADLINE;
    CHECK(step(&rq, ev, T0 + 7 * DAY, &fx, &why) == REQUEST_QUIET);
    CHECK(count(&fx, EFFECT_PROVIDER_POLL) == 1);
    CHECK(rq.state == REQUEST_SUBMITTED);
}

static void test_expiry_when_finance_never_answers(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_APPROVAL_EXPIRY;
    CHECK(step(&rq, ev, T0 + 7 * DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_EXPIRED);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 0);
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_REFUSED);
}

static void test_expiry_timer_after_approval_is_ignored(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_APPROVAL_EXPIRY;
    CHECK(step(&rq, ev, T0, &fx, &why) == REQUEST_IGNORED);
    CHECK(rq.state == REQUEST_SUBMITTED);
}

static void test_approval_reminder_nudges_finance_and_reschedules_before_expiry(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_APPROVAL_REMINDER;
    CHECK(step(&rq, ev, rq.confirmed_ms + DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "still waiting");
    CHECK(count(&fx, EFFECT_TIMER) == 1);
    CHECK(step(&rq, ev, rq.confirmed_ms + 6 * DAY + 1, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_TIMER) == 0);            /* the next one would pass expiry */
}

/* A clock jump over several reminders of one kind posts one: the later ones are
 * recorded (the count and the chain go on) but not posted again. */
static void test_reminder_repeated_in_a_clock_jump_is_recorded_not_posted(void)
{
    struct request rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    struct request fin = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_REMINDER;
    ev.repeat_in_jump = 1;
    CHECK(step(&rq, ev, T0 + 3 * DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.reminders_sent == 1);
    CHECK(count(&fx, EFFECT_REPLY) == 0);
    ev.timer = TIMER_APPROVAL_REMINDER;
    CHECK(step(&fin, ev, fin.confirmed_ms + 2 * DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_REPLY) == 0);
    CHECK(count(&fx, EFFECT_TIMER) == 1);            /* the chain still moves on */
    CHECK(find(&fx, EFFECT_TIMER, 0)->due_ms == fin.confirmed_ms + 3 * DAY);
}

static void test_case_id_required_and_not_on_drafts(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_CASE_FILED, "U0ALICE", "123"), T0, &fx, &why) == REQUEST_REFUSED);
    rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    CHECK(step(&rq, event(EV_CASE_FILED, "U0ALICE", ""), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK_STR(why.field, "case");
}

static struct request refused_private_offer(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_SUBMIT_REFUSED, "marketplace", "Private offer.");
    struct effect_list fx;
    struct refusal why;
    strcpy(ev.status_raw, "NOT_ELIGIBLE");
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    step(&rq, ev, T0, &fx, &why);
    return rq;
}

static void test_support_case_is_filed_once_and_followed(void)
{
    struct request rq = refused_private_offer();
    struct request_event opened = event(EV_CASE_OPENED, "marketplace", "case-1-abc");
    struct request_event st = event(EV_CASE_STATUS, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_CASE_FILE, "U0BOB", ""), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(step(&rq, event(EV_CASE_FILE, "U0ALICE", ""), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_SUPPORT_CREATE) == 1);
    CHECK(step(&rq, event(EV_CASE_FILE, "U0ALICE", ""), T0, &fx, &why) == REQUEST_REFUSED);
    CHECK(step(&rq, opened, T0 + 5, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUPPORT_CASE);
    CHECK_STR(rq.case_id, "case-1-abc");
    CHECK(find(&fx, EFFECT_SUPPORT_POLL, 0)->due_ms == T0 + 5 + HOUR);
    CHECK(step(&rq, opened, T0, &fx, &why) == REQUEST_IGNORED);   /* replayed answer */
    strcpy(st.status_raw, "Pending");
    CHECK(step(&rq, st, T0, &fx, &why) == REQUEST_QUIET);
    strcpy(st.status_raw, "Action Required");
    CHECK(step(&rq, st, T0, &fx, &why) == REQUEST_APPLIED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "waiting for an answer");
    CHECK(step(&rq, event(EV_WITHDRAW, "U0ALICE", "stop"), T0, &fx, &why) == REQUEST_REFUSED);
    strcpy(st.status_raw, "Completed");
    CHECK(step(&rq, st, T0 + 9, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED && rq.closed_ms == T0 + 9);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 1)->text, "not a refund");
}

static void test_without_a_support_plan_the_form_goes_to_the_requester(void)
{
    struct request rq = refused_private_offer();
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_CASE_FILE, "U0ALICE", ""), T0, &fx, &why);
    CHECK(step(&rq, event(EV_CASE_NO_PLAN, "marketplace", "Subject: the form"), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_FAILED && !rq.case_filing);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "Subject: the form");
    CHECK(step(&rq, event(EV_CASE_FILED, "U0ALICE", "171234"), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUPPORT_CASE);
    CHECK(step(&rq, event(EV_CASE_STATUS, "U0BOB", "Completed"), T0, &fx, &why) ==
          REQUEST_REFUSED);
}

static void test_suspension_completes_when_partner_center_answers(void)
{
    struct request rq = awaiting(MARKET_AZURE, REQUEST_SUSPEND);
    struct request_event ev = event(EV_SUBMIT_ACCEPTED, "marketplace", NULL);
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    CHECK(rq.state == REQUEST_SUBMITTING);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 1)->text, "the suspension");
    strcpy(ev.ref, "cust/sub");
    CHECK(step(&rq, ev, T0 + 3, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED && rq.closed_ms == T0 + 3);
    CHECK(count(&fx, EFFECT_PROVIDER_POLL) == 0);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "suspended subscription");
}

static struct request several_entitlements(void)
{
    struct request d = fixture_draft(MARKET_AZURE, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    const char *ids[3] = {"ent-1", "ent-2", "ent-3"};
    for (int i = 0; i < 3; i++)
        strcpy(d.items[i].id, ids[i]);
    d.n_items = 3;
    ev.draft = &d;
    request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why);
    step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0, &fx, &why);
    return rq;
}

static struct request_event item_event(enum request_event_kind kind, int item,
                                       enum market_status st)
{
    struct request_event ev = event(kind, "marketplace", "Not allowed.");
    ev.item = item;
    ev.status = st;
    strcpy(ev.ref, "corr");
    strcpy(ev.status_raw, st == MSTATUS_APPROVED ? "inactive" : "active");
    return ev;
}

static void test_several_entitlements_get_one_approval_and_one_call_each(void)
{
    struct request rq = several_entitlements();
    struct effect_list fx;
    struct refusal why;
    CHECK(step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_PROVIDER_SUBMIT) == 3);
    CHECK(find(&fx, EFFECT_PROVIDER_SUBMIT, 0)->item == 1);
    CHECK(find(&fx, EFFECT_PROVIDER_SUBMIT, 2)->item == 3);
    CHECK(step(&rq, item_event(EV_SUBMIT_ACCEPTED, 1, MSTATUS_PENDING), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTING);              /* two still unanswered */
    CHECK(find(&fx, EFFECT_PROVIDER_POLL, 0)->item == 1);
    CHECK(step(&rq, item_event(EV_SUBMIT_ACCEPTED, 1, MSTATUS_PENDING), T0, &fx, &why) ==
          REQUEST_IGNORED);                             /* a replayed answer */
    CHECK(step(&rq, item_event(EV_SUBMIT_REFUSED, 2, MSTATUS_PENDING), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 0)->text, "refused the cancellation of entitlement ent-2");
    CHECK(step(&rq, item_event(EV_SUBMIT_ACCEPTED, 3, MSTATUS_PENDING), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTED);
    CHECK(step(&rq, item_event(EV_STATUS, 1, MSTATUS_PENDING), T0, &fx, &why) == REQUEST_QUIET);
    CHECK(step(&rq, item_event(EV_STATUS, 1, MSTATUS_APPROVED), T0, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_SUBMITTED);               /* ent-3 is still active */
    CHECK(step(&rq, item_event(EV_STATUS, 3, MSTATUS_APPROVED), T0 + 9, &fx, &why) ==
          REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_COMPLETED && rq.closed_ms == T0 + 9);
    CHECK(rq.items[0].phase == ITEM_DONE && rq.items[1].phase == ITEM_FAILED &&
          rq.items[2].phase == ITEM_DONE);
    CHECK_CONTAINS(find(&fx, EFFECT_REPLY, 1)->text, "2 of 3 entitlements");
}

static void test_several_entitlements_all_refused_fail_the_request(void)
{
    struct request rq = several_entitlements();
    struct effect_list fx;
    struct refusal why;
    step(&rq, event(EV_APPROVE, "U0FIN1", NULL), T0, &fx, &why);
    for (int i = 1; i <= 3; i++)
        step(&rq, item_event(EV_SUBMIT_REFUSED, i, MSTATUS_PENDING), T0, &fx, &why);
    CHECK(rq.state == REQUEST_FAILED);
}

static void test_refusal_leaves_output_equal_to_input(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL), out;
    struct request_event ev = event(EV_APPROVE, "U0BOB", NULL);
    struct effect_list fx;
    struct refusal why;
    memset(&out, 0x5a, sizeof(out));
    CHECK(request_transition(&rq, &ev, &pol, T0, &out, &fx, &why) == REQUEST_REFUSED);
    CHECK(memcmp(&out, &rq, sizeof(rq)) == 0);
    CHECK(fx.len == 0);
}

static void test_card_shows_buttons_only_while_finance_decides(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct card c;
    card_render(&rq, &c);
    CHECK(c.buttons == CARD_BUTTONS_APPROVE_REJECT);
    CHECK_CONTAINS(c.title, "CR-1");
    CHECK_CONTAINS(c.status, "0 of 1");
    rq = submitted(MARKET_AWS, REQUEST_CANCEL);
    card_render(&rq, &c);
    CHECK(c.buttons == CARD_BUTTONS_NONE);
    CHECK_CONTAINS(c.status, "waiting for the buyer");
    rq = created(MARKET_AWS, REQUEST_CANCEL);
    card_render_confirm(&rq, &c);
    CHECK(c.buttons == CARD_BUTTONS_CONFIRM_DISCARD);
}

static const char *field_value(const struct card *c, const char *label)
{
    for (int i = 0; i < c->n_fields; i++)
        if (strcmp(c->fields[i].label, label) == 0)
            return c->fields[i].value;
    return NULL;
}

/* The fullest card: every optional field, eight entitlements, four approvals, a
 * decision: nothing is dropped, "Approved by" included. */
static void test_card_keeps_every_field_of_the_fullest_request(void)
{
    struct request rq = awaiting(MARKET_AZURE, REQUEST_CANCEL);
    struct card c;
    char label[48];
    snprintf(rq.agreement.subscription_id, sizeof(rq.agreement.subscription_id), "sub-1");
    snprintf(rq.agreement.offer_id, sizeof(rq.agreement.offer_id), "offer-1");
    snprintf(rq.agreement.start_date, sizeof(rq.agreement.start_date), "2025-01-01");
    snprintf(rq.case_id, sizeof(rq.case_id), "12345");
    snprintf(rq.case_status, sizeof(rq.case_status), "Pending");
    snprintf(rq.buyer_ref, sizeof(rq.buyer_ref), "ZD-1");
    snprintf(rq.next_step, sizeof(rq.next_step), "new offer");
    snprintf(rq.provider_ref, sizeof(rq.provider_ref), "ref-1");
    snprintf(rq.provider_status, sizeof(rq.provider_status), "Pending");
    snprintf(rq.decided_by, sizeof(rq.decided_by), "U0FIN2");
    snprintf(rq.decision_note, sizeof(rq.decision_note), "why");
    rq.n_items = REQUEST_MAX_ITEMS;
    for (int i = 0; i < rq.n_items; i++) {
        snprintf(rq.items[i].id, sizeof(rq.items[i].id), "ent-%d", i + 1);
        snprintf(rq.items[i].product, sizeof(rq.items[i].product), "Pack %d", i + 1);
        rq.items[i].value_cents = 700000;
        snprintf(rq.items[i].currency, sizeof(rq.items[i].currency), "USD");
    }
    rq.n_approvals = REQUEST_MAX_APPROVALS;
    for (int i = 0; i < rq.n_approvals; i++)
        snprintf(rq.approvals[i].user, sizeof(rq.approvals[i].user), "U0FIN%d", i + 1);
    card_render(&rq, &c);
    CHECK(c.n_fields < CARD_MAX_FIELDS);
    for (int i = 0; i < rq.n_items; i++) {
        snprintf(label, sizeof(label), "Entitlement %d of %d", i + 1, rq.n_items);
        CHECK(field_value(&c, label) != NULL);
    }
    CHECK_STR(field_value(&c, "Total value"), "56,000.00 USD");
    CHECK(field_value(&c, "Product") == NULL);     /* the first entitlement's alone */
    CHECK_CONTAINS(field_value(&c, "Approved by"), "<@U0FIN4>");
    CHECK(field_value(&c, "Decision") != NULL);
}

/* A card tells the truth at every state: the look-up's agreement status only until
 * the marketplace has it; a self-serve refusal only while it is the state, and not
 * once the support case that took it over is resolved. */
static void test_card_drops_what_is_no_longer_true(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL);
    struct card c;
    snprintf(rq.agreement.status, sizeof(rq.agreement.status), "ACTIVE");
    card_render(&rq, &c);
    CHECK_STR(field_value(&c, "Agreement status"), "ACTIVE");
    rq.state = REQUEST_COMPLETED;
    snprintf(rq.provider_status, sizeof(rq.provider_status), "APPROVED");
    card_render(&rq, &c);
    CHECK(field_value(&c, "Agreement status") == NULL);
    CHECK_STR(field_value(&c, "Marketplace status"), "APPROVED");
    rq.state = REQUEST_FAILED;
    snprintf(rq.provider_status, sizeof(rq.provider_status), "NOT_ELIGIBLE");
    snprintf(rq.failure, sizeof(rq.failure), "not eligible for self-serve");
    card_render(&rq, &c);
    CHECK_STR(field_value(&c, "Failure"), "not eligible for self-serve");
    rq.state = REQUEST_SUPPORT_CASE;
    snprintf(rq.case_id, sizeof(rq.case_id), "12345");
    snprintf(rq.case_status, sizeof(rq.case_status), "Pending");
    card_render(&rq, &c);
    CHECK(field_value(&c, "Failure") == NULL);
    CHECK(field_value(&c, "Self-serve refused") != NULL);
    CHECK(field_value(&c, "Marketplace status") == NULL);
    rq.state = REQUEST_COMPLETED;
    card_render(&rq, &c);
    CHECK(field_value(&c, "Failure") == NULL);
    CHECK(field_value(&c, "Self-serve refused") == NULL);
    CHECK(field_value(&c, "Marketplace status") == NULL);
}

static void test_format_money_and_time(void)
{
    char buf[64];
    format_money(buf, sizeof(buf), 5000000, "USD");
    CHECK_STR(buf, "50,000.00 USD");
    format_money(buf, sizeof(buf), 5, "EUR");
    CHECK_STR(buf, "0.05 EUR");
    format_money(buf, sizeof(buf), 123456789012, "USD");
    CHECK_STR(buf, "1,234,567,890.12 USD");
    format_time(buf, sizeof(buf), T0);
    CHECK_STR(buf, "2025-11-25 10:00 UTC");
    format_time_iso(buf, sizeof(buf), 951782400000LL);       /* leap day 2000 */
    CHECK_STR(buf, "2000-02-29T00:00:00Z");
    CHECK(format_parse_date("2000-02-29") == 951782400000LL);
    CHECK(format_parse_date("2025-02-29") == -1);
    CHECK(format_parse_date("2025-13-01") == -1);
    CHECK(format_parse_date("2025-1-01") == -1);
    CHECK(format_parse_date("1970-01-01") == 0);
}

static void test_create_starts_the_draft_expiry_timer(void)
{
    struct request d = fixture_draft(MARKET_AWS, REQUEST_CANCEL), rq;
    struct request_event ev = event(EV_CREATE, "U0ALICE", NULL);
    struct effect_list fx;
    struct refusal why;
    struct policy never = pol;
    ev.draft = &d;
    CHECK(request_transition(NULL, &ev, &pol, T0, &rq, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_TIMER) == 1);
    CHECK(find(&fx, EFFECT_TIMER, 0)->timer == TIMER_DRAFT_EXPIRY);
    CHECK(find(&fx, EFFECT_TIMER, 0)->due_ms == T0 + pol.draft_expiry_ms);
    never.draft_expiry_ms = 0;
    CHECK(request_transition(NULL, &ev, &never, T0, &rq, &fx, &why) == REQUEST_APPLIED);
    CHECK(count(&fx, EFFECT_TIMER) == 0);
}

static void test_draft_expiry_discards_an_unconfirmed_draft_and_tells_the_requester(void)
{
    struct request rq = created(MARKET_AWS, REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_DRAFT_EXPIRY;
    CHECK(step(&rq, ev, T0 + DAY, &fx, &why) == REQUEST_APPLIED);
    CHECK(rq.state == REQUEST_DISCARDED);
    CHECK(rq.closed_ms == T0 + DAY);
    CHECK_CONTAINS(rq.decision_note, "Not confirmed within 24 hours");
    CHECK(fx.len == 1 && count(&fx, EFFECT_DIRECT_MESSAGE) == 1);
    CHECK_STR(find(&fx, EFFECT_DIRECT_MESSAGE, 0)->user, "U0ALICE");
    CHECK_CONTAINS(find(&fx, EFFECT_DIRECT_MESSAGE, 0)->text,
                   "CR-1 was not confirmed within 24 hours, so I discarded it.");
    CHECK(step(&rq, event(EV_CONFIRM, "U0ALICE", NULL), T0 + DAY, &fx, &why) == REQUEST_REFUSED);
    CHECK_CONTAINS(why.text, "already discarded");
}

static void test_draft_expiry_after_confirm_or_discard_is_ignored(void)
{
    struct request rq = awaiting(MARKET_AWS, REQUEST_CANCEL), dropped = created(MARKET_AWS,
                                                                               REQUEST_CANCEL);
    struct request_event ev = event(EV_TIMER, "timer", NULL);
    struct effect_list fx;
    struct refusal why;
    ev.timer = TIMER_DRAFT_EXPIRY;
    CHECK(step(&rq, ev, T0 + DAY, &fx, &why) == REQUEST_IGNORED);
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
    step(&dropped, event(EV_DISCARD, "U0ALICE", NULL), T0 + 1000, &fx, &why);
    CHECK(step(&dropped, ev, T0 + DAY, &fx, &why) == REQUEST_IGNORED);
    CHECK(dropped.closed_ms == T0 + 1000);
}

int main(void)
{
    policy_init_default(&pol);
    RUN(test_create_makes_a_draft_and_asks_the_requester_to_verify);
    RUN(test_create_starts_the_draft_expiry_timer);
    RUN(test_draft_expiry_discards_an_unconfirmed_draft_and_tells_the_requester);
    RUN(test_draft_expiry_after_confirm_or_discard_is_ignored);
    RUN(test_create_refused_for_an_inactive_agreement);
    RUN(test_create_refused_for_a_user_not_allowed_to_request);
    RUN(test_create_refused_outside_the_request_channels);
    RUN(test_refund_above_the_agreement_value_is_refused);
    RUN(test_confirm_posts_the_card_and_starts_the_expiry_timer);
    RUN(test_only_the_requester_confirms);
    RUN(test_confirm_twice_is_refused);
    RUN(test_discard_closes_the_draft_and_sends_nothing);
    RUN(test_discard_by_someone_else_is_refused);
    RUN(test_discard_after_confirm_is_refused);
    RUN(test_requester_cannot_approve_own_request);
    RUN(test_non_approver_cannot_approve);
    RUN(test_user_group_member_may_approve);
    RUN(test_approval_of_a_draft_waits_for_the_requester);
    RUN(test_one_approval_submits);
    RUN(test_two_approvals_needed_above_the_threshold);
    RUN(test_value_at_the_threshold_needs_one_approval);
    RUN(test_threshold_in_another_currency_does_not_apply);
    RUN(test_unapprove_takes_back_an_approval);
    RUN(test_unapprove_after_submission_is_refused);
    RUN(test_reject_needs_a_reason);
    RUN(test_requester_cannot_reject_and_non_approver_cannot_reject);
    RUN(test_stale_click_after_decision_names_the_state);
    RUN(test_withdraw_while_awaiting_approval);
    RUN(test_withdraw_while_submitting_is_refused);
    RUN(test_submission_accepted_posts_link_deadline_and_timers);
    RUN(test_replayed_submission_answer_is_ignored);
    RUN(test_submission_refused_fails_the_request);
    RUN(test_not_eligible_offers_the_support_case_route);
    RUN(test_buyer_approval_completes_with_refund_followup);
    RUN(test_auto_approval_after_seven_days_says_so);
    RUN(test_buyer_rejection);
    RUN(test_pending_status_polls_again_with_backoff_and_no_audit_row);
    RUN(test_status_outside_submitted_is_ignored);
    RUN(test_withdraw_after_submission_calls_the_marketplace);
    RUN(test_withdraw_refused_by_marketplace_polls_for_the_answer);
    RUN(test_azure_cancellation_cannot_be_withdrawn_and_completes_when_inactive);
    RUN(test_refund_flow_keeps_the_agreement);
    RUN(test_reminder_while_buyer_silent_and_ignored_after);
    RUN(test_buyer_deadline_reads_the_marketplace);
    RUN(test_expiry_when_finance_never_answers);
    RUN(test_expiry_timer_after_approval_is_ignored);
    RUN(test_approval_reminder_nudges_finance_and_reschedules_before_expiry);
    RUN(test_reminder_repeated_in_a_clock_jump_is_recorded_not_posted);
    RUN(test_case_id_required_and_not_on_drafts);
    RUN(test_support_case_is_filed_once_and_followed);
    RUN(test_without_a_support_plan_the_form_goes_to_the_requester);
    RUN(test_suspension_completes_when_partner_center_answers);
    RUN(test_several_entitlements_get_one_approval_and_one_call_each);
    RUN(test_several_entitlements_all_refused_fail_the_request);
    RUN(test_refusal_leaves_output_equal_to_input);
    RUN(test_card_shows_buttons_only_while_finance_decides);
    RUN(test_card_keeps_every_field_of_the_fullest_request);
    RUN(test_card_drops_what_is_no_longer_true);
    RUN(test_format_money_and_time);
    return check_summary();
}
