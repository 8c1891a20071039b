/* tests/test_slack_blocks.c -- the Block Kit builders, one rule per test, checked by
 * parsing what they build: block types, action ids, values, Block Kit's limits, and
 * escaping. The form tests go the whole way a user's input goes: the modal as built,
 * the view_submission Slack would send for it, slack_frame_parse(), the command text,
 * and the real cmd_parse(), which must give back exactly what was typed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "approvals/card.h"
#include "bot/slack_blocks.h"
#include "bot/slack_event.h"
#include "commands/cmd.h"
#include "tests/check.h"

#define AGMT "agmt-1a2b3c4d5e6f"
#define CUST "0f8fad5b-d9cb-469f-a165-70867728950e"
#define SUBS "7c9e6679-7425-40de-944b-e07fc1f90ae7"

/* ---- helpers ---- */

static const char *sget(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *text_of(json_t *o)          /* o.text.text */
{
    return sget(json_object_get(o, "text"), "text");
}

static const char *title_of(json_t *view)
{
    return sget(json_object_get(view, "title"), "text");
}

/* Characters as Slack counts them at worst (outside the BMP: two). */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        n += ((*p & 0xC0) != 0x80) + ((*p & 0xF8) == 0xF0);
    return n;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = s ? strlen(s) : 0, b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* The nth block of a type, or NULL. */
static json_t *block_of(json_t *blocks, const char *type, int nth)
{
    size_t i;
    json_t *b;
    json_array_foreach(blocks, i, b)
        if (sget(b, "type") && strcmp(sget(b, "type"), type) == 0 && nth-- == 0)
            return b;
    return NULL;
}

static int count_blocks(json_t *blocks, const char *type)
{
    int n = 0;
    while (block_of(blocks, type, n))
        n++;
    return n;
}

static char *dump(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

static struct card make_card(int n_fields, enum card_buttons buttons)
{
    struct card c;
    memset(&c, 0, sizeof c);
    snprintf(c.request_id, sizeof c.request_id, "CR-7");
    snprintf(c.title, sizeof c.title, "CR-7 · Cancel AWS agreement %s", AGMT);
    snprintf(c.status, sizeof c.status, "Waiting for finance: 0 of 1 approval");
    for (int i = 0; i < n_fields; i++) {
        snprintf(c.fields[i].label, sizeof c.fields[i].label, "Label %d", i);
        snprintf(c.fields[i].value, sizeof c.fields[i].value, "value %d", i);
    }
    c.n_fields = n_fields;
    c.buttons = buttons;
    return c;
}

/* Every text in a card within Block Kit's limits. */
static void check_card_limits(json_t *blocks)
{
    size_t i, k;
    json_t *b, *e;
    CHECK(json_array_size(blocks) <= 50);
    json_array_foreach(blocks, i, b) {
        const char *type = sget(b, "type");
        if (strcmp(type, "header") == 0)
            CHECK(chars(text_of(b)) <= SLACK_HEADER_MAX);
        if (strcmp(type, "section") == 0 && json_object_get(b, "text"))
            CHECK(chars(text_of(b)) <= SLACK_SECTION_TEXT_MAX);
        CHECK(json_array_size(json_object_get(b, "fields")) <= SLACK_FIELDS_PER_SECTION);
        json_array_foreach(json_object_get(b, "fields"), k, e)
            CHECK(chars(sget(e, "text")) <= SLACK_FIELD_TEXT_MAX);
        json_array_foreach(json_object_get(b, "elements"), k, e)
            if (strcmp(sget(e, "type"), "button") == 0)
                CHECK(chars(text_of(e)) <= SLACK_BUTTON_TEXT_MAX);
    }
}

/* ---- the card ---- */

static void test_card_awaiting_approval_has_approve_and_reject_with_request_id(void)
{
    struct card c = make_card(3, CARD_BUTTONS_APPROVE_REJECT);
    json_t *blocks = slack_card_blocks(&c), *actions, *approve, *reject;
    CHECK(json_is_array(blocks));
    CHECK_STR(sget(json_array_get(blocks, 0), "type"), "header");
    CHECK_STR(text_of(json_array_get(blocks, 0)), c.title);
    CHECK_STR(sget(json_object_get(json_array_get(blocks, 1), "text"), "text"), c.status);
    actions = block_of(blocks, "actions", 0);
    CHECK(actions != NULL);
    approve = json_array_get(json_object_get(actions, "elements"), 0);
    reject = json_array_get(json_object_get(actions, "elements"), 1);
    CHECK_STR(sget(approve, "action_id"), SLACK_ACTION_APPROVE);
    CHECK_STR(sget(approve, "style"), "primary");
    CHECK_STR(sget(approve, "value"), "CR-7");
    CHECK_STR(text_of(approve), "Approve");
    CHECK(json_object_get(approve, "confirm") != NULL);    /* last look before submitting */
    CHECK_STR(sget(reject, "action_id"), SLACK_ACTION_REJECT);
    CHECK_STR(sget(reject, "style"), "danger");
    CHECK_STR(sget(reject, "value"), "CR-7");
    CHECK(json_array_size(json_object_get(actions, "elements")) == 2);
    CHECK_CONTAINS(sget(json_array_get(json_object_get(block_of(blocks, "context", 0),
                                                       "elements"), 0), "text"), "CR-7");
    check_card_limits(blocks);
    json_decref(blocks);
}

static void test_draft_card_has_confirm_and_discard(void)
{
    struct card c = make_card(2, CARD_BUTTONS_CONFIRM_DISCARD);
    json_t *blocks = slack_card_blocks(&c);
    json_t *els = json_object_get(block_of(blocks, "actions", 0), "elements");
    CHECK(json_array_size(els) == 2);
    CHECK_STR(sget(json_array_get(els, 0), "action_id"), SLACK_ACTION_CONFIRM);
    CHECK_STR(sget(json_array_get(els, 0), "style"), "primary");
    CHECK_STR(sget(json_array_get(els, 0), "value"), "CR-7");
    CHECK_STR(sget(json_array_get(els, 1), "action_id"), SLACK_ACTION_DISCARD);
    CHECK(json_object_get(json_array_get(els, 1), "style") == NULL);
    CHECK_STR(sget(json_array_get(els, 1), "value"), "CR-7");
    json_decref(blocks);
}

static void test_decided_card_has_no_buttons(void)
{
    struct card c = make_card(4, CARD_BUTTONS_NONE);
    json_t *blocks = slack_card_blocks(&c);
    char *text = dump(blocks);
    CHECK(blocks != NULL);
    CHECK(count_blocks(blocks, "actions") == 0);
    CHECK(text && !strstr(text, "\"button\"") && !strstr(text, SLACK_ACTION_APPROVE));
    free(text);
    json_decref(blocks);
}

/* The card as the core renders it, through the real card_render(). */
static void test_rendered_card_loses_its_buttons_once_decided(void)
{
    struct request rq;
    struct card c;
    json_t *blocks;
    memset(&rq, 0, sizeof rq);
    snprintf(rq.id, sizeof rq.id, "CR-12");
    rq.state = REQUEST_AWAITING_APPROVAL;
    rq.approvals_needed = 1;
    snprintf(rq.requester, sizeof rq.requester, "U0REQ1");
    snprintf(rq.agreement.id, sizeof rq.agreement.id, AGMT);
    snprintf(rq.reason_code, sizeof rq.reason_code, "REPLACING_AGREEMENT");
    snprintf(rq.note, sizeof rq.note, "Replacing with private offer offer-9x8y");
    card_render(&rq, &c);
    blocks = slack_card_blocks(&c);
    CHECK(count_blocks(blocks, "actions") == 1);
    CHECK_STR(sget(json_array_get(json_object_get(block_of(blocks, "actions", 0), "elements"),
                                  0), "value"), "CR-12");
    CHECK_CONTAINS(sget(json_array_get(json_object_get(block_of(blocks, "section", 1),
                                                       "fields"), 0), "text"), "<@U0REQ1>");
    json_decref(blocks);
    rq.state = REQUEST_REJECTED;
    snprintf(rq.decided_by, sizeof rq.decided_by, "U0FIN1");
    card_render(&rq, &c);
    blocks = slack_card_blocks(&c);
    CHECK(count_blocks(blocks, "actions") == 0);
    CHECK_STR(sget(json_object_get(block_of(blocks, "section", 0), "text"), "text"),
              "Rejected by <@U0FIN1>");
    json_decref(blocks);
}

/* The approver who reacted to reject gets one button, the card's Reject: it opens the
 * same reason form. The approvers' user group keeps Slack's mention syntax; markup
 * anywhere else is escaped. */
static void test_reject_prompt_and_group_mention(void)
{
    struct card c = make_card(1, CARD_BUTTONS_REJECT);
    json_t *blocks = slack_card_blocks(&c), *elements;
    char *text;
    elements = json_object_get(block_of(blocks, "actions", 0), "elements");
    CHECK(json_array_size(elements) == 1);
    CHECK_STR(sget(json_array_get(elements, 0), "action_id"), SLACK_ACTION_REJECT);
    json_decref(blocks);
    text = slack_mrkdwn_escape("finance (<@U0FIN1>, <!subteam^S0FIN>) <!channel> <!subteam^>", 500);
    CHECK_STR(text, "finance (<@U0FIN1>, <!subteam^S0FIN>) &lt;!channel&gt; &lt;!subteam^&gt;");
    free(text);
}

static void test_fields_go_ten_to_a_section(void)
{
    static const struct { int fields, sections, last; } cases[] = {
        {0, 0, 0}, {1, 1, 1}, {10, 1, 10}, {11, 2, 1}, {20, 2, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct card c = make_card(cases[i].fields, CARD_BUTTONS_NONE);
        json_t *blocks = slack_card_blocks(&c), *b;
        int sections = 0;
        size_t k;
        json_array_foreach(blocks, k, b) {
            json_t *fields = json_object_get(b, "fields");
            if (!fields)
                continue;
            sections++;
            if (sections == cases[i].sections)
                CHECK((int)json_array_size(fields) == cases[i].last);
        }
        CHECK(sections == cases[i].sections);
        if (cases[i].fields)
            CHECK_STR(sget(json_array_get(json_object_get(block_of(blocks, "section", 1),
                                                          "fields"), 0), "text"),
                      "*Label 0*\nvalue 0");
        json_decref(blocks);
    }
}

static void test_card_texts_are_cut_to_block_kit_limits(void)
{
    struct card c = make_card(2, CARD_BUTTONS_APPROVE_REJECT);
    json_t *blocks, *field;
    const char *t;
    memset(c.title, 'T', sizeof c.title - 1);                 /* 159 > 150 */
    c.title[sizeof c.title - 1] = '\0';
    memset(c.fields[0].value, '&', sizeof c.fields[0].value - 1);   /* 599 x "&amp;" */
    c.fields[0].value[sizeof c.fields[0].value - 1] = '\0';
    memset(c.fields[1].value, '<', sizeof c.fields[1].value - 1);
    c.fields[1].value[sizeof c.fields[1].value - 1] = '\0';
    blocks = slack_card_blocks(&c);
    check_card_limits(blocks);
    CHECK(chars(text_of(json_array_get(blocks, 0))) == SLACK_HEADER_MAX);
    CHECK(ends_with(text_of(json_array_get(blocks, 0)), "…"));
    field = json_array_get(json_object_get(block_of(blocks, "section", 1), "fields"), 0);
    t = sget(field, "text");
    CHECK(chars(t) <= SLACK_FIELD_TEXT_MAX && chars(t) > SLACK_FIELD_TEXT_MAX - 5);
    CHECK(ends_with(t, "&amp;…"));                         /* never half an escape */
    field = json_array_get(json_object_get(block_of(blocks, "section", 1), "fields"), 1);
    CHECK(ends_with(sget(field, "text"), "&lt;…"));
    json_decref(blocks);
}

static void test_text_exactly_at_a_limit_is_not_cut(void)
{
    struct card c = make_card(0, CARD_BUTTONS_NONE);
    json_t *blocks;
    memset(c.title, 'T', SLACK_HEADER_MAX);
    c.title[SLACK_HEADER_MAX] = '\0';
    blocks = slack_card_blocks(&c);
    CHECK(chars(text_of(json_array_get(blocks, 0))) == SLACK_HEADER_MAX);
    CHECK(!ends_with(text_of(json_array_get(blocks, 0)), "…"));
    json_decref(blocks);
    c.title[SLACK_HEADER_MAX] = 'T';
    c.title[SLACK_HEADER_MAX + 1] = '\0';
    blocks = slack_card_blocks(&c);
    CHECK(chars(text_of(json_array_get(blocks, 0))) == SLACK_HEADER_MAX);
    CHECK(ends_with(text_of(json_array_get(blocks, 0)), "…"));
    json_decref(blocks);
}

static void test_user_text_cannot_ping_or_link_but_mentions_stay(void)
{
    struct card c = make_card(1, CARD_BUTTONS_NONE);
    json_t *blocks;
    const char *t;
    snprintf(c.status, sizeof c.status, "Rejected by <@U0FIN1>");
    snprintf(c.fields[0].value, sizeof c.fields[0].value,
             "<!channel> R&D <https://evil.example|click> <@U0X> <@channel> <#C1>");
    blocks = slack_card_blocks(&c);
    CHECK_STR(sget(json_object_get(block_of(blocks, "section", 0), "text"), "text"),
              "Rejected by <@U0FIN1>");
    t = sget(json_array_get(json_object_get(block_of(blocks, "section", 1), "fields"), 0),
             "text");
    CHECK_STR(t, "*Label 0*\n&lt;!channel&gt; R&amp;D &lt;https://evil.example|click&gt; "
                 "<@U0X> &lt;@channel&gt; &lt;#C1&gt;");
    json_decref(blocks);
}

static void test_mrkdwn_escape_is_the_same_rule_for_any_text(void)
{
    char *t = slack_mrkdwn_escape("<@U0FIN1> approved; note: <!here> a&b", 3000);
    CHECK_STR(t, "<@U0FIN1> approved; note: &lt;!here&gt; a&amp;b");
    free(t);
    t = slack_mrkdwn_escape("abcdef", 4);
    CHECK_STR(t, "abc…");
    free(t);
    t = slack_mrkdwn_escape(NULL, 10);
    CHECK_STR(t, "—");
    free(t);
}

static void test_bytes_that_are_not_utf8_show_as_replacement(void)
{
    struct card c = make_card(1, CARD_BUTTONS_NONE);
    json_t *blocks;
    snprintf(c.fields[0].value, sizeof c.fields[0].value, "bad \xff byte, cut \xC3");
    snprintf(c.title, sizeof c.title, "CR-7 \xED\xA0\x80 surrogate");
    blocks = slack_card_blocks(&c);
    CHECK(blocks != NULL);                      /* jansson refuses invalid UTF-8 */
    CHECK_STR(sget(json_array_get(json_object_get(block_of(blocks, "section", 1), "fields"),
                                  0), "text"),
              "*Label 0*\nbad \xEF\xBF\xBD byte, cut \xEF\xBF\xBD");
    CHECK_STR(text_of(json_array_get(blocks, 0)),
              "CR-7 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD surrogate");
    json_decref(blocks);
}

/* Characters outside the BMP are kept whole and count as two against a limit. */
static void test_emoji_are_kept_whole_and_counted_twice(void)
{
    struct card c = make_card(0, CARD_BUTTONS_NONE);
    json_t *blocks;
    const char *t;
    size_t used = 0;
    while (used + 4 < sizeof c.title) {
        memcpy(c.title + used, "\xF0\x9F\x98\x80", 4);          /* U+1F600 */
        used += 4;
    }
    c.title[used] = '\0';                                         /* 39 emoji = 78 */
    blocks = slack_card_blocks(&c);
    CHECK_STR(text_of(json_array_get(blocks, 0)), c.title);
    json_decref(blocks);
    memcpy(c.title, "\xF0\x9F\x98\x80", 4);
    memset(c.title + 4, 'a', 148);                                /* 2 + 148 = 150 */
    c.title[152] = '\0';
    blocks = slack_card_blocks(&c);
    t = text_of(json_array_get(blocks, 0));
    CHECK(t && !ends_with(t, "…") && strlen(t) == 152);
    json_decref(blocks);
    c.title[152] = 'a';
    c.title[153] = '\0';                                          /* 151: cut */
    blocks = slack_card_blocks(&c);
    t = text_of(json_array_get(blocks, 0));
    CHECK(t && ends_with(t, "…") && chars(t) == SLACK_HEADER_MAX);
    json_decref(blocks);
}

static void test_empty_texts_are_never_sent_empty(void)
{
    struct card c = make_card(1, CARD_BUTTONS_NONE);
    json_t *blocks;
    c.title[0] = '\0';
    c.status[0] = '\0';
    c.fields[0].value[0] = '\0';
    blocks = slack_card_blocks(&c);
    CHECK_STR(text_of(json_array_get(blocks, 0)), "CR-7");      /* the id instead */
    CHECK(count_blocks(blocks, "section") == 1);                /* no status section */
    CHECK_STR(sget(json_array_get(json_object_get(block_of(blocks, "section", 0), "fields"),
                                  0), "text"), "*Label 0*\n—");
    json_decref(blocks);    c.request_id[0] = '\0';
    blocks = slack_card_blocks(&c);
    CHECK_STR(text_of(json_array_get(blocks, 0)), "—");
    CHECK(count_blocks(blocks, "context") == 0);                /* no id to show */
    json_decref(blocks);
}

static void test_fallback_text_names_the_request_and_its_state(void)
{
    struct card c = make_card(0, CARD_BUTTONS_NONE);
    char buf[400], small[16];
    snprintf(c.status, sizeof c.status, "Rejected by <@U0FIN1> & <!here>");
    slack_card_fallback_text(&c, buf, sizeof buf);
    CHECK_STR(buf, "CR-7 · Cancel AWS agreement " AGMT ": Rejected by <@U0FIN1> &amp; "
                   "&lt;!here&gt;");
    slack_card_fallback_text(&c, small, sizeof small);
    CHECK(strlen(small) < sizeof small);
    CHECK(ends_with(small, "…"));
    CHECK(strncmp(small, "CR-7 · ", 7) == 0);
}

/* ---- the request form ---- */

static const char *const cancel_blocks[] = {
    "market", "agreement", "customer", "subscription", "entitlement", "reason", "note",
    "case", "ref", "next",
};
static const char *const refund_blocks[] = {
    "agreement", "invoice", "amount", "currency", "reason", "note", "case", "ref", "next",
};

static json_t *input_block(json_t *view, const char *block_id)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(view, "blocks"), i, b)
        if (sget(b, "block_id") && strcmp(sget(b, "block_id"), block_id) == 0)
            return b;
    return NULL;
}

/* Every option value of a select, flattened from options or option_groups. */
static int select_has(json_t *el, const char *value)
{
    size_t i, k;
    json_t *o, *g;
    json_array_foreach(json_object_get(el, "options"), i, o)
        if (strcmp(sget(o, "value"), value) == 0)
            return 1;
    json_array_foreach(json_object_get(el, "option_groups"), k, g)
        json_array_foreach(json_object_get(g, "options"), i, o)
            if (strcmp(sget(o, "value"), value) == 0)
                return 1;
    return 0;
}

static void check_form_blocks(json_t *view, const char *const *want, size_t n)
{
    size_t i, k = 0;
    json_t *b;
    json_array_foreach(json_object_get(view, "blocks"), i, b) {
        if (strcmp(sget(b, "type"), "input") != 0)
            continue;
        CHECK(k < n);
        if (k < n)
            CHECK_STR(sget(b, "block_id"), want[k]);
        CHECK_STR(sget(json_object_get(b, "element"), "action_id"), sget(b, "block_id"));
        k++;
    }
    CHECK(k == n);
}

static void test_cancel_form_has_every_field_named_after_its_cmd_field(void)
{
    json_t *view = slack_request_modal("C0CANCELS", "cancel"), *note, *reason;
    CHECK_STR(sget(view, "type"), "modal");
    CHECK_STR(sget(view, "callback_id"), SLACK_CALLBACK_CANCEL);
    CHECK_STR(sget(view, "private_metadata"), "C0CANCELS");
    CHECK_STR(title_of(view), "Cancel an agreement");
    CHECK(chars(sget(json_object_get(view, "submit"), "text")) <= SLACK_VIEW_TITLE_MAX);
    check_form_blocks(view, cancel_blocks, sizeof cancel_blocks / sizeof cancel_blocks[0]);
    note = input_block(view, "note");
    CHECK(json_is_true(json_object_get(json_object_get(note, "element"), "multiline")));
    CHECK(json_is_false(json_object_get(note, "optional")));
    CHECK(json_is_true(json_object_get(input_block(view, "case"), "optional")));
    CHECK(json_is_true(json_object_get(input_block(view, "agreement"), "optional")));
    CHECK(json_is_false(json_object_get(input_block(view, "market"), "optional")));
    CHECK_STR(sget(json_object_get(json_object_get(input_block(view, "market"), "element"),
                                   "initial_option"), "value"), "aws");
    reason = json_object_get(input_block(view, "reason"), "element");
    CHECK_STR(sget(reason, "type"), "static_select");
    CHECK(select_has(reason, "compromise"));
    json_decref(view);
}

/* The form offers exactly the codes the grammar takes, each under its own name. */
static void test_reason_options_are_the_codes_cmd_accepts(void)
{
    static const char *const aws[] = {
        "INCORRECT_TERMS_ACCEPTED", "REPLACING_AGREEMENT", "TEST_AGREEMENT",
        "ALTERNATIVE_PROCUREMENT_CHANNEL", "PRODUCT_DISCONTINUED", "UNINTENDED_RENEWAL",
        "BUYER_DISSATISFACTION", "OTHER",
    };
    json_t *view = slack_request_modal("C1", "cancel");
    json_t *reason = json_object_get(input_block(view, "reason"), "element"), *g, *o;
    size_t i, k, n = 0;
    for (i = 0; i < sizeof aws / sizeof aws[0]; i++) {
        CHECK(select_has(reason, aws[i]));
        CHECK_STR(cmd_reason_from_alias(MARKET_AWS, aws[i]), aws[i]);
    }
    CHECK_STR(cmd_reason_from_alias(MARKET_AZURE, "compromise"), "compromise");
    json_array_foreach(json_object_get(reason, "option_groups"), k, g)
        json_array_foreach(json_object_get(g, "options"), i, o) {
            n++;
            CHECK(chars(text_of(o)) <= 75);
        }
    CHECK(n == 9);
    json_decref(view);
}

static void test_refund_form_asks_invoice_amount_and_currency(void)
{
    json_t *view = slack_request_modal("C1", "refund"), *reason;
    CHECK_STR(sget(view, "callback_id"), SLACK_CALLBACK_REFUND);
    check_form_blocks(view, refund_blocks, sizeof refund_blocks / sizeof refund_blocks[0]);
    CHECK(json_is_false(json_object_get(input_block(view, "agreement"), "optional")));
    CHECK(input_block(view, "market") == NULL);             /* refunds are AWS-only */
    reason = json_object_get(input_block(view, "reason"), "element");
    CHECK(select_has(reason, "BUYER_DISSATISFACTION"));
    CHECK(!select_has(reason, "compromise"));
    json_decref(view);
}

static void test_form_of_unknown_kind_is_not_built(void)
{
    CHECK(slack_request_modal("C1", "status") == NULL);
    CHECK(slack_request_modal("C1", NULL) == NULL);
    CHECK(slack_request_modal_has_block("status", "note") == 0);
}

static void test_form_says_which_fields_can_show_an_error(void)
{
    for (size_t i = 0; i < sizeof cancel_blocks / sizeof cancel_blocks[0]; i++)
        CHECK(slack_request_modal_has_block("cancel", cancel_blocks[i]));
    for (size_t i = 0; i < sizeof refund_blocks / sizeof refund_blocks[0]; i++)
        CHECK(slack_request_modal_has_block("refund", refund_blocks[i]));
    CHECK(!slack_request_modal_has_block("cancel", "invoice"));
    CHECK(!slack_request_modal_has_block("refund", "customer"));
    CHECK(!slack_request_modal_has_block("refund", "market"));
    CHECK(!slack_request_modal_has_block("cancel", "subcommand"));
    CHECK(!slack_request_modal_has_block("cancel", NULL));
}

/* ---- form -> submission -> command text -> cmd_parse ---- */

struct typed {
    const char *block_id;
    const char *value;
};

/* Parses the view_submission Slack sends when `typed` is entered into `view`; inputs
 * not typed are sent empty, as Slack does. A select given a value it does not offer
 * fails the test. */
static int submit(json_t *view, const struct typed *typed, size_t n, struct slack_frame *f)
{
    json_t *values = json_object(), *env, *b;
    char *text, err[256];
    size_t i;
    int rc;

    json_array_foreach(json_object_get(view, "blocks"), i, b) {
        json_t *el = json_object_get(b, "element");
        const char *id = sget(b, "block_id"), *v = NULL;
        if (!el)
            continue;
        for (size_t k = 0; k < n; k++)
            if (strcmp(typed[k].block_id, id) == 0)
                v = typed[k].value;
        if (strcmp(sget(el, "type"), "static_select") == 0) {
            if (v)
                CHECK(select_has(el, v));
            json_object_set_new(values, id, json_pack("{s:{s:s, s:o}}", sget(el, "action_id"),
                "type", "static_select", "selected_option",
                v ? json_pack("{s:{s:s, s:s}, s:s}", "text", "type", "plain_text", "text", v,
                              "value", v) : json_null()));
        } else {
            json_object_set_new(values, id, json_pack("{s:{s:s, s:o}}", sget(el, "action_id"),
                "type", sget(el, "type"), "value", v ? json_string(v) : json_null()));
        }
    }
    env = json_pack("{s:s, s:s, s:b, s:{s:s, s:{s:s}, s:s, s:{s:s, s:s, s:s, s:{s:o}}}}",
                    "envelope_id", "env-form", "type", "interactive",
                    "accepts_response_payload", 1, "payload", "type", "view_submission",
                    "user", "id", "U0REQ1", "trigger_id", "1.2.3", "view", "id", "V1",
                    "callback_id", sget(view, "callback_id"),
                    "private_metadata", sget(view, "private_metadata"),
                    "state", "values", values);
    text = dump(env);
    rc = text ? slack_frame_parse(text, strlen(text), f, err, sizeof err) : -1;
    if (rc)
        fprintf(stderr, "  submission refused: %s\n", err);
    free(text);
    json_decref(env);
    return rc;
}

/* The form filled with `typed`, read back by the grammar. */
static int through_form(const char *kind, const struct typed *typed, size_t n,
                        struct cmd *c, struct cmd_error *e)
{
    json_t *view = slack_request_modal("C0CANCELS", kind);
    struct slack_frame *f = malloc(sizeof *f);
    char *text = malloc(SLACK_COMMAND_TEXT_MAX);
    int rc = -2;
    memset(e, 0, sizeof *e);
    if (view && f && text && submit(view, typed, n, f) == 0 &&
        slack_modal_to_command_text(f, text, SLACK_COMMAND_TEXT_MAX) == 0) {
        CHECK_STR(slack_modal_command(f), strcmp(kind, "refund") == 0 ? "/refund" : "/cancel");
        CHECK_STR(f->view.private_metadata, "C0CANCELS");
        rc = cmd_parse(slack_modal_command(f), text, c, e);
    }
    free(text);
    free(f);
    json_decref(view);
    return rc;
}

#define TRICKY_NOTE "Replacing with \"offer-9x8y\" per C:\\tmp\\ and \xE2\x80\x9C" "curly" \
    "\xE2\x80\x9D quotes,\nbuyer said \\\" ok \\"

static void test_aws_form_reads_back_exactly_what_was_typed(void)
{
    const struct typed typed[] = {
        {"market", "aws"}, {"agreement", AGMT}, {"reason", "REPLACING_AGREEMENT"},
        {"note", TRICKY_NOTE}, {"case", "12345"}, {"ref", "ZD 778 \"b\""},
        {"next", "new private offer = better"},
    };
    struct cmd c;
    struct cmd_error e;
    CHECK(through_form("cancel", typed, sizeof typed / sizeof typed[0], &c, &e) == 0);
    CHECK_STR(e.text, "");
    CHECK(c.verb == CMD_CANCEL && c.market == MARKET_AWS);
    CHECK_STR(c.agreement_id, AGMT);
    CHECK_STR(c.reason_code, "REPLACING_AGREEMENT");
    CHECK_STR(c.note, TRICKY_NOTE);
    CHECK_STR(c.case_id, "12345");
    CHECK_STR(c.buyer_ref, "ZD 778 \"b\"");
    CHECK_STR(c.next_step, "new private offer = better");
    CHECK_STR(c.account, "default");
}

static void test_azure_form_reads_back_as_an_azure_cancellation(void)
{
    const struct typed typed[] = {
        {"market", "azure"}, {"customer", CUST}, {"subscription", SUBS},
        {"entitlement", "ent-5f4e3d2c"}, {"reason", "compromise"},
        {"note", "Credential leak; subscription mining crypto since 03-01"},
        {"case", "   "},                                   /* blank: left out */
    };
    struct cmd c;
    struct cmd_error e;
    CHECK(through_form("cancel", typed, sizeof typed / sizeof typed[0], &c, &e) == 0);
    CHECK_STR(e.text, "");
    CHECK(c.verb == CMD_CANCEL && c.market == MARKET_AZURE);
    CHECK_STR(c.customer_id, CUST);
    CHECK_STR(c.subscription_id, SUBS);
    CHECK_STR(c.entitlement_id, "ent-5f4e3d2c");
    CHECK_STR(c.reason_code, "compromise");
    CHECK_STR(c.case_id, "");
}

static void test_refund_form_reads_back_as_a_refund(void)
{
    const struct typed typed[] = {
        {"agreement", AGMT}, {"invoice", "INV-2026-0042"}, {"amount", "120.05"},
        {"currency", "usd"}, {"reason", "BUYER_DISSATISFACTION"},
        {"note", "Outage 2026-03-01 to 03-04, SLA credit for 3 days"},
    };
    struct cmd c;
    struct cmd_error e;
    CHECK(through_form("refund", typed, sizeof typed / sizeof typed[0], &c, &e) == 0);
    CHECK_STR(e.text, "");
    CHECK(c.verb == CMD_REFUND && c.market == MARKET_AWS);
    CHECK_STR(c.agreement_id, AGMT);
    CHECK_STR(c.invoice_id, "INV-2026-0042");
    CHECK(c.amount_cents == 12005);
    CHECK_STR(c.currency, "USD");
}

/* Each refusal names a field the form has, so the error shows under it. */
static void test_form_mistakes_are_refused_under_their_own_field(void)
{
    static const struct {
        const char *kind;
        struct typed typed[4];
        const char *field;
    } cases[] = {
        {"cancel", {{"market", "aws"}, {"reason", "OTHER"},
                    {"note", "Buyer moved to a private offer"}}, "agreement"},
        {"cancel", {{"market", "aws"}, {"agreement", AGMT}, {"reason", "OTHER"},
                    {"note", "no longer needed"}}, "note"},
        {"cancel", {{"market", "aws"}, {"agreement", AGMT}, {"reason", "compromise"},
                    {"note", "Buyer moved to a private offer"}}, "reason"},
        {"cancel", {{"market", "azure"}, {"agreement", AGMT}, {"reason", "compromise"},
                    {"note", "Buyer moved to a private offer"}}, "agreement"},
        {"cancel", {{"market", "azure"}, {"customer", "{not-a-guid}"}, {"reason", "compromise"},
                    {"note", "Buyer moved to a private offer"}}, "customer"},
        {"cancel", {{"market", "aws"}, {"agreement", "agmt 1"}, {"reason", "OTHER"},
                    {"note", "Buyer moved to a private offer"}}, "agreement"},
        {"refund", {{"agreement", AGMT}, {"invoice", "INV-1"}, {"amount", "12,00"},
                    {"currency", "USD"}}, "amount"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cmd c;
        struct cmd_error e;
        size_t n = 0;
        while (n < 4 && cases[i].typed[n].block_id)
            n++;
        CHECK(through_form(cases[i].kind, cases[i].typed, n, &c, &e) == -1);
        CHECK_STR(e.field, cases[i].field);
        CHECK(slack_request_modal_has_block(cases[i].kind, e.field));
    }
}

/* Slack takes 3000 characters, the grammar 2000 bytes: what the frame had to cut is
 * still too long, so the note is refused rather than shortened behind the user's back. */
static void test_note_too_long_for_the_frame_is_refused_as_too_long(void)
{
    char *note = malloc(5001);
    struct cmd c;
    struct cmd_error e;
    memset(note, 'n', 5000);
    note[5000] = '\0';
    const struct typed typed[] = {
        {"market", "aws"}, {"agreement", AGMT}, {"reason", "OTHER"}, {"note", note},
    };
    CHECK(through_form("cancel", typed, 4, &c, &e) == -1);
    CHECK_STR(e.field, "note");
    CHECK_CONTAINS(e.text, "at most 2000");
    free(note);
}

static struct slack_frame *form_frame(const char *callback, const struct typed *typed, size_t n)
{
    struct slack_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->kind = SLACK_FRAME_VIEW_SUBMISSION;
    snprintf(f->view.callback_id, sizeof f->view.callback_id, "%s", callback);
    for (size_t i = 0; i < n; i++) {
        snprintf(f->view.values[i].block_id, SLACK_NAME_MAX, "%s", typed[i].block_id);
        snprintf(f->view.values[i].value, SLACK_VALUE_MAX, "%s", typed[i].value);
    }
    f->view.n_values = (int)n;
    return f;
}

static void test_command_text_quotes_only_what_needs_quoting(void)
{
    const struct typed typed[] = {
        {"note", "say \"hi\" \\o/"}, {"agreement", AGMT}, {"market", "aws"},
        {"case", "12345"}, {"ref", ""}, {"next", "a b"}, {"reason", "OTHER"},
    };
    struct slack_frame *f = form_frame(SLACK_CALLBACK_CANCEL, typed, 7);
    char out[256];
    CHECK(f && slack_modal_to_command_text(f, out, sizeof out) == 0);
    CHECK_STR(out, "aws " AGMT " reason=OTHER note=\"say \\\"hi\\\" \\\\o/\" case=12345 "
                   "next=\"a b\"");
    free(f);
}

static void test_command_text_is_refused_for_what_no_form_offers(void)
{
    const struct typed status[] = {{"market", "status"}, {"agreement", "CR-1"}};
    const struct typed azure[] = {{"market", "azure"}, {"agreement", AGMT}};
    struct slack_frame *f = form_frame(SLACK_CALLBACK_CANCEL, status, 2);
    struct slack_frame *g = form_frame(SLACK_CALLBACK_REFUND, azure, 2);
    struct slack_frame *h = form_frame("view-id", azure, 2);
    char out[256];
    CHECK(f && slack_modal_to_command_text(f, out, sizeof out) == -1);
    CHECK(g && slack_modal_to_command_text(g, out, sizeof out) == -1);
    CHECK(h && slack_modal_to_command_text(h, out, sizeof out) == -1);
    CHECK(h && slack_modal_command(h) == NULL);
    if (f) {
        f->kind = SLACK_FRAME_BLOCK_ACTION;
        CHECK(slack_modal_command(f) == NULL);
    }
    free(f);
    free(g);
    free(h);
}

static void test_command_text_that_does_not_fit_is_refused(void)
{
    const struct typed typed[] = {{"market", "aws"}, {"agreement", AGMT}};
    struct slack_frame *f = form_frame(SLACK_CALLBACK_CANCEL, typed, 2);
    char out[32];
    size_t exact = strlen("aws " AGMT) + 1;
    CHECK(f && slack_modal_to_command_text(f, out, exact - 1) == -1);
    CHECK(f && slack_modal_to_command_text(f, out, exact) == 0);
    CHECK_STR(out, "aws " AGMT);
    free(f);
}

/* The worst case SLACK_COMMAND_TEXT_MAX promises: every value full of quotes. */
static void test_command_text_max_holds_the_worst_form(void)
{
    struct slack_frame *f = calloc(1, sizeof *f);
    char *out = malloc(SLACK_COMMAND_TEXT_MAX);
    const char *const fields[] = {"agreement", "customer", "subscription", "entitlement",
                                  "reason", "note", "case", "ref", "next"};
    CHECK(f && out);
    if (!f || !out)
        goto out;
    f->kind = SLACK_FRAME_VIEW_SUBMISSION;
    snprintf(f->view.callback_id, sizeof f->view.callback_id, SLACK_CALLBACK_CANCEL);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        snprintf(f->view.values[i].block_id, SLACK_NAME_MAX, "%s", fields[i]);
        memset(f->view.values[i].value, '"', SLACK_VALUE_MAX - 1);
    }
    f->view.n_values = (int)(sizeof fields / sizeof fields[0]);
    CHECK(slack_modal_to_command_text(f, out, SLACK_COMMAND_TEXT_MAX) == 0);
out:
    free(out);
    free(f);
}

/* ---- errors, rejection, App Home ---- */

static void test_view_errors_put_the_text_under_the_field(void)
{
    json_t *p = slack_view_errors("note", "note: \"no longer needed\" is too vague.");
    char *text = malloc(5001);
    CHECK_STR(sget(p, "response_action"), "errors");
    CHECK_STR(sget(json_object_get(p, "errors"), "note"),
              "note: \"no longer needed\" is too vague.");
    CHECK(json_object_size(json_object_get(p, "errors")) == 1);
    json_decref(p);
    memset(text, 'x', 5000);
    text[5000] = '\0';
    p = slack_view_errors("agreement", text);
    CHECK(chars(sget(json_object_get(p, "errors"), "agreement")) <= SLACK_FIELD_TEXT_MAX);
    json_decref(p);
    free(text);
    CHECK(slack_view_errors("", "x") == NULL);
    CHECK(slack_view_errors(NULL, "x") == NULL);
}

static void test_reject_form_asks_for_a_note_and_remembers_the_request(void)
{
    json_t *view = slack_reject_modal("CR-7", "C0CANCELS"), *note, *el;
    char id[REQUEST_ID_MAX], channel[CHANNEL_ID_MAX];
    CHECK_STR(sget(view, "callback_id"), SLACK_CALLBACK_REJECT);
    CHECK_STR(sget(view, "private_metadata"), "CR-7|C0CANCELS");
    CHECK_STR(title_of(view), "Reject CR-7");
    CHECK(chars(title_of(view)) <= SLACK_VIEW_TITLE_MAX);
    note = input_block(view, "note");
    el = json_object_get(note, "element");
    CHECK_STR(sget(note, "type"), "input");
    CHECK_STR(sget(el, "action_id"), "note");
    CHECK(json_is_true(json_object_get(el, "multiline")));
    CHECK(json_object_get(note, "optional") == NULL ||
          json_is_false(json_object_get(note, "optional")));
    CHECK(json_integer_value(json_object_get(el, "max_length")) == 511);
    CHECK(slack_reject_metadata(sget(view, "private_metadata"), id, sizeof id, channel,
                                sizeof channel) == 0);
    CHECK_STR(id, "CR-7");
    CHECK_STR(channel, "C0CANCELS");
    json_decref(view);
    CHECK(slack_reject_modal("CR|7", "C1") == NULL);
    CHECK(slack_reject_modal("", "C1") == NULL);
    /* Too long to come back from private_metadata: the form could never be submitted. */
    CHECK(slack_reject_modal("CR-1234567890123", "C1") == NULL);
    CHECK(slack_reject_modal("CR-7", "C0123456789012345678901234567890") == NULL);
}

static void test_reject_metadata_that_is_not_ours_is_refused(void)
{
    char id[REQUEST_ID_MAX], channel[CHANNEL_ID_MAX];
    CHECK(slack_reject_metadata("CR-7", id, sizeof id, channel, sizeof channel) == -1);
    CHECK(slack_reject_metadata("|C1", id, sizeof id, channel, sizeof channel) == -1);
    CHECK(slack_reject_metadata(NULL, id, sizeof id, channel, sizeof channel) == -1);
    CHECK(slack_reject_metadata("CR-123456789012345|C1", id, sizeof id, channel,
                                sizeof channel) == -1);
    CHECK(slack_reject_metadata("CR-12345678901|C1", id, sizeof id, channel,
                                sizeof channel) == 0);            /* 15 bytes: fits */
    CHECK(slack_reject_metadata("CR-7|", id, sizeof id, channel, sizeof channel) == 0);
    CHECK_STR(channel, "");
}

static struct slack_home_item *home_items(size_t n, enum request_state state)
{
    struct slack_home_item *v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        int k = (int)(i % 1000) + 1;
        snprintf(v[i].request_id, sizeof v[i].request_id, "CR-%d", k);
        v[i].state = state;
        snprintf(v[i].agreement_id, sizeof v[i].agreement_id, "agmt-%d", k);
        snprintf(v[i].requester, sizeof v[i].requester, "U0REQ%d", k);
    }
    return v;
}

