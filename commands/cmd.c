/* commands/cmd.c -- the /cancel and /refund grammar: the text typed after the slash
 * command in, a typed struct cmd or a refusal out. Pure: no I/O, clock or globals.
 *
 * Three steps. tokens.c splits the text into words and key=value pairs, with quoting.
 * The first word picks a form (struct form: which words and keys it takes), and
 * read_args() checks each word and key left to right, so the refusal names the leftmost
 * mistake. Last come the form's required fields.
 *
 * Words are read only right after the subcommand. After the first key=value a bare word
 * is nearly always the tail of an unquoted value (note=Replacing with ...), so it is
 * refused with a quoting hint rather than taken as, say, an agreement id.
 *
 * Every refusal fills err->field and one sentence: what is wrong, what is accepted, an
 * example. What each field accepts is written once, in fields[]; each form's shape once,
 * in the SYNTAX_* strings that the help text reuses. Reason codes and vague notes live
 * in reason.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/reason.h"
#include "commands/tokens.h"

#define SHOWN_MAX 48            /* how much of a refused value a message repeats */
#define NOTE_MIN_CHARS 15
#define WITHDRAW_NOTE_MAX 511   /* it ends up in request.decision_note[512] */

#define NOTE_EXAMPLES                                                             \
    "note=\"Replacing with private offer offer-9x8y, buyer ref ZD-778\" or "      \
    "note=\"Buyer accepted the wrong terms on 2026-03-02; corrected private offer sent\""

#define OPTIONAL_CONTEXT \
    " [case=<case-id>] [ref=<buyer-ref>] [next=\"<next step>\"] [account=<name>]"
#define SYNTAX_CANCEL_AWS \
    "/cancel aws <agreement-id> reason=<code> note=\"<specific note>\"" OPTIONAL_CONTEXT
#define SYNTAX_SEARCH_AWS "/cancel aws buyer=<12-digit account> | offer=<offer-id>"
#define SYNTAX_CANCEL_AZURE                                                       \
    "/cancel azure customer=<guid> subscription=<guid> entitlement=<id> "         \
    "reason=compromise note=\"<specific note>\"" OPTIONAL_CONTEXT
#define SYNTAX_REFUND_AWS                                                         \
    "/refund aws <agreement-id> invoice=<id> amount=<120.00> currency=<USD> "     \
    "reason=<code> note=\"<specific note>\"" OPTIONAL_CONTEXT
#define SYNTAX_STATUS "/cancel status <CR-n|RF-n|SU-n>"
#define SYNTAX_LIST "/cancel list [mine|pending|open|all]"
#define SYNTAX_WITHDRAW "/cancel withdraw <CR-n|RF-n|SU-n> note=\"<why>\""
#define SYNTAX_CASE "/cancel case <CR-n|RF-n> <case-id>"
#define SYNTAX_EXPORT "/cancel export [since=YYYY-MM-DD]"
#define SUBCOMMANDS "aws, azure, suspend, status, list, withdraw, case, export or help"

enum field {
    F_AGREEMENT, F_BUYER, F_OFFER, F_CUSTOMER, F_SUBSCRIPTION, F_ENTITLEMENT,
    F_REASON, F_NOTE, F_CASE, F_REF, F_NEXT, F_ACCOUNT,
    F_INVOICE, F_AMOUNT, F_CURRENCY, F_SINCE,
    /* the fields above can be written key=value; these are words or whole commands */
    F_REQUEST, F_SCOPE, F_MARKET, F_SUBCOMMAND, F_TEXT, F_COMMAND,
    F_COUNT
};
#define BIT(f) (1u << (f))

