/* bot/slack_envelope.c -- what the bot does with each Socket Mode envelope.
 *
 * Order, always: persist, ack, act. "Persist" is the de-duplication key (envelope id,
 * event id, or card + action + user for a click) and, for clicks and reactions, the
 * transition itself, in the store's short transaction; then the ack goes out on the
 * socket (Slack's deadline is 3 s; we measure and log the worst); then everything
 * slow (views.open, marketplace look-ups, posting) is only queued, and the loop does
 * it. A redelivered envelope (retry_attempt > 0, or the same id again) is acked again
 * and acted on once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bot/slack_chat.h"
#include "bot/slack_blocks.h"
#include "bot/slack_event.h"
#include "bot/log.h"
#include "commands/cmd.h"

#define HOME_MAX 40

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* 1 when this key is new (and now recorded); 0 when seen; a store error counts as
 * new, since acting twice is refused by the state machine anyway, while dropping
 * would lose the user's click. */
static int first_time(struct slack_chat *sc, const char *prefix, const char *id)
{
    char key[300];
    int rc;
    if (!id[0])
        return 1;
    snprintf(key, sizeof(key), "%s:%s", prefix, id);
    rc = store_seen_once(bot_store(sc->bot), key, bot_now_ms(sc->bot));
    if (rc < 0)
        log_warn("slack: de-duplication unavailable (%s)", store_last_error(bot_store(sc->bot)));
    return rc != 0;
}

static void open_view(struct slack_chat *sc, const char *trigger_id, json_t *view)
{
    json_t *args;
    if (!view)
        return;
    args = json_pack("{s:s, s:o}", "trigger_id", trigger_id, "view", view);
    /* A trigger_id lives 3 s: this goes out on the next loop pass, right after the ack. */
    slack_api_call(sc->api, "views.open", SLACK_TOKEN_BOT, args, NULL, NULL);
}

/* Returns the ack payload: what the bot answered at once, shown to the user alone. */
static json_t *on_slash(struct slack_chat *sc, const struct slack_frame *f)
{
    const char *text = f->slash.text;
    json_t *payload = NULL;
    char *safe;
    while (*text == ' ')
        text++;
    if (!*text && (strcmp(f->slash.command, "/cancel") == 0 ||
                   strcmp(f->slash.command, "/refund") == 0)) {
        open_view(sc, f->slash.trigger_id,
                  slack_request_modal(f->slash.channel_id, f->slash.command + 1));
        return NULL;
    }
    sc->capturing = 1;
    snprintf(sc->capture_user, sizeof(sc->capture_user), "%s", f->slash.user_id);
    bot_on_command(sc->bot, f->slash.user_id, f->slash.channel_id, f->slash.command, text);
    sc->capturing = 0;
    if (sc->captured && (safe = slack_mrkdwn_escape(sc->captured, 3000))) {
        payload = json_pack("{s:s, s:s}", "response_type", "ephemeral", "text", safe);
        free(safe);
    }
    free(sc->captured);
    sc->captured = NULL;
    return payload;
}

static void on_block_action(struct slack_chat *sc, const struct slack_frame *f)
{
    char key[MSG_TS_MAX + SLACK_NAME_MAX + USER_ID_MAX + 8];
    const char *action = f->action.action_id;
    if (strcmp(action, SLACK_ACTION_REJECT) == 0) {
        /* A rejection needs a reason: ask for it in a form. */
        open_view(sc, f->action.trigger_id,
                  slack_reject_modal(f->action.value, f->action.channel_id));
        return;
    }
    if (strcmp(action, SLACK_ACTION_APPROVE) && strcmp(action, SLACK_ACTION_CONFIRM) &&
        strcmp(action, SLACK_ACTION_DISCARD))
        return;                 /* links and selects of ours need no action */
    snprintf(key, sizeof(key), "act:%s:%s:%s", f->action.message_ts, action, f->action.user_id);
    bot_on_button(sc->bot, f->action.user_id, f->action.channel_id, f->action.value, action,
                  "", key);
}

/* Returns the ack payload (a view's errors), or NULL to just close the form. */
static json_t *on_view_submission(struct slack_chat *sc, const struct slack_frame *f)
{
    const char *command = slack_modal_command(f);
    if (strcmp(f->view.callback_id, SLACK_CALLBACK_REJECT) == 0) {
        char id[REQUEST_ID_MAX], channel[CHANNEL_ID_MAX];
        const char *note = slack_view_value(f, "note");
        if (slack_reject_metadata(f->view.private_metadata, id, sizeof(id), channel,
                                  sizeof(channel)) != 0)
            return NULL;
        if (!note || !*note)
            return slack_view_errors("note", "A rejection needs a reason the requester can "
                                     "act on.");
        bot_on_button(sc->bot, f->view.user_id, channel, id, "reject", note, NULL);
        return NULL;
    }
    if (command) {
        char *text = malloc(SLACK_COMMAND_TEXT_MAX);
        struct cmd *c = malloc(sizeof(*c));
        struct cmd_error err;
        json_t *errors = NULL;
        if (!text || !c)
            abort();
        if (slack_modal_to_command_text(f, text, SLACK_COMMAND_TEXT_MAX) != 0) {
            errors = slack_view_errors("note", "This form could not be read; please try "
                                       "again or type the command.");
        } else if (cmd_parse(command, text, c, &err) != 0) {
            const char *kind = command + 1;
            errors = slack_request_modal_has_block(kind, err.field)
                         ? slack_view_errors(err.field, err.text)
                         : slack_view_errors("note", err.text);
        } else {
            bot_on_command(sc->bot, f->view.user_id, f->view.private_metadata, command, text);
        }
        free(text);
        free(c);
        return errors;
    }
    return NULL;
}

