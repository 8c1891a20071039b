/* bot/runtime.c -- the imperative shell around the pure core. Every input becomes a
 * request_event; request_transition decides; store_commit_transition persists the
 * request, its audit row and its effects in one transaction; only then does anything
 * leave the process (bot/outbox.c runs the effects). Refusals go straight back to the
 * actor as ephemeral messages: they change nothing, so there is nothing to persist.
 *
 * Commands that only read (status, list, help, export) answer directly. Look-ups go
 * to the provider first, because the requester must see the real agreement before a
 * draft exists. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/runtime_int.h"
#include "bot/outbox_int.h"
#include "bot/service.h"
#include "approvals/card.h"
#include "bot/log.h"
#include "commands/cmd.h"
#include "approvals/format.h"
#include "providers/sim.h"
#include "providers/aws_agreement.h"
#include "providers/azure.h"
#include <unistd.h>

struct loop *bot_loop(struct bot *b) { return b->loop; }
struct store *bot_store(struct bot *b) { return b->store; }
const struct policy *bot_policy(const struct bot *b) { return &b->policy; }
int64_t bot_now_ms(const struct bot *b) { return loop_now_ms(b->loop); }
int64_t bot_lease_ms(const struct bot *b) { return b->lease_ms; }

struct provider *bot_provider(struct bot *b, enum request_market m)
{
    return m == MARKET_AZURE ? b->azure : b->aws;
}

/* {"accounts": {"default": {"profile": "...", "region": "..."}}} from the policy. */
static char *aws_config_json(const struct policy *pol)
{
    json_t *accounts = json_object(), *cfg;
    char *text;
    for (int i = 0; i < pol->n_accounts; i++) {
        const struct policy_account *a = &pol->accounts[i];
        json_t *o;
        if (a->market != MARKET_AWS)
            continue;
        o = json_object();
        if (a->profile[0])
            json_object_set_new(o, "profile", json_string(a->profile));
        if (a->region[0])
            json_object_set_new(o, "region", json_string(a->region));
        json_object_set_new(accounts, a->name, o);
    }
    cfg = json_pack("{s:o}", "accounts", accounts);
    text = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
    json_decref(cfg);
    return text;
}

/* {"tenants": {"default": {"tenant_id": "...", "client_id": "..."}}} from the policy;
 * without tenant ids the provider takes AZURE_TENANT_ID / AZURE_CLIENT_ID. */
static char *azure_config_json(const struct policy *pol)
{
    json_t *tenants = json_object(), *cfg = json_object();
    char *text;
    for (int i = 0; i < pol->n_accounts; i++) {
        const struct policy_account *a = &pol->accounts[i];
        if (a->market == MARKET_AZURE && a->tenant_id[0] && a->client_id[0])
            json_object_set_new(tenants, a->name,
                                json_pack("{s:s, s:s}", "tenant_id", a->tenant_id,
                                          "client_id", a->client_id));
    }
    if (json_object_size(tenants))
        json_object_set(cfg, "tenants", tenants);
    json_decref(tenants);
    text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    return text;
}

/* A status change from AWS's events queue: the same event a poll would give, sooner. */
static void on_aws_event(void *ud, const struct aws_event *e)
{
    struct bot *b = ud;
    struct request *rq = malloc(sizeof(*rq));
    struct request_event *ev = calloc(1, sizeof(*ev));
    if (!rq || !ev)
        abort();
    if (e->status != MSTATUS_PENDING && e->request_id[0] &&
        store_find_by_provider_ref(b->store, e->request_id, rq) == STORE_OK &&
        !request_is_terminal(rq->state)) {
        ev->kind = EV_STATUS;
        ev->status = e->status;
        request_copy_str(ev->actor, sizeof(ev->actor), "marketplace");
        request_copy_str(ev->via, sizeof(ev->via), "eventbridge");
        request_copy_str(ev->status_raw, sizeof(ev->status_raw), e->status_raw);
        log_info("%s: %s from the events queue", rq->id, e->detail_type);
        bot_apply(b, rq, ev, NULL, NULL);
    }
    free(rq);
    free(ev);
}

