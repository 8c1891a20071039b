/* store/sqlite.c -- the SQLite backend of store.h: one connection, one file.
 *
 * DESIGN
 * - WAL, so readers (an export, `sqlite3 cancelbot.db`) never block the loop's writes;
 *   synchronous=FULL, because the runtime acks Slack once a commit returns, and an
 *   acked envelope that a power cut rolls back would be lost for good.
 * - busy_timeout 5 s: a second process holding the write lock makes us wait, not fail.
 * - Every write of more than one statement runs in BEGIN IMMEDIATE, which takes the
 *   write lock up front: a deferred transaction that reads and then writes can fail
 *   with SQLITE_BUSY half-way, whatever the busy timeout.
 * - Statements are prepared once and kept in a small cache (sqlite_int.h); each user
 *   hands its statement back (sqlite_release), which resets it, on every path.
 * - Each request row has a version; a transition is written only against the version
 *   it was computed from, checked under the write lock (store_commit_transition).
 * - Group commit: store_batch_begin/commit put the writes of one loop turn in one
 *   transaction; inside, every multi-statement write is a savepoint.
 * - Schema: the list in migrations.c (shared with PostgreSQL), applied in one
 *   transaction at open (store_migrate); the number applied is schema_version. A
 *   database from a newer cancelbot is refused rather than half-understood.
 * - The request itself is one JSON document (request_json.c) in requests.data; the
 *   other requests columns are copies for WHERE and ORDER BY. card_ts is the one
 *   column that is also written on its own (store_set_card_ts), so where both exist
 *   the column wins (see store_decode_request).
 * - SQL is kept to what PostgreSQL accepts too (INSERT ... ON CONFLICT, RETURNING,
 *   CASE); the exceptions are marked "PG:" with their PostgreSQL spelling.
 * - Error texts name the operation, the request or effect id and SQLite's message,
 *   never a value from a request body. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/sqlite_int.h"
#include "store/request_json.h"

/* ---- errors and statement plumbing ---- */

void sqlite_reason(sqlite3 *db, char *out, size_t cap)
{
    int code, sys;
    if (!db) {
        snprintf(out, cap, "out of memory");
        return;
    }
    code = sqlite3_extended_errcode(db);
    sys = sqlite3_system_errno(db);
    /* The system's reason only where SQLite failed at a file operation: otherwise the
     * errno it kept is an old one's. */
    switch (code & 0xff) {
    case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_READONLY:
    case SQLITE_PERM: case SQLITE_NOLFS:
        if (sys) {
            snprintf(out, cap, "%s (SQLite code %d: %s)", sqlite3_errmsg(db), code,
                     strerror(sys));
            return;
        }
        break;
    default:
        break;
    }
    snprintf(out, cap, "%s (SQLite code %d)", sqlite3_errmsg(db), code);
}

int sqlite_fail(struct store *s, const char *what)
{
    char why[200];
    sqlite_reason(SQ(s)->db, why, sizeof(why));
    return store_failf(s, STORE_E_IO, "%s: %s", what, why);
}

static unsigned sql_hash(const char *sql)
{
    unsigned h = 2166136261u;               /* FNV-1a */
    for (; *sql; sql++)
        h = (h ^ (unsigned char)*sql) * 16777619u;
    return h;
}

