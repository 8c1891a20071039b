/* store/postgres.c -- the PostgreSQL backend of store.h: one libpq connection.
 *
 * DESIGN
 * - The same schema and migrations as SQLite (migrations.c, PostgreSQL spellings
 *   marked there), applied at open in one transaction under an advisory lock
 *   (pg_advisory_xact_lock), so replicas that start together migrate once.
 * - Synchronous libpq: the bot's loop is single-threaded, and every call is bounded
 *   instead: connect_timeout (10 s unless the connection string or PGCONNECT_TIMEOUT
 *   says otherwise; 2 s, whatever they say, when opened on `run`'s event loop, as for
 *   every reconnection: a silent server must not stall the probes), TCP keepalives and tcp_user_timeout (a dead server or network is
 *   noticed within about 30 s), statement_timeout 10 s per statement (lock waits
 *   included). LISTEN/NOTIFY wake-ups and riding out a lost connection are in
 *   postgres_conn.c.
 * - Read committed. A transition is written only against the version it was
 *   computed from ("UPDATE ... WHERE version = $n": a concurrent writer makes it
 *   change no row, STORE_E_CONFLICT); effects and intents are claimed with
 *   FOR UPDATE SKIP LOCKED and owned, expiring leases, so replicas claim side by side
 *   (postgres_outbox.c); request ids come from sequences, which no transaction holds.
 * - Batches: BEGIN ... COMMIT, each multi-statement write a savepoint inside. A lazy
 *   batch sets synchronous_commit off for its transaction: the analogue of SQLite's
 *   synchronous=NORMAL (a server crash may lose it, never half of it). A statement
 *   that fails outside a savepoint aborts PostgreSQL's whole transaction; the batch's
 *   commit then reports it, as for SQLite's lost transactions.
 * - The request document is TEXT, not jsonb: it is stored and read back byte for
 *   byte as request_json.c wrote it (the export and the decoded-request cache see
 *   what was written), a damaged document stays readable to report it, and nothing
 *   queries inside it (what WHERE needs is in columns).
 * - The connection string is a postgres:// URL or a libpq keyword string; libpq's
 *   PG* variables and password file apply. Its password never reaches an error text
 *   or a log: libpq's own messages are scrubbed of it (pg_redact), and a string libpq
 *   cannot parse is refused without quoting any of it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/postgres_int.h"


const char *pg_int(char buf[PG_INT_MAX], long long v)
{
    snprintf(buf, PG_INT_MAX, "%lld", v);
    return buf;
}

long long pg_get_int(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void pg_redact(const struct store *s, const char *msg, char *out, size_t cap)
{
    const char *secret = PG(s)->secret;
    size_t n = 0, slen = strlen(secret);
    while (*msg && n + 1 < cap) {
        if (slen && strncmp(msg, secret, slen) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "***");
            if (n >= cap)
                break;
            msg += slen;
            continue;
        }
        out[n++] = (*msg == '\n' || *msg == '\t' || *msg == '\r') ? ' ' : *msg;
        msg++;
    }
    n = n < cap ? n : cap - 1;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static int pg_fail(struct store *s, const char *what, const PGresult *res)
{
    char msg[200];
    const char *text = res ? PQresultErrorMessage(res) : "";
    if (!*text)
        text = PQerrorMessage(PG(s)->conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* Deadlocks (40P01) and serialization failures (40001) between replicas are a
     * conflict like a moved version: the caller's savepoint is rolled back, and it
     * reads again and re-applies (bot_apply, store_set_card_ts) instead of losing
     * what it was writing. */
    int rc = state && (!strcmp(state, "40P01") || !strcmp(state, "40001")) ? STORE_E_CONFLICT
                                                                           : STORE_E_IO;
    pg_redact(s, text, msg, sizeof(msg));
    store_failf(s, rc, "%s: %s", what, *msg ? msg : "the database failed");
    pg_check_lost(s);
    return rc;
}

int pg_query(struct store *s, const char *sql, int n, const char *const *params,
             PGresult **res, int *changed, const char *what)
{
    PGresult *r;
    ExecStatusType st;
    int rc;
    if ((rc = pg_usable(s, what)))
        return rc;
    r = PQexecParams(PG(s)->conn, sql, n, NULL, params, NULL, NULL, 0);
    st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(s, what, r);
        PQclear(r);
        return rc;
    }
    if (changed)
        *changed = atoi(PQcmdTuples(r));
    if (res)
        *res = r;
    else
        PQclear(r);
    return STORE_OK;
}

