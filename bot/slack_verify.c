/* bot/slack_verify.c -- the verify step's buttons in Slack. A Confirm or Discard click
 * is applied like any button; what the bot would say to the clicker at once (a
 * refusal) is captured, and the outcome replaces the preview through the click's
 * response_url ({"replace_original": true}, Slack's way to update an ephemeral
 * message), so no Confirm button stays on screen after use. A refusal that leaves the
 * draft open (a database error) comes as a new message and the preview stays.
 *
 * Nothing leaves before the turn's batch is committed: the answers are held here and
 * sent by slack_verify_flush; a batch that rolls back drops them (Slack redelivers the
 * click). A crash between the commit and the POST leaves the preview on screen; a
 * second click on it is refused ("already waiting for finance approval") and that
 * answer replaces it. Clicks without a response_url (App Home) get a refusal by DM,
 * and their Home tab is published again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/slack_chat.h"
#include "bot/slack_blocks.h"
#include "bot/log.h"

struct held_response {
    char *url;                   /* NULL: nothing to POST */
    json_t *body;
    char *dm_text;               /* sent by DM when there is no usable response_url */
    char user[USER_ID_MAX];
    int publish_home;            /* the click came from App Home: show it anew */
};

/* The outcome, for the clicker; *keep_preview when the draft is still open. Caller
 * frees; NULL when there is nothing to say (the request cannot be read). */
static char *outcome_text(struct slack_chat *sc, const char *id, const char *said,
                          int *keep_preview)
{
    struct request *rq = malloc(sizeof(*rq));
    char buf[200], state[40];
    int loaded;
    if (!rq)
        abort();
    loaded = store_load_request(bot_store(sc->bot), id, rq) == STORE_OK;
    *keep_preview = loaded && rq->state == REQUEST_DRAFT;
    buf[0] = '\0';
    if (said && *said) {
        free(rq);
        return strdup(said);
    }
    if (!loaded || rq->state == REQUEST_DRAFT) {
        /* nothing changed and nothing was said: nothing to report */
    } else if (rq->state == REQUEST_DISCARDED) {
        snprintf(buf, sizeof(buf), "Discarded: %s. Nothing was sent to finance or the "
                 "marketplace.", rq->id);
    } else if (rq->state == REQUEST_AWAITING_APPROVAL) {
        snprintf(buf, sizeof(buf), "Confirmed: %s is waiting for finance approval in the "
                 "thread.", rq->id);
    } else {
        snprintf(state, sizeof(state), "%s", request_state_name(rq->state));
        for (char *p = state; *p; p++)
            *p = *p == '_' ? ' ' : *p;
        snprintf(buf, sizeof(buf), "Confirmed: %s is %s; follow it in the thread.", rq->id,
                 state);
    }
    free(rq);
    return buf[0] ? strdup(buf) : NULL;
}

static void hold(struct slack_chat *sc, const struct held_response *r)
{
    if (sc->n_responses == sc->cap_responses) {
        size_t cap = sc->cap_responses ? sc->cap_responses * 2 : 8;
        struct held_response *grown = realloc(sc->responses, cap * sizeof(*grown));
        if (!grown)
            abort();
        sc->responses = grown;
        sc->cap_responses = cap;
    }
    sc->responses[sc->n_responses++] = *r;
}

void slack_verify_on_click(struct slack_chat *sc, const struct slack_frame *f,
                           const char *dedup_key)
{
    struct held_response r;
    char *said, *text, *safe = NULL;
    int keep_preview = 0, from_home = strcmp(f->action.container_type, "view") == 0;
    memset(&r, 0, sizeof(r));
    sc->capturing = 1;
    snprintf(sc->capture_user, sizeof(sc->capture_user), "%s", f->action.user_id);
    bot_on_button(sc->bot, f->action.user_id, f->action.channel_id, f->action.value,
                  f->action.action_id, "", dedup_key);
    sc->capturing = 0;
    said = sc->captured;
    sc->captured = NULL;
    json_decref(sc->captured_blocks);
    sc->captured_blocks = NULL;
    text = outcome_text(sc, f->action.value, said, &keep_preview);
    snprintf(r.user, sizeof(r.user), "%s", f->action.user_id);
    r.publish_home = from_home;
    if (text && (safe = slack_mrkdwn_escape(text, 3000))) {
        if (f->action.response_url[0]) {
            r.url = strdup(f->action.response_url);
            r.body = json_pack("{s:s, s:b, s:s, s:[{s:s, s:{s:s, s:s}}]}",
                               "response_type", "ephemeral", "replace_original", !keep_preview,
                               "text", safe, "blocks", "type", "section", "text", "type",
                               "mrkdwn", "text", safe);
        }
        if (said && *said)                   /* a refusal must reach them somehow */
            r.dm_text = strdup(safe);
    }
    if (r.url || r.dm_text || r.publish_home)
        hold(sc, &r);
    free(safe);
    free(text);
    free(said);
}

static void held_free(struct held_response *r)
{
    free(r->url);
    json_decref(r->body);
    free(r->dm_text);
}

void slack_verify_flush(struct slack_chat *sc, int committed)
{
    for (size_t i = 0; committed && i < sc->n_responses; i++) {
        struct held_response *r = &sc->responses[i];
        int sent = 0;
        if (r->url) {
            sent = slack_api_respond(sc->api, r->url, r->body, NULL, NULL) == 0;
            r->body = NULL;                  /* stolen either way */
            if (!sent)
                log_warn("slack: a click's response_url is not one of Slack's; not used");
        }
        if (!sent && r->dm_text && slack_dm_send(sc, r->user, r->dm_text, NULL, NULL, NULL))
            log_warn("slack: could not tell %s the outcome of their click", r->user);
        if (r->publish_home)
            slack_publish_home(sc, r->user);
    }
    for (size_t i = 0; i < sc->n_responses; i++)
        held_free(&sc->responses[i]);
    sc->n_responses = 0;
    if (!committed) {
        free(sc->responses);
        sc->responses = NULL;
        sc->cap_responses = 0;
    }
}