int sqlite_prepare(struct store *s, const char *sql, sqlite3_stmt **st, const char *what)
{
    unsigned h = sql_hash(sql);
    struct stmt_slot *slot;
    for (int i = 0; i < SQ(s)->n_cache; i++) {
        slot = &SQ(s)->cache[i];
        /* A statement still stepping (a caller's callback re-entering the store with
         * the same query) cannot be lent twice: that caller gets its own. */
        if (slot->hash == h && strcmp(slot->sql, sql) == 0 && !sqlite3_stmt_busy(slot->st)) {
            *st = slot->st;
            return STORE_OK;
        }
    }
    if (sqlite3_prepare_v3(SQ(s)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sqlite_fail(s, what);
    if (SQ(s)->n_cache < STMT_CACHE_MAX) {
        for (int i = 0; i < SQ(s)->n_cache; i++)
            if (SQ(s)->cache[i].hash == h && strcmp(SQ(s)->cache[i].sql, sql) == 0)
                return STORE_OK;            /* the busy twin stays the cached one */
        slot = &SQ(s)->cache[SQ(s)->n_cache];
        if (!(slot->sql = strdup(sql)))
            return STORE_OK;                /* uncached: finalized on release */
        slot->hash = h;
        slot->st = *st;
        SQ(s)->n_cache++;
    }
    return STORE_OK;
}

void sqlite_release(struct store *s, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < SQ(s)->n_cache; i++) {
        if (SQ(s)->cache[i].st == st) {
            /* Reset now: a statement left mid-step would hold its read snapshot (and
             * keep the WAL from being checkpointed). */
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    }
    sqlite3_finalize(st);
}

int sqlite_exec(struct store *s, const char *sql, const char *what)
{
    if (sqlite3_exec(SQ(s)->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(s, what);
    return STORE_OK;
}

int sqlite_run(struct store *s, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite_fail(s, what);
    return STORE_OK;
}

int sqlite_begin(struct store *s)
{
    if (s->batch_depth > 0) {
        if (s->batch_failed || sqlite3_get_autocommit(SQ(s)->db))
            return store_failf(s, STORE_E_IO, "begin: the batch's transaction was rolled "
                                "back by an earlier error");
        return sqlite_exec(s, "SAVEPOINT tx", "savepoint");
    }
    return sqlite_exec(s, "BEGIN IMMEDIATE", "begin");   /* PG: BEGIN */
}

int sqlite_commit(struct store *s)
{
    if (s->batch_depth > 0)
        return sqlite_exec(s, "RELEASE tx", "release savepoint");
    return sqlite_exec(s, "COMMIT", "commit");
}

/* Some errors (SQLITE_FULL, SQLITE_IOERR) roll the whole transaction back by
 * themselves, hence the autocommit checks; inside a batch that loses the batch. */
void sqlite_rollback(struct store *s)
{
    store_forget_decoded(s);            /* it may hold versions that were undone */
    if (s->batch_depth > 0) {
        if (sqlite3_get_autocommit(SQ(s)->db))
            s->batch_failed = 1;
        else
            sqlite3_exec(SQ(s)->db, "ROLLBACK TO tx; RELEASE tx", NULL, NULL, NULL);
        return;
    }
    if (!sqlite3_get_autocommit(SQ(s)->db))
        sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Back to FULL, whose next commit's fsync of the WAL also covers the lazy frames. */
static void sqlite_end_lazy(struct store *s)
{
    if (SQ(s)->batch_lazy) {
        SQ(s)->batch_lazy = 0;
        sqlite3_exec(SQ(s)->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    }
}

/* Lazy: synchronous=NORMAL until the commit (WAL: the commit is not fsynced). */
static int sqlite_batch_open(struct store *s, int lazy)
{
    int rc;
    if (lazy) {
        if ((rc = sqlite_exec(s, "PRAGMA synchronous = NORMAL", "lazy batch")))
            return rc;
        SQ(s)->batch_lazy = 1;
    }
    if ((rc = sqlite_exec(s, "BEGIN IMMEDIATE", "begin batch")))
        sqlite_end_lazy(s);
    return rc;
}

static int sqlite_batch_close(struct store *s, int commit)
{
    int rc = STORE_OK;
    if (commit && (rc = sqlite_exec(s, "COMMIT", "commit batch")) == STORE_OK) {
        sqlite_end_lazy(s);
        return STORE_OK;
    }
    if (!sqlite3_get_autocommit(SQ(s)->db))
        sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite_end_lazy(s);
    return rc;
}

static int sqlite_batch_lost(struct store *s)
{
    return sqlite3_get_autocommit(SQ(s)->db);
}

/* NULL binds SQL NULL. TRANSIENT: SQLite copies, so no caller buffer must outlive
 * the statement. */
int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* ---- open, migrate, close ---- */

static int sqlite_set_wal(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "PRAGMA journal_mode = WAL", &st, "journal_mode")))
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "journal_mode");
        goto out;
    }
    /* "memory": an in-memory database (":memory:") has no journal file to put in WAL. */
    if (strcmp(col_text(st, 0), "wal") != 0 && strcmp(col_text(st, 0), "memory") != 0)
        rc = store_failf(s, STORE_E_IO, "journal_mode: the database refused WAL (got %s)",
                          col_text(st, 0));
out:
    sqlite_release(s, st);
    return rc;
}

/* Inside BEGIN IMMEDIATE: the write lock keeps every other process out already. */
static int sqlite_migrate_lock(struct store *s)
{
    (void)s;
    return STORE_OK;
}

static int sqlite_schema_version(struct store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_exec(s, "CREATE TABLE IF NOT EXISTS schema_version"
                             " (version INTEGER NOT NULL)", "schema_version")) ||
        (rc = sqlite_prepare(s, "SELECT MAX(version) FROM schema_version", &st,
                             "schema_version")))
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "schema_version");
        goto out;
    }
    *version = sqlite3_column_int(st, 0);                   /* NULL (fresh file): 0 */
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_migrate_step(struct store *s, const struct store_migration *m, int version)
{
    sqlite3_stmt *st = NULL;
    char what[48];
    int rc;
    snprintf(what, sizeof(what), "migration %d", version);
    if ((rc = sqlite_exec(s, m->sql, what)) ||
        (rc = sqlite_prepare(s, "INSERT INTO schema_version (version) VALUES (?)", &st, what)))
        goto out;
    if (sqlite3_bind_int(st, 1, version)) {
        rc = sqlite_fail(s, what);
        goto out;
    }
    rc = sqlite_run(s, st, what);
out:
    sqlite_release(s, st);
    return rc;
}