static const struct field_info {
    const char *name;           /* err->field */
    const char *what;           /* "... is not <what>", "... needs <what>" */
    const char *rule;           /* what is accepted, as a sentence */
    const char *example;
} fields[F_COUNT] = {
    [F_AGREEMENT] = {"agreement", "an agreement id",
        "AWS agreement ids are 1-64 letters, digits, '_', '/' or '-'",
        "agmt-1a2b3c4d5e6f"},
    [F_BUYER] = {"buyer", "a buyer account",
        "Use the buyer's 12-digit AWS account id", "buyer=123456789012"},
    [F_OFFER] = {"offer", "an offer id",
        "AWS offer ids are 1-64 letters, digits, '_', '/' or '-'", "offer=offer-9x8y7w6v5u4t"},
    [F_CUSTOMER] = {"customer", "a customer id",
        "Use the customer's Azure tenant id, a GUID of 8-4-4-4-12 hex digits without braces",
        "customer=0f8fad5b-d9cb-469f-a165-70867728950e"},
    [F_SUBSCRIPTION] = {"subscription", "a subscription id",
        "Use the Azure subscription id, a GUID of 8-4-4-4-12 hex digits without braces",
        "subscription=7c9e6679-7425-40de-944b-e07fc1f90ae7"},
    [F_ENTITLEMENT] = {"entitlement", "an entitlement id",
        "Entitlement ids are 1-64 letters, digits, '_', '.' or '-'", "entitlement=ent-5f4e3d2c"},
    [F_REASON] = {"reason", "a reason code",
        "Use one of: " CMD_AWS_REASON_LIST, "reason=replacing-agreement"},
    [F_NOTE] = {"note", "a specific note",
        "Say what happened and what comes next, in 15 to 2000 characters", NOTE_EXAMPLES},
    [F_CASE] = {"case", "a support case id",
        "Use the case id as the support system shows it, at most 63 characters",
        "case=12345678901"},
    [F_REF] = {"ref", "a buyer reference",
        "Use the buyer's own reference for the request, at most 127 characters", "ref=ZD-778"},
    [F_NEXT] = {"next", "a next step",
        "Say what happens after this request, at most 255 characters",
        "next=\"new private offer\""},
    [F_ACCOUNT] = {"account", "an account name",
        "Use a seller account name from the policy: 1-31 letters, digits, '_' or '-'",
        "account=default"},
    [F_INVOICE] = {"invoice", "an invoice id",
        "Invoice ids are 1-63 letters, digits, '_' or '-'", "invoice=INV-2026-0042"},
    [F_AMOUNT] = {"amount", "an amount",
        "Use a positive number with at most 2 decimals, without currency sign or "
        "thousands separator", "amount=120.00"},
    [F_CURRENCY] = {"currency", "a currency", "Use a 3-letter ISO 4217 code", "currency=USD"},
    [F_SINCE] = {"since", "a date", "Use a real date written YYYY-MM-DD", "since=2026-01-01"},
    [F_REQUEST] = {"request", "a request id",
        "Use CR-<n> for a cancellation, RF-<n> for a refund or SU-<n> for a suspension",
        "/cancel status CR-7"},
    [F_SCOPE] = {"scope", "a list scope", "Use mine, pending, open or all",
        "/cancel list pending"},
    [F_MARKET] = {"market", "a marketplace", "Use aws or azure",
        "/cancel aws agmt-1a2b3c4d5e6f reason=replacing note=\"...\""},
    [F_SUBCOMMAND] = {"subcommand", "a subcommand", "Use " SUBCOMMANDS, "/cancel status CR-7"},
    [F_TEXT] = {"text", "the command text", "Write it as the help shows", "/cancel help"},
    [F_COMMAND] = {"command", "a cancelbot command", "Use /cancel or /refund", "/cancel help"},
};

/* Several spellings per field, so agreement_id= or description= just work. */
static const struct {
    const char *key;
    enum field f;
} keys[] = {
    {"agreement", F_AGREEMENT}, {"agreement_id", F_AGREEMENT}, {"agreementid", F_AGREEMENT},
    {"buyer", F_BUYER}, {"buyer_account", F_BUYER},
    {"offer", F_OFFER}, {"offer_id", F_OFFER},
    {"customer", F_CUSTOMER}, {"customer_id", F_CUSTOMER},
    {"subscription", F_SUBSCRIPTION}, {"subscription_id", F_SUBSCRIPTION},
    {"entitlement", F_ENTITLEMENT}, {"entitlement_id", F_ENTITLEMENT},
    {"reason", F_REASON}, {"reason_code", F_REASON},
    {"note", F_NOTE}, {"description", F_NOTE},
    {"case", F_CASE}, {"case_id", F_CASE},
    {"ref", F_REF}, {"reference", F_REF}, {"buyer_ref", F_REF},
    {"next", F_NEXT}, {"next_step", F_NEXT},
    {"account", F_ACCOUNT},
    {"invoice", F_INVOICE}, {"invoice_id", F_INVOICE},
    {"amount", F_AMOUNT}, {"currency", F_CURRENCY}, {"since", F_SINCE},
};

#define CONTEXT_KEYS (BIT(F_CASE) | BIT(F_REF) | BIT(F_NEXT) | BIT(F_ACCOUNT))

/* What one subcommand takes: words in order, then keys; required fields in the order
 * they are asked for. */
struct form {
    enum cmd_verb verb;
    const char *syntax;
    const char *example;
    enum field words[2];
    size_t n_words;
    unsigned keys;
    enum field required[6];
    size_t n_required;
};

static const struct form form_cancel_aws = {
    CMD_CANCEL, SYNTAX_CANCEL_AWS ", or " SYNTAX_SEARCH_AWS,
    "/cancel aws agmt-1a2b3c4d5e6f reason=replacing note=\"Replacing with private offer offer-9x8y\"",
    {F_AGREEMENT}, 1,
    BIT(F_AGREEMENT) | BIT(F_BUYER) | BIT(F_OFFER) | BIT(F_REASON) | BIT(F_NOTE) | CONTEXT_KEYS,
    {F_AGREEMENT, F_REASON, F_NOTE}, 3,
};
static const struct form form_cancel_azure = {
    CMD_CANCEL, SYNTAX_CANCEL_AZURE,
    "/cancel azure customer=<guid> subscription=<guid> entitlement=ent-5f4e3d2c "
    "reason=compromise note=\"Subscription used for crypto mining after credential leak\"",
    {F_TEXT}, 0,
    BIT(F_CUSTOMER) | BIT(F_SUBSCRIPTION) | BIT(F_ENTITLEMENT) | BIT(F_REASON) | BIT(F_NOTE) |
        CONTEXT_KEYS,
    {F_CUSTOMER, F_SUBSCRIPTION, F_ENTITLEMENT, F_REASON, F_NOTE}, 5,
};
static const struct form form_refund_aws = {
    CMD_REFUND, SYNTAX_REFUND_AWS,
    "/refund aws agmt-1a2b3c4d5e6f invoice=INV-2026-0042 amount=120.00 currency=USD "
    "reason=dissatisfied note=\"Outage 2026-03-01 to 03-04, SLA credit for 3 days\"",
    {F_AGREEMENT}, 1,
    BIT(F_AGREEMENT) | BIT(F_INVOICE) | BIT(F_AMOUNT) | BIT(F_CURRENCY) | BIT(F_REASON) |
        BIT(F_NOTE) | CONTEXT_KEYS,
    {F_AGREEMENT, F_INVOICE, F_AMOUNT, F_CURRENCY, F_REASON, F_NOTE}, 6,
};
static const struct form form_status = {
    CMD_STATUS, SYNTAX_STATUS, "/cancel status CR-7", {F_REQUEST}, 1, 0, {F_REQUEST}, 1,
};
static const struct form form_list = {
    CMD_LIST, SYNTAX_LIST, "/cancel list pending", {F_SCOPE}, 1, 0, {F_SCOPE}, 0,
};
static const struct form form_withdraw = {
    CMD_WITHDRAW, SYNTAX_WITHDRAW, "/cancel withdraw CR-7 note=\"Buyer decided to keep it\"",
    {F_REQUEST}, 1, BIT(F_NOTE), {F_REQUEST, F_NOTE}, 2,
};
static const struct form form_case = {
    CMD_CASE, SYNTAX_CASE, "/cancel case CR-7 12345678901",
    {F_REQUEST, F_CASE}, 2, BIT(F_CASE), {F_REQUEST, F_CASE}, 2,
};
static const struct form form_export = {
    CMD_EXPORT, SYNTAX_EXPORT, "/cancel export since=2026-01-01",
    {F_TEXT}, 0, BIT(F_SINCE), {F_TEXT}, 0,
};