static void test_home_lists_open_requests_then_waiting_approvals(void)
{
    struct slack_home_item *mine = home_items(2, REQUEST_SUBMITTED);
    struct slack_home_item *waiting = home_items(1, REQUEST_AWAITING_APPROVAL);
    json_t *view = slack_home_view(mine, 2, waiting, 1), *blocks;
    blocks = json_object_get(view, "blocks");
    CHECK_STR(sget(view, "type"), "home");
    CHECK_STR(text_of(block_of(blocks, "header", 0)), "Your open requests");
    CHECK_STR(text_of(block_of(blocks, "header", 1)), "Waiting for your approval");
    CHECK(count_blocks(blocks, "section") == 3);
    CHECK_STR(sget(json_object_get(block_of(blocks, "section", 0), "text"), "text"),
              "*CR-1* · submitted\nAgreement agmt-1 · requested by <@U0REQ1>");
    CHECK_CONTAINS(sget(json_object_get(block_of(blocks, "section", 2), "text"), "text"),
                   "awaiting approval");
    json_decref(view);
    view = slack_home_view(NULL, 0, NULL, 0);
    blocks = json_object_get(view, "blocks");
    CHECK(count_blocks(blocks, "section") == 0);
    CHECK(count_blocks(blocks, "context") == 2);                /* "nothing" twice */
    json_decref(view);
    free(mine);
    free(waiting);
}

