/* tests/test_log.c -- the log's two formats, its redaction of every token and secret
 * shape the bot handles, and NAME_FILE secrets (bot/secret_env.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "tests/check.h"
#include "bot/log.h"
#include "bot/log_redact.h"
#include "bot/secret_env.h"

/* text redacted with secrets: the secret part is gone, the words around it stay. */
static void expect_masked(const char *text, const char *secret, const char *kept,
                          const char *const *secrets, size_t n)
{
    char *out = log_redact(text, secrets, n);
    if (!out || strstr(out, secret) || !strstr(out, LOG_REDACTED) || !strstr(out, kept)) {
        fprintf(stderr, "  redacting: %s\n  gave:      %s\n  (secret %s, kept %s)\n", text,
                out ? out : "(null)", secret, kept);
        check_current_failed++;
    }
    free(out);
}

static void expect_unchanged(const char *text)
{
    char *out = log_redact(text, NULL, 0);
    CHECK_STR(out, text);
    free(out);
}

static void test_slack_tokens_are_masked(void)
{
    expect_masked("auth.test with xoxb-1234-5678-abcdEFGH refused", "1234-5678-abcdEFGH",
                  "with xoxb-" LOG_REDACTED " refused", NULL, 0);
    expect_masked("user token xoxp-1-2-3-abc", "1-2-3-abc", "xoxp-", NULL, 0);
    expect_masked("SLACK_APP_TOKEN=xapp-1-A0APP-123-f00d", "A0APP-123-f00d", "xapp-", NULL, 0);
    expect_masked("rotated xoxe.xoxp-1-Mi0yLTE", "xoxp-1-Mi0yLTE", "rotated xoxe.", NULL, 0);
    expect_masked("refresh xoxe-1-My0xLTI", "1-My0xLTI", "refresh xoxe-", NULL, 0);
}

static void test_aws_keys_are_masked(void)
{
    static const char *const given[] = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                        "IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"};
    expect_masked("key AKIAIOSFODNN7EXAMPLE signed", "IOSFODNN7EXAMPLE", "key AKIA", NULL, 0);
    expect_masked("Credential=ASIAY34FZKBOKMUTVV7A/20261207/us-east-1", "Y34FZKBOKMUTVV7A",
                  "/20261207/us-east-1", NULL, 0);
    expect_masked("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in a message",
                  "K7MDENG/bPxRfiCY", "in a message", given, 2);
    expect_masked("tok=IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ!", "IQoJb3JpZ2lu",
                  "!", given, 2);
    expect_masked("{\"SecretAccessKey\":\"abc/DEF+ghi\",\"Expiration\":\"x\"}", "abc/DEF+ghi",
                  "\"Expiration\"", NULL, 0);
    expect_masked("{\"SessionToken\": \"FwoGZXIvYXdzE\"}", "FwoGZXIvYXdzE", "SessionToken",
                  NULL, 0);
    expect_masked("aws_secret_access_key = abcDEF123/xyz", "abcDEF123", "aws_secret_access_key",
                  NULL, 0);
    expect_masked("GET /?Action=x&X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F&X-Amz-Date=2026",
                  "FwoGZXIvYXdzEJr", "&X-Amz-Date=2026", NULL, 0);
    expect_masked("x-amz-security-token: FwoGZXIvYXdzEJr", "FwoGZXIvYXdzEJr", "x-amz-", NULL, 0);
}

static void test_authorization_and_bearer_tokens_are_masked(void)
{
    expect_masked("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2026/us-east-1/"
                  "aws-marketplace/aws4_request, SignedHeaders=host, Signature=5d672d79c15b13",
                  "5d672d79c15b13", "Authorization: ", NULL, 0);
    expect_masked("\"authorization\":\"Bearer abc.def.ghi\",\"x\":1", "abc.def.ghi",
                  "\"x\":1", NULL, 0);
    expect_masked("sent Bearer 0.AXoAabc-def_ghi~jkl to Partner Center", "AXoAabc-def_ghi",
                  "sent Bearer " LOG_REDACTED " to Partner Center", NULL, 0);
    expect_masked("token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl "
                  "expired", "eyJhdWQiOiJodHRwcyJ9", " expired", NULL, 0);
    expect_masked("{\"access_token\":\"opaque-token-value\",\"expires_in\":3599}",
                  "opaque-token-value", "expires_in", NULL, 0);
    expect_masked("{\"refresh_token\":\"0.ARoA-refresh\"}", "ARoA-refresh", "refresh_token",
                  NULL, 0);
}