struct parse {
    struct cmd *out;
    struct cmd_error *err;
    const struct cmd_toks *tk;
    const struct form *form;
    char usage[40];             /* "/cancel aws": how messages name the form in use */
    unsigned seen;              /* BIT(field) of every field given so far */
    size_t note_max;
    int note_specific;          /* cancel and refund notes go to the marketplace */
};

/* ---- characters: ASCII only, so the locale cannot change what parses ---- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_alnum(char c) { return is_digit(c) || is_alpha(c); }
static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }
static char to_upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

static int eq_nocase(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++)
        if (to_lower(a[i]) != to_lower(b[i]))
            return 0;
    return i == alen && !b[i];
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s & 0x80)
            return 0;
    return 1;
}

/* Tabs and newlines can come from a flattened form; other control bytes only hurt
 * the card and the CSV export. */
static int has_control(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return 1;
    }
    return 0;
}

/* ---- values as typed ---- */

/* Strips the same whitespace that separates words; returns the new length. */
static size_t trim(char *s)
{
    size_t start = 0, n = strlen(s);
    while (start < n && cmd_space_len(s + start))
        start += cmd_space_len(s + start);
    for (;;) {
        if (n > start && cmd_space_len(s + n - 1) == 1)
            n--;
        else if (n >= start + 2 && cmd_space_len(s + n - 2) == 2)
            n -= 2;
        else
            break;
    }
    memmove(s, s + start, n - start);
    s[n - start] = '\0';
    return n - start;
}

/* A value as a message repeats it: cut on a character boundary, control bytes as '?'. */
static const char *show(const char *v, char buf[SHOWN_MAX + 4])
{
    size_t n = strlen(v);
    if (n > SHOWN_MAX) {
        n = SHOWN_MAX;
        while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
    strcpy(buf + n, v[n] ? "..." : "");
    return buf;
}

static const char *show_tok(const struct cmd_tok *t, char buf[SHOWN_MAX + 4])
{
    char v[SHOWN_MAX * 2];
    cmd_tok_copy(t, v, sizeof v);
    return show(v, buf);
}

__attribute__((format(printf, 3, 4)))
static int refuse(struct cmd_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    snprintf(err->field, sizeof err->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return -1;
}

/* Sentences for the lexer's codes; the offending token is the last one read. */
static int tokenize(const char *text, struct cmd_toks *tk, struct cmd_error *err)
{
    enum cmd_tok_rc rc = cmd_tokenize(text, tk);
    const struct cmd_tok *t = tk->n ? &tk->v[tk->n - 1] : NULL;
    char name[32];

    snprintf(name, sizeof name, "%.*s", t && t->key ? (int)t->key_len : 4,
             t && t->key ? t->key : "text");
    for (char *p = name; *p; p++)
        *p = to_lower(*p);
    switch (rc) {
    case CMD_TOK_OK:
        return 0;
    case CMD_TOK_TOO_MANY:
        return refuse(err, "text", "text: has more than %d words and key=value fields. "
                      "Quote a value that has spaces (e.g. %s).", CMD_MAX_TOKENS, NOTE_EXAMPLES);
    case CMD_TOK_UNCLOSED:
        return refuse(err, name, "%s: the quote is never closed. End the value with another "
                      "quote, and write \\\" for a quote inside it (e.g. %s).", name,
                      NOTE_EXAMPLES);
    case CMD_TOK_GLUED:
        return refuse(err, name, "%s: text follows the closing quote with no space. Put the "
                      "whole value inside the quotes, and write \\\" for a quote inside it "
                      "(e.g. %s).", name, NOTE_EXAMPLES);
    }
    return refuse(err, "text", "text: cannot be read. Write it as the help shows (e.g. "
                  "/cancel help).");
}

/* The field a key names, or F_COUNT. */
static enum field key_field(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (eq_nocase(key, len, keys[i].key))
            return keys[i].f;
    return F_COUNT;
}

/* A bare word "=..." can only come from "key = value" typed with spaces. */
static int starts_with_equals(const struct cmd_tok *t)
{
    return t && !t->key && !t->quoted && t->val_len > 0 && t->val[0] == '=';
}

/* Longest value a free-text field holds; 0 for fields with a format instead. */
static size_t text_max(const struct parse *ps, enum field f)
{
    return f == F_NOTE ? ps->note_max
         : f == F_CASE ? sizeof ps->out->case_id - 1
         : f == F_REF  ? sizeof ps->out->buyer_ref - 1
         : f == F_NEXT ? sizeof ps->out->next_step - 1
         : 0;
}

/* ---- values ---- */

int cmd_valid_aws_agreement_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (; *s; s++)
        if (!is_alnum(*s) && *s != '_' && *s != '/' && *s != '-')
            return 0;
    return 1;
}

int cmd_valid_guid(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    }
    return 1;
}