struct owner_check {
    struct bot *bot;
    char dead[8][STORE_OWNER_MAX];
    int n_dead;
};

/* An owner is "host:pid:nonce" (store_owner). On our own host a lease whose process
 * is gone (or whose pid is ours: our predecessor in a container that restarts as pid
 * 1) can be taken at once instead of when it runs out; every other owner's lease,
 * live or not, is left to expire. */
static int collect_dead_owner(void *ud, const char *owner)
{
    struct owner_check *c = ud;
    const char *mine = store_owner(c->bot->store), *colon = strchr(owner, ':');
    size_t host_len = colon ? (size_t)(colon - owner) : 0;
    long pid;
    char *end;
    if (!colon || strcmp(owner, mine) == 0 || strncmp(owner, mine, host_len + 1) != 0)
        return 0;
    pid = strtol(colon + 1, &end, 10);
    if (*end != ':' || pid <= 0)
        return 0;
    if (pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
        if (c->n_dead < (int)(sizeof(c->dead) / sizeof(c->dead[0])))
            request_copy_str(c->dead[c->n_dead++], STORE_OWNER_MAX, owner);
    }
    return 0;
}

static void release_dead_predecessors(struct bot *b)
{
    struct owner_check *c = calloc(1, sizeof(*c));
    int64_t now = bot_now_ms(b);
    if (!c)
        abort();
    c->bot = b;
    if (store_lease_owners(b->store, now, collect_dead_owner, c) != STORE_OK)
        log_warn("could not read the outbox leases: %s", store_last_error(b->store));
    for (int i = 0; i < c->n_dead; i++) {
        log_info("taking over the work of a stopped process on this host (%s)", c->dead[i]);
        if (store_release_leases_of(b->store, c->dead[i], now) != STORE_OK)
            log_warn("could not release its leases: %s", store_last_error(b->store));
    }
    free(c);
}

/* The loop's env, with the HTTP client and the pollers' report hook. */
static struct provider_env provider_env_of(struct bot *b)
{
    struct provider_env env = loop_provider_env(b->loop);
    env.http = b->http;
    env.poller_report = bot_poller_report;
    env.report_ud = b;
    return env;
}

static void on_store_commit(void *ud, int64_t commit_us)
{
    struct bot *b = ud;
    metrics_observe(&b->metrics.commit_seconds, (double)commit_us / 1e6);
}

static struct provider *open_provider(struct bot *b, const char *which, const char *market,
                                      const char *sim_config, char *err, size_t errlen)
{
    struct provider_env env = provider_env_of(b);
    struct provider *p = NULL;
    char *cfg, why[400];
    if (strcmp(which, "sim") == 0) {
        /* provider_new keeps no reason from init: the check says it (a state or seed
         * file that cannot be read, and the system's why). */
        if (!(p = provider_new(&sim_provider_ops, &env, sim_config, err, errlen)) &&
            sim_provider_check_config(sim_config, why, sizeof(why)) != 0)
            snprintf(err, errlen, "the simulated marketplace: %s", why);
        return p;
    }
    if ((strcmp(which, "aws") == 0 || strcmp(which, "azure") == 0) && b->http) {
        int aws = strcmp(which, "aws") == 0;
        if (!(cfg = aws ? aws_config_json(&b->policy) : azure_config_json(&b->policy)))
            abort();
        why[0] = '\0';
        p = aws ? aws_agreement_provider_new(&env, cfg, NULL, NULL, why, sizeof(why))
                : azure_provider_new(&env, cfg, NULL, NULL, why, sizeof(why));
        if (!p)
            snprintf(err, errlen, "providers.%s: %s", which, why[0] ? why : "could not start");
        /* The support-case route uses the same seller accounts. */
        else if (aws && !(b->support = aws_support_new(&env, cfg, NULL, NULL, why, sizeof(why))))
            log_warn("AWS Support API unavailable (%s): support cases get the form text", why);
        free(cfg);
        return p;
    }
    snprintf(err, errlen, "providers.%s: \"%s\" is not available in this build; use \"sim\"",
             market, which);
    return NULL;
}

