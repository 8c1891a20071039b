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
    struct slack_names *names;   /* users.info answers, kept an hour (slack_files.c) */
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

#endif
