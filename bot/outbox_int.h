/* bot/outbox_int.h -- one run of an outbox effect, shared by the files that run
 * effects (outbox.c: claims, the marketplace and the timers; outbox_chat.c: the
 * chat's messages) and nobody else. */
#ifndef CANCELBOT_BOT_OUTBOX_INT_H
#define CANCELBOT_BOT_OUTBOX_INT_H

#include "bot/runtime_int.h"

#define BOT_CHAT_MAX_ATTEMPTS 8

struct effect_run {
    struct bot *bot;
    int64_t effect_id;              /* 0: an ad-hoc poll with no outbox row */
    char request_id[REQUEST_ID_MAX];
    enum effect_kind kind;
    int attempts;
    int item;                       /* 1-based request item, 0: the whole request */
    enum request_market market;     /* a provider effect's, for /metrics */
    char *text;                     /* owned: a reply's text, kept while a look runs */
};

/* The run worked: marks the effect done (or keeps the mark to record later when the
 * store cannot take it now: see outbox_keep_unrecorded) and frees the run. ts: a
 * message id to store with it (the card's, a reply's), or NULL. */
void outbox_run_finish(struct effect_run *run, const char *result, const char *ts);
/* A failed attempt: back to the outbox with back-off; frees the run. */
void outbox_run_retry(struct effect_run *run, const char *error);
/* The same; returns in how many ms it is due. quiet: the failure is logged elsewhere
 * (a status poll's, rate-limited by the poller's report). ctx: the log line's ids
 * (the marketplace's, for a failed answer); NULL: the request's. */
int64_t outbox_run_retry_with(struct effect_run *run, const char *error, int quiet,
                              const struct log_ctx *ctx);
/* 1 (and the run freed, nothing recorded) when the bot is stopping: the effect is
 * left for the next start. */
int outbox_abandon_for_stop(struct effect_run *run);

/* The chat's answer to a delivery of the run's effect (chat_cb). */
void outbox_on_chat_done(void *ud, enum chat_rc rc, const char *ts);
/* Posts the card or the reply of run (rq: its request); when an earlier run of the
 * same effect may have posted it already (it died or was stopped before its done
 * mark, or its attempt timed out), first asks the chat whether it is there.
 * Returns non-zero when nothing could be started (the run is still the caller's). */
int outbox_post_message(struct effect_run *run, const struct request *rq, int maybe_posted);

/* Done marks the store refused (a full disk): retried by bot_maintain until they
 * stick, so that an effect that worked is never run again by this process. */
void outbox_record_unrecorded(struct bot *b);
int outbox_is_unrecorded(const struct bot *b, int64_t effect_id);
void outbox_forget_unrecorded(struct bot *b);

#endif
