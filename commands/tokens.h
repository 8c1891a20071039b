/* commands/tokens.h -- private to commands/: splits slash-command text into bare words
 * and key=value pairs. A value may be "quoted", with \" and \\ escapes; Slack's curly
 * quotes count as quotes, because its clients swap them in as people type. Tokens
 * point into the text, which must outlive them; nothing is copied until a field is
 * read (cmd_tok_copy). Failures are codes: cmd.c writes the sentences. */
#ifndef CANCELBOT_COMMANDS_TOKENS_H
#define CANCELBOT_COMMANDS_TOKENS_H

#include <stddef.h>

#define CMD_MAX_TOKENS 40

struct cmd_tok {
    const char *key;            /* as typed; NULL for a bare word */
    size_t key_len;
    const char *val;            /* inside the quotes when quoted */
    size_t val_len;
    int quoted;                 /* \" and \\ still to undo */
};

struct cmd_toks {
    struct cmd_tok v[CMD_MAX_TOKENS];
    size_t n;
};

enum cmd_tok_rc {
    CMD_TOK_OK,
    CMD_TOK_TOO_MANY,           /* more than CMD_MAX_TOKENS */
    CMD_TOK_UNCLOSED,           /* v[n - 1] opens a quote that never closes */
    CMD_TOK_GLUED               /* v[n - 1] is followed by text with no space */
};

enum cmd_tok_rc cmd_tokenize(const char *text, struct cmd_toks *tk);

/* Copies a value, undoing escapes in quoted ones. Returns the decoded length even when
 * it did not fit, as snprintf does, so callers can tell "too long" from "fits". */
size_t cmd_tok_copy(const struct cmd_tok *t, char *dst, size_t cap);

/* Bytes of whitespace at p (ASCII, or U+00A0 from pasted text); 0 if none. */
size_t cmd_space_len(const char *p);

#endif
