/* tests/test_commands.c -- the /cancel and /refund grammar, one rule per test. Each
 * accepted form checks the fields it fills; each refusal checks err->field and that the
 * sentence names the field, says what is accepted and gives an example. Boundaries are
 * tested from both sides (note 14/15 characters, amount at the int64 limit, Feb 29). */
#include <stdint.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/reason.h"
#include "tests/check.h"

#define AGMT "agmt-1a2b3c4d5e6f"
#define NOTE "note=\"Replacing with private offer offer-9x8y, buyer ref ZD-778\""
#define CUST "0f8fad5b-d9cb-469f-a165-70867728950e"
#define SUBS "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define AZURE_OK "customer=" CUST " subscription=" SUBS " entitlement=ent-5f4e3d2c " \
    "reason=compromise note=\"Credential leak; subscription mining crypto since 03-01\""
#define REFUND_OK "aws " AGMT " invoice=INV-2026-0042 amount=120.00 currency=USD " \
    "reason=dissatisfied note=\"Outage 2026-03-01 to 03-04, SLA credit for 3 days\""

/* Parses and expects success; on failure the refusal is printed by CHECK_STR. */
#define PARSES(command_, text_, c_)                                              \
    do {                                                                         \
        struct cmd_error e_;                                                     \
        int rc_ = cmd_parse((command_), (text_), (c_), &e_);                     \
        CHECK(rc_ == 0);                                                         \
        if (rc_ != 0)                                                            \
            CHECK_STR(e_.text, "(no refusal)");                                  \
    } while (0)

/* Expects a refusal naming field_, whose text starts "field_:", contains needle_
 * and gives an example. */
#define REFUSES(command_, text_, field_, needle_)                                \
    do {                                                                         \
        struct cmd c_;                                                           \
        struct cmd_error e_;                                                     \
        CHECK(cmd_parse((command_), (text_), &c_, &e_) == -1);                   \
        CHECK_STR(e_.field, (field_));                                           \
        CHECK(strncmp(e_.text, (field_), strlen(field_)) == 0 &&                 \
              e_.text[strlen(field_)] == ':');                                   \
        CHECK_CONTAINS(e_.text, (needle_));                                      \
        CHECK_CONTAINS(e_.text, "e.g.");                                         \
        CHECK(strlen(e_.text) < sizeof e_.text - 1); /* not cut off */           \
    } while (0)

/* ---- forms without a subcommand ---- */

static void test_blank_text_opens_the_form(void)
{
    struct cmd c;
    PARSES("/cancel", "", &c);
    CHECK(c.verb == CMD_FORM);
    PARSES("/cancel", "  \t ", &c);
    CHECK(c.verb == CMD_FORM);
    PARSES("/cancel", NULL, &c);
    CHECK(c.verb == CMD_FORM);
    PARSES("/refund", "", &c);
    CHECK(c.verb == CMD_FORM);
}

static void test_help_under_both_commands(void)
{
    struct cmd c;
    PARSES("/cancel", "help", &c);
    CHECK(c.verb == CMD_HELP);
    PARSES("/refund", " HELP ", &c);
    CHECK(c.verb == CMD_HELP);
}

static void test_only_cancel_and_refund_are_commands(void)
{
    REFUSES("/cancell", "help", "command", "Use /cancel or /refund");
    REFUSES(NULL, "help", "command", "/refund");
}

/* ---- /cancel aws ---- */

static void test_cancel_aws_reads_every_field(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=REPLACING_AGREEMENT " NOTE
           " case=12345 ref=ZD-778 next=\"new offer\" account=prod-eu", &c);
    CHECK(c.verb == CMD_CANCEL);
    CHECK(c.market == MARKET_AWS);
    CHECK_STR(c.agreement_id, AGMT);
    CHECK_STR(c.reason_code, "REPLACING_AGREEMENT");
    CHECK_STR(c.note, "Replacing with private offer offer-9x8y, buyer ref ZD-778");
    CHECK_STR(c.case_id, "12345");
    CHECK_STR(c.buyer_ref, "ZD-778");
    CHECK_STR(c.next_step, "new offer");
    CHECK_STR(c.account, "prod-eu");
}

/* The lines DESIGN.md shows users, verbatim. */
static void test_design_examples_parse(void)
{
    struct cmd c;
    PARSES("/cancel", "aws agmt-1a2b3c reason=REPLACING_AGREEMENT note=\"Replacing with private "
           "offer offer-9x8y\" case=12345 ref=ZD-778 next=\"new offer\"", &c);
    CHECK(c.verb == CMD_CANCEL);
    CHECK_STR(c.agreement_id, "agmt-1a2b3c");
    PARSES("/cancel", "aws buyer=123456789012", &c);
    CHECK(c.verb == CMD_SEARCH);
    PARSES("/cancel", "export since=2026-01-01", &c);
    CHECK(c.verb == CMD_EXPORT);
    PARSES("/refund", "aws agmt-1a2b3c invoice=INV-7 amount=120.00 currency=USD "
           "reason=BUYER_DISSATISFACTION note=\"Outage on 2026-03-01, three days SLA credit\"", &c);
    CHECK(c.verb == CMD_REFUND);
    CHECK(c.amount_cents == 12000);
    /* its placeholder note is refused, as a real "..." would be */
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=e1 "
            "reason=compromise note=\"...\"", "note", "too vague");
}

static void test_account_defaults_to_default(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=test " NOTE, &c);
    CHECK_STR(c.account, "default");
    CHECK_STR(c.case_id, "");
}

static void test_account_name_is_1_to_31_safe_characters(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=test " NOTE " account=a234567890123456789012345678901",
           &c);
    CHECK_STR(c.account, "a234567890123456789012345678901");
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " account=a2345678901234567890123456789012",
            "account", "1-31 letters");
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " account=prod.eu", "account",
            "\"prod.eu\" is not an account name");
}

