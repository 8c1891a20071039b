/* providers/azure_token.h -- Azure AD (Entra ID) access tokens for Partner Center, one
 * cache per partner tenant; the provider's settings (tenants, endpoints) that say how
 * to sign in; and the small helpers the azure provider shares (GUIDs, endpoint URLs,
 * form encoding).
 *
 * Grants: app-only client credentials (grant_type=client_credentials) by default, or
 * app+user with a stored refresh token (grant_type=refresh_token, the Secure
 * Application Model) when AZURE_REFRESH_TOKEN[_FILE] is set. Endpoint: the v1
 * /{tenant}/oauth2/token with resource=https://api.partnercenter.microsoft.com, as
 * the Partner Center docs show it, or /{tenant}/oauth2/v2.0/token with
 * scope=https://api.partnercenter.microsoft.com/.default when the provider's settings
 * say "token_version": "v2".
 *
 * Secrets (client secret, refresh and access tokens) come only from the environment,
 * read through an azure_getenv_fn so tests stay hermetic; they never appear in err,
 * in a provider message or in a log, and azure_settings_fini wipes them. A token is
 * used until AZURE_TOKEN_RENEW_AHEAD_MS before it expires; concurrent callers share
 * one fetch per tenant. Nothing here blocks except the small secret files read at
 * setup. */
#ifndef CANCELBOT_PROVIDERS_AZURE_TOKEN_H
#define CANCELBOT_PROVIDERS_AZURE_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "providers/http.h"

#define AZURE_TOKEN_RENEW_AHEAD_MS (5 * 60 * 1000)
#define AZURE_TOKEN_TIMEOUT_MS 10000L
#define AZURE_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define AZURE_PC_RESOURCE "https://api.partnercenter.microsoft.com"
#define AZURE_DEFAULT_PC_URL "https://api.partnercenter.microsoft.com"
#define AZURE_MAX_TENANTS 16
#define AZURE_GUID_LEN 36
/* The longest a token counts as valid, whatever expires_in / expires_on claim: Azure
 * AD's live about an hour, and a claim of years would stop renewal for good. */
#define AZURE_TOKEN_LIFETIME_MAX_S (24 * 3600)
#define AZURE_TOKEN_MAX 2040        /* "Bearer " + token must fit an http_header value */
#define AZURE_TOKEN_PENDING 1000    /* azure_token_get: the waiter will be called */

/* Like getenv(3); ud is the caller's. NULL or "" both mean unset. */
typedef const char *(*azure_getenv_fn)(void *ud, const char *name);

enum azure_token_version { AZURE_TOKEN_V1, AZURE_TOKEN_V2 };

/* Settings shared by all tenants of one provider, and what fetching needs. */
struct azure_auth {
    char authority[256];                 /* AZURE_AUTHORITY_HOST, no trailing slash */
    enum azure_token_version version;
    struct http_client *http;
    void *loop;
    int64_t (*now_ms)(void *loop);
    /* Each sign-in's outcome, as a background poller's (provider_env.poller_report):
     * a refresh that keeps failing must show. May be NULL. */
    void (*report)(void *report_ud, const char *poller, const char *what, const char *code,
                   const char *detail, int64_t retry_in_ms);
    void *report_ud;
};

/* Someone waiting for a tenant's token; embed it and recover the container in done.
 * rc is an enum provider_rc; on PROVIDER_OK the tenant's access_token is fresh. why
 * is one sentence for the user (no secrets) when rc != PROVIDER_OK. */
struct azure_token_waiter {
    struct azure_token_waiter *next;
    void (*done)(struct azure_token_waiter *w, int rc, const char *why);
};

struct azure_token_fetch;

/* One partner tenant: ids from the policy (or AZURE_TENANT_ID / AZURE_CLIENT_ID),
 * secrets from the environment, and the cached token. */
struct azure_tenant {
    char name[32];                       /* the policy's name: "default", "emea" */
    char tenant_id[64];
    char client_id[64];
    char client_secret[1024];            /* secret; "" with a refresh token (public client) */
    char refresh_token[8192];            /* secret; "" for app-only */
    char access_token[AZURE_TOKEN_MAX + 1];   /* secret; "" until fetched */
    int64_t expires_ms;                  /* on the provider's clock */
    struct azure_token_fetch *fetch;     /* the fetch in flight, or NULL */
    struct azure_token_waiter *waiters;
};

