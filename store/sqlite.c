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
 * - Statements are prepared per call and finalized on every path. The store runs a
 *   handful of statements per Slack event; a statement cache would be one more owner.
 * - Schema: `migrations` is an ordered list, applied in one transaction at open; the
 *   number applied is schema_version. A database from a newer cancelbot is refused
 *   rather than half-understood.
 * - The request itself is one JSON document (request_json.c) in requests.data; the
 *   other requests columns are copies for WHERE and ORDER BY. card_ts is the one
 *   column that is also written on its own (store_set_card_ts), so where both exist
 *   the column wins (see sqlite_read_request).
 * - SQL is kept to what PostgreSQL accepts too (INSERT ... ON CONFLICT, RETURNING,
 *   CASE); the exceptions are marked "PG:" with their PostgreSQL spelling.
 * - Error texts name the operation, the request or effect id and SQLite's message,
 *   never a value from a request body. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store/store.h"
#include "store/request_json.h"

struct store {
    sqlite3 *db;
    char err[256];
};

/* Append only: a released step never changes, or databases already past it would
 * differ from new ones. Step i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 1: the initial schema.
     * INTEGER PRIMARY KEY is SQLite's rowid: assigned in insert order, and never
     * reused since events and outbox rows are never deleted.
     * PG: BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY. */
    "CREATE TABLE requests ("
    " id TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " market TEXT NOT NULL,"
    " requester TEXT NOT NULL,"
    " channel TEXT NOT NULL,"
    " card_ts TEXT NOT NULL DEFAULT '',"
    " created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL,"
    " data TEXT NOT NULL);"
    "CREATE INDEX requests_by_created ON requests (created_ms);"
    "CREATE INDEX requests_by_card ON requests (card_ts);"
    "CREATE INDEX requests_by_requester ON requests (requester, created_ms);"
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY,"
    " request_id TEXT NOT NULL REFERENCES requests (id),"
    " at_ms BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " event TEXT NOT NULL,"
    " via TEXT NOT NULL,"
    " from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE INDEX events_by_request ON events (request_id, seq);"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " request_id TEXT NOT NULL REFERENCES requests (id),"
    " kind TEXT NOT NULL,"
    " timer TEXT NOT NULL,"
    " due_ms BIGINT NOT NULL,"
    " user_id TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),"
    " lease_until_ms BIGINT,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " result TEXT,"
    " created_ms BIGINT NOT NULL);"
    "CREATE INDEX outbox_by_due ON outbox (status, due_ms, id);"
    "CREATE INDEX outbox_by_request ON outbox (request_id, status, kind);"
    "CREATE TABLE dedup (key TEXT PRIMARY KEY, at_ms BIGINT NOT NULL);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
    "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2: effects about one entitlement of a request that names several. */
    "ALTER TABLE outbox ADD COLUMN item INTEGER NOT NULL DEFAULT 0;",
};
#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- errors and statement plumbing ---- */

