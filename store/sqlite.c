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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/sqlite_int.h"
#include "store/request_json.h"

/* Append only: a released step never changes, or databases already past it would
 * differ from new ones. Step i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 1: the initial schema.
     * INTEGER PRIMARY KEY is SQLite's rowid: assigned in insert order. Events are
     * never deleted; done outbox rows are pruned by age (store_prune), and a pruned
     * id is never looked up again.
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
    /* 3: several processes on one record. Requests carry a version (rows already
     * there are version 1); leases name their owner; the pending outbox is indexed
     * by due time alone (next-due and the claim read it without scanning) and by
     * request (one effect of a request at a time); requests name the chat adapter
     * they came through (its messages go out only through it: an operator's shell
     * on a Slack bot's file must not "post" Slack's cards to a terminal; '' for
     * rows from before, any adapter); the marketplace's reference is a column, so
     * an AWS event finds its request without reading every open one (PG:
     * data::jsonb ->> 'provider_ref'); requests by state (the open
     * and pending lists stay fast however many are closed); intents are slash commands
     * stored before their ack; old de-duplication keys can be pruned by age. A
     * claimed effect's due_ms is its lease's end: the time anyone next needs to
     * look at it. */
    "ALTER TABLE requests ADD COLUMN version BIGINT NOT NULL DEFAULT 1;"
    "ALTER TABLE requests ADD COLUMN chat TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE requests ADD COLUMN provider_ref TEXT NOT NULL DEFAULT '';"
    "UPDATE requests SET provider_ref = COALESCE(json_extract(data, '$.provider_ref'), '');"
    "CREATE INDEX requests_by_ref ON requests (provider_ref) WHERE provider_ref <> '';"
    "ALTER TABLE outbox ADD COLUMN lease_owner TEXT;"
    "DROP INDEX outbox_by_due;"
    "CREATE INDEX outbox_pending_by_due ON outbox (due_ms, id) WHERE status = 'pending';"
    "CREATE INDEX outbox_pending_by_request ON outbox (request_id, id)"
    " WHERE status = 'pending';"
    "CREATE INDEX outbox_done_by_created ON outbox (created_ms) WHERE status = 'done';"
    "CREATE INDEX dedup_by_age ON dedup (at_ms);"
    "CREATE INDEX requests_by_state ON requests (state, created_ms, id);"
    "CREATE INDEX requests_by_requester_state ON requests (requester, state, created_ms, id);"
    "DROP INDEX requests_by_created;"
    "CREATE INDEX requests_by_created ON requests (created_ms, id);"
    "DROP INDEX requests_by_requester;"
    "CREATE INDEX requests_by_requester ON requests (requester, created_ms, id);"
    "CREATE TABLE intents ("
    " id INTEGER PRIMARY KEY,"
    " user_id TEXT NOT NULL,"
    " channel TEXT NOT NULL,"
    " command TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),"
    " lease_owner TEXT,"
    " lease_until_ms BIGINT NOT NULL,"
    " created_ms BIGINT NOT NULL);"
    "CREATE INDEX intents_pending ON intents (lease_until_ms) WHERE status = 'pending';",
    /* 4: the bot's messages in a request's thread (the card is in requests.card_ts),
     * so a reaction on the reply that asked finance counts as one on the card. */
    "CREATE TABLE messages ("
    " ts TEXT PRIMARY KEY,"
    " request_id TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL);",
    /* 5: client tokens unique per installation. The marketplace de-duplicates by
     * token per seller account, and "cancelbot-CR-1" from the record's own counter
     * was reused by a second deployment, a staging copy or a fresh record. A random
     * installation id, made once here under the migration's write lock, goes into
     * every new request's token. Requests that reached the marketplace keep the
     * token they were sent with; those that have not get a new one. (PG: json_set
     * becomes jsonb_set, randomblob gen_random_bytes.) */
    "INSERT INTO settings (name, value) VALUES ('installation_id', lower(hex(randomblob(8))))"
    " ON CONFLICT (name) DO NOTHING;"
    "UPDATE requests SET data = json_set(data, '$.client_token', 'cancelbot-' || id)"
    " WHERE state NOT IN ('draft', 'awaiting_approval');"
    "UPDATE requests SET data = json_set(data, '$.client_token', 'cb-' ||"
    " (SELECT value FROM settings WHERE name = 'installation_id') || '-' || id)"
    " WHERE state IN ('draft', 'awaiting_approval');",
};
#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- errors and statement plumbing ---- */

