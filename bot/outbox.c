/* bot/outbox.c -- runs the effects that transitions left in the outbox. An effect is
 * claimed (leased), performed, and marked done only after it worked; a crash anywhere
 * in between leaves it pending, so it runs again on restart. Hence every kind must be
 * idempotent: the card is posted only while no card id is stored, marketplace
 * submissions carry a client token derived from the request id, polls are reads.
 * Effects of one request run one at a time, in order, so a thread reply never
 * overtakes the card it belongs to: the store's claim sees to that, across processes.
 * A claim is a lease in this process's name; bot_maintain renews it while the effect
 * runs, so a slow marketplace call is never started a second time elsewhere. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/outbox_int.h"
#include "bot/service.h"
#include "providers/backoff.h"
#include "bot/log.h"
#include "approvals/card.h"
#include "approvals/format.h"

#define CLAIM_BATCH 32
#define RETRY_BASE_MS 1000
#define RETRY_CAP_MS (15 * 60 * 1000)

/* A done mark the store refused, kept until it sticks (a full disk). Its lease stays
 * ours meanwhile, so no other process runs the effect again either. */
struct outbox_unrecorded {
    int64_t effect_id;
    char request_id[REQUEST_ID_MAX];
    enum effect_kind kind;
    char ts[MSG_TS_MAX];            /* a message id not stored yet, or "" */
    char result[64];
    struct outbox_unrecorded *next;
};

static int64_t retry_delay(struct bot *b, int attempts)
{
    return backoff_jittered_ms(&b->rng, attempts, RETRY_BASE_MS, RETRY_CAP_MS);
}

/* CANCELBOT_FAULT_KILL_AT_POINT (the fault suite): dies at the chosen point. */
static void fault_point(struct bot *b, const char *what, const char *request_id)
{
    if (b->fault_at_point <= 0 || ++b->fault_points != b->fault_at_point)
        return;
    log_warn("fault injection: killing the process at point %ld (%s, %s)",
             b->fault_points, what, request_id);
    fflush(NULL);
    raise(SIGKILL);
}

static void run_free(struct effect_run *run)
{
    free(run->text);
    free(run);
}

/* What the store must keep of a delivered message: the card's id (updates and
 * reactions find the card by it), a reply's (a reaction on it counts as on the card). */
static int record_message(struct bot *b, enum effect_kind kind, const char *request_id,
                          const char *ts)
{
    if (!ts || !ts[0])
        return STORE_OK;
    if (kind == EFFECT_POST_CARD)
        return store_set_card_ts(b->store, request_id, ts);
    if (kind == EFFECT_REPLY)
        return store_note_message(b->store, ts, request_id, bot_now_ms(b));
    return STORE_OK;
}

static int record_done(struct bot *b, const struct outbox_unrecorded *u)
{
    int rc = record_message(b, u->kind, u->request_id, u->ts);
    if (rc == STORE_OK && u->effect_id)
        rc = store_effect_done(b->store, u->effect_id, u->result);
    return rc;
}

void outbox_run_finish(struct effect_run *run, const char *result, const char *ts)
{
    struct bot *b = run->bot;
    struct outbox_unrecorded u = {.effect_id = run->effect_id, .kind = run->kind};
    request_copy_str(u.request_id, sizeof(u.request_id), run->request_id);
    request_copy_str(u.ts, sizeof(u.ts), ts ? ts : "");
    request_copy_str(u.result, sizeof(u.result), result ? result : "");
    struct log_ctx lc = {run->request_id, NULL, NULL, NULL, NULL};
    fault_point(b, "an effect worked, not marked done yet", run->request_id);
    if (record_done(b, &u) == STORE_OK) {
        if (run->effect_id)
            log_debug_ctx(&lc, "%s: effect %lld %s done", run->request_id,
                          (long long)run->effect_id, effect_kind_name(run->kind));
    } else {
        struct outbox_unrecorded *keep = malloc(sizeof(*keep));
        if (!keep)
            abort();
        log_error_ctx(&lc, "%s: effect %lld (%s) worked but could not be recorded: %s; "
                      "retrying the record, not the effect", run->request_id,
                      (long long)run->effect_id, effect_kind_name(run->kind),
                      store_last_error(b->store));
        *keep = u;
        keep->next = b->unrecorded;
        b->unrecorded = keep;
    }
    run_free(run);
}

