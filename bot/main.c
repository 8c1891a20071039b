/* bot/main.c -- the cancelbot command line: run, shell, check-config, export,
 * version, help. Reads the environment (the configuration contract of DESIGN.md) and
 * hands plain values to the runtime; nothing below main() calls getenv except the
 * credential chains of the providers. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include "bot/config.h"
#include "bot/http_curl.h"
#include "bot/runtime.h"
#include "bot/log.h"
#include "bot/secret_env.h"
#include "bot/shell.h"
#include "bot/slack_run.h"
#include "approvals/format.h"
#include "store/store.h"

#ifndef CANCELBOT_VERSION
#define CANCELBOT_VERSION "dev"
#endif

static const char usage_text[] =
    "cancelbot - cancel cloud-marketplace agreements from Slack, with finance sign-off\n"
    "\n"
    "usage: cancelbot <command> [options]\n"
    "\n"
    "  run           connect to Slack when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set;\n"
    "                otherwise, on a terminal, start the terminal shell (without one:\n"
    "                exit 2 and say which variables to set)\n"
    "  shell         the terminal stand-in for a Slack channel\n"
    "                [--as USER] [--config FILE] [--db FILE | --database-url URL]\n"
    "                [--seed FILE]\n"
    "  check-config  validate the policy file, with the environment as run sees it\n"
    "                [--config FILE] [--db FILE | --database-url URL] [--seed FILE]\n"
    "  export        write the record of every request\n"
    "                [--format csv|json] [--since YYYY-MM-DD] [--db FILE | --database-url URL]\n"
    "                [--output FILE]\n"
    "  migrate       bring the record's schema up to date and exit (a deploy step)\n"
    "                [--db FILE | --database-url URL]\n"
    "  version       print the version\n"
    "  help          this text; help COMMAND (or COMMAND --help) explains one command\n"
    "\n"
    "environment: CANCELBOT_CONFIG (policy file), CANCELBOT_DB (SQLite file, default\n"
    "./cancelbot.db), CANCELBOT_DATABASE_URL or DATABASE_URL (PostgreSQL instead; libpq's\n"
    "PG* variables and ~/.pgpass apply), CANCELBOT_LOG_LEVEL (error|warn|info|debug),\n"
    "CANCELBOT_LOG_FORMAT (text|json), SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_API_URL,\n"
    "CANCELBOT_SLACK_CONNECTIONS (1-10). Secrets may be given as NAME_FILE (a file holding\n"
    "the value): SLACK_*_TOKEN_FILE, AWS_SECRET_ACCESS_KEY_FILE, CANCELBOT_DATABASE_URL_FILE...\n"
    "See README.md.\n";

/* Each command's own usage, for `cancelbot <command> --help` and `cancelbot help
 * <command>`. */
static const char run_usage[] =
    "usage: cancelbot run [--config FILE] [--db FILE | --database-url URL] [--seed FILE]\n"
    "\n"
    "Connects to Slack (Socket Mode) when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set;\n"
    "otherwise, when standard input is a terminal, starts the terminal shell on the\n"
    "simulated marketplace, and without a terminal (a service) exits with status 2 naming\n"
    "the variables to set (`cancelbot shell` always starts the shell). What it would refuse\n"
    "(policy and environment together) is checked before it connects anywhere; network\n"
    "failures at start-up (Slack, PostgreSQL) are retried with back-off, and only Slack's\n"
    "refusal of a token or the database's refusal of the login stops it. SIGTERM or SIGINT\n"
    "stops it within 5 s, exit status 0.\n"
    "\n"
    "  --config FILE   the policy file (default: CANCELBOT_CONFIG, else ./cancelbot.json,\n"
    "                  else the built-in demo policy)\n"
    "  --db FILE       the SQLite record (default: CANCELBOT_DB, else ./cancelbot.db);\n"
    "                  created when it does not exist\n"
    "  --database-url URL  the record on PostgreSQL instead (default: CANCELBOT_DATABASE_URL\n"
    "                  or DATABASE_URL): postgresql://USER@HOST:PORT/DB or host=... dbname=...\n"
    "  --seed FILE     agreements of the simulated marketplace (default: the demo ones)\n"
    "  -h, --help      this text\n";