/* 1..max bytes, each alphanumeric or one of extra. */
static int valid_id(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n < 1 || n > max)
        return 0;
    for (; *s; s++)
        if (!is_alnum(*s) && !strchr(extra, *s))
            return 0;
    return 1;
}

/* 123456789012, or 1234-5678-9012 as the AWS console prints it. */
static int parse_aws_account(const char *s, char out[13])
{
    size_t n = 0, len = strlen(s);
    int dashed = len == 14 && s[4] == '-' && s[9] == '-';
    if (len != 12 && !dashed)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (dashed && (i == 4 || i == 9))
            continue;
        if (!is_digit(s[i]))
            return -1;
        out[n++] = s[i];
    }
    out[n] = '\0';
    return 0;
}

static int parse_request_id(const char *s, char out[REQUEST_ID_MAX])
{
    if (strlen(s) < 4 || s[2] != '-')
        return -1;
    char a = to_upper(s[0]), b = to_upper(s[1]);
    if (!((a == 'C' && b == 'R') || (a == 'R' && b == 'F') || (a == 'S' && b == 'U')))
        return -1;
    const char *d = s + 3;
    if (strlen(d) > 9)
        return -1;
    for (const char *p = d; *p; p++)
        if (!is_digit(*p))
            return -1;
    while (*d == '0')
        d++;
    if (!*d)
        return -1;                      /* n is positive */
    snprintf(out, REQUEST_ID_MAX, "%c%c-%s", a, b, d);
    return 0;
}

enum amount_rc { AMOUNT_OK, AMOUNT_JUNK, AMOUNT_NOT_POSITIVE, AMOUNT_DECIMALS, AMOUNT_TOO_LARGE };

static enum amount_rc parse_amount(const char *s, int64_t *cents)
{
    int64_t whole = 0;
    int frac = 0, n_frac = 0;
    if (*s == '-')
        return AMOUNT_NOT_POSITIVE;
    if (!is_digit(*s))
        return AMOUNT_JUNK;
    for (; is_digit(*s); s++) {
        int d = *s - '0';
        if (whole > (INT64_MAX / 100 - d) / 10)
            return AMOUNT_TOO_LARGE;
        whole = whole * 10 + d;
    }
    if (*s == '.') {
        for (s++; is_digit(*s); s++, n_frac++)
            if (n_frac < 2)
                frac = frac * 10 + (*s - '0');
        if (n_frac == 0)
            return AMOUNT_JUNK;
        if (n_frac > 2)
            return AMOUNT_DECIMALS;
        if (n_frac == 1)
            frac *= 10;
    }
    if (*s)
        return AMOUNT_JUNK;
    if (whole > (INT64_MAX - frac) / 100)
        return AMOUNT_TOO_LARGE;
    *cents = whole * 100 + frac;
    return *cents > 0 ? AMOUNT_OK : AMOUNT_NOT_POSITIVE;
}

static int valid_date(const char *s)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y == 0 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/* ---- refusals ---- */

static int refuse_bad(struct parse *ps, enum field f, const char *v, const char *hint)
{
    const struct field_info *fi = &fields[f];
    char shown[SHOWN_MAX + 4];
    return refuse(ps->err, fi->name, "%s: \"%s\" is not %s. %s (e.g. %s).%s%s", fi->name,
                  show(v, shown), fi->what, fi->rule, fi->example, hint ? " " : "",
                  hint ? hint : "");
}

static int refuse_too_long(struct parse *ps, enum field f, const char *v, size_t n, size_t max)
{
    const struct field_info *fi = &fields[f];
    return refuse(ps->err, fi->name, "%s: is %zu %s long; at most %zu fit. Shorten it (e.g. %s).",
                  fi->name, n,
                  is_ascii(v) ? "characters" : "bytes (accented letters and emoji take 2 to 4)",
                  max, fi->example);
}

static int refuse_missing(struct parse *ps, enum field f)
{
    const struct field_info *fi = &fields[f];
    if (f == F_NOTE && !ps->note_specific)
        return refuse(ps->err, fi->name, "note: %s needs a note saying why, at most %d "
                      "characters (e.g. %s).", ps->usage, WITHDRAW_NOTE_MAX, ps->form->example);
    return refuse(ps->err, fi->name, "%s: %s needs %s. %s (e.g. %s).%s", fi->name, ps->usage,
                  fi->what, fi->rule, fi->example,
                  f == F_AGREEMENT ? " To find it, list the buyer's agreements with "
                                     "/cancel aws buyer=<12-digit account>." : "");
}