static char *sim_config_json(const struct bot_options *opt)
{
    json_t *cfg = json_object();
    char *text, state[1024];
    if (opt->sim_seed_path)
        json_object_set_new(cfg, "seed", json_string(opt->sim_seed_path));
    if (opt->sim_state_path)
        snprintf(state, sizeof(state), "%s", opt->sim_state_path);
    else if (opt->database_url)
        snprintf(state, sizeof(state), "cancelbot.sim.json");
    else
        snprintf(state, sizeof(state), "%s.sim.json", opt->db_path);
    json_object_set_new(cfg, "state", json_string(state));
    text = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    return text;
}

/* Said once when the database goes and once when it is back: in between the store
 * fails at once and retries on its own (store.h), and the runtimes hold their work. */
static void on_store_connection(void *ud, int up, const char *why, int64_t down_ms)
{
    (void)ud;
    if (up)
        log_info("database (PostgreSQL): connection back after %lld.%01lld s; carrying on",
                 (long long)(down_ms / 1000), (long long)(down_ms % 1000 / 100));
    else
        log_error("database (PostgreSQL): connection lost (%s); reconnecting, meanwhile "
                  "commands are answered \"try again\" and the outbox waits", why);
}

/* CANCELBOT_LEASE_MS: for tests of a failover (e2e_replicas), which should not wait
 * 30 s. Unset or empty: BOT_LEASE_MS. */
static int lease_from_env(int64_t *lease_ms, char *err, size_t errlen)
{
    const char *v = getenv("CANCELBOT_LEASE_MS");
    char *end = NULL;
    long long ms = v && *v ? strtoll(v, &end, 10) : BOT_LEASE_MS;
    if ((end && *end) || ms < BOT_LEASE_MIN_MS || ms > BOT_LEASE_MAX_MS) {
        snprintf(err, errlen, "CANCELBOT_LEASE_MS=\"%.32s\" is not accepted; use milliseconds "
                 "from %d to %d (for tests; unset, leases last %d ms)", v, BOT_LEASE_MIN_MS,
                 BOT_LEASE_MAX_MS, BOT_LEASE_MS);
        return -1;
    }
    *lease_ms = ms;
    return 0;
}

/* The part of bot_open that touches neither the store nor the network: the policy,
 * the environment it reads, the loop, the providers set up from the policy and the
 * credentials in the environment, the events queue's poller (made, not started). A
 * refusal here is one of the configuration: bot_check_options gives it without
 * opening anything. */