static void test_agreement_id_also_as_key(void)
{
    struct cmd c;
    PARSES("/cancel", "aws agreement=" AGMT " reason=test " NOTE, &c);
    CHECK_STR(c.agreement_id, AGMT);
    PARSES("/cancel", "aws Agreement_ID=" AGMT " reason=test " NOTE, &c);
    CHECK_STR(c.agreement_id, AGMT);
}

static void test_agreement_id_is_1_to_64_of_aws_charset(void)
{
    struct cmd c;
    char text[256];
    const char *id64 = "a/b_c-0123456789012345678901234567890123456789012345678901234567";
    CHECK(strlen(id64) == 64);
    snprintf(text, sizeof text, "aws %s reason=test " NOTE, id64);
    PARSES("/cancel", text, &c);
    CHECK_STR(c.agreement_id, id64);
    snprintf(text, sizeof text, "aws %sx reason=test " NOTE, id64);
    REFUSES("/cancel", text, "agreement", "1-64 letters, digits");
    REFUSES("/cancel", "aws agmt.1a2b reason=test " NOTE, "agreement",
            "\"agmt.1a2b\" is not an agreement id");
}

static void test_cmd_valid_aws_agreement_id(void)
{
    CHECK(cmd_valid_aws_agreement_id("agmt-1a2b3c4d5e6f"));
    CHECK(cmd_valid_aws_agreement_id("A"));
    CHECK(cmd_valid_aws_agreement_id("a_b/c-d"));
    CHECK(!cmd_valid_aws_agreement_id(""));
    CHECK(!cmd_valid_aws_agreement_id(NULL));
    CHECK(!cmd_valid_aws_agreement_id("agmt 1"));
    CHECK(!cmd_valid_aws_agreement_id("agmt-1!"));
    CHECK(!cmd_valid_aws_agreement_id("agmt-\xc3\xa9"));
}

static void test_account_number_as_agreement_points_to_buyer_search(void)
{
    REFUSES("/cancel", "aws 123456789012 reason=test " NOTE, "agreement", "buyer=");
    REFUSES("/cancel", "aws offer-9x8y reason=test " NOTE, "agreement", "offer=");
}

static void test_aws_needs_agreement_or_search(void)
{
    REFUSES("/cancel", "aws", "agreement", "/cancel aws needs an agreement id");
    REFUSES("/cancel", "aws reason=test " NOTE, "agreement", "buyer=<12-digit account>");
}

static void test_reason_is_required(void)
{
    REFUSES("/cancel", "aws " AGMT " " NOTE, "reason", "/cancel aws needs a reason code");
    REFUSES("/cancel", "aws " AGMT " " NOTE, "reason", "REPLACING_AGREEMENT");
}

static void test_note_is_required(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test", "note", "/cancel aws needs a specific note");
}

/* ---- search ---- */

static void test_search_by_buyer(void)
{
    struct cmd c;
    PARSES("/cancel", "aws buyer=123456789012", &c);
    CHECK(c.verb == CMD_SEARCH);
    CHECK(c.market == MARKET_AWS);
    CHECK_STR(c.buyer_account, "123456789012");
    CHECK_STR(c.agreement_id, "");
}

static void test_buyer_is_exactly_12_digits(void)
{
    REFUSES("/cancel", "aws buyer=12345678901", "buyer", "12-digit AWS account id");
    REFUSES("/cancel", "aws buyer=1234567890123", "buyer", "\"1234567890123\"");
    REFUSES("/cancel", "aws buyer=12345678901a", "buyer", "is not a buyer account");
}

static void test_buyer_accepts_console_dashes(void)
{
    struct cmd c;
    PARSES("/cancel", "aws buyer=1234-5678-9012", &c);
    CHECK_STR(c.buyer_account, "123456789012");
    REFUSES("/cancel", "aws buyer=123-45678-9012", "buyer", "12-digit");
}

static void test_search_by_offer(void)
{
    struct cmd c;
    PARSES("/cancel", "aws offer=offer-9x8y7w6v5u4t account=us", &c);
    CHECK(c.verb == CMD_SEARCH);
    CHECK_STR(c.offer_id, "offer-9x8y7w6v5u4t");
    CHECK_STR(c.account, "us");
    REFUSES("/cancel", "aws offer=offer#1", "offer", "is not an offer id");
}

static void test_agreement_and_search_are_exclusive(void)
{
    REFUSES("/cancel", "aws " AGMT " buyer=123456789012", "buyer", "not both");
    REFUSES("/cancel", "aws " AGMT " offer=offer-1", "offer", "not both");
}

/* ---- reasons ---- */

static void test_reason_codes_are_case_and_separator_insensitive(void)
{
    CHECK_STR(cmd_reason_from_alias(MARKET_AWS, "REPLACING_AGREEMENT"), "REPLACING_AGREEMENT");
    CHECK_STR(cmd_reason_from_alias(MARKET_AWS, "replacing-agreement"), "REPLACING_AGREEMENT");
    CHECK_STR(cmd_reason_from_alias(MARKET_AWS, "Replacing Agreement"), "REPLACING_AGREEMENT");
    CHECK_STR(cmd_reason_from_alias(MARKET_AWS, "unintended__renewal"), "UNINTENDED_RENEWAL");
    CHECK_STR(cmd_reason_from_alias(MARKET_AWS, "other"), "OTHER");
    CHECK(cmd_reason_from_alias(MARKET_AWS, "replacing.agreement") == NULL);
    CHECK(cmd_reason_from_alias(MARKET_AWS, "") == NULL);
    CHECK(cmd_reason_from_alias(MARKET_AWS, NULL) == NULL);
}

