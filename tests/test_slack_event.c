/* tests/test_slack_event.c -- Socket Mode frames into struct slack_frame, one rule per
 * test. The samples are Slack's own ($CANCELBOT_TESTDATA/slack, set by ctest; the test
 * fails when it is missing), and each test checks values read from its file. Inline
 * frames cover what the samples do not: refusals, limits, entities, input types. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bot/slack_event.h"
#include "tests/check.h"

/* The sample's bytes (caller frees), or NULL after a failed CHECK. */
static char *load_sample(const char *name, size_t *len)
{
    const char *root = getenv("CANCELBOT_TESTDATA");
    char path[1024];
    char *buf = NULL;
    FILE *f;
    long n;

    CHECK(root != NULL);                /* ctest sets it; never guess a path */
    if (!root)
        return NULL;
    snprintf(path, sizeof path, "%s/slack/%s", root, name);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "  missing sample: %s\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    CHECK(buf != NULL);
    return buf;
}

/* Parses a sample; 0 when it loaded and parsed. */
static int parse_sample(const char *name, struct slack_frame *f)
{
    size_t len = 0;
    char err[256];
    char *text = load_sample(name, &len);
    int rc = text ? slack_frame_parse(text, len, f, err, sizeof err) : -1;
    if (text && rc != 0)
        fprintf(stderr, "  %s: %s\n", name, err);
    free(text);
    return rc;
}

static int parse_str(const char *text, struct slack_frame *f, char *err, size_t errlen)
{
    return slack_frame_parse(text, strlen(text), f, err, errlen);
}

/* A slash_commands envelope whose payload fields are `fields` (JSON members). */
static char *slash_with(const char *fields)
{
    const char *fmt = "{\"envelope_id\":\"env-1\",\"type\":\"slash_commands\","
                      "\"accepts_response_payload\":true,\"payload\":{%s}}";
    size_t n = strlen(fmt) + strlen(fields) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, fields);
    return s;
}

/* ---- the samples ---- */