static int bot_setup(struct bot *b, const struct bot_options *opt, char *err, size_t errlen)
{
    const char *fault = getenv("CANCELBOT_FAULT_KILL_BEFORE");
    char *sim_cfg = NULL;
    int rc = -1;
    b->policy = *opt->policy;
    b->http = opt->http;
    b->http_settle = opt->http_settle;
    b->http_ud = opt->http_ud;
    b->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)b;
    metrics_init(&b->metrics);
    if (fault && *fault && effect_kind_from_name(fault, &b->fault_kind) == 0)
        b->fault_armed = 1;
    fault = getenv("CANCELBOT_FAULT_KILL_AFTER");
    if (fault && *fault && effect_kind_from_name(fault, &b->fault_after_kind) == 0)
        b->fault_after_armed = 1;
    fault = getenv("CANCELBOT_FAULT_KILL_DURING_LOOKUP_MS");
    if (fault && *fault)
        b->fault_lookup_ms = strtoll(fault, NULL, 10);
    fault = getenv("CANCELBOT_FAULT_JUMP_PAUSE_MS");
    if (fault && *fault)
        b->fault_jump_pause_ms = strtoll(fault, NULL, 10);
    fault = getenv("CANCELBOT_FAULT_KILL_AT_POINT");
    if (fault && *fault)
        b->fault_at_point = strtol(fault, NULL, 10);
    if (lease_from_env(&b->lease_ms, err, errlen))
        goto out;
    if (opt->database_url && store_check_postgres_url(opt->database_url, err, errlen) != STORE_OK)
        goto out;
    if (!(b->loop = loop_new())) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!(sim_cfg = sim_config_json(opt))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!(b->aws = open_provider(b, b->policy.provider_aws, "aws", sim_cfg, err, errlen)))
        goto out;
    if (strcmp(b->policy.provider_azure, "sim") == 0 && strcmp(b->policy.provider_aws, "sim") == 0)
        b->azure = b->aws;          /* one simulated marketplace serves both */
    else if (!(b->azure = open_provider(b, b->policy.provider_azure, "azure", sim_cfg, err, errlen)))
        goto out;
    if (b->policy.aws_events_queue_url[0] && strcmp(b->policy.provider_aws, "aws") == 0 &&
        b->http) {
        struct provider_env env = provider_env_of(b);
        char *cfg = aws_config_json(&b->policy);
        b->events = cfg ? aws_events_poller_new(&env, cfg, b->policy.aws_events_queue_url, NULL,
                                                NULL, on_aws_event, b, err, errlen)
                        : NULL;
        free(cfg);
        if (!b->events)
            goto out;
    }
    rc = 0;
out:
    free(sim_cfg);
    return rc;
}

int bot_check_options(const struct bot_options *opt, char *err, size_t errlen)
{
    struct bot *b = calloc(1, sizeof(*b));
    int rc;
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = bot_setup(b, opt, err, errlen);
    bot_close(b);
    return rc;
}

int bot_open(const struct bot_options *opt, struct chat *chat, struct bot **out,
             char *err, size_t errlen)
{
    struct bot *b = calloc(1, sizeof(*b));
    char offset[32], why[256];
    int rc = -1, src;
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->chat = chat;
    if (opt->database_url) {
        src = opt->on_event_loop
                  ? store_open_postgres_on_loop(opt->database_url, &b->store, why, sizeof(why))
                  : store_open_postgres(opt->database_url, &b->store, why, sizeof(why));
        if (src != STORE_OK) {
            snprintf(err, errlen, "database (PostgreSQL, DATABASE_URL): %s", why);
            if (src == STORE_E_UNREACHABLE)
                rc = BOT_E_UNREACHABLE;
            goto out;
        }
    } else if (store_open(opt->db_path, &b->store, why, sizeof(why)) != STORE_OK) {
        snprintf(err, errlen, "database %s: %s", opt->db_path, why);
        goto out;
    }
    /* After the store: its reason is the one to read when the record's place is wrong
     * (the simulated market keeps its state next to it). `run` checked the rest
     * before connecting (bot_check_options). */
    if (bot_setup(b, opt, err, errlen))
        goto out;
    /* Made by the store's migrations; without it tokens could repeat across records. */
    if (store_get_setting(b->store, "installation_id", b->installation_id,
                          sizeof(b->installation_id)) != STORE_OK || !b->installation_id[0]) {
        snprintf(err, errlen, "database %s: no installation id (%s)",
                 opt->database_url ? "(PostgreSQL)" : opt->db_path, store_last_error(b->store));
        goto out;
    }
    if (store_get_setting(b->store, BOT_CLOCK_SETTING, offset, sizeof(offset)) == STORE_OK)
        loop_set_clock_offset_ms(b->loop, strtoll(offset, NULL, 10));
    if (b->events)
        aws_events_poller_start(b->events);
    store_set_chat(b->store, chat->ops->name);
    store_on_connection(b->store, on_store_connection, b);
    store_on_commit(b->store, on_store_commit, b);
    release_dead_predecessors(b);
    *out = b;
    b = NULL;
    rc = 0;
out:
    bot_close(b);
    return rc;
}

