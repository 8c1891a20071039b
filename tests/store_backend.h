/* tests/store_backend.h -- the store tests run on either backend: ctest registers
 * each of them twice, CANCELBOT_TEST_STORE=sqlite (a file in a fresh temporary
 * directory) and CANCELBOT_TEST_STORE=pg (a fresh schema in the PostgreSQL database
 * of CANCELBOT_TEST_DATABASE_URL, which deploy/setup.sh's test path starts). Without
 * that URL the PostgreSQL run is skipped, saying why (exit 77, ctest's SKIP).
 *
 * A test_db is one record; a second, raw connection to it (test_db_int/text/exec)
 * plays the operator or the fault: it counts rows, corrupts a row, drops a table. */
#ifndef CANCELBOT_TESTS_STORE_BACKEND_H
#define CANCELBOT_TESTS_STORE_BACKEND_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include "store/store.h"

#define TEST_SKIP 77

struct test_db {
    int pg;                         /* 0: SQLite */
    char dir[64];                   /* SQLite: its temporary directory */
    char path[128];                 /* SQLite: the file */
    char schema[64];                /* PostgreSQL: the test's own schema */
    char conninfo[1024];            /* PostgreSQL: the URL, searching that schema */
};

static inline int test_backend_is_pg(void)
{
    const char *b = getenv("CANCELBOT_TEST_STORE");
    return b && strcmp(b, "pg") == 0;
}

/* main()'s first call: a PostgreSQL run without a database is skipped, loudly. */
static inline void test_backend_require(const char *program)
{
    const char *url = getenv("CANCELBOT_TEST_DATABASE_URL");
    if (test_backend_is_pg() && !(url && *url)) {
        printf("%s: SKIPPED on PostgreSQL: CANCELBOT_TEST_DATABASE_URL is not set (bash "
               "deploy/setup.sh test starts a throwaway cluster and sets it)\n", program);
        exit(TEST_SKIP);
    }
    printf("%s: on %s\n", program, test_backend_is_pg() ? "PostgreSQL" : "SQLite");
}

/* Runs sql on the base database (not the test's schema); 0 on success. */
static inline int test_pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("CANCELBOT_TEST_DATABASE_URL"));
    PGresult *r = NULL;
    int rc;
    if (PQstatus(c) == CONNECTION_OK) {
        PQclear(PQexec(c, "SET client_min_messages = warning"));    /* no "drop cascades" */
        r = PQexec(c, sql);
    }
    rc = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        fprintf(stderr, "test_pg_admin: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return rc;
}

static inline int test_db_create(struct test_db *d)
{
    static int made;                /* schemas made by this program */
    const char *url = getenv("CANCELBOT_TEST_DATABASE_URL");
    char sql[128];
    memset(d, 0, sizeof(*d));
    d->pg = test_backend_is_pg();
    if (!d->pg) {
        snprintf(d->dir, sizeof(d->dir), "/tmp/cb-store-XXXXXX");
        if (!mkdtemp(d->dir))
            return -1;
        snprintf(d->path, sizeof(d->path), "%s/cancelbot.db", d->dir);
        return 0;
    }
    snprintf(d->schema, sizeof(d->schema), "cbt_%ld_%d", (long)getpid(), ++made);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        snprintf(d->conninfo, sizeof(d->conninfo), "%s%coptions=-csearch_path%%3D%s", url,
                 strchr(url, '?') ? '&' : '?', d->schema);
    else
        snprintf(d->conninfo, sizeof(d->conninfo), "%s options='-csearch_path=%s'", url,
                 d->schema);
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", d->schema);
    return test_pg_admin(sql);
}

static inline void test_db_destroy(struct test_db *d)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    char p[160];
    if (d->pg) {
        snprintf(p, sizeof(p), "DROP SCHEMA %s CASCADE", d->schema);
        test_pg_admin(p);
        return;
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", d->path, suffixes[i]);
        unlink(p);
    }
    rmdir(d->dir);
}

static inline int test_db_open(const struct test_db *d, struct store **out)
{
    char err[256];
    int rc;
    if (!d->pg)
        return store_open(d->path, out, NULL, 0);
    if ((rc = store_open_postgres(d->conninfo, out, err, sizeof(err))) != STORE_OK)
        fprintf(stderr, "test_db_open: %s\n", err);
    return rc;
}

/* The raw connection: the first column of the first row as text ("" if none;
 * PostgreSQL's booleans as 1 and 0, as SQLite gives them). */
static inline int test_db_query(const struct test_db *d, const char *sql, char *out, size_t outlen)
{
    int rc = -1;
    out[0] = '\0';
    if (d->pg) {
        PGconn *c = PQconnectdb(d->conninfo);
        PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
        if (r && (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)) {
            rc = 0;
            if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
                const char *v = PQgetvalue(r, 0, 0);
                if (PQftype(r, 0) == 16)                    /* BOOLOID */
                    v = strcmp(v, "t") == 0 ? "1" : "0";
                snprintf(out, outlen, "%s", v);
            }
        }
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(d->path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW || step == SQLITE_DONE)
            rc = 0;
        if (step == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* -1 on error. */
static inline long long test_db_int(const struct test_db *d, const char *sql)
{
    char v[64];
    if (test_db_query(d, sql, v, sizeof(v)) != 0 || !v[0])
        return -1;
    return strtoll(v, NULL, 10);
}

static inline void test_db_text(const struct test_db *d, const char *sql, char *out, size_t outlen)
{
    test_db_query(d, sql, out, outlen);
}

/* Statements without results (several allowed on SQLite: sqlite3_exec); 0 on success. */
static inline int test_db_exec(const struct test_db *d, const char *sql)
{
    char unused[8];
    sqlite3 *db = NULL;
    int rc;
    if (d->pg)
        return test_db_query(d, sql, unused, sizeof(unused));
    rc = sqlite3_open_v2(d->path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

#endif