static const char shell_usage[] =
    "usage: cancelbot shell [--as USER] [--config FILE] [--db FILE | --database-url URL]\n"
    "                       [--seed FILE]\n"
    "\n"
    "The terminal stand-in for a Slack channel: type what you would type in Slack, plus\n"
    "click, react, buyer, clock, show, market (type help inside). On a terminal, lines\n"
    "can be edited and the up arrow recalls earlier ones.\n"
    "\n"
    "  --as USER       start as this Slack user id (default: U0ALICE)\n"
    "  --config FILE   the policy file (default: CANCELBOT_CONFIG, else ./cancelbot.json,\n"
    "                  else the built-in demo policy)\n"
    "  --db FILE       the SQLite record (default: CANCELBOT_DB, else ./cancelbot.db);\n"
    "                  created when it does not exist\n"
    "  --database-url URL  the record on PostgreSQL instead (default: CANCELBOT_DATABASE_URL\n"
    "                  or DATABASE_URL): postgresql://USER@HOST:PORT/DB or host=... dbname=...\n"
    "  --seed FILE     agreements of the simulated marketplace (default: the demo ones)\n"
    "  -h, --help      this text\n";

static const char check_config_usage[] =
    "usage: cancelbot check-config [--config FILE] [--db FILE | --database-url URL]\n"
    "                              [--seed FILE]\n"
    "\n"
    "Validates the policy file and names every problem with what is accepted, then\n"
    "checks it with the environment as `run` would before connecting (Slack tokens'\n"
    "kinds, CANCELBOT_* values, where the record is, each marketplace provider with\n"
    "the credentials the environment gives it), in the words `run` would use.\n"
    "Exit status 0 when `run` would start, 1 when it would not.\n"
    "\n"
    "  --config FILE   the policy file (default: CANCELBOT_CONFIG, else ./cancelbot.json)\n"
    "  --db FILE, --database-url URL, --seed FILE   as `run` would be given them\n"
    "  -h, --help      this text\n";

static const char export_usage[] =
    "usage: cancelbot export [--format csv|json] [--since YYYY-MM-DD]\n"
    "                        [--db FILE | --database-url URL] [--output FILE]\n"
    "\n"
    "Writes the record of every request (ids, reasons, approvers, marketplace ids, the\n"
    "full status history) for reconciliation. Reads an existing database only.\n"
    "\n"
    "  --format csv|json      default: csv\n"
    "  --since YYYY-MM-DD     only requests created on or after that day (UTC)\n"
    "  --db FILE              the SQLite record (default: CANCELBOT_DB, else ./cancelbot.db);\n"
    "                         it must exist\n"
    "  --database-url URL     the record on PostgreSQL instead (default:\n"
    "                         CANCELBOT_DATABASE_URL or DATABASE_URL)\n"
    "  --output FILE          default: standard output\n"
    "  -h, --help             this text\n";

static const char migrate_usage[] =
    "usage: cancelbot migrate [--db FILE | --database-url URL] [--from sqlite:FILE]\n"
    "\n"
    "Brings the record's schema up to this cancelbot's version and exits, for a deploy\n"
    "step before the new version starts (run and shell migrate too, at start). On\n"
    "PostgreSQL the migration holds an advisory lock: replicas starting at the same time\n"
    "wait for it instead of racing. Exit status 0 when the schema is current.\n"
    "\n"
    "  --db FILE           the SQLite record (default: CANCELBOT_DB, else ./cancelbot.db);\n"
    "                      created when it does not exist\n"
    "  --database-url URL  the record on PostgreSQL instead (default:\n"
    "                      CANCELBOT_DATABASE_URL or DATABASE_URL): postgresql://USER@HOST:\n"
    "                      PORT/DB or a libpq keyword string; PG* variables and ~/.pgpass apply\n"
    "  --from sqlite:FILE  then move the SQLite record FILE into it (PostgreSQL only; it\n"
    "                      must hold no requests yet): every request, event, pending\n"
    "                      effect, de-duplication key, counter and setting, in one\n"
    "                      transaction; FILE is brought to the current schema first\n"
    "  -h, --help          this text\n";