int sqlite_failf(struct store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return rc;
}

int sqlite_fail(struct store *s, const char *what)
{
    return sqlite_failf(s, STORE_E_IO, "%s: %s", what, sqlite3_errmsg(s->db));
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
    for (int i = 0; i < s->n_cache; i++) {
        slot = &s->cache[i];
        /* A statement still stepping (a caller's callback re-entering the store with
         * the same query) cannot be lent twice: that caller gets its own. */
        if (slot->hash == h && strcmp(slot->sql, sql) == 0 && !sqlite3_stmt_busy(slot->st)) {
            *st = slot->st;
            return STORE_OK;
        }
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sqlite_fail(s, what);
    if (s->n_cache < STMT_CACHE_MAX) {
        for (int i = 0; i < s->n_cache; i++)
            if (s->cache[i].hash == h && strcmp(s->cache[i].sql, sql) == 0)
                return STORE_OK;            /* the busy twin stays the cached one */
        slot = &s->cache[s->n_cache];
        if (!(slot->sql = strdup(sql)))
            return STORE_OK;                /* uncached: finalized on release */
        slot->hash = h;
        slot->st = *st;
        s->n_cache++;
    }
    return STORE_OK;
}

void sqlite_release(struct store *s, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < s->n_cache; i++) {
        if (s->cache[i].st == st) {
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
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
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
        if (s->batch_failed || sqlite3_get_autocommit(s->db))
            return sqlite_failf(s, STORE_E_IO, "begin: the batch's transaction was rolled "
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
    sqlite_forget_decoded(s);            /* it may hold versions that were undone */
    if (s->batch_depth > 0) {
        if (sqlite3_get_autocommit(s->db))
            s->batch_failed = 1;
        else
            sqlite3_exec(s->db, "ROLLBACK TO tx; RELEASE tx", NULL, NULL, NULL);
        return;
    }
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sqlite_end_lazy(struct store *s);

int store_batch_begin(struct store *s)
{
    int rc;
    if (!s)
        return STORE_E_INVALID;
    if (s->batch_depth == 0) {
        s->err[0] = '\0';
        if ((rc = sqlite_exec(s, "BEGIN IMMEDIATE", "begin batch")))
            return rc;
        s->batch_failed = 0;
    }
    s->batch_depth++;
    return STORE_OK;
}

int store_batch_begin_lazy(struct store *s)
{
    int rc;
    if (!s)
        return STORE_E_INVALID;
    if (s->batch_depth > 0)
        return store_batch_begin(s);    /* joins: the outer batch decides */
    s->err[0] = '\0';
    if ((rc = sqlite_exec(s, "PRAGMA synchronous = NORMAL", "lazy batch")))
        return rc;
    s->batch_lazy = 1;
    if ((rc = store_batch_begin(s)))
        sqlite_end_lazy(s);
    return rc;
}

/* Back to FULL, whose next commit's fsync of the WAL also covers the lazy frames. */
static void sqlite_end_lazy(struct store *s)
{
    if (s->batch_lazy) {
        s->batch_lazy = 0;
        sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    }
}

int store_batch_commit(struct store *s)
{
    int rc;
    if (!s || s->batch_depth == 0)
        return STORE_E_INVALID;
    if (--s->batch_depth > 0)
        return STORE_OK;
    if (s->batch_failed || sqlite3_get_autocommit(s->db)) {
        sqlite_forget_decoded(s);
        sqlite_end_lazy(s);
        return sqlite_failf(s, STORE_E_IO, "commit batch: rolled back by an earlier error (%s)",
                            s->err[0] ? s->err : "unknown");
    }
    if ((rc = sqlite_exec(s, "COMMIT", "commit batch")))
        sqlite_rollback(s);
    sqlite_end_lazy(s);
    return rc;
}

void store_batch_rollback(struct store *s)
{
    if (!s || s->batch_depth == 0)
        return;
    s->batch_depth = 0;
    sqlite_forget_decoded(s);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite_end_lazy(s);
}

int store_in_batch(const struct store *s)
{
    return s && s->batch_depth > 0;
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
        rc = sqlite_failf(s, STORE_E_IO, "journal_mode: the database refused WAL (got %s)",
                          col_text(st, 0));
out:
    sqlite_release(s, st);
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
    sqlite_release(s, st);
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
        sqlite_release(s, st);
        st = NULL;
    }
    rc = sqlite_commit(s);
out:
    sqlite_release(s, st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    return rc;
}

/* host:pid:nonce. The host and pid let a restarted process recognise leases of its
 * own dead predecessor (bot/runtime.c); the nonce tells two lives of one pid apart. */
static void sqlite_make_owner(struct store *s)
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

const char *store_owner(const struct store *s)
{
    return s ? s->owner : "";
}

void store_set_chat(struct store *s, const char *chat)
{
    if (s)
        snprintf(s->chat, sizeof(s->chat), "%s", chat ? chat : "");
}

static int open_store(const char *path, int create, struct store **out)
{
    struct store *s = NULL;
    int rc;
    if (!path || !out)
        return STORE_E_INVALID;
    if (!(s = calloc(1, sizeof(*s))))
        return STORE_E_IO;
    sqlite_make_owner(s);
    /* open_v2 hands back a handle even when it fails; store_close frees it. */
    if ((rc = sqlite3_open_v2(path, &s->db,
                              SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0),
                              NULL))) {
        rc = !create && rc == SQLITE_CANTOPEN && access(path, F_OK) != 0 ? STORE_E_NOT_FOUND
                                                                          : STORE_E_IO;
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

int store_open(const char *path, struct store **out)
{
    return open_store(path, 1, out);
}

int store_open_existing(const char *path, struct store **out)
{
    return open_store(path, 0, out);
}

void store_close(struct store *s)
{
    int rc;
    if (!s)
        return;
    for (int i = 0; i < s->n_cache; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    if (s->batch_depth > 0 && s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
    sqlite_release(s, st);
    return rc;
}

/* 1 when key is new (now recorded), 0 when seen, <0 on error. Inside or outside a
 * transaction: ON CONFLICT DO NOTHING makes a repeat a no-op, not a failure. */
int sqlite_dedup_insert(struct store *s, const char *key, int64_t now_ms)
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
    if (sqlite3_changes(s->db) != 1)
        rc = sqlite_failf(s, STORE_E_CONFLICT, "request %s changed since it was read "
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
    if ((rc = sqlite_write_request(s, after, data)) ||
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

/* Columns 0..3 of st are id, card_ts, data, version. The id and card_ts columns win over the
 * document: the id is the key, and card_ts may have been set after the document
 * was last written (see sqlite_upsert_request). */
#define REQUEST_COLUMNS "id, card_ts, data, version"

static struct decoded_slot *decoded_slot(struct store *s, const char *id)
{
    unsigned h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &s->decoded[h % DECODED_CACHE_SIZE];
}

void sqlite_forget_decoded(struct store *s)
{
    for (int i = 0; i < DECODED_CACHE_SIZE; i++)
        s->decoded[i].version = 0;
}

static int sqlite_read_request(struct store *s, sqlite3_stmt *st, struct request *out)
{
    /* The document is decoded only when this version of the request was not decoded
     * before: every write makes a new version, here or in another process, so a
     * cached one is the stored one. */
    struct decoded_slot *slot;
    struct request rq;
    const char *id = col_text(st, 0), *bad = "";
    int64_t version = sqlite3_column_int64(st, 3);
    slot = decoded_slot(s, id);
    if (slot->version == version && version > 0 && strcmp(slot->rq.id, id) == 0) {
        memcpy(out, &slot->rq, sizeof(*out));
        return STORE_OK;
    }
    if (request_json_loads(col_text(st, 2), &rq, &bad) != 0)
        return sqlite_failf(s, STORE_E_IO, "request %s: stored data is corrupt (%s)", id, bad);
    request_copy_str(rq.id, sizeof(rq.id), id);
    if (*col_text(st, 1))
        request_copy_str(rq.card_ts, sizeof(rq.card_ts), col_text(st, 1));
    rq.version = version;
    memcpy(out, &rq, sizeof(rq));
    memcpy(&slot->rq, &rq, sizeof(rq));
    slot->version = version;
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
    sqlite_release(s, st);
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

int store_find_by_message(struct store *s, const char *ts, struct request *out)
{
    int rc = store_find_by_card(s, ts, out);
    if (rc != STORE_E_NOT_FOUND)
        return rc;
    return sqlite_load_one(s, "SELECT " REQUEST_COLUMNS " FROM requests WHERE id ="
                              " (SELECT request_id FROM messages WHERE ts = ?)", ts, out,
                           "find by message");
}

int store_note_message(struct store *s, const char *ts, const char *request_id, int64_t now_ms)
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

int store_find_by_provider_ref(struct store *s, const char *ref, struct request *out)
{
    if (!s || !ref || !ref[0] || !out)
        return STORE_E_INVALID;
    s->err[0] = '\0';
    return sqlite_load_one(s, "SELECT " REQUEST_COLUMNS " FROM requests WHERE provider_ref = ?"
                              " ORDER BY created_ms DESC LIMIT 1", ref, out, "find by reference");
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
    if ((rc = sqlite_prepare(s, "UPDATE requests SET card_ts = ?, data = ?,"
                                " version = version + 1 WHERE id = ?", &st, "set card")))
        goto out;
    if (bind_text(st, 1, card_ts) || bind_text(st, 2, data) || bind_text(st, 3, request_id)) {
        rc = sqlite_fail(s, "set card");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "set card")))
        goto out;
    rc = sqlite_commit(s);
out:
    sqlite_release(s, st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    free(data);
    return rc;
}

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

/* SQL for a list, newest first. With a limit and a set of states it is one small
 * index range per state, each cut at the limit, merged: the list costs the same with
 * 100 or 100,000 requests, where "state IN (...) ORDER BY" would sort every match. */
static void list_sql(char *sql, size_t cap, int n_states, int mine, int limit)
{
    static const char order[] = " ORDER BY created_ms DESC, id DESC";
    int len = 0;
    if (n_states && limit > 0) {
        for (int i = 0; i < n_states; i++)
            len += snprintf(sql + len, cap - len, "%sSELECT * FROM (SELECT " REQUEST_COLUMNS
                            ", created_ms FROM requests WHERE state = ?%s%s LIMIT ?)",
                            i ? " UNION ALL " : "", mine ? " AND requester = ?" : "", order);
        len += snprintf(sql + len, cap - len, "%s LIMIT ?", order);
    } else {
        len += snprintf(sql + len, cap - len, "SELECT " REQUEST_COLUMNS ", created_ms FROM "
                        "requests%s", mine ? " WHERE requester = ?" : "");
        for (int i = 0; i < n_states; i++)
            len += snprintf(sql + len, cap - len, i ? ", ?" : mine ? " AND state IN (?"
                                                                   : " WHERE state IN (?");
        len += snprintf(sql + len, cap - len, "%s%s%s", n_states ? ")" : "", order,
                        limit > 0 ? " LIMIT ?" : "");
    }
    assert(len < (int)cap);
}

int store_list_requests(struct store *s, enum store_list_filter filter, const char *user,
                        int limit, int (*cb)(void *ud, const struct request *rq), void *ud)
{
    const char *states[REQUEST_STATE_COUNT];
    char sql[4096];
    sqlite3_stmt *st = NULL;
    int n_states, rc, step, param = 1;
    int mine = filter == STORE_LIST_MINE || filter == STORE_LIST_MINE_OPEN;
    if (!s || !cb || limit < 0 || (int)filter < STORE_LIST_ALL || filter > STORE_LIST_MINE_OPEN ||
        (mine && !user))
        return STORE_E_INVALID;
    s->err[0] = '\0';
    n_states = list_states(filter, states);
    list_sql(sql, sizeof(sql), n_states, mine, limit);
    if ((rc = sqlite_prepare(s, sql, &st, "list requests")))
        goto out;
    if (n_states && limit > 0) {
        for (int i = 0; i < n_states; i++)
            if (bind_text(st, param++, states[i]) || (mine && bind_text(st, param++, user)) ||
                sqlite3_bind_int(st, param++, limit))
                goto bind_failed;
    } else {
        if (mine && bind_text(st, param++, user))
            goto bind_failed;
        for (int i = 0; i < n_states; i++)
            if (bind_text(st, param++, states[i]))
                goto bind_failed;
    }
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
    sqlite_release(s, st);
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
    sqlite_release(s, st);
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
    sqlite_release(s, st);
    return rc;
}