void outbox_record_unrecorded(struct bot *b)
{
    struct outbox_unrecorded **p = &b->unrecorded;
    while (*p) {
        struct outbox_unrecorded *u = *p;
        if (record_done(b, u) != STORE_OK)
            return;         /* the store still refuses: try again on the next pass */
        log_info("%s: effect %lld (%s) recorded as done", u->request_id,
                 (long long)u->effect_id, effect_kind_name(u->kind));
        *p = u->next;
        free(u);
    }
}

int outbox_is_unrecorded(const struct bot *b, int64_t effect_id)
{
    for (const struct outbox_unrecorded *u = b->unrecorded; u; u = u->next)
        if (effect_id && u->effect_id == effect_id)
            return 1;
    return 0;
}

void outbox_forget_unrecorded(struct bot *b)
{
    while (b->unrecorded) {
        struct outbox_unrecorded *u = b->unrecorded;
        log_error("%s: effect %lld (%s) worked but is still not recorded; the next run "
                  "checks before it repeats a message", u->request_id,
                  (long long)u->effect_id, effect_kind_name(u->kind));
        b->unrecorded = u->next;
        free(u);
    }
}

int64_t outbox_run_retry_with(struct effect_run *run, const char *error, int quiet,
                              const struct log_ctx *ctx)
{
    struct bot *b = run->bot;
    int64_t delay = retry_delay(b, run->attempts), due = bot_now_ms(b) + delay;
    struct log_ctx own = {run->request_id, NULL, NULL, NULL, NULL};
    int rc;
    if (quiet)
        log_debug_ctx(ctx ? ctx : &own, "%s: %s failed (attempt %d): %s; retrying",
                      run->request_id, effect_kind_name(run->kind), run->attempts, error);
    else
        log_warn_ctx(ctx ? ctx : &own, "%s: %s failed (attempt %d): %s; retrying",
                     run->request_id, effect_kind_name(run->kind), run->attempts, error);
    rc = run->effect_id ? store_effect_retry(b->store, run->effect_id, due, error) : STORE_OK;
    if (rc == STORE_E_NOT_FOUND)        /* our lease ran out and another process took it */
        log_warn("%s: effect %lld is now another process's: %s", run->request_id,
                 (long long)run->effect_id, store_last_error(b->store));
    else if (rc != STORE_OK)
        log_error("%s: could not reschedule effect: %s", run->request_id,
                  store_last_error(b->store));
    run_free(run);
    return delay;
}

void outbox_run_retry(struct effect_run *run, const char *error)
{
    outbox_run_retry_with(run, error, 0, NULL);
}

/* Stopping, and the call did not get through: nothing is recorded, the lease goes back
 * at bot_close and the next process runs the effect again (bot_begin_stop); a message
 * that may have got through is looked for first then (its lease keeps our name). */
int outbox_abandon_for_stop(struct effect_run *run)
{
    if (!run->bot->stopping)
        return 0;
    log_info("%s: %s cut short by the stop; left for the next start", run->request_id,
             effect_kind_name(run->kind));
    run_free(run);
    return 1;
}

static int provider_transient(enum provider_rc rc)
{
    return rc == PROVIDER_E_THROTTLED || rc == PROVIDER_E_UNAVAILABLE || rc == PROVIDER_E_TIMEOUT;
}

/* 0 when the record has the event (or the core had nothing to store), -1 when the
 * record could not take it (the database failed: a full disk, a lost connection). */
static int apply_market_event(struct effect_run *run, struct request_event *ev)
{
    struct request *rq = malloc(sizeof(*rq));
    int rc = -1;
    if (!rq)
        abort();
    if (store_load_request(run->bot->store, run->request_id, rq) == STORE_OK)
        rc = bot_apply(run->bot, rq, ev, NULL, NULL) < 0 ? -1 : 0;
    free(rq);
    return rc;
}