static int sqlite_failf(struct store *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sqlite_failf(struct store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return rc;
}

/* After a failed sqlite3_* call: what we were doing, then SQLite's reason. */
static int sqlite_fail(struct store *s, const char *what)
{
    return sqlite_failf(s, STORE_E_IO, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int sqlite_prepare(struct store *s, const char *sql, sqlite3_stmt **st, const char *what)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return sqlite_fail(s, what);
    return STORE_OK;
}

static int sqlite_exec(struct store *s, const char *sql, const char *what)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(s, what);
    return STORE_OK;
}

/* Steps a statement that returns no rows. */
static int sqlite_run(struct store *s, sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return sqlite_fail(s, what);
    return STORE_OK;
}

static int sqlite_begin(struct store *s)
{
    return sqlite_exec(s, "BEGIN IMMEDIATE", "begin");   /* PG: BEGIN */
}

static int sqlite_commit(struct store *s)
{
    return sqlite_exec(s, "COMMIT", "commit");
}

/* Leaves s->err alone: it already holds the failure that brought us here. Some
 * errors (SQLITE_FULL, SQLITE_IOERR) roll back by themselves, hence the check. */
static void sqlite_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* NULL binds SQL NULL. TRANSIENT: SQLite copies, so no caller buffer must outlive
 * the statement. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
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
        rc = sqlite_failf(s, STORE_E_IO, "journal_mode: the database refused WAL (got %s)",
                          col_text(st, 0));
out:
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_migrate(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int rc, version;
    if ((rc = sqlite_begin(s)))
        return rc;
    if ((rc = sqlite_exec(s, "CREATE TABLE IF NOT EXISTS schema_version"
                             " (version INTEGER NOT NULL)", "schema_version")) ||
        (rc = sqlite_prepare(s, "SELECT MAX(version) FROM schema_version", &st,
                             "schema_version")))
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "schema_version");
        goto out;
    }
    version = sqlite3_column_int(st, 0);                    /* NULL (fresh file): 0 */
    sqlite3_finalize(st);
    st = NULL;
    if (version > MIGRATION_COUNT) {
        rc = sqlite_failf(s, STORE_E_SCHEMA, "database schema version %d is newer than "
                          "this cancelbot's (%d); upgrade cancelbot", version, MIGRATION_COUNT);
        goto out;
    }
    for (; version < MIGRATION_COUNT; version++) {
        char what[48];
        snprintf(what, sizeof(what), "migration %d", version + 1);
        if ((rc = sqlite_exec(s, migrations[version], what)) ||
            (rc = sqlite_prepare(s, "INSERT INTO schema_version (version) VALUES (?)", &st, what)))
            goto out;
        if (sqlite3_bind_int(st, 1, version + 1)) {
            rc = sqlite_fail(s, what);
            goto out;
        }
        if ((rc = sqlite_run(s, st, what)))
            goto out;
        sqlite3_finalize(st);
        st = NULL;
    }
    rc = sqlite_commit(s);
out:
    sqlite3_finalize(st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    return rc;
}

int store_open(const char *path, struct store **out)
{
    struct store *s = NULL;
    int rc;
    if (!path || !out)
        return STORE_E_INVALID;
    if (!(s = calloc(1, sizeof(*s))))
        return STORE_E_IO;
    /* open_v2 hands back a handle even when it fails; store_close frees it. */
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        rc = STORE_E_IO;
        goto out;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if ((rc = sqlite_set_wal(s)) ||
        (rc = sqlite_exec(s, "PRAGMA synchronous = FULL", "synchronous")) ||
        (rc = sqlite_exec(s, "PRAGMA foreign_keys = ON", "foreign_keys")) ||
        (rc = sqlite_migrate(s)))
        goto out;
    *out = s;
    s = NULL;
out:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    int rc;
    if (!s)
        return;
    rc = sqlite3_close(s->db);          /* SQLITE_BUSY: a statement was not finalized */
    assert(rc == SQLITE_OK);
    (void)rc;
    free(s);
}

/* Every failure in this file leaves a sentence; only store_export (export.c, which
 * sees the store through store.h alone) can fail without one, on its output. */
const char *store_last_error(const struct store *s)
{
    if (!s)
        return "no store";
    return s->err[0] ? s->err : "no database error; writing the output may have failed";
}

/* ---- requests ---- */

int store_next_request_id(struct store *s, enum request_kind kind, char out[REQUEST_ID_MAX])
{
    /* One statement, so its own transaction: the increment and the read cannot be
     * split by another process taking the same number. */
    const char *prefix = kind == REQUEST_REFUND ? "RF" : kind == REQUEST_SUSPEND ? "SU" : "CR";
    sqlite3_stmt *st = NULL;
    long long n = 0;
    int rc, n_len;
    if (!s || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "INSERT INTO counters (name, value) VALUES (?, 1)"
                                " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
                                " RETURNING value", &st, "next request id")))
        goto out;
    if (bind_text(st, 1, prefix) || sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "next request id");
        goto out;
    }
    n = sqlite3_column_int64(st, 0);
    if ((rc = sqlite_run(s, st, "next request id")))     /* finishing the step commits */
        goto out;
    n_len = snprintf(NULL, 0, "%s-%lld", prefix, n);
    if (n_len < 0 || n_len >= REQUEST_ID_MAX) {
        rc = sqlite_failf(s, STORE_E_IO, "next request id: %s sequence exhausted", prefix);
        goto out;
    }
    snprintf(out, REQUEST_ID_MAX, "%s-%lld", prefix, n);
out:
    sqlite3_finalize(st);
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
    rc = sqlite3_changes(s->db) == 1;
