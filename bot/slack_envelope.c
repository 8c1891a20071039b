/* bot/slack_envelope.c -- what the bot does with each Socket Mode envelope.
 *
 * Order, always: persist, ack, act. "Persist" is the de-duplication key (envelope id,
 * event id, or card + action + user for a click), the transition it causes (clicks,
 * reactions) or the slash command's intent, all in the loop turn's batch: every
 * envelope that arrives in one turn is written in one transaction (one fsync), and
 * only once it is committed do their acks go out (slack_chat_flush), so a crash
 * anywhere before leaves nothing half-done and Slack redelivers. Then everything slow
 * (views.open, marketplace look-ups, posting) is only queued, and the loop does it.
 * A redelivered envelope (retry_attempt > 0, or the same id again) is acked again
 * and acted on once. Slack's deadline is 3 s; we measure and log the worst. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bot/slack_chat.h"
#include "bot/slack_blocks.h"
#include "bot/slack_event.h"
#include "bot/service.h"
#include "bot/log.h"
#include "commands/cmd.h"

#define HOME_MAX 40
#define REACTION_HOLD_MS 250         /* a card's ts may land just after a reaction */
#define REACTION_HOLD_TRIES 20

/* An ack waiting for its batch's commit. The connection is named by its id: it may
 * close before the flush. */
struct held_ack {
    struct slack_socket *socket;
    int conn_id;
    char *frame;
    int64_t received_us;
    /* What to do if the turn's commit fails: events are left unacked (Slack sends
     * them again); a person's slash command or click gets a visible "try again". */
    enum slack_frame_kind kind;
    enum metrics_envelope type;          /* for /metrics */
    char envelope_id[SLACK_ENVELOPE_ID_MAX];
    char *response_url;                  /* a click's, for its "try again"; or NULL */
    int unpersisted;                     /* not acted on (no database): "try again" */
};

static char *ack_frame(const char *envelope_id, json_t *payload);

#define TRY_AGAIN_TEXT "Sorry, I could not record that: the database is not answering. " \
                       "Nothing changed; please try again in a minute."

/* The turn's commit failed: nothing of it is kept. Slack redelivers events that were
 * not acknowledged, but not what a person did: they are told, so they can do it
 * again. A slash command's ack carries the sentence; a click's goes through its
 * response_url (its ack carries nothing Slack shows); a form left unacked shows
 * Slack's own error in the form. */
static void answer_unpersisted(struct slack_chat *sc, struct held_ack *a)
{
    char *frame = NULL;
    json_t *payload;
    switch (a->kind) {
    case SLACK_FRAME_SLASH_COMMAND:
        payload = json_pack("{s:s, s:s}", "response_type", "ephemeral", "text", TRY_AGAIN_TEXT);
        frame = ack_frame(a->envelope_id, payload);
        json_decref(payload);
        break;
    case SLACK_FRAME_BLOCK_ACTION:
        frame = ack_frame(a->envelope_id, NULL);
        if (a->response_url &&
            slack_api_respond(sc->api, a->response_url,
                              json_pack("{s:s, s:b, s:s}", "response_type", "ephemeral",
                                        "replace_original", 0, "text", TRY_AGAIN_TEXT),
                              NULL, NULL) != 0)
            log_warn("slack: could not tell the clicker of envelope %s to try again",
                     a->envelope_id);
        break;
    default:
        return;                          /* redelivered by Slack */
    }
    if (!frame || slack_socket_send_to(a->socket, a->conn_id, frame) != 0)
        log_warn("slack: could not answer envelope %s", a->envelope_id);
    free(frame);
}

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

/* Stores a slash command before its ack, in the turn's batch; 0 when it could not be
 * (the command still runs, it just would not survive a crash). */
