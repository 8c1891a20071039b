/* bot/slack_blocks.c -- Block Kit for the card, the forms and App Home, and a
 * submitted form back to command text (see slack_blocks.h). Pure: no I/O, clock or
 * globals.
 *
 * All text passes through fit(): it is the one place that knows Slack's character
 * limits, the mrkdwn escapes and what to do with bytes that are not UTF-8, so no
 * builder can post a message Slack refuses (invalid_blocks) or one that pings a
 * channel from a user's note. The request form is one table, inputs[], that the form,
 * the field check for inline errors and the command text all read, so a field added
 * there appears in all three. */
#include "bot/slack_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS "\xE2\x80\xA6"          /* U+2026, 3 bytes, 1 character */
#define EMPTY_TEXT "\xE2\x80\x94"        /* U+2014: Block Kit refuses empty text */

/* ---- text ---- */

enum text_mode {
    TEXT_PLAIN,                 /* only made valid UTF-8 */
    TEXT_MRKDWN                 /* also &, <, > escaped, user mentions kept */
};

/* What one step through the input writes, and what it counts for. */
struct unit {
    const char *bytes;
    size_t len;                 /* bytes written */
    size_t in;                  /* bytes consumed */
    size_t chars;               /* characters Slack counts */
};

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at s (no overlongs, surrogates or values past
 * U+10FFFF), or 0. Stops at a NUL, which is never a continuation byte. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        return is_cont(s[1]) ? 2 : 0;
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if (!is_cont(s[1]) || !is_cont(s[2]) || (s[0] == 0xE0 && s[1] < 0xA0) ||
            (s[0] == 0xED && s[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if (!is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]) ||
            (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* <@U123ABC>, <@W123> or <!subteam^S123>, exactly as the core writes a user or the
 * approvers' user group: the only markup kept. The core turns markup in people's own
 * words into plain text first (format_neutralise_markup), so what is left here is
 * the bot's. */
static size_t mention_len(const char *s)
{
    size_t n, start;
    if (s[0] == '<' && s[1] == '@' && (s[2] == 'U' || s[2] == 'W'))
        start = 3;
    else if (strncmp(s, "<!subteam^S", 11) == 0)
        start = 11;
    else
        return 0;
    n = start;
    while (n < start + USER_ID_MAX &&
           ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
        n++;
    return (n > start || start == 11) && s[n] == '>' ? n + 1 : 0;
}

static void next_unit(const char *s, enum text_mode mode, struct unit *u)
{
    size_t n;
    if (mode == TEXT_MRKDWN && (n = mention_len(s))) {
        *u = (struct unit){s, n, n, n};
        return;
    }
    if (mode == TEXT_MRKDWN && (*s == '&' || *s == '<' || *s == '>')) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : "&gt;";
        *u = (struct unit){e, strlen(e), 1, strlen(e)};
        return;
    }
    if (!(n = utf8_len((const unsigned char *)s))) {
        *u = (struct unit){"\xEF\xBF\xBD", 3, 1, 1};        /* U+FFFD */
        return;
    }
    /* Outside the BMP a character is two UTF-16 units; count it as two to be safe
     * whichever way Slack counts. */
    *u = (struct unit){s, n, n, n == 4 ? 2 : 1};
}

/* Writes `in` into dst (cap bytes) under mode, at most max_chars characters; when it
 * does not fit, cuts between characters (never inside an escape or a mention) and ends
 * with "…". Returns the bytes written, without the NUL. */
static size_t write_fit(const char *in, enum text_mode mode, size_t max_chars, char *dst,
                        size_t cap)
{
    struct unit u;
    size_t chars = 0, bytes = 0, o = 0;
    const char *p;

    if (!cap)
        return 0;
    if (!in || !*in)
        in = EMPTY_TEXT;
    for (p = in; *p; p += u.in) {
        next_unit(p, mode, &u);
        chars += u.chars;
        bytes += u.len;
    }
    int cut = chars > max_chars || bytes >= cap;
    size_t room_chars = max_chars, room_bytes = cap - 1;
    if (cut) {
        if (max_chars < 1 || cap < sizeof ELLIPSIS) {
            dst[0] = '\0';
            return 0;
        }
        room_chars = max_chars - 1;
        room_bytes = cap - sizeof ELLIPSIS;
    }
    for (p = in, chars = 0; *p; p += u.in) {
        next_unit(p, mode, &u);
        if (chars + u.chars > room_chars || o + u.len > room_bytes)
            break;
        memcpy(dst + o, u.bytes, u.len);
        o += u.len;
        chars += u.chars;
    }
    if (cut) {
        memcpy(dst + o, ELLIPSIS, sizeof ELLIPSIS - 1);
        o += sizeof ELLIPSIS - 1;
    }
    dst[o] = '\0';
    return o;
}

/* write_fit() into a string of its own (caller frees), or NULL. */
static char *fit(const char *in, enum text_mode mode, size_t max_chars)
{
    size_t worst = (in ? strlen(in) : 0) * 5 + sizeof ELLIPSIS + sizeof EMPTY_TEXT;
    char *out = malloc(worst);
    if (out)
        write_fit(in, mode, max_chars, out, worst);
    return out;
}

char *slack_mrkdwn_escape(const char *text, size_t max_chars)
{
    return fit(text, TEXT_MRKDWN, max_chars);
}

static json_t *text_object(const char *type, const char *s, enum text_mode mode, size_t max)
{
    char *t = fit(s, mode, max);
    json_t *o = NULL;
    if (t && mode == TEXT_PLAIN)
        o = json_pack("{s:s, s:s, s:b}", "type", type, "text", t, "emoji", 1);
    else if (t)
        o = json_pack("{s:s, s:s}", "type", type, "text", t);
    free(t);
    return o;
}

static json_t *plain(const char *s, size_t max)
{
    return text_object("plain_text", s, TEXT_PLAIN, max);
}

static json_t *mrkdwn(const char *s, size_t max)
{
    return text_object("mrkdwn", s, TEXT_MRKDWN, max);
}

static json_t *section(json_t *text)
{
    return json_pack("{s:s, s:o}", "type", "section", "text", text);
}

static json_t *context(json_t *text)
{
    return json_pack("{s:s, s:[o]}", "type", "context", "elements", text);
}

static json_t *header(const char *s)
{
    return json_pack("{s:s, s:o}", "type", "header", "text", plain(s, SLACK_HEADER_MAX));
}

/* ---- the request card ---- */

static json_t *button(const char *action_id, const char *label, const char *style,
                      const char *request_id, json_t *confirm)
{
    return json_pack("{s:s, s:s, s:o, s:s*, s:s*, s:o*}", "type", "button",
                     "action_id", action_id, "text", plain(label, SLACK_BUTTON_TEXT_MAX),
                     "style", style, "value", request_id[0] ? request_id : NULL,
                     "confirm", confirm);
}

/* Approving can be the last approval, and then it goes to the marketplace: one more
 * look before that, as the requester had when confirming. */
static json_t *approve_confirm(const char *request_id)
{
    char title[64];
    snprintf(title, sizeof title, "Approve %s?", request_id);
    return json_pack("{s:o, s:o, s:o, s:o}", "title", plain(title, 100),
                     "text", plain("If this is the last approval needed, the request goes "
                                   "to the marketplace at once and cannot be undone.", 300),
                     "confirm", plain("Approve", 30), "deny", plain("Back", 30));
}

static json_t *card_actions(const struct card *c)
{
    const char *id = c->request_id;
    switch (c->buttons) {
    case CARD_BUTTONS_NONE:
        return NULL;
    case CARD_BUTTONS_APPROVE_REJECT:
        return json_pack("{s:s, s:s, s:[o, o]}", "type", "actions", "block_id", "card_actions",
                         "elements",
                         button(SLACK_ACTION_APPROVE, "Approve", "primary", id,
                                approve_confirm(id)),
                         button(SLACK_ACTION_REJECT, "Reject", "danger", id, NULL));
    case CARD_BUTTONS_REJECT:
        return json_pack("{s:s, s:s, s:[o]}", "type", "actions", "block_id", "card_actions",
                         "elements",
                         button(SLACK_ACTION_REJECT, "Reject with a reason", "danger", id, NULL));
    case CARD_BUTTONS_CONFIRM_DISCARD:
        return json_pack("{s:s, s:s, s:[o, o]}", "type", "actions", "block_id", "card_actions",
                         "elements",
                         button(SLACK_ACTION_CONFIRM, "Confirm", "primary", id, NULL),
                         button(SLACK_ACTION_DISCARD, "Discard", NULL, id, NULL));
    }
    return NULL;
}

static json_t *card_field(const struct card_field *f)
{
    char text[sizeof f->label + sizeof f->value + 8];
    snprintf(text, sizeof text, "*%s*\n%s", f->label[0] ? f->label : "-",
             f->value[0] ? f->value : EMPTY_TEXT);
    return mrkdwn(text, SLACK_FIELD_TEXT_MAX);
}

json_t *slack_card_blocks(const struct card *c)
{
    json_t *blocks = json_array(), *result = NULL, *fields = NULL;
    int n = c->n_fields < 0 ? 0 : c->n_fields > CARD_MAX_FIELDS ? CARD_MAX_FIELDS : c->n_fields;
    char ctx[64];

    if (!blocks || json_array_append_new(blocks, header(c->title[0] ? c->title : c->request_id)))
        goto out;
    if (c->status[0] &&
        json_array_append_new(blocks, section(mrkdwn(c->status, SLACK_SECTION_TEXT_MAX))))
        goto out;
    for (int i = 0; i < n; i++) {
        if (!fields && !(fields = json_array()))
            goto out;
        if (json_array_append_new(fields, card_field(&c->fields[i])))
            goto out;
        if (json_array_size(fields) == SLACK_FIELDS_PER_SECTION || i == n - 1) {
            json_t *s = json_pack("{s:s, s:o}", "type", "section", "fields", fields);
            fields = NULL;                              /* stolen, even on failure */
            if (json_array_append_new(blocks, s))
                goto out;
        }
    }
    if (c->buttons != CARD_BUTTONS_NONE && json_array_append_new(blocks, card_actions(c)))
        goto out;
    snprintf(ctx, sizeof ctx, "Request %s", c->request_id);
    if (c->request_id[0] && json_array_append_new(blocks, context(mrkdwn(ctx, 200))))
        goto out;
    result = blocks;
    blocks = NULL;
out:
    json_decref(fields);
    json_decref(blocks);
    return result;
}

void slack_card_fallback_text(const struct card *c, char *buf, size_t len)
{
    char text[sizeof c->title + sizeof c->status + 4];
    snprintf(text, sizeof text, "%s%s%s", c->title[0] ? c->title : c->request_id,
             c->status[0] ? ": " : "", c->status);
    write_fit(text, TEXT_MRKDWN, len, buf, len);
}

/* ---- the request form ---- */

enum {
    IN_CANCEL = 1,              /* in the /cancel form */
    IN_REFUND = 2,              /* in the /refund form */
    IN_OPTIONAL = 4,
    IN_OPTIONAL_CANCEL = 8,     /* optional in /cancel only: Azure has no agreement id */
    IN_MULTILINE = 16,
    IN_MARKET = 32,             /* a select of marketplaces */
    IN_REASON = 64              /* a select of reason codes */
};
#define IN_BOTH (IN_CANCEL | IN_REFUND)

/* In the order of the form and of the command text. `field` is the block_id, the
 * action_id, the key cmd_parse() reads and the cmd_error.field it refuses. */
static const struct input {
    const char *field;
    const char *label;
    const char *placeholder;
    const char *hint;
    int max_length;             /* cmd.c's own limit, so the client stops the typing */
    unsigned flags;
} inputs[] = {
    {"market", "Marketplace", "AWS or Azure", NULL, 0, IN_CANCEL | IN_MARKET},
    {"agreement", "Agreement ID (AWS)", "agmt-1a2b3c4d5e6f",
     "Only the agreement ID names exactly one agreement. To find it, type "
     "/cancel aws buyer=<12-digit account>.", 64, IN_BOTH | IN_OPTIONAL_CANCEL},
    {"customer", "Customer tenant ID (Azure)", "0f8fad5b-d9cb-469f-a165-70867728950e", NULL,
     40, IN_CANCEL | IN_OPTIONAL},
    {"subscription", "Subscription ID (Azure)", "7c9e6679-7425-40de-944b-e07fc1f90ae7", NULL,
     40, IN_CANCEL | IN_OPTIONAL},
    {"entitlement", "Entitlement ID (Azure)", "ent-5f4e3d2c", NULL, 64,
     IN_CANCEL | IN_OPTIONAL},
    {"invoice", "Invoice ID", "INV-2026-0042", NULL, 63, IN_REFUND},
    {"amount", "Amount", "120.00",
     "In the invoice's currency, without currency sign or thousands separator.", 24,
     IN_REFUND},
    {"currency", "Currency", "USD", NULL, 3, IN_REFUND},
    {"reason", "Reason", "Pick the closest reason", NULL, 0, IN_BOTH | IN_REASON},
    {"note", "Note", "Replacing with private offer offer-9x8y, buyer ref ZD-778",
     "What happened and what comes next, 15 to 2000 characters. It is sent to the "
     "marketplace with the request.", 2000, IN_BOTH | IN_MULTILINE},
    {"case", "Support case ID", "12345678901", NULL, 63, IN_BOTH | IN_OPTIONAL},
    {"ref", "Buyer's reference", "ZD-778", NULL, 127, IN_BOTH | IN_OPTIONAL},
    {"next", "Next step", "New private offer", NULL, 255, IN_BOTH | IN_OPTIONAL},
};
#define N_INPUTS (sizeof inputs / sizeof inputs[0])

static const struct option {
    const char *value;          /* what cmd_parse() takes */
    const char *label;
} aws_reasons[] = {
    {"INCORRECT_TERMS_ACCEPTED", "Incorrect terms accepted"},
    {"REPLACING_AGREEMENT", "Replacing the agreement"},
    {"TEST_AGREEMENT", "Test agreement"},
    {"ALTERNATIVE_PROCUREMENT_CHANNEL", "Alternative procurement channel"},
    {"PRODUCT_DISCONTINUED", "Product discontinued"},
    {"UNINTENDED_RENEWAL", "Unintended renewal"},
    {"BUYER_DISSATISFACTION", "Buyer dissatisfaction"},
    {"OTHER", "Other (say what in the note)"},
}, azure_reasons[] = {
    {"compromise", "Compromise or abuse (Azure)"},
}, markets[] = {
    {"aws", "AWS Marketplace"},
    {"azure", "Azure (Partner Center)"},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static unsigned form_flag(const char *kind)
{
    if (kind && strcmp(kind, "cancel") == 0)
        return IN_CANCEL;
    if (kind && strcmp(kind, "refund") == 0)
        return IN_REFUND;
    return 0;
}

static json_t *options(const struct option *o, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_pack("{s:o, s:s}", "text", plain(o[i].label, 75),
                                               "value", o[i].value))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *select_element(const struct input *in, unsigned form)
{
    json_t *el = json_pack("{s:s, s:s, s:o}", "type", "static_select", "action_id", in->field,
                           "placeholder", plain(in->placeholder, 150));
    int rc = -1;
    if (!el)
        return NULL;
    if (in->flags & IN_MARKET)
        rc = json_object_set_new(el, "options", options(markets, COUNT(markets))) ||
             json_object_set_new(el, "initial_option",
                                 json_deep_copy(json_array_get(json_object_get(el, "options"), 0)));
    else if (form == IN_REFUND)             /* refunds are AWS-only */
        rc = json_object_set_new(el, "options", options(aws_reasons, COUNT(aws_reasons)));
    else
        rc = json_object_set_new(el, "option_groups", json_pack(
                 "[{s:o, s:o}, {s:o, s:o}]",
                 "label", plain("AWS", 75), "options", options(aws_reasons, COUNT(aws_reasons)),
                 "label", plain("Azure", 75),
                 "options", options(azure_reasons, COUNT(azure_reasons))));
    if (rc) {
        json_decref(el);
        return NULL;
    }
    return el;
}

static json_t *input_block(const struct input *in, unsigned form)
{
    int optional = (in->flags & IN_OPTIONAL) ||
                   ((in->flags & IN_OPTIONAL_CANCEL) && form == IN_CANCEL);
    json_t *el;
    if (in->flags & (IN_MARKET | IN_REASON))
        el = select_element(in, form);
    else
        el = json_pack("{s:s, s:s, s:o, s:b, s:i}", "type", "plain_text_input",
                       "action_id", in->field, "placeholder", plain(in->placeholder, 150),
                       "multiline", (in->flags & IN_MULTILINE) != 0,
                       "max_length", in->max_length);
    return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o*}", "type", "input", "block_id", in->field,
                     "label", plain(in->label, 2000), "element", el, "optional", optional,
                     "hint", in->hint ? plain(in->hint, 2000) : NULL);
}

json_t *slack_request_modal(const char *channel_id, const char *kind)
{
    unsigned form = form_flag(kind);
    json_t *blocks = NULL, *view = NULL;
    if (!form || !(blocks = json_array()))
        goto out;
    if (json_array_append_new(blocks, context(mrkdwn(form == IN_REFUND
            ? "A refund adjusts an invoice; the agreement stays active. Nothing is sent yet: "
              "next you check what the marketplace finds, then finance approves."
            : "Fill in the AWS or the Azure fields. Nothing is sent yet: next you check the "
              "agreement the marketplace finds, then finance approves.", 2000))))
        goto out;
    for (size_t i = 0; i < N_INPUTS; i++)
        if ((inputs[i].flags & form) && json_array_append_new(blocks, input_block(&inputs[i], form)))
            goto out;
    view = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:O}", "type", "modal",
                     "callback_id", form == IN_REFUND ? SLACK_CALLBACK_REFUND
                                                      : SLACK_CALLBACK_CANCEL,
                     "private_metadata", channel_id ? channel_id : "",
                     "title", plain(form == IN_REFUND ? "Request a refund" : "Cancel an agreement",
                                    SLACK_VIEW_TITLE_MAX),
                     "submit", plain("Continue", SLACK_VIEW_TITLE_MAX),
                     "close", plain("Close", SLACK_VIEW_TITLE_MAX), "blocks", blocks);
out:
    json_decref(blocks);
    return view;
}