static void test_client_secrets_and_passwords_are_masked(void)
{
    static const char *const given[] = {"Abc8Q~xYz.0123456789_abcdefghijKLMNOP-qr"};
    expect_masked("grant_type=client_credentials&client_secret=s3cr~et.value&scope=x",
                  "s3cr~et.value", "&scope=x", NULL, 0);
    expect_masked("AZURE_CLIENT_SECRET=Abc8Q~xYz.0123456789_abcdefghijKLMNOP-qr",
                  "xYz.0123456789", "AZURE_CLIENT_SECRET=", NULL, 0);
    expect_masked("tenant default: secret Abc8Q~xYz.0123456789_abcdefghijKLMNOP-qr refused",
                  "xYz.0123456789", " refused", given, 1);
    expect_masked("database postgresql://cancelbot:hunter2pass@db.internal:5432/cancelbot: "
                  "cannot connect", "hunter2pass",
                  "postgresql://cancelbot:" LOG_REDACTED "@db.internal:5432/cancelbot", NULL, 0);
    expect_masked("postgres://u:p%40ss@h/db", "p%40ss", "@h/db", NULL, 0);
    expect_masked("host=db port=5432 password=hunter2 dbname=cb", "hunter2", " dbname=cb",
                  NULL, 0);
    expect_masked("password='two words' user=x", "two words", " user=x", NULL, 0);
    expect_masked("PGPASSWORD=hunter2", "hunter2", "PGPASSWORD=", NULL, 0);
    expect_masked("SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5", "8f742231b10e",
                  "SLACK_SIGNING_SECRET=", NULL, 0);
}

static void test_slack_hook_paths_are_masked(void)
{
    expect_masked("posting to https://hooks.slack.com/services/T0001/B0001/XXXXabcd failed",
                  "T0001/B0001/XXXXabcd", "https://hooks.slack.com/services/" LOG_REDACTED
                  " failed", NULL, 0);
    expect_masked("response_url https://hooks.slack.com/actions/T0/123/abcDEF: 404",
                  "abcDEF", "https://hooks.slack.com/actions/", NULL, 0);
}

/* Ordinary lines keep every character: over-masking would hide what an operator
 * reads the log for. */
static void test_ordinary_lines_are_left_alone(void)
{
    expect_unchanged("CR-1: effect 3 provider_submit started");
    expect_unchanged("listening on http://127.0.0.1:8089/readyz");
    expect_unchanged("agmt-1a2b3c4d5e6f7g8h9i0j by U0ALICE (client token cb-abc-CR-1)");
    expect_unchanged("keys in AWS_ACCESS_KEY_ID, key id AKIDEXAMPLE");
    expect_unchanged("SLACK_BOT_TOKEN must be a bot token (xoxb-...)");
    expect_unchanged("both AZURE_CLIENT_SECRET and AZURE_CLIENT_SECRET_FILE are set");
    expect_unchanged("AWS request id fa4e0000-0000-4000-8000-000000000001, sha256 "
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_unchanged("a short given value stays: abc");
    expect_unchanged("");
}

static void test_given_values_shorter_than_six_are_ignored(void)
{
    static const char *const given[] = {"abc", ""};
    char *out = log_redact("abc def", given, 2);
    CHECK_STR(out, "abc def");
    free(out);
}

static void test_json_line_has_the_fields(void)
{
    struct log_ctx ctx = {"CR-7", "env-1", "fa4e-1", "corr-1", ""};
    char *line = log_format_line(LOG_FORMAT_JSON, 1796601600123LL, LOG_WARN, &ctx,
                                 "CR-7: said \"hi\"\n\tthen left");
    json_error_t jerr;
    json_t *o = line ? json_loads(line, 0, &jerr) : NULL;
    CHECK(o != NULL);
    CHECK(line && !strchr(line, '\n'));          /* one line, whatever the message */
    CHECK_STR(json_string_value(json_object_get(o, "time")), "2026-12-07T00:00:00.123Z");
    CHECK_STR(json_string_value(json_object_get(o, "level")), "warn");
    CHECK_STR(json_string_value(json_object_get(o, "msg")), "CR-7: said \"hi\"\n\tthen left");
    CHECK_STR(json_string_value(json_object_get(o, "request_id")), "CR-7");
    CHECK_STR(json_string_value(json_object_get(o, "envelope_id")), "env-1");
    CHECK_STR(json_string_value(json_object_get(o, "aws_request_id")), "fa4e-1");
    CHECK_STR(json_string_value(json_object_get(o, "ms_correlation_id")), "corr-1");
    CHECK(json_object_get(o, "ms_request_id") == NULL);      /* "" is left out */
    json_decref(o);
    free(line);
}

static void test_json_line_survives_bytes_that_are_not_utf8(void)
{
    char *line = log_format_line(LOG_FORMAT_JSON, 0, LOG_ERROR, NULL, "bad \xff\xfe byte");
    json_t *o = line ? json_loads(line, 0, NULL) : NULL;
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "msg")), "bad ?? byte");
    json_decref(o);
    free(line);
}