int pg_exec(struct store *s, const char *sql, const char *what)
{
    PGresult *r;
    ExecStatusType st;
    int rc;
    if ((rc = pg_usable(s, what)))
        return rc;
    r = PQexec(PG(s)->conn, sql);
    st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_fail(s, what, r);
    PQclear(r);
    return rc;
}

/* Runs sql for its side effect only, whatever happens (rollbacks). */
static void pg_quiet(struct store *s, const char *sql)
{
    if (PG(s)->up)
        PQclear(PQexec(PG(s)->conn, sql));
}

/* ---- transactions ---- */

static int pg_in_transaction(struct store *s)
{
    PGTransactionStatusType t = PQtransactionStatus(PG(s)->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

int pg_begin(struct store *s)
{
    if (s->batch_depth > 0) {
        if (s->batch_failed || PQtransactionStatus(PG(s)->conn) != PQTRANS_INTRANS)
            return store_failf(s, STORE_E_IO, "begin: the batch's transaction was rolled "
                               "back by an earlier error");
        return pg_exec(s, "SAVEPOINT tx", "savepoint");
    }
    return pg_exec(s, "BEGIN", "begin");
}

int pg_commit(struct store *s)
{
    if (s->batch_depth > 0)
        return pg_exec(s, "RELEASE SAVEPOINT tx", "release savepoint");
    return pg_exec(s, "COMMIT", "commit");
}

void pg_rollback(struct store *s)
{
    store_forget_decoded(s);            /* it may hold versions that were undone */
    if (s->batch_depth > 0) {
        if (!pg_in_transaction(s))
            s->batch_failed = 1;
        else
            pg_quiet(s, "ROLLBACK TO SAVEPOINT tx; RELEASE SAVEPOINT tx");
        return;
    }
    if (pg_in_transaction(s))
        pg_quiet(s, "ROLLBACK");
}

static int pg_batch_open(struct store *s, int lazy)
{
    int rc;
    if ((rc = pg_exec(s, "BEGIN", "begin batch")))
        return rc;
    if (lazy && (rc = pg_exec(s, "SET LOCAL synchronous_commit = off", "lazy batch")))
        pg_quiet(s, "ROLLBACK");
    return rc;
}

static int pg_batch_close(struct store *s, int commit)
{
    int rc = STORE_OK;
    if (commit && (rc = pg_exec(s, "COMMIT", "commit batch")) == STORE_OK)
        return STORE_OK;
    if (pg_in_transaction(s))
        pg_quiet(s, "ROLLBACK");
    return rc;
}

/* A failed statement outside a savepoint leaves the transaction aborted. */
static int pg_batch_lost(struct store *s)
{
    return PQtransactionStatus(PG(s)->conn) != PQTRANS_INTRANS;
}

/* ---- migrations ---- */

/* Replicas starting together wait here for the first one's migration, then find the
 * schema current. The lock is per schema, so test schemas side by side do not wait
 * for each other; a large table's migration may take longer than a statement may. */
static int pg_migrate_lock(struct store *s)
{
    int rc;
    if ((rc = pg_exec(s, "SET LOCAL statement_timeout = '10min'", "migration lock")))
        return rc;
    return pg_exec(s, "SELECT pg_advisory_xact_lock(hashtext('cancelbot migrations in '"
                      " || coalesce(current_schema(), '')))", "migration lock");
}

static int pg_schema_version(struct store *s, int *version)
{
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_exec(s, "CREATE TABLE IF NOT EXISTS schema_version"
                         " (version INTEGER NOT NULL)", "schema_version")) ||
        (rc = pg_query(s, "SELECT coalesce(MAX(version), 0) FROM schema_version", 0, NULL,
                       &res, NULL, "schema_version")))
        return rc;
    *version = (int)pg_get_int(res, 0, 0);
    PQclear(res);
    return STORE_OK;
}

static int pg_migrate_step(struct store *s, const struct store_migration *m, int version)
{
    char what[48], v[PG_INT_MAX];
    const char *params[1] = {pg_int(v, version)};
    int rc;
    snprintf(what, sizeof(what), "migration %d", version);
    if ((rc = pg_exec(s, m->pg ? m->pg : m->sql, what)))
        return rc;
    return pg_query(s, "INSERT INTO schema_version (version) VALUES ($1)", 1, params, NULL,
                    NULL, what);
}

/* ---- open and close ---- */

static void pg_close(struct store *s)
{
    PQfinish(PG(s)->conn);          /* an open transaction is rolled back by the server */
    free(PG(s)->conninfo);
    free(s);
}