out:
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_upsert_request(struct store *s, const struct request *rq, const char *data)
{
    /* An empty card_ts never overwrites a stored one: the card was posted by an
     * effect after `rq` was loaded, and losing its ts would post a second card. */
    static const char sql[] =
        "INSERT INTO requests (id, kind, state, market, requester, channel, card_ts,"
        " created_ms, updated_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state,"
        " market = excluded.market, requester = excluded.requester,"
        " channel = excluded.channel,"
        " card_ts = CASE WHEN excluded.card_ts = '' THEN requests.card_ts"
        " ELSE excluded.card_ts END,"
        " created_ms = excluded.created_ms, updated_ms = excluded.updated_ms,"
        " data = excluded.data";
    sqlite3_stmt *st = NULL;
    char what[48];
    int rc;
    snprintf(what, sizeof(what), "save request %s", rq->id);
    if ((rc = sqlite_prepare(s, sql, &st, what)))
        goto out;
    if (bind_text(st, 1, rq->id) || bind_text(st, 2, request_kind_name(rq->kind)) ||
        bind_text(st, 3, request_state_name(rq->state)) ||
        bind_text(st, 4, request_market_name(rq->market)) || bind_text(st, 5, rq->requester) ||
        bind_text(st, 6, rq->channel) || bind_text(st, 7, rq->card_ts) ||
        sqlite3_bind_int64(st, 8, rq->created_ms) || sqlite3_bind_int64(st, 9, rq->updated_ms) ||
        bind_text(st, 10, data)) {
        rc = sqlite_fail(s, what);
        goto out;
    }
    rc = sqlite_run(s, st, what);
out:
    sqlite3_finalize(st);
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
    sqlite3_finalize(st);
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
    sqlite3_finalize(st);
    return rc;
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
        return sqlite_failf(s, STORE_E_IO, "request %s: out of memory encoding it", after->id);
    if ((rc = sqlite_begin(s)))
        goto out;
    if (dedup_key) {
        if ((fresh = sqlite_dedup_insert(s, dedup_key, now_ms)) < 0) {
            rc = fresh;
            goto out;
        }
        if (!fresh) {
            rc = STORE_DUPLICATE;
            goto out;
        }
    }
    if ((rc = sqlite_upsert_request(s, after, data)) ||
        (ev && (rc = sqlite_insert_event(s, after, from, ev, now_ms))) ||
        (rc = sqlite_insert_effects(s, after->id, fx, now_ms)) ||
        (rc = sqlite_commit(s)))
        goto out;
out:
    if (rc != STORE_OK)
        sqlite_rollback(s);
    free(data);
    return rc;
}

/* Columns 0..2 of st are id, card_ts, data. The id and card_ts columns win over the
 * document: the id is the key, and card_ts may have been set after the document
 * was last written (see sqlite_upsert_request). */
#define REQUEST_COLUMNS "id, card_ts, data"

static int sqlite_read_request(struct store *s, sqlite3_stmt *st, struct request *out)
{
    struct request rq;
    const char *id = col_text(st, 0), *bad = "";
    if (request_json_loads(col_text(st, 2), &rq, &bad) != 0)
        return sqlite_failf(s, STORE_E_IO, "request %s: stored data is corrupt (%s)", id, bad);
    request_copy_str(rq.id, sizeof(rq.id), id);
    if (*col_text(st, 1))
        request_copy_str(rq.card_ts, sizeof(rq.card_ts), col_text(st, 1));
    memcpy(out, &rq, sizeof(rq));
    return STORE_OK;
}

/* Runs a query of REQUEST_COLUMNS whose parameter 1 is `key`, reading one row. */
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
    sqlite3_finalize(st);
    return rc;
}

