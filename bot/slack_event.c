/* bot/slack_event.c -- reads a Socket Mode frame into struct slack_frame (see
 * slack_event.h for the limits and the refusal rules). Pure: no I/O, clock or globals.
 *
 * Every field is read by a JSON path from the frame's root ("payload.user.id",
 * "payload.actions.0.value"), so a refusal can name exactly where the frame went wrong
 * without repeating what it held: frames carry verification tokens and user text.
 * Shapes differ by envelope type: slash_commands and events_api carry one payload
 * each; interactive carries block_actions, view_submission and others, told apart by
 * payload.type. An envelope type we do not know is still an envelope, returned as
 * SLACK_FRAME_OTHER so that it is acked and not redelivered for five minutes. */
#include "bot/slack_event.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    json_t *root;
    struct slack_frame *f;
    char *err;
    size_t errlen;
};

enum {
    REQ = 1,        /* absent, null or "" is refused */
    CUT = 2,        /* free text: cut to fit (ids are refused instead) */
    ENT = 4,        /* decode Slack's &amp; &lt; &gt; */
    LAX = 8         /* another JSON type reads as absent (see read_event) */
};

__attribute__((format(printf, 2, 3)))
static int refuse(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    if (r->errlen && !r->err[0]) {      /* the first failure is the cause */
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Follows a dotted path from the root; a segment of digits indexes an array. *out is
 * NULL when a step is absent or null. */
static int walk(struct reader *r, const char *path, json_t **out)
{
    json_t *cur = r->root;
    const char *p = path;
    *out = NULL;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        if (json_is_object(cur))
            cur = json_object_get(cur, key);
        else if (json_is_array(cur) && key[0] >= '0' && key[0] <= '9')
            cur = json_array_get(cur, (size_t)strtoul(key, NULL, 10));
        else
            return refuse(r, "%s: %.*s is not an %s", path, (int)(p - path - 1), path,
                          key[0] >= '0' && key[0] <= '9' ? "array" : "object");
        if (!cur || json_is_null(cur))
            return 0;
        if (!dot)
            break;
        p = dot + 1;
    }
    *out = cur;
    return 0;
}

static int is_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* Copies n bytes of src, decoding entities when asked. Returns 1 when it had to cut
 * (on a character boundary), 0 when all of it fit. */
static int copy_text(char *dst, size_t cap, const char *src, size_t n, int decode)
{
    static const struct { const char *name; char c; } entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
    };
    size_t o = 0, i = 0;
    while (i < n) {
        char c = src[i];
        size_t adv = 1;
        for (size_t e = 0; decode && c == '&' && e < 3; e++) {
            size_t len = strlen(entities[e].name);
            if (n - i >= len && memcmp(src + i, entities[e].name, len) == 0) {
                c = entities[e].c;
                adv = len;
                break;
            }
        }
        if (o + 1 >= cap) {
            if (is_continuation(c)) {   /* mid-character: drop its first bytes too */
                while (o > 0 && is_continuation(dst[o - 1]))
                    o--;
                if (o > 0)
                    o--;
            }
            dst[o] = '\0';
            return 1;
        }
        dst[o++] = c;
        i += adv;
    }
    dst[o] = '\0';
    return 0;
}

/* Stores a string under the rules of slack_event.h. 1: cut, 0: whole, -1: refused. */
static int put(struct reader *r, const char *path, char *dst, size_t cap, const char *s,
               size_t n, unsigned flags)
{
    if ((flags & REQ) && n == 0)
        return refuse(r, "%s: is empty", path);
    int cut = copy_text(dst, cap, s, n, (flags & ENT) != 0);
    if (cut && !(flags & CUT)) {
        dst[0] = '\0';
        return refuse(r, "%s: longer than %zu bytes", path, cap - 1);
    }
    if (cut)
        r->f->truncated = 1;
    return cut;
}

static int str(struct reader *r, const char *path, char *dst, size_t cap, unsigned flags)
{
    json_t *v;
    dst[0] = '\0';
    if (walk(r, path, &v))
        return -1;
    if (v && !json_is_string(v)) {
        if ((flags & LAX) && !(flags & REQ))
            return 0;
        return refuse(r, "%s: expected a string", path);
    }
    if (!v)
        return (flags & REQ) ? refuse(r, "%s: missing", path) : 0;
    return put(r, path, dst, cap, json_string_value(v), json_string_length(v), flags);
}

