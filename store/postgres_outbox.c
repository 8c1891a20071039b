/* store/postgres_outbox.c -- the outbox of effects, its leases, the intents of slash
 * commands, and housekeeping, on PostgreSQL.
 *
 * The leases are SQLite's (sqlite_outbox.c has the why): (lease_owner,
 * lease_until_ms), a claimed effect's due_ms is its lease's end, only the owner of a
 * lease counts a failed attempt or gives it back, an expired lease is anyone's, one
 * effect of a request at a time, chat effects only for a process of the request's
 * adapter. What differs is how a claim keeps other replicas out: SQLite's write lock
 * makes claims take turns; here a claim is one statement that locks the rows it
 * picks FOR UPDATE SKIP LOCKED, so a replica passes over rows another is claiming
 * instead of waiting, and leases them before its statement ends. A replica that
 * reads an effect's request-mates while another claims one of them still sees that
 * one pending and due (the old row), so it does not take a second effect of the
 * request either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/postgres_int.h"

int pg_claim_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                     struct stored_effect *got, int *n_out)
{
    static const char claim_sql[] =
        "WITH c AS (SELECT id, due_ms, lease_owner IS NOT NULL AS uncertain FROM outbox o WHERE status = 'pending' AND due_ms <= $1"
        " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.status = 'pending'"
        "  AND p.request_id = o.request_id AND p.id <> o.id"
        "  AND ((p.lease_owner IS NOT NULL AND p.lease_until_ms > $1)"
        "       OR (p.due_ms <= $1 AND p.id < o.id)))"
        " AND (o.kind NOT IN " STORE_CHAT_EFFECT_KINDS " OR $3 = ''"
        "  OR (SELECT chat FROM requests r WHERE r.id = o.request_id) IN ('', $3))"
        " ORDER BY due_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED),"
        " u AS (UPDATE outbox SET lease_owner = $4, lease_until_ms = $5, due_ms = $5"
        "  FROM c WHERE outbox.id = c.id"
        "  RETURNING outbox.id, request_id, kind, timer, c.due_ms AS was_due, user_id, text,"
        "  attempts, item, c.uncertain)"
        " SELECT * FROM u ORDER BY was_due, id";
    char now[PG_INT_MAX], lim[PG_INT_MAX], until[PG_INT_MAX];
    const char *params[5] = {pg_int(now, now_ms), pg_int(lim, max), s->chat, s->owner,
                             pg_int(until, now_ms + lease_ms)};
    PGresult *res = NULL;
    int rc, n;
    if ((rc = pg_query(s, claim_sql, 5, params, &res, NULL, "claim effects")))
        return rc;
    n = PQntuples(res);
    for (int i = 0; i < n && rc == STORE_OK; i++)
        rc = store_read_effect(s, pg_get_int(res, i, 0), PQgetvalue(res, i, 1),
                               PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                               pg_get_int(res, i, 4), PQgetvalue(res, i, 5),
                               PQgetvalue(res, i, 6), (int)pg_get_int(res, i, 7),
                               (int)pg_get_int(res, i, 8), &got[i]);
    for (int i = 0; i < n && rc == STORE_OK; i++)
        got[i].uncertain = PQgetvalue(res, i, 9)[0] == 't';
    PQclear(res);
    /* A row we cannot read stays leased to us and comes back when the lease ends. */
    if (rc == STORE_OK)
        *n_out = n;
    return rc;
}

/* Runs an UPDATE of one effect; no row changed is STORE_E_NOT_FOUND. */
static int pg_update_effect(struct store *s, const char *sql, int n, const char *const *params,
                            int64_t effect_id, const char *what)
{
    int rc, changed = 0;
    if ((rc = pg_query(s, sql, n, params, NULL, &changed, what)))
        return rc;
    if (changed == 0)
        return store_failf(s, STORE_E_NOT_FOUND, "%s: effect %lld is not pending under "
                           "our lease", what, (long long)effect_id);
    return STORE_OK;
}

/* Not limited to our lease (see sqlite_outbox.c). */
int pg_effect_done(struct store *s, int64_t effect_id, const char *result)
{
    char id[PG_INT_MAX];
    const char *params[2] = {result, pg_int(id, effect_id)};
    return pg_update_effect(s, "UPDATE outbox SET status = 'done', result = $1,"
                               " lease_owner = NULL, lease_until_ms = NULL WHERE id = $2",
                            2, params, effect_id, "effect done");
}

