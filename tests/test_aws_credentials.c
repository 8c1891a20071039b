/* tests/test_aws_credentials.c -- the credential chain without the real environment
 * or network: a fake getenv, files under a mkdtemp directory (removed afterwards),
 * and recorded container and STS answers. Each rule is a test; every error test
 * also checks that the sentence names the culprit and never holds a secret. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "providers/aws_credentials.h"
#include "tests/check.h"

struct fake_env {
    const char *name[24], *value[24];
    int n;
};

static const char *fake_getenv(void *ud, const char *name)
{
    const struct fake_env *e = ud;
    for (int i = e->n - 1; i >= 0; i--)
        if (strcmp(e->name[i], name) == 0)
            return e->value[i];
    return NULL;
}

static void env_set(struct fake_env *e, const char *name, const char *value)
{
    if (e->n < 24) {
        e->name[e->n] = name;
        e->value[e->n++] = value;
    }
}

/* A temporary directory and the files written into it, all removed by tmp_fini. */
struct tmp {
    char dir[64];
    char path[8][128];
    int n;
};

static void tmp_init(struct tmp *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/cb-aws-test-XXXXXX");
    CHECK(mkdtemp(t->dir) != NULL);
}

/* Writes text to dir/name and returns its path (valid until tmp_fini). */
static const char *tmp_file(struct tmp *t, const char *name, const char *text)
{
    FILE *f;
    char *p, path[sizeof(t->path[0])];
    if (t->n < 0 || t->n >= 8)
        return "/nonexistent";
    p = t->path[t->n];
    snprintf(path, sizeof(path), "%s/%s", t->dir, name);   /* gcc: dir and p share *t */
    memcpy(p, path, sizeof(path));
    f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f)
        return "/nonexistent";
    fputs(text, f);
    fclose(f);
    t->n++;
    return p;
}

static void tmp_fini(struct tmp *t)
{
    char aws[96];
    for (int i = t->n - 1; i >= 0; i--)
        CHECK(remove(t->path[i]) == 0);
    snprintf(aws, sizeof(aws), "%s/.aws", t->dir);
    rmdir(aws);                                /* only made by one test */
    CHECK(rmdir(t->dir) == 0);
}

