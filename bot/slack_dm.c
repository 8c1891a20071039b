/* bot/slack_dm.c -- reaching the requester when the channel cannot: direct messages
 * (conversations.open, then chat.postMessage in the app's DM), the verify step sent
 * there when Slack refuses its ephemeral, and a private notice when Slack refuses a
 * message the flow depends on (the card, its thread). Each notice says what failed and
 * how to fix it, once per request and error: the outbox gives up a refused message,
 * and the next one of the same request would otherwise send the same notice again.
 *
 * Slack answers not_in_channel (the bot is not a member), channel_not_found (a
 * private channel it was not invited to, or a deleted one), is_archived, and, for
 * chat.postEphemeral only, user_not_in_channel (the user is not a member). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/slack_chat.h"
#include "bot/slack_blocks.h"
#include "bot/log.h"

#define DM_TEXT_MAX 3000

int slack_error_unreachable(const char *error)
{
    return error && (strcmp(error, "not_in_channel") == 0 ||
                     strcmp(error, "channel_not_found") == 0 ||
                     strcmp(error, "is_archived") == 0 ||
                     strcmp(error, "user_not_in_channel") == 0);
}

/* Only plain ids go into markup we write ourselves (<#C..>, <@U..>). */
static int plain_id(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

void slack_dm_fix(const struct slack_chat *sc, const char *error, const char *channel,
                  char *buf, size_t len)
{
    char where[CHANNEL_ID_MAX + 8], me[USER_ID_MAX + 8];
    if (plain_id(channel))
        snprintf(where, sizeof(where), "<#%s>", channel);
    else
        snprintf(where, sizeof(where), "that channel");
    if (plain_id(sc->bot_user))
        snprintf(me, sizeof(me), "<@%s>", sc->bot_user);
    else
        snprintf(me, sizeof(me), "@cancelbot");
    if (error && strcmp(error, "user_not_in_channel") == 0)
        snprintf(buf, len, "you are not a member of %s, and Slack shows my private messages "
                 "there only to its members. Fix: join %s, or ask in a channel you are in.",
                 where, where);
    else if (error && strcmp(error, "is_archived") == 0)
        snprintf(buf, len, "%s is archived. Fix: unarchive it, or ask in another channel.",
                 where);
    else if (error && strcmp(error, "channel_not_found") == 0)
        snprintf(buf, len, "I cannot see %s (a private channel I was not invited to, or a "
                 "deleted one). Fix: invite %s to %s (type /invite %s there), or ask in a "
                 "channel I am in.", where, me, where, me);
    else
        snprintf(buf, len, "I am not a member of %s. Fix: invite %s to %s (type /invite %s "
                 "there).", where, me, where, me);
}

struct dm_send {
    struct slack_chat *sc;
    char *text;                  /* mrkdwn, ready to send */
    json_t *blocks;              /* NULL: text only */
    chat_cb cb;                  /* NULL: fire and forget */
    void *ud;
    char user[USER_ID_MAX];
};

static void dm_done(struct dm_send *d, int ok, const char *error)
{
    if (!ok)
        log_warn("slack: direct message to %s failed: %s", d->user, error ? error : "?");
    if (d->cb)
        d->cb(d->ud, ok ? CHAT_OK : slack_error_transient(error) ? CHAT_E_RETRY
                                                                 : CHAT_E_FAILED, NULL);
    free(d->text);
    json_decref(d->blocks);
    free(d);
}

static void on_dm_posted(void *ud, int ok, json_t *answer, const char *error)
{
    (void)answer;
    dm_done(ud, ok, error);
}

static void on_dm_opened(void *ud, int ok, json_t *answer, const char *error)
{
    struct dm_send *d = ud;
    const char *channel = ok ? json_string_value(json_object_get(json_object_get(answer,
                                                                                 "channel"),
                                                                 "id"))
                             : NULL;
    json_t *args;
    if (!channel) {
        dm_done(d, 0, ok ? "no channel in the answer" : error);
        return;
    }
    args = json_pack("{s:s, s:s, s:b}", "channel", channel, "text", d->text, "unfurl_links", 0);
    if (args && d->blocks)
        json_object_set(args, "blocks", d->blocks);
    if (slack_api_call(d->sc->api, "chat.postMessage", SLACK_TOKEN_BOT, args, on_dm_posted,
                       d) != 0)
        dm_done(d, 0, "could not send the request");
}

int slack_dm_send(struct slack_chat *sc, const char *user, const char *text, json_t *blocks,
                  chat_cb cb, void *ud)
{
    struct dm_send *d = calloc(1, sizeof(*d));
    if (!d || !plain_id(user) || !(d->text = strdup(text))) {
        free(d);
        json_decref(blocks);
        return -1;
    }
    d->sc = sc;
    d->blocks = blocks;
    d->cb = cb;
    d->ud = ud;
    snprintf(d->user, sizeof(d->user), "%s", user);
    if (slack_api_call(sc->api, "conversations.open", SLACK_TOKEN_BOT,
                       json_pack("{s:s}", "users", user), on_dm_opened, d) != 0) {
        free(d->text);
        json_decref(d->blocks);
        free(d);
        return -1;
    }
    return 0;
}

static json_t *mrkdwn_section(const char *text)
{
    return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn",
                     "text", text);
}

