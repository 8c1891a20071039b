/* bot/chat.h -- what Slack and the terminal shell both are, to the runtime: a place
 * to post and update the request card, reply in its thread, whisper to one user, and
 * open a form. Like Hubot's adapters. Deliveries finish through chat_cb on a later
 * loop tick (the Slack one after an HTTP round trip), never inside the call. */
#ifndef CANCELBOT_BOT_CHAT_H
#define CANCELBOT_BOT_CHAT_H

#include "approvals/card.h"

enum chat_rc {
    CHAT_OK = 0,
    CHAT_E_RETRY = 1,        /* rate-limited or transient: try again later */
    CHAT_E_FAILED = 2        /* permanent (channel gone, bad token, ...) */
};

/* ts: the message id, for post_card; NULL otherwise. */
typedef void (*chat_cb)(void *ud, enum chat_rc rc, const char *ts);

struct chat;

struct chat_ops {
    const char *name;        /* "shell", "slack" */
    int (*post_card)(struct chat *, const char *channel, const struct card *,
                     chat_cb, void *ud);
    int (*update_card)(struct chat *, const char *channel, const char *ts,
                       const struct card *, chat_cb, void *ud);
    int (*reply)(struct chat *, const char *channel, const char *thread_ts,
                 const char *request_id, const char *text, chat_cb, void *ud);
    /* card may be NULL; with CARD_BUTTONS_CONFIRM_DISCARD it carries the buttons. */
    int (*ephemeral)(struct chat *, const char *channel, const char *user, const char *text,
                     const struct card *card, chat_cb, void *ud);
    /* Text to user in private, for what must reach them later (Slack: the app's DM;
     * an ephemeral is shown only to users active in the channel). May be NULL: the
     * runtime then uses ephemeral in the request's channel. */
    int (*direct)(struct chat *, const char *user, const char *text, chat_cb, void *ud);
};

struct chat {
    const struct chat_ops *ops;
    void *impl;
};

#endif
