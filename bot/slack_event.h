/* bot/slack_event.h -- one Socket Mode text frame in, one typed struct slack_frame
 * out. Pure: no I/O, clock or globals, so every sample Slack sends can be a unit test.
 * The frame is a plain value (fixed buffers, no heap): the caller owns nothing and can
 * keep it on the stack or copy it into the store.
 *
 * Limits, decided once here:
 *  - Identifiers (envelope, user, channel, team, view, action and block ids, message
 *    timestamps, trigger ids, response URLs) are never cut: an id cut short names
 *    another object, so a frame with one too long for its buffer is refused.
 *  - Free text (slash-command and message text, user names, retry reasons, submitted
 *    form values) is cut on a UTF-8 character boundary and the frame says so in
 *    `truncated` (and the value in its own `truncated`). Buffers are larger than what
 *    the command grammar accepts, so a cut note still reads as too long to cmd_parse
 *    rather than as a shorter, valid one.
 *  - A field of the wrong JSON type is refused; null counts as absent.
 * Refusals name the JSON path at fault and never repeat a value, so no token or user
 * text reaches a log through them. */
#ifndef CANCELBOT_BOT_SLACK_EVENT_H
#define CANCELBOT_BOT_SLACK_EVENT_H

#include <stddef.h>
#include "approvals/request.h"

#define SLACK_ENVELOPE_ID_MAX 128
#define SLACK_ID_MAX 40            /* T.../U.../C.../V.../A.../B.../Ev... */
#define SLACK_TRIGGER_ID_MAX 128
#define SLACK_URL_MAX 512
#define SLACK_NAME_MAX 256         /* action_id, block_id, callback_id: Slack's max 255 */
#define SLACK_SHORT_MAX 64         /* types, reasons, emoji names */
#define SLACK_TEXT_MAX 4001        /* message and slash-command text, decoded */
#define SLACK_VALUE_MAX 3001       /* a submitted value: Slack's inputs take 3000 */
#define SLACK_BUTTON_VALUE_MAX 2001
#define SLACK_METADATA_MAX 3001    /* private_metadata: Slack's max 3000 */
#define SLACK_VIEW_VALUES_MAX 16

enum slack_frame_kind {
    SLACK_FRAME_HELLO,
    SLACK_FRAME_DISCONNECT,
    SLACK_FRAME_SLASH_COMMAND,
    SLACK_FRAME_BLOCK_ACTION,
    SLACK_FRAME_VIEW_SUBMISSION,
    SLACK_FRAME_EVENT,             /* events_api */
    SLACK_FRAME_OTHER              /* an envelope we do not act on: ack it all the same */
};

enum slack_disconnect_reason {
    SLACK_DISCONNECT_WARNING,              /* ~10 s before a disconnect */
    SLACK_DISCONNECT_REFRESH_REQUESTED,    /* open a new connection, then drop this one */
    SLACK_DISCONNECT_LINK_DISABLED,        /* Socket Mode switched off in the app */
    SLACK_DISCONNECT_TOO_MANY_WEBSOCKETS,  /* close first */
    SLACK_DISCONNECT_OTHER                 /* see disconnect.raw */
};

struct slack_value {               /* one input of a submitted view, flattened */
    char block_id[SLACK_NAME_MAX];
    char action_id[SLACK_NAME_MAX];
    /* plain_text_input .value, *_select .selected_*, multi-selects and checkboxes as
     * their values joined by ','; "" for an empty optional input. Not entity-encoded:
     * Slack sends inputs raw. */
    char value[SLACK_VALUE_MAX];
    int truncated;
};

struct slack_frame {
    enum slack_frame_kind kind;
    char type[SLACK_SHORT_MAX];             /* the frame's "type", as sent */

    /* Envelopes (every kind but hello and disconnect). */
    char envelope_id[SLACK_ENVELOPE_ID_MAX];
    int retry_attempt;
    char retry_reason[SLACK_SHORT_MAX];
    int accepts_response_payload;
    char payload_type[SLACK_SHORT_MAX];     /* interactive: "block_actions", "view_closed" */
    int truncated;                          /* some free text was cut to fit */

    struct {
        int num_connections;
        long long approximate_connection_time;  /* seconds */
        char app_id[SLACK_ID_MAX];
        char host[SLACK_SHORT_MAX];
    } hello;