void bot_close(struct bot *b)
{
    if (!b)
        return;
    /* A clean stop: what we hold is due now for whoever runs next. */
    if (b->store && b->loop && store_release_own_leases(b->store, bot_now_ms(b)) != STORE_OK)
        log_warn("could not release our leases: %s", store_last_error(b->store));
    aws_events_poller_stop(b->events);
    if (b->loop) {
        /* Let answers already queued land, so their contexts are freed by their owners. */
        for (int i = 0; i < 100 && loop_has_pending(b->loop); i++)
            loop_run_pending(b->loop);
    }
    outbox_forget_unrecorded(b);
    aws_support_free(b->support);
    aws_events_poller_free(b->events);
    if (b->azure != b->aws)
        provider_free(b->azure);
    provider_free(b->aws);
    store_close(b->store);
    loop_free(b->loop);
    bot_jump_free(b);
    free(b);
}

int bot_in_approver_group(struct bot *b, const char *user)
{
    return b->in_approver_group && b->policy.approver_group[0] &&
           b->in_approver_group(b->group_ud, user);
}

int bot_may_approve(struct bot *b, const char *user)
{
    return policy_is_approver(&b->policy, user) || bot_in_approver_group(b, user);
}

void bot_hold_effects(struct bot *b, int hold)
{
    b->hold_effects = hold;
}

void bot_pause_effects(struct bot *b, int paused)
{
    b->effects_paused = paused;
}

void bot_begin_stop(struct bot *b)
{
    b->effects_paused = 1;
    b->stopping = 1;
}

int bot_stopping(const struct bot *b)
{
    return b->stopping;
}

void bot_set_group_check(struct bot *b, int (*in_approver_group)(void *ud, const char *user),
                         void *ud)
{
    b->in_approver_group = in_approver_group;
    b->group_ud = ud;
}

static void chat_done_ignore(void *ud, enum chat_rc rc, const char *ts)
{
    (void)ud;
    (void)ts;
    if (rc != CHAT_OK)
        log_warn("an ephemeral message could not be delivered");
}

void bot_tell(struct bot *b, const char *channel, const char *user, const char *text)
{
    if (b->chat->ops->ephemeral(b->chat, channel, user, text, NULL, chat_done_ignore, NULL) != 0)
        log_warn("an ephemeral message could not be sent");
}

/* How often a transition is recomputed when another process moved the request
 * between our read and our write; each round re-reads, so a livelock needs that
 * many writes by others in the few microseconds of one round. */
#define APPLY_MAX_ROUNDS 16

