/* providers/aws_credentials.h -- where AWS credentials come from, in the order the
 * AWS SDKs look (env keys, web identity named by env, shared profile, container):
 * the file and environment parts are done here; the two network sources are split
 * into "build the request" and "parse the answer", so the runtime's HTTP client
 * does the fetching and tests need no network. Instance metadata (IMDS) and roles
 * assumed from a profile are not supported yet, and say so.
 *
 * The environment is read only through an aws_getenv_fn, so tests never touch the
 * process's. Every function returns enum aws_cred_rc; on failure err holds one
 * sentence naming the source and the variable, file and line at fault, and never a
 * secret. Outputs are written only on success. Small files (shared config, token
 * files) are read synchronously: call these at startup or refresh, off the hot path. */
#ifndef CANCELBOT_PROVIDERS_AWS_CREDENTIALS_H
#define CANCELBOT_PROVIDERS_AWS_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>
#include "providers/http.h"

#define AWS_REFRESH_AHEAD_MS (5 * 60 * 1000)   /* the SDKs refresh 5 minutes early */

enum aws_cred_rc {
    AWS_CRED_OK = 0,
    AWS_CRED_NEED_WEB_IDENTITY,  /* fetch: aws_web_identity_request, then _parse */
    AWS_CRED_NEED_CONTAINER,     /* fetch: aws_container_request, then _parse */
    AWS_CRED_E_NOT_FOUND,        /* this source (or no source) has credentials */
    AWS_CRED_E_INVALID,          /* a source is set up wrongly, or an answer is malformed */
    AWS_CRED_E_UNSUPPORTED,      /* set up for a mechanism not implemented yet */
    AWS_CRED_E_IO,               /* a file the setup names cannot be read */
    AWS_CRED_E_NOMEM
};

struct aws_credentials {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[2048];    /* "" for long-term keys */
    int64_t expires_ms;          /* Unix ms; 0: never */
    char source[32];             /* "environment", "shared-credentials-file", "config-file",
                                    "container", "web-identity" */
};

/* Like getenv(3); ud is the caller's. NULL or "" both mean unset. */
typedef const char *(*aws_getenv_fn)(void *ud, const char *name);

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optional AWS_SESSION_TOKEN. */
int aws_credentials_from_env(aws_getenv_fn getenv_fn, void *ud, struct aws_credentials *out,
                             char *err, size_t errlen);

/* Profile AWS_PROFILE (else "default"): its keys in the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), else in the config file
 * (AWS_CONFIG_FILE, else ~/.aws/config, where the section is [profile NAME] but
 * [default]). A missing file counts as empty. */
int aws_credentials_from_profile(aws_getenv_fn getenv_fn, void *ud, struct aws_credentials *out,
                                 char *err, size_t errlen);

/* The same from the two files already read (aws_profile.h) for profile (named: it
 * came from AWS_PROFILE, so its absence is an error rather than "no credentials"). */
struct aws_profile;
int aws_credentials_from_profiles(const struct aws_profile *credentials_file,
                                  const struct aws_profile *config_file, const char *profile,
                                  int named, struct aws_credentials *out, char *err,
                                  size_t errlen);

/* The chain: environment, then web identity (AWS_WEB_IDENTITY_TOKEN_FILE), then the
 * profile, then the container variables. OK fills out; NEED_* tells the caller which
 * request to send; E_NOT_FOUND means no source is set up. */
int aws_credentials_resolve(aws_getenv_fn getenv_fn, void *ud, struct aws_credentials *out,
                            char *err, size_t errlen);

/* AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the config file, else
 * "us-east-1". out holds at least 64 bytes. */
int aws_region_resolve(aws_getenv_fn getenv_fn, void *ud, char *out, size_t outlen, char *err,
                       size_t errlen);

/* True from AWS_REFRESH_AHEAD_MS before expiry on; never for expires_ms == 0. */
int aws_credentials_need_refresh(const struct aws_credentials *c, int64_t now_ms);

/* "2015-08-30T12:36:00Z", with optional fraction and a Z or +hh:mm offset, to Unix ms. */
int aws_iso8601_to_ms(const char *s, int64_t *out_ms);

/* GET http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to loopback or the ECS/EKS
 * agent), with Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's contents,
 * else AWS_CONTAINER_AUTHORIZATION_TOKEN. */
int aws_container_request(aws_getenv_fn getenv_fn, void *ud, struct http_request *req,
                          char *err, size_t errlen);

/* The agent's JSON: AccessKeyId, SecretAccessKey, Token, Expiration. */
int aws_container_parse(const char *body, size_t len, struct aws_credentials *out, char *err,
                        size_t errlen);

/* The unsigned STS AssumeRoleWithWebIdentity POST for AWS_ROLE_ARN, the token in
 * AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_SESSION_NAME (else "cancelbot-<unix s>"
 * from now_ms), to the regional STS endpoint. req->body points to *body: the caller
 * frees *body once http_send() has returned. */
int aws_web_identity_request(aws_getenv_fn getenv_fn, void *ud, const char *region,
                             int64_t now_ms, struct http_request *req, char **body, char *err,
                             size_t errlen);

/* STS's XML answer: .../AssumeRoleWithWebIdentityResult/Credentials/{AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration}; an <Error> answer names its Code. */
int aws_web_identity_parse(const char *body, size_t len, struct aws_credentials *out,
                           char *err, size_t errlen);

/* One sentence per code, for the thread and the record. */
const char *aws_cred_rc_text(enum aws_cred_rc rc);

#endif
