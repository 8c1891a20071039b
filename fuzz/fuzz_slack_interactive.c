/* fuzz/fuzz_slack_interactive.c -- interactive envelopes (block_actions clicks, and
 * any other "interactive" payload) on arbitrary bytes, and what the bot does with a
 * click before it touches the store: a click is refused with the JSON path named, or
 * every field it fills ends inside its buffer; the response_url check lets through
 * only Slack's hooks host (or the configured fake's origin); the Reject form made
 * from a click carries back exactly the request id and channel it was made for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "bot/slack_api.h"
#include "bot/slack_blocks.h"
#include "bot/slack_event.h"
#include "fuzz/fuzz_check.h"

static void check_action(const struct slack_frame *f)
{
    FUZZ_TERMINATED(f->action.user_id);
    FUZZ_TERMINATED(f->action.container_type);
    FUZZ_TERMINATED(f->action.channel_id);
    FUZZ_TERMINATED(f->action.message_ts);
    FUZZ_TERMINATED(f->action.thread_ts);
    FUZZ_TERMINATED(f->action.view_id);
    FUZZ_TERMINATED(f->action.action_id);
    FUZZ_TERMINATED(f->action.action_type);
    FUZZ_TERMINATED(f->action.block_id);
    FUZZ_TERMINATED(f->action.value);
    FUZZ_TERMINATED(f->action.action_ts);
    FUZZ_TERMINATED(f->action.trigger_id);
    FUZZ_TERMINATED(f->action.response_url);
}

/* A URL Slack's own base lets through is on hooks.slack.com over https, nowhere else. */
static void check_response_url(const char *url)
{
    static const char hooks[] = "https://hooks.slack.com/";
    if (slack_response_url_allowed("https://slack.com/api/", url) &&
        strncmp(url, hooks, sizeof(hooks) - 1) != 0)
        abort();
    if (slack_response_url_allowed("http://127.0.0.1:8931/api/", url) &&
        strncmp(url, "http://127.0.0.1:8931/", 22) != 0)
        abort();
}

/* The Reject form keeps the request id and channel in private_metadata; the
 * submission reads them back from there, so they must come back unchanged. */
static void check_reject_form(const struct slack_frame *f)
{
    json_t *view = slack_reject_modal(f->action.value, f->action.channel_id);
    char id[REQUEST_ID_MAX], channel[CHANNEL_ID_MAX];
    const char *meta;
    if (!view)
        return;
    meta = json_string_value(json_object_get(view, "private_metadata"));
    if (!meta || slack_reject_metadata(meta, id, sizeof(id), channel, sizeof(channel)) != 0 ||
        strcmp(id, f->action.value) != 0 || strcmp(channel, f->action.channel_id) != 0)
        abort();
    json_decref(view);
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
    } else {
        FUZZ_TERMINATED(f->type);
        FUZZ_TERMINATED(f->payload_type);
        FUZZ_TERMINATED(f->envelope_id);
        if (f->kind == SLACK_FRAME_BLOCK_ACTION) {
            check_action(f);
            check_response_url(f->action.response_url);
            check_reject_form(f);
        }
    }
    free(f);
    return 0;
}