static const char version_usage[] =
    "usage: cancelbot version\n"
    "\n"
    "Prints the version.\n";

static const char help_usage[] =
    "usage: cancelbot help [COMMAND]\n"
    "\n"
    "Lists the commands, or shows how to use one of them.\n";

#define NO_TOKENS_NO_TERMINAL                                                             \
    "SLACK_APP_TOKEN and SLACK_BOT_TOKEN are not set and standard input is not a "        \
    "terminal: set both (xapp-... and xoxb-...) to connect to Slack, or use `cancelbot "  \
    "shell` for the terminal shell"

struct cli {
    const char *config;
    const char *db;
    const char *database_url;
    const char *as;
    const char *seed;
    const char *format;
    const char *since;
    const char *output;
    const char *topic;          /* help: the command to explain */
    const char *from;           /* migrate: sqlite:FILE to move into the record */
};

enum parse_rc { PARSE_OK, PARSE_HELP, PARSE_BAD };

/* Parses --name VALUE / --name=VALUE options and -h / --help; names what is wrong and
 * what is accepted. */
static enum parse_rc parse_options(int argc, char **argv, const char *allowed, struct cli *cli)
{
    static const struct { const char *name; size_t off; } known[] = {
        {"config", offsetof(struct cli, config)}, {"db", offsetof(struct cli, db)},
        {"database-url", offsetof(struct cli, database_url)},
        {"as", offsetof(struct cli, as)},         {"seed", offsetof(struct cli, seed)},
        {"format", offsetof(struct cli, format)}, {"since", offsetof(struct cli, since)},
        {"output", offsetof(struct cli, output)}, {"from", offsetof(struct cli, from)},
    };
    char who[64];
    snprintf(who, sizeof(who), "cancelbot %s", argv[1]);   /* a known command's name */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *value = NULL, *eq;
        size_t n;
        int found = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return PARSE_HELP;
        if (strncmp(a, "--", 2) != 0) {
            log_cli_error(who, "unexpected argument \"%s\"; accepted options: %s%s--help", a,
                          allowed, *allowed ? " " : "");
            return PARSE_BAD;
        }
        a += 2;
        eq = strchr(a, '=');
        n = eq ? (size_t)(eq - a) : strlen(a);
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
            char flag[24];
            snprintf(flag, sizeof(flag), "--%s", known[k].name);
            if (strlen(known[k].name) != n || strncmp(a, known[k].name, n) != 0 ||
                !strstr(allowed, flag))
                continue;
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            if (!value || !*value) {
                log_cli_error(who, "--%s needs a value", known[k].name);
                return PARSE_BAD;
            }
            *(const char **)((char *)cli + known[k].off) = value;
            found = 1;
        }
        if (!found) {
            log_cli_error(who, "unknown option \"--%.*s\"; accepted options: %s%s--help",
                          (int)n, a, allowed, *allowed ? " " : "");
            return PARSE_BAD;
        }
    }
    return PARSE_OK;
}

static int load_policy(const char *cli_config, struct policy *pol)
{
    char path[1024];
    struct config_report *report;
    int which = config_policy_path(cli_config, path, sizeof(path)), rc;
    if (which < 0) {
        log_cli_error("cancelbot", "the config path is too long");
        return -1;
    }
    if (which == 0) {
        policy_init_default(pol);
        return 0;
    }
    if (!(report = calloc(1, sizeof(*report))))
        abort();
    rc = config_load_policy_file(path, pol, report);
    if (rc != CONFIG_OK) {
        log_cli_error("cancelbot", "%s: %s", path, config_rc_text(rc));
        for (int i = 0; i < report->n; i++)
            log_cli_error(NULL, "%s: %s", report->items[i].path, report->items[i].text);
    }
    free(report);
    return rc == CONFIG_OK ? 0 : -1;
}