struct home_ctx {
    struct slack_home_item *items;
    size_t n;
    const char *user;
    int waiting;                 /* collect the ones waiting for an approver */
};

static int collect_home(void *ud, const struct request *rq)
{
    struct home_ctx *h = ud;
    struct slack_home_item *it;
    if (h->n >= HOME_MAX)
        return 1;
    if (h->waiting && (rq->state != REQUEST_AWAITING_APPROVAL ||
                       strcmp(rq->requester, h->user) == 0))
        return 0;
    it = &h->items[h->n++];
    memset(it, 0, sizeof(*it));
    snprintf(it->request_id, sizeof(it->request_id), "%s", rq->id);
    it->state = rq->state;
    snprintf(it->agreement_id, sizeof(it->agreement_id), "%s", rq->agreement.id);
    snprintf(it->requester, sizeof(it->requester), "%s", rq->requester);
    return 0;
}

static void publish_home(struct slack_chat *sc, const char *user)
{
    struct slack_home_item *mine = calloc(HOME_MAX, sizeof(*mine));
    struct slack_home_item *waiting = calloc(HOME_MAX, sizeof(*waiting));
    struct home_ctx hm = {mine, 0, user, 0}, hw = {waiting, 0, user, 1};
    json_t *view;
    if (!mine || !waiting)
        abort();
    store_list_requests(bot_store(sc->bot), STORE_LIST_MINE, user, 0, collect_home, &hm);
    /* Only approvers are shown what waits for approval. */
    if (policy_is_approver(bot_policy(sc->bot), user))
        store_list_requests(bot_store(sc->bot), STORE_LIST_PENDING, user, 0, collect_home, &hw);
    /* Open ones only, in "mine". */
    for (size_t i = 0; i < hm.n;) {
        if (request_is_terminal(mine[i].state))
            memmove(&mine[i], &mine[i + 1], (--hm.n - i) * sizeof(*mine));
        else
            i++;
    }
    if ((view = slack_home_view(mine, hm.n, waiting, hw.n)))
        slack_api_call(sc->api, "views.publish", SLACK_TOKEN_BOT,
                       json_pack("{s:s, s:o}", "user_id", user, "view", view), NULL, NULL);
    free(mine);
    free(waiting);
}

static void on_event(struct slack_chat *sc, const struct slack_frame *f)
{
    struct request *rq;
    int added = strcmp(f->event.type, "reaction_added") == 0;
    if (!first_time(sc, "evt", f->event.event_id))
        return;                 /* the same event in a new envelope */
    if (strcmp(f->event.type, "app_home_opened") == 0) {
        if (strcmp(f->event.tab, "home") == 0)
            publish_home(sc, f->event.user);
        return;
    }
    if (!added && strcmp(f->event.type, "reaction_removed") != 0)
        return;
    if (!(rq = malloc(sizeof(*rq))))
        abort();
    if (store_find_by_card(bot_store(sc->bot), f->event.item_ts, rq) == STORE_OK)
        bot_on_reaction(sc->bot, f->event.user, f->event.item_channel, rq->id,
                        f->event.reaction, added, NULL);
    free(rq);
}

static void send_ack(struct slack_conn *conn, const char *envelope_id, json_t *payload)
{
    char *payload_text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    size_t cap = strlen(envelope_id) + (payload_text ? strlen(payload_text) : 0) + 64;
    char *ack = malloc(cap);
    if (!ack)
        abort();
    if (slack_ack_json(envelope_id, payload_text, ack, cap) != 0 ||
        slack_socket_send(conn, ack) != 0)
        log_warn("slack: could not ack envelope %s", envelope_id);
    free(ack);
    free(payload_text);
}

void slack_chat_on_envelope(void *ud, struct slack_conn *conn, const char *text, size_t len)
{
    struct slack_chat *sc = ud;
    struct slack_frame *f = malloc(sizeof(*f));
    char err[256];
    json_t *payload = NULL;
    int64_t started = monotonic_us(), took;
    if (!f)
        abort();
    if (slack_frame_parse(text, len, f, err, sizeof(err)) != 0) {
        log_warn("slack: unreadable envelope (%s)", err);
        if (f->envelope_id[0])
            send_ack(conn, f->envelope_id, NULL);   /* never understood: stop redelivery */
        goto out;
    }
    sc->envelopes++;
    if (f->retry_attempt > 0)
        log_info("slack: envelope %s is retry %d (%s)", f->envelope_id, f->retry_attempt,
                 f->retry_reason);
    if (first_time(sc, "env", f->envelope_id)) {
        switch (f->kind) {
        case SLACK_FRAME_SLASH_COMMAND:   payload = on_slash(sc, f); break;
        case SLACK_FRAME_BLOCK_ACTION:    on_block_action(sc, f); break;
        case SLACK_FRAME_VIEW_SUBMISSION: payload = on_view_submission(sc, f); break;
        case SLACK_FRAME_EVENT:           on_event(sc, f); break;
        case SLACK_FRAME_HELLO:
        case SLACK_FRAME_DISCONNECT:
        case SLACK_FRAME_OTHER:
            break;
        }
    }
    send_ack(conn, f->envelope_id, payload);
    took = monotonic_us() - started;
    if (took > sc->worst_ack_us)
        sc->worst_ack_us = took;
    log_debug("slack: %s %s handled and acked in %lld us", slack_frame_kind_name(f->kind),
              f->envelope_id, (long long)took);
    if (sc->kick)
        sc->kick(sc->kick_ud);
out:
    json_decref(payload);
    free(f);
}