static void on_provider_answer(void *ud, const struct provider_result *res)
{
    struct effect_run *run = ud;
    struct request_event *ev = calloc(1, sizeof(*ev));
    const char *why = res->message[0] ? res->message : provider_rc_text(res->rc);
    struct log_ctx lc = bot_answer_log_ctx(run->request_id, res);
    if (!ev)
        abort();
    if (run->bot->fault_after_armed && run->bot->fault_after_kind == run->kind) {
        log_warn("fault injection: killing the process after %s of %s answered",
                 effect_kind_name(run->kind), run->request_id);
        fflush(NULL);
        raise(SIGKILL);
    }
    bot_count_provider_call(run->bot, run->market, effect_kind_name(run->kind), res->rc);
    if (provider_transient(res->rc) && outbox_abandon_for_stop(run)) {
        free(ev);
        return;
    }
    if (res->rc != PROVIDER_OK && (provider_transient(res->rc) || run->kind == EFFECT_PROVIDER_POLL)) {
        /* A poll that fails is retried whatever the cause: the request must not be left
         * without anyone watching it. The marketplace's own trouble (not this
         * request's) is the status poller's, logged rate-limited there. */
        struct bot *b = run->bot;
        enum request_market market = run->market;
        int poller = run->kind == EFFECT_PROVIDER_POLL && bot_status_poll_trouble(res->rc);
        int64_t delay = -1;
        if (run->effect_id)
            delay = outbox_run_retry_with(run, why, poller, &lc);
        else
            outbox_run_finish(run, NULL, NULL);
        if (poller)
            bot_report_status_poll(b, market, res, delay);
        free(ev);
        return;
    }
    if (run->kind == EFFECT_PROVIDER_POLL)
        bot_report_status_poll(run->bot, run->market, res, -1);   /* answered: recovered */
    if (res->rc != PROVIDER_OK)
        log_warn_ctx(&lc, "%s: %s refused by the marketplace: %s", run->request_id,
                     effect_kind_name(run->kind), why);
    request_copy_str(ev->actor, sizeof(ev->actor), "marketplace");
    request_copy_str(ev->via, sizeof(ev->via), "provider");
    request_copy_str(ev->status_raw, sizeof(ev->status_raw), res->status_raw);
    ev->item = run->item;
    switch (run->kind) {
    case EFFECT_PROVIDER_SUBMIT:
        /* Accepted, then failed validation at once (AWS VALIDATION_FAILED): a refusal. */
        ev->kind = res->rc == PROVIDER_OK && res->status != MSTATUS_FAILED ? EV_SUBMIT_ACCEPTED
                                                                           : EV_SUBMIT_REFUSED;
        request_copy_str(ev->ref, sizeof(ev->ref), res->ref);
        if (res->rc == PROVIDER_E_NOT_ELIGIBLE)
            request_copy_str(ev->status_raw, sizeof(ev->status_raw), "NOT_ELIGIBLE");
        if (res->rc != PROVIDER_OK)
            request_copy_str(ev->text, sizeof(ev->text), why);
        else if (res->status == MSTATUS_FAILED)
            snprintf(ev->text, sizeof(ev->text), "The marketplace reports the request as %s.%s%s",
                     res->status_raw[0] ? res->status_raw : "failed",
                     res->message[0] ? " " : "", res->message);
        break;
    case EFFECT_PROVIDER_WITHDRAW:
        ev->kind = res->rc == PROVIDER_OK ? EV_WITHDRAW_ACCEPTED : EV_WITHDRAW_REFUSED;
        if (res->rc != PROVIDER_OK)
            request_copy_str(ev->text, sizeof(ev->text), why);
        break;
    default:
        ev->kind = EV_STATUS;
        ev->status = res->status;
        break;
    }
    /* An ad-hoc read that finds nothing new must not start a second polling chain. */
    if (!(run->effect_id == 0 && ev->kind == EV_STATUS && ev->status == MSTATUS_PENDING) &&
        apply_market_event(run, ev) != 0 && run->effect_id) {
        /* The answer is not in the record: marked done, the effect would leave the
         * request in "submitting" for good. Ask again later; every provider call is
         * idempotent (client token, MS-RequestId; polls are reads). */
        free(ev);
        outbox_run_retry(run, "the marketplace's answer could not be stored");
        return;
    }
    free(ev);
    outbox_run_finish(run, res->rc == PROVIDER_OK ? "ok" : why, NULL);
}

/* ---- the support-case route ---- */

