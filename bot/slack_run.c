/* bot/slack_run.c -- the Slack runtime's event loop. libwebsockets owns the loop
 * (its own poll(); the libuv plugin path of DESIGN.md is not used, see the notes on
 * the Slack issue). curl is attached to it (http_curl_attach_lws): its sockets are
 * watched by lws and its deadlines are lws timers, so an HTTP answer wakes the loop
 * when it arrives and nothing polls for it. One lws timer (`tick`) runs the bot's
 * deferred tasks and due outbox effects; it sleeps until the next of them (at most a
 * second) unless something kicks it, as a finished HTTP transfer or an envelope does.
 * On PostgreSQL the store's connection is watched too (a raw-file wsi on a dup() of
 * its socket, as curl's are): another replica's commit that makes work due wakes the
 * loop through LISTEN/NOTIFY, so the idle wake-up is only a safety net (5 s). While
 * the database is unreachable a turn does nothing but try to reconnect, when the
 * store's back-off allows: answers and tasks wait in memory and land once it is back.
 * Nothing on this thread blocks except the store's short transactions (and, while
 * the database is gone, one reconnection attempt at a time, at most 2 s). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libwebsockets.h>
#include "bot/slack_run.h"
#include "bot/slack_chat.h"
#include "bot/slack_files.h"
#include "bot/slack_socket.h"
#include "bot/http_curl.h"
#include "bot/http_health.h"
#include "bot/log.h"
#include "bot/runtime.h"
#include "bot/service.h"
#include "providers/backoff.h"

#define IDLE_INTERVAL_MS 1000
#define IDLE_INTERVAL_WOKEN_MS 5000  /* with LISTEN/NOTIFY: in case one was lost */
#define STORE_WATCH_PROTOCOL "cancelbot-store"
#define TURN_MAX_TASKS 16            /* answers landed per turn */
#define ACKS_FIRST_FALLBACK_MS 5
#define TURN_MAX_EFFECTS 8           /* effects started per turn */
#define AUTH_TIMEOUT_MS 60000       /* a backstop: every call has its own 10 s timeout */
#define STOP_GRACE_MS 1500
#define START_BACKOFF_BASE_MS 1000  /* start-up retries: Slack or the database unreachable */
#define START_BACKOFF_CAP_MS 15000
#define STOP_DRAIN_MS 3500          /* SIGTERM: what is under way may finish in this time;
                                       with the close and the teardown, exit within 5 s */
#define STOP_DRAIN_STEP_MS 50

/* libwebsockets' own errors, through our log: one format (JSON lines too) and the
 * same redaction as every other line. */
static void lws_log_line(int level, const char *line)
{
    size_t n = strlen(line);
    (void)level;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    log_error("lws: %.*s", (int)n, line);
}

struct slack_runtime {
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick_sul;
    int acks_first;              /* this tick only queued acks; the work follows them */
    struct http_curl *http;
    struct slack_socket *socket;
    struct slack_chat sc;
    struct bot *bot;
    struct lws_vhost *vhost;
    struct lws *store_wsi;       /* watches a dup of the store's socket; NULL: none */
    unsigned store_serial;       /* the connection store_wsi watches */
    struct http_health *health;  /* NULL: CANCELBOT_HTTP_ADDR=off */
    int64_t last_tick_ms;        /* monotonic: /healthz */
    int http_running;            /* transfers under way, as of the last turn */
    int fatal;
    int auth_done;
    int auth_ok;
    int auth_fatal;              /* Slack refused the token itself */
    int auth_answered;           /* Slack answered (an error of its own), not the network */
    char auth_error[256];
    lws_sorted_usec_list_t wait_sul;
    int wait_done;
    uint64_t rng;                /* start-up back-off */
    char starting[128];          /* /readyz while start-up waits; "" once started */
};

/* The only process-wide mutable state besides the runtime context: a signal handler
 * can reach nothing else. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;    /* SIGHUP: the policy file again */
static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

