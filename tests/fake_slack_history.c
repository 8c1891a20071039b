/* tests/fake_slack_history.c -- see fake_slack_history.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/fake_slack_history.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 999

struct fake_history {
    json_t *posted;                 /* [{channel, message}], in posting order */
};

struct fake_history *fake_history_new(void)
{
    struct fake_history *h = calloc(1, sizeof(*h));
    if (!h || !(h->posted = json_array())) {
        free(h);
        return NULL;
    }
    return h;
}

void fake_history_free(struct fake_history *h)
{
    if (!h)
        return;
    json_decref(h->posted);
    free(h);
}

void fake_history_add(struct fake_history *h, const char *channel, json_t *msg)
{
    json_array_append_new(h->posted, json_pack("{s:s, s:o}", "channel", channel,
                                               "message", json_deep_copy(msg)));
}

static const char *arg(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

static int arg_true(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    return json_is_true(v) || (json_is_string(v) && (!strcmp(json_string_value(v), "true") ||
                                                      !strcmp(json_string_value(v), "1")));
}

static long arg_long(json_t *body, const char *key, long dflt)
{
    json_t *v = json_object_get(body, key);
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v))
        return strtol(json_string_value(v), NULL, 10);
    return dflt;
}

static json_t *error(const char *e)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", e);
}

/* The thread's parent is a message of its own thread (Slack gives it thread_ts = ts). */
static int in_thread(json_t *m, const char *ts)
{
    const char *mts = arg(m, "ts"), *thread = arg(m, "thread_ts");
    return (mts && !strcmp(mts, ts)) || (thread && !strcmp(thread, ts));
}

static int top_level(json_t *m)
{
    const char *thread = arg(m, "thread_ts");
    return !thread || !strcmp(thread, arg(m, "ts"));
}

json_t *fake_history_answer(struct fake_history *h, const char *method, json_t *body)
{
    const char *channel = arg(body, "channel"), *ts = arg(body, "ts");
    const char *oldest = arg(body, "oldest"), *cursor = arg(body, "cursor");
    int replies = !strcmp(method, "conversations.replies"), metadata;
    long limit = arg_long(body, "limit", DEFAULT_LIMIT), skip = 0, n = 0, total;
    json_t *all = json_array(), *page = json_array(), *entry, *answer;
    size_t i;
    if (!channel)
        return json_decref(all), json_decref(page), error("channel_not_found");
    if (replies && !ts)
        return json_decref(all), json_decref(page), error("thread_not_found");
    if (limit <= 0 || limit > MAX_LIMIT)
        limit = DEFAULT_LIMIT;
    if (cursor && *cursor && sscanf(cursor, "off:%ld", &skip) != 1)
        return json_decref(all), json_decref(page), error("invalid_cursor");
    metadata = arg_true(body, "include_all_metadata");
    json_array_foreach(h->posted, i, entry) {
        json_t *m = json_object_get(entry, "message");
        if (strcmp(arg(entry, "channel"), channel) != 0)
            continue;
        if (replies ? !in_thread(m, ts)
                    : !top_level(m) || (oldest && strtod(arg(m, "ts"), NULL) <= strtod(oldest, NULL)))
            continue;
        if (replies)
            json_array_append(all, m);
        else
            json_array_insert(all, 0, m);       /* newest first */
    }
    total = (long)json_array_size(all);
    if (replies && total == 0) {
        json_decref(all);
        json_decref(page);
        return error("thread_not_found");
    }
    for (long k = skip; k < total && n < limit; k++, n++) {
        json_t *m = json_deep_copy(json_array_get(all, (size_t)k));
        if (!metadata)
            json_object_del(m, "metadata");
        json_array_append_new(page, m);
    }
    answer = json_pack("{s:b, s:o, s:b}", "ok", 1, "messages", page, "has_more",
                       skip + n < total);
    if (skip + n < total) {
        char next[32];
        snprintf(next, sizeof(next), "off:%ld", skip + n);
        json_object_set_new(answer, "response_metadata", json_pack("{s:s}", "next_cursor", next));
    }
    json_decref(all);
    return answer;
}
