/* bot/slack_chat.c -- the Slack adapter: chat_ops over the Web API, and the Socket
 * Mode envelope handler (bot/slack_envelope.c). A delivery that Slack rate-limits is
 * retried inside slack_api after Retry-After; what still fails comes back to the
 * outbox as CHAT_E_RETRY (transient) or CHAT_E_FAILED (Slack's error logged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/slack_chat.h"
#include "bot/slack_blocks.h"
#include "bot/slack_files.h"
#include "bot/log.h"

struct delivery {
    chat_cb cb;
    void *ud;
    char method[32];
    int wants_ts;
};

static int transient(const char *error)
{
    return !error || strcmp(error, "ratelimited") == 0 || strcmp(error, "slack_server_error") == 0 ||
           strcmp(error, "invalid_response") == 0 || strcmp(error, "internal_error") == 0 ||
           strcmp(error, "fatal_error") == 0 || strcmp(error, "service_unavailable") == 0 ||
           strcmp(error, "request_timeout") == 0 || strncmp(error, "Operation timed out", 19) == 0 ||
           strstr(error, "onnect") != NULL;
}

static void on_delivered(void *ud, int ok, json_t *answer, const char *error)
{
    struct delivery *d = ud;
    const char *ts = NULL;
    if (ok && d->wants_ts)
        ts = json_string_value(json_object_get(answer, "ts"));
    if (!ok)
        log_warn("slack %s failed: %s", d->method, error ? error : "?");
    d->cb(d->ud, ok ? CHAT_OK : transient(error) ? CHAT_E_RETRY : CHAT_E_FAILED, ts);
    free(d);
}

static int deliver(struct slack_chat *sc, const char *method, json_t *args, int wants_ts,
                   chat_cb cb, void *ud)
{
    struct delivery *d = calloc(1, sizeof(*d));
    if (!d || !args) {
        free(d);
        json_decref(args);
        return -1;
    }
    d->cb = cb;
    d->ud = ud;
    d->wants_ts = wants_ts;
    snprintf(d->method, sizeof(d->method), "%s", method);
    if (slack_api_call(sc->api, method, SLACK_TOKEN_BOT, args, on_delivered, d) != 0) {
        free(d);
        return -1;
    }
    return 0;
}

static json_t *card_message(const char *channel, const struct card *card)
{
    char fallback[400];
    json_t *blocks = slack_card_blocks(card);
    if (!blocks)
        return NULL;
    slack_card_fallback_text(card, fallback, sizeof(fallback));
    return json_pack("{s:s, s:s, s:o, s:b}", "channel", channel, "text", fallback, "blocks",
                     blocks, "unfurl_links", 0);
}

static int slack_post_card(struct chat *chat, const char *channel, const struct card *card,
                           chat_cb cb, void *ud)
{
    return deliver(chat->impl, "chat.postMessage", card_message(channel, card), 1, cb, ud);
}

static int slack_update_card(struct chat *chat, const char *channel, const char *ts,
                             const struct card *card, chat_cb cb, void *ud)
{
    json_t *args = card_message(channel, card);
    if (!args)
        return -1;
    json_object_set_new(args, "ts", json_string(ts));
    return deliver(chat->impl, "chat.update", args, 0, cb, ud);
}

/* Messages carry users' own words (notes, reasons): escaped, so a note cannot ping
 * @channel or hide a link, while the bot's <@U...> mentions still notify. */
#define MESSAGE_TEXT_MAX 3000

static int slack_reply(struct chat *chat, const char *channel, const char *thread_ts,
                       const char *request_id, const char *text, chat_cb cb, void *ud)
{
    char *safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    json_t *args = safe ? json_pack("{s:s, s:s, s:b}", "channel", channel, "text", safe,
                                    "unfurl_links", 0) : NULL;
    (void)request_id;
    free(safe);
    if (args && thread_ts && *thread_ts)
        json_object_set_new(args, "thread_ts", json_string(thread_ts));
    /* Its ts is kept (store_note_message): a reaction on it counts as on the card. */
    return deliver(chat->impl, "chat.postMessage", args, 1, cb, ud);
}

struct captured_done {
    chat_cb cb;
    void *ud;
};

static void captured_done_run(void *arg)
{
    struct captured_done *d = arg;
    d->cb(d->ud, CHAT_OK, NULL);
    free(d);
}

