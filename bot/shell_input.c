/* bot/shell_input.c -- the shell's line reader: libedit's el_gets on a terminal (its
 * emacs key bindings, the up and down arrows through an in-memory history, Ctrl-R
 * to search it, and the user's ~/.editrc), fgets on anything else, so that scripted
 * sessions, which every end-to-end test is, read exactly as they always did. */
#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bot/shell_input.h"

#define HISTORY_SIZE 500

struct shell_input {
    FILE *in;
    FILE *out;
    EditLine *el;               /* NULL: not a terminal, or libedit could not start */
    History *hist;
    const char *prompt;         /* for prompt_of, during one read */
    char *raw;                  /* getline's buffer for plain lines, owned */
    size_t raw_size;
};

static char *prompt_of(EditLine *el)
{
    struct shell_input *si = NULL;
    el_get(el, EL_CLIENTDATA, &si);
    return (char *)(si && si->prompt ? si->prompt : "> ");
}

struct shell_input *shell_input_new(FILE *in, FILE *out)
{
    struct shell_input *si = calloc(1, sizeof(*si));
    HistEvent ev;
    if (!si)
        abort();
    si->in = in;
    si->out = out;
    if (!isatty(fileno(in)))
        return si;
    /* Without a usable terminal description libedit fails; plain lines still work. */
    if (!(si->hist = history_init()) || !(si->el = el_init("cancelbot", in, out, stderr))) {
        if (si->hist)
            history_end(si->hist);
        si->hist = NULL;
        return si;
    }
    history(si->hist, &ev, H_SETSIZE, HISTORY_SIZE);
    history(si->hist, &ev, H_SETUNIQUE, 1);
    el_set(si->el, EL_CLIENTDATA, si);
    el_set(si->el, EL_PROMPT, prompt_of);
    el_set(si->el, EL_EDITOR, "emacs");
    el_set(si->el, EL_SIGNAL, 1);        /* the terminal is restored on Ctrl-C, resize */
    el_set(si->el, EL_HIST, history, si->hist);
    el_set(si->el, EL_BIND, "^R", "em-inc-search-prev", NULL);
    el_source(si->el, NULL);             /* the user's ~/.editrc, when there is one */
    return si;
}

void shell_input_free(struct shell_input *si)
{
    if (!si)
        return;
    if (si->el)
        el_end(si->el);
    if (si->hist)
        history_end(si->hist);
    free(si->raw);
    free(si);
}

int shell_input_interactive(const struct shell_input *si)
{
    return isatty(fileno(si->in));
}

static enum shell_input_rc read_edited(struct shell_input *si, const char *prompt, char *buf,
                                       size_t size)
{
    HistEvent ev;
    int count = 0;
    const char *line;
    size_t n;
    si->prompt = prompt;
    line = el_gets(si->el, &count);
    si->prompt = NULL;
    if (!line || count <= 0)
        return SHELL_INPUT_END;
    n = strcspn(line, "\r\n");
    if (n >= size)
        return SHELL_INPUT_TOO_LONG;
    memcpy(buf, line, n);
    buf[n] = '\0';
    if (n > 0)
        history(si->hist, &ev, H_ENTER, buf);
    return SHELL_INPUT_LINE;
}

/* A line is framed by its newline alone, whatever bytes it holds: getline gives its
 * true length, so a NUL inside it (which fgets would have taken for the end, leaving
 * the rest to be read as a line of its own) refuses the whole line. */
static enum shell_input_rc read_plain(struct shell_input *si, const char *prompt, char *buf,
                                      size_t size)
{
    ssize_t got;
    size_t n;
    if (prompt && shell_input_interactive(si)) {
        fputs(prompt, si->out);
        fflush(si->out);
    }
    got = getline(&si->raw, &si->raw_size, si->in);
    if (got < 0)
        return SHELL_INPUT_END;
    n = (size_t)got;
    while (n > 0 && (si->raw[n - 1] == '\n' || si->raw[n - 1] == '\r'))
        n--;
    if (memchr(si->raw, '\0', n))
        return SHELL_INPUT_NUL_BYTE;
    if (n >= size)
        return SHELL_INPUT_TOO_LONG;
    memcpy(buf, si->raw, n);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return SHELL_INPUT_LINE;
}

enum shell_input_rc shell_input_read(struct shell_input *si, const char *prompt, char *buf,
                                     size_t size)
{
    fflush(si->out);
    return si->el ? read_edited(si, prompt, buf, size) : read_plain(si, prompt, buf, size);
}
