/* tests/test_store.c -- the store against its contract in store/store.h, plus
 * request_json and the export, on the backend CANCELBOT_TEST_STORE names (SQLite or
 * PostgreSQL; tests/store_backend.h). Each test opens its own fresh record; a second,
 * raw connection plays the operator (or the fault): it counts rows, corrupts a row,
 * drops a table, or stamps a newer schema. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "tests/check.h"
#include "tests/store_backend.h"
#include "store/store.h"
#include "store/request_json.h"

#define T0 1795600800000LL              /* 2026-11-25T10:00:00Z */
#define SEC 1000LL
#define MIN (60 * SEC)
#define DAY (24 * 3600 * SEC)

/* ---- fixture: a store on a fresh record of the backend under test ---- */

struct fixture {
    struct test_db db;
    struct store *s;
};

static void fixture_close(struct fixture *f)
{
    store_close(f->s);
    f->s = NULL;
    test_db_destroy(&f->db);
}

static int fixture_open(struct fixture *f)
{
    int rc;
    memset(f, 0, sizeof(*f));
    if (test_db_create(&f->db) != 0) {
        CHECK(!"test_db_create failed");
        return -1;
    }
    rc = test_db_open(&f->db, &f->s);
    CHECK(rc == STORE_OK);
    if (rc != STORE_OK)
        fixture_close(f);
    return rc;
}

static void fixture_reopen(struct fixture *f)
{
    store_close(f->s);
    f->s = NULL;
    CHECK(test_db_open(&f->db, &f->s) == STORE_OK);
}

static long long raw_int(const struct fixture *f, const char *sql)
{
    return test_db_int(&f->db, sql);
}

static void raw_text(const struct fixture *f, const char *sql, char *out, size_t outlen)
{
    test_db_text(&f->db, sql, out, outlen);
}

static int raw_exec(const struct fixture *f, const char *sql)
{
    return test_db_exec(&f->db, sql);
}

/* ---- requests and transitions ---- */

/* Every field set, each to a different non-zero value, so a field the JSON forgets
 * shows up in the memcmp of a round trip. Filled in place: copying a struct may
 * leave padding bytes behind. */
static void full_request(struct request *rq, const char *id)
{
    memset(rq, 0, sizeof(*rq));
    request_copy_str(rq->id, sizeof(rq->id), id);
    rq->kind = REQUEST_REFUND;
    rq->state = REQUEST_SUBMITTED;
    rq->market = MARKET_AZURE;
    request_copy_str(rq->account, sizeof(rq->account), "emea");
    request_copy_str(rq->requester, sizeof(rq->requester), "U0ALICE");
    request_copy_str(rq->channel, sizeof(rq->channel), "C0CANCELS");
    request_copy_str(rq->card_ts, sizeof(rq->card_ts), "1795600800.000100");
    request_copy_str(rq->agreement.id, sizeof(rq->agreement.id), "agmt-1a2b3c");
    request_copy_str(rq->agreement.buyer_account, sizeof(rq->agreement.buyer_account), "123456789012");
    request_copy_str(rq->agreement.subscription_id, sizeof(rq->agreement.subscription_id),
                     "8f1d2c3b-0000-4000-8000-000000000001");
    request_copy_str(rq->agreement.offer_id, sizeof(rq->agreement.offer_id), "offer-9x8y");
    request_copy_str(rq->agreement.product, sizeof(rq->agreement.product), "Widget Pro \xc3\xa9");
    request_copy_str(rq->agreement.status, sizeof(rq->agreement.status), "ACTIVE");
    request_copy_str(rq->agreement.start_date, sizeof(rq->agreement.start_date), "2026-01-01T00:00:00Z");
    request_copy_str(rq->agreement.end_date, sizeof(rq->agreement.end_date), "2027-01-01T00:00:00Z");
    rq->agreement.value_cents = 5000050;
    request_copy_str(rq->agreement.currency, sizeof(rq->agreement.currency), "USD");
    request_copy_str(rq->reason_code, sizeof(rq->reason_code), "REPLACING_AGREEMENT");
    request_copy_str(rq->note, sizeof(rq->note), "Replacing with \"private\" offer,\nline 2\ttab");
    request_copy_str(rq->case_id, sizeof(rq->case_id), "12345");
    request_copy_str(rq->buyer_ref, sizeof(rq->buyer_ref), "ZD-778");
    request_copy_str(rq->next_step, sizeof(rq->next_step), "new offer");
    request_copy_str(rq->invoice_id, sizeof(rq->invoice_id), "INV-42");
    rq->refund_cents = 12000;
    request_copy_str(rq->refund_currency, sizeof(rq->refund_currency), "EUR");
    request_copy_str(rq->approvals[0].user, USER_ID_MAX, "U0FIN1");
    rq->approvals[0].at_ms = T0 + 1 * SEC;
    request_copy_str(rq->approvals[0].via, sizeof(rq->approvals[0].via), "button");
    request_copy_str(rq->approvals[1].user, USER_ID_MAX, "U0FIN2");
    rq->approvals[1].at_ms = T0 + 2 * SEC;
    request_copy_str(rq->approvals[1].via, sizeof(rq->approvals[1].via), "reaction");
    rq->n_approvals = 2;
    rq->approvals_needed = 3;
    request_copy_str(rq->decided_by, sizeof(rq->decided_by), "U0BOB");
    request_copy_str(rq->decision_note, sizeof(rq->decision_note), "fine by me");
    request_copy_str(rq->provider_ref, sizeof(rq->provider_ref), "acr-0123456789");
    request_copy_str(rq->provider_status, sizeof(rq->provider_status), "PENDING_APPROVAL");
    request_copy_str(rq->buyer_link, sizeof(rq->buyer_link), "https://console.aws.amazon.com/x?a=1&b=2");
    request_copy_str(rq->failure, sizeof(rq->failure), "none yet");
    rq->created_ms = T0;
    rq->updated_ms = T0 + 5;
    rq->confirmed_ms = T0 + 6;
    rq->submitted_ms = T0 + 7;
    rq->buyer_deadline_ms = T0 + 7 * DAY;
    rq->closed_ms = T0 + 8;
    rq->reminders_sent = 4;
    rq->polls_unchanged = 5;
    rq->withdrawing = 1;
}

static void small_request(struct request *rq, const char *id, enum request_state state,
                          const char *requester, int64_t created_ms)
{
    memset(rq, 0, sizeof(*rq));
    request_copy_str(rq->id, sizeof(rq->id), id);
    rq->state = state;
    request_copy_str(rq->requester, sizeof(rq->requester), requester);
    request_copy_str(rq->channel, sizeof(rq->channel), "C0CANCELS");
    request_copy_str(rq->note, sizeof(rq->note), "Replacing with private offer offer-9x8y");
    rq->created_ms = created_ms;
    rq->updated_ms = created_ms;
}

static int commit_ev(struct store *s, const struct request *rq, enum request_state from,
                     enum request_event_kind kind, const char *actor, const char *text,
                     const struct effect_list *fx, const char *key, int64_t now_ms)
{
    /* As the runtime does: the transition is computed from what is stored now, so
     * it is written against the stored version (the version tests call
     * store_commit_transition themselves). */
    struct request_event ev;
    struct request cur, at = *rq;
    at.version = store_load_request(s, rq->id, &cur) == STORE_OK ? cur.version : 0;
    rq = &at;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    request_copy_str(ev.actor, sizeof(ev.actor), actor);
    request_copy_str(ev.via, sizeof(ev.via), "button");
    request_copy_str(ev.text, sizeof(ev.text), text);
    return store_commit_transition(s, rq, from, &ev, fx, key, now_ms);
}

/* A request with one pending timer per due time given (0 ends the list). */
static void request_with_timers(struct store *s, const char *id, const int64_t *due)
{
    struct request rq;
    struct effect_list fx = {0};
    small_request(&rq, id, REQUEST_SUBMITTED, "U0ALICE", T0);
    for (; *due; due++) {
        struct effect *e = effect_list_push(&fx, EFFECT_TIMER, *due);
        e->timer = TIMER_REMINDER;
    }
    CHECK(commit_ev(s, &rq, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, "marketplace", "", &fx,
                    NULL, T0) == STORE_OK);
}

/* ---- schema ---- */

static void test_open_creates_current_schema_in_wal_mode(void)
{
    struct fixture f;
    if (fixture_open(&f))
        return;
    CHECK(raw_int(&f, "SELECT MAX(version) FROM schema_version") == 5);
    if (f.db.pg) {
        CHECK(raw_int(&f, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema"
                          " = current_schema() AND table_name IN ('requests', 'events',"
                          " 'outbox', 'dedup', 'counters', 'settings', 'intents',"
                          " 'messages')") == 8);
        CHECK(raw_int(&f, "SELECT COUNT(*) FROM information_schema.sequences WHERE"
                          " sequence_schema = current_schema()") == 3);
    } else {
        char mode[16];
        CHECK(raw_int(&f, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN"
                          " ('requests', 'events', 'outbox', 'dedup', 'counters', 'settings',"
                          " 'intents', 'messages')") == 8);
        raw_text(&f, "PRAGMA journal_mode", mode, sizeof(mode));
        CHECK_STR(mode, "wal");
    }
    fixture_reopen(&f);                  /* a current database is not migrated again */
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM schema_version") == 5);
    fixture_close(&f);
}