static const char *header(const struct http_request *r, const char *name)
{
    for (int i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The error sentence holds none of these values. */
#define CHECK_NO_SECRET(err, secret) CHECK(strstr((err), (secret)) == NULL)

static void test_env_keys_and_token(void)
{
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set(&e, "AWS_SECRET_ACCESS_KEY", "envsecret/+=");
    env_set(&e, "AWS_SESSION_TOKEN", "envtoken");
    CHECK(aws_credentials_from_env(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDENV");
    CHECK_STR(c.secret_access_key, "envsecret/+=");
    CHECK_STR(c.session_token, "envtoken");
    CHECK_STR(c.source, "environment");
    CHECK(c.expires_ms == 0);
}

static void test_env_half_set_names_the_missing_variable(void)
{
    struct fake_env e = {0}, s = {0}, empty = {0};
    struct aws_credentials c;
    char err[512] = "";
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKIDENV");
    CHECK(aws_credentials_from_env(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not.");
    env_set(&s, "AWS_SECRET_ACCESS_KEY", "topsecret");
    CHECK(aws_credentials_from_env(fake_getenv, &s, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "AWS_ACCESS_KEY_ID is not");
    CHECK_NO_SECRET(err, "topsecret");
    env_set(&empty, "AWS_ACCESS_KEY_ID", "");  /* empty counts as unset */
    CHECK(aws_credentials_from_env(fake_getenv, &empty, &c, err, sizeof(err)) ==
          AWS_CRED_E_NOT_FOUND);
}

static void test_env_token_with_line_break_is_refused(void)
{
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set(&e, "AWS_SECRET_ACCESS_KEY", "envsecret");
    env_set(&e, "AWS_SESSION_TOKEN", "tok\r\nX-Evil: 1");
    CHECK(aws_credentials_from_env(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_SESSION_TOKEN contains spaces or control characters.");
    env_set(&e, "AWS_SESSION_TOKEN", "tok");
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKID/2015");     /* would forge the credential scope */
    CHECK(aws_credentials_from_env(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_ACCESS_KEY_ID has characters other than letters and digits.");
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set(&e, "AWS_SECRET_ACCESS_KEY", "pasted with spaces");
    CHECK(aws_credentials_from_env(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_SECRET_ACCESS_KEY contains spaces or control characters.");
}

static const char CREDENTIALS[] =
    "# shared credentials\n"
    "; both comment styles\n"
    "[default]\n"
    "  AWS_Access_Key_ID   =   AKIDDEFAULT   # why this key\n"
    "aws_secret_access_key=default/sec+ret==\n"
    "\t\n"
    "[dev]\n"
    "aws_access_key_id = AKIDDEV\n"
    "aws_secret_access_key = devsecret ; rotated monthly\n"
    "aws_session_token = devtoken\n";

static const char CONFIG[] =
    "[default]\n"
    "region = eu-west-1\n"
    "aws_access_key_id = AKIDCONFDEFAULT\n"
    "aws_secret_access_key = confdefaultsecret\n"
    "s3 =\n"
    "  max_concurrent_requests = 20\n"
    "  region = us-gov-west-1\n"          /* nested under s3, not the profile's region */
    "[profile conf]\n"
    "aws_access_key_id = AKIDCONF\n"
    "aws_secret_access_key = confsecret\n"
    "region = eu-central-1\n"
    "[dev]\n"
    "region = ap-south-1\n";              /* not a profile in the config file */

static void profile_env(struct fake_env *e, const char *creds, const char *config)
{
    env_set(e, "AWS_SHARED_CREDENTIALS_FILE", creds);
    env_set(e, "AWS_CONFIG_FILE", config);
}

static void test_profile_default_with_comments_whitespace_and_key_case(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    tmp_init(&t);
    profile_env(&e, tmp_file(&t, "credentials", CREDENTIALS), "/nonexistent/config");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDDEFAULT");
    CHECK_STR(c.secret_access_key, "default/sec+ret==");
    CHECK_STR(c.session_token, "");
    CHECK_STR(c.source, "shared-credentials-file");
    tmp_fini(&t);
}

static void test_profile_is_chosen_by_AWS_PROFILE(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    tmp_init(&t);
    profile_env(&e, tmp_file(&t, "credentials", CREDENTIALS), tmp_file(&t, "config", CONFIG));
    env_set(&e, "AWS_PROFILE", "dev");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDDEV");
    CHECK_STR(c.secret_access_key, "devsecret");
    CHECK_STR(c.session_token, "devtoken");
    env_set(&e, "AWS_PROFILE", "conf");      /* only in config, as [profile conf] */
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDCONF");
    CHECK_STR(c.source, "config-file");
    tmp_fini(&t);
}

static void test_env_then_credentials_file_then_config_file(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    const char *creds, *config;
    tmp_init(&t);
    creds = tmp_file(&t, "credentials", CREDENTIALS);
    config = tmp_file(&t, "config", CONFIG);
    profile_env(&e, creds, config);
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDDEFAULT");         /* credentials file over config */
    profile_env(&e, "/nonexistent/credentials", config);
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDCONFDEFAULT");
    CHECK_STR(c.source, "config-file");
    env_set(&e, "AWS_ACCESS_KEY_ID", "AKIDENV");
    env_set(&e, "AWS_SECRET_ACCESS_KEY", "envsecret");
    profile_env(&e, creds, config);
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.source, "environment");
    tmp_fini(&t);
}

static void test_missing_files_are_empty_but_a_named_profile_must_exist(void)
{
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    profile_env(&e, "/nonexistent/credentials", "/nonexistent/config");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_NOT_FOUND);
    env_set(&e, "AWS_PROFILE", "ghost");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "Profile 'ghost' (from AWS_PROFILE) is in neither");
    CHECK_CONTAINS(err, "/nonexistent/credentials");
}

static void test_missing_secret_names_profile_file_and_line(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    const char *path;
    tmp_init(&t);
    path = tmp_file(&t, "credentials", "[default]\nregion = us-east-1\n[ops]\n"
                                       "aws_access_key_id = AKIDOPSONLY\n");
    profile_env(&e, path, "/nonexistent/config");
    env_set(&e, "AWS_PROFILE", "ops");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "Profile 'ops' in ");
    CHECK_CONTAINS(err, path);
    CHECK_CONTAINS(err, "sets aws_access_key_id (line 4) but not aws_secret_access_key.");
    CHECK_NO_SECRET(err, "AKIDOPSONLY");
    tmp_fini(&t);
}

static void test_malformed_line_is_named_but_not_quoted(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    tmp_init(&t);
    profile_env(&e, tmp_file(&t, "credentials", "[default]\naws_access_key_id = AKIDX\n"
                                                "aws_secret_access_key wJalrSECRET\n"),
                "/nonexistent/config");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "line 3 is not a [section]");
    CHECK_NO_SECRET(err, "wJalrSECRET");
    profile_env(&e, tmp_file(&t, "credentials2", "aws_access_key_id = AKIDX\n[default]\n"),
                "/nonexistent/config");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "line 1 is not a [section], a 'name = value' setting inside");
    tmp_fini(&t);
}

static void test_role_and_process_profiles_are_not_supported_yet(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    tmp_init(&t);
    profile_env(&e, tmp_file(&t, "credentials", CREDENTIALS),
                tmp_file(&t, "config", "[profile dev]\nrole_arn = arn:aws:iam::1:role/x\n"
                                       "source_profile = default\n"
                                       "[profile web]\nrole_arn = arn:aws:iam::1:role/y\n"
                                       "web_identity_token_file = /var/run/token\n"
                                       "[profile proc]\ncredential_process = /bin/creds\n"));
    env_set(&e, "AWS_PROFILE", "dev");       /* static keys in the credentials file too */
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_UNSUPPORTED);
    CHECK_CONTAINS(err, "line 2) uses role_arn: roles, web identity and SSO from a profile "
                        "are not supported yet");
    env_set(&e, "AWS_PROFILE", "web");
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_UNSUPPORTED);
    env_set(&e, "AWS_PROFILE", "proc");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_E_UNSUPPORTED);
    CHECK_CONTAINS(err, "uses credential_process, which is not supported yet");
    tmp_fini(&t);
}

static void test_home_holds_the_default_paths(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "", aws[96];
    tmp_init(&t);
    snprintf(aws, sizeof(aws), "%s/.aws", t.dir);
    CHECK(mkdir(aws, 0700) == 0);
    tmp_file(&t, ".aws/credentials", "[default]\naws_access_key_id=AKIDHOME\n"
                                     "aws_secret_access_key=homesecret\n");
    tmp_file(&t, "elsewhere", "[default]\naws_access_key_id=AKIDTILDE\n"
                              "aws_secret_access_key=tildesecret\n");
    env_set(&e, "HOME", t.dir);
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDHOME");
    env_set(&e, "AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere");
    CHECK(aws_credentials_from_profile(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "AKIDTILDE");
    tmp_fini(&t);
}

static void test_region_env_then_profile_then_us_east_1(void)
{
    struct tmp t;
    struct fake_env e = {0};
    char region[64] = "", err[512] = "";
    tmp_init(&t);
    profile_env(&e, "/nonexistent/credentials", "/nonexistent/config");
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "us-east-1");
    env_set(&e, "AWS_CONFIG_FILE", tmp_file(&t, "config", CONFIG));
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "eu-west-1");
    env_set(&e, "AWS_PROFILE", "dev");       /* config's [dev] is not [profile dev] */
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "us-east-1");
    env_set(&e, "AWS_PROFILE", "conf");
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "eu-central-1");
    env_set(&e, "AWS_DEFAULT_REGION", "ap-northeast-1");
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "ap-northeast-1");
    env_set(&e, "AWS_REGION", "us-west-2");
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) == 0);
    CHECK_STR(region, "us-west-2");
    env_set(&e, "AWS_REGION", "evil.com/x");
    CHECK(aws_region_resolve(fake_getenv, &e, region, sizeof(region), err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_REGION is not a region name (lower-case letters, digits and '-').");
    tmp_fini(&t);
}

static void test_chain_order_web_identity_profile_container(void)
{
    struct fake_env e = {0};
    struct aws_credentials c;
    char err[512] = "";
    profile_env(&e, "/nonexistent/credentials", "/nonexistent/config");
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_NOT_FOUND);
    CHECK_CONTAINS(err, "No AWS credentials: set AWS_ACCESS_KEY_ID");
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x");
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_NEED_CONTAINER);
    env_set(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token");
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not.");
    env_set(&e, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cb");
    CHECK(aws_credentials_resolve(fake_getenv, &e, &c, err, sizeof(err)) ==
          AWS_CRED_NEED_WEB_IDENTITY);
}

static void test_container_request_relative_uri_wins(void)
{
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "";
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example/x");
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "envtok");
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(r.method, "GET");
    CHECK_STR(r.url, "http://169.254.170.2/v2/credentials/abc");
    CHECK_STR(header(&r, "Authorization"), "envtok");
    CHECK(r.timeout_ms > 0);
}