static const char *db_path(const struct cli *cli)
{
    const char *env = getenv("CANCELBOT_DB");
    if (cli->db)
        return cli->db;
    return env && *env ? env : "cancelbot.db";
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Where the record is: *url for PostgreSQL, else the SQLite file db_path(cli). An
 * option beats the environment; two of a kind at once is refused, naming both. */
static int database_url(const struct cli *cli, const char **url)
{
    const char *env = env_nonempty("CANCELBOT_DATABASE_URL");
    const char *env_name = "CANCELBOT_DATABASE_URL";
    *url = NULL;
    if (cli->db && cli->database_url) {
        log_cli_error("cancelbot", "give --db FILE (SQLite) or --database-url URL "
                "(PostgreSQL), not both");
        return -1;
    }
    if (cli->db)
        return 0;
    if (cli->database_url) {
        *url = cli->database_url;
        return 0;
    }
    if (!env)
        env = env_nonempty("DATABASE_URL"), env_name = "DATABASE_URL";
    if (env && env_nonempty("CANCELBOT_DB")) {
        log_cli_error("cancelbot", "both CANCELBOT_DB (SQLite) and %s (PostgreSQL) are set; "
                "unset one, or choose with --db FILE or --database-url URL", env_name);
        return -1;
    }
    *url = env;
    return 0;
}

static int cmd_shell(const struct cli *cli)
{
    struct policy *pol = malloc(sizeof(*pol));
    struct shell_options so;
    int rc = 1;
    memset(&so, 0, sizeof(so));
    if (!pol)
        abort();
    if (database_url(cli, &so.database_url) == 0 && load_policy(cli->config, pol) == 0) {
        so.user = cli->as;
        so.db_path = db_path(cli);
        so.sim_seed_path = cli->seed;
        so.policy = pol;
        so.in = stdin;
        so.out = stdout;
        rc = shell_run(&so);
    }
    free(pol);
    return rc;
}

/* What `run` takes from the environment, read and checked in one place. */
struct run_env {
    const char *app_token, *bot_token;   /* both set, or both NULL: no Slack */
    const char *api_url;
    int connections;
    struct health_addr health;
    const char *database_url;            /* PostgreSQL; NULL: the SQLite file db_path */
    const char *db_path;
};

/* Everything `run` refuses before it connects anywhere, with the policy (loaded
 * already) and the environment together: the Slack tokens' kinds, the numbers and
 * addresses it is given, where the record is, and the providers set up with the
 * credentials the environment gives them. check-config calls the same function, so
 * both say the same sentence. 0, or -1 after printing "cancelbot: <why>". Sends
 * nothing and opens no database. */
static int check_run(const struct cli *cli, const struct policy *pol, struct run_env *env)
{
    const char *n = env_nonempty("CANCELBOT_SLACK_CONNECTIONS");
    struct bot_options bo;
    struct http_curl *http = NULL;
    char err[512];
    char *end = NULL;
    long connections = n ? strtol(n, &end, 10) : 1;
    int rc = -1;
    memset(env, 0, sizeof(*env));
    env->app_token = env_nonempty("SLACK_APP_TOKEN");
    env->bot_token = env_nonempty("SLACK_BOT_TOKEN");
    env->api_url = env_nonempty("SLACK_API_URL") ? env_nonempty("SLACK_API_URL")
                                                 : "https://slack.com/api/";
    if (!env->app_token != !env->bot_token) {
        log_cli_error("cancelbot", "set both SLACK_APP_TOKEN (xapp-...) and SLACK_BOT_TOKEN "
                "(xoxb-...) for Slack, or neither for the terminal shell");
        return -1;
    }
    if (env->app_token && slack_check_tokens(env->app_token, env->bot_token, err,
                                             sizeof(err)) != 0) {
        log_cli_error("cancelbot", "%s", err);
        return -1;
    }
    if ((end && *end) || connections < 1 || connections > 10) {
        log_cli_error("cancelbot", "CANCELBOT_SLACK_CONNECTIONS=\"%s\" is not accepted; use a "
                "number from 1 to 10", n);
        return -1;
    }
    env->connections = (int)connections;
    if (health_parse_addr(getenv(HEALTH_ADDR_ENV), &env->health, err, sizeof(err)) != 0) {
        log_cli_error("cancelbot", "%s", err);
        return -1;
    }
    if (database_url(cli, &env->database_url) != 0)
        return -1;
    env->db_path = db_path(cli);
    /* The providers need an HTTP client to be set up; this one never sends. */
    if (!(http = http_curl_new())) {
        log_cli_error("cancelbot", "out of memory");
        return -1;
    }
    memset(&bo, 0, sizeof(bo));
    bo.db_path = env->db_path;
    bo.database_url = env->database_url;
    bo.policy = pol;
    bo.sim_seed_path = cli->seed;
    bo.http = http_curl_client(http);
    if (bot_check_options(&bo, err, sizeof(err)) != 0)
        log_cli_error("cancelbot", "%s", err);
    else
        rc = 0;
    http_curl_free(http);
    return rc;
}

static int cmd_slack(const struct cli *cli, const struct run_env *env, const struct policy *pol)
{
    struct slack_run_options so;
    char policy_path[1024];
    memset(&so, 0, sizeof(so));
    if (config_policy_path(cli->config, policy_path, sizeof(policy_path)) == 1)
        so.policy_path = policy_path;      /* SIGHUP reloads it */
    so.app_token = env->app_token;
    so.bot_token = env->bot_token;
    so.api_url = env->api_url;
    so.connections = env->connections;
    so.health = env->health;
    so.database_url = env->database_url;
    so.db_path = env->db_path;
    so.sim_seed_path = cli->seed;
    so.policy = pol;
    return slack_run(&so);
}

static int cmd_check_config(const struct cli *cli)
{
    char path[1024];
    struct policy *pol = malloc(sizeof(*pol));
    struct config_report *report = calloc(1, sizeof(*report));
    struct run_env env;
    int which = config_policy_path(cli->config, path, sizeof(path)), rc = 1;
    if (!pol || !report)
        abort();
    if (which == 0) {
        printf("No policy file (no --config, CANCELBOT_CONFIG or ./cancelbot.json): the "
               "built-in demo policy applies.\n");
        policy_init_default(pol);
        rc = 0;
    } else if (which < 0) {
        log_cli_error("cancelbot check-config", "the path is too long");
    } else if ((rc = config_load_policy_file(path, pol, report)) != CONFIG_OK) {
        printf("%s: %s (%d problem%s)\n", path, config_rc_text(rc), report->n,
               report->n == 1 ? "" : "s");
        config_report_print(report, stdout);
        rc = 1;
    } else {
        printf("%s: OK. %d approver%s%s, %d approval%s required, providers aws=%s azure=%s.\n",
               path, pol->n_approvers, pol->n_approvers == 1 ? "" : "s",
               pol->approver_group[0] ? " and a user group" : "", pol->approvals_required,
               pol->approvals_required == 1 ? "" : "s", pol->provider_aws, pol->provider_azure);
        rc = 0;
    }
    /* The policy with this environment, as `run` would take them. */
    if (rc == 0 && check_run(cli, pol, &env) != 0) {
        printf("The environment: `cancelbot run` would refuse to start (above).\n");
        rc = 1;
    } else if (rc == 0) {
        printf("The environment: %s; the record in %s.\n",
               env.app_token ? "Slack tokens set (their kinds are right; Slack itself checks "
                               "them at start)"
                             : "no Slack tokens (`cancelbot run` starts the shell on a "
                               "terminal and refuses without one)",
               env.database_url ? "PostgreSQL" : env.db_path);
    }
    free(pol);
    free(report);
    return rc;
}

static int cmd_export(const struct cli *cli)
{
    struct store *st = NULL;
    const char *url = NULL;
    FILE *out = stdout;
    char why[256];
    int64_t since = 0;
    enum store_export_format fmt = STORE_EXPORT_CSV;
    int rc = 1;
    if (cli->format && strcmp(cli->format, "json") == 0) {
        fmt = STORE_EXPORT_JSON;
    } else if (cli->format && strcmp(cli->format, "csv") != 0) {
        log_cli_error("cancelbot export", "--format \"%s\" is not known; accepted: csv, json",
                cli->format);
        return 2;
    }
    if (cli->since && (since = format_parse_date(cli->since)) < 0) {
        log_cli_error("cancelbot export", "--since \"%s\" is not a date; use YYYY-MM-DD, "
                "e.g. --since 2026-01-01", cli->since);
        return 2;
    }
    if (database_url(cli, &url) != 0)
        return 2;
    if (url) {
        if (store_open_postgres(url, &st, why, sizeof(why)) != STORE_OK) {
            log_cli_error("cancelbot export", "database (PostgreSQL): %s", why);
            return 1;
        }
    } else if ((rc = store_open_existing(db_path(cli), &st, why, sizeof(why))) != STORE_OK) {
        if (rc == STORE_E_NOT_FOUND)
            log_cli_error("cancelbot export", "there is no database %s (nothing was created); "
                    "give the bot's file with --db FILE or CANCELBOT_DB", db_path(cli));
        else
            log_cli_error("cancelbot export", "database %s: %s", db_path(cli), why);
        rc = 1;
        goto out;
    }
    rc = 1;
    if (cli->output && !(out = fopen(cli->output, "w"))) {
        log_cli_error("cancelbot export", "cannot write %s: %s", cli->output,
                strerror(errno));
        goto out;
    }
    if (store_export(st, out, fmt, since) != STORE_OK)
        log_cli_error("cancelbot export", "%s", store_last_error(st));
    else
        rc = 0;
out:
    if (out && out != stdout && fclose(out) != 0) {
        log_cli_error("cancelbot export", "writing %s failed: %s", cli->output,
                strerror(errno));
        rc = 1;
    }
    store_close(st);
    return rc;
}

/* Opening the store migrates it; that is all there is to do. */
static int cmd_migrate(const struct cli *cli)
{
    struct store *st = NULL;
    const char *url = NULL;
    char why[256];
    int rc;
    if (database_url(cli, &url) != 0)
        return 2;
    if (cli->from && (strncmp(cli->from, "sqlite:", 7) != 0 || !cli->from[7])) {
        log_cli_error("cancelbot migrate", "--from: give the SQLite record as sqlite:FILE "
                "(e.g. --from sqlite:cancelbot.db)");
        return 2;
    }
    if (cli->from && !url) {
        log_cli_error("cancelbot migrate", "--from moves a SQLite record into PostgreSQL: "
                "give --database-url (or DATABASE_URL); a SQLite record is copied as a "
                "file");
        return 2;
    }
    if (url)
        rc = store_open_postgres(url, &st, why, sizeof(why));
    else
        rc = store_open(db_path(cli), &st, why, sizeof(why));
    if (rc != STORE_OK) {
        log_cli_error("cancelbot migrate", "database %s: %s", url ? "(PostgreSQL)"
                                                                    : db_path(cli), why);
        return 1;
    }
    printf("cancelbot migrate: database %s is at this cancelbot's schema\n",
           url ? "(PostgreSQL)" : db_path(cli));
    if (cli->from) {
        long rows = 0;
        if (store_import_sqlite(st, cli->from + 7, &rows, why, sizeof(why)) != STORE_OK) {
            log_cli_error("cancelbot migrate", "moving %s: %s; nothing was written",
                    cli->from + 7, why);
            store_close(st);
            return 1;
        }
        printf("cancelbot migrate: moved %s into PostgreSQL (%ld rows)\n", cli->from + 7,
               rows);
    }
    store_close(st);
    return 0;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    int rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);   /* once, before any thread: curl's rule */
    rc = dispatch(argc, argv);
    curl_global_cleanup();
    return rc;
}