static void test_text_line_adds_the_ids_the_message_lacks(void)
{
    struct log_ctx ctx = {"CR-7", NULL, "fa4e-1", NULL, NULL};
    char *line = log_format_line(LOG_FORMAT_TEXT, 1796601600123LL, LOG_INFO, &ctx,
                                 "CR-7: submit failed");
    CHECK_STR(line, "2026-12-07T00:00:00.123Z info  CR-7: submit failed aws_request_id=fa4e-1");
    free(line);
    line = log_format_line(LOG_FORMAT_TEXT, 5, LOG_DEBUG, NULL, "plain");
    CHECK_STR(line, "1970-01-01T00:00:00.005Z debug plain");
    free(line);
}

static void test_format_and_level_names(void)
{
    CHECK(log_format_from_name("text") == LOG_FORMAT_TEXT);
    CHECK(log_format_from_name("json") == LOG_FORMAT_JSON);
    CHECK(log_format_from_name("JSON") < 0);
    CHECK(log_format_from_name("logfmt") < 0);
    CHECK(log_format_from_name("") < 0);
    CHECK(log_level_from_name("debug") == LOG_DEBUG);
    CHECK(log_level_from_name("trace") < 0);
}

/* ---- NAME_FILE secrets ---- */

static char dir[64];

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[128];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f) {
        fwrite(content, 1, len, f);
        fclose(f);
    }
    return path;
}