static void test_newer_schema_is_refused(void)
{
    struct fixture f;
    struct store *other = NULL;
    if (fixture_open(&f))
        return;
    CHECK(raw_exec(&f, "INSERT INTO schema_version (version) VALUES (99)") == 0);
    CHECK(test_db_open(&f.db, &other) == STORE_E_SCHEMA);
    CHECK(other == NULL);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM schema_version") == 6);     /* untouched */
    fixture_close(&f);
}

static void test_open_of_impossible_path_fails_without_output(void)
{
    struct store *s = NULL;
    char why[256];
    CHECK(store_open("/nonexistent-cancelbot-dir/x/cancelbot.db", &s, why, sizeof(why)) ==
          STORE_E_IO);
    CHECK(s == NULL);
    /* SQLite's reason and the system's, not just "cannot open". */
    CHECK(strstr(why, "unable to open database file") != NULL);
    CHECK(strstr(why, "SQLite code 14") != NULL);
    CHECK(strstr(why, "No such file or directory") != NULL);
}

/* Root may write anywhere, but not under a regular file: the system's reason shows. */
static void test_open_under_a_file_says_not_a_directory(void)
{
    char dir[] = "/tmp/cancelbot-store-XXXXXX", file[64], path[96], why[256];
    struct store *s = NULL;
    FILE *f;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(file, sizeof(file), "%s/plain", dir);
    snprintf(path, sizeof(path), "%s/cancelbot.db", file);
    CHECK((f = fopen(file, "w")) != NULL);
    fclose(f);
    CHECK(store_open(path, &s, why, sizeof(why)) == STORE_E_IO);
    CHECK(s == NULL);
    CHECK(strstr(why, "Not a directory") != NULL);
    CHECK(store_open_existing(path, &s, why, sizeof(why)) != STORE_OK);
    CHECK(strstr(why, "Not a directory") != NULL || strstr(why, "no such file") != NULL);
    unlink(file);
    rmdir(dir);
}

/* No server there (port 1), or a string libpq cannot read: an error that says so,
 * and never the password, whichever way it was given. */
static void test_postgres_errors_never_show_the_password(void)
{
    static const char *const bad[] = {
        "postgresql://cancelbot:Sw0rdfish-PW@127.0.0.1:1/cancelbot?connect_timeout=2",
        "host=127.0.0.1 port=1 user=cancelbot password=Sw0rdfish-PW connect_timeout=2",
        "postgresql://cancelbot:Sw0rdfish-PW@127.0.0.1:1/cancelbot?sslmode=%zzSw0rdfish-PW",
        "host=127.0.0.1 password=Sw0rdfish-PW dbname",
    };
    struct store *s = NULL;
    char err[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(err, 'x', sizeof(err));
        CHECK(store_open_postgres(bad[i], &s, err, sizeof(err)) != STORE_OK);
        CHECK(s == NULL);
        CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
        CHECK(strstr(err, "Sw0rdfish") == NULL);
        if (strstr(err, "Sw0rdfish"))
            fprintf(stderr, "  leaked: %s\n", err);
    }
    /* Nothing listening: worth retrying (the runtime waits for it), unlike a refusal. */
    CHECK(store_open_postgres(bad[0], &s, err, sizeof(err)) == STORE_E_UNREACHABLE);
    CHECK_CONTAINS(err, "127.0.0.1");
    CHECK_CONTAINS(err, "refused");
    CHECK(store_open_postgres(bad[3], &s, err, sizeof(err)) == STORE_E_INVALID);
    CHECK_CONTAINS(err, "postgresql://");
}

/* The server answers and refuses (a database that does not exist): not a network
 * failure, so not retried; the server's reason is kept. Needs the test cluster. */
static void test_postgres_refusal_is_not_unreachable(void)
{
    const char *base = getenv("CANCELBOT_TEST_DATABASE_URL");
    const char *slash;
    char url[512], err[256];
    struct store *s = NULL;
    if (!base || !*base || !(slash = strrchr(base, '/')) || strchr(slash, '?'))
        return;
    snprintf(url, sizeof(url), "%.*s/cancelbot_no_such_database", (int)(slash - base), base);
    CHECK(store_open_postgres(url, &s, err, sizeof(err)) == STORE_E_IO);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "does not exist");
}

/* ---- request_json ---- */

static void test_json_round_trips_every_field(void)
{
    struct request a, b;
    char *text;
    full_request(&a, "RF-7");
    memset(&b, 0x5a, sizeof(b));
    text = request_json_dumps(&a);
    CHECK(text != NULL);
    CHECK(request_json_loads(text, &b, NULL) == 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    CHECK_CONTAINS(text, "\"state\":\"submitted\"");
    CHECK_CONTAINS(text, "\"kind\":\"refund\"");
    CHECK_CONTAINS(text, "\"market\":\"azure\"");
    CHECK_CONTAINS(text, "\"created_ms\":1795600800000");
    free(text);
}

static void test_json_missing_and_unknown_keys_are_tolerated(void)
{
    struct request rq;
    memset(&rq, 0x5a, sizeof(rq));
    CHECK(request_json_loads("{\"id\":\"CR-1\",\"state\":\"awaiting_approval\","
                             "\"field_from_the_future\":[1,{\"x\":2}],\"agreement\":{}}",
                             &rq, NULL) == 0);
    CHECK_STR(rq.id, "CR-1");
    CHECK(rq.state == REQUEST_AWAITING_APPROVAL);
    CHECK(rq.kind == REQUEST_CANCEL && rq.market == MARKET_AWS);
    CHECK_STR(rq.note, "");
    CHECK(rq.created_ms == 0 && rq.n_approvals == 0 && rq.agreement.value_cents == 0);
}

static void test_json_refuses_wrong_types_and_names(void)
{
    static const struct { const char *text, *field; } cases[] = {
        { "{\"state\":\"bogus\"}", "state" },
        { "{\"kind\":\"lease\"}", "kind" },
        { "{\"market\":7}", "market" },
        { "{\"note\":5}", "note" },
        { "{\"created_ms\":\"yesterday\"}", "created_ms" },
        { "{\"reminders_sent\":99999999999}", "reminders_sent" },
        { "{\"agreement\":[]}", "agreement" },
        { "{\"agreement\":{\"value_cents\":1.5}}", "value_cents" },
        { "{\"approvals\":[{},{},{},{},{}]}", "approvals" },
        { "{\"approvals\":[{\"at_ms\":\"x\"}]}", "at_ms" },
        { "[1,2]", "(document)" },
        { "{\"note\":\"unterminated", "(document)" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct request rq;
        const char *bad = NULL;
        memset(&rq, 0x5a, sizeof(rq));
        CHECK(request_json_loads(cases[i].text, &rq, &bad) == -1);
        CHECK_STR(bad, cases[i].field);
        CHECK(((unsigned char *)&rq)[0] == 0x5a);                  /* untouched */
    }
}

static void test_json_replaces_cut_utf8_instead_of_failing(void)
{
    struct request a, b;
    char *text;
    small_request(&a, "CR-1", REQUEST_DRAFT, "U0ALICE", T0);
    request_copy_str(a.note, sizeof(a.note), "price 10 \xe2\x82");  /* a euro sign, cut */
    text = request_json_dumps(&a);
    CHECK(text != NULL);
    CHECK(text && request_json_loads(text, &b, NULL) == 0);
    CHECK_STR(b.note, "price 10 ??");
    free(text);
}

/* ---- commit and load ---- */

static void test_commit_then_load_returns_every_field(void)
{
    struct fixture f;
    struct request a, b;
    if (fixture_open(&f))
        return;
    full_request(&a, "RF-7");
    CHECK(commit_ev(f.s, &a, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, "marketplace", "",
                    NULL, NULL, T0) == STORE_OK);
    memset(&b, 0x5a, sizeof(b));
    CHECK(store_load_request(f.s, "RF-7", &b) == STORE_OK);
    a.version = 1;                       /* the store's, not the document's */
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    CHECK(store_load_request(f.s, "RF-8", &b) == STORE_E_NOT_FOUND);
    fixture_close(&f);
}

struct rows {
    struct store_event_row r[8];
    int n;
    int stop_after;             /* 0: never */
};

static int collect_event(void *ud, const struct store_event_row *row)
{
    struct rows *rows = ud;
    if (rows->n < 8)
        rows->r[rows->n] = *row;
    rows->n++;
    return rows->stop_after && rows->n >= rows->stop_after;
}

static void test_commit_writes_event_and_effects_in_one_go(void)
{
    struct fixture f;
    struct request rq;
    struct effect_list fx = {0};
    struct rows rows = {0};
    struct stored_effect got[4];
    int n = -1;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL, "U0ALICE", T0);
    effect_list_push(&fx, EFFECT_UPDATE_CARD, 0);
    effect_list_push_text(&fx, EFFECT_EPHEMERAL, "U0ALICE", "Sent to finance: %s", "CR-1");
    effect_list_push(&fx, EFFECT_TIMER, T0 + DAY)->timer = TIMER_APPROVAL_EXPIRY;
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", &fx, "ev-1", T0) == STORE_OK);
    CHECK(store_history(f.s, "CR-1", collect_event, &rows) == STORE_OK);
    CHECK(rows.n == 1);
    CHECK_STR(rows.r[0].request_id, "CR-1");
    CHECK_STR(rows.r[0].actor, "U0ALICE");
    CHECK_STR(rows.r[0].event, request_event_kind_name(EV_CONFIRM));
    CHECK_STR(rows.r[0].from_state, "draft");
    CHECK_STR(rows.r[0].to_state, "awaiting_approval");
    CHECK(rows.r[0].at_ms == T0);
    CHECK(store_count_pending(f.s, "CR-1", EFFECT_TIMER, &n) == STORE_OK && n == 1);
    CHECK(store_count_pending(f.s, "CR-1", EFFECT_EPHEMERAL, &n) == STORE_OK && n == 1);
    CHECK(store_count_pending(f.s, "CR-1", EFFECT_REPLY, &n) == STORE_OK && n == 0);
    /* due 0 became now: both immediate effects are due at T0, the timer is not; one
     * effect of a request at a time, in order */
    CHECK(store_claim_due_effects(f.s, T0, MIN, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].fx.kind == EFFECT_UPDATE_CARD && got[0].fx.due_ms == T0);
    CHECK(store_effect_done(f.s, got[0].id, "ok") == STORE_OK);
    CHECK(store_claim_due_effects(f.s, T0, MIN, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].fx.kind == EFFECT_EPHEMERAL);
    CHECK_STR(got[0].fx.user, "U0ALICE");
    CHECK_STR(got[0].fx.text, "Sent to finance: CR-1");
    CHECK_STR(got[0].request_id, "CR-1");
    CHECK(store_effect_done(f.s, got[0].id, "ok") == STORE_OK);
    CHECK(store_claim_due_effects(f.s, T0 + DAY, MIN, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].fx.kind == EFFECT_TIMER && got[0].fx.timer == TIMER_APPROVAL_EXPIRY);
    fixture_close(&f);
}

static void test_duplicate_key_writes_nothing(void)
{
    struct fixture f;
    struct request rq, later, got;
    struct effect_list fx = {0};
    int n = -1;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL, "U0ALICE", T0);
    effect_list_push(&fx, EFFECT_UPDATE_CARD, 0);
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", &fx, "env-1", T0) == STORE_OK);
    later = rq;
    later.state = REQUEST_SUBMITTING;
    CHECK(commit_ev(f.s, &later, REQUEST_AWAITING_APPROVAL, EV_APPROVE, "U0FIN1", "", &fx,
                    "env-1", T0 + SEC) == STORE_DUPLICATE);
    CHECK(store_load_request(f.s, "CR-1", &got) == STORE_OK && got.state == REQUEST_AWAITING_APPROVAL);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM events") == 1);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM outbox") == 1);
    CHECK(store_count_pending(f.s, "CR-1", EFFECT_UPDATE_CARD, &n) == STORE_OK && n == 1);
    /* no key: no de-duplication */
    CHECK(commit_ev(f.s, &later, REQUEST_AWAITING_APPROVAL, EV_APPROVE, "U0FIN1", "", NULL,
                    NULL, T0 + SEC) == STORE_OK);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM events") == 2);
    fixture_close(&f);
}