/* A bare word where the form takes none. */
static int refuse_stray(struct parse *ps, size_t i)
{
    const struct cmd_tok *t = &ps->tk->v[i], *prev = &ps->tk->v[i - 1];
    const struct cmd_tok *next = i + 1 < ps->tk->n ? &ps->tk->v[i + 1] : NULL;
    const struct form *fm = ps->form;
    char shown[SHOWN_MAX + 4], prev_shown[SHOWN_MAX + 4];
    enum field kf = F_COUNT;

    if (starts_with_equals(t) && !prev->key)
        kf = key_field(prev->val, prev->val_len);           /* note =value */
    else if (starts_with_equals(next))
        kf = key_field(t->val, t->val_len);                 /* note = value */
    else if (prev->key && !prev->quoted && prev->val_len == 0)
        kf = key_field(prev->key, prev->key_len);           /* note= value */
    if (kf < F_COUNT || starts_with_equals(t)) {
        const char *name = kf < F_COUNT ? fields[kf].name : "text";
        return refuse(ps->err, name, "%s: write key=value with no spaces around '=', and "
                      "quote a value that has spaces (e.g. %s).", name,
                      kf < F_COUNT ? fields[kf].example : NOTE_EXAMPLES);
    }
    if (prev->key && !prev->quoted) {
        enum field pf = key_field(prev->key, prev->key_len);
        const char *name = pf < F_COUNT ? fields[pf].name : "text";
        show_tok(prev, prev_shown);
        show_tok(t, shown);
        return refuse(ps->err, name, "%s: \"%s\" follows %s=%s but is not part of it. Quote a "
                      "value that has spaces (e.g. %s=\"%s %s\").", name, shown, name,
                      prev_shown, name, prev_shown, shown);
    }
    enum field f = fm->n_words ? fm->words[fm->n_words - 1] : F_TEXT;
    return refuse(ps->err, fields[f].name, "%s: \"%s\" is not expected there. Write it as: %s "
                  "(e.g. %s).", fields[f].name, show_tok(t, shown), fm->syntax, fm->example);
}

static int refuse_key(struct parse *ps, const struct cmd_tok *t, enum field f)
{
    char name[32];
    const char *hint = "";
    if (f < F_COUNT) {
        snprintf(name, sizeof name, "%s", fields[f].name);
        if (ps->out->verb == CMD_CANCEL && (f == F_INVOICE || f == F_AMOUNT || f == F_CURRENCY))
            hint = " A cancellation is not a refund: to refund an invoice, use /refund aws "
                   "<agreement-id> invoice=<id> amount=<120.00> currency=<USD> ...";
    } else {
        snprintf(name, sizeof name, "%.*s", (int)t->key_len, t->key);
        for (char *p = name; *p; p++)
            *p = to_lower(*p);
    }
    return refuse(ps->err, name, "%s: is not a field %s takes. Write it as: %s (e.g. %s).%s",
                  name, ps->usage, ps->form->syntax, ps->form->example, hint);
}

static int refuse_vague_note(struct parse *ps, const char *note)
{
    char shown[SHOWN_MAX + 4];
    size_t chars = utf8_chars(note);
    if (cmd_note_is_vague(note))
        return refuse(ps->err, "note", "note: \"%s\" is too vague to explain this later. Say "
                      "what happened and what comes next (e.g. %s).", show(note, shown),
                      NOTE_EXAMPLES);
    if (chars < NOTE_MIN_CHARS)
        return refuse(ps->err, "note", "note: \"%s\" is too short (%zu characters; at least %d). "
                      "Say what happened and what comes next (e.g. %s).", show(note, shown),
                      chars, NOTE_MIN_CHARS, NOTE_EXAMPLES);
    return 0;
}

/* ---- reading fields ---- */

static int put(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%s", v);
    return 0;
}
#define PUT(dst, v) put((dst), sizeof(dst), (v))

static int put_text(struct parse *ps, enum field f, const char *v, size_t n, char *dst, size_t cap)
{
    if (has_control(v))
        return refuse(ps->err, fields[f].name, "%s: contains a control character. Use plain "
                      "text (e.g. %s).", fields[f].name, fields[f].example);
    if (n > text_max(ps, f))
        return refuse_too_long(ps, f, v, n, text_max(ps, f));
    return put(dst, cap, v);
}