static void sqlite_close(struct store *s)
{
    int rc;
    for (int i = 0; i < SQ(s)->n_cache; i++) {
        sqlite3_finalize(SQ(s)->cache[i].st);
        free(SQ(s)->cache[i].sql);
    }
    if (s->batch_depth > 0 && SQ(s)->db && !sqlite3_get_autocommit(SQ(s)->db))
        sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    rc = sqlite3_close(SQ(s)->db);      /* SQLITE_BUSY: a statement was not finalized */
    assert(rc == SQLITE_OK);
    (void)rc;
    free(s);
}

static const struct store_ops sqlite_ops;

static int open_store(const char *path, int create, struct store **out, char *err,
                      size_t errlen)
{
    struct sqlite_store *q = NULL;
    struct store *s = NULL;
    char why[200];
    int rc;
    if (err && errlen)
        err[0] = '\0';
    if (!path || !out)
        return STORE_E_INVALID;
    if (!(q = calloc(1, sizeof(*q)))) {
        if (err)
            snprintf(err, errlen, "out of memory");
        return STORE_E_IO;
    }
    s = &q->base;
    store_init(s, &sqlite_ops);
    /* open_v2 hands back a handle even when it fails; store_close frees it. */
    if ((rc = sqlite3_open_v2(path, &q->db,
                              SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0),
                              NULL))) {
        rc = !create && rc == SQLITE_CANTOPEN && access(path, F_OK) != 0 && errno == ENOENT
             ? STORE_E_NOT_FOUND : STORE_E_IO;
        sqlite_reason(q->db, why, sizeof(why));
        store_failf(s, rc, "cannot open: %s", rc == STORE_E_NOT_FOUND ? "no such file" : why);
        goto out;
    }
    sqlite3_busy_timeout(q->db, 5000);
    if ((rc = sqlite_set_wal(s)) ||
        (rc = sqlite_exec(s, "PRAGMA synchronous = FULL", "synchronous")) ||
        (rc = sqlite_exec(s, "PRAGMA foreign_keys = ON", "foreign_keys")) ||
        (rc = store_migrate(s)))
        goto out;
    *out = s;
    s = NULL;
out:
    if (s && err)
        snprintf(err, errlen, "%s", store_last_error(s));
    store_close(s);
    return rc;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
    return open_store(path, 1, out, err, errlen);
}

int store_open_existing(const char *path, struct store **out, char *err, size_t errlen)
{
    return open_store(path, 0, out, err, errlen);
}

/* ---- requests ---- */

/* One statement, so its own transaction: the increment and the read cannot be split
 * by another process taking the same number. */
static int sqlite_next_counter(struct store *s, const char *prefix, long long *n)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "INSERT INTO counters (name, value) VALUES (?, 1)"
                                " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
                                " RETURNING value", &st, "next request id")))
        goto out;
    if (bind_text(st, 1, prefix) || sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "next request id");
        goto out;
    }
    *n = sqlite3_column_int64(st, 0);
    rc = sqlite_run(s, st, "next request id");     /* finishing the step commits */