int store_load_request(struct store *s, const char *id, struct request *out)
{
    if (!s || !id || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return sqlite_load_one(s, "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?",
                           id, out, "load request");
}

int store_find_by_card(struct store *s, const char *card_ts, struct request *out)
{
    if (!s || !card_ts || !card_ts[0] || !out)     /* "" would match every card-less draft */
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return sqlite_load_one(s, "SELECT " REQUEST_COLUMNS " FROM requests WHERE card_ts = ?"
                              " ORDER BY created_ms DESC LIMIT 1", card_ts, out, "find by card");
}

int store_set_card_ts(struct store *s, const char *request_id, const char *card_ts)
{
    /* The document is rewritten too, so that whoever reads data alone (the export,
     * a person with sqlite3) sees the card. */
    sqlite3_stmt *st = NULL;
    struct request rq;
    char *data = NULL;
    int rc;
    if (!s || !request_id || !card_ts)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_begin(s)) ||
        (rc = sqlite_load_one(s, "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?",
                              request_id, &rq, "set card")))
        goto out;
    request_copy_str(rq.card_ts, sizeof(rq.card_ts), card_ts);
    if (!(data = request_json_dumps(&rq))) {
        rc = sqlite_failf(s, STORE_E_IO, "request %s: out of memory encoding it", request_id);
        goto out;
    }
    if ((rc = sqlite_prepare(s, "UPDATE requests SET card_ts = ?, data = ? WHERE id = ?",
                             &st, "set card")))
        goto out;
    if (bind_text(st, 1, card_ts) || bind_text(st, 2, data) || bind_text(st, 3, request_id)) {
        rc = sqlite_fail(s, "set card");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "set card")))
        goto out;
    rc = sqlite_commit(s);
out:
    sqlite3_finalize(st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    free(data);
    return rc;
}

int store_list_requests(struct store *s, enum store_list_filter filter, const char *user,
                        int limit, int (*cb)(void *ud, const struct request *rq), void *ud)
{
    /* The state sets come from request_is_terminal, so a new state is listed right
     * without touching this file. */
    const char *states[REQUEST_STATE_COUNT];
    char sql[512];
    sqlite3_stmt *st = NULL;
    int n_states = 0, rc, step, len, param = 1;
    if (!s || !cb || limit < 0 || (int)filter < STORE_LIST_ALL || filter > STORE_LIST_MINE ||
        (filter == STORE_LIST_MINE && !user))
        return STORE_E_INVALID;
    s->err[0] = '\0';
    switch (filter) {
    case STORE_LIST_ALL:
    case STORE_LIST_MINE:
        break;
    case STORE_LIST_OPEN:
        for (int i = 0; i < REQUEST_STATE_COUNT; i++)
            if (!request_is_terminal((enum request_state)i))
                states[n_states++] = request_state_name((enum request_state)i);
        break;
    case STORE_LIST_PENDING:
        states[n_states++] = request_state_name(REQUEST_DRAFT);
        states[n_states++] = request_state_name(REQUEST_AWAITING_APPROVAL);
        break;
    }
    len = snprintf(sql, sizeof(sql), "SELECT " REQUEST_COLUMNS " FROM requests");
    if (filter == STORE_LIST_MINE)
        len += snprintf(sql + len, sizeof(sql) - len, " WHERE requester = ?");
    for (int i = 0; i < n_states; i++)
        len += snprintf(sql + len, sizeof(sql) - len, i ? ", ?" : " WHERE state IN (?");
    len += snprintf(sql + len, sizeof(sql) - len, "%s ORDER BY created_ms DESC, id DESC%s",
                    n_states ? ")" : "", limit > 0 ? " LIMIT ?" : "");
    assert(len < (int)sizeof(sql));
    if ((rc = sqlite_prepare(s, sql, &st, "list requests")))
        goto out;
    if (filter == STORE_LIST_MINE && bind_text(st, param++, user))
        goto bind_failed;
    for (int i = 0; i < n_states; i++)
        if (bind_text(st, param++, states[i]))
            goto bind_failed;
    if (limit > 0 && sqlite3_bind_int(st, param++, limit))
        goto bind_failed;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct request rq;
        if ((rc = sqlite_read_request(s, st, &rq)))
            goto out;
        if (cb(ud, &rq))
            goto out;
    }
    if (step != SQLITE_DONE)
        rc = sqlite_fail(s, "list requests");
    goto out;
bind_failed:
    rc = sqlite_fail(s, "list requests");
out:
    sqlite3_finalize(st);
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
    sqlite3_finalize(st);
    return rc;
}