static void clear_env(void)
{
    static const char *const names[] = {
        "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN_FILE", "SLACK_APP_TOKEN", "SLACK_APP_TOKEN_FILE",
        "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY_FILE", "CANCELBOT_DATABASE_URL_FILE",
        "CANCELBOT_DATABASE_URL", "AZURE_CLIENT_SECRET_ACME", "AZURE_CLIENT_SECRET_ACME_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SESSION_TOKEN", "PGPASSWORD",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
    log_forget_secrets();
}

static void test_file_value_becomes_the_variable(void)
{
    char err[512] = "";
    clear_env();
    setenv("SLACK_BOT_TOKEN_FILE", write_file("bot", "xoxb-from-file\n", 15), 1);
    setenv("CANCELBOT_DATABASE_URL_FILE", write_file("url", "postgresql://u:pw@h/db\r\n", 24), 1);
    setenv("AZURE_CLIENT_SECRET_ACME_FILE", write_file("az", "az-secret-acme", 14), 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token", 1);   /* AWS's own */
    CHECK(secret_env_load(err, sizeof(err)) == 0);
    CHECK_STR(getenv("SLACK_BOT_TOKEN"), "xoxb-from-file");
    CHECK_STR(getenv("CANCELBOT_DATABASE_URL"), "postgresql://u:pw@h/db");
    CHECK_STR(getenv("AZURE_CLIENT_SECRET_ACME"), "az-secret-acme");
    CHECK(getenv("SLACK_BOT_TOKEN_FILE") == NULL);
    CHECK(getenv("AZURE_CLIENT_SECRET_ACME_FILE") == NULL);
    CHECK_STR(getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), "/var/run/secrets/token");
    CHECK(getenv("AWS_WEB_IDENTITY_TOKEN") == NULL);
    clear_env();
}

static void test_both_set_is_refused_and_nothing_changes(void)
{
    char err[512] = "";
    clear_env();
    setenv("SLACK_APP_TOKEN_FILE", write_file("app", "xapp-file", 9), 1);
    setenv("AWS_SECRET_ACCESS_KEY", "from-env-value", 1);
    setenv("AWS_SECRET_ACCESS_KEY_FILE", write_file("aws", "from-file-value", 15), 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "both AWS_SECRET_ACCESS_KEY and AWS_SECRET_ACCESS_KEY_FILE are set");
    CHECK(!strstr(err, "from-env-value") && !strstr(err, "from-file-value"));
    CHECK_STR(getenv("AWS_SECRET_ACCESS_KEY"), "from-env-value");
    CHECK(getenv("SLACK_APP_TOKEN") == NULL);          /* checked before anything moved */
    CHECK(getenv("SLACK_APP_TOKEN_FILE") != NULL);
    clear_env();
}

static void test_unusable_files_are_refused_with_the_reason(void)
{
    char err[512] = "", big[SECRET_FILE_MAX + 10];
    clear_env();
    setenv("SLACK_BOT_TOKEN_FILE", "/nonexistent/cancelbot/token", 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "SLACK_BOT_TOKEN_FILE: cannot read /nonexistent/cancelbot/token: "
                        "No such file or directory");
    setenv("SLACK_BOT_TOKEN_FILE", dir, 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "Is a directory");
    setenv("SLACK_BOT_TOKEN_FILE", write_file("empty", "\n", 1), 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "is empty");
    setenv("SLACK_BOT_TOKEN_FILE", "", 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "SLACK_BOT_TOKEN_FILE is set but empty");
    memset(big, 'x', sizeof(big));
    memcpy(big, "xoxb-hidden-", 12);
    setenv("SLACK_BOT_TOKEN_FILE", write_file("big", big, sizeof(big)), 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "is larger than 65536 bytes");
    CHECK(!strstr(err, "xoxb-hidden"));
    setenv("SLACK_BOT_TOKEN_FILE", write_file("nul", "xoxb-a\0b", 8), 1);
    CHECK(secret_env_load(err, sizeof(err)) == -1);
    CHECK_CONTAINS(err, "NUL byte");
    CHECK(getenv("SLACK_BOT_TOKEN") == NULL);
    clear_env();
}

/* What stderr received while fn ran. */
static char *capture_stderr(void (*fn)(void))
{
    char path[128], *buf = calloc(1, 8192);
    int saved = dup(2), fd;
    FILE *f;
    snprintf(path, sizeof(path), "%s/stderr", dir);
    fflush(stderr);
    fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if ((f = fopen(path, "rb"))) {
        size_t n = fread(buf, 1, 8191, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static void log_the_secrets(void)
{
    log_error("token %s and key %s and session %s", getenv("SLACK_BOT_TOKEN"),
              getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"));
}

static void test_every_secret_given_is_masked_in_the_log(void)
{
    char err[512] = "", *out;
    clear_env();
    setenv("SLACK_BOT_TOKEN_FILE", write_file("bot2", "plainbottokenvalue\n", 19), 1);
    setenv("AWS_SECRET_ACCESS_KEY", "sEcReTkEyVaLuE0123", 1);
    setenv("AWS_SESSION_TOKEN", "sessionTOKENvalue99", 1);
    CHECK(secret_env_load(err, sizeof(err)) == 0);
    out = capture_stderr(log_the_secrets);
    CHECK_CONTAINS(out, "token " LOG_REDACTED " and key " LOG_REDACTED " and session "
                        LOG_REDACTED);
    CHECK(!strstr(out, "plainbottokenvalue") && !strstr(out, "sEcReTkEyVaLuE0123") &&
          !strstr(out, "sessionTOKENvalue99"));
    free(out);
    clear_env();
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cancelbot-test-log.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_slack_tokens_are_masked);
    RUN(test_aws_keys_are_masked);
    RUN(test_authorization_and_bearer_tokens_are_masked);
    RUN(test_client_secrets_and_passwords_are_masked);
    RUN(test_slack_hook_paths_are_masked);
    RUN(test_ordinary_lines_are_left_alone);
    RUN(test_given_values_shorter_than_six_are_ignored);
    RUN(test_json_line_has_the_fields);
    RUN(test_json_line_survives_bytes_that_are_not_utf8);
    RUN(test_text_line_adds_the_ids_the_message_lacks);
    RUN(test_format_and_level_names);
    RUN(test_file_value_becomes_the_variable);
    RUN(test_both_set_is_refused_and_nothing_changes);
    RUN(test_unusable_files_are_refused_with_the_reason);
    RUN(test_every_secret_given_is_masked_in_the_log);
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return check_summary();
}
