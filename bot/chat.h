/* bot/chat.h -- what Slack and the terminal shell both are, to the runtime: a place
 * to post and update the request card, reply in its thread, whisper to one user, and
 * open a form. Like Hubot's adapters. Deliveries finish through chat_cb on a later
 * loop tick (the Slack one after an HTTP round trip), never inside the call. */
#ifndef CANCELBOT_BOT_CHAT_H
#define CANCELBOT_BOT_CHAT_H

#include <stddef.h>
#include "approvals/card.h"

enum chat_rc {
    CHAT_OK = 0,
    CHAT_E_RETRY = 1,        /* rate-limited or transient: try again later */
    CHAT_E_FAILED = 2        /* permanent (channel gone, bad token, ...) */
};

/* ts: the message id, for post_card; NULL otherwise. */
typedef void (*chat_cb)(void *ud, enum chat_rc rc, const char *ts);

/* A file delivery's end: why is a sentence for the user (what failed and the fix)
 * when rc != CHAT_OK, else NULL. */
typedef void (*chat_file_cb)(void *ud, enum chat_rc rc, const char *why);
/* name: the user's display name; NULL when unknown (error says why, may be NULL). */
typedef void (*chat_name_cb)(void *ud, const char *name, const char *error);

struct chat;

/* key: the outbox effect's name for the message ("" for none), posted with it where
 * the chat can keep it (Slack: message metadata) so that find_posted can tell later
 * whether a run that died before its done mark got the message out. */
struct chat_ops {
    const char *name;        /* "shell", "slack" */
    int (*post_card)(struct chat *, const char *channel, const struct card *,
                     const char *key, chat_cb, void *ud);
    int (*update_card)(struct chat *, const char *channel, const char *ts,
                       const struct card *, chat_cb, void *ud);
    int (*reply)(struct chat *, const char *channel, const char *thread_ts,
                 const char *request_id, const char *text, const char *key, chat_cb,
                 void *ud);
    /* Optional (NULL: a run that may have posted posts again). Looks for the message
     * posted with key: in thread_ts's thread, or (thread_ts NULL) among the channel's
     * recent messages. cb: CHAT_OK with its ts when found, CHAT_OK with NULL when it
     * is not there, CHAT_E_RETRY / CHAT_E_FAILED when the chat cannot tell. */
    int (*find_posted)(struct chat *, const char *channel, const char *thread_ts,
                       const char *key, chat_cb, void *ud);
    /* card may be NULL; with CARD_BUTTONS_CONFIRM_DISCARD it carries the buttons. */
    int (*ephemeral)(struct chat *, const char *channel, const char *user, const char *text,
                     const struct card *card, chat_cb, void *ud);
    /* Optional (NULL: the runtime answers in text). A file that user alone sees;
     * bytes are copied. */
    int (*send_file)(struct chat *, const char *user, const char *filename, const char *title,
                     const char *comment, const char *bytes, size_t len, chat_file_cb, void *ud);
    /* Optional (NULL: ids only). The user's display name. */
    int (*user_name)(struct chat *, const char *user, chat_name_cb, void *ud);
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
