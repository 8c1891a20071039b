/* bench/store_fill.c -- grows a cancelbot database to N requests, fast, for the
 * store-size runs of the bench.
 *
 *   store_fill --db FILE --count N
 *
 * The database must hold a few template requests that the real bot made (bench/run.sh
 * drives it through /cancel, Confirm and Approve first), e.g. CR-1 submitted and
 * CR-2 awaiting approval. Each template is cloned, round after round, under fresh ids
 * (CR-10, CR-11, ...: past any template) until N clones exist, with its event history and its outbox
 * rows (pending timers included).
 *
 * Why clone instead of writing rows: the schema is not ours and it changes (new
 * columns on requests and outbox). So nothing here names a column: every table that
 * has an `id` (requests) or a `request_id` column (events, outbox, whatever comes
 * next) is copied with INSERT ... SELECT over the columns PRAGMA table_info lists,
 * every text value with the template's id replaced by the clone's (the request JSON,
 * the messages in the outbox), every other value as it is, and the INTEGER PRIMARY KEY
 * left out so SQLite numbers the rows. The id counter then moves past the clones, so
 * the bot's next request gets a fresh id.
 *
 * Replacing "CR-1" in text is only safe when no template id is a prefix of another
 * id in its rows, so the templates must be at most 9 (CR-1 ... CR-9). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#define MAX_TEMPLATES 9
#define SQL_MAX 16384

struct templ { char id[32]; };

static int fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "store_fill: %s: %s\n", what, sqlite3_errmsg(db));
    return -1;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "store_fill: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/* The INSERT ... SELECT that clones one template's rows of one table: ?1 template
 * id, ?2 its first clone number, ?3 templates per round, ?4 clones wanted of it.
 * key: the column naming the request ("id" or "request_id"). Returns 0 and the SQL,
 * 1 when the table is not about requests, -1 on error. */
static int clone_sql(sqlite3 *db, const char *table, const char *prefix, char *sql,
                     size_t cap)
{
    char q[256], cols[SQL_MAX / 2] = "", exprs[SQL_MAX] = "", key[16] = "";
    sqlite3_stmt *st;
    size_t cl = 0, el = 0;
    snprintf(q, sizeof q, "PRAGMA table_info(\"%s\")", table);
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
        return fail(db, q);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        int pk = sqlite3_column_int(st, 5);
        if (!strcmp(name, "request_id") || (!strcmp(name, "id") && !strcmp(table, "requests")))
            snprintf(key, sizeof key, "%s", name);
        if (pk == 1 && type && !sqlite3_stricmp(type, "INTEGER"))
            continue;               /* the rowid: SQLite numbers the clones */
        cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s\"%s\"", cl ? ", " : "", name);
        el += (size_t)snprintf(exprs + el, sizeof exprs - el,
                               "%sCASE WHEN typeof(t.\"%s\") = 'text' THEN replace(t.\"%s\", ?1,"
                               " '%s' || (?2 + seq.k * ?3)) ELSE t.\"%s\" END",
                               el ? ", " : "", name, name, prefix, name);
        if (cl >= sizeof cols || el >= sizeof exprs) {
            sqlite3_finalize(st);
            fprintf(stderr, "store_fill: table %s has too many columns\n", table);
            return -1;
        }
    }
    sqlite3_finalize(st);
    if (!key[0])
        return 1;
    snprintf(sql, cap, "WITH RECURSIVE seq(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM seq"
             " WHERE k + 1 < ?4) INSERT INTO \"%s\" (%s) SELECT %s FROM seq CROSS JOIN \"%s\" t"
             " WHERE t.\"%s\" = ?1 ORDER BY seq.k", table, cols, exprs, table, key);
    return 0;
}