static void test_failure_mid_transaction_leaves_nothing(void)
{
    struct fixture f;
    struct request rq, later, got;
    struct effect_list fx = {0};
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL, "U0ALICE", T0);
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", NULL, "env-1", T0) == STORE_OK);
    /* The outbox insert is the last step: make it fail after request, event and key */
    CHECK(raw_exec(&f, "DROP TABLE outbox") == 0);
    later = rq;
    later.state = REQUEST_REJECTED;
    request_copy_str(later.decision_note, sizeof(later.decision_note), "SECRET-NOTE-TEXT");
    effect_list_push(&fx, EFFECT_UPDATE_CARD, 0);
    CHECK(commit_ev(f.s, &later, REQUEST_AWAITING_APPROVAL, EV_REJECT, "U0FIN1",
                    "SECRET-NOTE-TEXT", &fx, "env-2", T0 + SEC) == STORE_E_IO);
    CHECK_CONTAINS(store_last_error(f.s), "outbox");
    CHECK(strstr(store_last_error(f.s), "SECRET") == NULL);
    CHECK(store_load_request(f.s, "CR-1", &got) == STORE_OK && got.state == REQUEST_AWAITING_APPROVAL);
    CHECK_STR(got.decision_note, "");
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM events") == 1);
    CHECK(store_seen_once(f.s, "env-2", T0) == 1);       /* the key was rolled back too */
    /* and the connection is usable afterwards: not stuck inside a transaction */
    CHECK(commit_ev(f.s, &later, REQUEST_AWAITING_APPROVAL, EV_REJECT, "U0FIN1", "", NULL,
                    "env-3", T0 + SEC) == STORE_OK);
    fixture_close(&f);
}

static int count_request(void *ud, const struct request *rq)
{
    (void)rq;
    ++*(int *)ud;
    return 0;
}

static void test_corrupt_row_is_an_io_error_naming_the_request(void)
{
    struct fixture f;
    struct request rq, got;
    int n = 0;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-9", REQUEST_AWAITING_APPROVAL, "U0ALICE", T0);
    request_copy_str(rq.card_ts, sizeof(rq.card_ts), "111.222");
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", NULL, NULL, T0) == STORE_OK);
    CHECK(raw_exec(&f, "UPDATE requests SET data = '{\"note\":\"SECRET-BODY' WHERE id = 'CR-9'")
          == 0);
    memset(&got, 0x5a, sizeof(got));
    CHECK(store_load_request(f.s, "CR-9", &got) == STORE_E_IO);
    CHECK_CONTAINS(store_last_error(f.s), "CR-9");
    CHECK(strstr(store_last_error(f.s), "SECRET") == NULL);
    CHECK(((unsigned char *)&got)[0] == 0x5a);
    CHECK(store_find_by_card(f.s, "111.222", &got) == STORE_E_IO);
    CHECK(raw_exec(&f, "UPDATE requests SET data = '{\"state\":\"on_fire\"}' WHERE id = 'CR-9'")
          == 0);
    CHECK(store_load_request(f.s, "CR-9", &got) == STORE_E_IO);
    CHECK_CONTAINS(store_last_error(f.s), "state");
    CHECK(store_list_requests(f.s, STORE_LIST_ALL, NULL, 0, count_request, &n) == STORE_E_IO);
    fixture_close(&f);
}

static void test_old_row_without_new_fields_loads_with_zeros(void)
{
    struct fixture f;
    struct request rq, got;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-3", REQUEST_SUBMITTED, "U0ALICE", T0);
    CHECK(commit_ev(f.s, &rq, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, "marketplace", "", NULL,
                    NULL, T0) == STORE_OK);
    CHECK(raw_exec(&f, "UPDATE requests SET data = '{\"id\":\"CR-3\",\"state\":\"submitted\"}'")
          == 0);
    CHECK(store_load_request(f.s, "CR-3", &got) == STORE_OK);
    CHECK(got.state == REQUEST_SUBMITTED);
    CHECK_STR(got.note, "");
    CHECK(got.polls_unchanged == 0);
    fixture_close(&f);
}

/* ---- the outbox ---- */

static void test_claim_orders_by_due_then_id(void)
{
    struct fixture f;
    struct stored_effect got[8];
    int n = -1;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0 + 300, 0 });
    request_with_timers(f.s, "CR-2", (const int64_t[]){ T0 + 100, 0 });
    request_with_timers(f.s, "CR-3", (const int64_t[]){ T0 + 200, 0 });
    request_with_timers(f.s, "CR-4", (const int64_t[]){ T0 + 100, 0 });
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(got[0].fx.due_ms == T0 + 100);
        CHECK_STR(got[0].request_id, "CR-2");
        CHECK(got[1].fx.due_ms == T0 + 100);
        CHECK_STR(got[1].request_id, "CR-4");
        CHECK(got[0].id < got[1].id);
        CHECK(got[2].fx.due_ms == T0 + 200);
        CHECK(got[3].fx.due_ms == T0 + 300);
        CHECK(got[0].attempts == 1 && got[3].attempts == 1);
        CHECK(got[0].fx.kind == EFFECT_TIMER && got[0].fx.timer == TIMER_REMINDER);
    }
    fixture_close(&f);
}

/* A request's effects run one at a time in id order (a reply never overtakes its
 * card), whatever their due times; other requests are not held up. */