static void test_reason_aliases(void)
{
    static const char *const pairs[][2] = {
        {"replacing", "REPLACING_AGREEMENT"}, {"replaced", "REPLACING_AGREEMENT"},
        {"test", "TEST_AGREEMENT"}, {"wrong-terms", "INCORRECT_TERMS_ACCEPTED"},
        {"incorrect-terms", "INCORRECT_TERMS_ACCEPTED"}, {"discontinued", "PRODUCT_DISCONTINUED"},
        {"renewal", "UNINTENDED_RENEWAL"}, {"auto-renewal", "UNINTENDED_RENEWAL"},
        {"dissatisfied", "BUYER_DISSATISFACTION"},
        {"procurement", "ALTERNATIVE_PROCUREMENT_CHANNEL"},
        {"alternative-channel", "ALTERNATIVE_PROCUREMENT_CHANNEL"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        CHECK_STR(cmd_reason_from_alias(MARKET_AWS, pairs[i][0]), pairs[i][1]);
}

static void test_reason_alias_parses_to_canonical_code(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=wrong-terms " NOTE, &c);
    CHECK_STR(c.reason_code, "INCORRECT_TERMS_ACCEPTED");
    PARSES("/cancel", "aws " AGMT " reason=\"buyer dissatisfaction\" " NOTE, &c);
    CHECK_STR(c.reason_code, "BUYER_DISSATISFACTION");
}

static void test_reasons_are_per_market(void)
{
    CHECK_STR(cmd_reason_from_alias(MARKET_AZURE, "compromise"), "compromise");
    CHECK_STR(cmd_reason_from_alias(MARKET_AZURE, "ABUSE"), "compromise");
    CHECK(cmd_reason_from_alias(MARKET_AZURE, "REPLACING_AGREEMENT") == NULL);
    CHECK(cmd_reason_from_alias(MARKET_AWS, "compromise") == NULL);
}

static void test_unknown_reason_lists_the_codes(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=nope " NOTE, "reason",
            "\"nope\" is not a reason code. Use one of: " CMD_AWS_REASON_LIST);
    REFUSES("/cancel", "aws " AGMT " reason=nope " NOTE, "reason", "reason=replacing-agreement");
    REFUSES("/cancel", "aws " AGMT " reason=abuse " NOTE, "reason", "Azure reasons");
}

static void test_every_listed_code_is_canonical(void)
{
    char list[] = CMD_AWS_REASON_LIST;
    int n = 0;
    for (char *code = strtok(list, ", "); code; code = strtok(NULL, ", "), n++)
        CHECK_STR(cmd_reason_from_alias(MARKET_AWS, code), code);
    CHECK(n == 8);
}

/* ---- notes ---- */

static void test_vague_notes_are_refused(void)
{
    static const char *const vague[] = {
        "cancellation requested", "no longer needed", "Customer request", "as requested",
        "not needed", "n/a", "test", "cancel", "Per customer request", "Not required",
    };
    char text[200];
    for (size_t i = 0; i < sizeof vague / sizeof vague[0]; i++) {
        snprintf(text, sizeof text, "aws " AGMT " reason=test note=\"%s\"", vague[i]);
        REFUSES("/cancel", text, "note", "too vague");
        REFUSES("/cancel", text, "note", "Replacing with private offer offer-9x8y");
    }
}

static void test_vague_note_ignores_case_and_punctuation(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"  NO LONGER -- needed!!! \"", "note",
            "too vague");
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"Cancellation, requested.\"", "note",
            "too vague");
    CHECK(cmd_note_is_vague("...!"));
    CHECK(!cmd_note_is_vague("no longer needed after migrating to offer-9x8y"));
}

static void test_note_repeating_the_reason_is_vague(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=replacing note=\"Replacing agreement.\"", "note",
            "too vague");
    REFUSES("/cancel", "aws " AGMT " reason=renewal note=\"Unintended renewal\"", "note",
            "too vague");
}

static void test_note_needs_15_characters(void)
{
    struct cmd c;
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"Moved to offer\"", "note",
            "too short (14 characters; at least 15)");
    PARSES("/cancel", "aws " AGMT " reason=test note=\"Moved to offerX\"", &c);
    CHECK_STR(c.note, "Moved to offerX");
}

static void test_note_length_counts_characters_not_bytes(void)
{
    /* 10 characters in 19 bytes: still too short. */
    REFUSES("/cancel", "aws " AGMT " reason=test "
            "note=\"\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd1\x85\xd0\xbe\xd0\xb4 \xd0\xba\xd0\xbf\"",
            "note", "(10 characters; at least 15)");
}

static void test_note_is_at_most_2000_bytes(void)
{
    static char text[2200];
    struct cmd c;
    char body[2002];
    memset(body, 'x', 2000);
    memcpy(body, "Moved to offer ", 15);
    body[2000] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test note=\"%s\"", body);
    PARSES("/cancel", text, &c);
    CHECK(strlen(c.note) == 2000);
    body[2000] = 'y';
    body[2001] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test note=\"%s\"", body);
    REFUSES("/cancel", text, "note", "is 2001 characters long; at most 2000 fit");
}

static void test_note_is_trimmed(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=test note=\"   Buyer moved to offer-9x8y  \"", &c);
    CHECK_STR(c.note, "Buyer moved to offer-9x8y");
}

/* ---- quoting ---- */

static void test_quoted_value_escapes(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=test note=\"Buyer said \\\"stop\\\" in C:\\\\tmp ticket\"",
           &c);
    CHECK_STR(c.note, "Buyer said \"stop\" in C:\\tmp ticket");
}

