/* store/sqlite_outbox.c -- the outbox of effects, its leases, the intents of slash
 * commands, and housekeeping, on SQLite.
 *
 * A lease is (lease_owner, lease_until_ms). While it holds, the effect's due_ms is the
 * lease's end too: that is the next time anybody needs to look at the row, so the
 * next-due question and the claim both read one partial index on due_ms, whatever
 * else is pending. The owner renews its leases while it works (store_renew_leases);
 * a lease that runs out is anyone's to take, which is how a dead process's effects
 * move on. Only the owner of a lease counts a failed attempt or gives it back.
 *
 * One effect of a request at a time: the claim skips an effect while an earlier due
 * effect of its request is pending or one of its request is under a live lease. So
 * nothing is claimed only to be handed back, and nothing is counted as an attempt
 * that was not made. Chat effects are claimed only by a process of the request's
 * chat adapter (store_set_chat).
 *
 * A lease given back or run out keeps its owner's name: the next claim of that
 * effect then knows an earlier run may have got as far as its side effect (a message
 * posted) without its done mark, and says so (stored_effect.uncertain). Done and a
 * counted failure clear the name: those runs are known to have ended. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/sqlite_int.h"

int sqlite_claim_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct stored_effect *got, int *n_out)
{
    /* Read and leased in one IMMEDIATE transaction: a second process waits for the
     * write lock and then sees the leases.
     * PG: SELECT ... FOR UPDATE SKIP LOCKED, so replicas claim side by side. */
    static const char claim_sql[] =
        "SELECT id, request_id, kind, timer, due_ms, user_id, text, attempts, item,"
        " lease_owner IS NOT NULL"
        " FROM outbox o WHERE status = 'pending' AND due_ms <= ?1"
        " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.status = 'pending'"
        "  AND p.request_id = o.request_id AND p.id <> o.id"
        "  AND ((p.lease_owner IS NOT NULL AND p.lease_until_ms > ?1)"
        "       OR (p.due_ms <= ?1 AND p.id < o.id)))"
        " AND (o.kind NOT IN " STORE_CHAT_EFFECT_KINDS " OR ?3 = ''"
        "  OR (SELECT chat FROM requests r WHERE r.id = o.request_id) IN ('', ?3))"
        " ORDER BY due_ms, id LIMIT ?2";
    sqlite3_stmt *st = NULL;
    int rc, step = SQLITE_DONE, n = 0;
    if ((rc = sqlite_begin(s)) || (rc = sqlite_prepare(s, claim_sql, &st, "claim effects")))
        goto out;
    if (sqlite3_bind_int64(st, 1, now_ms) || sqlite3_bind_int(st, 2, max) ||
        bind_text(st, 3, s->chat)) {
        rc = sqlite_fail(s, "claim effects");
        goto out;
    }
    while (n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = store_read_effect(s, sqlite3_column_int64(st, 0), col_text(st, 1),
                                    col_text(st, 2), col_text(st, 3), sqlite3_column_int64(st, 4),
                                    col_text(st, 5), col_text(st, 6), sqlite3_column_int(st, 7),
                                    sqlite3_column_int(st, 8), &got[n])))
            goto out;
        got[n].uncertain = sqlite3_column_int(st, 9);
        n++;
    }
    if (n < max && step != SQLITE_DONE) {
        rc = sqlite_fail(s, "claim effects");
        goto out;
    }
    sqlite_release(s, st);
    st = NULL;
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET lease_owner = ?, lease_until_ms = ?,"
                                " due_ms = ? WHERE id = ?", &st, "lease effect")))
        goto out;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        if (bind_text(st, 1, s->owner) || sqlite3_bind_int64(st, 2, now_ms + lease_ms) ||
            sqlite3_bind_int64(st, 3, now_ms + lease_ms) || sqlite3_bind_int64(st, 4, got[i].id)) {
            rc = sqlite_fail(s, "lease effect");
            goto out;
        }
        if ((rc = sqlite_run(s, st, "lease effect")))
            goto out;
    }
    if ((rc = sqlite_commit(s)))
        goto out;
    *n_out = n;
out:
    sqlite_release(s, st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
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
    if (sqlite3_changes(SQ(s)->db) == 0)
        return store_failf(s, STORE_E_NOT_FOUND, "%s: effect %lld is not pending under "
                            "our lease", what, (long long)effect_id);
    return STORE_OK;
}

/* Not limited to our lease: after a lease ran out, two runs may both finish the
 * effect (effects are idempotent), and the second must not look like a failure. */
