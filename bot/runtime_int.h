/* bot/runtime_int.h -- the runtime context's insides, shared by the files of bot/
 * that make up the runtime (runtime.c, dispatch.c, outbox.c) and nobody else. */
#ifndef CANCELBOT_BOT_RUNTIME_INT_H
#define CANCELBOT_BOT_RUNTIME_INT_H

#include <jansson.h>
#include "bot/runtime.h"
#include "providers/aws_support.h"
#include "providers/aws_events_poll.h"
#include "bot/metrics.h"
#include "bot/pollers.h"
#include "bot/log.h"

/* Leases are renewed every third of their time; unfinished commands of a dead
 * process are looked for more often, so they move on soon after its lease ends. */
#define BOT_RESUME_EVERY_MS 500
#define BOT_PRUNE_EVERY_MS (5 * 60 * 1000)
#define BOT_CLOCK_SETTING "clock_offset_ms"   /* the moved clock, kept across restarts */

struct bot_jump_reminder;
struct outbox_unrecorded;

/* What a log line about a marketplace answer is about: the request (NULL when there
 * is none yet) and the marketplace's ids of the call. Borrows from both. */
static inline struct log_ctx bot_answer_log_ctx(const char *request_id,
                                                const struct provider_result *res)
{
    struct log_ctx c = {request_id, NULL, res->trace.aws_request_id,
                        res->trace.ms_correlation_id, res->trace.ms_request_id};
    return c;
}

struct bot {
    struct policy policy;
    struct store *store;
    struct loop *loop;
    struct chat *chat;                   /* borrowed */
    struct http_client *http;            /* borrowed; NULL: sim providers only */
    struct provider *aws;
    struct provider *azure;              /* may equal aws (one simulated market) */
    struct aws_support *support;         /* AWS Support API; NULL with the sim */
    struct aws_events_poller *events;    /* EventBridge events via SQS; NULL: polling only */
    uint64_t rng;                        /* jitter for retry back-off */
    char installation_id[40];            /* the store's, for client tokens */
    int hold_effects;                    /* bot_hold_effects */
    int effects_paused;                  /* bot_pause_effects */
    int stopping;                        /* bot_begin_stop */
    int64_t lease_ms;                    /* BOT_LEASE_MS, or CANCELBOT_LEASE_MS */
    int64_t next_renew_ms;               /* bot_maintain's schedule */
    int64_t next_resume_ms;
    int64_t next_prune_ms;
    /* The intent (stored slash command) being dispatched, and whether a look-up took
     * it over: the look-up then marks it done with the draft it creates. */
    int64_t intent_id;
    int intent_taken;
    /* Fault injection for the crash tests: SIGKILL just before running an effect of
     * this kind (CANCELBOT_FAULT_KILL_BEFORE=provider_submit), or just after the
     * marketplace answered it and before that answer is stored (..._KILL_AFTER). */
    int fault_armed;
    enum effect_kind fault_kind;
    int fault_after_armed;               /* ..._KILL_AFTER: once the answer is in */
    enum effect_kind fault_after_kind;
    /* CANCELBOT_FAULT_KILL_DURING_LOOKUP_MS: SIGKILL this long after a look-up starts
     * (its command acked, its answer not in yet). */
    int64_t fault_lookup_ms;
    /* CANCELBOT_FAULT_JUMP_PAUSE_MS: a clock jump pauses this long after each step's
     * run, as a loaded machine would (the wall clock runs on under the jump). */
    int64_t fault_jump_pause_ms;
    /* CANCELBOT_FAULT_KILL_AT_POINT=N: SIGKILL at the N-th fault point of this
     * process, a point being the start of an effect and the moment an effect worked
     * (before its "done" mark): the fault suite picks N at random, so its kills land
     * on the flow's steps whatever the machine's speed. */
    long fault_at_point, fault_points;
    int (*in_approver_group)(void *ud, const char *user);
    void *group_ud;
    int (*http_settle)(void *ud, int wait_ms);
    void *http_ud;
    /* Counts committed transitions: an HTTP answer can commit one (and queue its
     * effects) from inside http_settle, which the shell's settle loop must notice. */
    long commits;
    /* A clock jump under way (bot/clock.c) and the reminders fired in the last one,
     * per request and kind. */
    int jumping;
    struct bot_jump_reminder *jump_seen;
    int jump_n, jump_cap;
    struct outbox_unrecorded *unrecorded;    /* done marks to record (bot/outbox.c) */
    /* What /metrics shows (bot/service.c): counted here, in the runtime context. */
    struct metrics metrics;
    struct pollers pollers;
};

/* Applies ev to in (NULL for EV_CREATE) and commits. A refusal is told to the actor.
 * Returns 0 when committed, 1 when refused / ignored / duplicate, <0 on store error. */
int bot_apply(struct bot *b, const struct request *in, const struct request_event *ev,
              const char *dedup_key, const char *reply_channel);
/* Loads request id; tells the user when there is no such request. 0 when loaded. */
int bot_load_for_user(struct bot *b, const char *id, const char *user, const char *channel,
                      struct request *rq);
/* Loads request id and applies an event of a user to it (telling them if it does not
 * exist). channel: where to answer a refusal; NULL: the request's channel. */
void bot_apply_user_event(struct bot *b, const char *id, enum request_event_kind kind,
                          const char *user, const char *channel, const char *via,
                          const char *text, const char *dedup_key);
/* `/cancel export` for a chat that takes files (bot/export_job.c): names, CSV, file,
 * on later loop ticks; user alone receives it. */
void bot_export_start(struct bot *b, const char *user, const char *channel, int64_t since_ms);
/* Shows user the verify prompt of each of their open drafts again, with its Confirm
 * and Discard (bot/drafts.c; /cancel list mine). */
void bot_offer_drafts(struct bot *b, const char *user, const char *channel);
/* During a clock jump: 1 when a reminder of kind t for request_id already fired in
 * it (the core then records this one without posting it); 0 otherwise. */
int bot_jump_is_repeat(const struct bot *b, const char *request_id, enum request_timer t);
/* A reminder of kind t fired for request_id (counted only during a jump). */
void bot_jump_note_reminder(struct bot *b, const char *request_id, enum request_timer t);
void bot_jump_free(struct bot *b);
/* An ephemeral message to one user, fire and forget. */
void bot_tell(struct bot *b, const char *channel, const char *user, const char *text);

#endif