static void test_curly_quotes_from_slack(void)
{
    struct cmd c;
    PARSES("/cancel", "aws " AGMT " reason=test note=\xe2\x80\x9cReplacing with offer-9x8y now"
           "\xe2\x80\x9d next=\xe2\x80\x9cnew offer\xe2\x80\x9d", &c);
    CHECK_STR(c.note, "Replacing with offer-9x8y now");
    CHECK_STR(c.next_step, "new offer");
    /* autocorrect may close with a straight quote, or open with the right one */
    PARSES("/cancel", "aws " AGMT " reason=test note=\xe2\x80\x9cReplacing with offer-9x8y\"", &c);
    CHECK_STR(c.note, "Replacing with offer-9x8y");
    PARSES("/cancel", "aws " AGMT " reason=test note=\xe2\x80\x9dReplacing with offer-9x8y"
           "\xe2\x80\x9d", &c);
    CHECK_STR(c.note, "Replacing with offer-9x8y");
}

static void test_unterminated_quote_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"Replacing with offer-9x8y", "note",
            "never closed");
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"Replacing with offer-9x8y\\\"", "note",
            "never closed");
}

static void test_text_glued_to_closing_quote_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"Replacing with\"offer-9x8y", "note",
            "closing quote");
}

static void test_nbsp_and_tabs_separate_words(void)
{
    struct cmd c;
    PARSES("/cancel", "aws\xc2\xa0" AGMT "\treason=test\n" NOTE, &c);
    CHECK_STR(c.agreement_id, AGMT);
    CHECK_STR(c.reason_code, "TEST_AGREEMENT");
    PARSES("/cancel", "aws " AGMT " reason=test note=\"\xc2\xa0" "Buyer moved to offer-9x8y"
           "\xc2\xa0\xc2\xa0\"", &c);
    CHECK_STR(c.note, "Buyer moved to offer-9x8y");
}

/* ---- keys and words ---- */

static void test_keys_are_case_insensitive(void)
{
    struct cmd c;
    PARSES("/cancel", "AWS " AGMT " REASON=test Note=\"Replacing with offer-9x8y\" CASE=7", &c);
    CHECK_STR(c.reason_code, "TEST_AGREEMENT");
    CHECK_STR(c.note, "Replacing with offer-9x8y");
    CHECK_STR(c.case_id, "7");
}

static void test_unknown_key_is_refused_with_accepted_keys(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " color=red", "color",
            "is not a field /cancel aws takes");
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " color=red", "color", "reason=<code>");
}

static void test_key_of_another_form_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " customer=" CUST, "customer",
            "is not a field /cancel aws takes");
    REFUSES("/cancel", "status CR-7 note=\"hello there world\"", "note", "/cancel status <CR-n");
}

static void test_refund_fields_on_cancel_explain_the_difference(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " amount=12.00", "amount",
            "A cancellation is not a refund");
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " invoice=INV-1", "invoice", "/refund aws");
}

static void test_duplicate_key_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test reason=other " NOTE, "reason", "given twice");
    REFUSES("/cancel", "aws " AGMT " agreement=agmt-2 reason=test " NOTE, "agreement",
            "given twice");
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " description=\"another long note\"",
            "note", "given twice");
}

static void test_empty_value_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason= " NOTE, "reason", "is empty");
    REFUSES("/cancel", "aws " AGMT " reason=test note=\"  \"", "note", "is empty");
}

static void test_unquoted_value_with_spaces_gets_a_quoting_hint(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test note=Replacing with offer-9x8y", "note",
            "\"with\" follows note=Replacing but is not part of it");
    REFUSES("/cancel", "aws " AGMT " reason=test note=Replacing with offer-9x8y", "note",
            "note=\"Replacing with\"");
}

static void test_word_after_keys_is_refused(void)
{
    REFUSES("/cancel", "aws reason=test " NOTE " " AGMT, "agreement", "is not expected there");
    REFUSES("/cancel", "aws reason=test " NOTE " " AGMT, "agreement", "/cancel aws <agreement-id>");
}

static void test_second_agreement_is_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " agmt-2 reason=test " NOTE, "agreement",
            "\"agmt-2\" is not expected there");
}

static void test_spaces_around_equals_get_a_hint(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test note = \"Replacing with offer-9x8y\"", "note",
            "no spaces around '='");
    REFUSES("/cancel", "aws " AGMT " reason =test " NOTE, "reason", "no spaces around '='");
    REFUSES("/cancel", "aws " AGMT " reason=test note= \"Replacing with offer-9x8y\"", "note",
            "no spaces around '='");
}

static void test_context_fields_have_struct_limits(void)
{
    char text[600], big[300];
    struct cmd c;
    memset(big, 'c', sizeof big);
    big[63] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test " NOTE " case=%s", big);
    PARSES("/cancel", text, &c);
    CHECK(strlen(c.case_id) == 63);
    big[63] = 'c';
    big[64] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test " NOTE " case=%s", big);
    REFUSES("/cancel", text, "case", "at most 63 fit");
    memset(big, 'r', sizeof big);
    big[128] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test " NOTE " ref=%s", big);
    REFUSES("/cancel", text, "ref", "is 128 characters long; at most 127 fit");
    memset(big, 'n', sizeof big);
    big[255] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test " NOTE " next=%s", big);
    PARSES("/cancel", text, &c);
    CHECK(strlen(c.next_step) == 255);
    big[255] = 'n';
    big[256] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " reason=test " NOTE " next=%s", big);
    REFUSES("/cancel", text, "next", "at most 255 fit");
}

static void test_control_characters_are_refused(void)
{
    REFUSES("/cancel", "aws " AGMT " reason=test " NOTE " ref=\"ZD\x01-778\"", "ref",
            "control character");
}

static void test_too_many_words_is_refused(void)
{
    char text[400] = "aws " AGMT " reason=test note=";
    for (int i = 0; i < 45; i++)
        strcat(text, "word ");
    REFUSES("/cancel", text, "text", "Quote a value that has spaces");
}