static void test_home_shows_at_most_its_share_and_counts_the_rest(void)
{
    size_t n = 150;
    struct slack_home_item *items = home_items(n, REQUEST_AWAITING_APPROVAL);
    json_t *view = slack_home_view(items, n, items, SLACK_HOME_ITEMS_SHOWN), *blocks;
    blocks = json_object_get(view, "blocks");
    CHECK(json_array_size(blocks) <= 100);
    CHECK(count_blocks(blocks, "section") == 2 * SLACK_HOME_ITEMS_SHOWN);
    CHECK(count_blocks(blocks, "context") == 1);     /* exactly the limit: nothing more */
    CHECK_CONTAINS(sget(json_array_get(json_object_get(block_of(blocks, "context", 0),
                                                       "elements"), 0), "text"),
                   "and 110 more");
    json_decref(view);
    free(items);
}

static void test_home_requester_that_is_not_an_id_is_not_markup(void)
{
    struct slack_home_item *it = home_items(1, REQUEST_DRAFT);
    json_t *view;
    snprintf(it->requester, sizeof it->requester, "!channel");
    snprintf(it->agreement_id, sizeof it->agreement_id, "<!here>");
    view = slack_home_view(it, 1, NULL, 0);
    CHECK_STR(sget(json_object_get(block_of(json_object_get(view, "blocks"), "section", 0),
                                   "text"), "text"),
              "*CR-1* · draft\nAgreement &lt;!here&gt; · requested by !channel");
    json_decref(view);
    free(it);
}

