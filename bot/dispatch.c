/* bot/dispatch.c -- slash commands: parse, check who may do what where, then either
 * answer from the store (status, list, export, help) or start the flow (a look-up at
 * the marketplace, then the draft). Parsing errors go back to the user verbatim: the
 * parser already names the field and what it accepts. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "bot/runtime_int.h"
#include "bot/service.h"
#include "bot/log.h"
#include "commands/cmd.h"
#include "approvals/card.h"
#include "approvals/format.h"

#define LIST_LIMIT 25

struct lookup_ctx {
    struct bot *bot;
    struct cmd cmd;
    char user[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    int64_t intent_id;                   /* the stored slash command, 0: none */
    int looked_up;                       /* entitlements verified so far (several) */
    struct agreement first;              /* the first entitlement's look-up */
    struct request_item items[REQUEST_MAX_ITEMS];
};

static void target_from_cmd(const struct cmd *c, struct provider_target *t)
{
    memset(t, 0, sizeof(*t));
    t->market = c->market;
    request_copy_str(t->account, sizeof(t->account), c->account);
    request_copy_str(t->agreement_id, sizeof(t->agreement_id), c->agreement_id);
    request_copy_str(t->buyer_account, sizeof(t->buyer_account), c->buyer_account);
    request_copy_str(t->offer_id, sizeof(t->offer_id), c->offer_id);
    request_copy_str(t->customer_id, sizeof(t->customer_id), c->customer_id);
    request_copy_str(t->subscription_id, sizeof(t->subscription_id), c->subscription_id);
    request_copy_str(t->entitlement_id, sizeof(t->entitlement_id), c->entitlement_id);
}

static void draft_from_cmd(const struct lookup_ctx *ctx, const struct agreement *a,
                           struct request *d)
{
    const struct cmd *c = &ctx->cmd;
    memset(d, 0, sizeof(*d));
    d->kind = c->verb == CMD_REFUND ? REQUEST_REFUND
            : c->verb == CMD_SUSPEND ? REQUEST_SUSPEND : REQUEST_CANCEL;
    d->market = c->market;
    request_copy_str(d->account, sizeof(d->account), c->account);
    request_copy_str(d->requester, sizeof(d->requester), ctx->user);
    request_copy_str(d->channel, sizeof(d->channel), ctx->channel);
    d->agreement = *a;
    request_copy_str(d->reason_code, sizeof(d->reason_code), c->reason_code);
    request_copy_str(d->note, sizeof(d->note), c->note);
    request_copy_str(d->case_id, sizeof(d->case_id), c->case_id);
    request_copy_str(d->buyer_ref, sizeof(d->buyer_ref), c->buyer_ref);
    request_copy_str(d->next_step, sizeof(d->next_step), c->next_step);
    request_copy_str(d->invoice_id, sizeof(d->invoice_id), c->invoice_id);
    d->refund_cents = c->amount_cents;
    request_copy_str(d->refund_currency, sizeof(d->refund_currency), c->currency);
}

static void on_lookup_answer(void *ud, const struct provider_result *res);

/* Several entitlements: each is verified at the marketplace before the draft exists. */
static int lookup_next_item(struct lookup_ctx *ctx)
{
    struct provider_target t;
    target_from_cmd(&ctx->cmd, &t);
    request_copy_str(t.entitlement_id, sizeof(t.entitlement_id),
                     ctx->cmd.entitlements[ctx->looked_up]);
    return provider_lookup(bot_provider(ctx->bot, ctx->cmd.market), &t, on_lookup_answer, ctx);
}