int slack_request_modal_has_block(const char *kind, const char *block_id)
{
    unsigned form = form_flag(kind);
    for (size_t i = 0; form && block_id && i < N_INPUTS; i++)
        if ((inputs[i].flags & form) && strcmp(inputs[i].field, block_id) == 0)
            return 1;
    return 0;
}

/* ---- a submitted form as command text ---- */

const char *slack_modal_command(const struct slack_frame *f)
{
    if (f->kind != SLACK_FRAME_VIEW_SUBMISSION)
        return NULL;
    if (strcmp(f->view.callback_id, SLACK_CALLBACK_CANCEL) == 0)
        return "/cancel";
    if (strcmp(f->view.callback_id, SLACK_CALLBACK_REFUND) == 0)
        return "/refund";
    return NULL;
}

struct buf {
    char *p;
    size_t cap, len;
    int full;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->full || b->len + n >= b->cap) {
        b->full = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int is_curly_quote(const char *p)      /* U+201C, U+201D: tokens.c reads them as " */
{
    return (unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
           ((unsigned char)p[2] == 0x9C || (unsigned char)p[2] == 0x9D);
}

/* Letters, digits and ._:/@+- read back the same bare; anything else is quoted. */
static int is_bare(const char *v)
{
    if (!*v)
        return 0;
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
              (*v >= '0' && *v <= '9') || strchr("._:/@+-", *v)))
            return 0;
    return 1;
}

