/* tests/test_store_wake.c -- the store's connection and wake-ups (store/postgres_conn.c),
 * on either backend (tests/store_backend.h). On PostgreSQL: a committed transition
 * with effects wakes the other processes' connections, a rolled-back one does not,
 * and our own notifications are not counted; a connection cut by the server is noted
 * once, calls fail at once meanwhile, it comes back after the back-off, and a batch
 * cut in the middle leaves nothing half-open behind. On SQLite: always up, nothing to
 * watch, no wake-ups. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tests/check.h"
#include "tests/store_backend.h"
#include "store/store.h"

#define T0 1764064800000LL
#define SEC 1000LL

struct conn_log {
    int lost, back;
    char why[256];
    int64_t down_ms;
};

static void on_connection(void *ud, int up, const char *why, int64_t down_ms)
{
    struct conn_log *l = ud;
    if (up) {
        l->back++;
        l->down_ms = down_ms;
    } else {
        l->lost++;
        snprintf(l->why, sizeof(l->why), "%s", why ? why : "");
    }
}

/* The test's URL with an application_name, so the test can find its own connection
 * among those of other tests running at the same time. */
static int open_named(const struct test_db *d, const char *name, struct store **out)
{
    char conninfo[sizeof(d->conninfo) + 128], err[256];
    int rc;
    if (!d->pg)
        return store_open(d->path, out, NULL, 0);
    snprintf(conninfo, sizeof(conninfo), "%s%sapplication_name=%s_%s", d->conninfo,
             strstr(d->conninfo, "://") ? "&" : " ", d->schema, name);
    if ((rc = store_open_postgres(conninfo, out, err, sizeof(err))) != STORE_OK)
        fprintf(stderr, "open_named: %s\n", err);
    return rc;
}

/* Ends the server side of the connection open_named named: what a server restart does. */
static int cut_connection(const struct test_db *d, const char *name)
{
    PGconn *c = PQconnectdb(getenv("CANCELBOT_TEST_DATABASE_URL"));
    char full[128];
    const char *params[1] = {full};
    snprintf(full, sizeof(full), "%s_%s", d->schema, name);
    PGresult *r = PQexecParams(c, "SELECT COUNT(pg_terminate_backend(pid)) FROM"
                                  " pg_stat_activity WHERE application_name = $1",
                               1, NULL, params, NULL, NULL, 0);
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return n;
}