/* The password the string carries, or PGPASSWORD's: what pg_redact scrubs. */
static void pg_find_secret(struct pg_store *p, PQconninfoOption *opts)
{
    const char *env = getenv("PGPASSWORD");
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            snprintf(p->secret, sizeof(p->secret), "%s", o->val);
    if (!p->secret[0] && env && *env)
        snprintf(p->secret, sizeof(p->secret), "%s", env);
}

static const struct store_ops pg_ops;

int store_check_postgres_url(const char *conninfo, char *err, size_t errlen)
{
    PQconninfoOption *opts;
    char *perr = NULL;
    if (!conninfo || !(opts = PQconninfoParse(conninfo, &perr))) {
        /* libpq's reason may quote the string, password and all. */
        PQfreemem(perr);
        snprintf(err, errlen, "the database URL cannot be read: use postgresql://USER@HOST:"
                 "PORT/DBNAME or a libpq keyword string (host=... dbname=...)");
        return STORE_E_INVALID;
    }
    PQconninfoFree(opts);
    return STORE_OK;
}

static int pg_open(const char *conninfo, int on_loop, struct store **out, char *err,
                   size_t errlen)
{
    struct pg_store *p = NULL;
    PQconninfoOption *opts;
    char *perr = NULL;
    int rc = STORE_E_IO;
    if (!conninfo || !out || !err || errlen == 0)
        return STORE_E_INVALID;
    err[0] = '\0';
    if (store_check_postgres_url(conninfo, err, errlen) != STORE_OK)
        return STORE_E_INVALID;
    if (!(opts = PQconninfoParse(conninfo, &perr))) {
        PQfreemem(perr);
        snprintf(err, errlen, "out of memory");
        return STORE_E_IO;
    }
    if (!(p = calloc(1, sizeof(*p))) || !(p->conninfo = strdup(conninfo))) {
        PQconninfoFree(opts);
        free(p);
        snprintf(err, errlen, "out of memory");
        return STORE_E_IO;
    }
    pg_find_secret(p, opts);
    PQconninfoFree(opts);
    store_init(&p->base, &pg_ops);
    p->jitter = (uint64_t)(uintptr_t)p ^ (uint64_t)strtoull(strrchr(p->base.owner, ':') + 1,
                                                           NULL, 16);
    if ((rc = pg_connect(p, on_loop, err, errlen)) != STORE_OK)
        goto out;
    if ((rc = store_migrate(&p->base))) {
        snprintf(err, errlen, "%s", p->base.err);
        goto out;
    }
    *out = &p->base;
    p = NULL;
out:
    if (p)
        pg_close(&p->base);
    return rc;
}

int store_open_postgres(const char *conninfo, struct store **out, char *err, size_t errlen)
{
    return pg_open(conninfo, 0, out, err, errlen);
}

int store_open_postgres_on_loop(const char *conninfo, struct store **out, char *err,
                                size_t errlen)
{
    return pg_open(conninfo, 1, out, err, errlen);
}

/* ---- requests ---- */

static int pg_next_counter(struct store *s, const char *prefix, long long *n)
{
    const char *params[1] = {prefix};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT nextval(('counter_' || lower($1))::regclass)", 1, params,
                       &res, NULL, "next request id")))
        return rc;
    *n = pg_get_int(res, 0, 0);
    PQclear(res);
    return STORE_OK;
}

/* Concurrent inserts of one key: the second waits for the first to commit and then
 * does nothing, so every replica agrees on who saw it first. */
static int pg_dedup_insert(struct store *s, const char *key, int64_t now_ms)
{
    char t[PG_INT_MAX];
    const char *params[2] = {key, pg_int(t, now_ms)};
    int rc, changed = 0;
    if ((rc = pg_query(s, "INSERT INTO dedup (key, at_ms) VALUES ($1, $2)"
                          " ON CONFLICT (key) DO NOTHING", 2, params, NULL, &changed, "dedup")))
        return rc;
    return changed == 1;
}

/* Under read committed, an UPDATE that waited for another writer of the row checks
 * the version again on the row that writer left: the check and the write are one
 * step for every other replica. */