static void on_lookup_answer(void *ud, const struct provider_result *res)
{
    struct lookup_ctx *ctx = ud;
    struct bot *b = ctx->bot;
    struct request *draft = NULL;
    struct request_event *ev = NULL;
    char msg[700];
    bot_count_provider_call(b, ctx->cmd.market, "lookup", res->rc);
    int several = ctx->cmd.n_entitlements >= 2;
    /* The draft and the end of its intent commit together: a crash in between would
     * otherwise resume the command and make a second draft. */
    int batched = ctx->intent_id && store_batch_begin(b->store) == STORE_OK;
    if (res->rc == PROVIDER_E_NOT_SELLER) {
        /* Not a failure to look up: the look-up's answer, a refusal naming the field. */
        bot_tell(b, ctx->channel, ctx->user, res->message[0] ? res->message
                                                              : provider_rc_text(res->rc));
        goto out;
    }
    if (res->rc != PROVIDER_OK || res->n_matches < 1) {
        struct log_ctx lc = bot_answer_log_ctx(NULL, res);
        snprintf(msg, sizeof(msg), "Could not look up %s: %s",
                 ctx->cmd.market != MARKET_AZURE ? ctx->cmd.agreement_id
                 : several ? ctx->cmd.entitlements[ctx->looked_up] : ctx->cmd.entitlement_id,
                 res->message[0] ? res->message : provider_rc_text(res->rc));
        log_info_ctx(&lc, "look-up by %s: %s", ctx->user, msg);
        bot_tell(b, ctx->channel, ctx->user, msg);
        goto out;
    }
    if (several && ctx->looked_up == 0)
        ctx->first = res->matches[0];
    if (several) {
        struct request_item *it = &ctx->items[ctx->looked_up];
        request_copy_str(it->id, sizeof(it->id), res->matches[0].id);
        request_copy_str(it->status, sizeof(it->status), res->matches[0].status);
        request_copy_str(it->product, sizeof(it->product), res->matches[0].product);
        it->value_cents = res->matches[0].value_cents;
        request_copy_str(it->currency, sizeof(it->currency), res->matches[0].currency);
        if (strcasecmp(res->matches[0].status, "active") != 0) {
            snprintf(msg, sizeof(msg), "entitlement: %s is %s, not active: there is nothing to "
                     "cancel. Leave it out of the list.", it->id, res->matches[0].status);
            bot_tell(b, ctx->channel, ctx->user, msg);
            goto out;
        }
        if (++ctx->looked_up < ctx->cmd.n_entitlements) {
            if (lookup_next_item(ctx) == 0) {
                if (batched && store_batch_commit(b->store) != STORE_OK)
                    log_error("could not commit: %s", store_last_error(b->store));
                return;                  /* ctx lives on with the next look-up */
            }
            bot_tell(b, ctx->channel, ctx->user, "Could not ask the marketplace; try again.");
            goto out;
        }
    }
    /* The command's intent is ended with the draft, in one batch. No pending intent
     * means the turn that stored the command did not commit (its person was asked to
     * try again) or another process finished it: no draft from this look-up. */
    if (ctx->intent_id) {
        int rc = store_intent_done(b->store, ctx->intent_id);
        ctx->intent_id = 0;
        if (rc == STORE_E_NOT_FOUND) {
            log_info("the look-up of a command that was not kept is dropped");
            goto out;
        }
        if (rc != STORE_OK)
            log_error("could not mark the command done: %s", store_last_error(b->store));
    }
    draft = calloc(1, sizeof(*draft));
    ev = calloc(1, sizeof(*ev));
    if (!draft || !ev)
        abort();
    draft_from_cmd(ctx, several ? &ctx->first : &res->matches[0], draft);
    if (several) {
        memcpy(draft->items, ctx->items, sizeof(draft->items));
        draft->n_items = ctx->cmd.n_entitlements;
    }
    if (store_next_request_id(b->store, draft->kind, draft->id) != STORE_OK) {
        log_error("could not allocate a request id: %s", store_last_error(b->store));
        bot_tell(b, ctx->channel, ctx->user,
                 "Sorry, I could not record the request (database error); nothing changed.");
        goto out;
    }
    snprintf(draft->client_token, sizeof(draft->client_token), "cb-%.16s-%s",
             b->installation_id, draft->id);
    ev->kind = EV_CREATE;
    request_copy_str(ev->actor, sizeof(ev->actor), ctx->user);
    request_copy_str(ev->via, sizeof(ev->via), "command");
    ev->draft = draft;
    bot_apply(b, NULL, ev, NULL, ctx->channel);
out:
    if (ctx->intent_id && store_intent_done(b->store, ctx->intent_id) != STORE_OK)
        log_error("could not mark the command done: %s", store_last_error(b->store));
    if (batched && store_batch_commit(b->store) != STORE_OK)
        log_error("could not commit the new request: %s", store_last_error(b->store));
    bot_run_due(b);
    free(draft);
    free(ev);
    free(ctx);
}

