/* store/postgres_import.c -- rows of a SQLite record written into PostgreSQL, for
 * `cancelbot migrate --from sqlite:FILE` (store/import.c reads them). Column names
 * come from the source, values as text: PostgreSQL casts each to its column's type,
 * so one statement shape serves every table. Two tables differ: request counters
 * become the sequences' positions, and settings replace what this database's own
 * migrations made (above all the installation id, which is in every client token the
 * old record sent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/postgres_int.h"

#define IMPORT_MAX_COLS 32

/* Table and column names come from our own schema (store/import.c checks them), but
 * they go into SQL text: only [a-z_] is let through. */
static int plain_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
            return 0;
    return 1;
}

int pg_import_row(struct store *s, const char *table, int n, const char *const *cols,
                  const char *const *vals)
{
    char sql[2048];
    size_t used;
    int rc;
    if (n < 1 || n > IMPORT_MAX_COLS || !plain_name(table))
        return store_failf(s, STORE_E_INVALID, "import: table %s cannot be moved", table);
    if (strcmp(table, "counters") == 0) {
        const char *params[2] = {vals[0], vals[1]};
        if (n != 2 || !vals[0] || !vals[1])
            return store_failf(s, STORE_E_INVALID, "import: a counter without a value");
        /* A prefix this version does not know has no sequence: refused by regclass. */
        return pg_query(s, "SELECT setval(('counter_' || lower($1))::regclass, $2::bigint)",
                        2, params, NULL, NULL, "import counter");
    }
    used = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
    for (int i = 0; i < n; i++) {
        if (!plain_name(cols[i]))
            return store_failf(s, STORE_E_INVALID, "import: column %s of %s", cols[i], table);
        used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s%s", i ? ", " : "", cols[i]);
    }
    used += (size_t)snprintf(sql + used, sizeof(sql) - used, ") VALUES (");
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(sql + used, sizeof(sql) - used, "%s$%d", i ? ", " : "", i + 1);
    if (strcmp(table, "settings") == 0)
        used += (size_t)snprintf(sql + used, sizeof(sql) - used,
                                 ") ON CONFLICT (name) DO UPDATE SET value = excluded.value");
    else
        used += (size_t)snprintf(sql + used, sizeof(sql) - used, ")");
    if (used >= sizeof(sql))
        return store_failf(s, STORE_E_INVALID, "import: too many columns in %s", table);
    rc = pg_query(s, sql, n, vals, NULL, NULL, "import row");
    return rc;
}

/* Rows came with their ids: each identity goes on from the highest. */
int pg_import_finish(struct store *s)
{
    static const char *const ids[][2] = {{"events", "seq"}, {"outbox", "id"}, {"intents", "id"}};
    char sql[256];
    int rc;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
                 " COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)", ids[i][0], ids[i][1],
                 ids[i][1], ids[i][0]);
        if ((rc = pg_query(s, sql, 0, NULL, NULL, NULL, "import identities")))
            return rc;
    }
    return STORE_OK;
}