static void test_refused_value_is_shortened_in_the_message(void)
{
    struct cmd c;
    struct cmd_error e;
    char text[300];
    char id[120];
    memset(id, 'z', sizeof id);
    memcpy(id, "agmt!", 5);
    id[119] = '\0';
    snprintf(text, sizeof text, "aws %s reason=test " NOTE, id);
    CHECK(cmd_parse("/cancel", text, &c, &e) == -1);
    CHECK_STR(e.field, "agreement");
    CHECK_CONTAINS(e.text, "zzz...\" is not an agreement id");
    CHECK(strlen(e.text) < 300);
}

/* ---- markets and subcommands ---- */

static void test_unknown_market_is_refused(void)
{
    REFUSES("/cancel", "gcp " AGMT " reason=test " NOTE, "market", "Use aws or azure");
    REFUSES("/cancel", "GCP x", "market", "\"GCP\" is not a marketplace");
}

static void test_unknown_subcommand_is_refused(void)
{
    REFUSES("/cancel", "stats CR-7", "subcommand", "\"stats\" is not a subcommand");
    REFUSES("/cancel", "stats CR-7", "subcommand", "status, list, withdraw");
}

static void test_agreement_first_asks_for_the_market(void)
{
    REFUSES("/cancel", AGMT " reason=test " NOTE, "market", "name the marketplace first");
    REFUSES("/cancel", "reason=test " NOTE, "market", "start with the marketplace");
}

/* ---- /cancel azure ---- */

static void test_cancel_azure_reads_every_field(void)
{
    struct cmd c;
    PARSES("/cancel", "azure " AZURE_OK " case=PC-1 account=tenant2", &c);
    CHECK(c.verb == CMD_CANCEL);
    CHECK(c.market == MARKET_AZURE);
    CHECK_STR(c.customer_id, CUST);
    CHECK_STR(c.subscription_id, SUBS);
    CHECK_STR(c.entitlement_id, "ent-5f4e3d2c");
    CHECK_STR(c.reason_code, "compromise");
    CHECK_STR(c.note, "Credential leak; subscription mining crypto since 03-01");
    CHECK_STR(c.case_id, "PC-1");
    CHECK_STR(c.account, "tenant2");
}

static void test_several_entitlements_in_one_request(void)
{
    struct cmd c;
    PARSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=ent-1,ent-2,"
           "ent-3 reason=compromise note=\"Tenant used for phishing, MSRC case 88\"", &c);
    CHECK(c.n_entitlements == 3);
    CHECK_STR(c.entitlements[2], "ent-3");
    CHECK_STR(c.entitlement_id, "ent-1");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=ent-1,ent-1 "
            "reason=compromise note=\"Tenant used for phishing, MSRC case 88\"", "entitlement",
            "listed twice");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=ent-1,,x y "
            "reason=compromise note=\"Tenant used for phishing, MSRC case 88\"", "entitlement",
            "");
}

static void test_suspend_is_an_azure_action_of_its_own(void)
{
    struct cmd c;
    PARSES("/cancel", "suspend azure " AZURE_OK, &c);
    CHECK(c.verb == CMD_SUSPEND);
    CHECK(c.market == MARKET_AZURE);
    CHECK_STR(c.customer_id, CUST);
    REFUSES("/cancel", "suspend aws " AGMT " reason=replacing " NOTE, "market", "only Azure");
    REFUSES("/refund", "suspend azure " AZURE_OK, "subcommand", "suspend");
    PARSES("/cancel", "status su-12", &c);
    CHECK_STR(c.request_id, "SU-12");
}

static void test_azure_guids_any_case_stored_lower(void)
{
    struct cmd c;
    PARSES("/cancel", "azure customer=0F8FAD5B-D9CB-469F-A165-70867728950E subscription=" SUBS
           " entitlement=e1 reason=abuse note=\"Tenant used for phishing, MSRC case 88\"", &c);
    CHECK_STR(c.customer_id, CUST);
    CHECK_STR(c.reason_code, "compromise");
}

static void test_azure_guid_format(void)
{
    REFUSES("/cancel", "azure customer={" CUST "} subscription=" SUBS, "customer",
            "without braces");
    REFUSES("/cancel", "azure customer=" CUST " subscription=7c9e6679-7425-40de-944be07fc1f90ae7",
            "subscription", "8-4-4-4-12 hex digits");
    REFUSES("/cancel", "azure customer=0f8fad5b-d9cb-469f-a165-70867728950g", "customer",
            "is not a customer id");
}

static void test_cmd_valid_guid(void)
{
    CHECK(cmd_valid_guid(CUST));
    CHECK(cmd_valid_guid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
    CHECK(!cmd_valid_guid("{" CUST "}"));
    CHECK(!cmd_valid_guid("0f8fad5bd9cb469fa16570867728950e"));
    CHECK(!cmd_valid_guid("0f8fad5b-d9cb-469f-a165-70867728950"));
    CHECK(!cmd_valid_guid("0f8fad5b-d9cb-469f-a165-70867728950e0"));
    CHECK(!cmd_valid_guid("0f8fad5b-d9cb-469f-a16-570867728950e"));
    CHECK(!cmd_valid_guid(NULL));
}

static void test_azure_requires_each_field(void)
{
    REFUSES("/cancel", "azure subscription=" SUBS " entitlement=e1 reason=abuse " NOTE,
            "customer", "/cancel azure needs a customer id");
    REFUSES("/cancel", "azure customer=" CUST " entitlement=e1 reason=abuse " NOTE,
            "subscription", "needs a subscription id");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " reason=abuse " NOTE,
            "entitlement", "needs an entitlement id");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=e1 " NOTE,
            "reason", "needs a reason code");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS " entitlement=e1 reason=abuse",
            "note", "needs a specific note");
}