static void test_hello_gives_connections_time_and_app_id(void)
{
    struct slack_frame f;
    CHECK(parse_sample("hello.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_HELLO);
    CHECK(f.hello.num_connections == 2);
    CHECK(f.hello.approximate_connection_time == 18060);
    CHECK_STR(f.hello.app_id, "A111");
    CHECK_STR(f.hello.host, "applink-111-xxx");
    CHECK_STR(f.envelope_id, "");
}

static void test_disconnect_reasons_map_to_their_enum(void)
{
    static const struct {
        const char *file, *raw;
        enum slack_disconnect_reason reason;
    } cases[] = {
        {"disconnect_warning.json", "warning", SLACK_DISCONNECT_WARNING},
        {"disconnect_refresh_requested.json", "refresh_requested",
         SLACK_DISCONNECT_REFRESH_REQUESTED},
        {"disconnect_link_disabled.json", "link_disabled", SLACK_DISCONNECT_LINK_DISABLED},
        {"disconnect_too_many_websockets.json", "too_many_websockets",
         SLACK_DISCONNECT_TOO_MANY_WEBSOCKETS},
    };
    struct slack_frame f;
    char err[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(parse_sample(cases[i].file, &f) == 0);
        CHECK(f.kind == SLACK_FRAME_DISCONNECT);
        CHECK(f.disconnect.reason == cases[i].reason);
        CHECK_STR(f.disconnect.raw, cases[i].raw);
    }
    CHECK(parse_str("{\"type\":\"disconnect\",\"reason\":\"socket_moved\"}", &f, err,
                    sizeof err) == 0);
    CHECK(f.disconnect.reason == SLACK_DISCONNECT_OTHER);
    CHECK_STR(f.disconnect.raw, "socket_moved");
}

static void test_slash_command_envelope_gives_every_field(void)
{
    struct slack_frame f;
    CHECK(parse_sample("slash_commands_envelope.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_SLASH_COMMAND);
    CHECK_STR(f.envelope_id, "1d3c79ab-0ffb-41f3-a080-d19e85f53649");
    CHECK(f.accepts_response_payload == 1);
    CHECK_STR(f.slash.command, "/hello-socket-mode");
    CHECK_STR(f.slash.text, "");
    CHECK_STR(f.slash.user_id, "U111");
    CHECK_STR(f.slash.user_name, "testxyz");
    CHECK_STR(f.slash.channel_id, "C111");
    CHECK_STR(f.slash.team_id, "T111");
    CHECK_STR(f.slash.trigger_id, "111.222.xxx");
    CHECK_STR(f.slash.response_url, "https://hooks.slack.com/commands/T111/111/xxx");
    CHECK(f.truncated == 0);
}

static void test_button_click_on_channel_message_gives_message_and_action(void)
{
    struct slack_frame f;
    CHECK(parse_sample("interactive_block_actions_button.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_BLOCK_ACTION);
    CHECK_STR(f.envelope_id, "xxx-11-222-yyy-zzz");    /* not a UUID: echoed as is */
    CHECK_STR(f.payload_type, "block_actions");
    CHECK(f.accepts_response_payload == 0);
    CHECK_STR(f.action.user_id, "U111");
    CHECK_STR(f.action.container_type, "message");
    CHECK_STR(f.action.channel_id, "C111");
    CHECK_STR(f.action.message_ts, "1605853634.000400");
    CHECK_STR(f.action.thread_ts, "");
    CHECK(f.action.is_ephemeral == 0);
    CHECK_STR(f.action.action_id, "a");
    CHECK_STR(f.action.action_type, "button");
    CHECK_STR(f.action.block_id, "b");
    CHECK_STR(f.action.value, "underlying");
    CHECK_STR(f.action.action_ts, "1605853645.582706");
    CHECK_STR(f.action.trigger_id, "111.222.xxx");
    CHECK_STR(f.action.response_url, "https://hooks.slack.com/actions/T111/111/xxx");
}

static void test_button_click_on_ephemeral_thread_message_gives_thread_and_flag(void)
{
    struct slack_frame f;
    CHECK(parse_sample("interactive_block_actions_button_in_thread.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_BLOCK_ACTION);
    CHECK_STR(f.envelope_id, "00000000-0000-4000-8000-000000000001");
    CHECK_STR(f.action.message_ts, "1693635296.000500");
    CHECK_STR(f.action.thread_ts, "1693616242.466609");
    CHECK_STR(f.action.channel_id, "C111");
    CHECK(f.action.is_ephemeral == 1);
    CHECK_STR(f.action.action_id, "save");
    CHECK_STR(f.action.value, "1");
    CHECK_STR(f.action.block_id, "block_1");
    CHECK_STR(f.action.action_ts, "1606455407.603639");
}

static void test_view_submission_flattens_submitted_values(void)
{
    struct slack_frame f;
    CHECK(parse_sample("interactive_view_submission.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_VIEW_SUBMISSION);
    CHECK_STR(f.envelope_id, "00000000-0000-4000-8000-000000000002");
    CHECK(f.accepts_response_payload == 1);
    CHECK_STR(f.view.user_id, "W111");
    CHECK_STR(f.view.view_id, "V111");
    CHECK_STR(f.view.callback_id, "view-id");
    CHECK_STR(f.view.private_metadata, "This is for you!");
    CHECK_STR(f.view.trigger_id, "111.222.valid");
    CHECK(f.view.n_values == 1);
    CHECK_STR(f.view.values[0].block_id, "hspI");
    CHECK_STR(f.view.values[0].action_id, "maBWU");
    CHECK_STR(f.view.values[0].value, "test");
    CHECK_STR(slack_view_value(&f, "hspI"), "test");
    CHECK(slack_view_value(&f, "note") == NULL);
}

static void test_reaction_added_gives_reaction_and_item(void)
{
    struct slack_frame f;
    CHECK(parse_sample("events_api_reaction_added.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_EVENT);
    CHECK_STR(f.envelope_id, "00000000-0000-4000-8000-000000000004");
    CHECK(f.retry_attempt == 0);
    CHECK_STR(f.retry_reason, "");
    CHECK_STR(f.event.type, "reaction_added");
    CHECK_STR(f.event.user, "U27FFLNF4");
    CHECK_STR(f.event.reaction, "grinning");
    CHECK_STR(f.event.item_type, "message");
    CHECK_STR(f.event.item_channel, "D2AQCJCQ2");
    CHECK_STR(f.event.item_ts, "1477958101.000004");
    CHECK_STR(f.event.item_user, "U299ATJ2X");
    CHECK_STR(f.event.event_ts, "1477958240.864741");
    CHECK_STR(f.event.team_id, "T0JFD6M53");
    CHECK_STR(f.event.event_id, "");            /* this old sample has none */
}

static void test_thread_reply_gives_thread_ts_and_event_id(void)
{
    struct slack_frame f;
    CHECK(parse_sample("events_api_message_in_thread.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_EVENT);
    CHECK_STR(f.event.type, "message");
    CHECK_STR(f.event.user, "W222");
    CHECK_STR(f.event.text, "When Slack was released?");
    CHECK_STR(f.event.channel, "C111");
    CHECK_STR(f.event.ts, "1726133700.887259");
    CHECK_STR(f.event.thread_ts, "1726133698.626339");
    CHECK_STR(f.event.event_id, "Ev111");
    CHECK(f.event.event_time == 1599616881);
    CHECK_STR(f.event.bot_id, "");
}

static void test_mentions_keep_slack_markup(void)
{
    struct slack_frame f;
    CHECK(parse_sample("events_api_app_mention.json", &f) == 0);
    CHECK(f.kind == SLACK_FRAME_EVENT);
    CHECK_STR(f.envelope_id, "cda4159a-72a5-4744-aba3-4d66eb52682b");
    CHECK_STR(f.event.type, "app_mention");
    CHECK_STR(f.event.text, "<@U111>");
    CHECK_STR(f.event.user, "U222");
    CHECK(f.event.event_time == 1610241741);
    CHECK(parse_sample("events_api_message.json", &f) == 0);
    CHECK_STR(f.envelope_id, "ac2cfd40-6f8c-4d5e-a1ad-646e532baa19");
    CHECK_STR(f.event.type, "message");
    CHECK_STR(f.event.text, "<@U111> Hi here!");
    CHECK_STR(f.event.ts, "1610241741.000200");
}

/* A new sample file must parse as the kind its name announces. */
static void test_every_sample_file_parses_as_its_kind(void)
{
    static const struct { const char *prefix; enum slack_frame_kind kind; } kinds[] = {
        {"hello", SLACK_FRAME_HELLO},
        {"disconnect_", SLACK_FRAME_DISCONNECT},
        {"slash_commands", SLACK_FRAME_SLASH_COMMAND},
        {"interactive_block_actions", SLACK_FRAME_BLOCK_ACTION},
        {"interactive_view_submission", SLACK_FRAME_VIEW_SUBMISSION},
        {"events_api_", SLACK_FRAME_EVENT},
    };
    const char *root = getenv("CANCELBOT_TESTDATA");
    char dir[1024];
    DIR *d;
    struct dirent *e;
    int files = 0;

    CHECK(root != NULL);
    if (!root)
        return;
    snprintf(dir, sizeof dir, "%s/slack", root);
    d = opendir(dir);
    CHECK(d != NULL);
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        struct slack_frame f;
        int known = 0;
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        files++;
        CHECK(parse_sample(e->d_name, &f) == 0);
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            if (strncmp(e->d_name, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
                known = 1;
                if (f.kind != kinds[i].kind)
                    fprintf(stderr, "  %s: kind %s\n", e->d_name, slack_frame_kind_name(f.kind));
                CHECK(f.kind == kinds[i].kind);
            }
        }
        CHECK(known);
    }
    if (d)
        closedir(d);
    CHECK(files >= 13);
}

/* Every cut of a real frame is refused or read, never a crash (ASan watches). */
static void test_every_prefix_of_every_sample_is_handled(void)
{
    static const char *const names[] = {
        "interactive_block_actions_button.json", "interactive_view_submission.json",
        "events_api_reaction_added.json", "slash_commands_envelope.json", "hello.json",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = 0;
        char *text = load_sample(names[i], &len), err[256];
        struct slack_frame f;
        int accepted = 0;
        for (size_t n = 0; text && n < len; n++)
            accepted += slack_frame_parse(text, n, &f, err, sizeof err) == 0;
        CHECK(accepted <= 2);           /* only the text minus trailing whitespace */
        free(text);
    }
}

/* ---- refusals ---- */

static void test_malformed_json_is_refused_without_echoing_it(void)
{
    const char *bad = "{\"envelope_id\":\"e\",\"token\": xoxb-SECRET-123}";
    struct slack_frame f;
    char err[256];
    CHECK(parse_str(bad, &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "not JSON");
    CHECK(strstr(err, "xoxb") == NULL && strstr(err, "SECRET") == NULL);
    CHECK(parse_str("", &f, err, sizeof err) == -1);
    CHECK(parse_str("[1,2]", &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "not a JSON object");
    CHECK(slack_frame_parse(NULL, 0, &f, err, sizeof err) == -1);
    CHECK(parse_str("{\"type\":\"hello\",\"type\":\"hello\"}", &f, err, sizeof err) == -1);
    CHECK(parse_str("{\"num_connections\":1}", &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "type: missing");
    CHECK(parse_str("{\"type\":\"hello\"}", &f, NULL, 0) == 0);    /* no err buffer: fine */
}

static void test_envelope_without_id_is_refused(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"slash_commands\",\"payload\":{\"command\":\"/cancel\","
                    "\"user_id\":\"U1\"}}", &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "envelope_id: missing");
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":\"\"}", &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "envelope_id: is empty");
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":7}", &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "envelope_id: expected a string");
}

static void test_unknown_envelope_is_other_and_keeps_its_id_for_the_ack(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"brand_new\",\"envelope_id\":\"E9\",\"payload\":[]}", &f, err,
                    sizeof err) == 0);
    CHECK(f.kind == SLACK_FRAME_OTHER);
    CHECK_STR(f.envelope_id, "E9");
    CHECK_STR(f.type, "brand_new");
    CHECK(parse_str("{\"type\":\"interactive\",\"envelope_id\":\"E8\",\"payload\":{\"type\":"
                    "\"view_closed\",\"user\":{\"id\":\"U1\"}}}", &f, err, sizeof err) == 0);
    CHECK(f.kind == SLACK_FRAME_OTHER);
    CHECK_STR(f.payload_type, "view_closed");
    CHECK_STR(f.envelope_id, "E8");
}

static void test_refused_envelope_still_gives_its_id_and_nothing_else(void)
{
    char *text = slash_with("\"command\":\"/cancel\",\"text\":\"x\",\"user_id\":5");
    struct slack_frame f;
    char err[256];
    CHECK(text && parse_str(text, &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "payload.user_id: expected a string");
    CHECK_STR(f.envelope_id, "env-1");
    CHECK_STR(f.slash.command, "");     /* zeroed: half a frame is no frame */
    CHECK(f.kind == SLACK_FRAME_HELLO && f.accepts_response_payload == 0);
    free(text);
}

static void test_wrong_types_are_refused_with_their_path(void)
{
    static const struct { const char *frame, *path; } cases[] = {
        {"{\"type\":\"slash_commands\",\"envelope_id\":\"e\",\"payload\":\"x\"}", "payload:"},
        {"{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
         "\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":{}}}", "payload.actions:"},
        {"{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
         "\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[]}}", "payload.actions:"},
        {"{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
         "\"block_actions\",\"user\":\"U1\",\"actions\":[{\"action_id\":\"a\"}]}}",
         "payload.user is not an object"},
        {"{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
         "\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{\"action_id\":\"a\","
         "\"value\":3}]}}", "value is not a string"},
        {"{\"type\":\"events_api\",\"envelope_id\":\"e\",\"retry_attempt\":\"1\"}",
         "retry_attempt: expected an integer"},
        {"{\"type\":\"events_api\",\"envelope_id\":\"e\",\"retry_attempt\":-1}",
         "retry_attempt: out of range"},
        {"{\"type\":\"events_api\",\"envelope_id\":\"e\",\"accepts_response_payload\":1}",
         "accepts_response_payload: expected true or false"},
        {"{\"type\":\"events_api\",\"envelope_id\":\"e\",\"payload\":{\"event\":[]}}",
         "payload.event: expected an object"},
        {"{\"type\":\"events_api\",\"envelope_id\":\"e\",\"payload\":{\"event\":{\"type\":5}}}",
         "payload.event.type: expected a string"},
        {"{\"type\":\"hello\",\"num_connections\":\"2\"}", "num_connections:"},
        {"{\"type\":7}", "type: expected a string"},
        {"{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
         "\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"id\":\"V1\",\"state\":"
         "{\"values\":{\"b\":{\"a\":{\"selected_option\":{\"value\":1}}}}}}}}",
         "selected_option has no string value"},
    };
    struct slack_frame f;
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(parse_str(cases[i].frame, &f, err, sizeof err) == -1);
        CHECK_CONTAINS(err, cases[i].path);
    }
}

/* Events reuse key names with other shapes; those read as absent, not as refusals. */
static void test_event_fields_of_another_shape_read_as_absent(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":\"e\",\"payload\":{\"event_id\":"
                    "\"Ev2\",\"event\":{\"type\":\"user_change\",\"user\":{\"id\":\"U1\"}}}}",
                    &f, err, sizeof err) == 0);
    CHECK_STR(f.event.type, "user_change");
    CHECK_STR(f.event.user, "");
    CHECK_STR(f.event.event_id, "Ev2");
}

static void test_ids_too_long_for_their_buffer_are_refused_not_cut(void)
{
    char id[200], fields[400], *text;
    struct slack_frame f;
    char err[256];

    memset(id, 'U', sizeof id - 1);
    id[USER_ID_MAX] = '\0';                       /* one byte too many */
    snprintf(fields, sizeof fields, "\"command\":\"/cancel\",\"user_id\":\"%s\"", id);
    text = slash_with(fields);
    CHECK(text && parse_str(text, &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "payload.user_id: longer than");
    free(text);
    id[USER_ID_MAX - 1] = '\0';                   /* exactly fits */
    snprintf(fields, sizeof fields, "\"command\":\"/cancel\",\"user_id\":\"%s\"", id);
    text = slash_with(fields);
    CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
    CHECK(strlen(f.slash.user_id) == USER_ID_MAX - 1);
    free(text);

    memset(id, 'e', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    snprintf(fields, sizeof fields, "{\"type\":\"events_api\",\"envelope_id\":\"%s\"}", id);
    CHECK(parse_str(fields, &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "envelope_id: longer than");
    CHECK_STR(f.envelope_id, "");
}

/* A slash command whose text is prefix then reps copies of unit (caller frees). */
static char *slash_text_of(const char *prefix, const char *unit, size_t reps)
{
    size_t cap = strlen(prefix) + strlen(unit) * reps + 64;
    char *fields = malloc(cap), *text;
    size_t used = (size_t)snprintf(fields, cap, "\"command\":\"/c\",\"user_id\":\"U1\","
                                   "\"text\":\"%s", prefix);
    for (size_t i = 0; i < reps; i++)
        used += (size_t)snprintf(fields + used, cap - used, "%s", unit);
    snprintf(fields + used, cap - used, "\"");
    text = slash_with(fields);
    free(fields);
    return text;
}

static int is_utf8(const char *s)
{
    json_t *j = json_string(s);         /* jansson refuses invalid UTF-8 */
    json_decref(j);
    return j != NULL;
}

static void test_long_text_is_cut_on_a_character_boundary_and_flagged(void)
{
    struct slack_frame f;
    char err[256];
    /* 2500 x "é" (2 bytes): the cut at 4000 bytes falls between characters */
    char *text = slash_text_of("", "\xC3\xA9", 2500);
    CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
    CHECK(f.truncated == 1);
    CHECK(strlen(f.slash.text) == SLACK_TEXT_MAX - 1);
    free(text);
    /* one ASCII byte first: 4000 bytes would end inside an "é", so one byte less */
    text = slash_text_of("x", "\xC3\xA9", 2500);
    CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
    CHECK(f.truncated == 1);
    CHECK(strlen(f.slash.text) == SLACK_TEXT_MAX - 2);
    CHECK(is_utf8(f.slash.text));
    free(text);
    /* 4-byte characters, cut 3 bytes short */
    text = slash_text_of("x", "\xF0\x9F\x98\x80", 1100);
    CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
    CHECK(strlen(f.slash.text) == 1 + 4 * 999);
    CHECK(is_utf8(f.slash.text));
    free(text);
}

static void test_text_exactly_at_the_limit_is_whole(void)
{
    char *fields = malloc(SLACK_TEXT_MAX + 128), *text;
    struct slack_frame f;
    char err[256];
    for (int extra = 0; extra <= 1; extra++) {
        size_t used = (size_t)sprintf(fields, "\"command\":\"/c\",\"user_id\":\"U1\",\"text\":\"");
        memset(fields + used, 'a', SLACK_TEXT_MAX - 1 + (size_t)extra);
        strcpy(fields + used + SLACK_TEXT_MAX - 1 + extra, "\"");
        text = slash_with(fields);
        CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
        CHECK(f.truncated == extra);
        CHECK(strlen(f.slash.text) == SLACK_TEXT_MAX - 1);
        free(text);
    }
    free(fields);
}

static void test_slash_and_message_text_decode_slack_entities(void)
{
    char *text = slash_with("\"command\":\"/cancel\",\"user_id\":\"U1\",\"text\":"
                            "\"note=\\\"a &lt; b &amp;&amp; c &gt; d &amp;lt; &quot; &\\\"\"");
    struct slack_frame f;
    char err[256];
    CHECK(text && parse_str(text, &f, err, sizeof err) == 0);
    /* &amp;lt; is a literal "&lt;" typed by the user: decoded once, not twice */
    CHECK_STR(f.slash.text, "note=\"a < b && c > d &lt; &quot; &\"");
    free(text);
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":\"e\",\"payload\":{\"event\":"
                    "{\"type\":\"message\",\"text\":\"R&amp;D &lt;3\"}}}", &f, err,
                    sizeof err) == 0);
    CHECK_STR(f.event.text, "R&D <3");
}

static void test_messages_from_bots_are_recognisable(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":\"e\",\"retry_attempt\":2,"
                    "\"retry_reason\":\"timeout\",\"payload\":{\"event\":{\"type\":\"message\","
                    "\"subtype\":\"bot_message\",\"bot_id\":\"B123\",\"text\":\"card\","
                    "\"channel\":\"C1\",\"ts\":\"1.2\"}}}", &f, err, sizeof err) == 0);
    CHECK_STR(f.event.bot_id, "B123");
    CHECK_STR(f.event.subtype, "bot_message");
    CHECK(f.retry_attempt == 2);
    CHECK_STR(f.retry_reason, "timeout");
}

static void test_app_home_opened_gives_user_and_tab(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"events_api\",\"envelope_id\":\"e\",\"payload\":{\"event_id\":"
                    "\"Ev3\",\"event\":{\"type\":\"app_home_opened\",\"user\":\"U061F7AUR\","
                    "\"channel\":\"D0LAN2Q65\",\"tab\":\"home\",\"view\":{\"id\":\"V1\"}}}}",
                    &f, err, sizeof err) == 0);
    CHECK_STR(f.event.type, "app_home_opened");
    CHECK_STR(f.event.user, "U061F7AUR");
    CHECK_STR(f.event.tab, "home");
    CHECK_STR(f.event.channel, "D0LAN2Q65");
}

static void test_select_in_app_home_gives_choice_and_view(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
                    "\"block_actions\",\"user\":{\"id\":\"U1\"},\"container\":{\"type\":\"view\","
                    "\"view_id\":\"V9\"},\"actions\":[{\"type\":\"static_select\",\"action_id\":"
                    "\"scope\",\"block_id\":\"b\",\"selected_option\":{\"value\":\"pending\"}}]}}",
                    &f, err, sizeof err) == 0);
    CHECK(f.kind == SLACK_FRAME_BLOCK_ACTION);
    CHECK_STR(f.action.container_type, "view");
    CHECK_STR(f.action.view_id, "V9");
    CHECK_STR(f.action.value, "pending");
    CHECK_STR(f.action.action_type, "static_select");
    CHECK_STR(f.action.channel_id, "");
}

/* Older payloads and some containers lack container.message_ts and channel_id. */
static void test_click_without_container_ids_falls_back_to_the_message(void)
{
    struct slack_frame f;
    char err[256];
    CHECK(parse_str("{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
                    "\"block_actions\",\"user\":{\"id\":\"U1\"},\"container\":{\"type\":"
                    "\"message\"},\"channel\":{\"id\":\"C7\"},\"message\":{\"ts\":\"10.1\","
                    "\"thread_ts\":\"9.5\"},\"actions\":[{\"action_id\":\"approve\",\"value\":"
                    "\"CR-7\"}]}}", &f, err, sizeof err) == 0);
    CHECK_STR(f.action.channel_id, "C7");
    CHECK_STR(f.action.message_ts, "10.1");
    CHECK_STR(f.action.thread_ts, "9.5");
    CHECK_STR(f.action.value, "CR-7");
}

static void test_button_value_too_long_is_refused(void)
{
    char *frame = malloc(SLACK_BUTTON_VALUE_MAX + 512);
    struct slack_frame f;
    char err[256];
    int n = sprintf(frame, "{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":"
                    "\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{\"action_id\":"
                    "\"approve\",\"value\":\"");
    memset(frame + n, '7', SLACK_BUTTON_VALUE_MAX);
    strcpy(frame + n + SLACK_BUTTON_VALUE_MAX, "\"}]}}");
    CHECK(parse_str(frame, &f, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "payload.actions.0.value: longer than");
    free(frame);
}

static void test_every_input_type_flattens_to_one_value(void)
{
    const char *frame =
        "{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{\"type\":\"view_submission\","
        "\"user\":{\"id\":\"U1\"},\"view\":{\"id\":\"V1\",\"callback_id\":\"cancel_form\","
        "\"state\":{\"values\":{"
        "\"note\":{\"note\":{\"type\":\"plain_text_input\",\"value\":\"Line 1\\nLine \\\"2\\\"\"}},"
        "\"case\":{\"case\":{\"type\":\"plain_text_input\",\"value\":null}},"
        "\"reason\":{\"reason\":{\"type\":\"static_select\",\"selected_option\":"
        "{\"text\":{\"type\":\"plain_text\",\"text\":\"Test\"},\"value\":\"TEST_AGREEMENT\"}}},"
        "\"empty\":{\"sel\":{\"type\":\"static_select\",\"selected_option\":null}},"
        "\"who\":{\"u\":{\"type\":\"users_select\",\"selected_user\":\"U2\"}},"
        "\"where\":{\"c\":{\"type\":\"conversations_select\",\"selected_conversation\":\"C2\"}},"
        "\"when\":{\"d\":{\"type\":\"datepicker\",\"selected_date\":\"2026-03-01\"}},"
        "\"at\":{\"t\":{\"type\":\"datetimepicker\",\"selected_date_time\":1767225600}},"
        "\"many\":{\"m\":{\"type\":\"multi_static_select\",\"selected_options\":"
        "[{\"value\":\"a\"},{\"value\":\"b\"}]}},"
        "\"people\":{\"p\":{\"type\":\"multi_users_select\",\"selected_users\":[\"U3\",\"U4\"]}}"
        "}}}}}";
    struct slack_frame f;
    char err[256];
    CHECK(parse_str(frame, &f, err, sizeof err) == 0);
    CHECK(f.view.n_values == 10);
    CHECK_STR(slack_view_value(&f, "note"), "Line 1\nLine \"2\"");   /* raw, not escaped */
    CHECK_STR(slack_view_value(&f, "case"), "");
    CHECK_STR(slack_view_value(&f, "reason"), "TEST_AGREEMENT");
    CHECK_STR(slack_view_value(&f, "empty"), "");
    CHECK_STR(slack_view_value(&f, "who"), "U2");
    CHECK_STR(slack_view_value(&f, "where"), "C2");
    CHECK_STR(slack_view_value(&f, "when"), "2026-03-01");
    CHECK_STR(slack_view_value(&f, "at"), "1767225600");
    CHECK_STR(slack_view_value(&f, "many"), "a,b");
    CHECK_STR(slack_view_value(&f, "people"), "U3,U4");
    CHECK_STR(f.view.values[0].action_id, "note");
    CHECK(f.truncated == 0);
}

static void test_long_submitted_value_is_cut_and_flagged(void)
{
    size_t n = SLACK_VALUE_MAX + 500;
    char *frame = malloc(n + 512);
    struct slack_frame f;
    char err[256];
    int used = sprintf(frame, "{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{"
                       "\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"id\":"
                       "\"V1\",\"state\":{\"values\":{\"note\":{\"note\":{\"value\":\"");
    memset(frame + used, 'n', n);
    strcpy(frame + used + n, "\"}}}}}}}");
    CHECK(parse_str(frame, &f, err, sizeof err) == 0);
    CHECK(f.view.values[0].truncated == 1);
    CHECK(f.truncated == 1);
    CHECK(strlen(f.view.values[0].value) == SLACK_VALUE_MAX - 1);
    free(frame);
}

static void test_long_multi_select_is_cut_and_flagged(void)
{
    char frame[8192];
    struct slack_frame f;
    char err[256];
    int used = sprintf(frame, "{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{"
                       "\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"id\":"
                       "\"V1\",\"state\":{\"values\":{\"b\":{\"a\":{\"selected_users\":[");
    for (int i = 0; i < 400; i++)                 /* 400 x "U0000000," = 3600 bytes */
        used += sprintf(frame + used, "%s\"U%07d\"", i ? "," : "", i);
    strcpy(frame + used, "]}}}}}}}");
    CHECK(parse_str(frame, &f, err, sizeof err) == 0);
    CHECK(f.view.values[0].truncated == 1);
    CHECK(f.truncated == 1);
    CHECK(strlen(f.view.values[0].value) < SLACK_VALUE_MAX);
    CHECK(strncmp(f.view.values[0].value, "U0000000,U0000001,", 18) == 0);
}

static void test_more_inputs_than_fit_are_flagged(void)
{
    char frame[4096];
    struct slack_frame f;
    char err[256];
    int used = sprintf(frame, "{\"type\":\"interactive\",\"envelope_id\":\"e\",\"payload\":{"
                       "\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"},\"view\":{\"id\":"
                       "\"V1\",\"state\":{\"values\":{");
    for (int i = 0; i < SLACK_VIEW_VALUES_MAX + 4; i++)
        used += sprintf(frame + used, "%s\"b%d\":{\"a\":{\"value\":\"v%d\"}}", i ? "," : "", i, i);
    strcpy(frame + used, "}}}}}");
    CHECK(parse_str(frame, &f, err, sizeof err) == 0);
    CHECK(f.view.n_values == SLACK_VIEW_VALUES_MAX);
    CHECK(f.truncated == 1);
    CHECK_STR(slack_view_value(&f, "b15"), "v15");
}

/* ---- the ack ---- */

static void test_ack_echoes_the_envelope_id(void)
{
    char out[256];
    CHECK(slack_ack_json("xxx-11-222-yyy-zzz", NULL, out, sizeof out) == 0);
    CHECK_STR(out, "{\"envelope_id\":\"xxx-11-222-yyy-zzz\"}");
    CHECK(slack_ack_json("a\"b\\c", NULL, out, sizeof out) == 0);   /* JSON-escaped */
    CHECK_STR(out, "{\"envelope_id\":\"a\\\"b\\\\c\"}");
}

static void test_ack_carries_a_payload(void)
{
    char out[256];
    json_t *ack, *errors;
    CHECK(slack_ack_json("E1", "{\"response_action\":\"errors\",\"errors\":{\"note\":\"x\"}}",
                         out, sizeof out) == 0);
    ack = json_loads(out, 0, NULL);
    CHECK(ack != NULL);
    CHECK_STR(json_string_value(json_object_get(ack, "envelope_id")), "E1");
    errors = json_object_get(json_object_get(ack, "payload"), "errors");
    CHECK_STR(json_string_value(json_object_get(errors, "note")), "x");
    json_decref(ack);
}

static void test_ack_refuses_what_it_cannot_send(void)
{
    char out[32];
    CHECK(slack_ack_json("", NULL, out, sizeof out) == -1);
    CHECK(slack_ack_json(NULL, NULL, out, sizeof out) == -1);
    CHECK(slack_ack_json("E1", "{not json", out, sizeof out) == -1);
    CHECK(slack_ack_json("E1", "\"a string\"", out, sizeof out) == -1);
    CHECK_STR(out, "");
    CHECK(slack_ack_json("E1", NULL, out, 18) == -1);        /* {"envelope_id":"E1"} is 20 */
    CHECK_STR(out, "");
    CHECK(slack_ack_json("E1", NULL, out, 21) == 0);
}

int main(void)
{
    RUN(test_hello_gives_connections_time_and_app_id);
    RUN(test_disconnect_reasons_map_to_their_enum);
    RUN(test_slash_command_envelope_gives_every_field);
    RUN(test_button_click_on_channel_message_gives_message_and_action);
    RUN(test_button_click_on_ephemeral_thread_message_gives_thread_and_flag);
    RUN(test_view_submission_flattens_submitted_values);
    RUN(test_reaction_added_gives_reaction_and_item);
    RUN(test_thread_reply_gives_thread_ts_and_event_id);
    RUN(test_mentions_keep_slack_markup);
    RUN(test_every_sample_file_parses_as_its_kind);
    RUN(test_every_prefix_of_every_sample_is_handled);
    RUN(test_malformed_json_is_refused_without_echoing_it);
    RUN(test_envelope_without_id_is_refused);
    RUN(test_unknown_envelope_is_other_and_keeps_its_id_for_the_ack);
    RUN(test_refused_envelope_still_gives_its_id_and_nothing_else);
    RUN(test_wrong_types_are_refused_with_their_path);
    RUN(test_event_fields_of_another_shape_read_as_absent);
    RUN(test_ids_too_long_for_their_buffer_are_refused_not_cut);
    RUN(test_long_text_is_cut_on_a_character_boundary_and_flagged);
    RUN(test_text_exactly_at_the_limit_is_whole);
    RUN(test_slash_and_message_text_decode_slack_entities);
    RUN(test_messages_from_bots_are_recognisable);
    RUN(test_app_home_opened_gives_user_and_tab);
    RUN(test_select_in_app_home_gives_choice_and_view);
    RUN(test_click_without_container_ids_falls_back_to_the_message);
    RUN(test_button_value_too_long_is_refused);
    RUN(test_every_input_type_flattens_to_one_value);
    RUN(test_long_submitted_value_is_cut_and_flagged);
    RUN(test_long_multi_select_is_cut_and_flagged);
    RUN(test_more_inputs_than_fit_are_flagged);
    RUN(test_ack_echoes_the_envelope_id);
    RUN(test_ack_carries_a_payload);
    RUN(test_ack_refuses_what_it_cannot_send);
    return check_summary();
}