int bot_apply(struct bot *b, const struct request *in, const struct request_event *ev,
              const char *dedup_key, const char *reply_channel)
{
    struct request *out = malloc(sizeof(*out));
    struct request *fresh = malloc(sizeof(*fresh));
    struct effect_list *fx = malloc(sizeof(*fx));
    struct refusal why;
    struct log_ctx lc = {NULL, NULL, NULL, NULL, NULL};
    const struct request *cur = in;
    int64_t now = bot_now_ms(b);
    int rc = -1, t, round;
    if (!out || !fresh || !fx)
        abort();
    for (round = 0;; round++) {
        t = request_transition(cur, ev, &b->policy, now, out, fx, &why);
        if (t != REQUEST_APPLIED && t != REQUEST_QUIET)
            break;
        rc = store_commit_transition(b->store, out, cur ? cur->state : REQUEST_DRAFT,
                                     t == REQUEST_QUIET ? NULL : ev, fx, dedup_key, now);
        if (rc != STORE_E_CONFLICT || !cur || round + 1 >= APPLY_MAX_ROUNDS)
            break;
        /* Another process wrote first: apply the event to what it wrote. */
        log_debug("%s: moved under us; re-applying %s", cur->id,
                  request_event_kind_name(ev->kind));
        if (store_load_request(b->store, cur->id, fresh) != STORE_OK) {
            rc = STORE_E_IO;
            break;
        }
        cur = fresh;
    }
    switch (t) {
    case REQUEST_APPLIED:
    case REQUEST_QUIET:
        lc.request_id = out->id;
        if (rc == STORE_DUPLICATE) {
            log_info_ctx(&lc, "%s: duplicate delivery (%s) ignored", out->id, dedup_key);
        } else if (rc != STORE_OK) {
            log_error_ctx(&lc, "%s: could not store %s: %s", out->id,
                          request_event_kind_name(ev->kind), store_last_error(b->store));
            if (ev->actor[0] == 'U' || ev->actor[0] == 'W')
                bot_tell(b, reply_channel ? reply_channel : out->channel, ev->actor,
                         "Sorry, I could not record that (database error); nothing changed. "
                         "Please try again.");
        } else {
            b->commits++;
            log_info_ctx(&lc, "%s: %s by %s -> %s", out->id, request_event_kind_name(ev->kind),
                         ev->actor, request_state_name(out->state));
        }
        break;
    case REQUEST_REFUSED:
        lc.request_id = cur ? cur->id : ev->draft->id;
        log_info_ctx(&lc, "%s: %s by %s refused: %s", lc.request_id,
                     request_event_kind_name(ev->kind), ev->actor, why.text);
        if (ev->actor[0] == 'U' || ev->actor[0] == 'W')
            bot_tell(b, reply_channel ? reply_channel : (cur ? cur->channel : ev->draft->channel),
                     ev->actor, why.text);
        rc = 1;
        break;
    case REQUEST_IGNORED:
        rc = 1;
        break;
    }
    free(out);
    free(fresh);
    free(fx);
    return rc;
}

void bot_maintain(struct bot *b)
{
    int64_t now = bot_now_ms(b);
    int pruned = 0;
    if (b->hold_effects)
        return;
    outbox_record_unrecorded(b);
    if (now >= b->next_renew_ms) {
        b->next_renew_ms = now + b->lease_ms / 3;
        if (store_renew_leases(b->store, now, b->lease_ms) != STORE_OK)
            log_error("could not renew our leases: %s", store_last_error(b->store));
    }
    if (now >= b->next_resume_ms) {
        b->next_resume_ms = now + BOT_RESUME_EVERY_MS;
        bot_resume_intents(b);
    }
    if (now >= b->next_prune_ms) {
        b->next_prune_ms = now + BOT_PRUNE_EVERY_MS;
        if (store_prune(b->store, now - b->policy.dedup_ttl_ms,
                        now - b->policy.done_retention_ms,
                        &pruned) != STORE_OK)
            log_warn("housekeeping failed: %s", store_last_error(b->store));
        else if (pruned)
            log_debug("housekeeping: %d old de-duplication key(s) and done effect(s) removed",
                      pruned);
    }
}

/* Loads the request named in a command or click; tells the user when it does not exist. */
int bot_load_for_user(struct bot *b, const char *id, const char *user, const char *channel,
                         struct request *rq)
{
    char msg[200];
    int rc = store_load_request(b->store, id, rq);
    if (rc == STORE_OK)
        return 0;
    if (rc == STORE_E_NOT_FOUND)
        snprintf(msg, sizeof(msg), "request: there is no request %s. Try /cancel list all.", id);
    else
        snprintf(msg, sizeof(msg), "Sorry, I could not read %s (database error).", id);
    bot_tell(b, channel ? channel : "", user, msg);
    return -1;
}

static void event_init(struct request_event *ev, enum request_event_kind kind, const char *actor,
                       const char *via, const char *text)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    request_copy_str(ev->actor, sizeof(ev->actor), actor);
    request_copy_str(ev->via, sizeof(ev->via), via);
    request_copy_str(ev->text, sizeof(ev->text), text);
}