static void test_azure_reason_is_only_compromise(void)
{
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS
            " entitlement=e1 reason=replacing " NOTE, "reason", "only for compromise or abuse");
}

static void test_azure_entitlement_charset(void)
{
    struct cmd c;
    PARSES("/cancel", "azure customer=" CUST " subscription=" SUBS
           " entitlement=ent.v2_a-1 reason=abuse " NOTE, &c);
    CHECK_STR(c.entitlement_id, "ent.v2_a-1");
    REFUSES("/cancel", "azure customer=" CUST " subscription=" SUBS
            " entitlement=ent/1 reason=abuse " NOTE, "entitlement", "'_', '.' or '-'");
}

static void test_azure_takes_no_bare_words(void)
{
    REFUSES("/cancel", "azure " CUST " " AZURE_OK, "text", "/cancel azure customer=<guid>");
}

/* ---- /refund ---- */

static void test_refund_aws_reads_every_field(void)
{
    struct cmd c;
    PARSES("/refund", REFUND_OK " ref=PO-77", &c);
    CHECK(c.verb == CMD_REFUND);
    CHECK(c.market == MARKET_AWS);
    CHECK_STR(c.agreement_id, AGMT);
    CHECK_STR(c.invoice_id, "INV-2026-0042");
    CHECK(c.amount_cents == 12000);
    CHECK_STR(c.currency, "USD");
    CHECK_STR(c.reason_code, "BUYER_DISSATISFACTION");
    CHECK_STR(c.buyer_ref, "PO-77");
}

static int64_t refund_cents(const char *amount)
{
    char text[400];
    struct cmd c;
    struct cmd_error e;
    snprintf(text, sizeof text, "aws " AGMT " invoice=I1 amount=%s currency=usd reason=other "
             NOTE, amount);
    return cmd_parse("/refund", text, &c, &e) == 0 ? c.amount_cents : -1;
}

static void test_amount_to_cents(void)
{
    CHECK(refund_cents("120") == 12000);
    CHECK(refund_cents("120.5") == 12050);
    CHECK(refund_cents("120.05") == 12005);
    CHECK(refund_cents("0.01") == 1);
    CHECK(refund_cents("007.10") == 710);
}

static void test_amount_refusals(void)
{
    char text[400];
    static const struct { const char *amount, *needle; } bad[] = {
        {"-5", "is not more than zero"}, {"0", "is not more than zero"},
        {"0.00", "is not more than zero"}, {"1.234", "more than 2 decimals"},
        {"abc", "is not an amount"}, {"$120", "is not an amount"},
        {"1,200.00", "thousands separator"}, {".5", "is not an amount"},
        {"5.", "is not an amount"}, {"1e3", "is not an amount"},
        {"99999999999999999999", "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "aws " AGMT " invoice=I1 amount=%s currency=USD "
                 "reason=other " NOTE, bad[i].amount);
        REFUSES("/refund", text, "amount", bad[i].needle);
    }
}

static void test_amount_int64_boundary(void)
{
    CHECK(refund_cents("92233720368547758.07") == INT64_MAX);
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=92233720368547758.08 currency=USD "
            "reason=other " NOTE, "amount", "is too large");
    CHECK(refund_cents("92233720368547759") == -1);
}

static void test_currency_is_three_letters_upper_cased(void)
{
    struct cmd c;
    PARSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=eur reason=other " NOTE, &c);
    CHECK_STR(c.currency, "EUR");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=US reason=other " NOTE,
            "currency", "3-letter ISO 4217");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=USDT reason=other " NOTE,
            "currency", "\"USDT\"");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=U5D reason=other " NOTE,
            "currency", "currency=USD");
}

static void test_refund_requires_each_field(void)
{
    REFUSES("/refund", "aws invoice=I1 amount=1 currency=USD reason=other " NOTE, "agreement",
            "/refund aws needs an agreement id");
    REFUSES("/refund", "aws " AGMT " amount=1 currency=USD reason=other " NOTE, "invoice",
            "needs an invoice id");
    REFUSES("/refund", "aws " AGMT " invoice=I1 currency=USD reason=other " NOTE, "amount",
            "needs an amount");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 reason=other " NOTE, "currency",
            "needs a currency");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=USD " NOTE, "reason",
            "needs a reason code");
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=USD reason=other", "note",
            "needs a specific note");
}

static void test_refund_notes_must_be_specific(void)
{
    REFUSES("/refund", "aws " AGMT " invoice=I1 amount=1 currency=USD reason=other "
            "note=\"refund requested\"", "note", "too vague");
}

static void test_invoice_is_1_to_63_safe_characters(void)
{
    char text[400], inv[70];
    struct cmd c;
    memset(inv, 'i', sizeof inv);
    inv[63] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " invoice=%s amount=1 currency=USD reason=other "
             NOTE, inv);
    PARSES("/refund", text, &c);
    CHECK(strlen(c.invoice_id) == 63);
    inv[63] = 'i';
    inv[64] = '\0';
    snprintf(text, sizeof text, "aws " AGMT " invoice=%s amount=1 currency=USD reason=other "
             NOTE, inv);
    REFUSES("/refund", text, "invoice", "1-63 letters");
    REFUSES("/refund", "aws " AGMT " invoice=INV/1 amount=1 currency=USD reason=other " NOTE,
            "invoice", "is not an invoice id");
}

static void test_azure_refund_is_refused(void)
{
    REFUSES("/refund", "azure " AZURE_OK, "market", "refunds are AWS-only for now");
}

static void test_refund_takes_no_search(void)
{
    REFUSES("/refund", "aws buyer=123456789012", "buyer", "is not a field /refund aws takes");
}

/* ---- requests by id ---- */