static void case_input_from(const struct request *rq, int64_t now_ms,
                            struct aws_support_case_input *in)
{
    char today[40];
    memset(in, 0, sizeof(*in));
    request_copy_str(in->account, sizeof(in->account), rq->account);
    request_copy_str(in->agreement_id, sizeof(in->agreement_id), rq->agreement.id);
    request_copy_str(in->subscriber_account, sizeof(in->subscriber_account),
                     rq->agreement.buyer_account);
    /* The AWS provider shows the product as "prod-x (SaaSProduct)"; the form wants the
     * id alone, and a name without an id is left for AWS to look up by agreement. */
    if (strncmp(rq->agreement.product, "prod-", 5) == 0)
        snprintf(in->product_id, sizeof(in->product_id), "%.*s",
                 (int)strcspn(rq->agreement.product, " "), rq->agreement.product);
    else
        request_copy_str(in->product_id, sizeof(in->product_id), "unknown");
    request_copy_str(in->offer_id, sizeof(in->offer_id), rq->agreement.offer_id);
    snprintf(in->billing_period, sizeof(in->billing_period), "%s to %s",
             rq->agreement.start_date[0] ? rq->agreement.start_date : "?",
             rq->agreement.end_date[0] ? rq->agreement.end_date : "?");
    request_copy_str(in->invoice_id, sizeof(in->invoice_id), rq->invoice_id);
    format_time_iso(today, sizeof(today), now_ms);
    snprintf(in->effective_date, sizeof(in->effective_date), "%.10s", today);
    /* The reason code, then as much of the note as fits (the form's field is finite). */
    request_copy_str(in->reason, sizeof(in->reason), rq->reason_code);
    if (strlen(in->reason) + 2 < sizeof(in->reason)) {
        strcat(in->reason, ": ");
        request_copy_str(in->reason + strlen(in->reason), sizeof(in->reason) - strlen(in->reason),
                         rq->note);
    }
    request_copy_str(in->case_id, sizeof(in->case_id), rq->case_id);
    request_copy_str(in->buyer_ref, sizeof(in->buyer_ref), rq->buyer_ref);
    request_copy_str(in->next_step, sizeof(in->next_step), rq->next_step);
    request_copy_str(in->requester, sizeof(in->requester), rq->requester);
    request_copy_str(in->request_id, sizeof(in->request_id), rq->id);
}

static void apply_case_event(struct effect_run *run, enum request_event_kind kind,
                             const char *text, const char *status_raw)
{
    struct request_event *ev = calloc(1, sizeof(*ev));
    if (!ev)
        abort();
    ev->kind = kind;
    request_copy_str(ev->actor, sizeof(ev->actor), "marketplace");
    request_copy_str(ev->via, sizeof(ev->via), "support");
    request_copy_str(ev->text, sizeof(ev->text), text);
    request_copy_str(ev->status_raw, sizeof(ev->status_raw), status_raw);
    apply_market_event(run, ev);
    free(ev);
}

/* Without the Support API (no plan, or the simulated marketplace): the form text. */
static void case_form_instead(struct effect_run *run, const struct request *rq)
{
    struct aws_support_case_input *in = malloc(sizeof(*in));
    char *form = malloc(AWS_SUPPORT_BODY_MAX), why[300];
    if (!in || !form)
        abort();
    case_input_from(rq, bot_now_ms(run->bot), in);
    if (aws_support_input_check(in, why, sizeof(why)) != 0 ||
        aws_support_form_text(in, form, AWS_SUPPORT_BODY_MAX) != 0)
        snprintf(form, AWS_SUPPORT_BODY_MAX, "(the form could not be filled in: %s)", why);
    apply_case_event(run, EV_CASE_NO_PLAN, form, "");
    free(in);
    free(form);
}

static void on_case_created(void *ud, const struct aws_support_result *r)
{
    struct effect_run *run = ud;
    struct request *rq = malloc(sizeof(*rq));
    if (!rq)
        abort();
    if (r->rc == AWS_SUPPORT_OK)
        apply_case_event(run, EV_CASE_OPENED, r->case_id, "");
    else if (r->rc == AWS_SUPPORT_E_NO_PLAN &&
             store_load_request(run->bot->store, run->request_id, rq) == STORE_OK)
        case_form_instead(run, rq);
    else
        apply_case_event(run, EV_CASE_FILE_FAILED,
                         r->message[0] ? r->message : aws_support_rc_text(r->rc), "");
    free(rq);
    outbox_run_finish(run, r->rc == AWS_SUPPORT_OK ? "ok" : aws_support_rc_text(r->rc), NULL);
}