static int64_t store_command_intent(struct slack_chat *sc, const char *user, const char *channel,
                                    const char *command, const char *text)
{
    struct store_intent *in = calloc(1, sizeof(*in));
    int64_t id = 0;
    if (!in)
        abort();
    snprintf(in->user, sizeof(in->user), "%s", user);
    snprintf(in->channel, sizeof(in->channel), "%s", channel);
    snprintf(in->command, sizeof(in->command), "%s", command);
    snprintf(in->text, sizeof(in->text), "%s", text);
    if (store_intent_add(bot_store(sc->bot), in, bot_now_ms(sc->bot), bot_lease_ms(sc->bot),
                         &id) != STORE_OK) {
        log_warn("slack: could not store %s by %s before acking it: %s", command, user,
                 store_last_error(bot_store(sc->bot)));
        id = 0;
    }
    free(in);
    return id;
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
    bot_on_command_intent(sc->bot, f->slash.user_id, f->slash.channel_id, f->slash.command,
                          text, store_command_intent(sc, f->slash.user_id,
                                                     f->slash.channel_id, f->slash.command,
                                                     text));
    sc->capturing = 0;
    if (sc->captured && (safe = slack_mrkdwn_escape(sc->captured, 3000))) {
        payload = json_pack("{s:s, s:s}", "response_type", "ephemeral", "text", safe);
        /* With verify prompts (drafts in /cancel list mine) the text leads the blocks:
         * a message with blocks shows them, not its text. */
        if (payload && sc->captured_blocks) {
            json_array_insert_new(sc->captured_blocks, 0,
                                  json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                                            "type", "mrkdwn", "text", safe));
            json_object_set(payload, "blocks", sc->captured_blocks);
        }
        free(safe);
    }
    json_decref(sc->captured_blocks);
    sc->captured_blocks = NULL;
    free(sc->captured);
    sc->captured = NULL;
    return payload;
}