static void on_sighup(int sig)
{
    (void)sig;
    reload_requested = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

/* sigaction, not signal(): in strict C11, glibc's signal() is reset by the first
 * delivery, and a second SIGHUP would then kill the process (a second SIGTERM, sent
 * by an impatient operator or a supervisor, must not cut the drain short either:
 * the supervisor's SIGKILL is what ends a drain that takes too long). */
static void install_handler(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, NULL);
}

/* Between two passes of the loop, so never in the middle of a turn: what the next
 * turn decides, it decides with the new policy. */
static void reload_policy(struct slack_runtime *rt, const char *path)
{
    reload_requested = 0;
    if (!path) {
        log_warn("SIGHUP: no policy file is in use (the built-in demo policy); nothing to "
                 "reload");
        return;
    }
    bot_reload_policy(rt->bot, path);
}

static void tick(lws_sorted_usec_list_t *sul);

static void schedule_tick(struct slack_runtime *rt, int64_t wait_ms)
{
    lws_sul_schedule(rt->ctx, 0, &rt->tick_sul, tick, wait_ms * LWS_US_PER_MS);
}

/* ---- the store's connection, watched for wake-ups ---- */

static void store_unwatch(struct slack_runtime *rt)
{
    struct lws *wsi = rt->store_wsi;
    if (!wsi)
        return;
    rt->store_wsi = NULL;
    lws_set_opaque_user_data(wsi, NULL);
    lws_rx_flow_control(wsi, 0);
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);  /* closes the dup */
}

/* Watches the store's current connection (a new one after a reconnection), none
 * while it is down. lws closes what it adopted; libpq keeps its own descriptor. */
