/* store/store.c -- the public functions of store.h over either backend (sqlite.c,
 * postgres.c; see store_int.h). Arguments are checked here once, the error text is
 * cleared, and writes of several steps are put together here from the backend's
 * operations, so both backends keep the same promises with the same code:
 * - store_commit_transition: dedup key, versioned request write, event row, effects,
 *   in one transaction (a savepoint inside a batch);
 * - batches nest, only the outermost commits, and a batch the database rolled back by
 *   itself is reported at its commit;
 * - lease owners are "host:pid:nonce". */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "store/store_int.h"
#include "store/request_json.h"

int store_failf(struct store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* host:pid:nonce. The host and pid let a restarted process recognise leases of its
 * own dead predecessor (bot/runtime.c); the nonce tells two lives of one pid apart. */
static void make_owner(struct store *s)
{
    char host[64] = "localhost";
    unsigned long long nonce = (unsigned long long)(uintptr_t)s;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&nonce, sizeof(nonce), 1, f) != 1)
            nonce ^= (unsigned long long)getpid() << 32;
        fclose(f);
    }
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(s->owner, sizeof(s->owner), "%s:%ld:%016llx", host, (long)getpid(), nonce);
}

void store_init(struct store *s, const struct store_ops *ops)
{
    s->ops = ops;
    make_owner(s);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

const char *store_owner(const struct store *s)
{
    return s ? s->owner : "";
}

void store_set_chat(struct store *s, const char *chat)
{
    if (s)
        snprintf(s->chat, sizeof(s->chat), "%s", chat ? chat : "");
}

/* Every failure of a backend leaves a sentence; only store_export (export.c, which
 * sees the store through store.h alone) can fail without one, on its output. */
const char *store_last_error(const struct store *s)
{
    if (!s)
        return "no store";
    return s->err[0] ? s->err : "no database error; writing the output may have failed";
}

/* ---- the connection and wake-ups ---- */

void store_on_connection(struct store *s, store_connection_cb cb, void *ud)
{
    if (s) {
        s->on_connection = cb;
        s->on_connection_ud = ud;
    }
}

void store_on_commit(struct store *s, store_commit_cb cb, void *ud)
{
    if (s) {
        s->on_commit = cb;
        s->on_commit_ud = ud;
    }
}

static int64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A transaction's (commit = 1) or a batch's end, timed for store_on_commit. */
static int timed_commit(struct store *s, int batch)
{
    int64_t t0 = s->on_commit ? monotonic_us() : 0;
    int rc = batch ? s->ops->batch_close(s, 1) : s->ops->tx_commit(s);
    if (rc == STORE_OK && s->on_commit)
        s->on_commit(s->on_commit_ud, monotonic_us() - t0);
    return rc;
}

int store_is_up(const struct store *s)
{
    return s && (!s->ops->is_up || s->ops->is_up(s));
}

int store_reconnect(struct store *s, int64_t *retry_in_ms)
{
    if (!s)
        return STORE_E_INVALID;
    if (!s->ops->reconnect)
        return STORE_OK;
    s->err[0] = '\0';
    return s->ops->reconnect(s, retry_in_ms);
}

int store_wake_fd(const struct store *s)
{
    return s && s->ops->wake_fd ? s->ops->wake_fd(s) : -1;
}

unsigned store_wake_serial(const struct store *s)
{
    return s ? s->wake_serial : 0;
}

int store_take_wakeups(struct store *s)
{
    return s && s->ops->take_wakeups ? s->ops->take_wakeups(s) : 0;
}

/* ---- migrations ---- */

int store_migrate(struct store *s)
{
    int rc, version = 0;
    if ((rc = s->ops->tx_begin(s)))
        return rc;
    if ((rc = s->ops->migrate_lock(s)) || (rc = s->ops->schema_version(s, &version)))
        goto out;
    if (version > store_migration_count) {
        rc = store_failf(s, STORE_E_SCHEMA, "database schema version %d is newer than this "
                         "cancelbot's (%d); upgrade cancelbot", version, store_migration_count);
        goto out;
    }
    for (; version < store_migration_count; version++)
        if ((rc = s->ops->migrate_step(s, &store_migrations[version], version + 1)))
            goto out;
    rc = timed_commit(s, 0);
out:
    if (rc != STORE_OK)
        s->ops->tx_rollback(s);
    return rc;
}

/* ---- batches ---- */

static int batch_begin(struct store *s, int lazy)
{
    int rc;
    if (!s)
        return STORE_E_INVALID;
    if (s->batch_depth == 0) {
        s->err[0] = '\0';
        if ((rc = s->ops->batch_open(s, lazy)))
            return rc;
        s->batch_failed = 0;
    }
    s->batch_depth++;
    return STORE_OK;
}

int store_batch_begin(struct store *s)
{
    return batch_begin(s, 0);
}

/* Inside a batch it joins: the outer batch decides. */
int store_batch_begin_lazy(struct store *s)
{
    return batch_begin(s, 1);
}

int store_prefers_short_transactions(const struct store *s)
{
    return s && s->ops->row_locks;
}

int store_batch_commit(struct store *s)
{
    int rc;
    if (!s || s->batch_depth == 0)
        return STORE_E_INVALID;
    if (--s->batch_depth > 0)
        return STORE_OK;
    if (s->batch_failed || s->ops->batch_lost(s)) {
        store_forget_decoded(s);
        s->ops->batch_close(s, 0);
        return store_failf(s, STORE_E_IO, "commit batch: rolled back by an earlier error (%s)",
                           s->err[0] ? s->err : "unknown");
    }
    if ((rc = timed_commit(s, 1)))
        store_forget_decoded(s);
    return rc;
}

void store_batch_rollback(struct store *s)
{
    if (!s || s->batch_depth == 0)
        return;
    s->batch_depth = 0;
    store_forget_decoded(s);
    s->ops->batch_close(s, 0);
}

int store_in_batch(const struct store *s)
{
    return s && s->batch_depth > 0;
}

/* ---- requests ---- */

int store_next_request_id(struct store *s, enum request_kind kind, char out[REQUEST_ID_MAX])
{
    const char *prefix = kind == REQUEST_REFUND ? "RF" : kind == REQUEST_SUSPEND ? "SU" : "CR";
    long long n = 0;
    int rc, n_len;
    if (!s || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = s->ops->next_counter(s, prefix, &n)))
        return rc;
    n_len = snprintf(NULL, 0, "%s-%lld", prefix, n);
    if (n_len < 0 || n_len >= REQUEST_ID_MAX)
        return store_failf(s, STORE_E_IO, "next request id: %s sequence exhausted", prefix);
    snprintf(out, REQUEST_ID_MAX, "%s-%lld", prefix, n);
    return STORE_OK;
}