static void test_claim_takes_one_effect_per_request_in_order(void)
{
    struct fixture f;
    struct stored_effect got[8];
    int n = -1;
    int64_t first;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0 + 300, T0 + 100, T0 + 200, 0 });
    request_with_timers(f.s, "CR-2", (const int64_t[]){ T0 + 100, 0 });
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK && n == 2);
    CHECK_STR(got[0].request_id, "CR-2");
    CHECK_STR(got[1].request_id, "CR-1");
    CHECK(got[1].fx.due_ms == T0 + 300);          /* CR-1's first effect, though due last */
    first = got[1].id;
    /* while it runs, nothing else of CR-1 is handed out, and nothing was counted */
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK && n == 0);
    CHECK(raw_int(&f, "SELECT SUM(attempts) FROM outbox") == 0);
    CHECK(store_effect_done(f.s, first, "ok") == STORE_OK);
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].id == first + 1 && got[0].fx.due_ms == T0 + 100);
    /* a later effect that is due does not wait for an earlier one that is not */
    CHECK(store_effect_retry(f.s, got[0].id, T0 + DAY, "503") == STORE_OK);
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].id == first + 2);
    fixture_close(&f);
}

static void test_claim_takes_only_due_effects_and_at_most_max(void)
{
    struct fixture f;
    struct stored_effect got[8];
    int n = -1;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0 + 1000, 0 });
    request_with_timers(f.s, "CR-2", (const int64_t[]){ T0 + 1000, 0 });
    request_with_timers(f.s, "CR-3", (const int64_t[]){ T0 + 1000, 0 });
    CHECK(store_claim_due_effects(f.s, T0 + 999, MIN, 8, got, &n) == STORE_OK && n == 0);
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 2, got, &n) == STORE_OK && n == 2);
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 8, got, &n) == STORE_OK && n == 1);
    CHECK(store_claim_due_effects(f.s, T0 + 1000, MIN, 0, got, &n) == STORE_OK && n == 0);
    fixture_close(&f);
}

static void test_lease_excludes_a_second_claim_until_it_ends(void)
{
    struct fixture f;
    struct stored_effect got[2];
    char owner[STORE_OWNER_MAX];
    int n = -1;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0, 0 });
    CHECK(store_claim_due_effects(f.s, T0, 30 * SEC, 2, got, &n) == STORE_OK && n == 1);
    raw_text(&f, "SELECT lease_owner FROM outbox", owner, sizeof(owner));
    CHECK_STR(owner, store_owner(f.s));
    CHECK(store_claim_due_effects(f.s, T0, 30 * SEC, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_claim_due_effects(f.s, T0 + 30 * SEC - 1, 30 * SEC, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_claim_due_effects(f.s, T0 + 30 * SEC, 30 * SEC, 2, got, &n) == STORE_OK && n == 1);
    /* a lease that ran out is not a failed attempt */
    CHECK(n == 1 && got[0].attempts == 1);
    CHECK(raw_int(&f, "SELECT attempts FROM outbox") == 0);
    fixture_close(&f);
}

static void test_retry_reschedules_and_records_the_error(void)
{
    struct fixture f;
    struct stored_effect got[2];
    char err[64];
    int n = -1;
    int64_t id;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0, 0 });
    CHECK(store_claim_due_effects(f.s, T0, MIN, 2, got, &n) == STORE_OK && n == 1);
    id = got[0].id;
    CHECK(store_effect_retry(f.s, id, T0 + 10 * SEC, "HTTP 503 from marketplace") == STORE_OK);
    raw_text(&f, "SELECT last_error FROM outbox", err, sizeof(err));
    CHECK_STR(err, "HTTP 503 from marketplace");
    CHECK(raw_int(&f, "SELECT lease_until_ms IS NULL FROM outbox") == 1);
    CHECK(store_claim_due_effects(f.s, T0 + 10 * SEC - 1, MIN, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_claim_due_effects(f.s, T0 + 10 * SEC, MIN, 2, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].id == id && got[0].attempts == 2 && got[0].fx.due_ms == T0 + 10 * SEC);
    /* no error text: the last real error stays on record */
    CHECK(store_effect_retry(f.s, id, T0 + 20 * SEC, NULL) == STORE_OK);
    raw_text(&f, "SELECT last_error FROM outbox", err, sizeof(err));
    CHECK_STR(err, "HTTP 503 from marketplace");
    CHECK(store_effect_retry(f.s, id + 100, T0, "x") == STORE_E_NOT_FOUND);
    fixture_close(&f);
}

static void test_done_effect_is_never_claimed_again(void)
{
    struct fixture f;
    struct stored_effect got[2];
    char result[64];
    int n = -1;
    int64_t id;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0, 0 });
    CHECK(store_claim_due_effects(f.s, T0, MIN, 2, got, &n) == STORE_OK && n == 1);
    id = got[0].id;
    CHECK(store_effect_done(f.s, id, "{\"ts\":\"1.2\"}") == STORE_OK);
    raw_text(&f, "SELECT status || ' ' || result FROM outbox", result, sizeof(result));
    CHECK_STR(result, "done {\"ts\":\"1.2\"}");
    CHECK(store_count_pending(f.s, "CR-1", EFFECT_TIMER, &n) == STORE_OK && n == 0);
    CHECK(store_claim_due_effects(f.s, T0 + DAY, MIN, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_effect_done(f.s, 9999, NULL) == STORE_E_NOT_FOUND);
    /* a done effect cannot be put back for another attempt */
    CHECK(store_effect_retry(f.s, id, T0, "late") == STORE_E_NOT_FOUND);
    CHECK(store_effect_done(f.s, id, "again") == STORE_OK);         /* a second run finishing */
    fixture_close(&f);
}

static void test_release_leases_frees_claimed_effects(void)
{
    struct fixture f;
    struct stored_effect got[2];
    int n = -1;
    if (fixture_open(&f))
        return;
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0, 0 });
    CHECK(store_claim_due_effects(f.s, T0, MIN, 2, got, &n) == STORE_OK && n == 1);
    CHECK(store_claim_due_effects(f.s, T0, MIN, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_release_own_leases(f.s, T0) == STORE_OK);
    CHECK(store_claim_due_effects(f.s, T0, MIN, 2, got, &n) == STORE_OK && n == 1);
    fixture_close(&f);
}

static void test_next_due_is_the_earliest_claimable_time(void)
{
    struct fixture f;
    struct stored_effect got[2];
    int64_t due = -1;
    int n = -1;
    if (fixture_open(&f))
        return;
    CHECK(store_next_due(f.s, &due) == STORE_E_NOT_FOUND && due == -1);
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0 + 5 * MIN, T0 + MIN, 0 });
    CHECK(store_next_due(f.s, &due) == STORE_OK && due == T0 + MIN);
    CHECK(store_next_due_after(f.s, T0 + MIN, &due) == STORE_OK && due == T0 + 5 * MIN);
    CHECK(store_next_due_after(f.s, T0 + 5 * MIN, &due) == STORE_E_NOT_FOUND);
    /* while leased, the earlier one is due when its lease ends */
    CHECK(store_claim_due_effects(f.s, T0 + MIN, 10 * MIN, 1, got, &n) == STORE_OK && n == 1);
    CHECK(store_next_due(f.s, &due) == STORE_OK && due == T0 + 5 * MIN);
    CHECK(store_effect_done(f.s, got[0].id, "ok") == STORE_OK);
    CHECK(store_next_due(f.s, &due) == STORE_OK && due == T0 + 5 * MIN);
    CHECK(store_claim_due_effects(f.s, T0 + 5 * MIN, MIN, 1, got, &n) == STORE_OK && n == 1);
    CHECK(store_next_due(f.s, &due) == STORE_OK && due == T0 + 6 * MIN);
    CHECK(store_effect_done(f.s, got[0].id, "ok") == STORE_OK);
    CHECK(store_next_due(f.s, &due) == STORE_E_NOT_FOUND);
    fixture_close(&f);
}

/* ---- /metrics' gauges ---- */

struct state_counts {
    char seen[256];
    int64_t total;
};

static int on_state_count(void *ud, const char *state, const char *market, int64_t n)
{
    struct state_counts *c = ud;
    size_t used = strlen(c->seen);
    snprintf(c->seen + used, sizeof(c->seen) - used, "%s/%s=%lld;", state, market, (long long)n);
    c->total += n;
    return 0;
}

static void test_metrics_gauges_count_states_and_the_outbox(void)
{
    struct fixture f;
    struct state_counts c;
    struct stored_effect got[2];
    int64_t pending = -1, oldest = -1;
    int n = -1;
    if (fixture_open(&f))
        return;
    memset(&c, 0, sizeof(c));
    CHECK(store_count_requests(f.s, on_state_count, &c) == STORE_OK && c.total == 0);
    CHECK(store_outbox_stats(f.s, T0, &pending, &oldest) == STORE_OK && pending == 0 &&
          oldest == 0);
    request_with_timers(f.s, "CR-1", (const int64_t[]){ T0 + 5 * MIN, T0 + MIN, 0 });
    request_with_timers(f.s, "CR-2", (const int64_t[]){ T0 + 9 * MIN, 0 });
    CHECK(store_count_requests(f.s, on_state_count, &c) == STORE_OK);
    CHECK_STR(c.seen, "submitted/aws=2;");
    CHECK(store_outbox_stats(f.s, T0, &pending, &oldest) == STORE_OK && pending == 3 &&
          oldest == 0);                   /* none due yet */
    CHECK(store_outbox_stats(f.s, T0 + 6 * MIN, &pending, &oldest) == STORE_OK &&
          pending == 3 && oldest == T0 + MIN);
    CHECK(store_claim_due_effects(f.s, T0 + 6 * MIN, MIN, 1, got, &n) == STORE_OK && n == 1);
    CHECK(store_effect_done(f.s, got[0].id, "ok") == STORE_OK);
    /* effects of a request run in id order: CR-1's T0+5min went first */
    CHECK(store_outbox_stats(f.s, T0 + 6 * MIN, &pending, &oldest) == STORE_OK &&
          pending == 2 && oldest == T0 + MIN);
    fixture_close(&f);
}