/* Applies an event to a stored request, on behalf of a user. */
void bot_apply_user_event(struct bot *b, const char *id, enum request_event_kind kind,
                             const char *user, const char *channel, const char *via,
                             const char *text, const char *dedup_key)
{
    struct request *rq = malloc(sizeof(*rq));
    struct request_event *ev = malloc(sizeof(*ev));
    if (!rq || !ev)
        abort();
    if (bot_load_for_user(b, id, user, channel, rq) == 0) {
        event_init(ev, kind, user, via, text);
        if (kind == EV_CASE_STATUS)
            request_copy_str(ev->status_raw, sizeof(ev->status_raw), text);
        ev->actor_in_approver_group = bot_in_approver_group(b, user);
        bot_apply(b, rq, ev, dedup_key, channel);
    }
    free(rq);
    free(ev);
}

void bot_on_button(struct bot *b, const char *user, const char *channel, const char *request_id,
                   const char *action, const char *note, const char *dedup_key)
{
    static const struct { const char *name; enum request_event_kind kind; } actions[] = {
        {"confirm", EV_CONFIRM}, {"discard", EV_DISCARD},
        {"approve", EV_APPROVE}, {"reject", EV_REJECT},
    };
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(action, actions[i].name) == 0) {
            bot_apply_user_event(b, request_id, actions[i].kind, user, channel, "button",
                             note ? note : "", dedup_key);
            return;
        }
    }
    bot_tell(b, channel, user,
             "action: accepted buttons are confirm, discard, approve and reject.");
}

/* A rejection needs a reason the requester can act on, whichever way it is given:
 * the Reject button asks for it in a form, and a reject reaction asks the same way
 * (a private message with the Reject button, which opens that form). The request
 * waits for it: nothing is recorded until the reason comes. Whether this person may
 * reject is the core's rule, so it is asked first, with the reason still to come. */
static void ask_reject_reason(struct bot *b, const char *request_id, const char *user,
                              const char *channel)
{
    struct request *rq = malloc(sizeof(*rq)), *out = malloc(sizeof(*out));
    struct request_event *ev = malloc(sizeof(*ev));
    struct effect_list *fx = malloc(sizeof(*fx));
    struct card *card = malloc(sizeof(*card));
    struct refusal why;
    char text[300];
    if (!rq || !out || !ev || !fx || !card)
        abort();
    if (bot_load_for_user(b, request_id, user, channel, rq) != 0)
        goto out;
    event_init(ev, EV_REJECT, user, "reaction", "(the reason is asked for)");
    ev->actor_in_approver_group = bot_in_approver_group(b, user);
    if (request_transition(rq, ev, &b->policy, bot_now_ms(b), out, fx, &why) == REQUEST_REFUSED) {
        bot_tell(b, channel, user, why.text);
        goto out;
    }
    card_render(rq, card);
    card->buttons = CARD_BUTTONS_REJECT;
    snprintf(card->status, sizeof(card->status), "Reject %s? Say why first", rq->id);
    snprintf(text, sizeof(text), "You reacted :%s: to reject %s. A rejection needs a reason "
             "<@%s> can act on: give it with Reject with a reason. Until then %s still waits "
             "for finance.", b->policy.react_reject, rq->id, rq->requester, rq->id);
    if (b->chat->ops->ephemeral(b->chat, channel, user, text, card, chat_done_ignore, NULL) != 0)
        log_warn("%s: could not ask %s for the reason of a rejection", rq->id, user);
out:
    free(rq);
    free(out);
    free(ev);
    free(fx);
    free(card);
}

void bot_on_reaction(struct bot *b, const char *user, const char *channel, const char *request_id,
                     const char *emoji, int added, const char *dedup_key)
{
    if (strcmp(emoji, b->policy.react_approve) == 0) {
        bot_apply_user_event(b, request_id, added ? EV_APPROVE : EV_UNAPPROVE, user, channel,
                         "reaction", "", dedup_key);
    } else if (strcmp(emoji, b->policy.react_reject) == 0 && added) {
        ask_reject_reason(b, request_id, user, channel);
    }
    /* Any other emoji is conversation, not a decision. */
}
