/* bot/slack_chat.h -- the Slack adapter: struct chat_ops over the Web API (cards as
 * Block Kit, thread replies, ephemeral messages), and the handler that turns Socket
 * Mode envelopes into the runtime's inputs. Order for every envelope: persist (the
 * de-duplication key and any transition), ack, act (everything slow happens later,
 * from the outbox). Group commit: the envelopes of one loop turn are persisted in
 * one transaction, and their acks leave together once it is committed
 * (slack_chat_flush, first thing in the loop's next pass). */
#ifndef CANCELBOT_BOT_SLACK_CHAT_H
#define CANCELBOT_BOT_SLACK_CHAT_H

#include <stddef.h>
#include <stdint.h>
#include "bot/chat.h"
#include "bot/runtime.h"
#include "bot/slack_api.h"
#include "bot/slack_socket.h"
#include "bot/slack_event.h"

#define SLACK_GROUP_MAX 500

struct slack_chat {
    struct chat chat;            /* what the runtime sees */
    struct slack_api *api;
    struct bot *bot;
    void (*kick)(void *ud);      /* wake the loop: the outbox has work */
    void *kick_ud;
    int64_t worst_ack_us;        /* slowest persist+ack so far, for the log */
    long envelopes;
    char group[SLACK_GROUP_MAX][USER_ID_MAX];   /* the approvers' user group, cached */
    int n_group;
    /* While a slash command is handled, what the bot says at once to its user goes
     * back in the ack (Slack shows it to them alone, reliably, unlike
     * chat.postEphemeral); later answers go out as ephemeral messages. */
    int capturing;
    char capture_user[USER_ID_MAX];
    char *captured;              /* heap, NULL when nothing was said */
    /* The loop turn's batch: open while envelopes are being persisted, committed by
     * slack_chat_flush, which then sends the acks held here. */
    int batch_open;
    struct held_ack *acks;
    size_t n_acks, cap_acks;
    const char *fault_envelope;  /* CANCELBOT_FAULT_KILL_AFTER_DEDUP: crash tests */
    int fault_commits;           /* CANCELBOT_FAULT_FAIL_COMMITS: turns whose commit fails */
    struct slack_names *names;   /* users.info answers, kept an hour (slack_files.c) */
    char bot_user[USER_ID_MAX];  /* from auth.test: "invite @cancelbot" in advice */
    /* While a slash command is captured, verify prompts (ephemerals with a card) for
     * its user go into the ack as blocks; NULL when there are none. */
    json_t *captured_blocks;
    /* Answers through response_url (the outcome of Confirm / Discard), sent once the
     * turn's batch is committed, dropped with it otherwise (bot/slack_verify.c). */
    struct held_response *responses;
    size_t n_responses, cap_responses;
};

void slack_chat_init(struct slack_chat *sc);
/* After auth.test: start caching the approvers' user group (refreshed every 10 min). */
void slack_chat_start(struct slack_chat *sc);
/* Socket Mode handler (struct slack_socket_handlers.on_envelope); ud = the slack_chat. */
void slack_chat_on_envelope(void *ud, struct slack_conn *conn, const char *text, size_t len);
/* Commits the turn's batch and sends its acks; when the commit fails nothing of it
 * is acked (Slack redelivers). Returns the number of acks sent. */
size_t slack_chat_flush(struct slack_chat *sc);
/* Frees what slack_chat_flush did not send (at the end). */
void slack_chat_free_acks(struct slack_chat *sc);
/* Publishes the App Home tab of user (bot/slack_envelope.c). */
void slack_publish_home(struct slack_chat *sc, const char *user);

/* Slack's error is worth trying again later (rate limit, server or transport). */
int slack_error_transient(const char *error);

/* ---- bot/slack_dm.c: reaching the requester when the channel cannot ---- */

/* not_in_channel, channel_not_found, is_archived, user_not_in_channel. */
int slack_error_unreachable(const char *error);
/* One sentence: what Slack's error means and the fix ("invite @cancelbot to #x"). */
void slack_dm_fix(const struct slack_chat *sc, const char *error, const char *channel,
                  char *buf, size_t len);
/* text (mrkdwn, sent as given) and blocks (stolen, may be NULL) to user's DM with the
 * app: conversations.open, then chat.postMessage. cb may be NULL. 0 when queued. */
int slack_dm_send(struct slack_chat *sc, const char *user, const char *text, json_t *blocks,
                  chat_cb cb, void *ud);
/* An ephemeral that Slack refused with error, sent by DM instead with a line saying
 * why it came there and the fix. blocks stolen (NULL: the text alone). */
int slack_dm_instead_of_ephemeral(struct slack_chat *sc, const char *channel, const char *user,
                                  const char *error, const char *safe_text, json_t *blocks,
                                  chat_cb cb, void *ud);
/* Slack refused `what` ("the card") of request_id in channel with error: the requester
 * is told by DM, with the fix, once per request and error. */
void slack_dm_notice_once(struct slack_chat *sc, const char *request_id, const char *channel,
                          const char *error, const char *what);

/* ---- bot/slack_verify.c: the verify step's buttons ---- */

/* A Confirm or Discard click (from the preview, its DM copy, a list or App Home):
 * applied, and its outcome held for the click's response_url (replacing the preview)
 * or, without one, sent by DM; App Home is published again. */
void slack_verify_on_click(struct slack_chat *sc, const struct slack_frame *f,
                           const char *dedup_key);
/* After the turn's batch: committed, the held answers leave; else they are dropped. */
void slack_verify_flush(struct slack_chat *sc, int committed);

#endif
