/* bot/slack_find.c -- looks for a message by its metadata key (see slack_find.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/slack_find.h"
#include "bot/slack_chat.h"
#include "bot/log.h"

/* A card is among the channel's newest messages when its run died, and replies land
 * in one thread: a few pages cover both; past them we post again rather than read a
 * channel's whole history (the duplicate is then possible, and logged). No "oldest":
 * the bot's clock and Slack's need not agree. */
#define FIND_MAX_PAGES 5
#define FIND_PAGE_LIMIT 200

struct find {
    struct slack_api *api;
    chat_cb cb;
    void *ud;
    char channel[CHANNEL_ID_MAX];
    char thread_ts[MSG_TS_MAX];     /* "": the channel's top level */
    char key[96];
    int pages;
};

json_t *slack_message_metadata(const char *key)
{
    return json_pack("{s:s, s:{s:s}}", "event_type", SLACK_MESSAGE_EVENT_TYPE, "event_payload",
                     "key", key);
}

static const char *message_key(json_t *message)
{
    json_t *meta = json_object_get(message, "metadata");
    const char *type = json_string_value(json_object_get(meta, "event_type"));
    if (!type || strcmp(type, SLACK_MESSAGE_EVENT_TYPE) != 0)
        return NULL;
    return json_string_value(json_object_get(json_object_get(meta, "event_payload"), "key"));
}

static int find_page(struct find *f, const char *cursor);

static void on_page(void *ud, int ok, json_t *answer, const char *error)
{
    struct find *f = ud;
    json_t *messages, *m;
    const char *cursor;
    size_t i;
    if (!ok) {
        log_warn("slack: cannot read %s to look for a message: %s", f->channel,
                 error ? error : "?");
        f->cb(f->ud, slack_error_transient(error) ? CHAT_E_RETRY : CHAT_E_FAILED, NULL);
        free(f);
        return;
    }
    messages = json_object_get(answer, "messages");
    json_array_foreach(messages, i, m) {
        const char *key = message_key(m), *ts = json_string_value(json_object_get(m, "ts"));
        if (key && ts && strcmp(key, f->key) == 0) {
            f->cb(f->ud, CHAT_OK, ts);
            free(f);
            return;
        }
    }
    cursor = json_string_value(json_object_get(json_object_get(answer, "response_metadata"),
                                               "next_cursor"));
    if (cursor && *cursor && ++f->pages < FIND_MAX_PAGES && find_page(f, cursor) == 0)
        return;
    if (cursor && *cursor)
        log_warn("slack: message %s not found in the last %d pages of %s; posting it", f->key,
                 f->pages, f->channel);
    f->cb(f->ud, CHAT_OK, NULL);
    free(f);
}

static int find_page(struct find *f, const char *cursor)
{
    json_t *args = json_pack("{s:s, s:s, s:i}", "channel", f->channel, "include_all_metadata",
                             "true", "limit", FIND_PAGE_LIMIT);
    const char *method = f->thread_ts[0] ? "conversations.replies" : "conversations.history";
    if (!args)
        return -1;
    if (f->thread_ts[0])
        json_object_set_new(args, "ts", json_string(f->thread_ts));
    if (cursor)
        json_object_set_new(args, "cursor", json_string(cursor));
    return slack_api_call(f->api, method, SLACK_TOKEN_BOT, args, on_page, f);
}

int slack_find_posted(struct slack_api *api, const char *channel, const char *thread_ts,
                      const char *key, chat_cb cb, void *ud)
{
    struct find *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->api = api;
    f->cb = cb;
    f->ud = ud;
    snprintf(f->channel, sizeof(f->channel), "%s", channel);
    snprintf(f->thread_ts, sizeof(f->thread_ts), "%s", thread_ts ? thread_ts : "");
    snprintf(f->key, sizeof(f->key), "%s", key);
    if (find_page(f, NULL) != 0) {
        free(f);
        return -1;
    }
    return 0;
}