out:
    sqlite_release(s, st);
    return rc;
}

/* 1 when key is new (now recorded), 0 when seen, <0 on error. Inside or outside a
 * transaction: ON CONFLICT DO NOTHING makes a repeat a no-op, not a failure. */
static int sqlite_dedup_insert(struct store *s, const char *key, int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "INSERT INTO dedup (key, at_ms) VALUES (?, ?)"
                                " ON CONFLICT (key) DO NOTHING", &st, "dedup")))
        goto out;
    if (bind_text(st, 1, key) || sqlite3_bind_int64(st, 2, now_ms)) {
        rc = sqlite_fail(s, "dedup");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "dedup")))
        goto out;
    rc = sqlite3_changes(SQ(s)->db) == 1;
out:
    sqlite_release(s, st);
    return rc;
}

/* Writes rq at version rq->version + 1, if the stored row is still at rq->version
 * (0: the row must not exist yet); otherwise STORE_E_CONFLICT. Called under the write
 * lock, so the check and the write are one step for every other process. */
static int sqlite_write_request(struct store *s, const struct request *rq, const char *data)
{
    static const char insert_sql[] =
        "INSERT INTO requests (id, kind, state, market, requester, channel, card_ts,"
        " created_ms, updated_ms, data, provider_ref, version, chat)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, 1, ?11)"
        " ON CONFLICT (id) DO NOTHING";
    /* An empty card_ts never overwrites a stored one: the card was posted by an
     * effect after `rq` was loaded, and losing its ts would post a second card. */
    static const char update_sql[] =
        "UPDATE requests SET kind = ?2, state = ?3, market = ?4, requester = ?5,"
        " channel = ?6, card_ts = CASE WHEN ?7 = '' THEN card_ts ELSE ?7 END,"
        " created_ms = ?8, updated_ms = ?9, data = ?10, provider_ref = ?12,"
        " version = version + 1 WHERE id = ?1 AND version = ?11";
    sqlite3_stmt *st = NULL;
    char what[48];
    int rc;
    snprintf(what, sizeof(what), "save request %s", rq->id);
    if ((rc = sqlite_prepare(s, rq->version ? update_sql : insert_sql, &st, what)))
        goto out;
    if (bind_text(st, 1, rq->id) || bind_text(st, 2, request_kind_name(rq->kind)) ||
        bind_text(st, 3, request_state_name(rq->state)) ||
        bind_text(st, 4, request_market_name(rq->market)) || bind_text(st, 5, rq->requester) ||
        bind_text(st, 6, rq->channel) || bind_text(st, 7, rq->card_ts) ||
        sqlite3_bind_int64(st, 8, rq->created_ms) || sqlite3_bind_int64(st, 9, rq->updated_ms) ||
        bind_text(st, 10, data) ||
        (rq->version ? sqlite3_bind_int64(st, 11, rq->version) : bind_text(st, 11, s->chat)) ||
        bind_text(st, 12, rq->provider_ref)) {
        rc = sqlite_fail(s, what);
        goto out;
    }
    if ((rc = sqlite_run(s, st, what)))
        goto out;
    if (sqlite3_changes(SQ(s)->db) != 1)
        rc = store_failf(s, STORE_E_CONFLICT, "request %s changed since it was read "
                          "(version %lld)", rq->id, (long long)rq->version);
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_insert_event(struct store *s, const struct request *after,
                               enum request_state from, const struct request_event *ev,
                               int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "INSERT INTO events (request_id, at_ms, actor, event, via,"
                                " from_state, to_state, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             &st, "save event")))
        goto out;
    if (bind_text(st, 1, after->id) || sqlite3_bind_int64(st, 2, now_ms) ||
        bind_text(st, 3, ev->actor) || bind_text(st, 4, request_event_kind_name(ev->kind)) ||
        bind_text(st, 5, ev->via) || bind_text(st, 6, request_state_name(from)) ||
        bind_text(st, 7, request_state_name(after->state)) || bind_text(st, 8, ev->text)) {
        rc = sqlite_fail(s, "save event");
        goto out;
    }
    rc = sqlite_run(s, st, "save event");
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_insert_effects(struct store *s, const char *request_id,
                                 const struct effect_list *fx, int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc = STORE_OK;
    if (!fx || fx->len == 0)
        return STORE_OK;
    if ((rc = sqlite_prepare(s, "INSERT INTO outbox (request_id, kind, timer, due_ms, user_id,"
                                " text, status, attempts, created_ms, item)"
                                " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)", &st,
                                "save effect")))
        goto out;
    for (int i = 0; i < fx->len; i++) {
        const struct effect *e = &fx->items[i];
        sqlite3_reset(st);
        if (bind_text(st, 1, request_id) || bind_text(st, 2, effect_kind_name(e->kind)) ||
            bind_text(st, 3, request_timer_name(e->timer)) ||
            sqlite3_bind_int64(st, 4, e->due_ms ? e->due_ms : now_ms) ||
            bind_text(st, 5, e->user) || bind_text(st, 6, e->text) ||
            sqlite3_bind_int64(st, 7, now_ms) || sqlite3_bind_int(st, 8, e->item)) {
            rc = sqlite_fail(s, "save effect");
            goto out;
        }
        if ((rc = sqlite_run(s, st, "save effect")))
            goto out;
    }
out:
    sqlite_release(s, st);
    return rc;
}

/* Columns 0..3 of st are STORE_REQUEST_COLUMNS. */
static int sqlite_read_request(struct store *s, sqlite3_stmt *st, struct request *out)
{
    return store_decode_request(s, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                sqlite3_column_int64(st, 3), out);
}

/* Runs a query of STORE_REQUEST_COLUMNS whose parameter 1 is `key`, reading one row. */
static int sqlite_load_one(struct store *s, const char *sql, const char *key,
                           struct request *out, const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, sql, &st, what)))
        goto out;
    if (bind_text(st, 1, key)) {
        rc = sqlite_fail(s, what);
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = sqlite_read_request(s, st, out);
    else if (step == SQLITE_DONE)
        rc = STORE_E_NOT_FOUND;
    else
        rc = sqlite_fail(s, what);
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_load_request(struct store *s, enum store_lookup by, const char *key,
                               struct request *out)
{
    static const char *const sql[] = STORE_LOOKUP_SQL("?");
    return sqlite_load_one(s, sql[by], key, out, store_lookup_what[by]);
}

static int sqlite_note_message(struct store *s, const char *ts, const char *request_id,
                               int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s || !ts || !ts[0] || !request_id)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "INSERT INTO messages (ts, request_id, created_ms)"
                                " VALUES (?, ?, ?) ON CONFLICT (ts) DO NOTHING", &st,
                             "note message")))
        goto out;
    if (bind_text(st, 1, ts) || bind_text(st, 2, request_id) ||
        sqlite3_bind_int64(st, 3, now_ms) != SQLITE_OK) {
        rc = sqlite_fail(s, "note message");
        goto out;
    }
    rc = sqlite_run(s, st, "note message");
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_update_card(struct store *s, const char *request_id, const char *card_ts,
                              const char *data, int64_t version)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "UPDATE requests SET card_ts = ?, data = ?,"
                                " version = version + 1 WHERE id = ? AND version = ?", &st,
                             "set card")))
        goto out;
    if (bind_text(st, 1, card_ts) || bind_text(st, 2, data) || bind_text(st, 3, request_id) ||
        sqlite3_bind_int64(st, 4, version) != SQLITE_OK) {
        rc = sqlite_fail(s, "set card");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "set card")) == STORE_OK && sqlite3_changes(SQ(s)->db) == 0)
        rc = store_failf(s, STORE_E_CONFLICT, "set card: request %s moved meanwhile",
                         request_id);
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_list_requests(struct store *s, const struct store_list_query *q,
                                int (*cb)(void *ud, const struct request *rq), void *ud)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, q->sql, &st, "list requests")))
        goto out;
    for (int i = 0; i < q->n; i++)
        if (q->text[i] ? bind_text(st, i + 1, q->text[i])
                       : sqlite3_bind_int64(st, i + 1, q->num[i])) {
            rc = sqlite_fail(s, "list requests");
            goto out;
        }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct request rq;
        if ((rc = sqlite_read_request(s, st, &rq)))
            goto out;
        if (cb(ud, &rq))
            goto out;
    }
    if (step != SQLITE_DONE)
        rc = sqlite_fail(s, "list requests");
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_request_exists(struct store *s, const char *id, int *exists)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, "SELECT 1 FROM requests WHERE id = ?", &st, "find request")))
        goto out;
    if (bind_text(st, 1, id)) {
        rc = sqlite_fail(s, "find request");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE)
        *exists = step == SQLITE_ROW;
    else
        rc = sqlite_fail(s, "find request");