/* ---- ids, history, lists, cards ---- */

static void test_request_ids_count_per_kind_and_survive_reopen(void)
{
    struct fixture f;
    char id[REQUEST_ID_MAX];
    if (fixture_open(&f))
        return;
    CHECK(store_next_request_id(f.s, REQUEST_CANCEL, id) == STORE_OK);
    CHECK_STR(id, "CR-1");
    CHECK(store_next_request_id(f.s, REQUEST_CANCEL, id) == STORE_OK);
    CHECK_STR(id, "CR-2");
    CHECK(store_next_request_id(f.s, REQUEST_REFUND, id) == STORE_OK);
    CHECK_STR(id, "RF-1");
    fixture_reopen(&f);
    CHECK(store_next_request_id(f.s, REQUEST_CANCEL, id) == STORE_OK);
    CHECK_STR(id, "CR-3");
    fixture_close(&f);
}

static void test_history_is_oldest_first(void)
{
    struct fixture f;
    struct request rq;
    struct rows rows = {0};
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_DRAFT, "U0ALICE", T0);
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0ALICE", "", NULL, NULL, T0) == STORE_OK);
    small_request(&rq, "CR-2", REQUEST_DRAFT, "U0BOB", T0);      /* interleaved */
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0BOB", "", NULL, NULL, T0 + 1) == STORE_OK);
    small_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL, "U0ALICE", T0);
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", NULL, NULL, T0 + 2) == STORE_OK);
    rq.state = REQUEST_REJECTED;
    CHECK(commit_ev(f.s, &rq, REQUEST_AWAITING_APPROVAL, EV_REJECT, "U0FIN1", "wrong agreement",
                    NULL, NULL, T0 + 3) == STORE_OK);
    CHECK(store_history(f.s, "CR-1", collect_event, &rows) == STORE_OK);
    CHECK(rows.n == 3);
    if (rows.n == 3) {
        CHECK(rows.r[0].seq < rows.r[1].seq && rows.r[1].seq < rows.r[2].seq);
        CHECK(rows.r[0].at_ms == T0 && rows.r[1].at_ms == T0 + 2 && rows.r[2].at_ms == T0 + 3);
        CHECK_STR(rows.r[0].event, request_event_kind_name(EV_CREATE));
        CHECK_STR(rows.r[2].event, request_event_kind_name(EV_REJECT));
        CHECK_STR(rows.r[2].actor, "U0FIN1");
        CHECK_STR(rows.r[2].via, "button");
        CHECK_STR(rows.r[2].from_state, "awaiting_approval");
        CHECK_STR(rows.r[2].to_state, "rejected");
        CHECK_STR(rows.r[2].text, "wrong agreement");
    }
    memset(&rows, 0, sizeof(rows));
    rows.stop_after = 1;
    CHECK(store_history(f.s, "CR-1", collect_event, &rows) == STORE_OK && rows.n == 1);
    CHECK(store_history(f.s, "CR-404", collect_event, &rows) == STORE_E_NOT_FOUND);
    fixture_close(&f);
}

struct ids {
    char id[8][REQUEST_ID_MAX];
    int n;
    int stop_after;
};

static int collect_id(void *ud, const struct request *rq)
{
    struct ids *ids = ud;
    if (ids->n < 8)
        request_copy_str(ids->id[ids->n], REQUEST_ID_MAX, rq->id);
    ids->n++;
    return ids->stop_after && ids->n >= ids->stop_after;
}

static void list(struct store *s, enum store_list_filter filter, const char *user, int limit,
                 struct ids *ids)
{
    memset(ids, 0, sizeof(*ids));
    CHECK(store_list_requests(s, filter, user, limit, collect_id, ids) == STORE_OK);
}

static void test_list_filters_newest_first(void)
{
    struct fixture f;
    struct request rq;
    struct ids ids;
    static const struct { const char *id; enum request_state state; const char *who; } reqs[] = {
        { "CR-1", REQUEST_DRAFT, "U0ALICE" },
        { "CR-2", REQUEST_AWAITING_APPROVAL, "U0BOB" },
        { "CR-3", REQUEST_SUBMITTED, "U0ALICE" },
        { "CR-4", REQUEST_COMPLETED, "U0ALICE" },
        { "RF-1", REQUEST_REJECTED, "U0BOB" },
    };
    if (fixture_open(&f))
        return;
    for (int i = 0; i < 5; i++) {
        small_request(&rq, reqs[i].id, reqs[i].state, reqs[i].who, T0 + i * MIN);
        CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, reqs[i].who, "", NULL, NULL,
                        T0 + i * MIN) == STORE_OK);
    }
    list(f.s, STORE_LIST_ALL, NULL, 0, &ids);
    CHECK(ids.n == 5);
    CHECK_STR(ids.id[0], "RF-1");
    CHECK_STR(ids.id[4], "CR-1");
    list(f.s, STORE_LIST_OPEN, NULL, 0, &ids);
    CHECK(ids.n == 3);
    CHECK_STR(ids.id[0], "CR-3");
    CHECK_STR(ids.id[1], "CR-2");
    CHECK_STR(ids.id[2], "CR-1");
    list(f.s, STORE_LIST_PENDING, NULL, 0, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[0], "CR-2");
    CHECK_STR(ids.id[1], "CR-1");
    list(f.s, STORE_LIST_MINE, "U0BOB", 0, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[0], "RF-1");
    CHECK_STR(ids.id[1], "CR-2");
    list(f.s, STORE_LIST_ALL, NULL, 2, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[1], "CR-4");
    /* with a limit, lists by state are merged per-state index ranges: same order */
    list(f.s, STORE_LIST_OPEN, NULL, 2, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[0], "CR-3");
    CHECK_STR(ids.id[1], "CR-2");
    list(f.s, STORE_LIST_PENDING, NULL, 25, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[0], "CR-2");
    CHECK_STR(ids.id[1], "CR-1");
    list(f.s, STORE_LIST_MINE_OPEN, "U0ALICE", 0, &ids);
    CHECK(ids.n == 2);
    CHECK_STR(ids.id[0], "CR-3");
    CHECK_STR(ids.id[1], "CR-1");
    list(f.s, STORE_LIST_MINE_OPEN, "U0ALICE", 1, &ids);
    CHECK(ids.n == 1);
    CHECK_STR(ids.id[0], "CR-3");
    memset(&ids, 0, sizeof(ids));
    ids.stop_after = 1;
    CHECK(store_list_requests(f.s, STORE_LIST_ALL, NULL, 0, collect_id, &ids) == STORE_OK);
    CHECK(ids.n == 1);
    CHECK(store_list_requests(f.s, STORE_LIST_MINE, NULL, 0, collect_id, &ids) == STORE_E_INVALID);
    fixture_close(&f);
}

static void test_card_ts_is_stored_found_and_kept(void)
{
    struct fixture f;
    struct request rq, got;
    char data[4096];
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_DRAFT, "U0ALICE", T0);
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0ALICE", "", NULL, NULL, T0) == STORE_OK);
    CHECK(store_find_by_card(f.s, "1795600800.000200", &got) == STORE_E_NOT_FOUND);
    CHECK(store_set_card_ts(f.s, "CR-1", "1795600800.000200") == STORE_OK);
    CHECK(store_load_request(f.s, "CR-1", &got) == STORE_OK);
    CHECK_STR(got.card_ts, "1795600800.000200");
    raw_text(&f, "SELECT data FROM requests WHERE id = 'CR-1'", data, sizeof(data));
    CHECK_CONTAINS(data, "\"card_ts\":\"1795600800.000200\"");
    CHECK(store_find_by_card(f.s, "1795600800.000200", &got) == STORE_OK);
    CHECK_STR(got.id, "CR-1");
    CHECK(store_set_card_ts(f.s, "CR-404", "1.1") == STORE_E_NOT_FOUND);
    CHECK(store_find_by_card(f.s, "", &got) == STORE_E_INVALID);
    /* a transition computed from a copy loaded before the card was posted keeps it */
    rq.state = REQUEST_AWAITING_APPROVAL;
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CONFIRM, "U0ALICE", "", NULL, NULL, T0 + 1) == STORE_OK);
    CHECK(store_load_request(f.s, "CR-1", &got) == STORE_OK);
    CHECK_STR(got.card_ts, "1795600800.000200");
    CHECK(got.state == REQUEST_AWAITING_APPROVAL);
    fixture_close(&f);
}

