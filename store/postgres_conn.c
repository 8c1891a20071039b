/* store/postgres_conn.c -- the PostgreSQL backend's connection: connecting, losing it
 * and getting it back, and the LISTEN/NOTIFY wake-ups between replicas.
 *
 * DESIGN
 * - Wake-ups: a write that makes work due for someone (new effects, a new intent, an
 *   effect put back sooner: a retry, released leases) also runs
 *   pg_notify('cancelbot_due.<schema>', due_ms) in its own transaction, so it is delivered at
 *   the commit and never for a rollback (a savepoint rolled back takes its
 *   notifications with it). Every connection LISTENs; the runtime watches the socket
 *   (store_wake_fd) and, when it is readable, counts what came (store_take_wakeups)
 *   and takes a turn. Our own notifications come back too: they are not counted. The
 *   payload is informational: a woken process reads the due times from the outbox.
 * - Losing the connection: after a failed statement, PQstatus CONNECTION_BAD means
 *   the server or the network is gone. The store is then down: the owner hears of it
 *   once (store_on_connection, with libpq's reason, scrubbed of the password), every
 *   call fails at once with STORE_E_IO while a back-off runs (100 ms doubling to
 *   10 s, each wait drawn between half and all of it, so replicas do not reconnect
 *   in step), and the first call after the back-off connects again (connect_timeout
 *   2 s: a call never stalls the loop for long), LISTENs again, and the owner hears
 *   how long it was down. A batch that was open when the connection went is failed
 *   (batch_failed): its commit reports it and the next batch starts clean; nothing
 *   reconnects under an open batch, whose earlier writes died with the connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/postgres_int.h"

#define PG_CONNECT_TIMEOUT_S "10"
#define PG_RECONNECT_TIMEOUT_S "2"      /* libpq's minimum */
#define PG_STATEMENT_TIMEOUT_MS "10000"
#define PG_BACKOFF_FIRST_MS 100
#define PG_BACKOFF_MAX_MS 10000

static int64_t pg_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pg_quiet_notices(void *ud, const char *message)
{
    (void)ud;
    (void)message;              /* "relation already exists, skipping" and the like */
}

/* One statement of the session's set-up, on a connection not yet in use. */
static int pg_setup(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

/* Channels are the database's, not a schema's: records in schemas side by side (the
 * tests' do) would wake each other for nothing, so the channel names the schema. */
static int pg_listen(struct pg_store *p, PGconn *conn)
{
    PGresult *r = PQexec(conn, "SELECT coalesce(current_schema(), '')");
    char sql[128], *quoted;
    int rc;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return -1;
    }
    snprintf(p->channel, sizeof(p->channel), "%s.%s", PG_WAKE_CHANNEL, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!(quoted = PQescapeIdentifier(conn, p->channel, strlen(p->channel))))
        return -1;
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    rc = pg_setup(conn, sql);
    return rc;
}

/* A failed connection is worth trying again (STORE_E_UNREACHABLE) unless the server
 * answered and refused us: a login, a database or role that does not exist, an
 * address pg_hba.conf turns away, TLS settings that cannot work. Those stay refused
 * however long we wait (STORE_E_IO); everything else (refused, timed out, a host name
 * not resolved yet, "the database system is starting up", too many clients) may pass. */
static int pg_connect_failure(PGconn *conn)
{
    static const char *const refusals[] = {
        "authentication failed", "no password supplied", "password is required",
        "does not exist", "no pg_hba.conf entry", "permission denied", "SSL was required",
        "does not support SSL", "certificate", "invalid", "unsupported",
    };
    const char *msg = conn ? PQerrorMessage(conn) : "";
    if (conn && PQconnectionNeedsPassword(conn))
        return STORE_E_IO;
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
        if (strstr(msg, refusals[i]))
            return STORE_E_IO;
    return STORE_E_UNREACHABLE;
}

int pg_connect(struct pg_store *p, int again, char *err, size_t errlen)
{
    /* Ours come before the string, which may override them; PG* variables fill what
     * neither sets, so ours are left out where such a variable is set. A reconnection
     * is bounded more tightly, whatever the string says: it happens on the loop. */
    const char *keys[10], *vals[10];
    PGconn *conn;
    int n = 0;
    if (!getenv("PGCONNECT_TIMEOUT"))
        keys[n] = "connect_timeout", vals[n++] = PG_CONNECT_TIMEOUT_S;
    if (!getenv("PGAPPNAME"))
        keys[n] = "application_name", vals[n++] = "cancelbot";
    keys[n] = "keepalives_idle", vals[n++] = "10";
    keys[n] = "keepalives_interval", vals[n++] = "5";
    keys[n] = "keepalives_count", vals[n++] = "3";
    keys[n] = "tcp_user_timeout", vals[n++] = "30000";
    keys[n] = "dbname", vals[n++] = p->conninfo;
    if (again)
        keys[n] = "connect_timeout", vals[n++] = PG_RECONNECT_TIMEOUT_S;
    keys[n] = NULL, vals[n] = NULL;
    conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        int rc = conn ? pg_connect_failure(conn) : STORE_E_IO;
        if (conn)
            pg_redact(&p->base, PQerrorMessage(conn), err, errlen);
        else
            snprintf(err, errlen, "out of memory");
        PQfinish(conn);
        return rc;
    }
    PQsetNoticeProcessor(conn, pg_quiet_notices, NULL);
    if (pg_setup(conn, "SET statement_timeout = " PG_STATEMENT_TIMEOUT_MS) ||
        pg_listen(p, conn)) {
        pg_redact(&p->base, PQerrorMessage(conn), err, errlen);
        PQfinish(conn);
        return STORE_E_IO;
    }
    PQfinish(p->conn);
    p->conn = conn;
    p->up = 1;
    p->base.wake_serial++;
    return STORE_OK;
}