int main(void)
{
    RUN(test_card_awaiting_approval_has_approve_and_reject_with_request_id);
    RUN(test_draft_card_has_confirm_and_discard);
    RUN(test_decided_card_has_no_buttons);
    RUN(test_rendered_card_loses_its_buttons_once_decided);
    RUN(test_fields_go_ten_to_a_section);
    RUN(test_card_texts_are_cut_to_block_kit_limits);
    RUN(test_reject_prompt_and_group_mention);
    RUN(test_text_exactly_at_a_limit_is_not_cut);
    RUN(test_user_text_cannot_ping_or_link_but_mentions_stay);
    RUN(test_mrkdwn_escape_is_the_same_rule_for_any_text);
    RUN(test_bytes_that_are_not_utf8_show_as_replacement);
    RUN(test_emoji_are_kept_whole_and_counted_twice);
    RUN(test_empty_texts_are_never_sent_empty);
    RUN(test_fallback_text_names_the_request_and_its_state);
    RUN(test_cancel_form_has_every_field_named_after_its_cmd_field);
    RUN(test_reason_options_are_the_codes_cmd_accepts);
    RUN(test_refund_form_asks_invoice_amount_and_currency);
    RUN(test_form_of_unknown_kind_is_not_built);
    RUN(test_form_says_which_fields_can_show_an_error);
    RUN(test_aws_form_reads_back_exactly_what_was_typed);
    RUN(test_azure_form_reads_back_as_an_azure_cancellation);
    RUN(test_refund_form_reads_back_as_a_refund);
    RUN(test_form_mistakes_are_refused_under_their_own_field);
    RUN(test_note_too_long_for_the_frame_is_refused_as_too_long);
    RUN(test_command_text_quotes_only_what_needs_quoting);
    RUN(test_command_text_is_refused_for_what_no_form_offers);
    RUN(test_command_text_that_does_not_fit_is_refused);
    RUN(test_command_text_max_holds_the_worst_form);
    RUN(test_view_errors_put_the_text_under_the_field);
    RUN(test_reject_form_asks_for_a_note_and_remembers_the_request);
    RUN(test_reject_metadata_that_is_not_ours_is_refused);
    RUN(test_home_lists_open_requests_then_waiting_approvals);
    RUN(test_home_shows_at_most_its_share_and_counts_the_rest);
    RUN(test_home_requester_that_is_not_an_id_is_not_markup);
    return check_summary();
}