static int clone_table(sqlite3 *db, const char *table, const struct templ *tp, int n_tp,
                       const char *prefix, long first, long count)
{
    static char sql[SQL_MAX * 2];
    sqlite3_stmt *st;
    int rc = clone_sql(db, table, prefix, sql, sizeof sql);
    if (rc)
        return rc > 0 ? 0 : -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, table);
    for (int i = 0; i < n_tp && i < count; i++) {
        /* template i makes clones first + i, first + i + n_tp, ... below first + count */
        long wanted = (count - i + n_tp - 1) / n_tp;
        sqlite3_bind_text(st, 1, tp[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, first + i);
        sqlite3_bind_int(st, 3, n_tp);
        sqlite3_bind_int64(st, 4, wanted);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return fail(db, table);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    printf("store_fill: %s cloned\n", table);
    return 0;
}

/* requests first: the other tables refer to them. */
static int clone_all(sqlite3 *db, const struct templ *tp, int n_tp, const char *prefix,
                     long first, long count)
{
    sqlite3_stmt *st;
    int rc = clone_table(db, "requests", tp, n_tp, prefix, first, count);
    if (rc || sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
                                 " AND name <> 'requests' AND name NOT LIKE 'sqlite_%'"
                                 " ORDER BY name", -1, &st, NULL) != SQLITE_OK)
        return rc ? rc : fail(db, "tables");
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char name[128];
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = clone_table(db, name, tp, n_tp, prefix, first, count);
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_templates(sqlite3 *db, struct templ *tp, int *n_tp, char *prefix, size_t cap)
{
    sqlite3_stmt *st;
    *n_tp = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, state FROM requests ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(db, "templates");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        printf("store_fill: template %s (%s)\n", id, (const char *)sqlite3_column_text(st, 1));
        const char *dash = strchr(id, '-');
        if (*n_tp >= MAX_TEMPLATES || !dash || strlen(dash) != 2 || dash[1] < '1' ||
            dash[1] > '9' || (*n_tp && strncmp(prefix, id, (size_t)(dash - id + 1)))) {
            fprintf(stderr, "store_fill: the templates must be CR-1 ... CR-9 (found %s)\n", id);
            sqlite3_finalize(st);
            return -1;
        }
        snprintf(prefix, cap, "%.*s", (int)(dash - id + 1), id);
        snprintf(tp[(*n_tp)++].id, sizeof tp->id, "%s", id);
    }
    sqlite3_finalize(st);
    if (!*n_tp)
        fputs("store_fill: no template requests in the database\n", stderr);
    return *n_tp ? 0 : -1;
}

/* The id counter (counters.name is the prefix without '-') moves past the clones. */
static int bump_counter(sqlite3 *db, const char *prefix, long last)
{
    sqlite3_stmt *st;
    int ok;
    if (sqlite3_prepare_v2(db, "UPDATE counters SET value = ?2 WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(db, "counter");
    sqlite3_bind_text(st, 1, prefix, (int)strlen(prefix) - 1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, last);
    ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1;
    sqlite3_finalize(st);
    if (!ok)
        fprintf(stderr, "store_fill: no counter %.*s to move\n", (int)strlen(prefix) - 1, prefix);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    long count = 0;
    struct templ tp[MAX_TEMPLATES];
    char prefix[16];
    int n_tp, rc = 1;
    sqlite3 *db = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db"))
            path = argv[i + 1];
        else if (!strcmp(argv[i], "--count"))
            count = atol(argv[i + 1]);
    }
    if (!path || count < 1 || count > 10000000) {
        fputs("usage: store_fill --db FILE --count N\n", stderr);
        return 2;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "store_fill: cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    /* one transaction; a crash mid-fill only costs a re-run, so no fsync per page */
    if (load_templates(db, tp, &n_tp, prefix, sizeof prefix) ||
        exec(db, "PRAGMA synchronous = OFF") || exec(db, "BEGIN IMMEDIATE"))
        goto out;
    /* the first free number is past the templates: their ids are 1 ... n_tp at most 9 */
    if (clone_all(db, tp, n_tp, prefix, MAX_TEMPLATES + 1, count) ||
        bump_counter(db, prefix, MAX_TEMPLATES + count) || exec(db, "COMMIT")) {
        exec(db, "ROLLBACK");
        goto out;
    }
    printf("store_fill: %ld requests cloned from %d template(s) as %s%d ... %s%ld\n", count,
           n_tp, prefix, MAX_TEMPLATES + 1, prefix, MAX_TEMPLATES + count);
    rc = 0;
out:
    sqlite3_close(db);
    return rc;
}