static int set_value(struct parse *ps, enum field f, const struct cmd_tok *t)
{
    struct cmd *c = ps->out;
    const struct field_info *fi = &fields[f];
    char v[NOTE_MAX];
    size_t n = cmd_tok_copy(t, v, sizeof v);

    if (ps->seen & BIT(f))
        return refuse(ps->err, fi->name, "%s: is given twice. Give it once (e.g. %s).",
                      fi->name, fi->example);
    ps->seen |= BIT(f);
    if (n >= sizeof v)
        return text_max(ps, f) ? refuse_too_long(ps, f, v, n, text_max(ps, f))
                               : refuse_bad(ps, f, v, NULL);
    n = trim(v);
    if (n == 0)
        return refuse(ps->err, fi->name, "%s: is empty. Put the value right after '=' with no "
                      "space; %s (e.g. %s).", fi->name, fi->rule, fi->example);

    switch (f) {
    case F_AGREEMENT:
    case F_OFFER: {
        char acct[13];
        const char *hint = NULL;
        if (f == F_AGREEMENT && parse_aws_account(v, acct) == 0)
            hint = "That looks like a buyer's account id: list its agreements with buyer=.";
        else if (f == F_AGREEMENT && strncmp(v, "offer-", 6) == 0)
            hint = "That looks like an offer id: list its agreements with offer=.";
        if (hint || !cmd_valid_aws_agreement_id(v))
            return refuse_bad(ps, f, v, hint);
        return f == F_AGREEMENT ? PUT(c->agreement_id, v) : PUT(c->offer_id, v);
    }
    case F_BUYER:
        return parse_aws_account(v, c->buyer_account) ? refuse_bad(ps, f, v, NULL) : 0;
    case F_CUSTOMER:
    case F_SUBSCRIPTION: {
        if (!cmd_valid_guid(v))
            return refuse_bad(ps, f, v, NULL);
        for (char *p = v; *p; p++)
            *p = to_lower(*p);          /* one spelling, so the same GUID matches itself */
        return f == F_CUSTOMER ? PUT(c->customer_id, v) : PUT(c->subscription_id, v);
    }
    case F_ENTITLEMENT: {
        /* Several entitlements of one subscription: entitlement=e1,e2 (one approval,
         * one call each). */
        char *save = NULL, *one;
        c->n_entitlements = 0;
        for (one = strtok_r(v, ",", &save); one; one = strtok_r(NULL, ",", &save)) {
            if (!valid_id(one, 64, "_.-") || c->n_entitlements >= REQUEST_MAX_ITEMS)
                return refuse(ps->err, "entitlement", "entitlement: \"%.64s\" is not accepted. "
                              "Give 1 to %d entitlement ids separated by commas, each 1-64 "
                              "letters, digits, '_', '.' or '-' (e.g. entitlement=ent-1,ent-2).",
                              one, REQUEST_MAX_ITEMS);
            for (int i = 0; i < c->n_entitlements; i++)
                if (strcmp(c->entitlements[i], one) == 0)
                    return refuse(ps->err, "entitlement", "entitlement: %.64s is listed twice; "
                                  "name each once (e.g. entitlement=ent-1,ent-2).", one);
            PUT(c->entitlements[c->n_entitlements], one);
            c->n_entitlements++;
        }
        if (!c->n_entitlements)
            return refuse_bad(ps, f, v, NULL);
        return PUT(c->entitlement_id, c->entitlements[0]);
    }
    case F_REASON: {
        const char *code = cmd_reason_from_alias(c->market, v);
        char shown[SHOWN_MAX + 4];
        if (code)
            return PUT(c->reason_code, code);
        if (c->market == MARKET_AZURE)
            return refuse(ps->err, "reason", "reason: \"%s\" is not an Azure cancellation "
                          "reason. Partner Center cancels only for compromise or abuse "
                          "(e.g. reason=compromise).", show(v, shown));
        return refuse_bad(ps, f, v, cmd_reason_from_alias(MARKET_AZURE, v)
                          ? "Compromise and abuse are Azure reasons; on AWS pick the closest "
                            "code and explain in the note." : NULL);
    }
    case F_NOTE:
        if (put_text(ps, f, v, n, c->note, sizeof c->note))
            return -1;
        return ps->note_specific ? refuse_vague_note(ps, c->note) : 0;
    case F_CASE:
        return put_text(ps, f, v, n, c->case_id, sizeof c->case_id);
    case F_REF:
        return put_text(ps, f, v, n, c->buyer_ref, sizeof c->buyer_ref);
    case F_NEXT:
        return put_text(ps, f, v, n, c->next_step, sizeof c->next_step);
    case F_ACCOUNT:
        return valid_id(v, sizeof c->account - 1, "_-") ? PUT(c->account, v)
                                                         : refuse_bad(ps, f, v, NULL);
    case F_INVOICE:
        return valid_id(v, sizeof c->invoice_id - 1, "_-") ? PUT(c->invoice_id, v)
                                                            : refuse_bad(ps, f, v, NULL);
    case F_AMOUNT: {
        char shown[SHOWN_MAX + 4];
        switch (parse_amount(v, &c->amount_cents)) {
        case AMOUNT_OK:
            return 0;
        case AMOUNT_JUNK:
            return refuse_bad(ps, f, v, NULL);
        case AMOUNT_NOT_POSITIVE:
            return refuse(ps->err, "amount", "amount: \"%s\" is not more than zero. A refund "
                          "is a positive amount (e.g. amount=120.00).", show(v, shown));
        case AMOUNT_DECIMALS:
            return refuse(ps->err, "amount", "amount: \"%s\" has more than 2 decimals. Give "
                          "whole cents (e.g. amount=120.05).", show(v, shown));
        case AMOUNT_TOO_LARGE:
            return refuse(ps->err, "amount", "amount: \"%s\" is too large to be a refund. "
                          "Give the amount in the invoice's currency (e.g. amount=120.00).",
                          show(v, shown));
        }
        return refuse_bad(ps, f, v, NULL);
    }
    case F_CURRENCY:
        if (n != 3 || !is_alpha(v[0]) || !is_alpha(v[1]) || !is_alpha(v[2]))
            return refuse_bad(ps, f, v, NULL);
        for (int i = 0; i < 3; i++)
            c->currency[i] = to_upper(v[i]);
        c->currency[3] = '\0';
        return 0;
    case F_SINCE:
        return valid_date(v) ? PUT(c->since, v) : refuse_bad(ps, f, v, NULL);
    case F_REQUEST:
        return parse_request_id(v, c->request_id) ? refuse_bad(ps, f, v, NULL) : 0;
    case F_SCOPE: {
        static const char *const scopes[] = {
            [CMD_LIST_MINE] = "mine", [CMD_LIST_PENDING] = "pending",
            [CMD_LIST_OPEN] = "open", [CMD_LIST_ALL] = "all",
        };
        for (int i = 0; i < 4; i++)
            if (eq_nocase(v, n, scopes[i])) {
                c->scope = (enum cmd_list_scope)i;
                return 0;
            }
        return refuse_bad(ps, f, v, NULL);
    }
    case F_MARKET:
    case F_SUBCOMMAND:
    case F_TEXT:
    case F_COMMAND:
    case F_COUNT:
        break;                          /* not values: no form lists them */
    }
    return refuse_bad(ps, f, v, NULL);
}