static void test_status_canonicalises_request_id(void)
{
    struct cmd c;
    PARSES("/cancel", "status cr-7", &c);
    CHECK(c.verb == CMD_STATUS);
    CHECK_STR(c.request_id, "CR-7");
    PARSES("/cancel", "STATUS Rf-0012", &c);
    CHECK_STR(c.request_id, "RF-12");
    PARSES("/refund", "status RF-999999999", &c);
    CHECK_STR(c.request_id, "RF-999999999");
}

static void test_request_id_format(void)
{
    static const char *const bad[] = {"CR-0", "CR-1234567890", "XX-1", "CR7", "CR-", "CR-1a",
                                      "CR--1"};
    char text[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "status %s", bad[i]);
        REFUSES("/cancel", text, "request", "CR-<n> for a cancellation, RF-<n> for a refund or SU-<n> for a suspension");
    }
}

static void test_status_needs_exactly_one_id(void)
{
    REFUSES("/cancel", "status", "request", "/cancel status needs a request id");
    REFUSES("/cancel", "status CR-7 CR-8", "request", "\"CR-8\" is not expected there");
}

static void test_withdraw_needs_a_note(void)
{
    struct cmd c;
    PARSES("/cancel", "withdraw CR-7 note=\"Duplicate of CR-6\"", &c);
    CHECK(c.verb == CMD_WITHDRAW);
    CHECK_STR(c.request_id, "CR-7");
    CHECK_STR(c.note, "Duplicate of CR-6");
    REFUSES("/cancel", "withdraw CR-7", "note", "/cancel withdraw needs a note");
    REFUSES("/cancel", "withdraw note=\"Duplicate of CR-6\"", "request", "needs a request id");
}

static void test_withdraw_note_fits_the_decision_note(void)
{
    char text[700], note[600];
    struct cmd c;
    memset(note, 'w', sizeof note);
    note[511] = '\0';
    snprintf(text, sizeof text, "withdraw CR-7 note=\"%s\"", note);
    PARSES("/cancel", text, &c);
    CHECK(strlen(c.note) == 511);
    note[511] = 'w';
    note[512] = '\0';
    snprintf(text, sizeof text, "withdraw CR-7 note=\"%s\"", note);
    REFUSES("/cancel", text, "note", "at most 511 fit");
}

static void test_list_scopes(void)
{
    struct cmd c;
    PARSES("/cancel", "list", &c);
    CHECK(c.verb == CMD_LIST);
    CHECK(c.scope == CMD_LIST_MINE);
    PARSES("/cancel", "list pending", &c);
    CHECK(c.scope == CMD_LIST_PENDING);
    PARSES("/cancel", "list OPEN", &c);
    CHECK(c.scope == CMD_LIST_OPEN);
    PARSES("/cancel", "list all", &c);
    CHECK(c.scope == CMD_LIST_ALL);
    PARSES("/cancel", "list mine", &c);
    CHECK(c.scope == CMD_LIST_MINE);
    REFUSES("/cancel", "list everything", "scope", "Use mine, pending, open or all");
    REFUSES("/cancel", "list all open", "scope", "\"open\" is not expected there");
}

static void test_export_since_is_optional(void)
{
    struct cmd c;
    PARSES("/cancel", "export", &c);
    CHECK(c.verb == CMD_EXPORT);
    CHECK_STR(c.since, "");
    PARSES("/cancel", "export since=2026-01-01", &c);
    CHECK_STR(c.since, "2026-01-01");
    REFUSES("/cancel", "export 2026-01-01", "text", "[since=YYYY-MM-DD]");
}

static void test_export_date_must_be_real(void)
{
    struct cmd c;
    PARSES("/cancel", "export since=2024-02-29", &c);
    PARSES("/cancel", "export since=2000-02-29", &c);
    PARSES("/cancel", "export since=2026-12-31", &c);
    REFUSES("/cancel", "export since=2026-02-29", "since", "real date written YYYY-MM-DD");
    REFUSES("/cancel", "export since=2100-02-29", "since", "\"2100-02-29\"");
    REFUSES("/cancel", "export since=2026-04-31", "since", "is not a date");
    REFUSES("/cancel", "export since=2026-13-01", "since", "is not a date");
    REFUSES("/cancel", "export since=2026-00-10", "since", "is not a date");
    REFUSES("/cancel", "export since=2026-1-1", "since", "is not a date");
    REFUSES("/cancel", "export since=26-01-01xx", "since", "is not a date");
}

static void test_case_records_a_support_case(void)
{
    struct cmd c;
    PARSES("/cancel", "case cr-7 12345678901", &c);
    CHECK(c.verb == CMD_CASE);
    CHECK_STR(c.request_id, "CR-7");
    CHECK_STR(c.case_id, "12345678901");
    PARSES("/cancel", "case CR-7 case=\"case 99\"", &c);
    CHECK_STR(c.case_id, "case 99");
    REFUSES("/cancel", "case CR-7", "case", "/cancel case needs a support case id");
    REFUSES("/cancel", "case CR-7 1 case=2", "case", "given twice");
}

/* ---- every refusal, and the help ---- */

static void test_every_refusal_names_its_field_and_an_example(void)
{
    static const char *const texts[] = {
        "aws", "aws x!", "aws " AGMT, "aws " AGMT " reason=x", "azure", "gcp", "nope",
        "status", "status X", "withdraw CR-1", "list x", "export since=x", "case",
        "aws " AGMT " reason=test note=\"x", "aws " AGMT " foo=1", "aws " AGMT " a b",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct cmd c;
        struct cmd_error e;
        CHECK(cmd_parse("/cancel", texts[i], &c, &e) == -1);
        CHECK(e.field[0] != '\0');
        CHECK(strncmp(e.text, e.field, strlen(e.field)) == 0);
        CHECK_CONTAINS(e.text, "e.g.");
        CHECK(e.text[strlen(e.text) - 1] == '.');
        CHECK(strlen(e.text) < sizeof e.text - 1);
    }
}

