/* commands/tokens.c -- the lexer under the /cancel grammar: words, key=value pairs and
 * quoted values, as described in tokens.h. Keys are letters and '_' before '=', so an
 * agreement id or a URL is never mistaken for one. */
#include "commands/tokens.h"

#include <string.h>

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

size_t cmd_space_len(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
        return 1;
    return (u[0] == 0xC2 && u[1] == 0xA0) ? 2 : 0;
}

/* Bytes of a double quote at p: '"', or U+201C / U+201D. Either may open or close:
 * autocorrect does not reliably pick the left one after '='. */
static size_t quote_len(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (*u == '"')
        return 1;
    return (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9C || u[2] == 0x9D)) ? 3 : 0;
}

enum cmd_tok_rc cmd_tokenize(const char *s, struct cmd_toks *tk)
{
    tk->n = 0;
    for (;;) {
        while (cmd_space_len(s))
            s += cmd_space_len(s);
        if (!*s)
            return CMD_TOK_OK;
        if (tk->n == CMD_MAX_TOKENS)
            return CMD_TOK_TOO_MANY;
        struct cmd_tok *t = &tk->v[tk->n++];
        memset(t, 0, sizeof *t);

        const char *k = s;
        while (is_key_char(*k))
            k++;
        if (k > s && *k == '=') {
            t->key = s;
            t->key_len = (size_t)(k - s);
            s = k + 1;
        }
        if (!quote_len(s)) {
            for (t->val = s; *s && !cmd_space_len(s); s++)
                ;
            t->val_len = (size_t)(s - t->val);
            continue;
        }
        t->quoted = 1;
        t->val = s + quote_len(s);
        for (s = t->val; *s && !quote_len(s);) {
            if (*s == '\\' && s[1] == '\\')
                s += 2;
            else if (*s == '\\' && quote_len(s + 1))
                s += 1 + quote_len(s + 1);
            else
                s++;
        }
        if (!*s)
            return CMD_TOK_UNCLOSED;
        t->val_len = (size_t)(s - t->val);
        s += quote_len(s);
        if (*s && !cmd_space_len(s))
            return CMD_TOK_GLUED;
    }
}

size_t cmd_tok_copy(const struct cmd_tok *t, char *dst, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < t->val_len; i++) {
        if (t->quoted && t->val[i] == '\\' && i + 1 < t->val_len &&
            (t->val[i + 1] == '\\' || quote_len(t->val + i + 1)))
            i++;
        if (n + 1 < cap)
            dst[n] = t->val[i];
        n++;
    }
    if (cap)
        dst[n < cap ? n : cap - 1] = '\0';
    return n;
}