struct command {
    const char *name;
    const char *options;        /* accepted --options, for parse_options */
    const char *usage;
    int (*run)(const struct cli *cli);
};

static int cmd_run(const struct cli *cli)
{
    struct policy *pol;
    struct run_env env;
    int rc = 2;
    if (!env_nonempty("SLACK_APP_TOKEN") && !env_nonempty("SLACK_BOT_TOKEN") &&
        isatty(STDIN_FILENO)) {
        log_info("no Slack tokens: starting the terminal shell on the simulated marketplace");
        return cmd_shell(cli);
    }
    if (!(pol = malloc(sizeof(*pol))))
        abort();
    /* Before anything connects: what would stop the bot later stops it now. */
    if (load_policy(cli->config, pol) == 0 && check_run(cli, pol, &env) == 0) {
        if (env.app_token)
            rc = cmd_slack(cli, &env, pol);
        else    /* a service manager's: a shell on an empty stdin would exit 0 at once */
            log_cli_error("cancelbot run", "%s", NO_TOKENS_NO_TERMINAL);
    }
    free(pol);
    return rc;
}

static int cmd_version(const struct cli *cli)
{
    (void)cli;
    printf("cancelbot %s\n", CANCELBOT_VERSION);
    return 0;
}

static int cmd_help(const struct cli *cli);