int sqlite_effect_done(struct store *s, int64_t effect_id, const char *result)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET status = 'done', result = ?,"
                                " lease_owner = NULL, lease_until_ms = NULL WHERE id = ?",
                             &st, "effect done")))
        goto out;
    if (bind_text(st, 1, result) || sqlite3_bind_int64(st, 2, effect_id)) {
        rc = sqlite_fail(s, "effect done");
        goto out;
    }
    rc = sqlite_update_effect(s, st, effect_id, "effect done");
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms,
                        const char *error)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "UPDATE outbox SET due_ms = ?, attempts = attempts + 1,"
                                " last_error = COALESCE(?, last_error), lease_owner = NULL,"
                                " lease_until_ms = NULL WHERE id = ? AND status = 'pending'"
                                " AND (lease_owner IS NULL OR lease_owner = ?)",
                             &st, "effect retry")))
        goto out;
    if (sqlite3_bind_int64(st, 1, next_due_ms) || bind_text(st, 2, error) ||
        sqlite3_bind_int64(st, 3, effect_id) || bind_text(st, 4, s->owner)) {
        rc = sqlite_fail(s, "effect retry");
        goto out;
    }
    rc = sqlite_update_effect(s, st, effect_id, "effect retry");
out:
    sqlite_release(s, st);
    return rc;
}

/* Runs one UPDATE on each leased table, with parameters (owner, ms). */
static int sqlite_lease_update(struct store *s, const char *outbox_sql, const char *intents_sql,
                               const char *owner, int64_t ms, const char *what)
{
    const char *sqls[2] = {outbox_sql, intents_sql};
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_begin(s)))
        return rc;
    for (int i = 0; i < 2; i++) {
        if ((rc = sqlite_prepare(s, sqls[i], &st, what)))
            goto out;
        if (bind_text(st, 1, owner) || sqlite3_bind_int64(st, 2, ms)) {
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

int sqlite_renew_leases(struct store *s, int64_t until_ms)
{
    return sqlite_lease_update(s,
        "UPDATE outbox SET lease_until_ms = ?2, due_ms = ?2"
        " WHERE lease_owner = ?1 AND status = 'pending'",
        "UPDATE intents SET lease_until_ms = ?2"
        " WHERE lease_owner = ?1 AND status = 'pending'",
        s->owner, until_ms, "renew leases");
}

int sqlite_release_leases(struct store *s, const char *owner, int64_t now_ms)
{
    return sqlite_lease_update(s,
        "UPDATE outbox SET lease_until_ms = ?2, due_ms = ?2"
        " WHERE lease_owner = ?1 AND status = 'pending'",
        "UPDATE intents SET lease_owner = NULL, lease_until_ms = ?2"
        " WHERE lease_owner = ?1 AND status = 'pending'",
        owner, now_ms, "release leases");
}

int sqlite_lease_owners(struct store *s, int64_t now_ms,
                        int (*cb)(void *ud, const char *owner), void *ud)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, "SELECT lease_owner FROM outbox WHERE status = 'pending'"
                                " AND lease_owner IS NOT NULL AND lease_until_ms > ?1"
                                " UNION SELECT lease_owner FROM intents WHERE status = 'pending'"
                                " AND lease_owner IS NOT NULL AND lease_until_ms > ?1",
                             &st, "lease owners")))
        goto out;
    if (sqlite3_bind_int64(st, 1, now_ms)) {
        rc = sqlite_fail(s, "lease owners");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(ud, col_text(st, 0)))
            goto out;
    if (step != SQLITE_DONE)
        rc = sqlite_fail(s, "lease owners");
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "SELECT MIN(due_ms) FROM outbox WHERE status = 'pending'"
                                " AND due_ms > ?", &st, "next due")))
        goto out;
    if (sqlite3_bind_int64(st, 1, after_ms)) {
        rc = sqlite_fail(s, "next due");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "next due");
        goto out;
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        rc = STORE_E_NOT_FOUND;
    else
        *due_ms = sqlite3_column_int64(st, 0);
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n)
{
    sqlite3_stmt *st = NULL;
    int rc;
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
    sqlite_release(s, st);
    return rc;
}

/* ---- for /metrics ---- */

int sqlite_count_requests(struct store *s, store_count_cb cb, void *ud)
{
    sqlite3_stmt *st = NULL;
    int rc, step;
    if ((rc = sqlite_prepare(s, "SELECT state, market, COUNT(*) FROM requests"
                                " GROUP BY state, market", &st, "count requests")))
        goto out;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(ud, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2)))
            break;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = sqlite_fail(s, "count requests");
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "SELECT COUNT(*), MIN(CASE WHEN due_ms <= ? THEN due_ms END)"
                                " FROM outbox WHERE status = 'pending'", &st, "outbox stats")))
        goto out;
    if (sqlite3_bind_int64(st, 1, now_ms) || sqlite3_step(st) != SQLITE_ROW) {
        rc = sqlite_fail(s, "outbox stats");
        goto out;
    }
    *pending = sqlite3_column_int64(st, 0);
    *oldest_due_ms = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 1);