static void on_search_answer(void *ud, const struct provider_result *res)
{
    struct lookup_ctx *ctx = ud;
    char *msg = NULL, value[48];
    size_t len = 0;
    FILE *f = open_memstream(&msg, &len);
    bot_count_provider_call(ctx->bot, ctx->cmd.market, "search", res->rc);
    if (!f)
        abort();
    if (res->rc != PROVIDER_OK) {
        struct log_ctx lc = bot_answer_log_ctx(NULL, res);
        fprintf(f, "Could not search: %s", res->message[0] ? res->message : provider_rc_text(res->rc));
        log_info_ctx(&lc, "search by %s failed: %s", ctx->user,
                     res->message[0] ? res->message : provider_rc_text(res->rc));
    } else if (res->n_matches == 0) {
        fprintf(f, "No active agreements found for %s %s.",
                ctx->cmd.buyer_account[0] ? "buyer" : "offer",
                ctx->cmd.buyer_account[0] ? ctx->cmd.buyer_account : ctx->cmd.offer_id);
    } else {
        fprintf(f, "%d active agreement%s for %s %s. Pick one by its agreement ID (the only "
                "identifier that names exactly one):",
                res->n_matches, res->n_matches > 1 ? "s" : "",
                ctx->cmd.buyer_account[0] ? "buyer" : "offer",
                ctx->cmd.buyer_account[0] ? ctx->cmd.buyer_account : ctx->cmd.offer_id);
        for (int i = 0; i < res->n_matches; i++) {
            const struct agreement *a = &res->matches[i];
            format_money(value, sizeof(value), a->value_cents, a->currency);
            fprintf(f, "\n- %s  buyer %s  offer %s  %s  %s to %s  %s\n  /cancel aws %s "
                    "reason=<code> note=\"...\"",
                    a->id, a->buyer_account, a->offer_id, a->product, a->start_date,
                    a->end_date, value, a->id);
        }
    }
    fclose(f);
    bot_tell(ctx->bot, ctx->channel, ctx->user, msg);
    if (ctx->intent_id && store_intent_done(ctx->bot->store, ctx->intent_id) != STORE_OK)
        log_error("could not mark the command done: %s", store_last_error(ctx->bot->store));
    free(msg);
    free(ctx);
}

static void fault_kill(void *arg)
{
    (void)arg;
    log_warn("fault injection: killing the process during a look-up");
    fflush(NULL);
    raise(SIGKILL);
}

static void start_lookup(struct bot *b, const struct cmd *c, const char *user,
                         const char *channel)
{
    struct lookup_ctx *ctx = calloc(1, sizeof(*ctx));
    struct provider_target t;
    int rc;
    if (!ctx)
        abort();
    ctx->bot = b;
    ctx->cmd = *c;
    ctx->intent_id = b->intent_id;
    request_copy_str(ctx->user, sizeof(ctx->user), user);
    request_copy_str(ctx->channel, sizeof(ctx->channel), channel);
    target_from_cmd(c, &t);
    if (c->verb == CMD_SEARCH)
        rc = provider_search(bot_provider(b, c->market), &t, on_search_answer, ctx);
    else if (c->n_entitlements >= 2)
        rc = lookup_next_item(ctx);
    else
        rc = provider_lookup(bot_provider(b, c->market), &t, on_lookup_answer, ctx);
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), "Could not ask the marketplace: %s",
                 provider_rc_text((enum provider_rc)rc));
        bot_tell(b, channel, user, msg);
        free(ctx);
        return;
    }
    b->intent_taken = 1;            /* the answer's handler finishes the intent */
    if (b->fault_lookup_ms > 0)
        loop_defer_background_at(b->loop, bot_now_ms(b) + b->fault_lookup_ms, fault_kill, NULL);
}

static int print_history_row(void *ud, const struct store_event_row *row)
{
    FILE *f = ud;
    char when[40];
    format_time(when, sizeof(when), row->at_ms);
    fprintf(f, "\n  %s  %s  %s -> %s by %s%s%s", when, row->event, row->from_state,
            row->to_state, row->actor, row->text[0] ? ": " : "", row->text);
    return 0;
}

static void answer_status(struct bot *b, const struct cmd *c, const char *user,
                          const char *channel)
{
    struct request *rq = malloc(sizeof(*rq));
    struct card *card = malloc(sizeof(*card));
    char *msg = NULL;
    size_t len = 0;
    FILE *f;
    if (!rq || !card)
        abort();
    if (bot_load_for_user(b, c->request_id, user, channel, rq) != 0)
        goto out;
    card_render(rq, card);
    if (!(f = open_memstream(&msg, &len)))
        abort();
    fprintf(f, "%s\n%s", card->title, card->status);
    for (int i = 0; i < card->n_fields; i++)
        fprintf(f, "\n  %s: %s", card->fields[i].label, card->fields[i].value);
    fprintf(f, "\nHistory:");
    store_history(b->store, rq->id, print_history_row, f);
    fclose(f);
    bot_tell(b, channel, user, msg);
out:
    free(msg);
    free(rq);
    free(card);
}