    struct {
        enum slack_disconnect_reason reason;
        char raw[SLACK_SHORT_MAX];
    } disconnect;

    struct {
        char command[SLACK_SHORT_MAX];      /* "/cancel" */
        char text[SLACK_TEXT_MAX];          /* &amp; &lt; &gt; decoded */
        char user_id[USER_ID_MAX];
        char user_name[SLACK_SHORT_MAX];
        char channel_id[CHANNEL_ID_MAX];
        char team_id[SLACK_ID_MAX];
        char trigger_id[SLACK_TRIGGER_ID_MAX];
        char response_url[SLACK_URL_MAX];
    } slash;

    struct {
        char user_id[USER_ID_MAX];
        char container_type[SLACK_SHORT_MAX];  /* "message", "view" (modal, App Home) */
        char channel_id[CHANNEL_ID_MAX];
        char message_ts[MSG_TS_MAX];        /* container.message_ts, else message.ts */
        char thread_ts[MSG_TS_MAX];         /* "" when the message is not in a thread */
        int is_ephemeral;
        char view_id[SLACK_ID_MAX];         /* clicks inside a modal or App Home */
        /* The first action: Slack sends one per click. */
        char action_id[SLACK_NAME_MAX];
        char action_type[SLACK_SHORT_MAX];  /* "button", "static_select" */
        char block_id[SLACK_NAME_MAX];
        char value[SLACK_BUTTON_VALUE_MAX]; /* a button's value, a select's choice */
        char action_ts[MSG_TS_MAX];
        char trigger_id[SLACK_TRIGGER_ID_MAX];
        char response_url[SLACK_URL_MAX];
    } action;

    struct {
        char user_id[USER_ID_MAX];
        char view_id[SLACK_ID_MAX];
        char callback_id[SLACK_NAME_MAX];
        char private_metadata[SLACK_METADATA_MAX];
        char trigger_id[SLACK_TRIGGER_ID_MAX];
        struct slack_value values[SLACK_VIEW_VALUES_MAX];
        int n_values;
    } view;

    struct {
        char event_id[SLACK_ID_MAX];
        long long event_time;               /* seconds since the epoch */
        char team_id[SLACK_ID_MAX];
        char type[SLACK_SHORT_MAX];         /* "reaction_added", "message", ... */
        char subtype[SLACK_SHORT_MAX];      /* "bot_message", "message_changed", ... */
        char user[USER_ID_MAX];
        char bot_id[SLACK_ID_MAX];          /* set on messages from bots: ignore those */
        char reaction[SLACK_SHORT_MAX];
        char item_type[SLACK_SHORT_MAX];    /* "message", "file" */
        char item_channel[CHANNEL_ID_MAX];
        char item_ts[MSG_TS_MAX];
        char item_user[USER_ID_MAX];
        char channel[CHANNEL_ID_MAX];
        char tab[SLACK_SHORT_MAX];          /* app_home_opened: "home" or "messages" */
        char text[SLACK_TEXT_MAX];          /* &amp; &lt; &gt; decoded */
        char ts[MSG_TS_MAX];
        char thread_ts[MSG_TS_MAX];
        char event_ts[MSG_TS_MAX];
    } event;
};

/* Parses one text frame (not NUL-terminated: len bytes). Returns 0 and fills *out, or
 * -1 and writes one line to err (the JSON path at fault, never a value). On -1, *out
 * is zeroed except out->envelope_id, which holds the envelope's id when it had a
 * readable one: the caller may ack a frame it will never understand rather than have
 * Slack redeliver it. */
int slack_frame_parse(const char *text, size_t len, struct slack_frame *out, char *err,
                      size_t errlen);

/* The ack for an envelope: {"envelope_id":"..."}, with "payload" when payload_json
 * (a JSON text, e.g. a view's errors) is not NULL. Returns 0, or -1 when envelope_id
 * is empty, payload_json is not JSON, or out is too small (out is then ""). */
int slack_ack_json(const char *envelope_id, const char *payload_json, char *out,
                   size_t outlen);

/* The submitted value of the input in block_id; NULL when the view has no such block. */
const char *slack_view_value(const struct slack_frame *f, const char *block_id);

/* "hello", "block_action", ... for logs. */
const char *slack_frame_kind_name(enum slack_frame_kind k);

#endif