/* Like str(), for a field with a fallback elsewhere in the payload. */
static int str2(struct reader *r, const char *path, const char *fallback, char *dst,
                size_t cap, unsigned flags)
{
    if (str(r, path, dst, cap, flags & ~(unsigned)REQ) < 0)
        return -1;
    return dst[0] ? 0 : str(r, fallback, dst, cap, flags);
}

static int integer(struct reader *r, const char *path, long long min, long long max,
                   long long *out)
{
    json_t *v;
    *out = 0;
    if (walk(r, path, &v))
        return -1;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return refuse(r, "%s: expected an integer", path);
    if (json_integer_value(v) < min || json_integer_value(v) > max)
        return refuse(r, "%s: out of range", path);
    *out = json_integer_value(v);
    return 0;
}

static int small_int(struct reader *r, const char *path, int *out)
{
    long long v;
    if (integer(r, path, 0, INT_MAX, &v))
        return -1;
    *out = (int)v;
    return 0;
}

static int boolean(struct reader *r, const char *path, int *out)
{
    json_t *v;
    *out = 0;
    if (walk(r, path, &v))
        return -1;
    if (v && !json_is_boolean(v))
        return refuse(r, "%s: expected true or false", path);
    *out = json_is_true(v);
    return 0;
}

/* ---- values of inputs and actions ---- */

/* Appends one value to a ','-joined list. 1 when it had to cut. */
static int join(char *dst, size_t cap, const char *s)
{
    size_t used = strlen(dst);
    if (used && used + 1 < cap) {
        dst[used++] = ',';
        dst[used] = '\0';
    } else if (used) {
        return 1;
    }
    return copy_text(dst + used, cap - used, s, strlen(s), 0);
}

/* What one element of view.state.values or actions[] holds, whatever its type.
 * `where` names it in refusals without naming the user's block ids. */
static int element_value(struct reader *r, json_t *el, const char *where, char *dst,
                         size_t cap)
{
    static const char *const single[] = {
        "value", "selected_user", "selected_conversation", "selected_channel",
        "selected_date", "selected_time",
    };
    static const char *const multi[] = {
        "selected_options", "selected_users", "selected_conversations", "selected_channels",
    };
    json_t *v;
    int cut = 0;

    dst[0] = '\0';
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        if (!(v = json_object_get(el, single[i])) || json_is_null(v))
            continue;
        if (!json_is_string(v))
            return refuse(r, "%s: %s is not a string", where, single[i]);
        return copy_text(dst, cap, json_string_value(v), json_string_length(v), 0);
    }
    if ((v = json_object_get(el, "selected_option")) && !json_is_null(v)) {
        json_t *s = json_object_get(v, "value");
        if (!json_is_string(s))
            return refuse(r, "%s: selected_option has no string value", where);
        return copy_text(dst, cap, json_string_value(s), json_string_length(s), 0);
    }
    if ((v = json_object_get(el, "selected_date_time")) && !json_is_null(v)) {
        if (!json_is_integer(v))
            return refuse(r, "%s: selected_date_time is not an integer", where);
        snprintf(dst, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    }
    for (size_t i = 0; i < sizeof multi / sizeof multi[0]; i++) {
        json_t *item;
        size_t k;
        if (!(v = json_object_get(el, multi[i])) || json_is_null(v))
            continue;
        if (!json_is_array(v))
            return refuse(r, "%s: %s is not an array", where, multi[i]);
        json_array_foreach(v, k, item) {
            json_t *s = json_is_object(item) ? json_object_get(item, "value") : item;
            if (!json_is_string(s))
                return refuse(r, "%s: %s holds a value that is not a string", where, multi[i]);
            cut |= join(dst, cap, json_string_value(s));
        }
        return cut;
    }
    return 0;                           /* an input left empty, or a type without a value */
}

/* ---- one reader per kind ---- */

