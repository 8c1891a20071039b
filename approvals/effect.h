/* approvals/effect.h -- what a transition asks the world to do. Effects are data:
 * the store writes them into the outbox in the same transaction as the request, and
 * the runtime performs them afterwards. A crash in between re-runs an effect, so
 * every kind must be safe to run twice (see the comment on each). */
#ifndef CANCELBOT_APPROVALS_EFFECT_H
#define CANCELBOT_APPROVALS_EFFECT_H

#include <stdint.h>
#include "approvals/request.h"

enum effect_kind {
    EFFECT_POST_CARD,        /* post the request card in the channel; re-run: the
                                runtime skips it when card_ts is already stored */
    EFFECT_UPDATE_CARD,      /* re-render the card in place from the stored request */
    EFFECT_REPLY,            /* thread reply with text */
    EFFECT_EPHEMERAL,        /* text visible only to user */
    EFFECT_CONFIRM_PROMPT,   /* ephemeral to the requester: the looked-up agreement
                                with Confirm / Discard buttons */
    EFFECT_PROVIDER_SUBMIT,  /* cancellation or refund; idempotent by client token */
    EFFECT_PROVIDER_WITHDRAW,
    EFFECT_PROVIDER_POLL,    /* a read */
    EFFECT_TIMER,            /* at due_ms, feed EV_TIMER{timer} back to the request */
    EFFECT_SUPPORT_CREATE,   /* file the cancellation form as an AWS Support case. Not
                                idempotent (the Support API has no client token): the
                                case id is stored the moment it is known */
    EFFECT_SUPPORT_POLL,     /* read the support case's status */
    EFFECT_DIRECT_MESSAGE    /* text to user in private (Slack: the app's DM), for what
                                must reach them later, when no ephemeral would */
};
#define EFFECT_KIND_COUNT (EFFECT_DIRECT_MESSAGE + 1)

enum request_timer {
    TIMER_NONE,
    TIMER_REMINDER,          /* remind the requester that the buyer has not answered */
    TIMER_APPROVAL_EXPIRY,   /* finance never answered */
    TIMER_BUYER_DEADLINE,    /* the marketplace's automatic cancellation is due */
    TIMER_APPROVAL_REMINDER, /* nudge the approvers */
    TIMER_DRAFT_EXPIRY       /* the requester never confirmed the draft */
};

#define EFFECT_TEXT_MAX 3000       /* Slack shows 3000 characters in a section */

struct effect {
    enum effect_kind kind;
    enum request_timer timer;   /* EFFECT_TIMER only */
    int64_t due_ms;             /* 0: as soon as possible */
    char user[USER_ID_MAX];     /* EPHEMERAL / CONFIRM_PROMPT / DIRECT_MESSAGE: who sees it */
    int item;                   /* provider effects: 1-based request item; 0: the whole */
    char text[EFFECT_TEXT_MAX]; /* REPLY / EPHEMERAL / DIRECT_MESSAGE */
};

#define EFFECT_LIST_MAX 12

struct effect_list {
    struct effect items[EFFECT_LIST_MAX];
    int len;
};

/* Appends an effect; returns the new item, or NULL when the list is full (a bug in
 * the state machine: the list is sized for the longest transition). */
struct effect *effect_list_push(struct effect_list *fx, enum effect_kind kind, int64_t due_ms);
struct effect *effect_list_push_text(struct effect_list *fx, enum effect_kind kind,
                                     const char *user, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const char *effect_kind_name(enum effect_kind k);            /* "post_card" */
int effect_kind_from_name(const char *name, enum effect_kind *out);
const char *request_timer_name(enum request_timer t);        /* "reminder" */
int request_timer_from_name(const char *name, enum request_timer *out);

#endif