struct list_ctx {
    FILE *f;
    int n;
};

static int print_list_row(void *ud, const struct request *rq)
{
    struct list_ctx *lc = ud;
    char when[40];
    format_time(when, sizeof(when), rq->created_ms);
    fprintf(lc->f, "\n  %-7s %-17s %-5s %-26s by %s, %s", rq->id, request_state_name(rq->state),
            request_market_name(rq->market), rq->agreement.id, rq->requester, when);
    lc->n++;
    return 0;
}

static void answer_list(struct bot *b, const struct cmd *c, const char *user, const char *channel)
{
    static const char *const scope_names[] = {"Your requests", "Requests waiting for a decision",
                                              "Open requests", "All requests"};
    enum store_list_filter filter = c->scope == CMD_LIST_MINE ? STORE_LIST_MINE
                                  : c->scope == CMD_LIST_PENDING ? STORE_LIST_PENDING
                                  : c->scope == CMD_LIST_OPEN ? STORE_LIST_OPEN : STORE_LIST_ALL;
    struct list_ctx lc = {0};
    char *msg = NULL;
    size_t len = 0;
    if (!(lc.f = open_memstream(&msg, &len)))
        abort();
    fprintf(lc.f, "%s, newest first:", scope_names[c->scope]);
    store_list_requests(b->store, filter, user, LIST_LIMIT, print_list_row, &lc);
    if (lc.n == 0)
        fprintf(lc.f, "\n  none");
    fclose(lc.f);
    bot_tell(b, channel, user, msg);
    free(msg);
    if (c->scope == CMD_LIST_MINE)
        bot_offer_drafts(b, user, channel);
}

/* "Only <@U0FIN1>, <@U0FIN2> and members of <!subteam^S0FIN> may export ...". */
static void export_refusal(const struct bot *b, char *out, size_t outlen)
{
    const struct policy *p = &b->policy;
    const char (*list)[USER_ID_MAX] = p->exporters_listed ? p->exporters : p->approvers;
    int n = p->exporters_listed ? p->n_exporters : p->n_approvers;
    int group = !p->exporters_listed && p->approver_group[0];
    size_t used;
    if (n == 0 && !group) {
        snprintf(out, outlen, "Nobody may export the record from Slack (\"exporters\" in the "
                 "policy is empty); an admin can run `cancelbot export` on the server.");
        return;
    }
    used = (size_t)snprintf(out, outlen, "The export holds every request's notes, buyers and "
                            "values, so only ");
    for (int i = 0; i < n && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s<@%s>",
                                 i == 0 ? "" : i == n - 1 && !group ? " and " : ", ", list[i]);
    if (group && used < outlen)
        used += (size_t)snprintf(out + used, outlen - used, "%smembers of <!subteam^%s>",
                                 n ? " and " : "", p->approver_group);
    if (used < outlen)
        snprintf(out + used, outlen - used, " may export it%s; ask an admin to add you to "
                 "\"exporters\" in the policy.", p->exporters_listed ? "" : " (the approvers)");
}

static void answer_export(struct bot *b, const struct cmd *c, const char *user,
                          const char *channel)
{
    char *csv = NULL, refusal[3000];
    size_t len = 0;
    int64_t since = c->since[0] ? format_parse_date(c->since) : 0;
    int in_group = bot_in_approver_group(b, user);
    FILE *f;
    if (!policy_may_export(&b->policy, user, in_group)) {
        export_refusal(b, refusal, sizeof(refusal));
        log_info("export by %s refused: not an exporter", user);
        bot_tell(b, channel, user, refusal);
        return;
    }
    if (since < 0)
        since = 0;
    if (b->chat->ops->send_file) {
        bot_tell(b, channel, user, "Preparing your export: it will arrive as a CSV file in "
                 "our direct messages, which only you can see.");
        bot_export_start(b, user, channel, since);
        return;
    }
    /* A chat without files (the terminal shell) shows the CSV as it is. */
    if (!(f = open_memstream(&csv, &len)))
        abort();
    if (store_export(b->store, f, STORE_EXPORT_CSV, since) != STORE_OK)
        fprintf(f, "Sorry, the export failed (database error).");
    fclose(f);
    bot_tell(b, channel, user, csv);
    free(csv);
}