/* ---- small things ---- */

static void test_settings_round_trip_and_refuse_short_buffers(void)
{
    struct fixture f;
    char v[32], tiny[4] = "abc";
    if (fixture_open(&f))
        return;
    CHECK(store_get_setting(f.s, "shell_clock_ms", v, sizeof(v)) == STORE_E_NOT_FOUND);
    CHECK(store_set_setting(f.s, "shell_clock_ms", "1795600800000") == STORE_OK);
    CHECK(store_get_setting(f.s, "shell_clock_ms", v, sizeof(v)) == STORE_OK);
    CHECK_STR(v, "1795600800000");
    CHECK(store_set_setting(f.s, "shell_clock_ms", "1796205600000") == STORE_OK);
    CHECK(store_get_setting(f.s, "shell_clock_ms", v, sizeof(v)) == STORE_OK);
    CHECK_STR(v, "1796205600000");
    CHECK(store_get_setting(f.s, "shell_clock_ms", tiny, sizeof(tiny)) == STORE_E_INVALID);
    CHECK_STR(tiny, "abc");
    fixture_close(&f);
}

static void test_seen_once_is_true_once(void)
{
    struct fixture f;
    if (fixture_open(&f))
        return;
    CHECK(store_seen_once(f.s, "Ev01ABC", T0) == 1);
    CHECK(store_seen_once(f.s, "Ev01ABC", T0 + 1) == 0);
    CHECK(store_seen_once(f.s, "Ev01ABD", T0 + 1) == 1);
    fixture_close(&f);
}

static void test_bad_arguments_are_refused(void)
{
    struct fixture f;
    struct request rq;
    struct effect_list fx = {0};
    struct stored_effect got[1];
    int n = 0;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_DRAFT, "U0ALICE", T0);
    rq.id[0] = '\0';
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0ALICE", "", NULL, NULL, T0) == STORE_E_INVALID);
    rq.id[0] = 'C';
    fx.len = EFFECT_LIST_MAX + 1;
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0ALICE", "", &fx, NULL, T0) == STORE_E_INVALID);
    CHECK(store_claim_due_effects(f.s, T0, 0, 1, got, &n) == STORE_E_INVALID);
    CHECK(store_claim_due_effects(f.s, T0, MIN, -1, got, &n) == STORE_E_INVALID);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM requests") == 0);
    fixture_close(&f);
}

static void test_quiet_commit_writes_no_event_row(void)
{
    struct fixture f;
    struct request rq;
    struct effect_list fx = {0};
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-1", REQUEST_SUBMITTED, "U0ALICE", T0);
    effect_list_push(&fx, EFFECT_PROVIDER_POLL, T0 + MIN);
    CHECK(store_commit_transition(f.s, &rq, REQUEST_SUBMITTED, NULL, &fx, NULL, T0) == STORE_OK);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM events") == 0);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM outbox") == 1);
    CHECK(raw_int(&f, "SELECT COUNT(*) FROM requests") == 1);
    fixture_close(&f);
}

/* ---- export ---- */

#define CSV_MAX_FIELDS 48
#define CSV_MAX_RECORDS 8

struct csv {
    char *field[CSV_MAX_RECORDS][CSV_MAX_FIELDS];
    int n_fields[CSV_MAX_RECORDS];
    int n_records;
};

/* A strict RFC 4180 reader: records end in CRLF, a bare CR or LF is only legal
 * inside quotes, a quote inside an unquoted field is an error. -1 when malformed. */
static int csv_parse(const char *p, struct csv *c)
{
    memset(c, 0, sizeof(*c));
    while (*p) {
        int r = c->n_records, nf = 0;
        if (r >= CSV_MAX_RECORDS)
            return -1;
        for (;;) {
            char *buf = malloc(strlen(p) + 1);
            size_t len = 0;
            if (!buf)
                return -1;
            if (nf >= CSV_MAX_FIELDS) {
                free(buf);
                return -1;
            }
            c->field[r][nf++] = buf;
            c->n_fields[r] = nf;
            if (*p == '"') {
                for (p++;; p++) {
                    if (!*p)
                        return -1;
                    if (*p == '"' && p[1] == '"')
                        buf[len++] = *p++;
                    else if (*p == '"')
                        break;
                    else
                        buf[len++] = *p;
                }
                p++;
            } else {
                for (; *p && *p != ',' && *p != '\r' && *p != '\n'; p++) {
                    if (*p == '"')
                        return -1;
                    buf[len++] = *p;
                }
            }
            buf[len] = '\0';
            if (*p == ',') {
                p++;
                continue;
            }
            if (p[0] == '\r' && p[1] == '\n') {
                p += 2;
                break;
            }
            return -1;
        }
        c->n_records++;
    }
    return 0;
}

static void csv_free(struct csv *c)
{
    for (int r = 0; r < CSV_MAX_RECORDS; r++)
        for (int i = 0; i < CSV_MAX_FIELDS; i++)
            free(c->field[r][i]);
}

/* The cell of record r under the header's column `name`. */
static const char *csv_cell(const struct csv *c, int r, const char *name)
{
    for (int i = 0; i < c->n_fields[0]; i++)
        if (strcmp(c->field[0][i], name) == 0)
            return i < c->n_fields[r] ? c->field[r][i] : NULL;
    return NULL;
}

/* Runs the export into a string; caller frees. */
static char *export_text(struct store *s, enum store_export_format fmt, int64_t since_ms, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    *rc = store_export(s, out, fmt, since_ms);
    fclose(out);
    return buf;
}

/* CR-1 (created T0, two events, hostile text) and CR-2 (a day later, one event). */
static void export_fixture(struct store *s)
{
    struct request rq;
    full_request(&rq, "CR-1");
    rq.kind = REQUEST_CANCEL;
    rq.closed_ms = 0;
    rq.agreement.value_cents = 123456;
    request_copy_str(rq.note, sizeof(rq.note), "Replacing, with \"private\" offer\r\nline two");
    request_copy_str(rq.requester, sizeof(rq.requester), "=HYPERLINK(\"http://x\")");
    request_copy_str(rq.account, sizeof(rq.account), "+1 evil");
    request_copy_str(rq.case_id, sizeof(rq.case_id), "@SUM(A1)");
    request_copy_str(rq.buyer_ref, sizeof(rq.buyer_ref), "-2+3");
    request_copy_str(rq.next_step, sizeof(rq.next_step), "new offer\nthen close");
    rq.state = REQUEST_DRAFT;
    CHECK(commit_ev(s, &rq, REQUEST_DRAFT, EV_CREATE, "U0ALICE", "", NULL, NULL, T0) == STORE_OK);
    rq.state = REQUEST_SUBMITTED;
    CHECK(commit_ev(s, &rq, REQUEST_AWAITING_APPROVAL, EV_APPROVE, "U0FIN1", "looks, fine",
                    NULL, NULL, T0 + 5 * MIN) == STORE_OK);
    small_request(&rq, "CR-2", REQUEST_DRAFT, "U0BOB", T0 + DAY);
    CHECK(commit_ev(s, &rq, REQUEST_DRAFT, EV_CREATE, "U0BOB", "", NULL, NULL, T0 + DAY) == STORE_OK);
}

static void test_export_csv_quotes_and_defuses_formulas(void)
{
    struct fixture f;
    struct csv c;
    char *text;
    int rc = -99;
    if (fixture_open(&f))
        return;
    export_fixture(f.s);
    text = export_text(f.s, STORE_EXPORT_CSV, 0, &rc);
    CHECK(rc == STORE_OK);
    {
        const char *head = "id,kind,market,account,state,agreement_id,buyer_account,"
                           "subscription_id,offer_id,product,value,currency,";
        CHECK(text && strncmp(text, head, strlen(head)) == 0);
    }
    CHECK_CONTAINS(text, "buyer_deadline_at,closed_at,history\r\n");
    CHECK_CONTAINS(text, "\"Replacing, with \"\"private\"\" offer\r\nline two\"");
    CHECK(text && csv_parse(text, &c) == 0);
    CHECK(c.n_records == 3);
    CHECK(c.n_fields[0] == 47 && c.n_fields[1] == 47 && c.n_fields[2] == 47);
    CHECK_STR(csv_cell(&c, 1, "id"), "CR-2");                      /* newest first */
    CHECK_STR(csv_cell(&c, 2, "id"), "CR-1");
    CHECK_STR(csv_cell(&c, 2, "note"), "Replacing, with \"private\" offer\r\nline two");
    CHECK_STR(csv_cell(&c, 2, "requester"), "'=HYPERLINK(\"http://x\")");
    CHECK_STR(csv_cell(&c, 2, "account"), "'+1 evil");
    CHECK_STR(csv_cell(&c, 2, "case_id"), "'@SUM(A1)");
    CHECK_STR(csv_cell(&c, 2, "buyer_ref"), "'-2+3");
    CHECK_STR(csv_cell(&c, 2, "next_step"), "new offer\nthen close");
    CHECK_STR(csv_cell(&c, 2, "kind"), "cancel");
    CHECK_STR(csv_cell(&c, 2, "state"), "submitted");
    CHECK_STR(csv_cell(&c, 2, "subscription_id"), "8f1d2c3b-0000-4000-8000-000000000001");
    CHECK_STR(csv_cell(&c, 2, "value"), "1234.56");
    CHECK_STR(csv_cell(&c, 2, "refund_amount"), "120.00");
    CHECK_STR(csv_cell(&c, 2, "approvers"), "U0FIN1@2026-11-25T10:00:01Z;U0FIN2@2026-11-25T10:00:02Z");
    CHECK_STR(csv_cell(&c, 2, "created_at"), "2026-11-25T10:00:00Z");
    CHECK_STR(csv_cell(&c, 2, "buyer_deadline_at"), "2026-12-02T10:00:00Z");
    CHECK_STR(csv_cell(&c, 2, "closed_at"), "");
    CHECK_STR(csv_cell(&c, 2, "history"),
              "2026-11-25T10:00:00Z U0ALICE create draft->draft | "
              "2026-11-25T10:05:00Z U0FIN1 approve awaiting_approval->submitted: looks, fine");
    CHECK_STR(csv_cell(&c, 1, "value"), "");
    csv_free(&c);
    free(text);
    fixture_close(&f);
}

