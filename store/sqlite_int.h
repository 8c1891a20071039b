/* store/sqlite_int.h -- the SQLite backend's insides, shared by its files (sqlite.c:
 * open, migrations, statements, requests; sqlite_outbox.c: effects, leases, intents,
 * housekeeping) and nobody else. */
#ifndef CANCELBOT_STORE_SQLITE_INT_H
#define CANCELBOT_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include "store/store_int.h"

/* Statements are prepared once and kept (SQLite's parse and plan of a statement cost
 * more than running it on an indexed row). Every SQL text the store runs is fixed,
 * so a small table keyed by the text is enough; a text beyond it is prepared per
 * call, as before. */
#define STMT_CACHE_MAX 64

struct stmt_slot {
    char *sql;
    unsigned hash;
    sqlite3_stmt *st;
};

struct sqlite_store {
    struct store base;                  /* first: a struct store * is one of these */
    sqlite3 *db;
    int batch_lazy;                     /* store_batch_begin_lazy: synchronous=NORMAL */
    struct stmt_slot cache[STMT_CACHE_MAX];
    int n_cache;
};

#define SQ(s) ((struct sqlite_store *)(s))

/* After a failed sqlite3_* call: what we were doing, then SQLite's reason. */
int sqlite_fail(struct store *s, const char *what);
/* SQLite's last error on db in words: its message and extended code, and strerror of
 * the system's errno where a file operation failed ("out of memory" for no db). */
void sqlite_reason(sqlite3 *db, char *out, size_t cap);
/* A statement for sql, from the cache when it was prepared before; hand it back with
 * sqlite_release on every path (NULL is fine). */
int sqlite_prepare(struct store *s, const char *sql, sqlite3_stmt **st, const char *what);
void sqlite_release(struct store *s, sqlite3_stmt *st);
int sqlite_exec(struct store *s, const char *sql, const char *what);
/* Steps a statement that returns no rows. */
int sqlite_run(struct store *s, sqlite3_stmt *st, const char *what);
/* A write of several statements: BEGIN IMMEDIATE, or a savepoint inside a batch. */
int sqlite_begin(struct store *s);
int sqlite_commit(struct store *s);
/* Leaves s->err alone: it already holds the failure that brought us here. */
void sqlite_rollback(struct store *s);
int bind_text(sqlite3_stmt *st, int i, const char *v);
const char *col_text(sqlite3_stmt *st, int i);

/* The outbox's operations (sqlite_outbox.c), for the ops table in sqlite.c. */
int sqlite_claim_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct stored_effect *got, int *n_out);
int sqlite_effect_done(struct store *s, int64_t effect_id, const char *result);
int sqlite_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms,
                        const char *error);
int sqlite_renew_leases(struct store *s, int64_t until_ms);
int sqlite_release_leases(struct store *s, const char *owner, int64_t now_ms);
int sqlite_lease_owners(struct store *s, int64_t now_ms,
                        int (*cb)(void *ud, const char *owner), void *ud);
int sqlite_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms);
int sqlite_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n);
int sqlite_count_requests(struct store *s, store_count_cb cb, void *ud);
int sqlite_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms);
int sqlite_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out);
int sqlite_intent_add(struct store *s, const struct store_intent *in, int64_t lease_until_ms,
                      int64_t now_ms, int64_t *id_out);
int sqlite_intent_done(struct store *s, int64_t id);
int sqlite_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct store_intent *got, int *n_out);

#endif