/* Reads the form's words, then its keys, from token `first` on. */
static int read_args(struct parse *ps, size_t first)
{
    const struct cmd_toks *tk = ps->tk;
    const struct form *fm = ps->form;
    size_t i = first;

    for (; i < tk->n && !tk->v[i].key; i++) {
        if (i - first == fm->n_words)
            return refuse_stray(ps, i);
        if (set_value(ps, fm->words[i - first], &tk->v[i]))
            return -1;
    }
    for (; i < tk->n; i++) {
        const struct cmd_tok *t = &tk->v[i];
        if (!t->key)
            return refuse_stray(ps, i);
        enum field f = key_field(t->key, t->key_len);
        if (f == F_COUNT || !(fm->keys & BIT(f)))
            return refuse_key(ps, t, f);
        /* A word after an unquoted value is most likely the rest of it: say so before
         * judging the cut-off value ("note=Replacing" alone would read as vague). */
        if (!t->quoted && i + 1 < tk->n && !tk->v[i + 1].key)
            return refuse_stray(ps, i + 1);
        if (set_value(ps, f, t))
            return -1;
    }
    return 0;
}

static int check_required(struct parse *ps)
{
    for (size_t i = 0; i < ps->form->n_required; i++)
        if (!(ps->seen & BIT(ps->form->required[i])))
            return refuse_missing(ps, ps->form->required[i]);
    return 0;
}

static int parse_form(struct parse *ps, size_t first, const struct form *fm)
{
    ps->form = fm;
    ps->out->verb = fm->verb;
    return read_args(ps, first) || check_required(ps) ? -1 : 0;
}

/* /cancel aws takes an agreement id, which names exactly one agreement, or buyer= /
 * offer=, which may match several: then the runtime lists them to pick from. */
static int parse_cancel_aws(struct parse *ps, size_t first)
{
    ps->form = &form_cancel_aws;
    ps->out->verb = CMD_CANCEL;
    if (read_args(ps, first))
        return -1;
    unsigned search = ps->seen & (BIT(F_BUYER) | BIT(F_OFFER));
    if (!search)
        return check_required(ps);
    if (ps->seen & BIT(F_AGREEMENT)) {
        const char *name = search & BIT(F_BUYER) ? "buyer" : "offer";
        return refuse(ps->err, name, "%s: give an agreement id or a search by buyer= or offer=, "
                      "not both. The agreement id alone names the agreement (e.g. %s).",
                      name, form_cancel_aws.example);
    }
    ps->out->verb = CMD_SEARCH;
    return 0;
}

static int is_other_cloud(const char *w)
{
    static const char *const clouds[] = {"gcp", "google", "gcloud", "oracle", "oci", "ibm",
                                         "alibaba", "salesforce"};
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcmp(w, clouds[i]) == 0)
            return 1;
    return 0;
}