int store_commit_transition(struct store *s, const struct request *after,
                            enum request_state from, const struct request_event *ev,
                            const struct effect_list *fx, const char *dedup_key,
                            int64_t now_ms)
{
    char *data = NULL;
    int rc, fresh;
    if (!s || !after || !after->id[0] || (fx && (fx->len < 0 || fx->len > EFFECT_LIST_MAX)))
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if (!(data = request_json_dumps(after)))
        return store_failf(s, STORE_E_IO, "request %s: out of memory encoding it", after->id);
    if ((rc = s->ops->tx_begin(s)))
        goto out;
    if (dedup_key) {
        if ((fresh = s->ops->dedup_insert(s, dedup_key, now_ms)) < 0) {
            rc = fresh;
            goto out;
        }
        if (!fresh) {
            rc = STORE_DUPLICATE;
            goto out;
        }
    }
    if ((rc = s->ops->write_request(s, after, data)) ||
        (ev && (rc = s->ops->insert_event(s, after, from, ev, now_ms))) ||
        (fx && fx->len > 0 && (rc = s->ops->insert_effects(s, after->id, fx, now_ms))))
        goto out;
    rc = timed_commit(s, 0);
out:
    if (rc != STORE_OK) {
        s->ops->tx_rollback(s);
        store_forget_decoded(s);        /* it may hold what was just rolled back */
    }
    free(data);
    return rc;
}