void bot_on_command(struct bot *b, const char *user, const char *channel, const char *command,
                    const char *text)
{
    struct cmd *c = malloc(sizeof(*c));
    struct cmd_error err;
    if (!c)
        abort();
    if (cmd_parse(command, text, c, &err) != 0) {
        format_neutralise_markup(err.text);     /* it may quote what was typed */
        bot_tell(b, channel, user, err.text);
        goto out;
    }
    switch (c->verb) {
    case CMD_HELP:
        bot_tell(b, channel, user, cmd_help_text());
        break;
    case CMD_FORM:
        bot_tell(b, channel, user, strcmp(command, "/refund") == 0
                 ? "The refund form opens in Slack. Here, type the fields: /refund aws "
                   "<agreement-id> invoice=<id> amount=<120.00> currency=<USD> "
                   "reason=<code> note=\"...\" (see /cancel help)."
                 : "The request form opens in Slack. Here, type the fields: /cancel aws "
                   "<agreement-id> reason=<code> note=\"...\" (see /cancel help).");
        break;
    case CMD_CANCEL:
    case CMD_REFUND:
    case CMD_SUSPEND:
    case CMD_SEARCH:
        if (!policy_allows_channel(&b->policy, channel)) {
            bot_tell(b, channel, user, "channel: requests are taken only in the configured "
                     "request channels.");
            break;
        }
        if (!policy_may_request(&b->policy, user)) {
            bot_tell(b, channel, user, "You are not on the list of people who may request "
                     "cancellations or refunds; ask an admin to add you to \"requesters\".");
            break;
        }
        start_lookup(b, c, user, channel);
        break;
    case CMD_STATUS:
        answer_status(b, c, user, channel);
        break;
    case CMD_LIST:
        answer_list(b, c, user, channel);
        break;
    case CMD_EXPORT:
        answer_export(b, c, user, channel);
        break;
    case CMD_WITHDRAW:
        bot_apply_user_event(b, c->request_id, EV_WITHDRAW, user, channel, "command", c->note,
                             NULL);
        break;
    case CMD_CASE:
        /* "file" and "resolved" are words, never AWS case ids (those are numbers or
         * case-...): ask the bot to file the case, or close one followed by hand. */
        if (strcmp(c->case_id, "file") == 0)
            bot_apply_user_event(b, c->request_id, EV_CASE_FILE, user, channel, "command",
                                 "", NULL);
        else if (strcmp(c->case_id, "resolved") == 0)
            bot_apply_user_event(b, c->request_id, EV_CASE_STATUS, user, channel, "command",
                                 "Completed", NULL);
        else
            bot_apply_user_event(b, c->request_id, EV_CASE_FILED, user, channel, "command",
                                 c->case_id, NULL);
        break;
    }
out:
    free(c);
}

void bot_on_command_intent(struct bot *b, const char *user, const char *channel,
                           const char *command, const char *text, int64_t intent_id)
{
    b->intent_id = intent_id;
    b->intent_taken = 0;
    bot_on_command(b, user, channel, command, text);
    if (intent_id && !b->intent_taken && store_intent_done(b->store, intent_id) != STORE_OK)
        log_error("could not mark the command done: %s", store_last_error(b->store));
    b->intent_id = 0;
}

#define RESUME_BATCH 16

void bot_resume_intents(struct bot *b)
{
    struct store_intent *got;
    int n = 0;
    /* Intents are Slack's slash commands: only a Slack process can answer them. */
    if (strcmp(b->chat->ops->name, "slack") != 0)
        return;
    if (!(got = malloc(RESUME_BATCH * sizeof(*got))))
        abort();
    if (store_claim_intents(b->store, bot_now_ms(b), b->lease_ms, RESUME_BATCH, got, &n) !=
        STORE_OK)
        log_error("could not read unfinished commands: %s", store_last_error(b->store));
    for (int i = 0; i < n; i++) {
        log_info("resuming %s by %s (intent %lld), acknowledged before a stop but never "
                 "finished", got[i].command, got[i].user, (long long)got[i].id);
        bot_on_command_intent(b, got[i].user, got[i].channel, got[i].command, got[i].text,
                              got[i].id);
    }
    free(got);
}