static void put_value(struct buf *b, const char *v)
{
    if (is_bare(v)) {
        buf_put(b, v, strlen(v));
        return;
    }
    buf_put(b, "\"", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"' || is_curly_quote(p))
            buf_put(b, "\\", 1);
        buf_put(b, p, 1);
    }
    buf_put(b, "\"", 1);
}

static int is_blank(const char *v)
{
    for (; *v; v++)
        if (*v != ' ' && *v != '\t' && *v != '\n' && *v != '\r')
            return 0;
    return 1;
}

int slack_modal_to_command_text(const struct slack_frame *f, char *out, size_t outlen)
{
    const char *command = slack_modal_command(f);
    const char *market = slack_view_value(f, "market");
    struct buf b = {out, outlen, 0, 0};
    unsigned form;

    if (!command || !outlen)
        return -1;
    form = strcmp(command, "/refund") == 0 ? IN_REFUND : IN_CANCEL;
    if (!market || is_blank(market))
        market = "aws";                 /* the refund form asks no market: AWS only */
    /* A forged market ("status") would make the text another subcommand. */
    if (strcmp(market, "aws") != 0 && (form == IN_REFUND || strcmp(market, "azure") != 0))
        return -1;
    out[0] = '\0';
    buf_put(&b, market, strlen(market));
    for (size_t i = 0; i < N_INPUTS; i++) {
        const struct input *in = &inputs[i];
        const char *v = slack_view_value(f, in->field);
        if (!(in->flags & form) || (in->flags & IN_MARKET) || !v || is_blank(v))
            continue;
        buf_put(&b, " ", 1);
        /* cmd_parse takes the AWS agreement id as the word after the market; Azure
         * forms get it as a key, which cmd_parse refuses under the agreement field. */
        if (strcmp(in->field, "agreement") != 0 || strcmp(market, "aws") != 0) {
            buf_put(&b, in->field, strlen(in->field));
            buf_put(&b, "=", 1);
        }
        put_value(&b, v);
    }
    return b.full ? -1 : 0;
}

