/* bot/outbox_chat.c -- the chat messages of the outbox: the card and the thread
 * replies. Each goes out with its effect's key (installation id and effect id); a
 * run that may repeat an earlier one (that one died, was stopped, or timed out
 * before its answer and done mark were stored) first asks the chat whether the
 * message with that key is already there, and if so records it instead of posting
 * it again. That closes the window between Slack's answer and the done mark that a
 * crash or a full disk would otherwise turn into a second "Approved by ..." post. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/outbox_int.h"
#include "bot/log.h"
#include "approvals/card.h"

static void effect_message_key(const struct effect_run *run, char *key, size_t size)
{
    snprintf(key, size, "%s:%lld", run->bot->installation_id, (long long)run->effect_id);
}

void outbox_on_chat_done(void *ud, enum chat_rc rc, const char *ts)
{
    struct effect_run *run = ud;
    struct bot *b = run->bot;
    if (rc != CHAT_OK && outbox_abandon_for_stop(run))
        return;
    if (rc == CHAT_OK && b->fault_after_armed && b->fault_after_kind == run->kind) {
        log_warn("fault injection: killing the process after %s of %s was delivered",
                 effect_kind_name(run->kind), run->request_id);
        fflush(NULL);
        raise(SIGKILL);
    }
    if (rc == CHAT_OK) {
        outbox_run_finish(run, "ok", ts);
    } else if (rc == CHAT_E_RETRY && run->attempts < BOT_CHAT_MAX_ATTEMPTS) {
        outbox_run_retry(run, "chat delivery deferred");
    } else {
        log_error("%s: %s could not be delivered; giving up", run->request_id,
                  effect_kind_name(run->kind));
        outbox_run_finish(run, "failed", NULL);
    }
}

static int post_now(struct effect_run *run, const struct request *rq)
{
    struct bot *b = run->bot;
    char key[80];
    int rc;
    effect_message_key(run, key, sizeof(key));
    if (run->kind == EFFECT_POST_CARD) {
        struct card *card = malloc(sizeof(*card));
        if (!card)
            abort();
        card_render(rq, card);
        rc = b->chat->ops->post_card(b->chat, rq->channel, card, key, outbox_on_chat_done, run);
        free(card);
        return rc;
    }
    return b->chat->ops->reply(b->chat, rq->channel, rq->card_ts, rq->id,
                               run->text ? run->text : "", key, outbox_on_chat_done, run);
}

static void on_looked(void *ud, enum chat_rc rc, const char *ts)
{
    struct effect_run *run = ud;
    struct request *rq;
    if (rc == CHAT_OK && ts) {
        log_info("%s: %s of effect %lld was already posted (%s); recording it, not posting "
                 "again", run->request_id, effect_kind_name(run->kind), (long long)run->effect_id,
                 ts);
        outbox_on_chat_done(run, CHAT_OK, ts);
        return;
    }
    if (rc == CHAT_E_RETRY) {
        outbox_run_retry(run, "could not check whether the message was already posted");
        return;
    }
    if (rc == CHAT_E_FAILED)
        log_warn("%s: cannot check whether %s was already posted; posting it (it may show "
                 "twice)", run->request_id, effect_kind_name(run->kind));
    if (!(rq = malloc(sizeof(*rq))))
        abort();
    if (store_load_request(run->bot->store, run->request_id, rq) != STORE_OK)
        outbox_run_retry(run, "request unreadable");
    else if (post_now(run, rq) != 0)
        outbox_run_retry(run, "could not start");
    free(rq);
}

int outbox_post_message(struct effect_run *run, const struct request *rq, int maybe_posted)
{
    struct bot *b = run->bot;
    char key[80];
    if (!maybe_posted || !b->chat->ops->find_posted ||
        (run->kind == EFFECT_REPLY && !rq->card_ts[0]))
        return post_now(run, rq);
    effect_message_key(run, key, sizeof(key));
    log_info("%s: %s of effect %lld may have been posted by an earlier run; looking for it",
             rq->id, effect_kind_name(run->kind), (long long)run->effect_id);
    return b->chat->ops->find_posted(b->chat, rq->channel,
                                     run->kind == EFFECT_REPLY ? rq->card_ts : NULL, key,
                                     on_looked, run);
}