static void test_container_request_full_uri_and_token_file(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "";
    tmp_init(&t);
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "envtok");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tmp_file(&t, "token", "filetok-1\n"));
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(r.url, "http://127.0.0.1:8080/creds");
    CHECK_STR(header(&r, "Authorization"), "filetok-1");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/token");
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_E_IO);
    CHECK_CONTAINS(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (/nonexistent/token)");
    tmp_fini(&t);
}

static int container_url_ok(const char *full)
{
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "";
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_FULL_URI", full);
    return aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_OK;
}

static void test_container_full_uri_http_only_to_local_agents(void)
{
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "";
    CHECK(container_url_ok("https://creds.example.com/x"));
    CHECK(container_url_ok("http://169.254.170.23/v1/credentials"));
    CHECK(container_url_ok("http://[fd00:ec2::23]/v1/credentials"));
    CHECK(container_url_ok("http://localhost:9000/"));
    CHECK(!container_url_ok("http://creds.example.com/x"));
    CHECK(!container_url_ok("http://127.0.0.1.evil.com/x"));
    CHECK(!container_url_ok("http://user@127.0.0.1/x"));
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "evil.com/x");
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not start with '/'.");
    env_set(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok\r\nX-Evil: 1");
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_STR(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN contains control characters.");
    env_set(&e, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic YWxhZGRpbg==");  /* blanks: fine */
    CHECK(aws_container_request(fake_getenv, &e, &r, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(header(&r, "Authorization"), "Basic YWxhZGRpbg==");
}

static void test_container_answer_is_parsed_with_expiration(void)
{
    static const char ok[] = "{\"RoleArn\":\"arn:aws:iam::1:role/x\",\"AccessKeyId\":\"ASIACONT\","
                             "\"SecretAccessKey\":\"contsecret\",\"Token\":\"conttoken\","
                             "\"Expiration\":\"2026-01-02T03:04:05Z\"}";
    static const char nosecret[] = "{\"AccessKeyId\":\"ASIACONT\",\"Token\":\"conttoken\"}";
    static const char broken[] = "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"leak";
    struct aws_credentials c;
    char err[512] = "";
    CHECK(aws_container_parse(ok, strlen(ok), &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "ASIACONT");
    CHECK_STR(c.secret_access_key, "contsecret");
    CHECK_STR(c.session_token, "conttoken");
    CHECK_STR(c.source, "container");
    CHECK(c.expires_ms == 1767323045000LL);
    CHECK(aws_container_parse(nosecret, strlen(nosecret), &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_STR(err, "The container credentials response has no SecretAccessKey string.");
    CHECK(aws_container_parse(broken, strlen(broken), &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "is not a JSON object");
    CHECK_NO_SECRET(err, "leak");
}

static void test_iso8601_times(void)
{
    int64_t ms = 0;
    CHECK(aws_iso8601_to_ms("2026-01-02T03:04:05Z", &ms) == 0 && ms == 1767323045000LL);
    CHECK(aws_iso8601_to_ms("2026-01-02T03:04:05.250Z", &ms) == 0 && ms == 1767323045250LL);
    CHECK(aws_iso8601_to_ms("2026-01-02T04:04:05+01:00", &ms) == 0 && ms == 1767323045000LL);
    CHECK(aws_iso8601_to_ms("2026-01-02T02:34:05-0030", &ms) == 0 && ms == 1767323045000LL);
    CHECK(aws_iso8601_to_ms("2024-02-29T23:00:00Z", &ms) == 0 && ms == 1709247600000LL);
    CHECK(aws_iso8601_to_ms("1969-12-31T23:59:59Z", &ms) == 0 && ms == -1000);
    CHECK(aws_iso8601_to_ms("2023-02-29T00:00:00Z", &ms) != 0);       /* not a leap year */
    CHECK(aws_iso8601_to_ms("2026-01-02T03:04:05.5", &ms) != 0);      /* no zone */
    CHECK(aws_iso8601_to_ms("2026-13-02T03:04:05Z", &ms) != 0);
    CHECK(aws_iso8601_to_ms("2026-01-02T03:04:05Zjunk", &ms) != 0);
}

static void test_sts_request_encodes_the_token(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "", *body = NULL;
    tmp_init(&t);
    env_set(&e, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cancelbot");
    env_set(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", tmp_file(&t, "token", "eyJ+a/b=c&d~e.f_g-h\n"));
    env_set(&e, "AWS_ROLE_SESSION_NAME", "cb@test");
    CHECK(aws_web_identity_request(fake_getenv, &e, "eu-west-1", 1440938160000LL, &r, &body,
                                   err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(r.method, "POST");
    CHECK_STR(r.url, "https://sts.eu-west-1.amazonaws.com/");
    CHECK_STR(header(&r, "Content-Type"), "application/x-www-form-urlencoded");
    CHECK(header(&r, "Authorization") == NULL);          /* the call is unsigned */
    CHECK_STR(body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                    "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fcancelbot"
                    "&RoleSessionName=cb%40test"
                    "&WebIdentityToken=eyJ%2Ba%2Fb%3Dc%26d~e.f_g-h");
    CHECK(r.body == body && body && r.body_len == strlen(body));
    free(body);
    body = NULL;
    e.n--;                                               /* no session name: generated */
    CHECK(aws_web_identity_request(fake_getenv, &e, "cn-north-1", 1440938160000LL, &r, &body,
                                   err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(r.url, "https://sts.cn-north-1.amazonaws.com.cn/");
    CHECK_CONTAINS(body, "&RoleSessionName=cancelbot-1440938160&");
    free(body);
    tmp_fini(&t);
}

static void test_sts_request_errors_name_the_variable(void)
{
    struct tmp t;
    struct fake_env e = {0};
    struct http_request r;
    char err[512] = "", *body = NULL;
    tmp_init(&t);
    env_set(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", tmp_file(&t, "token", "jwt-secret"));
    CHECK(aws_web_identity_request(fake_getenv, &e, "us-east-1", 0, &r, &body, err,
                                   sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "AWS_ROLE_ARN is not set");
    env_set(&e, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cb");
    env_set(&e, "AWS_ROLE_SESSION_NAME", "two words");
    CHECK(aws_web_identity_request(fake_getenv, &e, "us-east-1", 0, &r, &body, err,
                                   sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "AWS_ROLE_SESSION_NAME must be 2 to 64 of:");
    e.n--;
    env_set(&e, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/cb");
    env_set(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", tmp_file(&t, "empty", " \n"));
    CHECK(aws_web_identity_request(fake_getenv, &e, "us-east-1", 0, &r, &body, err,
                                   sizeof(err)) == AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "The token in AWS_WEB_IDENTITY_TOKEN_FILE (");
    CHECK_CONTAINS(err, ") is empty.");
    env_set(&e, "AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token");
    CHECK(aws_web_identity_request(fake_getenv, &e, "us-east-1", 0, &r, &body, err,
                                   sizeof(err)) == AWS_CRED_E_IO);
    CHECK_CONTAINS(err, "AWS_WEB_IDENTITY_TOKEN_FILE (/nonexistent/token)");
    CHECK(body == NULL);
    tmp_fini(&t);
}

/* Besides entities: a comment holding a decoy, a quoted '>' in an attribute and an
 * element whose name starts with a wanted one. */
static void test_sts_answer_is_parsed_with_entities(void)
{
    static const char xml[] =
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <AssumeRoleWithWebIdentityResult>\n"
        "    <!-- a > b: <Credentials><AccessKeyId>DECOY</AccessKeyId></Credentials> -->\n"
        "    <SubjectFromWebIdentityToken>system:serviceaccount:ops:cb"
        "</SubjectFromWebIdentityToken>\n"
        "    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/cb/s</Arn></AssumedRoleUser>\n"
        "    <Credentials>\n"
        "      <SessionToken>FwoG&amp;ZX&#x2F;IvY&#47;x&lt;&gt;<![CDATA[&raw]]></SessionToken>\n"
        "      <SecretAccessKey>wJalr&quot;STS&apos;</SecretAccessKey>\n"
        "      <Expiration note=\"a>b\">2026-01-02T03:04:05Z</Expiration>\n"
        "      <AccessKeyIdPrefix>ASIA</AccessKeyIdPrefix>\n"
        "      <AccessKeyId>\n        ASIA&#x53;TS\n      </AccessKeyId>\n"
        "    </Credentials>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        "</AssumeRoleWithWebIdentityResponse>\n";
    struct aws_credentials c;
    char err[512] = "";
    CHECK(aws_web_identity_parse(xml, strlen(xml), &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "ASIASTS");
    CHECK_STR(c.secret_access_key, "wJalr\"STS'");
    CHECK_STR(c.session_token, "FwoG&ZX/IvY/x<>&raw");
    CHECK(c.expires_ms == 1767323045000LL);
    CHECK_STR(c.source, "web-identity");
}

static void test_sts_error_names_its_code_and_bad_xml_is_refused(void)
{
    static const char refused[] =
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
        "<Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad jwt</Message>"
        "</Error><RequestId>1</RequestId></ErrorResponse>";
    char entity[] =
        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA&bogus;</AccessKeyId>"
        "<SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>2026-01-02T03:04:05Z</Expiration></Credentials>"
        "</AssumeRoleWithWebIdentityResult>";
    struct aws_credentials c;
    char err[512] = "";
    CHECK(aws_web_identity_parse(refused, strlen(refused), &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_STR(err, "STS refused AssumeRoleWithWebIdentity: InvalidIdentityToken.");
    CHECK(aws_web_identity_parse(entity, strlen(entity), &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    CHECK_CONTAINS(err, "AccessKeyId in the STS response's Credentials is missing, malformed");
    CHECK_NO_SECRET(err, "s3cr3t");
    memcpy(strstr(entity, "&bogus;"), "&#0000;", 7);   /* a NUL must not cut the key short */
    CHECK(aws_web_identity_parse(entity, strlen(entity), &c, err, sizeof(err)) ==
          AWS_CRED_E_INVALID);
    memcpy(strstr(entity, "&#0000;"), "&#x41; ", 7);   /* 'A', then a blank: trimmed */
    CHECK(aws_web_identity_parse(entity, strlen(entity), &c, err, sizeof(err)) == AWS_CRED_OK);
    CHECK_STR(c.access_key_id, "ASIAA");
}

static void test_refresh_starts_exactly_five_minutes_before_expiry(void)
{
    struct aws_credentials c = {.expires_ms = 1767323045000LL};
    struct aws_credentials forever = {.expires_ms = 0};
    CHECK(aws_credentials_need_refresh(&c, c.expires_ms - 5 * 60 * 1000) == 1);
    CHECK(aws_credentials_need_refresh(&c, c.expires_ms - 5 * 60 * 1000 - 1) == 0);
    CHECK(aws_credentials_need_refresh(&c, c.expires_ms + 1) == 1);
    CHECK(aws_credentials_need_refresh(&forever, INT64_MAX / 2) == 0);
}

int main(void)
{
    RUN(test_env_keys_and_token);
    RUN(test_env_half_set_names_the_missing_variable);
    RUN(test_env_token_with_line_break_is_refused);
    RUN(test_profile_default_with_comments_whitespace_and_key_case);
    RUN(test_profile_is_chosen_by_AWS_PROFILE);
    RUN(test_env_then_credentials_file_then_config_file);
    RUN(test_missing_files_are_empty_but_a_named_profile_must_exist);
    RUN(test_missing_secret_names_profile_file_and_line);
    RUN(test_malformed_line_is_named_but_not_quoted);
    RUN(test_role_and_process_profiles_are_not_supported_yet);
    RUN(test_home_holds_the_default_paths);
    RUN(test_region_env_then_profile_then_us_east_1);
    RUN(test_chain_order_web_identity_profile_container);
    RUN(test_container_request_relative_uri_wins);
    RUN(test_container_request_full_uri_and_token_file);
    RUN(test_container_full_uri_http_only_to_local_agents);
    RUN(test_container_answer_is_parsed_with_expiration);
    RUN(test_iso8601_times);
    RUN(test_sts_request_encodes_the_token);
    RUN(test_sts_request_errors_name_the_variable);
    RUN(test_sts_answer_is_parsed_with_entities);
    RUN(test_sts_error_names_its_code_and_bad_xml_is_refused);
    RUN(test_refresh_starts_exactly_five_minutes_before_expiry);
    return check_summary();
}