static void test_help_covers_every_form(void)
{
    const char *h = cmd_help_text();
    static const char *const forms[] = {
        "/cancel aws <agreement-id>", "buyer=<12-digit account>", "offer=<offer-id>",
        "/cancel azure customer=<guid>", "/refund aws", "/cancel status", "/cancel list",
        "/cancel withdraw", "/cancel case", "/cancel export", "/cancel help", "case=",
        "ref=", "next=", "account=", "invoice=", "amount=", "currency=", "reason=compromise",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        CHECK_CONTAINS(h, forms[i]);
}

static void test_help_lists_reason_codes(void)
{
    char list[] = CMD_AWS_REASON_LIST;
    for (char *code = strtok(list, ", "); code; code = strtok(NULL, ", "))
        CHECK_CONTAINS(cmd_help_text(), code);
}

static void test_help_says_a_cancellation_is_not_a_refund(void)
{
    CHECK_CONTAINS(cmd_help_text(), "A cancellation is not a refund");
}

int main(void)
{
    RUN(test_blank_text_opens_the_form);
    RUN(test_suspend_is_an_azure_action_of_its_own);
    RUN(test_several_entitlements_in_one_request);
    RUN(test_help_under_both_commands);
    RUN(test_only_cancel_and_refund_are_commands);
    RUN(test_cancel_aws_reads_every_field);
    RUN(test_design_examples_parse);
    RUN(test_account_defaults_to_default);
    RUN(test_account_name_is_1_to_31_safe_characters);
    RUN(test_agreement_id_also_as_key);
    RUN(test_agreement_id_is_1_to_64_of_aws_charset);
    RUN(test_cmd_valid_aws_agreement_id);
    RUN(test_account_number_as_agreement_points_to_buyer_search);
    RUN(test_aws_needs_agreement_or_search);
    RUN(test_reason_is_required);
    RUN(test_note_is_required);
    RUN(test_search_by_buyer);
    RUN(test_buyer_is_exactly_12_digits);
    RUN(test_buyer_accepts_console_dashes);
    RUN(test_search_by_offer);
    RUN(test_agreement_and_search_are_exclusive);
    RUN(test_reason_codes_are_case_and_separator_insensitive);
    RUN(test_reason_aliases);
    RUN(test_reason_alias_parses_to_canonical_code);
    RUN(test_reasons_are_per_market);
    RUN(test_unknown_reason_lists_the_codes);
    RUN(test_every_listed_code_is_canonical);
    RUN(test_vague_notes_are_refused);
    RUN(test_vague_note_ignores_case_and_punctuation);
    RUN(test_note_repeating_the_reason_is_vague);
    RUN(test_note_needs_15_characters);
    RUN(test_note_length_counts_characters_not_bytes);
    RUN(test_note_is_at_most_2000_bytes);
    RUN(test_note_is_trimmed);
    RUN(test_quoted_value_escapes);
    RUN(test_curly_quotes_from_slack);
    RUN(test_unterminated_quote_is_refused);
    RUN(test_text_glued_to_closing_quote_is_refused);
    RUN(test_nbsp_and_tabs_separate_words);
    RUN(test_keys_are_case_insensitive);
    RUN(test_unknown_key_is_refused_with_accepted_keys);
    RUN(test_key_of_another_form_is_refused);
    RUN(test_refund_fields_on_cancel_explain_the_difference);
    RUN(test_duplicate_key_is_refused);
    RUN(test_empty_value_is_refused);
    RUN(test_unquoted_value_with_spaces_gets_a_quoting_hint);
    RUN(test_word_after_keys_is_refused);
    RUN(test_second_agreement_is_refused);
    RUN(test_spaces_around_equals_get_a_hint);
    RUN(test_context_fields_have_struct_limits);
    RUN(test_control_characters_are_refused);
    RUN(test_too_many_words_is_refused);
    RUN(test_refused_value_is_shortened_in_the_message);
    RUN(test_unknown_market_is_refused);
    RUN(test_unknown_subcommand_is_refused);
    RUN(test_agreement_first_asks_for_the_market);
    RUN(test_cancel_azure_reads_every_field);
    RUN(test_azure_guids_any_case_stored_lower);
    RUN(test_azure_guid_format);
    RUN(test_cmd_valid_guid);
    RUN(test_azure_requires_each_field);
    RUN(test_azure_reason_is_only_compromise);
    RUN(test_azure_entitlement_charset);
    RUN(test_azure_takes_no_bare_words);
    RUN(test_refund_aws_reads_every_field);
    RUN(test_amount_to_cents);
    RUN(test_amount_refusals);
    RUN(test_amount_int64_boundary);
    RUN(test_currency_is_three_letters_upper_cased);
    RUN(test_refund_requires_each_field);
    RUN(test_refund_notes_must_be_specific);
    RUN(test_invoice_is_1_to_63_safe_characters);
    RUN(test_azure_refund_is_refused);
    RUN(test_refund_takes_no_search);
    RUN(test_status_canonicalises_request_id);
    RUN(test_request_id_format);
    RUN(test_status_needs_exactly_one_id);
    RUN(test_withdraw_needs_a_note);
    RUN(test_withdraw_note_fits_the_decision_note);
    RUN(test_list_scopes);
    RUN(test_export_since_is_optional);
    RUN(test_export_date_must_be_real);
    RUN(test_case_records_a_support_case);
    RUN(test_every_refusal_names_its_field_and_an_example);
    RUN(test_help_covers_every_form);
    RUN(test_help_lists_reason_codes);
    RUN(test_help_says_a_cancellation_is_not_a_refund);
    return check_summary();
}