/* Reads the raw text as an importer that ignores quotes would: split at every ',',
 * ';', tab and line end. No piece may start (past spaces and a quote) with a formula
 * character, except a number we wrote ourselves ("-5.00"). */
static int csv_has_formula_piece(const char *text, char *bad, size_t bad_size)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",;\t\r\n");
        const char *q = p;
        while (q < p + n && (*q == ' ' || *q == '"'))
            q++;
        if (q < p + n && strchr("=+-@", *q) &&
            !(*q == '-' && q + 1 < p + n && isdigit((unsigned char)q[1]))) {
            snprintf(bad, bad_size, "%.*s", (int)n, p);
            return 1;
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

static void test_export_csv_has_no_formula_under_any_split(void)
{
    struct fixture f;
    struct request rq;
    char *text, bad[256] = "";
    int rc = -99;
    if (fixture_open(&f))
        return;
    export_fixture(f.s);
    small_request(&rq, "CR-5", REQUEST_DRAFT, "U0BOB", T0 + DAY);
    request_copy_str(rq.note, sizeof(rq.note),
                     "x,=HYPERLINK(\"http://e\",\"c\");=1+1\n@SUM(A1)\t-x\r+2, ;  =3");
    request_copy_str(rq.next_step, sizeof(rq.next_step), "a, -cmd|' /C calc'!A0");
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0BOB", "b,=2;@3", NULL, NULL,
                    T0 + DAY) == STORE_OK);
    text = export_text(f.s, STORE_EXPORT_CSV, 0, &rc);
    CHECK(rc == STORE_OK && text);
    if (text && csv_has_formula_piece(text, bad, sizeof(bad)))
        fprintf(stderr, "formula piece in the export: %s\n", bad);
    CHECK(text && !csv_has_formula_piece(text, bad, sizeof(bad)));
    free(text);
    fixture_close(&f);
}

/* CR-3 names three entitlements of one customer: three rows, each with that
 * entitlement's id, status, reference and outcome, the request's cells repeated. */
static void test_export_csv_has_a_row_per_entitlement(void)
{
    static const struct { const char *id, *status, *ref; int phase; } items[] = {
        { "ent-aaa", "inactive", "corr-1", ITEM_DONE },
        { "ent-bbb", "active", "=cmd|' /C calc'!A0", ITEM_FAILED },
        { "ent-ccc", "", "", ITEM_WAITING },
    };
    struct fixture f;
    struct request rq;
    struct csv c;
    char *text;
    int rc = -99;
    if (fixture_open(&f))
        return;
    small_request(&rq, "CR-3", REQUEST_SUBMITTED, "U0ALICE", T0);
    rq.market = MARKET_AZURE;
    request_copy_str(rq.agreement.id, sizeof(rq.agreement.id), "ent-aaa");
    request_copy_str(rq.note, sizeof(rq.note), "compromised; =HYPERLINK(\"x\");+1;ok");
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        request_copy_str(rq.items[i].id, sizeof(rq.items[i].id), items[i].id);
        request_copy_str(rq.items[i].status, sizeof(rq.items[i].status), items[i].status);
        request_copy_str(rq.items[i].ref, sizeof(rq.items[i].ref), items[i].ref);
        rq.items[i].phase = items[i].phase;
    }
    rq.n_items = 3;
    CHECK(commit_ev(f.s, &rq, REQUEST_SUBMITTING, EV_STATUS, "marketplace", "", NULL, NULL, T0) ==
          STORE_OK);
    small_request(&rq, "CR-4", REQUEST_DRAFT, "U0BOB", T0 + DAY);   /* no items: one row */
    CHECK(commit_ev(f.s, &rq, REQUEST_DRAFT, EV_CREATE, "U0BOB", "", NULL, NULL, T0 + DAY) ==
          STORE_OK);
    text = export_text(f.s, STORE_EXPORT_CSV, 0, &rc);
    CHECK(rc == STORE_OK);
    CHECK(text && csv_parse(text, &c) == 0);
    CHECK(c.n_records == 5);                            /* header, CR-4, CR-3 x 3 */
    CHECK_STR(csv_cell(&c, 1, "id"), "CR-4");
    CHECK_STR(csv_cell(&c, 1, "item"), "");
    CHECK_STR(csv_cell(&c, 1, "item_id"), "");
    for (int r = 2; r < 5 && c.n_records == 5; r++) {
        char want[8];
        CHECK(c.n_fields[r] == c.n_fields[0]);
        CHECK_STR(csv_cell(&c, r, "id"), "CR-3");
        CHECK_STR(csv_cell(&c, r, "market"), "azure");
        CHECK_STR(csv_cell(&c, r, "agreement_id"), "ent-aaa");   /* the request's, repeated */
        CHECK_STR(csv_cell(&c, r, "requester"), "U0ALICE");
        CHECK_STR(csv_cell(&c, r, "items"), "3");
        snprintf(want, sizeof(want), "%d", r - 1);
        CHECK_STR(csv_cell(&c, r, "item"), want);
        CHECK_STR(csv_cell(&c, r, "note"), "compromised; '=HYPERLINK(\"x\");'+1;ok");
    }
    if (c.n_records == 5) {
        CHECK_STR(csv_cell(&c, 2, "item_id"), "ent-aaa");
        CHECK_STR(csv_cell(&c, 2, "item_status"), "inactive");
        CHECK_STR(csv_cell(&c, 2, "item_ref"), "corr-1");
        CHECK_STR(csv_cell(&c, 2, "item_outcome"), "done");
        CHECK_STR(csv_cell(&c, 3, "item_id"), "ent-bbb");
        CHECK_STR(csv_cell(&c, 3, "item_status"), "active");
        CHECK_STR(csv_cell(&c, 3, "item_ref"), "'=cmd|' /C calc'!A0");
        CHECK_STR(csv_cell(&c, 3, "item_outcome"), "failed");
        CHECK_STR(csv_cell(&c, 4, "item_id"), "ent-ccc");
        CHECK_STR(csv_cell(&c, 4, "item_outcome"), "waiting");
    }
    csv_free(&c);
    free(text);
    fixture_close(&f);
}

/* Names the chat adapter learnt sit next to the ids; unknown ones stay empty. */
static void test_export_puts_known_names_next_to_ids(void)
{
    struct fixture f;
    struct csv c;
    json_t *root = NULL, *names;
    char *text, name[STORE_USER_NAME_MAX];
    int rc = -99;
    if (fixture_open(&f))
        return;
    export_fixture(f.s);
    CHECK(store_set_user_name(f.s, "U0FIN1", "Fin One") == STORE_OK);
    CHECK(store_set_user_name(f.s, "U0FIN2", "@Fin Two") == STORE_OK);
    CHECK(store_set_user_name(f.s, "U0BOB", "Bob, B.") == STORE_OK);
    CHECK(store_get_user_name(f.s, "U0NOBODY", name, sizeof(name)) == STORE_E_NOT_FOUND);
    CHECK(store_get_user_name(f.s, "U0FIN1", name, sizeof(name)) == STORE_OK);
    CHECK_STR(name, "Fin One");
    text = export_text(f.s, STORE_EXPORT_CSV, 0, &rc);
    CHECK(rc == STORE_OK && text && csv_parse(text, &c) == 0);
    CHECK_STR(csv_cell(&c, 1, "requester"), "U0BOB");
    CHECK_STR(csv_cell(&c, 1, "requester_name"), "Bob, B.");
    CHECK_STR(csv_cell(&c, 2, "requester_name"), "");                  /* never named */
    CHECK_STR(csv_cell(&c, 2, "approvers"), "U0FIN1@2026-11-25T10:00:01Z;U0FIN2@2026-11-25T10:00:02Z");
    CHECK_STR(csv_cell(&c, 2, "approver_names"), "Fin One;'@Fin Two");
    CHECK_STR(csv_cell(&c, 2, "decided_by_name"), "Bob, B.");
    csv_free(&c);
    free(text);
    text = export_text(f.s, STORE_EXPORT_JSON, 0, &rc);
    CHECK(rc == STORE_OK && text && (root = json_loads(text, 0, NULL)) != NULL);
    names = json_object_get(json_array_get(root, 1), "names");
    CHECK_STR(json_string_value(json_object_get(names, "U0FIN1")), "Fin One");
    CHECK_STR(json_string_value(json_object_get(names, "U0BOB")), "Bob, B.");  /* decided */
    CHECK(json_object_size(names) == 3);                 /* the requester has no name */
    json_decref(root);
    free(text);
    fixture_close(&f);
}