static int read_hello(struct reader *r)
{
    struct slack_frame *f = r->f;
    f->kind = SLACK_FRAME_HELLO;
    return small_int(r, "num_connections", &f->hello.num_connections) ||
           integer(r, "debug_info.approximate_connection_time", 0, LLONG_MAX,
                   &f->hello.approximate_connection_time) ||
           str(r, "connection_info.app_id", f->hello.app_id, sizeof f->hello.app_id, 0) < 0 ||
           str(r, "debug_info.host", f->hello.host, sizeof f->hello.host, CUT) < 0 ? -1 : 0;
}

static int read_disconnect(struct reader *r)
{
    static const struct { const char *name; enum slack_disconnect_reason reason; } reasons[] = {
        {"warning", SLACK_DISCONNECT_WARNING},
        {"refresh_requested", SLACK_DISCONNECT_REFRESH_REQUESTED},
        {"link_disabled", SLACK_DISCONNECT_LINK_DISABLED},
        {"too_many_websockets", SLACK_DISCONNECT_TOO_MANY_WEBSOCKETS},
    };
    struct slack_frame *f = r->f;
    f->kind = SLACK_FRAME_DISCONNECT;
    f->disconnect.reason = SLACK_DISCONNECT_OTHER;
    if (str(r, "reason", f->disconnect.raw, sizeof f->disconnect.raw, CUT) < 0)
        return -1;
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (strcmp(f->disconnect.raw, reasons[i].name) == 0)
            f->disconnect.reason = reasons[i].reason;
    return 0;
}

static int read_slash(struct reader *r)
{
    struct slack_frame *f = r->f;
    f->kind = SLACK_FRAME_SLASH_COMMAND;
#define S(path, field, flags) \
    (str(r, "payload." path, f->slash.field, sizeof f->slash.field, flags) < 0)
    return S("command", command, REQ) || S("text", text, CUT | ENT) ||
           S("user_id", user_id, REQ) || S("user_name", user_name, CUT) ||
           S("channel_id", channel_id, 0) || S("team_id", team_id, 0) ||
           S("trigger_id", trigger_id, 0) || S("response_url", response_url, 0) ? -1 : 0;
#undef S
}

static int read_block_action(struct reader *r)
{
    struct slack_frame *f = r->f;
    json_t *actions, *first;
    f->kind = SLACK_FRAME_BLOCK_ACTION;
    if (walk(r, "payload.actions", &actions))
        return -1;
    if (!json_is_array(actions) || json_array_size(actions) == 0)
        return refuse(r, "payload.actions: expected a non-empty array");
    first = json_array_get(actions, 0);
    if (!json_is_object(first))
        return refuse(r, "payload.actions.0: expected an object");
#define A(path, field, flags) \
    (str(r, "payload." path, f->action.field, sizeof f->action.field, flags) < 0)
#define A2(path, fallback, field) \
    (str2(r, "payload." path, "payload." fallback, f->action.field, \
          sizeof f->action.field, 0) < 0)
    if (A("user.id", user_id, REQ) || A("container.type", container_type, 0) ||
        A2("container.channel_id", "channel.id", channel_id) ||
        A2("container.message_ts", "message.ts", message_ts) ||
        A2("container.thread_ts", "message.thread_ts", thread_ts) ||
        A2("container.view_id", "view.id", view_id) ||
        boolean(r, "payload.container.is_ephemeral", &f->action.is_ephemeral) ||
        A("actions.0.action_id", action_id, REQ) || A("actions.0.type", action_type, 0) ||
        A("actions.0.block_id", block_id, 0) || A("actions.0.action_ts", action_ts, 0) ||
        A("trigger_id", trigger_id, 0) || A("response_url", response_url, 0))
        return -1;
#undef A
#undef A2
    /* Our buttons carry request ids; a value that does not fit is not ours. */
    int cut = element_value(r, first, "payload.actions.0", f->action.value,
                            sizeof f->action.value);
    if (cut < 0)
        return -1;
    return cut ? refuse(r, "payload.actions.0.value: longer than %zu bytes",
                        sizeof f->action.value - 1) : 0;
}

