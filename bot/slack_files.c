/* bot/slack_files.c -- a file for one user, and users' display names.
 *
 * A file goes out in four asynchronous steps, each a later loop tick, each with a
 * timeout (slack_api's per call, 60 s for the bytes): conversations.open with the
 * user (the bot's direct conversation with them), files.getUploadURLExternal
 * (filename, length), a POST of the bytes to the upload URL, then
 * files.completeUploadExternal with channel_id = that conversation, which shares it.
 * Why a direct message and not the channel's thread: the export holds every
 * request's notes, buyers and values; a thread is read by the whole channel, and
 * ephemeral messages cannot carry files. The first failure ends the delivery with a
 * sentence naming what failed and the fix (a missing scope names the scope).
 *
 * Names come from users.info and are kept for an hour, so an export of a record with
 * many people asks Slack about each of them at most once an hour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/slack_chat.h"
#include "bot/slack_files.h"
#include "bot/log.h"

#define NAME_TTL_MS (60 * 60 * 1000)
#define NAMES_MAX 1000

enum send_step { STEP_OPEN, STEP_URL, STEP_BYTES, STEP_COMPLETE };

struct file_send {
    struct slack_chat *sc;
    enum send_step step;
    char user[USER_ID_MAX];
    char filename[128];
    char title[128];
    char comment[400];
    char channel[CHANNEL_ID_MAX];        /* the direct conversation */
    char file_id[64];
    char *bytes;
    size_t len;
    chat_file_cb cb;
    void *ud;
};

static const char *const step_method[] = {
    [STEP_OPEN] = "conversations.open",
    [STEP_URL] = "files.getUploadURLExternal",
    [STEP_BYTES] = "the upload",
    [STEP_COMPLETE] = "files.completeUploadExternal",
};

static void send_end(struct file_send *fs, enum chat_rc rc, const char *why)
{
    fs->cb(fs->ud, rc, why);
    free(fs->bytes);
    free(fs);
}

static int is_one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Slack's error, in a sentence for the user with what fixes it. */
static void send_failed(struct file_send *fs, json_t *answer, const char *error)
{
    static const char *const auth[] = {"not_authed", "invalid_auth", "token_revoked",
                                       "token_expired", "account_inactive", NULL};
    static const char *const dm[] = {"not_in_channel", "channel_not_found", "cannot_dm_bot",
                                     "user_not_found", "user_disabled", "is_archived",
                                     "restricted_action", NULL};
    const char *method = step_method[fs->step];
    const char *needed = json_string_value(json_object_get(answer, "needed"));
    char why[600];
    if (!error)
        error = "no answer";
    if (strcmp(error, "shutting down") == 0) {
        send_end(fs, CHAT_E_RETRY, NULL);   /* nobody to tell: the bot is stopping */
        return;
    }
    log_warn("slack export file for %s: %s failed: %s", fs->user, method, error);
    if (strcmp(error, "missing_scope") == 0)
        snprintf(why, sizeof(why), "I could not send you the export: Slack refused %s because "
                 "the app lacks the scope %s. An admin must add it to the app (OAuth & "
                 "Permissions, or deploy/slack-app-manifest.yml) and reinstall it; then run "
                 "/cancel export again.", method,
                 needed ? needed : fs->step == STEP_OPEN ? "im:write" : "files:write");
    else if (is_one_of(error, auth))
        snprintf(why, sizeof(why), "I could not send you the export: Slack refused my token "
                 "(%s, at %s). An admin must check SLACK_BOT_TOKEN and the app's "
                 "installation.", error, method);
    else if (is_one_of(error, dm))
        snprintf(why, sizeof(why), "I could not send you the export in our direct messages "
                 "(%s: %s). Open a direct message with the app once (Apps > cancelbot), or ask "
                 "an admin to check that the app may write to you; then run /cancel export "
                 "again.", method, error);
    else
        snprintf(why, sizeof(why), "I could not send you the export: %s failed (%s). Please "
                 "run /cancel export again; if it keeps failing, an admin can find the same "
                 "error in the bot's log.", method, error);
    send_end(fs, CHAT_E_FAILED, why);
}