static void on_case_described(void *ud, const struct aws_support_result *r)
{
    struct effect_run *run = ud;
    if (r->rc == AWS_SUPPORT_E_THROTTLED || r->rc == AWS_SUPPORT_E_UNAVAILABLE) {
        outbox_run_retry(run, aws_support_rc_text(r->rc));
        return;
    }
    if (r->rc == AWS_SUPPORT_OK)
        apply_case_event(run, EV_CASE_STATUS, "", aws_support_status_name(r->status));
    else   /* not visible to the API (filed in the portal), no plan, no permission */
        log_warn("%s: cannot follow the support case (%s); close it by hand with "
                 "/cancel case %s resolved", run->request_id, aws_support_rc_text(r->rc),
                 run->request_id);
    outbox_run_finish(run, r->rc == AWS_SUPPORT_OK ? "ok" : aws_support_rc_text(r->rc), NULL);
}

/* item: 1-based request item (one of several entitlements), 0 for the whole. */
static void provider_ref_from(const struct request *rq, int item, struct provider_ref *ref)
{
    memset(ref, 0, sizeof(*ref));
    ref->kind = rq->kind;
    ref->target.market = rq->market;
    request_copy_str(ref->target.account, sizeof(ref->target.account), rq->account);
    if (rq->market == MARKET_AZURE) {
        request_copy_str(ref->target.customer_id, sizeof(ref->target.customer_id),
                         rq->agreement.buyer_account);
        request_copy_str(ref->target.subscription_id, sizeof(ref->target.subscription_id),
                         rq->agreement.subscription_id);
        request_copy_str(ref->target.entitlement_id, sizeof(ref->target.entitlement_id),
                         rq->agreement.id);
    } else {
        request_copy_str(ref->target.agreement_id, sizeof(ref->target.agreement_id),
                         rq->agreement.id);
    }
    request_copy_str(ref->ref, sizeof(ref->ref), rq->provider_ref);
    if (item > 0 && item <= rq->n_items) {
        request_copy_str(ref->target.entitlement_id, sizeof(ref->target.entitlement_id),
                         rq->items[item - 1].id);
        request_copy_str(ref->ref, sizeof(ref->ref), rq->items[item - 1].ref);
    }
}

static int start_submit(struct effect_run *run, const struct request *rq)
{
    struct provider_submission *s = calloc(1, sizeof(*s));
    struct provider_ref ref;
    int rc;
    if (!s)
        abort();
    provider_ref_from(rq, run->item, &ref);
    s->kind = rq->kind;
    s->target = ref.target;
    request_copy_str(s->reason_code, sizeof(s->reason_code), rq->reason_code);
    request_copy_str(s->description, sizeof(s->description), rq->note);
    /* Same request, same token: a re-run after a crash cannot create a second
     * cancellation request at the marketplace. */
    request_client_token(rq, run->item, s->client_token, sizeof(s->client_token));
    request_copy_str(s->invoice_id, sizeof(s->invoice_id), rq->invoice_id);
    s->amount_cents = rq->refund_cents;
    request_copy_str(s->currency, sizeof(s->currency), rq->refund_currency);
    if (rq->kind == REQUEST_SUSPEND)
        rc = provider_suspend(bot_provider(run->bot, rq->market), &s->target,
                              on_provider_answer, run);
    else
        rc = provider_submit(bot_provider(run->bot, rq->market), s, on_provider_answer, run);
    free(s);
    return rc;
}