int cmd_parse(const char *command, const char *text, struct cmd *out, struct cmd_error *err)
{
    struct cmd_toks tk;
    struct parse ps = {.out = out, .err = err, .tk = &tk, .note_max = NOTE_MAX - 1,
                       .note_specific = 1};
    char word[16], shown[SHOWN_MAX + 4];

    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    PUT(out->account, "default");
    out->scope = CMD_LIST_MINE;

    int refund = command && strcmp(command, "/refund") == 0;
    if (!command || (!refund && strcmp(command, "/cancel") != 0))
        return refuse(err, "command", "command: \"%s\" is not a cancelbot command. Use /cancel "
                      "or /refund (e.g. /cancel help).", show(command ? command : "", shown));
    if (tokenize(text ? text : "", &tk, err))
        return -1;
    if (tk.n == 0) {
        out->verb = CMD_FORM;
        return 0;
    }
    if (tk.v[0].key)
        return refuse(err, "market", "market: start with the marketplace (aws or azure) or a "
                      "subcommand (%s), then the fields (e.g. %s).", SUBCOMMANDS,
                      form_cancel_aws.example);

    if (cmd_tok_copy(&tk.v[0], word, sizeof word) >= sizeof word)
        word[0] = '\0';                 /* longer than any subcommand */
    for (char *p = word; *p; p++)
        *p = to_lower(*p);
    snprintf(ps.usage, sizeof ps.usage, "%s %s", command, word);

    if (strcmp(word, "help") == 0 || strcmp(word, "?") == 0) {
        out->verb = CMD_HELP;
        return 0;
    }
    if (strcmp(word, "aws") == 0) {
        out->market = MARKET_AWS;
        return refund ? parse_form(&ps, 1, &form_refund_aws) : parse_cancel_aws(&ps, 1);
    }
    if (strcmp(word, "azure") == 0) {
        out->market = MARKET_AZURE;
        if (refund)
            return refuse(err, "market", "market: refunds are AWS-only for now; ask Partner "
                          "Center support for an Azure billing adjustment. For AWS use %s "
                          "(e.g. %s).", SYNTAX_REFUND_AWS, form_refund_aws.example);
        return parse_form(&ps, 1, &form_cancel_azure);
    }
    /* The rest act on requests by id, so they answer to /refund as well. */
    if (strcmp(word, "status") == 0)
        return parse_form(&ps, 1, &form_status);
    if (strcmp(word, "list") == 0)
        return parse_form(&ps, 1, &form_list);
    if (strcmp(word, "withdraw") == 0) {
        ps.note_max = WITHDRAW_NOTE_MAX;
        ps.note_specific = 0;
        return parse_form(&ps, 1, &form_withdraw);
    }
    if (strcmp(word, "case") == 0)
        return parse_form(&ps, 1, &form_case);
    /* Suspension is Partner Center's other action: same fields as an Azure
     * cancellation, its own request type and its own approvals. */
    if (strcmp(word, "suspend") == 0 && !refund) {
        char market[8] = "";
        if (tk.n > 1 && !tk.v[1].key)
            cmd_tok_copy(&tk.v[1], market, sizeof market);
        for (char *p = market; *p; p++)
            *p = to_lower(*p);
        if (strcmp(market, "azure") != 0)
            return refuse(err, "market", "market: only Azure subscriptions can be suspended "
                          "(e.g. /cancel suspend azure customer=<guid> subscription=<guid> "
                          "entitlement=<id> reason=compromise note=\"...\").");
        out->market = MARKET_AZURE;
        if (parse_form(&ps, 2, &form_cancel_azure) != 0)
            return -1;
        out->verb = CMD_SUSPEND;
        return 0;
    }
    if (strcmp(word, "export") == 0)
        return parse_form(&ps, 1, &form_export);

    show_tok(&tk.v[0], shown);
    if (is_other_cloud(word))
        return refuse(err, "market", "market: \"%s\" is not a marketplace cancelbot handles. "
                      "Use aws or azure (e.g. %s).", shown, form_cancel_aws.example);
    if (eq_nocase(tk.v[0].val, tk.v[0].val_len < 5 ? tk.v[0].val_len : 5, "agmt-"))
        return refuse(err, "market", "market: \"%s\" looks like an agreement id; name the "
                      "marketplace first (e.g. %s).", shown, form_cancel_aws.example);
    return refuse(err, "subcommand", "subcommand: \"%s\" is not a subcommand. Use %s "
                  "(e.g. /cancel status CR-7, or /cancel help for every form).", shown,
                  SUBCOMMANDS);
}

static const char help_text[] =
    "cancelbot: ask for a cloud-marketplace agreement to be cancelled or refunded; finance "
    "approves in the thread, then the bot submits it and follows it to the end.\n"
    "\n"
    "/cancel\n"
    "    open a form with every field\n"
    SYNTAX_CANCEL_AWS "\n"
    "    e.g. /cancel aws agmt-1a2b3c4d5e6f reason=replacing note=\"Replacing with private "
    "offer offer-9x8y, buyer ref ZD-778\" case=12345 ref=ZD-778 next=\"new offer\"\n"
    SYNTAX_SEARCH_AWS "\n"
    "    list the matching agreements to pick from; only an agreement id names exactly one\n"
    SYNTAX_CANCEL_AZURE "\n"
    "    Azure cancellations are only for compromise or abuse; several entitlements of one\n"
    "    subscription: entitlement=ent-1,ent-2 (one approval, one call each)\n"
    "/cancel suspend azure customer=<guid> subscription=<guid> entitlement=<id> "
    "reason=compromise note=\"...\"\n"
    "    suspend the Azure subscription instead of cancelling it (same approvals; SU-n)\n"
    SYNTAX_REFUND_AWS "\n"
    "    refunds are AWS-only for now\n"
    SYNTAX_STATUS "\n"
    SYNTAX_LIST "\n"
    "    default: mine\n"
    SYNTAX_WITHDRAW "\n"
    SYNTAX_CASE "\n"
    "    record the support case that handles a request\n"
    "/cancel case CR-7 file\n"
    "    when AWS refuses self-serve cancellation: file the form as an AWS Support case\n"
    "/cancel case CR-7 resolved\n"
    "    close a support case you follow by hand\n"
    SYNTAX_EXPORT "\n"
    "    CSV of the record, for reconciliation\n"
    "/cancel help\n"
    "\n"
    "Reason codes (AWS): " CMD_AWS_REASON_LIST ".\n"
    "    Case and '-' or '_' do not matter, and short names work: wrong-terms, replacing, "
    "test, procurement, discontinued, renewal, dissatisfied.\n"
    "Notes must be specific, 15 characters or more: say what happened and what comes next "
    "(e.g. " NOTE_EXAMPLES "). \"No longer needed\" is refused.\n"
    "Quote values that have spaces; write \\\" for a quote inside one.\n"
    "A cancellation is not a refund: a refund adjusts an invoice and the agreement stays "
    "active. A cancellation cannot be undone; undoing it takes a new offer and agreement.\n";

const char *cmd_help_text(void)
{
    return help_text;
}
