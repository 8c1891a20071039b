/* tests/fake_slack_history.h -- the fake Slack's memory of the messages posted, for
 * conversations.history (a channel's top-level messages, newest first) and
 * conversations.replies (a thread: its parent, then replies oldest first), paged
 * with limit and cursor and with message metadata only under include_all_metadata,
 * as Slack documents them. */
#ifndef CANCELBOT_TESTS_FAKE_SLACK_HISTORY_H
#define CANCELBOT_TESTS_FAKE_SLACK_HISTORY_H

#include <jansson.h>

struct fake_history;

struct fake_history *fake_history_new(void);
void fake_history_free(struct fake_history *h);
/* Keeps a copy of msg (the message chat.postMessage answered with: ts, thread_ts,
 * text, metadata) as posted in channel. */
void fake_history_add(struct fake_history *h, const char *channel, json_t *msg);
/* The answer to conversations.history or conversations.replies. New reference. */
json_t *fake_history_answer(struct fake_history *h, const char *method, json_t *body);

#endif