/* A wait of between half and all of the back-off (xorshift: no shared state). */
static int64_t pg_jitter(struct pg_store *p, int64_t ms)
{
    uint64_t x = p->jitter ? p->jitter : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p->jitter = x;
    return ms / 2 + (int64_t)(x % (uint64_t)(ms / 2 + 1));
}

void pg_check_lost(struct store *s)
{
    struct pg_store *p = PG(s);
    if (!p->up || PQstatus(p->conn) != CONNECTION_BAD)
        return;
    p->up = 0;
    p->down_since_ms = pg_mono_ms();
    p->backoff_ms = PG_BACKOFF_FIRST_MS;
    p->retry_at_ms = p->down_since_ms + pg_jitter(p, p->backoff_ms);
    if (s->batch_depth > 0)
        s->batch_failed = 1;
    store_forget_decoded(s);
    if (s->on_connection)
        s->on_connection(s->on_connection_ud, 0, s->err, 0);
}

int pg_reconnect(struct store *s, int64_t *retry_in_ms)
{
    struct pg_store *p = PG(s);
    char why[200];
    int64_t now;
    if (p->up)
        return STORE_OK;
    now = pg_mono_ms();
    if (now < p->retry_at_ms || s->batch_depth > 0) {
        if (retry_in_ms)
            *retry_in_ms = p->retry_at_ms > now ? p->retry_at_ms - now : PG_BACKOFF_FIRST_MS;
        return store_failf(s, STORE_E_IO, "the database is unreachable (for %lld s); "
                           "reconnecting", (long long)(now - p->down_since_ms) / 1000);
    }
    if (pg_connect(p, 1, why, sizeof(why)) != STORE_OK) {
        now = pg_mono_ms();
        p->backoff_ms = p->backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS
                                                                : p->backoff_ms * 2;
        p->retry_at_ms = now + pg_jitter(p, p->backoff_ms);
        if (retry_in_ms)
            *retry_in_ms = p->retry_at_ms - now;
        return store_failf(s, STORE_E_IO, "the database is unreachable (for %lld s): %s",
                           (long long)(now - p->down_since_ms) / 1000, why);
    }
    if (s->on_connection)
        s->on_connection(s->on_connection_ud, 1, NULL, pg_mono_ms() - p->down_since_ms);
    return STORE_OK;
}

int pg_usable(struct store *s, const char *what)
{
    char why[sizeof(s->err)];
    int rc;
    if (PG(s)->up)
        return STORE_OK;
    if (s->batch_depth > 0) {
        s->batch_failed = 1;
        return store_failf(s, STORE_E_IO, "%s: the connection to the database was lost "
                           "during this batch", what);
    }
    if ((rc = pg_reconnect(s, NULL)) != STORE_OK) {
        snprintf(why, sizeof(why), "%s", s->err);
        return store_failf(s, rc, "%s: %s", what, why);
    }
    return STORE_OK;
}

int pg_is_up(const struct store *s)
{
    return PG(s)->up;
}

int pg_wake_fd(const struct store *s)
{
    return PG(s)->up ? PQsocket(PG(s)->conn) : -1;
}

int pg_take_wakeups(struct store *s)
{
    struct pg_store *p = PG(s);
    PGnotify *note;
    int n = 0, self;
    if (!p->up)
        return 0;
    /* A server that goes away says so first (FATAL, then end of stream). */
    if (!PQconsumeInput(p->conn) || PQstatus(p->conn) == CONNECTION_BAD) {
        char msg[200];
        pg_redact(s, PQerrorMessage(p->conn), msg, sizeof(msg));
        store_failf(s, STORE_E_IO, "wake-ups: %s", *msg ? msg : "the connection failed");
        pg_check_lost(s);
        return 0;
    }
    self = PQbackendPID(p->conn);
    while ((note = PQnotifies(p->conn))) {
        n += note->be_pid != self;
        PQfreemem(note);
    }
    return n;
}

int pg_notify_due(struct store *s, int64_t due_ms)
{
    char due[PG_INT_MAX];
    const char *params[2] = {PG(s)->channel, due_ms >= 0 ? pg_int(due, due_ms) : ""};
    return pg_query(s, "SELECT pg_notify($1, $2)", 2, params, NULL, NULL, "wake replicas");
}