int slack_dm_instead_of_ephemeral(struct slack_chat *sc, const char *channel, const char *user,
                                  const char *error, const char *safe_text, json_t *blocks,
                                  chat_cb cb, void *ud)
{
    char fix[600], *text = malloc(DM_TEXT_MAX + sizeof(fix) + 160);
    json_t *intro;
    int rc;
    if (!text)
        abort();
    slack_dm_fix(sc, error, channel, fix, sizeof(fix));
    snprintf(text, DM_TEXT_MAX + sizeof(fix) + 160,
             "This came here, in private, because I could not show it to you in the channel: "
             "%s", fix);
    if (blocks && (intro = json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements",
                                     "type", "mrkdwn", "text", text)))
        json_array_insert_new(blocks, 0, intro);
    else if (!blocks)
        blocks = json_pack("[o, o]", mrkdwn_section(safe_text),
                           json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements",
                                     "type", "mrkdwn", "text", text));
    /* The message's text: what notifications show. */
    snprintf(text, DM_TEXT_MAX + sizeof(fix) + 160, "%.*s\n(%s)", DM_TEXT_MAX, safe_text, fix);
    rc = slack_dm_send(sc, user, text, blocks, cb, ud);
    free(text);
    return rc;
}

void slack_dm_notice_once(struct slack_chat *sc, const char *request_id, const char *channel,
                          const char *error, const char *what)
{
    struct store *st = bot_store(sc->bot);
    struct request *rq = malloc(sizeof(*rq));
    char key[160], fix[600], text[1000];
    if (!rq)
        abort();
    if (store_load_request(st, request_id, rq) != STORE_OK || !plain_id(rq->requester))
        goto out;
    snprintf(key, sizeof(key), "notice:%s:%s", request_id, error);
    if (store_seen_once(st, key, bot_now_ms(sc->bot)) == 0)
        goto out;                          /* told already */
    slack_dm_fix(sc, error, channel, fix, sizeof(fix));
    snprintf(text, sizeof(text), "Slack refused %s of %s in %s%s%s: %s Until then finance may "
             "not see it there; /cancel status %s shows where it stands.", what, request_id,
             plain_id(channel) ? "<#" : "the channel", plain_id(channel) ? channel : "",
             plain_id(channel) ? ">" : "", fix, request_id);
    log_warn("%s: %s refused by Slack (%s); telling %s privately", request_id, what, error,
             rq->requester);
    if (slack_dm_send(sc, rq->requester, text, NULL, NULL, NULL) != 0)
        log_warn("%s: could not tell %s privately", request_id, rq->requester);
out:
    free(rq);
}