/* What azure_settings_load reads: endpoints, the token settings, the tenants. */
struct azure_settings {
    struct azure_auth auth;              /* http, loop, now_ms: the caller fills them */
    char pc_url[256];                    /* PARTNER_CENTER_URL, no trailing slash */
    struct azure_tenant *tenants;        /* n_tenants of them; azure_settings_fini frees */
    int n_tenants;
};

/* config_json: NULL, "" or {"tenants": {NAME: {"tenant_id", "client_id"}},
 * "token_version": "v1"|"v2"}; without tenants, one "default" tenant. Per tenant:
 * tenant_id / client_id as given, else AZURE_TENANT_ID / AZURE_CLIENT_ID; the secret
 * from AZURE_CLIENT_SECRET_<NAME>[_FILE], else AZURE_CLIENT_SECRET[_FILE]; a refresh
 * token likewise from AZURE_REFRESH_TOKEN_<NAME>[_FILE], else AZURE_REFRESH_TOKEN[_FILE]
 * (<NAME>: the tenant's name in upper case, '-' as '_'). Endpoints: AZURE_AUTHORITY_HOST,
 * PARTNER_CENTER_URL. 0, or -1 with err naming the setting or variable at fault (never
 * a value) and s left empty. */
int azure_settings_load(struct azure_settings *s, const char *config_json,
                        azure_getenv_fn getenv_fn, void *ud, char *err, size_t errlen);

/* Per tenant: detaches a fetch in flight (its answer is then dropped), forgets the
 * waiters (their owner frees them), wipes the secrets; then frees the tenants. */
void azure_settings_fini(struct azure_settings *s);

/* The tenant named name; "" means the only tenant, else "default". NULL if none. */
struct azure_tenant *azure_settings_tenant(struct azure_settings *s, const char *name);

/* 1 while the cached token is good for more than AZURE_TOKEN_RENEW_AHEAD_MS. */
int azure_token_fresh(const struct azure_tenant *t, int64_t now_ms);

/* Forgets the cached token (Partner Center answered 401), so the next get fetches. */
void azure_token_invalidate(struct azure_tenant *t);

/* 0: t->access_token is fresh, use it now (w untouched). AZURE_TOKEN_PENDING: w is
 * queued and its done runs on a later tick. Else an enum provider_rc: the fetch could
 * not start, why says so, w untouched. */
int azure_token_get(struct azure_auth *a, struct azure_tenant *t, struct azure_token_waiter *w,
                    char *why, size_t whylen);

/* The token request for t (POST, form body). *body: caller wipes and frees it once
 * http_send has returned (it holds the secret). 0, or -1 with err. */
int azure_token_request(const struct azure_auth *a, const struct azure_tenant *t,
                        struct http_request *req, char **body, char *err, size_t errlen);

/* Reads Azure AD's answer into t (access token, expiry from expires_in, else
 * expires_on; a rotated refresh token). Returns an enum provider_rc with why. */
int azure_token_parse(struct azure_tenant *t, const struct http_response *res, int64_t now_ms,
                      char *why, size_t whylen);

/* ---- helpers the provider shares ---- */

int azure_is_guid(const char *s);                   /* 8-4-4-4-12 hex digits */
/* A GUID derived from seed (SHA-256, RFC 4122 version 5 layout): the same seed gives
 * the same GUID. 0, or -1 when hashing fails. */
int azure_guid_from(const char *seed, char out[AZURE_GUID_LEN + 1]);
int azure_guid_new(char out[AZURE_GUID_LEN + 1]);   /* v4 from RAND_bytes; 0 or -1 */
/* An endpoint override: https://..., or http:// to loopback only (local fakes), no
 * query or fragment; copied without trailing slashes. 0, or -1. */
int azure_base_url(const char *in, char *out, size_t outlen);
/* Appends "&name=value" (no '&' when *buf is empty), form-urlencoding value. */
int azure_form_add(char *buf, size_t buflen, const char *name, const char *value);

#endif
