/* bot/slack_blocks.h -- what cancelbot looks like in Slack, as Block Kit JSON: the
 * request card (buttons only while someone has to decide), the /cancel and /refund
 * forms, the rejection form, the App Home tab and the errors a form shows under its
 * fields; and the way back, a submitted form turned into the text a user would type
 * after the slash command, so that the one grammar in commands/ judges both.
 *
 * Pure: no I/O, clock or globals. Builders return a new reference (the caller
 * json_decref()s it) or NULL when out of memory or asked for something that does not
 * exist. Text is cut to Block Kit's limits with "…"; user text going into mrkdwn has
 * &, < and > escaped, so a note cannot ping @channel or hide a link, while the user
 * mentions card.c writes (<@U123>) are kept. Invalid UTF-8 shows as U+FFFD instead of
 * making the JSON unencodable. */
#ifndef CANCELBOT_BOT_SLACK_BLOCKS_H
#define CANCELBOT_BOT_SLACK_BLOCKS_H

#include <stddef.h>
#include <jansson.h>
#include "approvals/card.h"
#include "approvals/request.h"
#include "bot/slack_event.h"

/* Block Kit's limits, in characters. */
#define SLACK_HEADER_MAX 150
#define SLACK_SECTION_TEXT_MAX 3000
#define SLACK_FIELD_TEXT_MAX 2000
#define SLACK_FIELDS_PER_SECTION 10
#define SLACK_BUTTON_TEXT_MAX 75
#define SLACK_VIEW_TITLE_MAX 24
#define SLACK_HOME_ITEMS_SHOWN 40     /* per list: a view holds 100 blocks */

/* Action ids of the card's buttons; each button's value is the request id. */
#define SLACK_ACTION_APPROVE "approve"
#define SLACK_ACTION_REJECT "reject"
#define SLACK_ACTION_CONFIRM "confirm"
#define SLACK_ACTION_DISCARD "discard"

#define SLACK_CALLBACK_CANCEL "cancel_form"
#define SLACK_CALLBACK_REFUND "refund_form"
#define SLACK_CALLBACK_REJECT "reject_form"

/* Room for any text slack_modal_to_command_text() makes from a submission: every
 * value quoted, every byte escaped, plus its key. */
#define SLACK_COMMAND_TEXT_MAX (SLACK_VIEW_VALUES_MAX * (2 * SLACK_VALUE_MAX + 24))

/* Text for any mrkdwn field (chat.postMessage "text", a section): &, < and > escaped,
 * <@U...> mentions kept, invalid UTF-8 replaced, cut to max_chars with "…" (Slack
 * takes 3000 in a section, 40000 in a message). Caller frees; NULL when out of memory. */
char *slack_mrkdwn_escape(const char *text, size_t max_chars);

/* The card's blocks (a JSON array for chat.postMessage / chat.update "blocks"):
 * header (title), status, fields (several sections when there are more than 10),
 * the buttons c->buttons names, and a context line with the request id. */
json_t *slack_card_blocks(const struct card *c);

/* The message's "text": what notifications and screen readers show. Always
 * terminated; cut with "…" when len is too small. */
void slack_card_fallback_text(const struct card *c, char *buf, size_t len);

/* The form /cancel or /refund opens with no arguments (a "view" for views.open).
 * kind: "cancel" or "refund" (NULL for anything else); channel_id comes back as the
 * submission's private_metadata, so the result is posted where the command was typed.
 * Every input's block_id and action_id is the cmd_error.field it answers to. */
json_t *slack_request_modal(const char *channel_id, const char *kind);

/* 1 when the request form of this kind has an input named block_id, so that a
 * cmd_error about it can be shown under the field; 0 otherwise (say it another way). */
int slack_request_modal_has_block(const char *kind, const char *block_id);

/* For a submitted request form: "/cancel" or "/refund", the command the text below is
 * for; NULL when the submission is not one of our request forms. */
const char *slack_modal_command(const struct slack_frame *view_submission);

/* The submitted request form as the text typed after the command, e.g.
 * aws agmt-1 reason=REPLACING_AGREEMENT note="Replacing with \"offer-2\"" case=123
 * Values with anything but letters, digits and ._:/@+- are quoted, with \ " and the
 * curly quotes backslash-escaped, so cmd_parse() reads back exactly what was typed;
 * inputs left empty are left out, so cmd_parse() names what is missing. Returns 0, or
 * -1 when the submission is not a request form, names a marketplace the form does not
 * offer, or does not fit outlen (SLACK_COMMAND_TEXT_MAX always does). Check the
 * parsed verb too: only CMD_CANCEL and CMD_REFUND can come from a form. */
int slack_modal_to_command_text(const struct slack_frame *view_submission, char *out,
                                size_t outlen);

/* The ack payload that keeps a form open with text under the input block_id:
 * {"response_action":"errors","errors":{block_id:text}}, text cut to 2000 characters.
 * block_id must name an input of the open form (see slack_request_modal_has_block),
 * or Slack refuses the whole ack. NULL when block_id is empty. */
json_t *slack_view_errors(const char *block_id, const char *text);

/* The form a Reject click opens: one required "note" input. private_metadata is
 * "<request_id>|<channel_id>"; slack_reject_metadata() splits it. NULL (no form) for
 * an empty request id, one with '|', or either id too long to come back whole. */
json_t *slack_reject_modal(const char *request_id, const char *channel_id);
int slack_reject_metadata(const char *private_metadata, char *request_id, size_t request_len,
                          char *channel_id, size_t channel_len);

/* One line of the App Home tab. */
struct slack_home_item {
    char request_id[REQUEST_ID_MAX];
    enum request_state state;
    char agreement_id[AGREEMENT_ID_MAX];
    char requester[USER_ID_MAX];
};

/* The App Home tab (a "home" view for views.publish): the user's open requests, then
 * the ones waiting for their approval. Shows SLACK_HOME_ITEMS_SHOWN of each and says
 * how many more there are. */
json_t *slack_home_view(const struct slack_home_item *mine, size_t n_mine,
                        const struct slack_home_item *waiting, size_t n_waiting);

#endif
