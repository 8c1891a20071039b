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
#include "bot/slack_find.h"
#include "bot/log.h"

struct delivery {
    struct slack_chat *sc;
    chat_cb cb;
    void *ud;
    char method[32];
    int wants_ts;
    /* A message of a request in its channel: a refusal is told to the requester. */
    const char *what;            /* "the card", "a thread reply"; NULL: not one */
    char request_id[REQUEST_ID_MAX];
    char channel[CHANNEL_ID_MAX];
};

int slack_error_transient(const char *error)
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
    if (!ok && d->what && slack_error_unreachable(error))
        slack_dm_notice_once(d->sc, d->request_id, d->channel, error, d->what);
    d->cb(d->ud, ok ? CHAT_OK : slack_error_transient(error) ? CHAT_E_RETRY : CHAT_E_FAILED, ts);
    free(d);
}

/* what / request_id / channel: a message the flow depends on (NULL what: not one). */
static int deliver_for(struct slack_chat *sc, const char *method, json_t *args, int wants_ts,
                       const char *what, const char *request_id, const char *channel,
                       chat_cb cb, void *ud)
{
    struct delivery *d = calloc(1, sizeof(*d));
    if (!d || !args) {
        free(d);
        json_decref(args);
        return -1;
    }
    d->sc = sc;
    d->cb = cb;
    d->ud = ud;
    d->wants_ts = wants_ts;
    d->what = request_id && *request_id ? what : NULL;
    snprintf(d->request_id, sizeof(d->request_id), "%s", request_id ? request_id : "");
    snprintf(d->channel, sizeof(d->channel), "%s", channel ? channel : "");
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

/* key: the effect's, as message metadata (bot/slack_find.h) */
static void set_key(json_t *args, const char *key)
{
    if (args && key && *key)
        json_object_set_new(args, "metadata", slack_message_metadata(key));
}

static int slack_post_card(struct chat *chat, const char *channel, const struct card *card,
                           const char *key, chat_cb cb, void *ud)
{
    json_t *args = card_message(channel, card);
    set_key(args, key);
    return deliver_for(chat->impl, "chat.postMessage", args, 1, "the card", card->request_id,
                       channel, cb, ud);
}

static int slack_update_card(struct chat *chat, const char *channel, const char *ts,
                             const struct card *card, chat_cb cb, void *ud)
{
    json_t *args = card_message(channel, card);
    if (!args)
        return -1;
    json_object_set_new(args, "ts", json_string(ts));
    return deliver_for(chat->impl, "chat.update", args, 0, "an update of the card",
                       card->request_id, channel, cb, ud);
}

/* Messages carry users' own words (notes, reasons): escaped, so a note cannot ping
 * @channel or hide a link, while the bot's <@U...> mentions still notify. */
#define MESSAGE_TEXT_MAX 3000

static int slack_reply(struct chat *chat, const char *channel, const char *thread_ts,
                       const char *request_id, const char *text, const char *key, chat_cb cb,
                       void *ud)
{
    char *safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    json_t *args = safe ? json_pack("{s:s, s:s, s:b}", "channel", channel, "text", safe,
                                    "unfurl_links", 0) : NULL;
    free(safe);
    if (args && thread_ts && *thread_ts)
        json_object_set_new(args, "thread_ts", json_string(thread_ts));
    set_key(args, key);
    /* Its ts is kept (store_note_message): a reaction on it counts as on the card. */
    return deliver_for(chat->impl, "chat.postMessage", args, 1, "a thread reply", request_id,
                       channel, cb, ud);
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
    struct captured_done *d = malloc(sizeof(*d));
    if (!d)
        abort();
    if (add) {
        char *grown = realloc(sc->captured, old + add + 2);
        if (!grown)
            abort();
        if (old)
            grown[old++] = '\n';
        memcpy(grown + old, text, add + 1);
        sc->captured = grown;
    }
    d->cb = cb;
    d->ud = ud;
    loop_defer(bot_loop(sc->bot), captured_done_run, d);   /* delivered with the ack */
    return 0;
}

/* The verify prompt of a captured slash command (/cancel list mine): its blocks join
 * the ack, where Slack shows them reliably. Block Kit takes 50 blocks a message. */
#define CAPTURED_BLOCKS_MAX 45

static int capture_card(struct slack_chat *sc, const char *text, const struct card *card,
                        chat_cb cb, void *ud)
{
    json_t *blocks = slack_card_blocks(card), *b;
    char *safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    size_t i;
    if (!sc->captured_blocks)
        sc->captured_blocks = json_array();
    if (blocks && safe && sc->captured_blocks &&
        json_array_size(sc->captured_blocks) + json_array_size(blocks) + 1 <= CAPTURED_BLOCKS_MAX) {
        json_array_append_new(sc->captured_blocks,
                              json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                                        "type", "mrkdwn", "text", safe));
        json_array_foreach(blocks, i, b)
            json_array_append(sc->captured_blocks, b);
        json_decref(blocks);
        free(safe);
        return capture(sc, "", cb, ud);      /* done with the ack, like the text */
    }
    json_decref(blocks);
    free(safe);
    return capture(sc, text, cb, ud);       /* no room: the sentence alone */
}