static int read_view_values(struct reader *r)
{
    struct slack_frame *f = r->f;
    const char *where = "payload.view.state.values";
    json_t *values, *block, *el;
    const char *block_id, *action_id;

    if (walk(r, where, &values))
        return -1;
    if (!values)
        return 0;
    if (!json_is_object(values))
        return refuse(r, "%s: expected an object", where);
    json_object_foreach(values, block_id, block) {
        if (!json_is_object(block))
            return refuse(r, "%s: a block is not an object", where);
        json_object_foreach(block, action_id, el) {
            if (!json_is_object(el))
                return refuse(r, "%s: an element is not an object", where);
            if (f->view.n_values == SLACK_VIEW_VALUES_MAX) {
                f->truncated = 1;       /* more inputs than any form of ours has */
                return 0;
            }
            struct slack_value *sv = &f->view.values[f->view.n_values];
            if (put(r, "payload.view.state.values: a block_id", sv->block_id,
                    sizeof sv->block_id, block_id, strlen(block_id), 0) < 0 ||
                put(r, "payload.view.state.values: an action_id", sv->action_id,
                    sizeof sv->action_id, action_id, strlen(action_id), 0) < 0)
                return -1;
            int cut = element_value(r, el, where, sv->value, sizeof sv->value);
            if (cut < 0)
                return -1;
            sv->truncated = cut;
            f->truncated |= cut;
            f->view.n_values++;
        }
    }
    return 0;
}

static int read_view_submission(struct reader *r)
{
    struct slack_frame *f = r->f;
    f->kind = SLACK_FRAME_VIEW_SUBMISSION;
#define V(path, field, flags) \
    (str(r, "payload." path, f->view.field, sizeof f->view.field, flags) < 0)
    return V("user.id", user_id, REQ) || V("view.id", view_id, REQ) ||
           V("view.callback_id", callback_id, 0) ||
           V("view.private_metadata", private_metadata, 0) ||
           V("trigger_id", trigger_id, 0) || read_view_values(r) ? -1 : 0;
#undef V
}

static int read_interactive(struct reader *r)
{
    struct slack_frame *f = r->f;
    if (str(r, "payload.type", f->payload_type, sizeof f->payload_type, REQ) < 0)
        return -1;
    if (strcmp(f->payload_type, "block_actions") == 0)
        return read_block_action(r);
    if (strcmp(f->payload_type, "view_submission") == 0)
        return read_view_submission(r);
    f->kind = SLACK_FRAME_OTHER;        /* view_closed, shortcuts: ack and move on */
    return 0;
}

/* Events reuse key names with other shapes (user_change's "user" and channel_created's
 * "channel" are objects), so inside payload.event a field of another JSON type reads
 * as absent instead of refusing an event we would ignore anyway. */
static int read_event(struct reader *r)
{
    struct slack_frame *f = r->f;
    json_t *ev;
    f->kind = SLACK_FRAME_EVENT;
    if (walk(r, "payload.event", &ev))
        return -1;
    if (!json_is_object(ev))
        return refuse(r, "payload.event: expected an object");
    if (str(r, "payload.event_id", f->event.event_id, sizeof f->event.event_id, 0) < 0 ||
        integer(r, "payload.event_time", 0, LLONG_MAX, &f->event.event_time) ||
        str(r, "payload.team_id", f->event.team_id, sizeof f->event.team_id, 0) < 0)
        return -1;
#define E(path, field, flags) \
    (str(r, "payload.event." path, f->event.field, sizeof f->event.field, (flags) | LAX) < 0)
    return E("type", type, REQ) || E("subtype", subtype, 0) || E("user", user, 0) ||
           E("bot_id", bot_id, 0) || E("reaction", reaction, 0) ||
           E("item.type", item_type, 0) || E("item.channel", item_channel, 0) ||
           E("item.ts", item_ts, 0) || E("item_user", item_user, 0) ||
           E("channel", channel, 0) || E("tab", tab, 0) || E("text", text, CUT | ENT) ||
           E("ts", ts, 0) || E("thread_ts", thread_ts, 0) || E("event_ts", event_ts, 0)
           ? -1 : 0;
#undef E
}