out:
    sqlite_release(s, st);
    return rc;
}

/* The number of rows, or a STORE_E_* code. */
static int sqlite_history(struct store *s, const char *request_id,
                          int (*cb)(void *ud, const struct store_event_row *row), void *ud)
{
    sqlite3_stmt *st = NULL;
    int rc, step, rows = 0;
    if ((rc = sqlite_prepare(s, "SELECT seq, request_id, at_ms, actor, event, via, from_state,"
                                " to_state, text FROM events WHERE request_id = ? ORDER BY seq",
                             &st, "history")))
        goto out;
    if (bind_text(st, 1, request_id)) {
        rc = sqlite_fail(s, "history");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event_row row;
        const char *cols[7];
        for (int i = 0; i < 7; i++)
            cols[i] = col_text(st, i + 2);
        store_event_row_set(&row, sqlite3_column_int64(st, 0), col_text(st, 1), cols);
        rows++;
        if (cb(ud, &row))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sqlite_fail(s, "history");
    else
        rc = rows;
out:
    sqlite_release(s, st);
    return rc;
}

/* ---- small things ---- */

static int sqlite_get_setting(struct store *s, const char *name, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, "SELECT value FROM settings WHERE name = ?", &st, "get setting")))
        goto out;
    if (bind_text(st, 1, name)) {
        rc = sqlite_fail(s, "get setting");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        rc = STORE_E_NOT_FOUND;
    else if (step != SQLITE_ROW)
        rc = sqlite_fail(s, "get setting");
    else
        rc = store_copy_value(s, name, col_text(st, 0), out, outlen);
out:
    sqlite_release(s, st);
    return rc;
}