json_t *slack_view_errors(const char *block_id, const char *text)
{
    char *t;
    json_t *o = NULL;
    if (!block_id || !*block_id)
        return NULL;
    if ((t = fit(text, TEXT_PLAIN, SLACK_FIELD_TEXT_MAX)))
        o = json_pack("{s:s, s:{s:s}}", "response_action", "errors", "errors", block_id, t);
    free(t);
    return o;
}

/* ---- the rejection form ---- */

json_t *slack_reject_modal(const char *request_id, const char *channel_id)
{
    char meta[REQUEST_ID_MAX + CHANNEL_ID_MAX + 2], title[32], intro[128];
    /* A value that would not come back whole from private_metadata makes a form that
     * can never be submitted (or, cut, names another request): refuse it. */
    if (!request_id || !*request_id || strchr(request_id, '|') ||
        strlen(request_id) >= REQUEST_ID_MAX ||
        (channel_id && strlen(channel_id) >= CHANNEL_ID_MAX))
        return NULL;
    snprintf(meta, sizeof meta, "%s|%s", request_id, channel_id ? channel_id : "");
    snprintf(title, sizeof title, "Reject %s", request_id);
    snprintf(intro, sizeof intro, "Rejecting *%s*. The requester sees your reason in the "
             "request's thread.", request_id);
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:[o, {s:s, s:s, s:o, s:{s:s, s:s, s:b, s:i}}]}",
        "type", "modal", "callback_id", SLACK_CALLBACK_REJECT, "private_metadata", meta,
        "title", plain(title, SLACK_VIEW_TITLE_MAX),
        "submit", plain("Reject", SLACK_VIEW_TITLE_MAX),
        "close", plain("Back", SLACK_VIEW_TITLE_MAX),
        "blocks", section(mrkdwn(intro, SLACK_SECTION_TEXT_MAX)),
        "type", "input", "block_id", "note", "label", plain("Why is it rejected?", 2000),
        "element", "type", "plain_text_input", "action_id", "note", "multiline", 1,
        "max_length", (int)sizeof(((struct request *)0)->decision_note) - 1);
}