static void on_step(void *ud, int ok, json_t *answer, const char *error);

static int call_step(struct file_send *fs, json_t *args)
{
    return slack_api_call(fs->sc->api, step_method[fs->step], SLACK_TOKEN_BOT, args, on_step, fs);
}

static void on_uploaded(void *ud, int ok, const char *error)
{
    struct file_send *fs = ud;
    json_t *args;
    if (!ok) {
        send_failed(fs, NULL, error);
        return;
    }
    fs->step = STEP_COMPLETE;
    args = json_pack("{s:[{s:s, s:s}], s:s, s:s}", "files", "id", fs->file_id, "title",
                     fs->title, "channel_id", fs->channel, "initial_comment", fs->comment);
    if (call_step(fs, args) != 0)
        send_failed(fs, NULL, "could not send the request");
}

static void on_step(void *ud, int ok, json_t *answer, const char *error)
{
    struct file_send *fs = ud;
    const char *s;
    if (!ok) {
        send_failed(fs, answer, error);
        return;
    }
    switch (fs->step) {
    case STEP_OPEN:
        s = json_string_value(json_object_get(json_object_get(answer, "channel"), "id"));
        if (!s || strlen(s) >= sizeof(fs->channel)) {
            send_failed(fs, NULL, "no channel in the answer");
            return;
        }
        snprintf(fs->channel, sizeof(fs->channel), "%s", s);
        fs->step = STEP_URL;
        if (call_step(fs, json_pack("{s:s, s:I}", "filename", fs->filename, "length",
                                    (json_int_t)fs->len)) != 0)
            send_failed(fs, NULL, "could not send the request");
        return;
    case STEP_URL:
        s = json_string_value(json_object_get(answer, "file_id"));
        if (!s || strlen(s) >= sizeof(fs->file_id)) {
            send_failed(fs, NULL, "no file_id in the answer");
            return;
        }
        snprintf(fs->file_id, sizeof(fs->file_id), "%s", s);
        fs->step = STEP_BYTES;
        if (slack_api_upload(fs->sc->api, json_string_value(json_object_get(answer, "upload_url")),
                             fs->bytes, fs->len, on_uploaded, fs) != 0)
            send_failed(fs, NULL, "the upload_url is missing or not https");
        return;
    case STEP_BYTES:
        break;                          /* answered by on_uploaded */
    case STEP_COMPLETE:
        log_info("slack: export %s (%zu bytes) shared with %s as %s", fs->filename, fs->len,
                 fs->user, fs->file_id);
        send_end(fs, CHAT_OK, NULL);
        return;
    }
}

int slack_send_file(struct chat *chat, const char *user, const char *filename,
                    const char *title, const char *comment, const char *bytes, size_t len,
                    chat_file_cb cb, void *ud)
{
    struct file_send *fs = calloc(1, sizeof(*fs));
    if (!fs || !(fs->bytes = malloc(len ? len : 1))) {
        free(fs);
        return -1;
    }
    memcpy(fs->bytes, bytes, len);
    fs->len = len;
    fs->sc = chat->impl;
    fs->step = STEP_OPEN;
    fs->cb = cb;
    fs->ud = ud;
    snprintf(fs->user, sizeof(fs->user), "%s", user);
    snprintf(fs->filename, sizeof(fs->filename), "%s", filename);
    snprintf(fs->title, sizeof(fs->title), "%s", title);
    snprintf(fs->comment, sizeof(fs->comment), "%s", comment);
    if (call_step(fs, json_pack("{s:s}", "users", user)) != 0) {
        free(fs->bytes);
        free(fs);
        return -1;
    }
    return 0;
}

/* ---- names ---- */