/* ---- decoded requests ---- */

static struct decoded_slot *decoded_slot(struct store *s, const char *id)
{
    unsigned h = 2166136261u;               /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &s->decoded[h % DECODED_CACHE_SIZE];
}

void store_forget_decoded(struct store *s)
{
    for (int i = 0; i < DECODED_CACHE_SIZE; i++)
        s->decoded[i].version = 0;
}

int store_decode_request(struct store *s, const char *id, const char *card_ts,
                         const char *data, int64_t version, struct request *out)
{
    /* The document is decoded only when this version of the request was not decoded
     * before: every write makes a new version, here or in another process, so a
     * cached one is the stored one. */
    struct decoded_slot *slot = decoded_slot(s, id);
    struct request rq;
    const char *bad = "";
    if (slot->version == version && version > 0 && strcmp(slot->rq.id, id) == 0) {
        memcpy(out, &slot->rq, sizeof(*out));
        return STORE_OK;
    }
    if (request_json_loads(data, &rq, &bad) != 0)
        return store_failf(s, STORE_E_IO, "request %s: stored data is corrupt (%s)", id, bad);
    request_copy_str(rq.id, sizeof(rq.id), id);
    if (*card_ts)
        request_copy_str(rq.card_ts, sizeof(rq.card_ts), card_ts);
    rq.version = version;
    memcpy(out, &rq, sizeof(rq));
    memcpy(&slot->rq, &rq, sizeof(rq));
    slot->version = version;
    return STORE_OK;
}

const char *const store_lookup_what[] = {
    [STORE_BY_ID] = "load request", [STORE_BY_CARD] = "find by card",
    [STORE_BY_MESSAGE] = "find by message", [STORE_BY_REF] = "find by reference",
};

