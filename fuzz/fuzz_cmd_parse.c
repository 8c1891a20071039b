/* fuzz/fuzz_cmd_parse.c -- the slash-command parser on arbitrary text: it must never
 * crash, and a refusal must always say which field and why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "commands/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct cmd cmd;
    struct cmd_error err;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cmd_parse(size && data[0] & 1 ? "/refund" : "/cancel", text, &cmd, &err) != 0 &&
        (!err.field[0] || !err.text[0]))
        abort();
    free(text);
    return 0;
}
