/* store/postgres_int.h -- the PostgreSQL backend's insides, shared by its files
 * (postgres.c: connection, transactions, migrations, requests; postgres_outbox.c:
 * effects, leases, intents, housekeeping) and nobody else. */
#ifndef CANCELBOT_STORE_POSTGRES_INT_H
#define CANCELBOT_STORE_POSTGRES_INT_H

#include <libpq-fe.h>
#include "store/store_int.h"

struct pg_store {
    struct store base;                  /* first: a struct store * is one of these */
    PGconn *conn;
    /* The password given in the connection string or PGPASSWORD, never to appear
     * in an error text: every libpq message passes through pg_redact. */
    char secret[256];
    char *conninfo;                     /* as given, to reconnect (password and all: never shown) */
    int up;                             /* 0: the connection is lost (postgres_conn.c) */
    int64_t down_since_ms;              /* monotonic, while down */
    int64_t retry_at_ms;                /* the next attempt to connect, monotonic */
    int64_t backoff_ms;
    uint64_t jitter;                    /* state of the back-off's random draw */
    char channel[64];                   /* NOTIFY's: "cancelbot_due.<schema>" (a name) */
};

#define PG(s) ((struct pg_store *)(s))

/* libpq's text, on one line, without the password. */
void pg_redact(const struct store *s, const char *msg, char *out, size_t cap);

/* The connection (postgres_conn.c). pg_connect makes p->conn (again: a reconnection,
 * bounded tighter), sets the session up and LISTENs; err says why not, scrubbed. */
int pg_connect(struct pg_store *p, int again, char *err, size_t errlen);
/* Before a statement: STORE_OK when connected (again, if the back-off allows). */
int pg_usable(struct store *s, const char *what);
/* After a failed statement: notes a lost connection (s->err holds the reason). */
void pg_check_lost(struct store *s);
int pg_reconnect(struct store *s, int64_t *retry_in_ms);
int pg_is_up(const struct store *s);
int pg_wake_fd(const struct store *s);
int pg_take_wakeups(struct store *s);
#define PG_WAKE_CHANNEL "cancelbot_due"     /* "." and the schema follow */
/* Wakes the other replicas when this transaction commits; due_ms < 0: unknown. */
int pg_notify_due(struct store *s, int64_t due_ms);

/* Integers go to the server as text: one buffer per parameter. */
#define PG_INT_MAX 24
const char *pg_int(char buf[PG_INT_MAX], long long v);
long long pg_get_int(const PGresult *res, int row, int col);

/* Runs one statement with text parameters. *res (NULL: not wanted) holds the rows
 * when it succeeded (PQclear it); *changed (NULL: not wanted) the rows it changed. On
 * failure s->err says what we were doing and the server's reason. */
int pg_query(struct store *s, const char *sql, int n, const char *const *params,
             PGresult **res, int *changed, const char *what);
/* SQL without parameters, possibly several statements (migrations, transactions). */
int pg_exec(struct store *s, const char *sql, const char *what);
/* A write of several statements: BEGIN, or a savepoint inside a batch. */
int pg_begin(struct store *s);
int pg_commit(struct store *s);
/* Leaves s->err alone: it already holds the failure that brought us here. */
void pg_rollback(struct store *s);

/* Moving a SQLite record in (postgres_import.c). */
int pg_import_row(struct store *s, const char *table, int n, const char *const *cols,
                  const char *const *vals);
int pg_import_finish(struct store *s);

/* The outbox's operations (postgres_outbox.c), for the ops table in postgres.c. */
int pg_claim_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                     struct stored_effect *got, int *n_out);
int pg_effect_done(struct store *s, int64_t effect_id, const char *result);
int pg_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms, const char *error);
int pg_renew_leases(struct store *s, int64_t until_ms);
int pg_release_leases(struct store *s, const char *owner, int64_t now_ms);
int pg_lease_owners(struct store *s, int64_t now_ms,
                    int (*cb)(void *ud, const char *owner), void *ud);
int pg_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms);
int pg_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n);
int pg_count_requests(struct store *s, store_count_cb cb, void *ud);
int pg_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms);
int pg_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out);
int pg_intent_add(struct store *s, const struct store_intent *in, int64_t lease_until_ms,
                  int64_t now_ms, int64_t *id_out);
int pg_intent_done(struct store *s, int64_t id);
int pg_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                     struct store_intent *got, int *n_out);

#endif