static int pg_write_request(struct store *s, const struct request *rq, const char *data)
{
    static const char insert_sql[] =
        "INSERT INTO requests (id, kind, state, market, requester, channel, card_ts,"
        " created_ms, updated_ms, data, provider_ref, version, chat)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, 1, $11)"
        " ON CONFLICT (id) DO NOTHING";
    /* An empty card_ts never overwrites a stored one (see sqlite.c). */
    static const char update_sql[] =
        "UPDATE requests SET kind = $2, state = $3, market = $4, requester = $5,"
        " channel = $6, card_ts = CASE WHEN $7 = '' THEN card_ts ELSE $7 END,"
        " created_ms = $8, updated_ms = $9, data = $10, provider_ref = $12,"
        " version = version + 1 WHERE id = $1 AND version = $11::bigint";
    char created[PG_INT_MAX], updated[PG_INT_MAX], version[PG_INT_MAX], what[48];
    const char *params[12] = {
        rq->id, request_kind_name(rq->kind), request_state_name(rq->state),
        request_market_name(rq->market), rq->requester, rq->channel, rq->card_ts,
        pg_int(created, rq->created_ms), pg_int(updated, rq->updated_ms), data,
        rq->version ? pg_int(version, rq->version) : s->chat, rq->provider_ref,
    };
    int rc, changed = 0;
    snprintf(what, sizeof(what), "save request %s", rq->id);
    if ((rc = pg_query(s, rq->version ? update_sql : insert_sql, 12, params, NULL, &changed,
                       what)))
        return rc;
    if (changed != 1)
        return store_failf(s, STORE_E_CONFLICT, "request %s changed since it was read "
                           "(version %lld)", rq->id, (long long)rq->version);
    return STORE_OK;
}

static int pg_insert_event(struct store *s, const struct request *after,
                           enum request_state from, const struct request_event *ev,
                           int64_t now_ms)
{
    char at[PG_INT_MAX];
    const char *params[8] = {
        after->id, pg_int(at, now_ms), ev->actor, request_event_kind_name(ev->kind), ev->via,
        request_state_name(from), request_state_name(after->state), ev->text,
    };
    return pg_query(s, "INSERT INTO events (request_id, at_ms, actor, event, via, from_state,"
                       " to_state, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, params,
                    NULL, NULL, "save event");
}

static int pg_insert_effects(struct store *s, const char *request_id,
                             const struct effect_list *fx, int64_t now_ms)
{
    int64_t first_due = 0;
    int rc = STORE_OK;
    for (int i = 0; i < fx->len && rc == STORE_OK; i++) {
        const struct effect *e = &fx->items[i];
        char due[PG_INT_MAX], now[PG_INT_MAX], item[PG_INT_MAX];
        const char *params[8] = {
            request_id, effect_kind_name(e->kind), request_timer_name(e->timer),
            pg_int(due, e->due_ms ? e->due_ms : now_ms), e->user, e->text,
            pg_int(now, now_ms), pg_int(item, e->item),
        };
        rc = pg_query(s, "INSERT INTO outbox (request_id, kind, timer, due_ms, user_id, text,"
                         " status, attempts, created_ms, item)"
                         " VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8)", 8, params,
                      NULL, NULL, "save effect");
        if (i == 0 || (e->due_ms ? e->due_ms : now_ms) < first_due)
            first_due = e->due_ms ? e->due_ms : now_ms;
    }
    /* Delivered at the commit, to every replica (postgres_conn.c). */
    return rc == STORE_OK && fx->len > 0 ? pg_notify_due(s, first_due) : rc;
}

static int pg_read_request(struct store *s, const PGresult *res, int row, struct request *out)
{
    return store_decode_request(s, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
                                PQgetvalue(res, row, 2), pg_get_int(res, row, 3), out);
}

static int pg_load_request(struct store *s, enum store_lookup by, const char *key,
                           struct request *out)
{
    static const char *const sql[] = STORE_LOOKUP_SQL("$1");
    const char *params[1] = {key};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, sql[by], 1, params, &res, NULL, store_lookup_what[by])))
        return rc;
    rc = PQntuples(res) == 0 ? STORE_E_NOT_FOUND : pg_read_request(s, res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_update_card(struct store *s, const char *request_id, const char *card_ts,
                          const char *data, int64_t version)
{
    char v[PG_INT_MAX];
    const char *params[4] = {card_ts, data, request_id, pg_int(v, version)};
    int rc, changed = 0;
    if ((rc = pg_query(s, "UPDATE requests SET card_ts = $1, data = $2, version = version + 1"
                          " WHERE id = $3 AND version = $4", 4, params, NULL, &changed,
                       "set card")))
        return rc;
    return changed ? STORE_OK : store_failf(s, STORE_E_CONFLICT, "set card: request %s moved "
                                            "meanwhile", request_id);
}

static int pg_note_message(struct store *s, const char *ts, const char *request_id,
                           int64_t now_ms)
{
    char now[PG_INT_MAX];
    const char *params[3] = {ts, request_id, pg_int(now, now_ms)};
    return pg_query(s, "INSERT INTO messages (ts, request_id, created_ms) VALUES ($1, $2, $3)"
                       " ON CONFLICT (ts) DO NOTHING", 3, params, NULL, NULL, "note message");
}

static int pg_list_requests(struct store *s, const struct store_list_query *q,
                            int (*cb)(void *ud, const struct request *rq), void *ud)
{
    char nums[STORE_LIST_PARAMS_MAX][PG_INT_MAX];
    const char *params[STORE_LIST_PARAMS_MAX];
    PGresult *res = NULL;
    int rc;
    for (int i = 0; i < q->n; i++)
        params[i] = q->text[i] ? q->text[i] : pg_int(nums[i], q->num[i]);
    if ((rc = pg_query(s, q->sql, q->n, params, &res, NULL, "list requests")))
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        struct request rq;
        if ((rc = pg_read_request(s, res, i, &rq)) || cb(ud, &rq))
            break;
    }
    PQclear(res);
    return rc;
}

