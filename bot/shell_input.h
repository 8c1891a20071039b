/* bot/shell_input.h -- where the shell's typed lines come from. On a terminal:
 * libedit, so lines can be edited and the arrows recall earlier ones (history in
 * memory, for this session). Otherwise (a script on a pipe or a file): plain
 * lines, with no prompt, exactly as before. */
#ifndef CANCELBOT_BOT_SHELL_INPUT_H
#define CANCELBOT_BOT_SHELL_INPUT_H

#include <stddef.h>
#include <stdio.h>

struct shell_input;

/* in and out are borrowed; editing is on when in is a terminal. */
struct shell_input *shell_input_new(FILE *in, FILE *out);
void shell_input_free(struct shell_input *si);
int shell_input_interactive(const struct shell_input *si);

enum shell_input_rc {
    SHELL_INPUT_LINE = 0,       /* buf holds a line, without its newline */
    SHELL_INPUT_END = 1,        /* end of input (Ctrl-D, end of the script) */
    SHELL_INPUT_TOO_LONG = 2,   /* the line did not fit in buf; it was dropped whole */
    SHELL_INPUT_NUL_BYTE = 3    /* the line held a NUL byte; it was dropped whole */
};

/* Reads one line into buf; prompt is shown only on a terminal. */
enum shell_input_rc shell_input_read(struct shell_input *si, const char *prompt, char *buf,
                                     size_t size);

#endif