static void store_watch(struct slack_runtime *rt)
{
    struct store *st = bot_store(rt->bot);
    lws_adopt_desc_t info;
    int fd = store_wake_fd(st), dup_fd;
    if (rt->store_wsi && (fd < 0 || store_wake_serial(st) != rt->store_serial))
        store_unwatch(rt);
    if (rt->store_wsi || fd < 0)
        return;
    if ((dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        log_error("database: cannot watch its connection for wake-ups (dup failed)");
        return;
    }
    memset(&info, 0, sizeof(info));
    info.vh = rt->vhost;
    info.type = LWS_ADOPT_RAW_FILE_DESC;
    info.fd.filefd = dup_fd;
    info.vh_prot_name = STORE_WATCH_PROTOCOL;
    info.opaque = rt;
    if (!(rt->store_wsi = lws_adopt_descriptor_vhost_via_info(&info))) {
        close(dup_fd);
        log_error("database: cannot watch its connection for wake-ups (lws refused it)");
        return;
    }
    rt->store_serial = store_wake_serial(st);
}

static int on_store_event(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                          void *in, size_t len)
{
    struct slack_runtime *rt = lws_get_opaque_user_data(wsi);
    (void)user;
    (void)in;
    (void)len;
    if (!rt)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        /* Another replica's work, or the connection's end: a turn either way (it
         * reconnects, or claims what became due). Our own notifications count 0. */
        if (store_take_wakeups(bot_store(rt->bot)) > 0 || !store_is_up(bot_store(rt->bot)))
            schedule_tick(rt, 0);
        if (!store_is_up(bot_store(rt->bot)))
            store_unwatch(rt);         /* the dup would stay readable at its end */
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (rt->store_wsi == wsi)
            rt->store_wsi = NULL;       /* watched again at the next turn */
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols store_watch_protocol = {
    STORE_WATCH_PROTOCOL, on_store_event, 0, 0, 0, NULL, 0
};

/* ---- turns ---- */

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void health_snapshot(void *ud, struct health_snapshot *out)
{
    struct slack_runtime *rt = ud;
    struct store *st;
    out->now_ms = monotonic_ms();
    out->starting = rt->starting;
    if (!rt->bot) {
        /* Waiting for the database: the wait turns this very loop, which answers. */
        out->last_tick_ms = out->now_ms;
        out->policy_loaded = 1;
        return;
    }
    st = bot_store(rt->bot);
    out->last_tick_ms = rt->last_tick_ms;
    out->slack_live = rt->socket ? slack_socket_live(rt->socket) : 0;
    out->store_up = store_is_up(st);
    out->store_is_sqlite = !store_prefers_short_transactions(st);   /* PostgreSQL: short ones */
    out->policy_loaded = bot_policy(rt->bot) != NULL;
    pollers_describe(bot_pollers(rt->bot), bot_now_ms(rt->bot), out->pollers,
                     sizeof(out->pollers));
}

static char *metrics_text(void *ud, size_t *len)
{
    struct slack_runtime *rt = ud;
    static const char waiting[] =
        "# HELP cancelbot_starting 1 while start-up waits for the database.\n"
        "# TYPE cancelbot_starting gauge\n"
        "cancelbot_starting 1\n";
    char *text;
    if (!rt->bot) {     /* nothing counted yet: the database is not open */
        if (!(text = strdup(waiting)))
            abort();
        *len = sizeof(waiting) - 1;
        return text;
    }
    return bot_metrics_text(rt->bot, rt->socket ? slack_socket_live(rt->socket) : 0, len);
}

static void tick(lws_sorted_usec_list_t *sul)
{
    struct slack_runtime *rt = lws_container_of(sul, struct slack_runtime, tick_sul);
    struct loop *loop = bot_loop(rt->bot);
    struct store *st = bot_store(rt->bot);
    int64_t wait = store_wake_fd(st) >= 0 ? IDLE_INTERVAL_WOKEN_MS : IDLE_INTERVAL_MS;
    int64_t next, due, now, retry = IDLE_INTERVAL_MS;
    int started, batched, ran;
    rt->last_tick_ms = monotonic_ms();
    /* First the acks: the envelopes of the last turn are committed in one go, and
     * their acks queued. lws writes them in its next poll; the outbox work waits
     * for that (once: under a steady stream it would otherwise never run). */
    if (slack_chat_flush(&rt->sc) > 0 && !rt->acks_first) {
        rt->acks_first = 1;
        /* on_drained brings the work back at once; this is only in case the
         * connection closed instead. (A timer under 1 ms away would make lws 4.1
         * poll with a zero timeout until it is due: a busy wait.) */
        schedule_tick(rt, ACKS_FIRST_FALLBACK_MS);
        return;
    }
    rt->acks_first = 0;
    /* The database is gone: nothing of the turn could be kept. Finished answers and
     * tasks wait (in memory, their effects under our leases) until it is back. */
    if (!store_is_up(st) && store_reconnect(st, &retry) != STORE_OK) {
        store_watch(rt);
        schedule_tick(rt, retry > 0 ? retry : 1);
        return;
    }
    /* The turn's outbox work in one transaction too: answers landed, effects claimed
     * and marked done. Nothing it starts leaves the process before the commit: HTTP
     * transfers begin on curl's timer, after this returns. A lazy commit: nothing
     * here is acknowledged to anyone, and all of it is redone harmlessly if a power
     * cut loses it (effects are idempotent); the next envelope commit syncs it. */
    /* On PostgreSQL each write of the turn commits alone instead: a turn touches many
     * requests, and holding all their row locks to its end made replicas' turns and
     * envelope batches deadlock and wait on each other (docs/performance.md). */
    batched = !store_prefers_short_transactions(st) && store_batch_begin_lazy(st) == STORE_OK;
    rt->http_running = http_curl_pump(rt->http);   /* answers that came in land here */
    ran = loop_run_pending_max(loop, TURN_MAX_TASKS);
    started = bot_run_due_max(rt->bot, TURN_MAX_EFFECTS);
    if (batched && store_batch_commit(st) != STORE_OK)
        log_error("outbox: could not commit this turn's work (%s); it runs again",
                  store_last_error(st));
    /* A turn is kept short (a few effects and answers), so envelopes that came in
     * meanwhile are read and acked between turns; more work: another turn at once. */
    store_watch(rt);
    /* A statement of the turn may have read other replicas' wake-ups off the socket,
     * where the watch no longer sees them. */
    if (ran >= TURN_MAX_TASKS || started >= TURN_MAX_EFFECTS || store_take_wakeups(st) > 0 ||
        !store_is_up(st)) {
        schedule_tick(rt, 0);
        return;
    }
    if ((next = loop_next_wake_ms(loop)) >= 0 && next < wait)
        wait = next;
    now = bot_now_ms(rt->bot);
    /* Due in the past with nothing started: it waits for an effect of its request
     * that is under way, whose end kicks the loop (or, in another process, shows at
     * the idle wake-up). Waking at once would spin. */
    if (store_next_due(st, &due) == STORE_OK && (due > now || started) &&
        due - now < wait)
        wait = due > now ? due - now : 0;
    schedule_tick(rt, wait);
}

static void kick(void *ud)
{
    schedule_tick(ud, 0);
}

/* The acks of the last commit are written: the turn's work may run now. */
static void on_drained(void *ud)
{
    struct slack_runtime *rt = ud;
    if (rt->acks_first)
        schedule_tick(rt, 0);
}

static void on_fatal(void *ud, const char *why)
{
    struct slack_runtime *rt = ud;
    (void)why;
    rt->fatal = 1;
    stop_requested = 1;
    lws_cancel_service(rt->ctx);
}

static void on_envelope(void *ud, struct slack_conn *conn, const char *text, size_t len)
{
    struct slack_runtime *rt = ud;
    slack_chat_on_envelope(&rt->sc, conn, text, len);
}

static const char *str_or(const char *s)
{
    return s ? s : "?";
}

static void on_auth(void *ud, int ok, json_t *answer, const char *error)
{
    struct slack_runtime *rt = ud;
    rt->auth_done = 1;
    rt->auth_ok = ok;
    rt->auth_answered = answer != NULL;
    rt->auth_fatal = !ok && slack_token_error(error);
    snprintf(rt->auth_error, sizeof(rt->auth_error), "%s", error ? error : "no answer");
    /* This runs in a timer at the top of an lws_service pass that would then sleep
     * in poll until its next timer (up to a second): wake it, start-up goes on. */
    lws_cancel_service(rt->ctx);
    if (ok)
        snprintf(rt->sc.bot_user, sizeof(rt->sc.bot_user), "%s",
                 str_or(json_string_value(json_object_get(answer, "user_id"))));
    if (ok)
        log_info("slack: signed in as %s (%s) in team %s",
                 str_or(json_string_value(json_object_get(answer, "user"))),
                 str_or(json_string_value(json_object_get(answer, "user_id"))),
                 str_or(json_string_value(json_object_get(answer, "team"))));
    else if (rt->auth_fatal)
        log_error("slack: auth.test refused SLACK_BOT_TOKEN (%s): use the app's Bot User "
                  "OAuth Token (xoxb-...) from the OAuth & Permissions page", error);
}

/* Runs the loop until cond holds or the time is up. */
static void service_until(struct slack_runtime *rt, const int *cond, int64_t limit_ms)
{
    int64_t end = monotonic_ms() + limit_ms;
    while (!*cond && !stop_requested && monotonic_ms() < end)
        lws_service(rt->ctx, 0);
}

static void on_wait_over(lws_sorted_usec_list_t *sul)
{
    struct slack_runtime *rt = lws_container_of(sul, struct slack_runtime, wait_sul);
    rt->wait_done = 1;
}

/* Start-up's wait before the next attempt: the loop turns meanwhile (probes are
 * answered, the bot's timers run), and a signal ends it at once. */
static void wait_turning(struct slack_runtime *rt, int64_t ms)
{
    rt->wait_done = 0;
    lws_sul_schedule(rt->ctx, 0, &rt->wait_sul, on_wait_over, ms * LWS_US_PER_MS);
    while (!rt->wait_done && !stop_requested)
        lws_service(rt->ctx, 0);
    lws_sul_schedule(rt->ctx, 0, &rt->wait_sul, on_wait_over, LWS_SET_TIMER_USEC_CANCEL);
}

static int64_t start_backoff_ms(struct slack_runtime *rt, int attempt)
{
    return backoff_jittered_ms(&rt->rng, attempt, START_BACKOFF_BASE_MS, START_BACKOFF_CAP_MS);
}

/* The record, waiting for a database that does not answer yet (PostgreSQL starting,
 * a network blip); a refused login or anything else stops at once. 0: open; -1: it
 * cannot be (said); 1: stopped by a signal while waiting. */
static int open_bot(struct slack_runtime *rt, const struct bot_options *bo)
{
    char err[512];
    for (int attempt = 1; !stop_requested; attempt++) {
        int rc = bot_open(bo, &rt->sc.chat, &rt->bot, err, sizeof(err));
        int64_t delay;
        if (rc == 0)
            return 0;
        if (rc != BOT_E_UNREACHABLE) {
            log_cli_error("cancelbot", "%s", err);
            return -1;
        }
        delay = start_backoff_ms(rt, attempt);
        log_warn("%s; retrying in %lld s", err, (long long)(delay + 500) / 1000);
        snprintf(rt->starting, sizeof(rt->starting), "starting: database unreachable; "
                 "retrying (attempt %d)", attempt);
        wait_turning(rt, delay);
    }
    return 1;
}

/* auth.test until Slack answers it: a network failure (no answer, a 5xx, a 429 past
 * its waits) is retried with back-off and said as such; only Slack's refusal of the
 * token stops. 0: signed in; -1: refused (said); 1: stopped by a signal. */
static int sign_in(struct slack_runtime *rt, const char *api_url)
{
    for (int attempt = 1; !stop_requested; attempt++) {
        int64_t delay;
        rt->auth_done = rt->auth_ok = rt->auth_fatal = 0;
        if (slack_api_call_once(rt->sc.api, "auth.test", SLACK_TOKEN_BOT, json_object(),
                                on_auth, rt)) {
            log_cli_error("cancelbot", "could not call Slack");
            return -1;
        }
        service_until(rt, &rt->auth_done, AUTH_TIMEOUT_MS);
        if (rt->auth_ok)
            return 0;
        if (rt->auth_fatal)
            return -1;
        if (stop_requested)
            break;
        if (!rt->auth_done) {
            log_error("slack: no answer from %s within %d s", api_url, AUTH_TIMEOUT_MS / 1000);
            return -1;
        }
        delay = start_backoff_ms(rt, attempt);
        if (rt->auth_answered)
            log_warn("slack: auth.test failed (%s); retrying in %lld s", rt->auth_error,
                     (long long)(delay + 500) / 1000);
        else
            log_warn("slack: cannot reach %s: %s; retrying in %lld s", api_url, rt->auth_error,
                     (long long)(delay + 500) / 1000);
        snprintf(rt->starting, sizeof(rt->starting), "starting: slack %s; retrying (attempt %d)",
                 rt->auth_answered ? "auth.test failed" : "unreachable", attempt);
        wait_turning(rt, delay);
    }
    return 1;
}

/* SIGTERM/SIGINT: no more envelopes (the Socket Mode connections close cleanly, so
 * Slack sends new ones to other connections; what was read is committed and acked
 * first), nothing new starts, and what is under way gets STOP_DRAIN_MS to finish. An
 * effect still running then is cut short and left pending: bot_close gives its lease
 * back, for the next start (bot_begin_stop). */
static void drain_for_stop(struct slack_runtime *rt)
{
    int64_t end = monotonic_ms() + STOP_DRAIN_MS;
    log_info("slack: stopping: no new envelopes; finishing what is under way (at most %d ms)",
             STOP_DRAIN_MS);
    bot_begin_stop(rt->bot);
    slack_chat_flush(&rt->sc);          /* what was read is persisted and its acks queued */
    slack_socket_stop(rt->socket);      /* the close frames follow the acks */
    schedule_tick(rt, 0);
    while (monotonic_ms() < end) {
        /* Wakes every STOP_DRAIN_STEP_MS at least (the idle turn could be 5 s away),
         * on a timer of its own: moving the turn's would starve it. */
        lws_sul_schedule(rt->ctx, 0, &rt->wait_sul, on_wait_over,
                         STOP_DRAIN_STEP_MS * LWS_US_PER_MS);
        lws_service(rt->ctx, 0);
        /* Counted now, not as of the last turn: a call starts after the turn that
         * claimed its effect. Whatever finished lands here too. */
        rt->http_running = http_curl_pump(rt->http);
        if (rt->http_running == 0 && !loop_has_pending(bot_loop(rt->bot)) &&
            slack_socket_connections(rt->socket) == 0 && !rt->sc.batch_open)
            break;
    }
    lws_sul_schedule(rt->ctx, 0, &rt->wait_sul, on_wait_over, LWS_SET_TIMER_USEC_CANCEL);
    if (rt->http_running > 0)
        log_warn("slack: %d call(s) still under way after %d ms; their effects are left for "
                 "the next start", rt->http_running, STOP_DRAIN_MS);
}

int slack_check_tokens(const char *app_token, const char *bot_token, char *err, size_t cap)
{
    if (strncmp(app_token, "xapp-", 5) != 0) {
        snprintf(err, cap, "SLACK_APP_TOKEN must be an app-level token (xapp-...) with the "
                 "connections:write scope, from the app's Basic Information page");
        return -1;
    }
    if (strncmp(bot_token, "xoxb-", 5) != 0) {
        snprintf(err, cap, "SLACK_BOT_TOKEN must be a bot token (xoxb-...), from the app's "
                 "OAuth & Permissions page");
        return -1;
    }
    return 0;
}

int slack_run(const struct slack_run_options *opt)
{
    struct slack_runtime *rt = calloc(1, sizeof(*rt));
    struct lws_context_creation_info info;
    struct bot_options bo;
    struct slack_socket_handlers handlers = {on_envelope, on_fatal, on_drained};
    struct lws_protocols protocols[4];
    char err[512];
    int rc = 1, step;
    if (!rt)
        abort();
    memset(&bo, 0, sizeof(bo));
    bo.db_path = opt->db_path;
    bo.database_url = opt->database_url;
    bo.on_event_loop = 1;
    bo.policy = opt->policy;
    bo.sim_seed_path = opt->sim_seed_path;
    rt->rng = 0x2545f4914f6cdd1dULL ^ (uint64_t)(uintptr_t)rt ^ (uint64_t)monotonic_ms();
    slack_chat_init(&rt->sc);
    if (!(rt->http = http_curl_new()))
        goto out;
    bo.http = http_curl_client(rt->http);
    /* The loop and the probes first: start-up may wait (for the database, for Slack),
     * and /healthz and /readyz answer meanwhile. */
    lws_set_log_level(LLL_ERR, lws_log_line);
    memset(protocols, 0, sizeof(protocols));
    protocols[0] = *slack_socket_protocol();
    protocols[1] = *http_curl_lws_protocol();
    protocols[2] = store_watch_protocol;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.gid = -1;
    info.uid = -1;
    if (!(rt->ctx = lws_create_context(&info))) {
        log_cli_error("cancelbot", "could not start the websocket library");
        goto out;
    }
    signal_ctx = rt->ctx;
    install_handler(SIGINT, on_signal);
    install_handler(SIGTERM, on_signal);
    install_handler(SIGHUP, on_sighup);
    rt->vhost = lws_get_vhost_by_name(rt->ctx, "default");
    rt->last_tick_ms = monotonic_ms();
    snprintf(rt->starting, sizeof(rt->starting), "starting: opening the database");
    if (opt->health.enabled) {
        if (!(rt->health = http_health_start(rt->ctx, &opt->health, health_snapshot, rt, err,
                                             sizeof(err)))) {
            log_cli_error("cancelbot", "%s", err);
            goto out;
        }
        http_health_serve_metrics(rt->health, metrics_text, rt);
        log_info("http: /healthz and /readyz on %s:%d (and /metrics)", opt->health.host,
                 http_health_port(rt->health));
    }
    if (http_curl_attach_lws(rt->http, rt->ctx) != 0) {
        log_cli_error("cancelbot", "could not put HTTP on the websocket library's loop");
        goto out;
    }
    if ((step = open_bot(rt, &bo)) != 0) {
        rc = step > 0 ? 0 : 1;
        goto out;
    }
    if (!(rt->sc.api = slack_api_new(opt->api_url, opt->bot_token, opt->app_token,
                                     http_curl_client(rt->http), bot_loop(rt->bot))))
        goto out;
    rt->sc.bot = rt->bot;
    slack_api_set_metrics(rt->sc.api, bot_metrics(rt->bot));
    rt->sc.kick = kick;
    rt->sc.kick_ud = rt;
    http_curl_set_wakeup(rt->http, kick, rt);
    /* Until signed in nothing is attempted against a Slack we cannot reach yet. */
    bot_pause_effects(rt->bot, 1);
    snprintf(rt->starting, sizeof(rt->starting), "starting: signing in to slack");
    schedule_tick(rt, 0);
    if ((step = sign_in(rt, opt->api_url)) != 0) {
        rc = step > 0 ? 0 : 1;
        goto out;
    }
    rt->starting[0] = '\0';
    bot_pause_effects(rt->bot, 0);
    slack_chat_start(&rt->sc);
    if (!(rt->socket = slack_socket_new(bot_loop(rt->bot), rt->sc.api, opt->connections,
                                        &handlers, rt)))
        goto out;
    slack_socket_attach(rt->socket, rt->ctx);
    slack_socket_set_metrics(rt->socket, bot_metrics(rt->bot));
    slack_socket_start(rt->socket);
    kick(rt);                           /* what start queued on the bot's loop runs now */
    while (!stop_requested) {
        lws_service(rt->ctx, 0);
        if (reload_requested)
            reload_policy(rt, opt->policy_path);
    }
    if (!rt->fatal)
        drain_for_stop(rt);
    rc = rt->fatal ? 1 : 0;
out:
    if (rt->sc.bot)
        slack_chat_flush(&rt->sc);      /* what this turn persisted is acked */
    if (rt->socket && slack_socket_connections(rt->socket) > 0) {
        int zero = 0;
        slack_socket_stop(rt->socket);
        service_until(rt, &zero, STOP_GRACE_MS / 3);
    }
    log_info("slack: stopped after %ld envelope(s); worst persist+ack %lld us",
             rt->sc.envelopes, (long long)rt->sc.worst_ack_us);
    if (rt->http)
        http_curl_attach_lws(rt->http, NULL);  /* before its wsis go with the context */
    store_unwatch(rt);
    if (rt->ctx)
        lws_context_destroy(rt->ctx);   /* closes what is left of the sockets */
    signal_ctx = NULL;
    http_health_free(rt->health);
    http_curl_free(rt->http);           /* fires pending callbacks with an error */
    if (rt->bot)
        loop_run_pending(bot_loop(rt->bot));
    slack_api_free(rt->sc.api);
    /* Only now: the calls above answer an apps.connections.open still in flight or
     * waiting for its retry ("shutting down"), whose callback reads the socket. */
    slack_socket_free(rt->socket);
    if (rt->sc.bot && rt->sc.batch_open)   /* a commit that failed at the very end */
        store_batch_rollback(bot_store(rt->bot));
    slack_chat_free_acks(&rt->sc);
    slack_names_free(&rt->sc);
    bot_close(rt->bot);
    free(rt);
    return rc;
}