static int read_envelope(struct reader *r)
{
    struct slack_frame *f = r->f;
    const char *type = f->type;
    json_t *payload;
    if (str(r, "envelope_id", f->envelope_id, sizeof f->envelope_id, REQ) < 0 ||
        small_int(r, "retry_attempt", &f->retry_attempt) ||
        str(r, "retry_reason", f->retry_reason, sizeof f->retry_reason, CUT) < 0 ||
        boolean(r, "accepts_response_payload", &f->accepts_response_payload) ||
        walk(r, "payload", &payload))
        return -1;
    f->kind = SLACK_FRAME_OTHER;
    int known = strcmp(type, "slash_commands") == 0 || strcmp(type, "interactive") == 0 ||
                strcmp(type, "events_api") == 0;
    if (!known)
        return 0;
    if (!json_is_object(payload))
        return refuse(r, "payload: expected an object");
    if (strcmp(type, "slash_commands") == 0)
        return read_slash(r);
    return strcmp(type, "interactive") == 0 ? read_interactive(r) : read_event(r);
}

int slack_frame_parse(const char *text, size_t len, struct slack_frame *out, char *err,
                      size_t errlen)
{
    struct reader r = {.f = out, .err = err, .errlen = errlen};
    json_error_t jerr;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (!text) {
        refuse(&r, "frame: no text");
        goto out;
    }
    /* jerr.text quotes the bytes near the error, which may be a token: only the
     * position is repeated. */
    r.root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!r.root) {
        refuse(&r, "frame: not JSON (line %d, column %d)", jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_object(r.root)) {
        refuse(&r, "frame: not a JSON object");
        goto out;
    }
    if (str(&r, "type", out->type, sizeof out->type, REQ) < 0)
        goto out;
    if (strcmp(out->type, "hello") == 0)
        rc = read_hello(&r);
    else if (strcmp(out->type, "disconnect") == 0)
        rc = read_disconnect(&r);
    else
        rc = read_envelope(&r);
out:
    if (rc != 0) {
        char id[SLACK_ENVELOPE_ID_MAX];
        memcpy(id, out->envelope_id, sizeof id);
        memset(out, 0, sizeof *out);
        memcpy(out->envelope_id, id, sizeof id);
    }
    json_decref(r.root);
    return rc;
}

int slack_ack_json(const char *envelope_id, const char *payload_json, char *out, size_t outlen)
{
    json_t *ack = NULL, *payload = NULL;
    char *text = NULL;
    int rc = -1;

    if (outlen)
        out[0] = '\0';
    if (!envelope_id || !envelope_id[0])
        goto out;
    if (payload_json) {
        payload = json_loads(payload_json, 0, NULL);
        if (!json_is_object(payload))   /* a macro: its argument is evaluated twice */
            goto out;
    }
    if (!(ack = json_pack("{s:s}", "envelope_id", envelope_id)))
        goto out;                       /* not UTF-8 */
    if (payload && json_object_set(ack, "payload", payload))
        goto out;
    if (!(text = json_dumps(ack, JSON_COMPACT)) || strlen(text) >= outlen)
        goto out;
    memcpy(out, text, strlen(text) + 1);
    rc = 0;
out:
    free(text);
    json_decref(payload);
    json_decref(ack);
    return rc;
}

const char *slack_view_value(const struct slack_frame *f, const char *block_id)
{
    for (int i = 0; i < f->view.n_values; i++)
        if (strcmp(f->view.values[i].block_id, block_id) == 0)
            return f->view.values[i].value;
    return NULL;
}

const char *slack_frame_kind_name(enum slack_frame_kind k)
{
    switch (k) {
    case SLACK_FRAME_HELLO:           return "hello";
    case SLACK_FRAME_DISCONNECT:      return "disconnect";
    case SLACK_FRAME_SLASH_COMMAND:   return "slash_command";
    case SLACK_FRAME_BLOCK_ACTION:    return "block_action";
    case SLACK_FRAME_VIEW_SUBMISSION: return "view_submission";
    case SLACK_FRAME_EVENT:           return "event";
    case SLACK_FRAME_OTHER:           return "other";
    }
    return "unknown";
}
