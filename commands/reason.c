/* commands/reason.c -- what counts as a reason: the marketplaces' reason codes, the
 * names people actually type for them, and the phrases that are too vague to explain a
 * cancellation to whoever reads the record a year later. Kept apart from the grammar
 * because these lists are what changes (AWS adds a code, someone finds a new way to
 * write "no longer needed"); the grammar does not. */
#include <string.h>

#include "commands/cmd.h"
#include "commands/reason.h"

static const char *const aws_codes[] = {
    "INCORRECT_TERMS_ACCEPTED", "REPLACING_AGREEMENT", "TEST_AGREEMENT",
    "ALTERNATIVE_PROCUREMENT_CHANNEL", "PRODUCT_DISCONTINUED", "UNINTENDED_RENEWAL",
    "BUYER_DISSATISFACTION", "OTHER",
};

struct alias {
    const char *name;                   /* as normalize_code() leaves it */
    const char *code;                   /* the canonical code it stands for */
};

static const struct alias aws_aliases[] = {
    {"WRONG_TERMS", "INCORRECT_TERMS_ACCEPTED"},
    {"WRONG_TERMS_ACCEPTED", "INCORRECT_TERMS_ACCEPTED"},
    {"INCORRECT_TERMS", "INCORRECT_TERMS_ACCEPTED"},
    {"REPLACING", "REPLACING_AGREEMENT"},
    {"REPLACED", "REPLACING_AGREEMENT"},
    {"REPLACE", "REPLACING_AGREEMENT"},
    {"REPLACEMENT", "REPLACING_AGREEMENT"},
    {"TEST", "TEST_AGREEMENT"},
    {"PROCUREMENT", "ALTERNATIVE_PROCUREMENT_CHANNEL"},
    {"ALTERNATIVE_CHANNEL", "ALTERNATIVE_PROCUREMENT_CHANNEL"},
    {"ALTERNATIVE_PROCUREMENT", "ALTERNATIVE_PROCUREMENT_CHANNEL"},
    {"DISCONTINUED", "PRODUCT_DISCONTINUED"},
    {"RENEWAL", "UNINTENDED_RENEWAL"},
    {"AUTO_RENEWAL", "UNINTENDED_RENEWAL"},
    {"AUTORENEWAL", "UNINTENDED_RENEWAL"},
    {"DISSATISFIED", "BUYER_DISSATISFACTION"},
    {"DISSATISFACTION", "BUYER_DISSATISFACTION"},
};

/* Partner Center cancels only for compromise or abuse, and takes no code: the bot
 * records one canonical word so reports can group Azure requests. */
static const struct alias azure_aliases[] = {
    {"COMPROMISE", "compromise"},
    {"COMPROMISED", "compromise"},
    {"ABUSE", "compromise"},
};

/* Phrases that say only "someone wanted it", as normalize_note() leaves them. Most are
 * also under the 15-character minimum; they are listed anyway so that the refusal
 * says "too vague" rather than "too short", which is the real problem. */
static const char *const vague_notes[] = {
    "cancel", "cancelled", "canceled", "cancellation", "cancel it", "please cancel",
    "cancel please", "cancel agreement", "cancel the agreement", "cancel this agreement",
    "cancel subscription", "cancel the subscription", "cancellation request",
    "cancellation requested", "cancel request", "cancel requested",
    "requested cancellation", "request to cancel", "requested to cancel",
    "customer wants to cancel", "buyer wants to cancel", "customer asked to cancel",
    "customer requested cancellation", "buyer requested cancellation",
    "customer request", "customer requested", "customer asked", "customer wants",
    "buyer request", "buyer requested", "client request", "client requested",
    "as requested", "per request", "per customer request", "per customer",
    "per the customer", "requested", "request", "no longer needed", "not needed",
    "not needed anymore", "no longer required", "not required", "no longer used",
    "not used", "unused", "no longer in use", "not in use", "no need",
    "n a", "na", "none", "nothing", "no reason", "no comment", "reason", "other",
    "misc", "tbd", "todo", "test", "testing", "see ticket", "see case", "see above",
    "see thread", "see slack", "see email", "refund", "refund requested",
    "refund request", "customer wants a refund", "duplicate",
};

static int is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "replacing-agreement", "Replacing  Agreement" -> "REPLACING_AGREEMENT". -1 when the
 * text has other punctuation or does not fit: no code or alias does. */
static int normalize_code(const char *in, char *buf, size_t cap)
{
    size_t n = 0;
    int gap = 0;
    for (; *in; in++) {
        char c = *in;
        if (c == '-' || c == '_' || c == ' ') {
            gap = n > 0;
            continue;
        }
        if (!is_alnum(c) || n + 2 >= cap)
            return -1;
        if (gap)
            buf[n++] = '_';
        gap = 0;
        buf[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    buf[n] = '\0';
    return n ? 0 : -1;
}

static const char *lookup(const char *name, const struct alias *aliases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(aliases[i].name, name) == 0)
            return aliases[i].code;
    return NULL;
}

const char *cmd_reason_from_alias(enum request_market m, const char *alias)
{
    char name[REASON_CODE_MAX];
    if (!alias || normalize_code(alias, name, sizeof name) != 0)
        return NULL;
    switch (m) {
    case MARKET_AWS:
        for (size_t i = 0; i < sizeof aws_codes / sizeof aws_codes[0]; i++)
            if (strcmp(aws_codes[i], name) == 0)
                return aws_codes[i];
        return lookup(name, aws_aliases, sizeof aws_aliases / sizeof aws_aliases[0]);
    case MARKET_AZURE:
        return lookup(name, azure_aliases, sizeof azure_aliases / sizeof azure_aliases[0]);
    }
    return NULL;
}

/* Lower case, every run of ASCII punctuation or space as one space, trimmed. Bytes
 * above 0x7f are kept as letters: the phrase list is ASCII, so a note in another
 * script never matches it by accident. -1 when the note is longer than any phrase. */
static int normalize_note(const char *in, char *buf, size_t cap)
{
    size_t n = 0;
    int gap = 0;
    for (; *in; in++) {
        char c = *in;
        if (!is_alnum(c) && !((unsigned char)c & 0x80)) {
            gap = n > 0;
            continue;
        }
        if (n + 2 >= cap)
            return -1;
        if (gap)
            buf[n++] = ' ';
        gap = 0;
        buf[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[n] = '\0';
    return 0;
}

int cmd_note_is_vague(const char *note)
{
    char text[64];
    if (normalize_note(note, text, sizeof text) != 0)
        return 0;
    if (!text[0])
        return 1;                       /* punctuation only */
    for (size_t i = 0; i < sizeof vague_notes / sizeof vague_notes[0]; i++)
        if (strcmp(vague_notes[i], text) == 0)
            return 1;
    /* "Replacing agreement" as the note only repeats reason=. */
    return cmd_reason_from_alias(MARKET_AWS, text) || cmd_reason_from_alias(MARKET_AZURE, text);
}