out:
    sqlite_release(s, st);
    return rc;
}

/* ---- housekeeping ---- */

int sqlite_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out)
{
    static const char *const sqls[2] = {
        "DELETE FROM dedup WHERE at_ms < ?",
        "DELETE FROM outbox WHERE status = 'done' AND created_ms < ?",
    };
    int64_t before[2] = {dedup_before_ms, done_before_ms};
    sqlite3_stmt *st = NULL;
    int rc = STORE_OK, n = 0;
    if ((rc = sqlite_begin(s)))
        return rc;
    for (int i = 0; i < 2; i++) {
        if ((rc = sqlite_prepare(s, sqls[i], &st, "prune")))
            goto out;
        if (sqlite3_bind_int64(st, 1, before[i])) {
            rc = sqlite_fail(s, "prune");
            goto out;
        }
        if ((rc = sqlite_run(s, st, "prune")))
            goto out;
        n += sqlite3_changes(SQ(s)->db);
        sqlite_release(s, st);
        st = NULL;
    }
    if ((rc = sqlite_commit(s)))
        goto out;
    *n_out = n;
out:
    sqlite_release(s, st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    return rc;
}

/* ---- intents ---- */

int sqlite_intent_add(struct store *s, const struct store_intent *in, int64_t lease_until_ms,
                      int64_t now_ms, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "INSERT INTO intents (user_id, channel, command, text,"
                                " lease_owner, lease_until_ms, created_ms)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)", &st, "save intent")))
        goto out;
    if (bind_text(st, 1, in->user) || bind_text(st, 2, in->channel) ||
        bind_text(st, 3, in->command) || bind_text(st, 4, in->text) ||
        bind_text(st, 5, s->owner) || sqlite3_bind_int64(st, 6, lease_until_ms) ||
        sqlite3_bind_int64(st, 7, now_ms)) {
        rc = sqlite_fail(s, "save intent");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "save intent")))
        goto out;
    *id_out = sqlite3_last_insert_rowid(SQ(s)->db);   /* PG: RETURNING id */
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_intent_done(struct store *s, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = sqlite_prepare(s, "UPDATE intents SET status = 'done', lease_owner = NULL"
                                " WHERE id = ? AND status = 'pending'", &st, "intent done")))
        goto out;
    if (sqlite3_bind_int64(st, 1, id)) {
        rc = sqlite_fail(s, "intent done");
        goto out;
    }
    if ((rc = sqlite_run(s, st, "intent done")) == STORE_OK && sqlite3_changes(SQ(s)->db) == 0)
        rc = STORE_E_NOT_FOUND;
out:
    sqlite_release(s, st);
    return rc;
}

int sqlite_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct store_intent *got, int *n_out)
{
    sqlite3_stmt *st = NULL;
    int rc, step = SQLITE_DONE, n = 0;
    if ((rc = sqlite_begin(s)) ||
        (rc = sqlite_prepare(s, "SELECT id, user_id, channel, command, text FROM intents"
                                " WHERE status = 'pending' AND lease_until_ms <= ?"
                                " ORDER BY lease_until_ms, id LIMIT ?", &st, "claim intents")))
        goto out;
    if (sqlite3_bind_int64(st, 1, now_ms) || sqlite3_bind_int(st, 2, max)) {
        rc = sqlite_fail(s, "claim intents");
        goto out;
    }
    while (n < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
        got[n].id = sqlite3_column_int64(st, 0);
        request_copy_str(got[n].user, sizeof(got[n].user), col_text(st, 1));
        request_copy_str(got[n].channel, sizeof(got[n].channel), col_text(st, 2));
        request_copy_str(got[n].command, sizeof(got[n].command), col_text(st, 3));
        request_copy_str(got[n].text, sizeof(got[n].text), col_text(st, 4));
        n++;
    }
    if (n < max && step != SQLITE_DONE) {
        rc = sqlite_fail(s, "claim intents");
        goto out;
    }
    sqlite_release(s, st);
    st = NULL;
    if ((rc = sqlite_prepare(s, "UPDATE intents SET lease_owner = ?, lease_until_ms = ?"
                                " WHERE id = ?", &st, "lease intent")))
        goto out;
    for (int i = 0; i < n; i++) {
        sqlite3_reset(st);
        if (bind_text(st, 1, s->owner) || sqlite3_bind_int64(st, 2, now_ms + lease_ms) ||
            sqlite3_bind_int64(st, 3, got[i].id)) {
            rc = sqlite_fail(s, "lease intent");
            goto out;
        }
        if ((rc = sqlite_run(s, st, "lease intent")))
            goto out;
    }
    if ((rc = sqlite_commit(s)))
        goto out;
    *n_out = n;
out:
    sqlite_release(s, st);
    if (rc != STORE_OK)
        sqlite_rollback(s);
    return rc;
}
