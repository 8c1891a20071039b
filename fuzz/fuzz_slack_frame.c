/* fuzz/fuzz_slack_frame.c -- Socket Mode frames on arbitrary bytes: parsed or refused
 * with the JSON path named, never a crash; a parsed envelope always yields an ack. */
#include <stdint.h>
#include <stdlib.h>
#include "bot/slack_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slack_frame *f = malloc(sizeof(*f));
    char err[256], ack[512];
    if (!f)
        return 0;
    if (slack_frame_parse((const char *)data, size, f, err, sizeof(err)) != 0) {
        if (!err[0])
            abort();
    } else if (f->kind != SLACK_FRAME_HELLO && f->kind != SLACK_FRAME_DISCONNECT &&
               f->envelope_id[0] && slack_ack_json(f->envelope_id, NULL, ack, sizeof(ack)) != 0) {
        abort();
    }
    free(f);
    return 0;
}