int store_history(struct store *s, const char *request_id,
                  int (*cb)(void *ud, const struct store_event_row *row), void *ud)
{
    sqlite3_stmt *st = NULL;
    int rc, step, rows = 0, exists = 0;
    if (!s || !request_id || !cb)
        return STORE_E_INVALID;
    s->err[0] = '\0';
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
        memset(&row, 0, sizeof(row));
        row.seq = sqlite3_column_int64(st, 0);
        request_copy_str(row.request_id, sizeof(row.request_id), col_text(st, 1));
        row.at_ms = sqlite3_column_int64(st, 2);
        request_copy_str(row.actor, sizeof(row.actor), col_text(st, 3));
        request_copy_str(row.event, sizeof(row.event), col_text(st, 4));
        request_copy_str(row.via, sizeof(row.via), col_text(st, 5));
        request_copy_str(row.from_state, sizeof(row.from_state), col_text(st, 6));
        request_copy_str(row.to_state, sizeof(row.to_state), col_text(st, 7));
        request_copy_str(row.text, sizeof(row.text), col_text(st, 8));
        rows++;
        if (cb(ud, &row))
            goto out;
    }
    if (step != SQLITE_DONE) {
        rc = sqlite_fail(s, "history");
        goto out;
    }
    /* No rows: an unknown request, or (never through this store) one without events. */
    if (rows == 0 && (rc = sqlite_request_exists(s, request_id, &exists)) == STORE_OK && !exists)
        rc = STORE_E_NOT_FOUND;
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- the outbox ---- */

int store_claim_due_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                            struct stored_effect *out, int *n_out)
{
    /* Rows are read, then leased, in one IMMEDIATE transaction: a second process
     * waits for the write lock and then sees the leases. Read into a scratch array so
     * that *out is written only on success.
     * PG: SELECT ... FOR UPDATE SKIP LOCKED, so replicas claim side by side. */
    struct stored_effect *got = NULL;
    sqlite3_stmt *st = NULL;
    int rc, step = SQLITE_DONE, n = 0;
    if (!s || !out || !n_out || max < 0 || lease_ms <= 0)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if (max == 0) {
        *n_out = 0;
        return STORE_OK;
    }
    if (!(got = calloc((size_t)max, sizeof(*got))))
        return sqlite_failf(s, STORE_E_IO, "claim effects: out of memory");
    if ((rc = sqlite_begin(s)) ||
        (rc = sqlite_prepare(s, "SELECT id, request_id, kind, timer, due_ms, user_id, text,"
                                " attempts, item FROM outbox WHERE status = 'pending' AND due_ms <= ?"
                                " AND (lease_until_ms IS NULL OR lease_until_ms <= ?)"
                                " ORDER BY due_ms, id LIMIT ?", &st, "claim effects")))
        goto out;
    if (sqlite3_bind_int64(st, 1, now_ms) || sqlite3_bind_int64(st, 2, now_ms) ||
        sqlite3_bind_int(st, 3, max)) {
        rc = sqlite_fail(s, "claim effects");
        goto out;
    }
    while (n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct stored_effect *e = &got[n];
        e->id = sqlite3_column_int64(st, 0);
        request_copy_str(e->request_id, sizeof(e->request_id), col_text(st, 1));
        if (effect_kind_from_name(col_text(st, 2), &e->fx.kind) != 0 ||
            request_timer_from_name(col_text(st, 3), &e->fx.timer) != 0) {
            rc = sqlite_failf(s, STORE_E_IO, "outbox effect %lld: unknown kind or timer",
                              (long long)e->id);
            goto out;
        }
        e->fx.due_ms = sqlite3_column_int64(st, 4);
        request_copy_str(e->fx.user, sizeof(e->fx.user), col_text(st, 5));
        request_copy_str(e->fx.text, sizeof(e->fx.text), col_text(st, 6));
        e->attempts = sqlite3_column_int(st, 7) + 1;     /* the attempt being claimed */
        e->fx.item = sqlite3_column_int(st, 8);
        n++;
    }
    if (n < max && step != SQLITE_DONE) {
        rc = sqlite_fail(s, "claim effects");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET lease_until_ms = ?, attempts = attempts + 1"
                                " WHERE id = ?", &st, "lease effect")))
        goto out;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        if (sqlite3_bind_int64(st, 1, now_ms + lease_ms) || sqlite3_bind_int64(st, 2, got[i].id)) {
            rc = sqlite_fail(s, "lease effect");
            goto out;
        }
        if ((rc = sqlite_run(s, st, "lease effect")))
            goto out;
    }
    if ((rc = sqlite_commit(s)))
        goto out;
    memcpy(out, got, (size_t)n * sizeof(*got));
    *n_out = n;
out:
    sqlite3_finalize(st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    free(got);
    return rc;
}

/* Steps an UPDATE of one effect (bound by the caller); no row changed is
 * STORE_E_NOT_FOUND. */