static int sqlite_set_setting(struct store *s, const char *name, const char *value)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "INSERT INTO settings (name, value) VALUES (?, ?)"
                                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                             &st, "set setting")))
        goto out;
    if (bind_text(st, 1, name) || bind_text(st, 2, value)) {
        rc = sqlite_fail(s, "set setting");
        goto out;
    }
    rc = sqlite_run(s, st, "set setting");
out:
    sqlite_release(s, st);
    return rc;
}

static const struct store_ops sqlite_ops = {
    .numbered_params = 0,
    .close = sqlite_close,
    .batch_open = sqlite_batch_open,
    .batch_close = sqlite_batch_close,
    .batch_lost = sqlite_batch_lost,
    .tx_begin = sqlite_begin,
    .tx_commit = sqlite_commit,
    .tx_rollback = sqlite_rollback,
    .migrate_lock = sqlite_migrate_lock,
    .schema_version = sqlite_schema_version,
    .migrate_step = sqlite_migrate_step,
    .next_counter = sqlite_next_counter,
    .dedup_insert = sqlite_dedup_insert,
    .write_request = sqlite_write_request,
    .insert_event = sqlite_insert_event,
    .insert_effects = sqlite_insert_effects,
    .load_request = sqlite_load_request,
    .update_card = sqlite_update_card,
    .note_message = sqlite_note_message,
    .list_requests = sqlite_list_requests,
    .history = sqlite_history,
    .request_exists = sqlite_request_exists,
    .claim_effects = sqlite_claim_effects,
    .effect_done = sqlite_effect_done,
    .effect_retry = sqlite_effect_retry,
    .renew_leases = sqlite_renew_leases,
    .release_leases = sqlite_release_leases,
    .lease_owners = sqlite_lease_owners,
    .next_due_after = sqlite_next_due_after,
    .count_pending = sqlite_count_pending,
    .count_requests = sqlite_count_requests,
    .outbox_stats = sqlite_outbox_stats,
    .prune = sqlite_prune,
    .intent_add = sqlite_intent_add,
    .intent_done = sqlite_intent_done,
    .claim_intents = sqlite_claim_intents,
    .get_setting = sqlite_get_setting,
    .set_setting = sqlite_set_setting,
};