/* Starts one effect; the run is finished by its callback, or here when it cannot start. */
static void start_effect(struct bot *b, const struct stored_effect *se)
{
    struct effect_run *run = calloc(1, sizeof(*run));
    struct request *rq = malloc(sizeof(*rq));
    struct card *card = malloc(sizeof(*card));
    struct provider_ref ref;
    struct request_event ev;
    struct log_ctx lc = {se->request_id, NULL, NULL, NULL, NULL};
    int rc = 0;
    if (!run || !rq || !card)
        abort();
    run->bot = b;
    run->effect_id = se->id;
    run->kind = se->fx.kind;
    run->attempts = se->attempts;
    run->item = se->fx.item;
    request_copy_str(run->request_id, sizeof(run->request_id), se->request_id);
    if (store_load_request(b->store, se->request_id, rq) != STORE_OK) {
        log_error("%s: effect %lld for a request that cannot be read: %s", se->request_id,
                  (long long)se->id, store_last_error(b->store));
        outbox_run_retry(run, "request unreadable");
        goto out;
    }
    /* with "done" (run_finish): which process ran which effect, and when (e2e_replicas
     * reads them to time a failover) */
    log_debug_ctx(&lc, "%s: effect %lld %s started", se->request_id, (long long)se->id,
                  effect_kind_name(se->fx.kind));
    fault_point(b, effect_kind_name(se->fx.kind), se->request_id);
    if (b->fault_armed && b->fault_kind == se->fx.kind) {
        log_warn("fault injection: killing the process before %s of %s",
                 effect_kind_name(se->fx.kind), se->request_id);
        fflush(NULL);   /* what the chat already showed stays shown */
        raise(SIGKILL);
    }
    run->market = rq->market;
    switch (se->fx.kind) {
    case EFFECT_POST_CARD:
        if (rq->card_ts[0]) {           /* posted before a crash: do not post twice */
            outbox_run_finish(run, "already posted", NULL);
            goto out;
        }
        rc = outbox_post_message(run, rq, se->uncertain || se->attempts > 1);
        break;
    case EFFECT_UPDATE_CARD:
        card_render(rq, card);
        rc = b->chat->ops->update_card(b->chat, rq->channel, rq->card_ts, card,
                                       outbox_on_chat_done, run);
        break;
    case EFFECT_REPLY:
        if (!(run->text = strdup(se->fx.text)))
            abort();
        /* attempts > 1: an earlier attempt may have timed out after Slack took it */
        rc = outbox_post_message(run, rq, se->uncertain || se->attempts > 1);
        break;
    case EFFECT_EPHEMERAL:
        rc = b->chat->ops->ephemeral(b->chat, rq->channel, se->fx.user, se->fx.text, NULL,
                                     outbox_on_chat_done, run);
        break;
    case EFFECT_DIRECT_MESSAGE:
        if (b->chat->ops->direct)
            rc = b->chat->ops->direct(b->chat, se->fx.user, se->fx.text, outbox_on_chat_done, run);
        else
            rc = b->chat->ops->ephemeral(b->chat, rq->channel, se->fx.user, se->fx.text, NULL,
                                         outbox_on_chat_done, run);
        break;
    case EFFECT_CONFIRM_PROMPT:
        card_render_confirm(rq, card);
        rc = b->chat->ops->ephemeral(b->chat, rq->channel, se->fx.user, se->fx.text, card,
                                     outbox_on_chat_done, run);
        break;
    case EFFECT_PROVIDER_SUBMIT:
        rc = start_submit(run, rq);
        break;
    case EFFECT_PROVIDER_WITHDRAW:
        provider_ref_from(rq, run->item, &ref);
        rc = provider_withdraw(bot_provider(b, rq->market), &ref, rq->decision_note,
                               on_provider_answer, run);
        break;
    case EFFECT_PROVIDER_POLL:
        provider_ref_from(rq, run->item, &ref);
        rc = provider_poll(bot_provider(b, rq->market), &ref, on_provider_answer, run);
        break;
    case EFFECT_SUPPORT_CREATE:
        if (!b->support) {
            case_form_instead(run, rq);
            outbox_run_finish(run, "form text", NULL);
            goto out;
        }
        {
            struct aws_support_case_input *in = malloc(sizeof(*in));
            char token[80];
            if (!in)
                abort();
            case_input_from(rq, bot_now_ms(b), in);
            request_client_token(rq, 0, token, sizeof(token));
            rc = aws_support_create_case(b->support, in, token, on_case_created, run);
            free(in);
        }
        break;
    case EFFECT_SUPPORT_POLL:
        if (!b->support) {
            outbox_run_finish(run, "no support api", NULL);
            goto out;
        }
        rc = aws_support_describe_case(b->support, rq->account, rq->case_id, on_case_described,
                                       run);
        break;
    case EFFECT_TIMER:
        memset(&ev, 0, sizeof(ev));
        ev.kind = EV_TIMER;
        ev.timer = se->fx.timer;
        request_copy_str(ev.actor, sizeof(ev.actor), "timer");
        request_copy_str(ev.via, sizeof(ev.via), request_timer_name(se->fx.timer));
        /* The approval reminder repeats the same nudge every period: a jump over
         * many periods posts it once. The buyer reminders are the distinct points of
         * the policy's reminders_hours, each posted in its turn. */
        if (se->fx.timer == TIMER_APPROVAL_REMINDER) {
            ev.repeat_in_jump = bot_jump_is_repeat(b, rq->id, se->fx.timer);
            if (ev.repeat_in_jump)
                request_copy_str(ev.text, sizeof(ev.text),
                                 "not posted again: the clock jumped over several periods");
            if (bot_apply(b, rq, &ev, NULL, NULL) == 0)
                bot_jump_note_reminder(b, rq->id, se->fx.timer);
        } else {
            bot_apply(b, rq, &ev, NULL, NULL);
        }
        outbox_run_finish(run, "fired", NULL);
        goto out;
    }
    if (rc != 0)
        outbox_run_retry(run, "could not start");
out:
    free(rq);
    free(card);
}