int pg_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms, const char *error)
{
    char due[PG_INT_MAX], id[PG_INT_MAX];
    const char *params[4] = {pg_int(due, next_due_ms), error, pg_int(id, effect_id), s->owner};
    int rc;
    /* Due sooner than its lease's end, which is when the others expected it. */
    if ((rc = pg_begin(s)))
        return rc;
    if ((rc = pg_update_effect(s, "UPDATE outbox SET due_ms = $1, attempts = attempts + 1,"
                               " last_error = COALESCE($2, last_error), lease_owner = NULL,"
                               " lease_until_ms = NULL WHERE id = $3 AND status = 'pending'"
                               " AND (lease_owner IS NULL OR lease_owner = $4)",
                            4, params, effect_id, "effect retry")) ||
        (rc = pg_notify_due(s, next_due_ms)) || (rc = pg_commit(s)))
        pg_rollback(s);
    return rc;
}

/* Runs one UPDATE on each leased table, with parameters (owner, ms), in one
 * transaction; notify_due >= 0: wakes the replicas for work due then. */
static int pg_lease_update(struct store *s, const char *outbox_sql, const char *intents_sql,
                           const char *owner, int64_t ms, int64_t notify_due, const char *what)
{
    char t[PG_INT_MAX];
    const char *params[2] = {owner, pg_int(t, ms)};
    int rc;
    if ((rc = pg_begin(s)))
        return rc;
    if ((rc = pg_query(s, outbox_sql, 2, params, NULL, NULL, what)) ||
        (rc = pg_query(s, intents_sql, 2, params, NULL, NULL, what)) ||
        (notify_due >= 0 && (rc = pg_notify_due(s, notify_due))) ||
        (rc = pg_commit(s)))
        pg_rollback(s);
    return rc;
}

int pg_renew_leases(struct store *s, int64_t until_ms)
{
    return pg_lease_update(s,
        "UPDATE outbox SET lease_until_ms = $2, due_ms = $2"
        " WHERE lease_owner = $1 AND status = 'pending'",
        "UPDATE intents SET lease_until_ms = $2"
        " WHERE lease_owner = $1 AND status = 'pending'",
        s->owner, until_ms, -1, "renew leases");
}

int pg_release_leases(struct store *s, const char *owner, int64_t now_ms)
{
    return pg_lease_update(s,
        "UPDATE outbox SET lease_until_ms = $2, due_ms = $2"
        " WHERE lease_owner = $1 AND status = 'pending'",
        "UPDATE intents SET lease_owner = NULL, lease_until_ms = $2"
        " WHERE lease_owner = $1 AND status = 'pending'",
        owner, now_ms, now_ms, "release leases");
}

int pg_lease_owners(struct store *s, int64_t now_ms,
                    int (*cb)(void *ud, const char *owner), void *ud)
{
    char now[PG_INT_MAX];
    const char *params[1] = {pg_int(now, now_ms)};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT lease_owner FROM outbox WHERE status = 'pending'"
                          " AND lease_owner IS NOT NULL AND lease_until_ms > $1"
                          " UNION SELECT lease_owner FROM intents WHERE status = 'pending'"
                          " AND lease_owner IS NOT NULL AND lease_until_ms > $1",
                       1, params, &res, NULL, "lease owners")))
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        if (cb(ud, PQgetvalue(res, i, 0)))
            break;
    PQclear(res);
    return STORE_OK;
}

int pg_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms)
{
    char after[PG_INT_MAX];
    const char *params[1] = {pg_int(after, after_ms)};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT MIN(due_ms) FROM outbox WHERE status = 'pending'"
                          " AND due_ms > $1", 1, params, &res, NULL, "next due")))
        return rc;
    if (PQgetisnull(res, 0, 0))
        rc = STORE_E_NOT_FOUND;
    else
        *due_ms = pg_get_int(res, 0, 0);
    PQclear(res);
    return rc;
}

int pg_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n)
{
    const char *params[2] = {request_id, effect_kind_name(kind)};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
                          " AND request_id = $1 AND kind = $2", 2, params, &res, NULL,
                       "count pending")))
        return rc;
    *n = (int)pg_get_int(res, 0, 0);
    PQclear(res);
    return STORE_OK;
}

/* ---- for /metrics ---- */

int pg_count_requests(struct store *s, store_count_cb cb, void *ud)
{
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT state, market, COUNT(*) FROM requests GROUP BY state, market",
                       0, NULL, &res, NULL, "count requests")))
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        if (cb(ud, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), pg_get_int(res, i, 2)))
            break;
    PQclear(res);
    return STORE_OK;
}

