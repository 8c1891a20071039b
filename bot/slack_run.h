/* bot/slack_run.h -- `cancelbot run` with Slack tokens: the Socket Mode runtime. */
#ifndef CANCELBOT_BOT_SLACK_RUN_H
#define CANCELBOT_BOT_SLACK_RUN_H

#include "approvals/policy.h"
#include "bot/http_health.h"

struct slack_run_options {
    const char *app_token;       /* xapp-... */
    const char *bot_token;       /* xoxb-... */
    const char *api_url;         /* SLACK_API_URL, default https://slack.com/api/ */
    int connections;             /* 1..10 */
    const char *db_path;         /* the SQLite record, unless database_url is set */
    const char *database_url;    /* PostgreSQL (DATABASE_URL); NULL: SQLite */
    const char *sim_seed_path;
    const struct policy *policy;
    const char *policy_path;     /* the file SIGHUP reads again; NULL: built-in policy */
    struct health_addr health;   /* CANCELBOT_HTTP_ADDR: /healthz and /readyz */
};

/* Runs until SIGINT/SIGTERM, or until Slack refuses the tokens. Exit status. The
 * caller has checked the configuration (slack_check_tokens among it) already.
 * SIGHUP reloads the policy from policy_path (bot_reload_policy). */
int slack_run(const struct slack_run_options *opt);
/* The tokens' kinds (xapp-, xoxb-), before anything is sent: 0, or -1 with err
 * naming the variable and where the right token is found (never the token). */
int slack_check_tokens(const char *app_token, const char *bot_token, char *err, size_t cap);

#endif