struct slack_name {
    char user[USER_ID_MAX];
    char name[128];
    int64_t fetched_ms;
};

struct slack_names {
    struct slack_name *v;
    size_t n, cap;
};

struct name_ask {
    struct slack_chat *sc;
    char user[USER_ID_MAX];
    chat_name_cb cb;
    void *ud;
};

static struct slack_name *name_find(struct slack_chat *sc, const char *user)
{
    for (size_t i = 0; sc->names && i < sc->names->n; i++)
        if (strcmp(sc->names->v[i].user, user) == 0)
            return &sc->names->v[i];
    return NULL;
}

static void name_keep(struct slack_chat *sc, const char *user, const char *name)
{
    struct slack_name *e = name_find(sc, user);
    if (!e) {
        struct slack_names *ns = sc->names;
        if (!ns && !(ns = sc->names = calloc(1, sizeof(*sc->names))))
            return;
        if (ns->n == NAMES_MAX)
            ns->n = 0;                  /* full: start over rather than grow without end */
        if (ns->n == ns->cap) {
            size_t cap = ns->cap ? ns->cap * 2 : 32;
            void *grown = realloc(ns->v, (cap < NAMES_MAX ? cap : NAMES_MAX) * sizeof(*ns->v));
            if (!grown)
                return;
            ns->v = grown;
            ns->cap = cap < NAMES_MAX ? cap : NAMES_MAX;
        }
        e = &ns->v[ns->n++];
        snprintf(e->user, sizeof(e->user), "%s", user);
    }
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->fetched_ms = bot_now_ms(sc->bot);
}

/* What people see in Slack: the display name, else the full name, else the handle. */
static const char *display_name(json_t *user)
{
    json_t *profile = json_object_get(user, "profile");
    const char *picks[] = {
        json_string_value(json_object_get(profile, "display_name")),
        json_string_value(json_object_get(profile, "real_name")),
        json_string_value(json_object_get(user, "real_name")),
        json_string_value(json_object_get(user, "name")),
    };
    for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++)
        if (picks[i] && *picks[i])
            return picks[i];
    return NULL;
}

static void on_user_info(void *ud, int ok, json_t *answer, const char *error)
{
    struct name_ask *a = ud;
    const char *name = ok ? display_name(json_object_get(answer, "user")) : NULL;
    if (name)
        name_keep(a->sc, a->user, name);
    a->cb(a->ud, name, ok ? (name ? NULL : "no name in the answer") : error);
    free(a);
}

struct name_now {
    chat_name_cb cb;
    void *ud;
    char name[128];
};

static void name_now_run(void *arg)
{
    struct name_now *n = arg;
    n->cb(n->ud, n->name, NULL);
    free(n);
}

int slack_user_name(struct chat *chat, const char *user, chat_name_cb cb, void *ud)
{
    struct slack_chat *sc = chat->impl;
    struct slack_name *e = name_find(sc, user);
    struct name_ask *a;
    if (e && bot_now_ms(sc->bot) - e->fetched_ms < NAME_TTL_MS) {
        struct name_now *n = malloc(sizeof(*n));
        if (!n)
            return -1;
        n->cb = cb;
        n->ud = ud;
        snprintf(n->name, sizeof(n->name), "%s", e->name);
        loop_defer(bot_loop(sc->bot), name_now_run, n);   /* never inside the call */
        return 0;
    }
    if (!(a = calloc(1, sizeof(*a))))
        return -1;
    a->sc = sc;
    a->cb = cb;
    a->ud = ud;
    snprintf(a->user, sizeof(a->user), "%s", user);
    if (slack_api_call(sc->api, "users.info", SLACK_TOKEN_BOT, json_pack("{s:s}", "user", user),
                       on_user_info, a) != 0) {
        free(a);
        return -1;
    }
    return 0;
}

void slack_names_free(struct slack_chat *sc)
{
    if (sc->names)
        free(sc->names->v);
    free(sc->names);
    sc->names = NULL;
}
