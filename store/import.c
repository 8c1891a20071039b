/* store/import.c -- moving a SQLite record into another store (PostgreSQL), for
 * `cancelbot migrate --from sqlite:FILE`. The file is first brought to this version's
 * schema (as `run` would), then read table by table with SQLite's own API, and every
 * row is written in ONE transaction of the destination: a failure leaves it as it was.
 * Only into an empty record: merging two records would mix two id sequences. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store/store_int.h"
#include "store/sqlite_int.h"

#define IMPORT_MAX_COLS 32

/* In the order foreign keys need (requests before what refers to them). */
static const char *const import_tables[] = {
    "requests", "events", "outbox", "dedup", "counters", "settings", "intents", "messages",
};

static int count_one(void *ud, const struct request *rq)
{
    (void)rq;
    ++*(long *)ud;
    return 1;                            /* one is enough */
}

static int import_table(struct store *dst, sqlite3 *src, const char *table, long *rows,
                        char *err, size_t errlen)
{
    char sql[128];
    const char *cols[IMPORT_MAX_COLS], *vals[IMPORT_MAX_COLS];
    sqlite3_stmt *st = NULL;
    int n, step, rc = STORE_OK;
    snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", table);
    if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "reading %s: %s", table, sqlite3_errmsg(src));
        return STORE_E_IO;
    }
    n = sqlite3_column_count(st);
    if (n < 1 || n > IMPORT_MAX_COLS) {
        snprintf(err, errlen, "reading %s: %d columns", table, n);
        sqlite3_finalize(st);
        return STORE_E_SCHEMA;
    }
    for (int i = 0; i < n; i++)
        cols[i] = sqlite3_column_name(st, i);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            vals[i] = sqlite3_column_type(st, i) == SQLITE_NULL
                          ? NULL : (const char *)sqlite3_column_text(st, i);
        if ((rc = dst->ops->import_row(dst, table, n, cols, vals)) != STORE_OK) {
            snprintf(err, errlen, "writing %s: %s", table, store_last_error(dst));
            break;
        }
        ++*rows;
    }
    if (rc == STORE_OK && step != SQLITE_DONE) {
        snprintf(err, errlen, "reading %s: %s", table, sqlite3_errmsg(src));
        rc = STORE_E_IO;
    }
    sqlite3_finalize(st);
    return rc;
}

int store_import_sqlite(struct store *dst, const char *path, long *rows, char *err,
                        size_t errlen)
{
    struct store *old = NULL;
    sqlite3 *src = NULL;
    long existing = 0;
    char why[256];
    int rc;
    *rows = 0;
    if (!dst->ops->import_row) {
        snprintf(err, errlen, "the destination cannot take an import; a SQLite record is "
                 "moved by copying its file (sqlite3 FILE \".backup COPY\")");
        return STORE_E_INVALID;
    }
    if ((rc = store_list_requests(dst, STORE_LIST_ALL, NULL, 1, count_one, &existing)) != STORE_OK) {
        snprintf(err, errlen, "reading the destination: %s", store_last_error(dst));
        return rc;
    }
    if (existing) {
        snprintf(err, errlen, "the destination already holds requests; import only into an "
                 "empty record");
        return STORE_E_CONFLICT;
    }
    /* Current schema first, as `run` would bring it: the columns then match. */
    if ((rc = store_open_existing(path, &old, why, sizeof(why))) != STORE_OK) {
        snprintf(err, errlen, "%s: %s", path, rc == STORE_E_NOT_FOUND ? "no such file" : why);
        return rc;
    }
    store_close(old);
    if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite_reason(src, why, sizeof(why));
        snprintf(err, errlen, "%s: %s", path, why);
        sqlite3_close(src);
        return STORE_E_IO;
    }
    if ((rc = store_batch_begin(dst)) != STORE_OK) {
        snprintf(err, errlen, "%s", store_last_error(dst));
        sqlite3_close(src);
        return rc;
    }
    for (size_t i = 0; rc == STORE_OK && i < sizeof(import_tables) / sizeof(import_tables[0]); i++)
        rc = import_table(dst, src, import_tables[i], rows, err, errlen);
    if (rc == STORE_OK && (rc = dst->ops->import_finish(dst)) != STORE_OK)
        snprintf(err, errlen, "%s", store_last_error(dst));
    if (rc == STORE_OK && (rc = store_batch_commit(dst)) != STORE_OK)
        snprintf(err, errlen, "%s", store_last_error(dst));
    if (rc != STORE_OK) {
        store_batch_rollback(dst);
        *rows = 0;
    }
    sqlite3_close(src);
    return rc;
}
