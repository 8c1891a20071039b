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

#define IDLE_INTERVAL_MS 1000
#define IDLE_INTERVAL_WOKEN_MS 5000  /* with LISTEN/NOTIFY: in case one was lost */
#define STORE_WATCH_PROTOCOL "cancelbot-store"
#define TURN_MAX_TASKS 16            /* answers landed per turn */
#define ACKS_FIRST_FALLBACK_MS 5
#define TURN_MAX_EFFECTS 8           /* effects started per turn */
#define AUTH_TIMEOUT_MS 15000
#define STOP_GRACE_MS 1500

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
    int fatal;
    int auth_done;
    int auth_ok;
};

/* The only process-wide mutable state besides the runtime context: a signal handler
 * can reach nothing else. */
static volatile sig_atomic_t stop_requested;
static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
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
    struct store *st = bot_store(rt->bot);
    out->now_ms = monotonic_ms();
    out->last_tick_ms = rt->last_tick_ms;
    out->slack_live = rt->socket ? slack_socket_live(rt->socket) : 0;
    out->store_up = store_is_up(st);
    out->store_is_sqlite = !store_prefers_short_transactions(st);   /* PostgreSQL: short ones */
    out->policy_loaded = bot_policy(rt->bot) != NULL;
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
    http_curl_pump(rt->http);           /* answers that came in land here */
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
    else
        log_error("slack: auth.test refused SLACK_BOT_TOKEN (%s): use the app's Bot User "
                  "OAuth Token (xoxb-...) from the OAuth & Permissions page", error);
}

/* Runs the loop until cond holds or the time is up. */
static void service_until(struct slack_runtime *rt, const int *cond, int64_t limit_ms)
{
    int64_t end = bot_now_ms(rt->bot) + limit_ms;
    while (!*cond && !stop_requested && bot_now_ms(rt->bot) < end)
        lws_service(rt->ctx, 0);
}

static int check_tokens(const struct slack_run_options *opt)
{
    if (strncmp(opt->app_token, "xapp-", 5) != 0) {
        fprintf(stderr, "cancelbot: SLACK_APP_TOKEN must be an app-level token (xapp-...) "
                "with the connections:write scope, from the app's Basic Information page\n");
        return -1;
    }
    if (strncmp(opt->bot_token, "xoxb-", 5) != 0) {
        fprintf(stderr, "cancelbot: SLACK_BOT_TOKEN must be a bot token (xoxb-...), from the "
                "app's OAuth & Permissions page\n");
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
    int rc = 1;
    if (!rt)
        abort();
    if (check_tokens(opt) != 0) {
        free(rt);
        return 2;
    }
    memset(&bo, 0, sizeof(bo));
    bo.db_path = opt->db_path;
    bo.database_url = opt->database_url;
    bo.policy = opt->policy;
    bo.sim_seed_path = opt->sim_seed_path;
    slack_chat_init(&rt->sc);
    if (!(rt->http = http_curl_new()))
        goto out;
    bo.http = http_curl_client(rt->http);
    if (bot_open(&bo, &rt->sc.chat, &rt->bot, err, sizeof(err)) != 0) {
        fprintf(stderr, "cancelbot: %s\n", err);
        goto out;
    }
    if (!(rt->sc.api = slack_api_new(opt->api_url, opt->bot_token, opt->app_token,
                                     http_curl_client(rt->http), bot_loop(rt->bot))))
        goto out;
    rt->sc.bot = rt->bot;
    rt->sc.kick = kick;
    rt->sc.kick_ud = rt;
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
        fprintf(stderr, "cancelbot: could not start the websocket library\n");
        goto out;
    }
    signal_ctx = rt->ctx;
    rt->vhost = lws_get_vhost_by_name(rt->ctx, "default");
    rt->last_tick_ms = monotonic_ms();
    if (opt->health.enabled) {
        if (!(rt->health = http_health_start(rt->ctx, &opt->health, health_snapshot, rt, err,
                                             sizeof(err)))) {
            fprintf(stderr, "cancelbot: %s\n", err);
            goto out;
        }
        log_info("http: /healthz and /readyz on %s:%d", opt->health.host,
                 http_health_port(rt->health));
    }
    if (http_curl_attach_lws(rt->http, rt->ctx) != 0) {
        fprintf(stderr, "cancelbot: could not put HTTP on the websocket library's loop\n");
        goto out;
    }
    http_curl_set_wakeup(rt->http, kick, rt);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    schedule_tick(rt, 0);
    if (slack_api_call(rt->sc.api, "auth.test", SLACK_TOKEN_BOT, json_object(), on_auth, rt)) {
        fprintf(stderr, "cancelbot: could not call Slack\n");
        goto out;
    }
    service_until(rt, &rt->auth_done, AUTH_TIMEOUT_MS);
    if (!rt->auth_ok) {
        if (!rt->auth_done)
            log_error("slack: no answer from %s within %d s", opt->api_url,
                      AUTH_TIMEOUT_MS / 1000);
        goto out;
    }
    slack_chat_start(&rt->sc);
    if (!(rt->socket = slack_socket_new(bot_loop(rt->bot), rt->sc.api, opt->connections,
                                        &handlers, rt)))
        goto out;
    slack_socket_attach(rt->socket, rt->ctx);
    slack_socket_start(rt->socket);
    kick(rt);                           /* what start queued on the bot's loop runs now */
    while (!stop_requested)
        lws_service(rt->ctx, 0);
    rc = rt->fatal ? 1 : 0;
out:
    if (rt->sc.bot)
        slack_chat_flush(&rt->sc);      /* what this turn persisted is acked */
    if (rt->socket) {
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
