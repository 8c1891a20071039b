/* store/sqlite_int.h -- the SQLite backend's insides, shared by its files (sqlite.c:
 * open, migrations, statements, requests; sqlite_outbox.c: effects, leases, intents,
 * housekeeping) and nobody else. */
#ifndef CANCELBOT_STORE_SQLITE_INT_H
#define CANCELBOT_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include "store/store.h"

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

/* Decoded requests by (id, version): decoding the JSON document is most of what a
 * load costs, and the runtime loads the same request several times per event. */
#define DECODED_CACHE_SIZE 64

struct decoded_slot {
    int64_t version;                    /* 0: empty */
    struct request rq;
};

struct store {
    sqlite3 *db;
    char err[256];
    char owner[STORE_OWNER_MAX];        /* names this process on its leases */
    char chat[16];                      /* store_set_chat: "slack", "shell", "" */
    int batch_depth;                    /* store_batch_begin nesting */
    int batch_failed;                   /* the outermost transaction is gone */
    int batch_lazy;                     /* store_batch_begin_lazy: synchronous=NORMAL */
    struct stmt_slot cache[STMT_CACHE_MAX];
    int n_cache;
    struct decoded_slot decoded[DECODED_CACHE_SIZE];
};

int sqlite_failf(struct store *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* After a failed sqlite3_* call: what we were doing, then SQLite's reason. */
int sqlite_fail(struct store *s, const char *what);
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
/* Empties the decoded-request cache (after a rollback: it may hold undone versions). */
void sqlite_forget_decoded(struct store *s);
/* 1 when key is new (now recorded), 0 when seen, <0 on error. */
int sqlite_dedup_insert(struct store *s, const char *key, int64_t now_ms);

#endif