int bot_run_due(struct bot *b)
{
    return bot_run_due_max(b, CLAIM_BATCH);
}

int bot_run_due_max(struct bot *b, int max)
{
    struct stored_effect *batch;
    int n = 0;
    /* While envelopes are being persisted nothing may start: the batch may still
     * roll back. The loop runs due effects once it is committed. */
    if (b->hold_effects || b->effects_paused)
        return 0;
    bot_maintain(b);
    if (max > CLAIM_BATCH)
        max = CLAIM_BATCH;
    if (!(batch = malloc(CLAIM_BATCH * sizeof(*batch))))
        abort();
    /* The store hands out at most one effect per request, and none of a request
     * whose effect is under way (here or in another process): nothing is handed back. */
    if (store_claim_due_effects(b->store, bot_now_ms(b), b->lease_ms, max, batch,
                                &n) != STORE_OK) {
        log_error("outbox: could not claim effects: %s", store_last_error(b->store));
        n = 0;
    }
    for (int i = 0; i < n; i++)
        if (!outbox_is_unrecorded(b, batch[i].id))   /* done, its mark not stored yet */
            start_effect(b, &batch[i]);
    free(batch);
    return n;
}

void bot_on_market_change(struct bot *b, const char *request_id)
{
    struct request *rq = malloc(sizeof(*rq));
    struct effect_run *run = calloc(1, sizeof(*run));
    struct provider_ref ref;
    if (!rq || !run)
        abort();
    if (store_load_request(b->store, request_id, rq) != STORE_OK ||
        rq->state != REQUEST_SUBMITTED) {
        free(run);
        goto out;
    }
    run->bot = b;
    run->kind = EFFECT_PROVIDER_POLL;
    run->market = rq->market;
    request_copy_str(run->request_id, sizeof(run->request_id), request_id);
    provider_ref_from(rq, run->item, &ref);
    if (provider_poll(bot_provider(b, rq->market), &ref, on_provider_answer, run) != 0)
        free(run);
out:
    free(rq);
}

void bot_listen(struct bot *b, int ms)
{
    for (int waited = 0; b->http_settle && waited < ms; waited += 50) {
        b->http_settle(b->http_ud, 50);
        bot_run_until_idle(b);
    }
}

#define SETTLE_WAIT_MS 100
#define SETTLE_MAX_WAITS 600         /* a minute of waiting for the marketplace */
#define SETTLE_TIMED_MAX_MS 30000    /* a retry due later than this waits for input */

void bot_run_until_idle(struct bot *b)
{
    int waits = 0;
    /* Bounded: each round either runs queued answers or starts due effects; a flow
     * that needs more rounds than this is looping, and stopping it is the safe side. */
    for (int round = 0; round < 10000; round++) {
        long commits = b->commits;
        /* Other processes' wake-ups: this round claims what they made due anyway;
         * taking them keeps libpq from piling them up in a long shell session. */
        int woken = store_take_wakeups(b->store);
        int ran = loop_run_pending(b->loop);
        int started = bot_run_due(b);
        int active = b->http_settle ? b->http_settle(b->http_ud, 0) : 0;
        int64_t next;
        if (ran || started || woken || b->commits != commits || loop_has_pending(b->loop))
            continue;
        next = loop_next_foreground_wake_ms(b->loop);
        if (!active && (next < 0 || next > SETTLE_TIMED_MAX_MS || !b->http_settle)) {
            log_debug("outbox: idle after %d round(s) (next task in %lld ms)", round + 1,
                      (long long)next);
            return;
        }
        /* The shell has nothing else to do than wait for the marketplace's answer. */
        if (++waits > SETTLE_MAX_WAITS) {
            log_warn("outbox: still waiting for the marketplace; carrying on");
            return;
        }
        b->http_settle(b->http_ud, next >= 0 && next < SETTLE_WAIT_MS && !active
                                       ? (int)next : SETTLE_WAIT_MS);
    }
    log_error("outbox: still busy after 10000 rounds; stopping this pass");
}