static void on_block_action(struct slack_chat *sc, const struct slack_frame *f)
{
    char key[SLACK_ID_MAX + MSG_TS_MAX + REQUEST_ID_MAX + SLACK_NAME_MAX + USER_ID_MAX + 8];
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
    if (f->action.message_ts[0])
        snprintf(key, sizeof(key), "act:%s:%s:%s", f->action.message_ts, action,
                 f->action.user_id);
    else                        /* App Home: one view holds every draft's button */
        snprintf(key, sizeof(key), "act:%s:%.*s:%s:%s", f->action.view_id, REQUEST_ID_MAX,
                 f->action.value, action, f->action.user_id);
    if (strcmp(action, SLACK_ACTION_APPROVE) != 0) {
        slack_verify_on_click(sc, f, key);
        return;
    }
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
            bot_on_command_intent(sc->bot, f->view.user_id, f->view.private_metadata, command,
                                  text, store_command_intent(sc, f->view.user_id,
                                                             f->view.private_metadata,
                                                             command, text));
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

void slack_publish_home(struct slack_chat *sc, const char *user)
{
    struct slack_home_item *mine = calloc(HOME_MAX, sizeof(*mine));
    struct slack_home_item *waiting = calloc(HOME_MAX, sizeof(*waiting));
    struct home_ctx hm = {mine, 0, user, 0}, hw = {waiting, 0, user, 1};
    json_t *view;
    if (!mine || !waiting)
        abort();
    /* Bounded reads from the indexes: the Home tab costs the same whatever the
     * record holds. Others' requests waiting for approval: twice the room, since the
     * approver's own are skipped. */
    store_list_requests(bot_store(sc->bot), STORE_LIST_MINE_OPEN, user, HOME_MAX, collect_home,
                        &hm);
    /* Only approvers, named or through the user group, are shown what waits. */
    if (bot_may_approve(sc->bot, user))
        store_list_requests(bot_store(sc->bot), STORE_LIST_PENDING, user, 2 * HOME_MAX,
                            collect_home, &hw);
    if ((view = slack_home_view(mine, hm.n, waiting, hw.n)))
        slack_api_call(sc->api, "views.publish", SLACK_TOKEN_BOT,
                       json_pack("{s:s, s:o}", "user_id", user, "view", view), NULL, NULL);
    free(mine);
    free(waiting);
}

struct held_reaction {
    struct slack_chat *sc;
    int tries;
    int added;
    char user[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    char item_ts[MSG_TS_MAX];
    char reaction[64];
};

/* A reaction names the card by its ts, which the bot stores when chat.postMessage
 * answers; a quick approver can react before that answer is in. So a reaction on an
 * unknown ts is held and tried again for a few seconds before it is let go (with a
 * log line: most reactions are on ordinary messages). */
static void try_reaction(void *arg)
{
    struct held_reaction *h = arg;
    struct request *rq = malloc(sizeof(*rq));
    int rc;
    if (!rq)
        abort();
    rc = store_find_by_message(bot_store(h->sc->bot), h->item_ts, rq);
    if (rc == STORE_OK) {
        if (h->tries > 0)
            log_info("slack: reaction on %s matched %s after %d ms", h->item_ts, rq->id,
                     h->tries * REACTION_HOLD_MS);
        bot_on_reaction(h->sc->bot, h->user, h->channel, rq->id, h->reaction, h->added, NULL);
    } else if (++h->tries <= REACTION_HOLD_TRIES) {
        loop_defer_background_at(bot_loop(h->sc->bot), bot_now_ms(h->sc->bot) + REACTION_HOLD_MS,
                                 try_reaction, h);
        h = NULL;                        /* the loop owns it now */
    } else {
        log_info("slack: reaction :%s: by %s on %s is on no request's card; ignored",
                 h->reaction, h->user, h->item_ts);
    }
    free(rq);
    free(h);
}

static void on_event(struct slack_chat *sc, const struct slack_frame *f)
{
    struct held_reaction *h;
    int added = strcmp(f->event.type, "reaction_added") == 0;
    if (!first_time(sc, "evt", f->event.event_id))
        return;                 /* the same event in a new envelope */
    if (strcmp(f->event.type, "app_home_opened") == 0) {
        if (strcmp(f->event.tab, "home") == 0)
            slack_publish_home(sc, f->event.user);
        return;
    }
    if (!added && strcmp(f->event.type, "reaction_removed") != 0)
        return;
    if (!f->event.item_ts[0])
        return;
    if (!(h = calloc(1, sizeof(*h))))
        abort();
    h->sc = sc;
    h->added = added;
    snprintf(h->user, sizeof(h->user), "%s", f->event.user);
    snprintf(h->channel, sizeof(h->channel), "%s", f->event.item_channel);
    snprintf(h->item_ts, sizeof(h->item_ts), "%s", f->event.item_ts);
    snprintf(h->reaction, sizeof(h->reaction), "%s", f->event.reaction);
    try_reaction(h);
}

static char *ack_frame(const char *envelope_id, json_t *payload)
{
    char *payload_text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    size_t cap = strlen(envelope_id) + (payload_text ? strlen(payload_text) : 0) + 64;
    char *ack = malloc(cap);
    if (!ack)
        abort();
    if (slack_ack_json(envelope_id, payload_text, ack, cap) != 0) {
        free(ack);
        ack = NULL;
    }
    free(payload_text);
    return ack;
}

/* Not persisted (an envelope never understood): acked at once, to stop its
 * redelivery. 0 when queued. */
static int send_ack_now(struct slack_conn *conn, const char *envelope_id)
{
    char *ack = ack_frame(envelope_id, NULL);
    int rc = ack && slack_socket_send(conn, ack) == 0 ? 0 : -1;
    if (rc)
        log_warn("slack: could not ack envelope %s", envelope_id);
    free(ack);
    return rc;
}

static struct held_ack *hold_ack(struct slack_chat *sc, struct slack_conn *conn,
                                 const struct slack_frame *f, json_t *payload,
                                 int64_t received_us)
{
    const char *envelope_id = f->envelope_id;
    struct held_ack *a;
    char *frame = ack_frame(envelope_id, payload);
    if (!frame) {
        log_warn("slack: could not ack envelope %s (ack too large)", envelope_id);
        return NULL;
    }
    if (sc->n_acks == sc->cap_acks) {
        size_t cap = sc->cap_acks ? sc->cap_acks * 2 : 16;
        struct held_ack *grown = realloc(sc->acks, cap * sizeof(*grown));
        if (!grown)
            abort();
        sc->acks = grown;
        sc->cap_acks = cap;
    }
    a = &sc->acks[sc->n_acks++];
    a->socket = slack_conn_socket(conn);
    a->conn_id = slack_conn_id(conn);
    a->frame = frame;
    a->received_us = received_us;
    a->kind = f->kind;
    a->type = metrics_envelope_from_type(f->type);
    snprintf(a->envelope_id, sizeof(a->envelope_id), "%s", envelope_id);
    a->response_url = f->kind == SLACK_FRAME_BLOCK_ACTION && f->action.response_url[0]
                          ? strdup(f->action.response_url) : NULL;
    a->unpersisted = 0;
    return a;
}

void slack_chat_free_acks(struct slack_chat *sc)
{
    for (size_t i = 0; i < sc->n_acks; i++) {
        free(sc->acks[i].frame);
        free(sc->acks[i].response_url);
    }
    free(sc->acks);
    sc->acks = NULL;
    sc->n_acks = sc->cap_acks = 0;
    slack_verify_flush(sc, 0);
}

size_t slack_chat_flush(struct slack_chat *sc)
{
    struct store *st = bot_store(sc->bot);
    struct metrics *m = bot_metrics(sc->bot);
    size_t sent = 0;
    int64_t now;
    if (sc->batch_open) {
        const char *why = NULL;
        sc->batch_open = 0;
        bot_hold_effects(sc->bot, 0);
        if (sc->fault_commits > 0) {     /* CANCELBOT_FAULT_FAIL_COMMITS: tests */
            sc->fault_commits--;
            store_batch_rollback(st);
            why = "fault injection";
        } else if (store_batch_commit(st) != STORE_OK) {
            why = store_last_error(st);
        }
        if (why) {
            /* Nothing of the turn is kept, so nothing of it is acked as done: Slack
             * sends events again, and people are asked to try again. */
            log_error("slack: could not persist %zu envelope(s) (%s); events are left for "
                      "Slack to redeliver, commands and clicks are answered \"try again\"",
                      sc->n_acks, why);
            for (size_t i = 0; i < sc->n_acks; i++) {
                answer_unpersisted(sc, &sc->acks[i]);
                free(sc->acks[i].frame);
                free(sc->acks[i].response_url);
            }
            sc->n_acks = 0;
            slack_verify_flush(sc, 0);
            return 0;
        }
    }
    slack_verify_flush(sc, 1);
    now = monotonic_us();
    for (size_t i = 0; i < sc->n_acks; i++) {
        struct held_ack *a = &sc->acks[i];
        if (a->unpersisted)
            answer_unpersisted(sc, a);
        else if (slack_socket_send_to(a->socket, a->conn_id, a->frame) == 0) {
            sent++;
            m->envelopes_acked[a->type]++;
            metrics_observe(&m->ack_seconds, (double)(now - a->received_us) / 1e6);
        } else
            log_warn("slack: the connection of an envelope closed before its ack; Slack "
                     "redelivers it");
        if (now - a->received_us > sc->worst_ack_us)
            sc->worst_ack_us = now - a->received_us;
        free(a->frame);
        free(a->response_url);
    }
    if (sc->n_acks)
        log_debug("slack: %zu envelope(s) persisted in one commit and acked", sc->n_acks);
    sc->n_acks = 0;
    return sent;
}

void slack_chat_on_envelope(void *ud, struct slack_conn *conn, const char *text, size_t len)
{
    struct slack_chat *sc = ud;
    struct slack_frame *f = malloc(sizeof(*f));
    char err[256];
    json_t *payload = NULL;
    int64_t received = monotonic_us();
    struct log_ctx lc = {NULL, NULL, NULL, NULL, NULL};
    if (!f)
        abort();
    if (slack_frame_parse(text, len, f, err, sizeof(err)) != 0) {
        log_warn("slack: unreadable envelope (%s)", err);
        bot_metrics(sc->bot)->envelopes_received[METRICS_ENV_OTHER]++;
        if (f->envelope_id[0] && send_ack_now(conn, f->envelope_id) == 0)
            bot_metrics(sc->bot)->envelopes_acked[METRICS_ENV_OTHER]++;
        goto out;
    }
    sc->envelopes++;
    bot_metrics(sc->bot)->envelopes_received[metrics_envelope_from_type(f->type)]++;
    lc.envelope_id = f->envelope_id;
    if (f->retry_attempt > 0)
        log_info_ctx(&lc, "slack: envelope %s is retry %d (%s)", f->envelope_id,
                     f->retry_attempt, f->retry_reason);
    /* Without a batch (the write lock could not be had) each write commits alone:
     * still persisted before the ack, only slower. */
    if (!sc->batch_open && store_batch_begin(bot_store(sc->bot)) == STORE_OK) {
        sc->batch_open = 1;
        bot_hold_effects(sc->bot, 1);
    }
    /* No database (PostgreSQL's connection lost, store.h): nothing can be kept, so
     * nothing is done; answered at the flush as a failed commit would be. */
    if (!sc->batch_open && !store_is_up(bot_store(sc->bot))) {
        struct held_ack *a = hold_ack(sc, conn, f, NULL, received);
        if (a)
            a->unpersisted = 1;
        log_warn_ctx(&lc, "slack: %s %s not acted on: the database is unreachable (%s)",
                     slack_frame_kind_name(f->kind), f->envelope_id,
                     store_last_error(bot_store(sc->bot)));
        if (sc->kick)
            sc->kick(sc->kick_ud);
        goto out;
    }
    if (first_time(sc, "env", f->envelope_id)) {
        if (sc->fault_envelope && strcmp(sc->fault_envelope, f->envelope_id) == 0) {
            log_warn("fault injection: killing the process after the de-duplication key of "
                     "%s, before what it causes", f->envelope_id);
            fflush(NULL);
            raise(SIGKILL);
        }
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
    hold_ack(sc, conn, f, payload, received);
    log_debug_ctx(&lc, "slack: %s %s persisted in %lld us, ack held for the commit",
                  slack_frame_kind_name(f->kind), f->envelope_id,
                  (long long)(monotonic_us() - received));
    if (sc->kick)
        sc->kick(sc->kick_ud);
out:
    json_decref(payload);
    free(f);
}
