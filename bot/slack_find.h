/* bot/slack_find.h -- whether a message the outbox posted is already in Slack. Every
 * card and thread reply goes out with message metadata naming its effect (event type
 * cancelbot_message, payload {"key": ...}); a run that may repeat an earlier one
 * reads the thread (conversations.replies) or the channel's newest messages
 * (conversations.history) with include_all_metadata, a few pages at most, and looks
 * for that key. Needs the channels:history / groups:history scopes. */
#ifndef CANCELBOT_BOT_SLACK_FIND_H
#define CANCELBOT_BOT_SLACK_FIND_H

#include <stdint.h>
#include <jansson.h>
#include "bot/chat.h"
#include "bot/slack_api.h"

#define SLACK_MESSAGE_EVENT_TYPE "cancelbot_message"

/* The "metadata" argument of chat.postMessage for key (new reference). */
json_t *slack_message_metadata(const char *key);
/* chat_ops.find_posted over api. */
int slack_find_posted(struct slack_api *api, const char *channel, const char *thread_ts,
                      const char *key, chat_cb cb, void *ud);

#endif