struct ephemeral_try {
    struct slack_chat *sc;
    chat_cb cb;
    void *ud;
    char channel[CHANNEL_ID_MAX];
    char user[USER_ID_MAX];
    char *safe_text;
    json_t *blocks;              /* a copy, for the DM; NULL: text only */
};

static void ephemeral_try_free(struct ephemeral_try *t)
{
    free(t->safe_text);
    json_decref(t->blocks);
    free(t);
}

/* Slack does not show an ephemeral to a user outside the channel, nor post one where
 * the bot is not: then it goes by DM, saying why, so the verify step is not lost. */
static void on_ephemeral(void *ud, int ok, json_t *answer, const char *error)
{
    struct ephemeral_try *t = ud;
    (void)answer;
    if (!ok && slack_error_unreachable(error)) {
        log_warn("slack chat.postEphemeral to %s in %s refused (%s); sending it by DM",
                 t->user, t->channel, error);
        if (slack_dm_instead_of_ephemeral(t->sc, t->channel, t->user, error, t->safe_text,
                                          t->blocks, t->cb, t->ud) == 0) {
            t->blocks = NULL;                /* the DM owns them now */
            ephemeral_try_free(t);
            return;
        }
        t->blocks = NULL;
    }
    if (!ok)
        log_warn("slack chat.postEphemeral failed: %s", error ? error : "?");
    t->cb(t->ud, ok ? CHAT_OK : slack_error_transient(error) ? CHAT_E_RETRY : CHAT_E_FAILED,
          NULL);
    ephemeral_try_free(t);
}

static int slack_ephemeral(struct chat *chat, const char *channel, const char *user,
                           const char *text, const struct card *card, chat_cb cb, void *ud)
{
    struct slack_chat *sc = chat->impl;
    struct ephemeral_try *t;
    char *safe;
    json_t *args;
    if (sc->capturing && strcmp(user, sc->capture_user) == 0)
        return card ? capture_card(sc, text, card, cb, ud) : capture(sc, text, cb, ud);
    safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    args = safe ? json_pack("{s:s, s:s, s:s}", "channel", channel, "user", user,
                            "text", safe) : NULL;
    if (!(t = calloc(1, sizeof(*t))))
        abort();
    t->sc = sc;
    t->cb = cb;
    t->ud = ud;
    snprintf(t->channel, sizeof(t->channel), "%s", channel);
    snprintf(t->user, sizeof(t->user), "%s", user);
    t->safe_text = safe;
    if (args && card) {
        json_t *blocks = slack_card_blocks(card), *intro;
        if (blocks && (intro = json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                                         "type", "mrkdwn", "text", safe)))
            json_array_insert_new(blocks, 0, intro);
        if (blocks) {
            json_object_set_new(args, "blocks", blocks);
            t->blocks = json_deep_copy(blocks);
        }
    }
    if (!args || slack_api_call(sc->api, "chat.postEphemeral", SLACK_TOKEN_BOT, args,
                                on_ephemeral, t) != 0) {
        ephemeral_try_free(t);
        return -1;
    }
    return 0;
}

static int slack_direct(struct chat *chat, const char *user, const char *text, chat_cb cb,
                        void *ud)
{
    char *safe = slack_mrkdwn_escape(text, MESSAGE_TEXT_MAX);
    int rc = safe ? slack_dm_send(chat->impl, user, safe, NULL, cb, ud) : -1;
    free(safe);
    return rc;
}

static int slack_find(struct chat *chat, const char *channel, const char *thread_ts,
                      const char *key, chat_cb cb, void *ud)
{
    struct slack_chat *sc = chat->impl;
    return slack_find_posted(sc->api, channel, thread_ts, key, cb, ud);
}

static const struct chat_ops slack_chat_ops = {
    .name = "slack",
    .post_card = slack_post_card,
    .update_card = slack_update_card,
    .reply = slack_reply,
    .ephemeral = slack_ephemeral,
    .send_file = slack_send_file,
    .user_name = slack_user_name,
    .direct = slack_direct,
    .find_posted = slack_find,
};

void slack_chat_init(struct slack_chat *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->chat.ops = &slack_chat_ops;
    sc->chat.impl = sc;
    {
        const char *fail = getenv("CANCELBOT_FAULT_FAIL_COMMITS");
        sc->fault_commits = fail && *fail ? atoi(fail) : 0;
    }
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