static const struct command commands[] = {
    {"run", "--config --db --database-url --seed", run_usage, cmd_run},
    {"shell", "--as --config --db --database-url --seed", shell_usage, cmd_shell},
    {"check-config", "--config --db --database-url --seed", check_config_usage,
     cmd_check_config},
    {"export", "--format --since --db --database-url --output", export_usage, cmd_export},
    {"migrate", "--db --database-url --from", migrate_usage, cmd_migrate},
    {"version", "", version_usage, cmd_version},
    {"help", "", help_usage, cmd_help},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void unknown_command(const char *name)
{
    log_cli_error("cancelbot", "unknown command \"%s\"; accepted: run, shell, check-config, "
            "export, migrate, version, help", name);
}

static int cmd_help(const struct cli *cli)
{
    const struct command *c;
    if (!cli->topic) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!(c = find_command(cli->topic))) {
        unknown_command(cli->topic);
        return 2;
    }
    fputs(c->usage, stdout);
    return 0;
}

static int dispatch(int argc, char **argv)
{
    struct cli cli;
    const struct command *c;
    const char *level = getenv("CANCELBOT_LOG_LEVEL"), *format = getenv("CANCELBOT_LOG_FORMAT");
    char err[512];
    const char *name = argc > 1 ? argv[1] : "help";
    memset(&cli, 0, sizeof(cli));
    if (level && *level) {
        int l = log_level_from_name(level);
        if (l < 0) {
            log_cli_error("cancelbot", "CANCELBOT_LOG_LEVEL=\"%s\" is not known; accepted: "
                    "error, warn, info, debug", level);
            return 2;
        }
        log_set_level((enum log_level)l);
    }
    if (format && *format) {
        int f = log_format_from_name(format);
        if (f < 0) {
            log_cli_error("cancelbot", "CANCELBOT_LOG_FORMAT=\"%s\" is not known; accepted: "
                    "text, json", format);
            return 2;
        }
        log_set_format((enum log_format)f);
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    else if (strcmp(name, "--version") == 0)
        name = "version";
    if (!(c = find_command(name))) {
        unknown_command(name);
        return 2;
    }
    /* NAME_FILE secrets become NAME before anything reads them (help and version
     * read none) */
    if (c->run != cmd_help && c->run != cmd_version && secret_env_load(err, sizeof(err)) != 0) {
        log_cli_error("cancelbot", "%s", err);
        return 2;
    }
    if (c->run == cmd_help && argc == 3 && argv[2][0] != '-') {
        cli.topic = argv[2];
        return cmd_help(&cli);
    }
    switch (argc > 1 ? parse_options(argc, argv, c->options, &cli) : PARSE_OK) {
    case PARSE_OK:
        return c->run(&cli);
    case PARSE_HELP:
        fputs(c->usage, stdout);
        return 0;
    case PARSE_BAD:
        break;
    }
    return 2;
}
