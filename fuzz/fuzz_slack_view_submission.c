/* fuzz/fuzz_slack_view_submission.c -- view submissions (the /cancel and /refund
 * forms, the Reject form) on arbitrary bytes, through what the bot does with one
 * before it touches the store: the frame is refused with the JSON path named, or
 * every value ends inside its buffer and can be found by its block id; a request
 * form becomes command text that fits SLACK_COMMAND_TEXT_MAX and that cmd_parse
 * accepts or refuses with the field named; the Reject form's metadata splits into an
 * id without '|' and a channel, or is refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "bot/slack_blocks.h"
#include "bot/slack_event.h"
#include "commands/cmd.h"
#include "fuzz/fuzz_check.h"

static void check_values(const struct slack_frame *f)
{
    FUZZ_TERMINATED(f->view.user_id);
    FUZZ_TERMINATED(f->view.view_id);
    FUZZ_TERMINATED(f->view.callback_id);
    FUZZ_TERMINATED(f->view.private_metadata);
    FUZZ_TERMINATED(f->view.trigger_id);
    if (f->view.n_values < 0 || f->view.n_values > SLACK_VIEW_VALUES_MAX)
        abort();
    for (int i = 0; i < f->view.n_values; i++) {
        const struct slack_value *v = &f->view.values[i];
        FUZZ_TERMINATED(v->block_id);
        FUZZ_TERMINATED(v->action_id);
        FUZZ_TERMINATED(v->value);
        if (!slack_view_value(f, v->block_id))
            abort();
    }
}

static void check_request_form(const struct slack_frame *f)
{
    const char *command = slack_modal_command(f);
    char *text;
    struct cmd *c;
    struct cmd_error err;
    if (!command)
        return;
    text = malloc(SLACK_COMMAND_TEXT_MAX);
    c = malloc(sizeof(*c));
    if (!text || !c)
        abort();
    if (slack_modal_to_command_text(f, text, SLACK_COMMAND_TEXT_MAX) == 0) {
        fuzz_check_terminated(text, SLACK_COMMAND_TEXT_MAX);
        if (cmd_parse(command, text, c, &err) != 0) {
            json_t *errors;
            if (!err.field[0] || !err.text[0])
                abort();
            errors = slack_view_errors(err.field, err.text);
            if (!errors)
                abort();
            json_decref(errors);
        }
    }
    free(text);
    free(c);
}

static void check_reject_form(const struct slack_frame *f)
{
    char id[REQUEST_ID_MAX], channel[CHANNEL_ID_MAX];
    if (strcmp(f->view.callback_id, SLACK_CALLBACK_REJECT) != 0)
        return;
    if (slack_reject_metadata(f->view.private_metadata, id, sizeof(id), channel,
                              sizeof(channel)) == 0 && (!id[0] || strchr(id, '|')))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slack_frame *f = malloc(sizeof(*f));
    char err[256];
    if (!f)
        return 0;
    if (slack_frame_parse((const char *)data, size, f, err, sizeof(err)) != 0) {
        if (!err[0])
            abort();
    } else if (f->kind == SLACK_FRAME_VIEW_SUBMISSION) {
        check_values(f);
        check_request_form(f);
        check_reject_form(f);
    }
    free(f);
    return 0;
}