/* Waits (bounded) for the store's descriptor to be readable, then takes the wake-ups. */
static int wakeups_within(struct store *s, int ms)
{
    struct pollfd pfd = {store_wake_fd(s), POLLIN, 0};
    if (pfd.fd >= 0)
        poll(&pfd, 1, ms);
    return store_take_wakeups(s);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void request_with_effect(struct request *rq, struct effect_list *fx, const char *id)
{
    memset(rq, 0, sizeof(*rq));
    memset(fx, 0, sizeof(*fx));
    request_copy_str(rq->id, sizeof(rq->id), id);
    rq->state = REQUEST_AWAITING_APPROVAL;
    request_copy_str(rq->requester, sizeof(rq->requester), "U0ALICE");
    rq->created_ms = rq->updated_ms = T0;
    fx->len = 1;
    fx->items[0].kind = EFFECT_POST_CARD;
}

static void test_commit_wakes_the_others_and_a_rollback_does_not(void)
{
    struct test_db db;
    struct store *a = NULL, *b = NULL;
    struct request rq;
    struct effect_list fx;
    if (test_db_create(&db) != 0 || open_named(&db, "wake_a", &a) || open_named(&db, "wake_b", &b)) {
        CHECK(!"open");
        goto out;
    }
    if (!db.pg) {
        CHECK(store_wake_fd(a) == -1);
        CHECK(store_is_up(a) == 1);
        CHECK(store_reconnect(a, NULL) == STORE_OK);
        request_with_effect(&rq, &fx, "CR-1");
        CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
        CHECK(store_take_wakeups(b) == 0);
        goto out;
    }
    CHECK(store_wake_fd(b) >= 0);
    CHECK(wakeups_within(b, 0) == 0);                /* nothing yet */
    /* Rolled back: the notification goes with the transaction. */
    request_with_effect(&rq, &fx, "CR-1");
    CHECK(store_batch_begin(a) == STORE_OK);
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    store_batch_rollback(a);
    CHECK(wakeups_within(b, 300) == 0);
    /* Committed: b hears of it; a's own comes back to a and is not counted. */
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(wakeups_within(b, 2000) == 1);
    CHECK(wakeups_within(a, 100) == 0);
    /* Inside a committed batch: delivered once the batch commits, not before. */
    request_with_effect(&rq, &fx, "CR-2");
    CHECK(store_batch_begin(a) == STORE_OK);
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(wakeups_within(b, 200) == 0);
    CHECK(store_batch_commit(a) == STORE_OK);
    CHECK(wakeups_within(b, 2000) == 1);
    /* A transition without effects makes nothing due: no wake-up. */
    rq.version = 1;
    fx.len = 0;
    CHECK(store_commit_transition(a, &rq, REQUEST_AWAITING_APPROVAL, NULL, &fx, NULL, T0) ==
          STORE_OK);
    CHECK(wakeups_within(b, 200) == 0);
out:
    store_close(a);
    store_close(b);
    test_db_destroy(&db);
}

static void test_lost_connection_comes_back(void)
{
    struct test_db db;
    struct store *a = NULL;
    struct conn_log log;
    struct request rq, got;
    struct effect_list fx;
    int64_t retry = -1;
    unsigned serial;
    memset(&log, 0, sizeof(log));
    if (!test_backend_is_pg())
        return;                                      /* SQLite: nothing to lose */
    if (test_db_create(&db) != 0 || open_named(&db, "lost_a", &a)) {
        CHECK(!"open");
        goto out;
    }
    store_on_connection(a, on_connection, &log);
    serial = store_wake_serial(a);
    request_with_effect(&rq, &fx, "CR-1");
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(cut_connection(&db, "lost_a") == 1);
    CHECK(store_load_request(a, "CR-1", &got) == STORE_E_IO);
    CHECK(store_is_up(a) == 0);
    CHECK(store_wake_fd(a) == -1);
    CHECK(log.lost == 1 && log.back == 0);
    CHECK_CONTAINS(log.why, "load request");
    /* Within the back-off: at once, without trying, and the loss is not told twice. */
    CHECK(store_load_request(a, "CR-1", &got) == STORE_E_IO);
    CHECK_CONTAINS(store_last_error(a), "unreachable");
    CHECK(store_reconnect(a, &retry) == STORE_E_IO);
    CHECK(retry > 0 && retry <= 100);
    CHECK(log.lost == 1);
    sleep_ms(120);
    CHECK(store_load_request(a, "CR-1", &got) == STORE_OK);
    CHECK(store_is_up(a) == 1);
    CHECK(log.back == 1 && log.down_ms >= 50);
    CHECK(store_wake_fd(a) >= 0 && store_wake_serial(a) != serial);
    /* It LISTENs again: another process's commit reaches it. */
    {
        struct store *b = NULL;
        CHECK(open_named(&db, "lost_b", &b) == STORE_OK);
        request_with_effect(&rq, &fx, "CR-2");
        CHECK(b && store_commit_transition(b, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) ==
                       STORE_OK);
        CHECK(wakeups_within(a, 2000) == 1);
        store_close(b);
    }
out:
    store_close(a);
    test_db_destroy(&db);
}

/* The batch the connection died under fails at its commit; the next one is clean. */
static void test_batch_cut_by_a_lost_connection(void)
{
    struct test_db db;
    struct store *a = NULL;
    struct request rq, got;
    struct effect_list fx;
    if (!test_backend_is_pg())
        return;
    if (test_db_create(&db) != 0 || open_named(&db, "batch_a", &a)) {
        CHECK(!"open");
        goto out;
    }
    CHECK(store_batch_begin(a) == STORE_OK);
    request_with_effect(&rq, &fx, "CR-1");
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(cut_connection(&db, "batch_a") == 1);
    request_with_effect(&rq, &fx, "CR-2");
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_E_IO);
    sleep_ms(120);              /* past the back-off: still no reconnecting mid-batch */
    CHECK(store_load_request(a, "CR-1", &got) == STORE_E_IO);
    CHECK_CONTAINS(store_last_error(a), "during this batch");
    CHECK(store_batch_commit(a) == STORE_E_IO);
    CHECK(store_in_batch(a) == 0);
    /* The next batch reconnects and starts clean; nothing of the cut one was kept. */
    CHECK(store_batch_begin(a) == STORE_OK);
    CHECK(store_load_request(a, "CR-1", &got) == STORE_E_NOT_FOUND);
    request_with_effect(&rq, &fx, "CR-3");
    CHECK(store_commit_transition(a, &rq, REQUEST_DRAFT, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(store_batch_commit(a) == STORE_OK);
    CHECK(test_db_int(&db, "SELECT COUNT(*) FROM requests") == 1);
    CHECK(test_db_int(&db, "SELECT COUNT(*) FROM outbox") == 1);
out:
    store_close(a);
    test_db_destroy(&db);
}

int main(void)
{
    test_backend_require("test_store_wake");
    RUN(test_commit_wakes_the_others_and_a_rollback_does_not);
    RUN(test_lost_connection_comes_back);
    RUN(test_batch_cut_by_a_lost_connection);
    return check_summary();
}