/* Keeps text for the slash command's ack; several sentences are joined by lines. */
static int capture(struct slack_chat *sc, const char *text, chat_cb cb, void *ud)
{
    size_t old = sc->captured ? strlen(sc->captured) : 0, add = strlen(text);
    char *grown = realloc(sc->captured, old + add + 2);
    struct captured_done *d = malloc(sizeof(*d));
    if (!grown || !d)
        abort();
    if (old)
        grown[old++] = '\n';
    memcpy(grown + old, text, add + 1);
    sc->captured = grown;
    d->cb = cb;
    d->ud = ud;
    loop_defer(bot_loop(sc->bot), captured_done_run, d);   /* delivered with the ack */
    return 0;
}

static int slack_ephemeral(struct chat *chat, const char *channel, const char *user,
                           const char *text, const struct card *card, chat_cb cb, void *ud)
{
    struct slack_chat *sc = chat->impl;
    char *safe;
    json_t *args;
    if (sc->capturing && !card && strcmp(user, sc->capture_user) == 0)
        return capture(sc, text, cb, ud);
    safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    args = safe ? json_pack("{s:s, s:s, s:s}", "channel", channel, "user", user,
                            "text", safe) : NULL;
    if (args && card) {
        json_t *blocks = slack_card_blocks(card), *intro;
        if (blocks && (intro = json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                                         "type", "mrkdwn", "text", safe)))
            json_array_insert_new(blocks, 0, intro);
        if (blocks)
            json_object_set_new(args, "blocks", blocks);
    }
    free(safe);
    return deliver(chat->impl, "chat.postEphemeral", args, 0, cb, ud);
}

static const struct chat_ops slack_chat_ops = {
    .name = "slack",
    .post_card = slack_post_card,
    .update_card = slack_update_card,
    .reply = slack_reply,
    .ephemeral = slack_ephemeral,
    .send_file = slack_send_file,
    .user_name = slack_user_name,
};

void slack_chat_init(struct slack_chat *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->chat.ops = &slack_chat_ops;
    sc->chat.impl = sc;
    sc->fault_envelope = getenv("CANCELBOT_FAULT_KILL_AFTER_DEDUP");
    if (sc->fault_envelope && !*sc->fault_envelope)
        sc->fault_envelope = NULL;
}

/* ---- approvers given as a user group ---- */

#define GROUP_REFRESH_MS (10 * 60 * 1000)

static int in_group(void *ud, const char *user)
{
    struct slack_chat *sc = ud;
    for (int i = 0; i < sc->n_group; i++)
        if (strcmp(sc->group[i], user) == 0)
            return 1;
    return 0;
}

static void schedule_group_refresh(struct slack_chat *sc);

static void on_group(void *ud, int ok, json_t *answer, const char *error)
{
    struct slack_chat *sc = ud;
    json_t *users = ok ? json_object_get(answer, "users") : NULL;
    size_t i;
    json_t *u;
    if (!ok || !json_is_array(users)) {
        /* Keep the members we knew: a Slack hiccup must not remove every approver. */
        log_warn("slack: usergroups.users.list failed (%s); keeping %d known member(s)",
                 error ? error : "no users", sc->n_group);
    } else {
        sc->n_group = 0;
        json_array_foreach(users, i, u) {
            if (json_is_string(u) && sc->n_group < SLACK_GROUP_MAX)
                snprintf(sc->group[sc->n_group++], USER_ID_MAX, "%s", json_string_value(u));
        }
        log_info("slack: approver group %s has %d member(s)",
                 bot_policy(sc->bot)->approver_group, sc->n_group);
    }
    schedule_group_refresh(sc);
}

struct group_tick {
    struct slack_chat *sc;
};

static void fetch_group(struct slack_chat *sc)
{
    slack_api_call(sc->api, "usergroups.users.list", SLACK_TOKEN_BOT,
                   json_pack("{s:s}", "usergroup", bot_policy(sc->bot)->approver_group),
                   on_group, sc);
}

static void group_refresh_task(void *arg)
{
    struct group_tick *t = arg;
    fetch_group(t->sc);
    free(t);
}

static void schedule_group_refresh(struct slack_chat *sc)
{
    struct group_tick *t = malloc(sizeof(*t));
    if (!t)
        abort();
    t->sc = sc;
    loop_defer_at(bot_loop(sc->bot), bot_now_ms(sc->bot) + GROUP_REFRESH_MS, group_refresh_task,
                  t);
}

void slack_chat_start(struct slack_chat *sc)
{
    bot_set_group_check(sc->bot, in_group, sc);
    if (bot_policy(sc->bot)->approver_group[0])
        fetch_group(sc);
}