int store_load_request(struct store *s, const char *id, struct request *out)
{
    if (!s || !id || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->load_request(s, STORE_BY_ID, id, out);
}

int store_find_by_card(struct store *s, const char *card_ts, struct request *out)
{
    if (!s || !card_ts || !card_ts[0] || !out)     /* "" would match every card-less draft */
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->load_request(s, STORE_BY_CARD, card_ts, out);
}

int store_find_by_message(struct store *s, const char *ts, struct request *out)
{
    int rc = store_find_by_card(s, ts, out);
    if (rc != STORE_E_NOT_FOUND)
        return rc;
    return s->ops->load_request(s, STORE_BY_MESSAGE, ts, out);
}

int store_note_message(struct store *s, const char *ts, const char *request_id, int64_t now_ms)
{
    if (!s || !ts || !ts[0] || !request_id)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->note_message(s, ts, request_id, now_ms);
}

int store_find_by_provider_ref(struct store *s, const char *ref, struct request *out)
{
    if (!s || !ref || !ref[0] || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->load_request(s, STORE_BY_REF, ref, out);
}

/* One attempt: the card id written over the version just read. */
static int set_card_once(struct store *s, const char *request_id, const char *card_ts)
{
    struct request rq;
    char *data = NULL;
    int rc;
    if ((rc = s->ops->tx_begin(s)) ||
        (rc = s->ops->load_request(s, STORE_BY_ID, request_id, &rq)))
        goto out;
    request_copy_str(rq.card_ts, sizeof(rq.card_ts), card_ts);
    if (!(data = request_json_dumps(&rq))) {
        rc = store_failf(s, STORE_E_IO, "request %s: out of memory encoding it", request_id);
        goto out;
    }
    if ((rc = s->ops->update_card(s, request_id, card_ts, data, rq.version)))
        goto out;
    rc = timed_commit(s, 0);
out:
    if (rc != STORE_OK) {
        s->ops->tx_rollback(s);
        store_forget_decoded(s);
    }
    free(data);
    return rc;
}

int store_set_card_ts(struct store *s, const char *request_id, const char *card_ts)
{
    /* The document is rewritten too, so that whoever reads data alone (the export,
     * a person with sqlite3 or psql) sees the card. Another process may move the
     * request between the read and the write (PostgreSQL's read committed; an
     * approval landing as the card is posted): then read it again and write over
     * that, never over it. */
    int rc = STORE_E_CONFLICT;
    if (!s || !request_id || !card_ts)
        return STORE_E_INVALID;
    for (int round = 0; rc == STORE_E_CONFLICT && round < 16; round++) {
        s->err[0] = '\0';
        rc = set_card_once(s, request_id, card_ts);
    }
    return rc;
}

/* ---- lists and history ---- */

/* The states a filter lists (none: every state). They come from request_is_terminal,
 * so a new state is listed right without touching this file. */
static int list_states(enum store_list_filter filter, const char *states[REQUEST_STATE_COUNT])
{
    int n = 0;
    switch (filter) {
    case STORE_LIST_ALL:
    case STORE_LIST_MINE:
        break;
    case STORE_LIST_OPEN:
    case STORE_LIST_MINE_OPEN:
        for (int i = 0; i < REQUEST_STATE_COUNT; i++)
            if (!request_is_terminal((enum request_state)i))
                states[n++] = request_state_name((enum request_state)i);
        break;
    case STORE_LIST_PENDING:
        states[n++] = request_state_name(REQUEST_DRAFT);
        states[n++] = request_state_name(REQUEST_AWAITING_APPROVAL);
        break;
    }
    return n;
}

static void add_param(struct store_list_query *q, const char *text, long long num)
{
    assert(q->n < STORE_LIST_PARAMS_MAX);
    q->text[q->n] = text;
    q->num[q->n] = num;
    q->n++;
}

/* "?" for SQLite, "$n" for PostgreSQL: one placeholder more, appended. */
static int placeholder(char *out, size_t cap, int numbered, int n)
{
    return numbered ? snprintf(out, cap, "$%d", n) : snprintf(out, cap, "?");
}

/* SQL for a list, newest first. With a limit and a set of states it is one small
 * index range per state, each cut at the limit, merged: the list costs the same with
 * 100 or 100,000 requests, where "state IN (...) ORDER BY" would sort every match. */
static void list_query(struct store_list_query *q, const char *const *states, int n_states,
                       const char *user, int limit, int numbered)
{
    static const char order[] = " ORDER BY created_ms DESC, id DESC";
    static const char columns[] = "SELECT id, card_ts, data, version, created_ms FROM requests";
    char ph[3][16];
    size_t cap = sizeof(q->sql);
    int len = 0;
    q->n = 0;
    if (n_states && limit > 0) {
        for (int i = 0; i < n_states; i++) {
            placeholder(ph[0], sizeof(ph[0]), numbered, q->n + 1);
            add_param(q, states[i], 0);
            if (user) {
                placeholder(ph[1], sizeof(ph[1]), numbered, q->n + 1);
                add_param(q, user, 0);
            }
            placeholder(ph[2], sizeof(ph[2]), numbered, q->n + 1);
            add_param(q, NULL, limit);
            len += snprintf(q->sql + len, cap - len, "%sSELECT * FROM (%s WHERE state = %s%s%s"
                            "%s LIMIT %s) s%d", i ? " UNION ALL " : "", columns, ph[0],
                            user ? " AND requester = " : "", user ? ph[1] : "", order, ph[2], i);
        }
    } else {
        len += snprintf(q->sql + len, cap - len, "%s", columns);
        if (user) {
            placeholder(ph[0], sizeof(ph[0]), numbered, q->n + 1);
            add_param(q, user, 0);
            len += snprintf(q->sql + len, cap - len, " WHERE requester = %s", ph[0]);
        }
        for (int i = 0; i < n_states; i++) {
            placeholder(ph[0], sizeof(ph[0]), numbered, q->n + 1);
            add_param(q, states[i], 0);
            len += snprintf(q->sql + len, cap - len, "%s%s", i ? ", " : user ? " AND state IN ("
                                                                   : " WHERE state IN (", ph[0]);
        }
        len += snprintf(q->sql + len, cap - len, "%s", n_states ? ")" : "");
    }
    len += snprintf(q->sql + len, cap - len, "%s", order);
    if (limit > 0) {
        placeholder(ph[0], sizeof(ph[0]), numbered, q->n + 1);
        add_param(q, NULL, limit);
        len += snprintf(q->sql + len, cap - len, " LIMIT %s", ph[0]);
    }
    assert(len < (int)cap);
}

int store_list_requests(struct store *s, enum store_list_filter filter, const char *user,
                        int limit, int (*cb)(void *ud, const struct request *rq), void *ud)
{
    const char *states[REQUEST_STATE_COUNT];
    struct store_list_query *q;
    int n_states, rc;
    int mine = filter == STORE_LIST_MINE || filter == STORE_LIST_MINE_OPEN;
    if (!s || !cb || limit < 0 || (int)filter < STORE_LIST_ALL || filter > STORE_LIST_MINE_OPEN ||
        (mine && !user))
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if (!(q = calloc(1, sizeof(*q))))
        return store_failf(s, STORE_E_IO, "list requests: out of memory");
    n_states = list_states(filter, states);
    list_query(q, states, n_states, mine ? user : NULL, limit, s->ops->numbered_params);
    rc = s->ops->list_requests(s, q, cb, ud);
    free(q);
    return rc;
}

int store_history(struct store *s, const char *request_id,
                  int (*cb)(void *ud, const struct store_event_row *row), void *ud)
{
    int rc, exists = 0;
    if (!s || !request_id || !cb)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = s->ops->history(s, request_id, cb, ud)) < 0)
        return rc;
    /* No rows: an unknown request, or (never through this store) one without events. */
    if (rc == 0 && (rc = s->ops->request_exists(s, request_id, &exists)) == STORE_OK && !exists)
        rc = STORE_E_NOT_FOUND;
    return rc > 0 ? STORE_OK : rc;
}