int slack_reject_metadata(const char *meta, char *request_id, size_t request_len,
                          char *channel_id, size_t channel_len)
{
    const char *bar = meta ? strchr(meta, '|') : NULL;
    size_t n = bar ? (size_t)(bar - meta) : 0;
    if (!bar || n == 0 || n >= request_len || strlen(bar + 1) >= channel_len)
        return -1;
    memcpy(request_id, meta, n);
    request_id[n] = '\0';
    memcpy(channel_id, bar + 1, strlen(bar + 1) + 1);
    return 0;
}

/* ---- App Home ---- */

static int is_slack_id(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* A draft the requester has not confirmed (its preview may never have been shown):
 * the same Confirm as the preview's, behind one more look at what it does. */
static json_t *home_draft_item(const char *text, const struct slack_home_item *it)
{
    char title[64], body[300];
    json_t *sec = section(mrkdwn(text, SLACK_SECTION_TEXT_MAX)), *confirm;
    snprintf(title, sizeof title, "Confirm %s?", it->request_id);
    snprintf(body, sizeof body, "%s (agreement %s) goes to finance for approval, then to "
             "the marketplace once they approve. /cancel status %s shows it in full.",
             it->request_id, it->agreement_id[0] ? it->agreement_id : "?", it->request_id);
    confirm = json_pack("{s:o, s:o, s:o, s:o}", "title", plain(title, 100),
                        "text", plain(body, 300), "confirm", plain("Confirm", 30),
                        "deny", plain("Back", 30));
    if (sec)
        json_object_set_new(sec, "accessory", button(SLACK_ACTION_CONFIRM, "Confirm", "primary",
                                                     it->request_id, confirm));
    return sec;
}

static json_t *home_item(const struct slack_home_item *it)
{
    char state[32], who[USER_ID_MAX + 4], text[256];
    snprintf(state, sizeof state, "%s", request_state_name(it->state));
    for (char *p = state; *p; p++)
        *p = *p == '_' ? ' ' : *p;
    /* A mention only of what is an id, so a stored name cannot become markup. */
    if (is_slack_id(it->requester))
        snprintf(who, sizeof who, "<@%s>", it->requester);
    else
        snprintf(who, sizeof who, "%s", it->requester[0] ? it->requester : "?");
    snprintf(text, sizeof text, "*%s* · %s\nAgreement %s · requested by %s", it->request_id,
             state, it->agreement_id[0] ? it->agreement_id : "?", who);
    if (it->state == REQUEST_DRAFT)
        return home_draft_item(text, it);
    return section(mrkdwn(text, SLACK_SECTION_TEXT_MAX));
}

static int home_list(json_t *blocks, const char *title, const struct slack_home_item *items,
                     size_t n, const char *none, const char *more_cmd)
{
    char more[128];
    if (json_array_append_new(blocks, header(title)))
        return -1;
    if (n == 0)
        return json_array_append_new(blocks, context(mrkdwn(none, 2000)));
    for (size_t i = 0; i < n && i < SLACK_HOME_ITEMS_SHOWN; i++)
        if (json_array_append_new(blocks, home_item(&items[i])))
            return -1;
    if (n <= SLACK_HOME_ITEMS_SHOWN)
        return 0;
    snprintf(more, sizeof more, "and %zu more: %s", n - SLACK_HOME_ITEMS_SHOWN, more_cmd);
    return json_array_append_new(blocks, context(mrkdwn(more, 2000)));
}

json_t *slack_home_view(const struct slack_home_item *mine, size_t n_mine,
                        const struct slack_home_item *waiting, size_t n_waiting)
{
    json_t *blocks = json_array(), *view = NULL;
    if (!blocks ||
        home_list(blocks, "Your open requests", mine, n_mine,
                  "Nothing open. Type /cancel in a request channel to start one.",
                  "/cancel list mine") ||
        json_array_append_new(blocks, json_pack("{s:s}", "type", "divider")) ||
        home_list(blocks, "Waiting for your approval", waiting, n_waiting,
                  "Nothing is waiting for you.", "/cancel list pending"))
        goto out;
    view = json_pack("{s:s, s:O}", "type", "home", "blocks", blocks);
out:
    json_decref(blocks);
    return view;
}