static int pg_history(struct store *s, const char *request_id,
                      int (*cb)(void *ud, const struct store_event_row *row), void *ud)
{
    const char *params[1] = {request_id};
    PGresult *res = NULL;
    int rc, rows;
    if ((rc = pg_query(s, "SELECT seq, request_id, at_ms, actor, event, via, from_state,"
                          " to_state, text FROM events WHERE request_id = $1 ORDER BY seq",
                       1, params, &res, NULL, "history")))
        return rc;
    rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        struct store_event_row row;
        const char *cols[7];
        for (int c = 0; c < 7; c++)
            cols[c] = PQgetvalue(res, i, c + 2);
        store_event_row_set(&row, pg_get_int(res, i, 0), PQgetvalue(res, i, 1), cols);
        if (cb(ud, &row))
            break;
    }
    PQclear(res);
    return rows;
}

static int pg_request_exists(struct store *s, const char *id, int *exists)
{
    const char *params[1] = {id};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT 1 FROM requests WHERE id = $1", 1, params, &res, NULL,
                       "find request")))
        return rc;
    *exists = PQntuples(res) > 0;
    PQclear(res);
    return STORE_OK;
}

/* ---- settings ---- */

static int pg_get_setting(struct store *s, const char *name, char *out, size_t outlen)
{
    const char *params[1] = {name};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT value FROM settings WHERE name = $1", 1, params, &res, NULL,
                       "get setting")))
        return rc;
    rc = PQntuples(res) == 0 ? STORE_E_NOT_FOUND
                             : store_copy_value(s, name, PQgetvalue(res, 0, 0), out, outlen);
    PQclear(res);
    return rc;
}

static int pg_set_setting(struct store *s, const char *name, const char *value)
{
    const char *params[2] = {name, value};
    return pg_query(s, "INSERT INTO settings (name, value) VALUES ($1, $2)"
                       " ON CONFLICT (name) DO UPDATE SET value = excluded.value", 2, params,
                    NULL, NULL, "set setting");
}

static const struct store_ops pg_ops = {
    .numbered_params = 1,
    .row_locks = 1,
    .close = pg_close,
    .batch_open = pg_batch_open,
    .batch_close = pg_batch_close,
    .batch_lost = pg_batch_lost,
    .tx_begin = pg_begin,
    .tx_commit = pg_commit,
    .tx_rollback = pg_rollback,
    .migrate_lock = pg_migrate_lock,
    .schema_version = pg_schema_version,
    .migrate_step = pg_migrate_step,
    .next_counter = pg_next_counter,
    .dedup_insert = pg_dedup_insert,
    .write_request = pg_write_request,
    .insert_event = pg_insert_event,
    .insert_effects = pg_insert_effects,
    .load_request = pg_load_request,
    .update_card = pg_update_card,
    .note_message = pg_note_message,
    .list_requests = pg_list_requests,
    .history = pg_history,
    .request_exists = pg_request_exists,
    .claim_effects = pg_claim_effects,
    .effect_done = pg_effect_done,
    .effect_retry = pg_effect_retry,
    .renew_leases = pg_renew_leases,
    .release_leases = pg_release_leases,
    .lease_owners = pg_lease_owners,
    .next_due_after = pg_next_due_after,
    .count_pending = pg_count_pending,
    .count_requests = pg_count_requests,
    .outbox_stats = pg_outbox_stats,
    .prune = pg_prune,
    .intent_add = pg_intent_add,
    .intent_done = pg_intent_done,
    .claim_intents = pg_claim_intents,
    .get_setting = pg_get_setting,
    .set_setting = pg_set_setting,
    .import_row = pg_import_row,
    .import_finish = pg_import_finish,
    .is_up = pg_is_up,
    .reconnect = pg_reconnect,
    .wake_fd = pg_wake_fd,
    .take_wakeups = pg_take_wakeups,
};