int pg_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms)
{
    char now[PG_INT_MAX];
    const char *params[1] = {pg_int(now, now_ms)};
    PGresult *res = NULL;
    int rc;
    if ((rc = pg_query(s, "SELECT COUNT(*), MIN(CASE WHEN due_ms <= $1 THEN due_ms END)"
                          " FROM outbox WHERE status = 'pending'", 1, params, &res, NULL,
                       "outbox stats")))
        return rc;
    *pending = pg_get_int(res, 0, 0);
    *oldest_due_ms = PQgetisnull(res, 0, 1) ? 0 : pg_get_int(res, 0, 1);
    PQclear(res);
    return STORE_OK;
}

/* ---- housekeeping ---- */

int pg_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out)
{
    char dedup[PG_INT_MAX], done[PG_INT_MAX];
    const char *p1[1] = {pg_int(dedup, dedup_before_ms)}, *p2[1] = {pg_int(done, done_before_ms)};
    int rc, n1 = 0, n2 = 0;
    if ((rc = pg_begin(s)))
        return rc;
    if ((rc = pg_query(s, "DELETE FROM dedup WHERE at_ms < $1", 1, p1, NULL, &n1, "prune")) ||
        (rc = pg_query(s, "DELETE FROM outbox WHERE status = 'done' AND created_ms < $1", 1, p2,
                       NULL, &n2, "prune")) ||
        (rc = pg_commit(s))) {
        pg_rollback(s);
        return rc;
    }
    *n_out = n1 + n2;
    return STORE_OK;
}

/* ---- intents ---- */

int pg_intent_add(struct store *s, const struct store_intent *in, int64_t lease_until_ms,
                  int64_t now_ms, int64_t *id_out)
{
    char until[PG_INT_MAX], now[PG_INT_MAX];
    const char *params[8] = {in->user, in->channel, in->command, in->text, s->owner,
                             pg_int(until, lease_until_ms), pg_int(now, now_ms),
                             PG(s)->channel};
    PGresult *res = NULL;
    int rc;
    /* Ours while its lease lasts; the others hear of it (at the commit) for when the
     * lease runs out. */
    if ((rc = pg_query(s, "WITH i AS (INSERT INTO intents (user_id, channel, command, text,"
                          " lease_owner, lease_until_ms, created_ms)"
                          " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, lease_until_ms)"
                          " SELECT id, pg_notify($8, lease_until_ms::text) FROM i", 8, params, &res,
                       NULL, "save intent")))
        return rc;
    *id_out = pg_get_int(res, 0, 0);
    PQclear(res);
    return STORE_OK;
}

int pg_intent_done(struct store *s, int64_t id)
{
    char t[PG_INT_MAX];
    const char *params[1] = {pg_int(t, id)};
    int changed = 0, rc;
    rc = pg_query(s, "UPDATE intents SET status = 'done', lease_owner = NULL WHERE id = $1"
                     " AND status = 'pending'", 1, params, NULL, &changed, "intent done");
    return rc == STORE_OK && changed == 0 ? STORE_E_NOT_FOUND : rc;
}

int pg_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                     struct store_intent *got, int *n_out)
{
    static const char claim_sql[] =
        "WITH c AS (SELECT id, lease_until_ms FROM intents WHERE status = 'pending'"
        " AND lease_until_ms <= $1 ORDER BY lease_until_ms, id LIMIT $2"
        " FOR UPDATE SKIP LOCKED),"
        " u AS (UPDATE intents SET lease_owner = $3, lease_until_ms = $4 FROM c"
        "  WHERE intents.id = c.id"
        "  RETURNING intents.id, user_id, channel, command, text, c.lease_until_ms AS was)"
        " SELECT * FROM u ORDER BY was, id";
    char now[PG_INT_MAX], lim[PG_INT_MAX], until[PG_INT_MAX];
    const char *params[4] = {pg_int(now, now_ms), pg_int(lim, max), s->owner,
                             pg_int(until, now_ms + lease_ms)};
    PGresult *res = NULL;
    int rc, n;
    if ((rc = pg_query(s, claim_sql, 4, params, &res, NULL, "claim intents")))
        return rc;
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        got[i].id = pg_get_int(res, i, 0);
        request_copy_str(got[i].user, sizeof(got[i].user), PQgetvalue(res, i, 1));
        request_copy_str(got[i].channel, sizeof(got[i].channel), PQgetvalue(res, i, 2));
        request_copy_str(got[i].command, sizeof(got[i].command), PQgetvalue(res, i, 3));
        request_copy_str(got[i].text, sizeof(got[i].text), PQgetvalue(res, i, 4));
    }
    PQclear(res);
    *n_out = n;
    return STORE_OK;
}