static void test_export_json_has_every_field_and_history(void)
{
    struct fixture f;
    struct request want, got;
    json_error_t err;
    json_t *root = NULL, *cr1, *hist;
    char *text;
    int rc = -99;
    if (fixture_open(&f))
        return;
    export_fixture(f.s);
    text = export_text(f.s, STORE_EXPORT_JSON, 0, &rc);
    CHECK(rc == STORE_OK);
    CHECK(text && (root = json_loads(text, 0, &err)) != NULL);
    CHECK(json_is_array(root) && json_array_size(root) == 2);
    cr1 = json_array_get(root, 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(root, 0), "id")), "CR-2");
    CHECK_STR(json_string_value(json_object_get(cr1, "id")), "CR-1");
    CHECK_STR(json_string_value(json_object_get(cr1, "created_at")), "2026-11-25T10:00:00Z");
    CHECK(json_is_null(json_object_get(cr1, "closed_at")));
    hist = json_object_get(cr1, "history");
    CHECK(json_is_array(hist) && json_array_size(hist) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(hist, 0), "at")), "2026-11-25T10:00:00Z");
    CHECK_STR(json_string_value(json_object_get(json_array_get(hist, 1), "event")), "approve");
    CHECK_STR(json_string_value(json_object_get(json_array_get(hist, 1), "from")), "awaiting_approval");
    CHECK_STR(json_string_value(json_object_get(json_array_get(hist, 1), "to")), "submitted");
    CHECK_STR(json_string_value(json_object_get(json_array_get(hist, 1), "text")), "looks, fine");
    /* all request fields: the exported object decodes to the stored request */
    CHECK(store_load_request(f.s, "CR-1", &want) == STORE_OK);
    memset(&got, 0, sizeof(got));
    CHECK(request_json_decode(cr1, &got, NULL) == 0);
    got.version = want.version;          /* the store's bookkeeping, not exported */
    CHECK(memcmp(&want, &got, sizeof(want)) == 0);
    json_decref(root);
    free(text);
    fixture_close(&f);
}

static void test_export_since_keeps_newer_requests_only(void)
{
    struct fixture f;
    struct csv c;
    json_t *root;
    char *text;
    int rc = -99;
    if (fixture_open(&f))
        return;
    export_fixture(f.s);
    text = export_text(f.s, STORE_EXPORT_CSV, T0 + 1, &rc);
    CHECK(rc == STORE_OK && text && csv_parse(text, &c) == 0);
    CHECK(c.n_records == 2);
    CHECK_STR(csv_cell(&c, 1, "id"), "CR-2");
    csv_free(&c);
    free(text);
    text = export_text(f.s, STORE_EXPORT_JSON, T0 + DAY, &rc);      /* boundary: included */
    root = text ? json_loads(text, 0, NULL) : NULL;
    CHECK(rc == STORE_OK && json_array_size(root) == 1);
    json_decref(root);
    free(text);
    text = export_text(f.s, STORE_EXPORT_JSON, T0 + DAY + 1, &rc);
    root = text ? json_loads(text, 0, NULL) : NULL;
    CHECK(rc == STORE_OK && json_is_array(root) && json_array_size(root) == 0);
    json_decref(root);
    free(text);
    fixture_close(&f);
}

static void test_export_of_nothing_and_failed_writes(void)
{
    struct fixture f;
    FILE *ro;
    char *text;
    int rc = -99;
    if (fixture_open(&f))
        return;
    text = export_text(f.s, STORE_EXPORT_JSON, 0, &rc);
    CHECK(rc == STORE_OK);
    CHECK_STR(text, "[]\n");
    free(text);
    export_fixture(f.s);
    ro = fopen("/dev/null", "r");                  /* every write fails */
    CHECK(ro != NULL);
    if (ro) {
        CHECK(store_export(f.s, ro, STORE_EXPORT_CSV, 0) == STORE_E_IO);
        CHECK_CONTAINS(store_last_error(f.s), "output");
        fclose(ro);
    }
    fixture_close(&f);
}

/* ---- durability ---- */

static void test_reopen_keeps_everything(void)
{
    struct fixture f;
    struct request a, b;
    struct effect_list fx = {0};
    struct rows rows = {0};
    char id[REQUEST_ID_MAX], v[16];
    int n = -1;
    if (fixture_open(&f))
        return;
    full_request(&a, "RF-1");
    effect_list_push(&fx, EFFECT_PROVIDER_POLL, T0 + MIN);
    CHECK(commit_ev(f.s, &a, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, "marketplace", "", &fx,
                    "env-9", T0) == STORE_OK);
    CHECK(store_next_request_id(f.s, REQUEST_REFUND, id) == STORE_OK);
    CHECK(store_set_setting(f.s, "clock", "42") == STORE_OK);
    fixture_reopen(&f);
    a.version = 1;
    CHECK(store_load_request(f.s, "RF-1", &b) == STORE_OK && memcmp(&a, &b, sizeof(a)) == 0);
    CHECK(store_count_pending(f.s, "RF-1", EFFECT_PROVIDER_POLL, &n) == STORE_OK && n == 1);
    CHECK(store_history(f.s, "RF-1", collect_event, &rows) == STORE_OK && rows.n == 1);
    CHECK(store_next_request_id(f.s, REQUEST_REFUND, id) == STORE_OK);
    CHECK_STR(id, "RF-2");
    CHECK(store_get_setting(f.s, "clock", v, sizeof(v)) == STORE_OK);
    CHECK_STR(v, "42");
    CHECK(store_seen_once(f.s, "env-9", T0) == 0);
    CHECK(commit_ev(f.s, &a, REQUEST_SUBMITTED, EV_STATUS, "marketplace", "", NULL, "env-9",
                    T0) == STORE_DUPLICATE);
    fixture_close(&f);
}

int main(void)
{
    test_backend_require("test_store");
    RUN(test_open_creates_current_schema_in_wal_mode);
    RUN(test_newer_schema_is_refused);
    RUN(test_open_of_impossible_path_fails_without_output);
    RUN(test_open_under_a_file_says_not_a_directory);
    RUN(test_postgres_errors_never_show_the_password);
    RUN(test_postgres_refusal_is_not_unreachable);
    RUN(test_json_round_trips_every_field);
    RUN(test_json_missing_and_unknown_keys_are_tolerated);
    RUN(test_json_refuses_wrong_types_and_names);
    RUN(test_json_replaces_cut_utf8_instead_of_failing);
    RUN(test_commit_then_load_returns_every_field);
    RUN(test_commit_writes_event_and_effects_in_one_go);
    RUN(test_duplicate_key_writes_nothing);
    RUN(test_failure_mid_transaction_leaves_nothing);
    RUN(test_corrupt_row_is_an_io_error_naming_the_request);
    RUN(test_old_row_without_new_fields_loads_with_zeros);
    RUN(test_claim_orders_by_due_then_id);
    RUN(test_claim_takes_one_effect_per_request_in_order);
    RUN(test_claim_takes_only_due_effects_and_at_most_max);
    RUN(test_lease_excludes_a_second_claim_until_it_ends);
    RUN(test_retry_reschedules_and_records_the_error);
    RUN(test_done_effect_is_never_claimed_again);
    RUN(test_release_leases_frees_claimed_effects);
    RUN(test_next_due_is_the_earliest_claimable_time);
    RUN(test_metrics_gauges_count_states_and_the_outbox);
    RUN(test_request_ids_count_per_kind_and_survive_reopen);
    RUN(test_history_is_oldest_first);
    RUN(test_list_filters_newest_first);
    RUN(test_card_ts_is_stored_found_and_kept);
    RUN(test_settings_round_trip_and_refuse_short_buffers);
    RUN(test_seen_once_is_true_once);
    RUN(test_bad_arguments_are_refused);
    RUN(test_quiet_commit_writes_no_event_row);
    RUN(test_export_csv_quotes_and_defuses_formulas);
    RUN(test_export_csv_has_no_formula_under_any_split);
    RUN(test_export_csv_has_a_row_per_entitlement);
    RUN(test_export_puts_known_names_next_to_ids);
    RUN(test_export_json_has_every_field_and_history);
    RUN(test_export_since_keeps_newer_requests_only);
    RUN(test_export_of_nothing_and_failed_writes);
    RUN(test_reopen_keeps_everything);
    return check_summary();
}