/* ---- the outbox ---- */

int store_claim_due_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                            struct stored_effect *out, int *n_out)
{
    /* Into a scratch array, so that *out is written only on success. */
    struct stored_effect *got;
    int rc, n = 0;
    if (!s || !out || !n_out || max < 0 || lease_ms <= 0)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if (max == 0) {
        *n_out = 0;
        return STORE_OK;
    }
    if (!(got = calloc((size_t)max, sizeof(*got))))
        return store_failf(s, STORE_E_IO, "claim effects: out of memory");
    if ((rc = s->ops->claim_effects(s, now_ms, lease_ms, max, got, &n)) == STORE_OK) {
        memcpy(out, got, (size_t)n * sizeof(*got));
        *n_out = n;
    }
    free(got);
    return rc;
}

int store_read_effect(struct store *s, int64_t id, const char *request_id, const char *kind,
                      const char *timer, int64_t due_ms, const char *user, const char *text,
                      int failed_attempts, int item, struct stored_effect *out)
{
    out->id = id;
    request_copy_str(out->request_id, sizeof(out->request_id), request_id);
    if (effect_kind_from_name(kind, &out->fx.kind) != 0 ||
        request_timer_from_name(timer, &out->fx.timer) != 0)
        return store_failf(s, STORE_E_IO, "outbox effect %lld: unknown kind or timer",
                           (long long)id);
    out->fx.due_ms = due_ms;
    request_copy_str(out->fx.user, sizeof(out->fx.user), user);
    request_copy_str(out->fx.text, sizeof(out->fx.text), text);
    out->attempts = failed_attempts + 1;     /* the attempt being made */
    out->fx.item = item;
    return STORE_OK;
}

int store_effect_done(struct store *s, int64_t effect_id, const char *result)
{
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->effect_done(s, effect_id, result);
}

int store_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms, const char *error)
{
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->effect_retry(s, effect_id, next_due_ms, error);
}

int store_renew_leases(struct store *s, int64_t now_ms, int64_t lease_ms)
{
    if (!s || lease_ms <= 0)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->renew_leases(s, now_ms + lease_ms);
}