static int sqlite_update_effect(struct store *s, sqlite3_stmt *st, int64_t effect_id,
                                const char *what)
{
    int rc;
    if ((rc = sqlite_run(s, st, what)))
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return sqlite_failf(s, STORE_E_NOT_FOUND, "%s: no such effect %lld", what,
                            (long long)effect_id);
    return STORE_OK;
}

/* Not limited to pending rows: after a lease ran out, two runs may both finish the
 * effect (effects are idempotent), and the second must not look like a failure. */
int store_effect_done(struct store *s, int64_t effect_id, const char *result)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET status = 'done', result = ?,"
                                " lease_until_ms = NULL WHERE id = ?", &st, "effect done")))
        goto out;
    if (bind_text(st, 1, result) || sqlite3_bind_int64(st, 2, effect_id)) {
        rc = sqlite_fail(s, "effect done");
        goto out;
    }
    rc = sqlite_update_effect(s, st, effect_id, "effect done");
out:
    sqlite3_finalize(st);
    return rc;
}

/* Pending rows only: a done effect must not be scheduled again. A NULL error (an
 * effect handed back unrun) keeps the last real one. */
int store_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms, const char *error)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET due_ms = ?, last_error = COALESCE(?, last_error),"
                                " lease_until_ms = NULL WHERE id = ? AND status = 'pending'",
                             &st, "effect retry")))
        goto out;
    if (sqlite3_bind_int64(st, 1, next_due_ms) || bind_text(st, 2, error) ||
        sqlite3_bind_int64(st, 3, effect_id)) {
        rc = sqlite_fail(s, "effect retry");
        goto out;
    }
    rc = sqlite_update_effect(s, st, effect_id, "effect retry");
out:
    sqlite3_finalize(st);
    return rc;
}

int store_release_leases(struct store *s)
{
    if (!s)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return sqlite_exec(s, "UPDATE outbox SET lease_until_ms = NULL"
                          " WHERE status = 'pending' AND lease_until_ms IS NOT NULL",
                       "release leases");
}

int store_next_due(struct store *s, int64_t *due_ms)
{
    /* A leased effect cannot be claimed before its lease ends, so that is when it is
     * due: otherwise the scheduler would wake at once, claim nothing, and spin for as
     * long as the effect's HTTP call takes. Unleased, this is due_ms. */
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s || !due_ms)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "SELECT MIN(CASE WHEN lease_until_ms > due_ms"
                                " THEN lease_until_ms ELSE due_ms END)"
                                " FROM outbox WHERE status = 'pending'", &st, "next due")))
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "next due");
        goto out;
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        rc = STORE_E_NOT_FOUND;
    else
        *due_ms = sqlite3_column_int64(st, 0);
out:
    sqlite3_finalize(st);
    return rc;
}

int store_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s || !request_id || !n)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
                                " AND request_id = ? AND kind = ?", &st, "count pending")))
        goto out;
    if (bind_text(st, 1, request_id) || bind_text(st, 2, effect_kind_name(kind)) ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "count pending");
        goto out;
    }
    *n = sqlite3_column_int(st, 0);
out:
    sqlite3_finalize(st);
    return rc;
}

/* ---- small things ---- */

int store_seen_once(struct store *s, const char *key, int64_t now_ms)
{
    if (!s || !key)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return sqlite_dedup_insert(s, key, now_ms);
}

int store_get_setting(struct store *s, const char *name, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    size_t len;
    if (!s || !name || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    if ((rc = sqlite_prepare(s, "SELECT value FROM settings WHERE name = ?", &st, "get setting")))
        goto out;
    if (bind_text(st, 1, name)) {
        rc = sqlite_fail(s, "get setting");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = STORE_E_NOT_FOUND;
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = sqlite_fail(s, "get setting");
        goto out;
    }
    len = strlen(col_text(st, 0));
    if (len >= outlen) {                 /* a cut value (a clock, say) would be wrong */
        rc = sqlite_failf(s, STORE_E_INVALID, "setting %s: %zu bytes do not fit in %zu",
                          name, len, outlen);
        goto out;
    }
    memcpy(out, col_text(st, 0), len + 1);
out:
    sqlite3_finalize(st);
    return rc;
}

int store_set_setting(struct store *s, const char *name, const char *value)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (!s || !name || !value)
        return STORE_E_INVALID;
    s->err[0] = '\0';
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
    sqlite3_finalize(st);
    return rc;
}