int store_release_own_leases(struct store *s, int64_t now_ms)
{
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->release_leases(s, s->owner, now_ms);
}

int store_release_leases_of(struct store *s, const char *owner, int64_t now_ms)
{
    if (!s || !owner || !owner[0])
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->release_leases(s, owner, now_ms);
}

int store_lease_owners(struct store *s, int64_t now_ms,
                       int (*cb)(void *ud, const char *owner), void *ud)
{
    if (!s || !cb)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->lease_owners(s, now_ms, cb, ud);
}

int store_next_due(struct store *s, int64_t *due_ms)
{
    return store_next_due_after(s, INT64_MIN, due_ms);
}

int store_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms)
{
    if (!s || !due_ms)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->next_due_after(s, after_ms, due_ms);
}

int store_count_requests(struct store *s, store_count_cb cb, void *ud)
{
    if (!s || !cb)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->count_requests(s, cb, ud);
}

int store_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms)
{
    if (!s || !pending || !oldest_due_ms)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->outbox_stats(s, now_ms, pending, oldest_due_ms);
}

int store_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n)
{
    if (!s || !request_id || !n)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->count_pending(s, request_id, kind, n);
}

/* ---- small things ---- */

int store_seen_once(struct store *s, const char *key, int64_t now_ms)
{
    if (!s || !key)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->dedup_insert(s, key, now_ms);
}

int store_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out)
{
    int rc, n = 0;
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = s->ops->prune(s, dedup_before_ms, done_before_ms, &n)) == STORE_OK && n_out)
        *n_out = n;
    return rc;
}

int store_intent_add(struct store *s, const struct store_intent *in, int64_t now_ms,
                     int64_t lease_ms, int64_t *id_out)
{
    if (!s || !in || !id_out || lease_ms <= 0)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->intent_add(s, in, now_ms + lease_ms, now_ms, id_out);
}

int store_intent_done(struct store *s, int64_t id)
{
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->intent_done(s, id);
}

int store_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                        struct store_intent *out, int *n_out)
{
    struct store_intent *got;
    int rc, n = 0;
    if (!s || !out || !n_out || max <= 0 || lease_ms <= 0)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if (!(got = calloc((size_t)max, sizeof(*got))))
        return store_failf(s, STORE_E_IO, "claim intents: out of memory");
    if ((rc = s->ops->claim_intents(s, now_ms, lease_ms, max, got, &n)) == STORE_OK) {
        memcpy(out, got, (size_t)n * sizeof(*got));
        *n_out = n;
    }
    free(got);
    return rc;
}

int store_get_setting(struct store *s, const char *name, char *out, size_t outlen)
{
    if (!s || !name || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->get_setting(s, name, out, outlen);
}

int store_copy_value(struct store *s, const char *name, const char *value, char *out,
                     size_t outlen)
{
    size_t len = strlen(value);
    if (len >= outlen)                   /* a cut value (a clock, say) would be wrong */
        return store_failf(s, STORE_E_INVALID, "setting %s: %zu bytes do not fit in %zu",
                           name, len, outlen);
    memcpy(out, value, len + 1);
    return STORE_OK;
}

int store_set_setting(struct store *s, const char *name, const char *value)
{
    if (!s || !name || !value)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return s->ops->set_setting(s, name, value);
}

void store_event_row_set(struct store_event_row *row, int64_t seq, const char *request_id,
                         const char *const cols[7])
{
    memset(row, 0, sizeof(*row));
    row->seq = seq;
    request_copy_str(row->request_id, sizeof(row->request_id), request_id);
    row->at_ms = strtoll(cols[0], NULL, 10);
    request_copy_str(row->actor, sizeof(row->actor), cols[1]);
    request_copy_str(row->event, sizeof(row->event), cols[2]);
    request_copy_str(row->via, sizeof(row->via), cols[3]);
    request_copy_str(row->from_state, sizeof(row->from_state), cols[4]);
    request_copy_str(row->to_state, sizeof(row->to_state), cols[5]);
    request_copy_str(row->text, sizeof(row->text), cols[6]);
}
