/* tests/test_store_shared.c -- the store when it is not alone: two handles on one
 * record (a SQLite file or a PostgreSQL schema: tests/store_backend.h) stand for two
 * processes (each open store is its own lease owner). Versioned transitions, owned
 * leases, group commit, intents, housekeeping; on PostgreSQL also replicas claiming
 * side by side and starting (migrating) together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "tests/check.h"
#include "tests/store_backend.h"
#include "store/store.h"

#define T0 1764064800000LL
#define SEC 1000LL
#define MIN (60 * SEC)
#define DAY (24 * 60 * MIN)

struct pair {
    struct test_db db;
    struct store *a, *b;            /* two "processes" */
};

static int pair_open(struct pair *p)
{
    memset(p, 0, sizeof(*p));
    if (test_db_create(&p->db) != 0) {
        CHECK(!"test_db_create failed");
        return -1;
    }
    CHECK(test_db_open(&p->db, &p->a) == STORE_OK);
    CHECK(test_db_open(&p->db, &p->b) == STORE_OK);
    return p->a && p->b ? 0 : -1;
}

static void pair_close(struct pair *p)
{
    store_close(p->a);
    store_close(p->b);
    test_db_destroy(&p->db);
}

static long long count(const struct pair *p, const char *sql)
{
    return test_db_int(&p->db, sql);
}

static void base_request(struct request *rq, const char *id, enum request_state state)
{
    memset(rq, 0, sizeof(*rq));
    request_copy_str(rq->id, sizeof(rq->id), id);
    rq->state = state;
    request_copy_str(rq->requester, sizeof(rq->requester), "U0ALICE");
    request_copy_str(rq->channel, sizeof(rq->channel), "C0CANCELS");
    rq->created_ms = rq->updated_ms = T0;
}

static int commit(struct store *s, const struct request *rq, enum request_state from,
                  enum request_event_kind kind, const struct effect_list *fx, const char *key)
{
    struct request_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    request_copy_str(ev.actor, sizeof(ev.actor), "U0FIN1");
    request_copy_str(ev.via, sizeof(ev.via), "button");
    return store_commit_transition(s, rq, from, &ev, fx, key, T0);
}

/* Both read version 1; the first write wins, the second is refused whole (no event,
 * no effect, no de-duplication key) and, re-read, sees version 2. */
static void test_stale_version_is_refused_and_writes_nothing(void)
{
    struct pair p;
    struct request rq, ra, rb;
    struct effect_list fx = {0};
    if (pair_open(&p))
        return;
    base_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, NULL) == STORE_OK);
    CHECK(store_load_request(p.a, "CR-1", &ra) == STORE_OK && ra.version == 1);
    CHECK(store_load_request(p.b, "CR-1", &rb) == STORE_OK && rb.version == 1);
    effect_list_push(&fx, EFFECT_PROVIDER_SUBMIT, 0);
    ra.state = rb.state = REQUEST_SUBMITTING;
    CHECK(commit(p.a, &ra, REQUEST_AWAITING_APPROVAL, EV_APPROVE, &fx, "act:a") == STORE_OK);
    CHECK(commit(p.b, &rb, REQUEST_AWAITING_APPROVAL, EV_APPROVE, &fx, "act:b") ==
          STORE_E_CONFLICT);
    CHECK_CONTAINS(store_last_error(p.b), "changed since it was read");
    CHECK(count(&p, "SELECT COUNT(*) FROM events") == 2);
    CHECK(count(&p, "SELECT COUNT(*) FROM outbox WHERE kind = 'provider_submit'") == 1);
    CHECK(store_seen_once(p.b, "act:b", T0) == 1);       /* the key was not kept */
    CHECK(store_load_request(p.b, "CR-1", &rb) == STORE_OK && rb.version == 2);
    /* a new request whose id exists already is a conflict too, never an overwrite */
    base_request(&rq, "CR-1", REQUEST_DRAFT);
    CHECK(commit(p.b, &rq, REQUEST_DRAFT, EV_CREATE, NULL, NULL) == STORE_E_CONFLICT);
    CHECK(store_load_request(p.a, "CR-1", &ra) == STORE_OK && ra.state == REQUEST_SUBMITTING);
    /* setting the card moves the version: a transition read before it is stale */
    CHECK(store_set_card_ts(p.a, "CR-1", "1700000000.000100") == STORE_OK);
    rb.state = REQUEST_SUBMITTED;
    CHECK(commit(p.b, &rb, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, NULL, NULL) ==
          STORE_E_CONFLICT);
    pair_close(&p);
}

static void one_timer(struct store *s, const char *id, int64_t due)
{
    struct request rq;
    struct effect_list fx = {0};
    base_request(&rq, id, REQUEST_SUBMITTED);
    effect_list_push(&fx, EFFECT_TIMER, due)->timer = TIMER_REMINDER;
    CHECK(commit(s, &rq, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, &fx, NULL) == STORE_OK);
}

static int note_owner(void *ud, const char *owner)
{
    int *n = ud;
    (void)owner;
    (*n)++;
    return 0;
}

/* A lease is its owner's: the other process neither claims, retries nor releases
 * it until it runs out; renewing keeps it; a clean stop frees only one's own. */
static void test_leases_belong_to_their_owner(void)
{
    struct pair p;
    struct stored_effect got[4];
    int n = -1, owners = 0;
    int64_t id;
    if (pair_open(&p))
        return;
    CHECK(strcmp(store_owner(p.a), store_owner(p.b)) != 0);
    one_timer(p.a, "CR-1", T0);
    one_timer(p.a, "CR-2", T0);
    CHECK(store_claim_due_effects(p.a, T0, 30 * SEC, 1, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && !got[0].uncertain);     /* never claimed before */
    id = got[0].id;
    CHECK(store_claim_due_effects(p.b, T0, 30 * SEC, 4, got, &n) == STORE_OK && n == 1);
    CHECK(got[0].id != id);                              /* the other one */
    CHECK(store_effect_retry(p.b, id, T0, "not mine") == STORE_E_NOT_FOUND);
    CHECK(store_lease_owners(p.a, T0, note_owner, &owners) == STORE_OK && owners == 2);
    /* a renews at T0 + 20 s: still a's at T0 + 40 s, when it would have run out */
    CHECK(store_renew_leases(p.a, T0 + 20 * SEC, 30 * SEC) == STORE_OK);
    CHECK(store_claim_due_effects(p.b, T0 + 40 * SEC, 30 * SEC, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].id != id);                    /* b's own ran out: b takes it again */
    /* b stops cleanly: a's lease stays, b's effect is due at once for anyone */
    CHECK(store_release_own_leases(p.b, T0 + 41 * SEC) == STORE_OK);
    CHECK(count(&p, "SELECT COUNT(*) FROM outbox WHERE lease_owner IS NOT NULL"
                    " AND lease_until_ms > 1764064841000") == 1);   /* T0 + 41 s */
    CHECK(store_claim_due_effects(p.a, T0 + 41 * SEC, 30 * SEC, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].id != id && got[0].attempts == 1);
    CHECK(n == 1 && got[0].uncertain);      /* b let go of it unfinished: it may have run */
    /* a dies without renewing: at the end of its lease b takes over its effect */
    CHECK(store_claim_due_effects(p.b, T0 + 50 * SEC - 1, 30 * SEC, 4, got, &n) == STORE_OK);
    CHECK(n == 0);
    CHECK(store_claim_due_effects(p.b, T0 + 50 * SEC, 30 * SEC, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].id == id && got[0].attempts == 1 && got[0].uncertain);
    /* release of a named owner (its process is known dead) */
    CHECK(store_release_leases_of(p.a, store_owner(p.b), T0 + 51 * SEC) == STORE_OK);
    CHECK(store_claim_due_effects(p.a, T0 + 51 * SEC, 30 * SEC, 4, got, &n) == STORE_OK);
    CHECK(n == 1 && got[0].id == id);
    pair_close(&p);
}

/* Next-due comes from the index and stays right when effects are leased. */
static void test_next_due_with_many_pending_timers(void)
{
    struct pair p;
    struct stored_effect got[1];
    int64_t due = -1;
    int n;
    char id[16];
    if (pair_open(&p))
        return;
    CHECK(store_batch_begin(p.a) == STORE_OK);
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "CR-%d", i + 1);
        one_timer(p.a, id, T0 + DAY + i);
    }
    CHECK(store_batch_commit(p.a) == STORE_OK);
    one_timer(p.a, "CR-9999", T0 + SEC);
    CHECK(store_next_due(p.b, &due) == STORE_OK && due == T0 + SEC);
    CHECK(store_claim_due_effects(p.b, T0 + SEC, 30 * SEC, 1, got, &n) == STORE_OK && n == 1);
    CHECK(store_next_due(p.b, &due) == STORE_OK && due == T0 + 31 * SEC);
    CHECK(count(&p, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 2001);
    pair_close(&p);
}

/* One outer transaction for many writes; a failed write inside undoes only itself;
 * a rolled-back batch leaves nothing. */
static void test_group_commit(void)
{
    struct pair p;
    struct request rq, got;
    if (pair_open(&p))
        return;
    CHECK(store_batch_begin(p.a) == STORE_OK && store_in_batch(p.a));
    base_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, "env-1") == STORE_OK);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, "env-2") == STORE_E_CONFLICT);
    CHECK(store_seen_once(p.a, "env-3", T0) == 1);
    CHECK(store_batch_begin(p.a) == STORE_OK);           /* nested: joins */
    base_request(&rq, "CR-2", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, NULL) == STORE_OK);
    CHECK(store_batch_commit(p.a) == STORE_OK && store_in_batch(p.a));
    CHECK(count(&p, "SELECT COUNT(*) FROM requests") == 0);      /* not yet visible */
    CHECK(store_batch_commit(p.a) == STORE_OK && !store_in_batch(p.a));
    CHECK(count(&p, "SELECT COUNT(*) FROM requests") == 2);
    CHECK(count(&p, "SELECT COUNT(*) FROM events") == 2);
    CHECK(store_seen_once(p.b, "env-1", T0) == 0 && store_seen_once(p.b, "env-2", T0) == 1);
    CHECK(store_seen_once(p.b, "env-3", T0) == 0);
    CHECK(store_batch_begin(p.a) == STORE_OK);
    base_request(&rq, "CR-3", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, "env-4") == STORE_OK);
    store_batch_rollback(p.a);
    CHECK(!store_in_batch(p.a));
    CHECK(store_load_request(p.b, "CR-3", &got) == STORE_E_NOT_FOUND);
    CHECK(store_seen_once(p.b, "env-4", T0) == 1);
    CHECK(store_batch_commit(p.a) == STORE_E_INVALID);   /* no batch open */
    pair_close(&p);
}

/* A version read inside a batch that was then rolled back is not the stored one:
 * another process may write that version number with other content. */
static void test_rolled_back_version_is_never_served_from_memory(void)
{
    struct pair p;
    struct request rq, got;
    if (pair_open(&p))
        return;
    base_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, NULL) == STORE_OK);
    CHECK(store_load_request(p.a, "CR-1", &rq) == STORE_OK && rq.version == 1);
    CHECK(store_batch_begin(p.a) == STORE_OK);
    rq.state = REQUEST_REJECTED;
    CHECK(commit(p.a, &rq, REQUEST_AWAITING_APPROVAL, EV_REJECT, NULL, NULL) == STORE_OK);
    CHECK(store_load_request(p.a, "CR-1", &got) == STORE_OK && got.version == 2);
    CHECK(got.state == REQUEST_REJECTED);
    store_batch_rollback(p.a);
    rq.state = REQUEST_SUBMITTING;
    CHECK(commit(p.b, &rq, REQUEST_AWAITING_APPROVAL, EV_APPROVE, NULL, NULL) == STORE_OK);
    CHECK(store_load_request(p.a, "CR-1", &got) == STORE_OK && got.version == 2);
    CHECK(got.state == REQUEST_SUBMITTING);
    pair_close(&p);
}

/* A shell opened on a Slack bot's file runs timers and marketplace calls, but leaves
 * Slack's messages to the Slack process: it would "post" them to its terminal. */
static void test_chat_effects_stay_with_their_adapter(void)
{
    struct pair p;
    struct request rq;
    struct effect_list fx = {0};
    struct stored_effect got[4];
    int n = -1;
    if (pair_open(&p))
        return;
    store_set_chat(p.a, "slack");
    store_set_chat(p.b, "shell");
    base_request(&rq, "CR-1", REQUEST_AWAITING_APPROVAL);
    effect_list_push(&fx, EFFECT_TIMER, T0)->timer = TIMER_REMINDER;
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, &fx, NULL) == STORE_OK);
    base_request(&rq, "CR-2", REQUEST_AWAITING_APPROVAL);
    fx.len = 0;
    effect_list_push(&fx, EFFECT_POST_CARD, 0);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, &fx, NULL) == STORE_OK);
    CHECK(store_claim_due_effects(p.b, T0, MIN, 4, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].fx.kind == EFFECT_TIMER);
    CHECK(store_claim_due_effects(p.a, T0, MIN, 4, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].fx.kind == EFFECT_POST_CARD);
    pair_close(&p);
}

static void test_find_by_marketplace_reference(void)
{
    struct pair p;
    struct request rq, got;
    if (pair_open(&p))
        return;
    base_request(&rq, "CR-1", REQUEST_SUBMITTED);
    request_copy_str(rq.provider_ref, sizeof(rq.provider_ref), "acr-1111");
    CHECK(commit(p.a, &rq, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, NULL, NULL) == STORE_OK);
    base_request(&rq, "CR-2", REQUEST_AWAITING_APPROVAL);
    CHECK(commit(p.a, &rq, REQUEST_DRAFT, EV_CONFIRM, NULL, NULL) == STORE_OK);
    CHECK(store_find_by_provider_ref(p.b, "acr-1111", &got) == STORE_OK);
    CHECK_STR(got.id, "CR-1");
    CHECK(store_find_by_provider_ref(p.b, "acr-2222", &got) == STORE_E_NOT_FOUND);
    CHECK(store_find_by_provider_ref(p.b, "", &got) == STORE_E_INVALID);
    pair_close(&p);
}

static void test_intents_resume_only_when_their_lease_ran_out(void)
{
    struct pair p;
    struct store_intent in, got[2];
    int64_t id = 0;
    int n = -1;
    if (pair_open(&p))
        return;
    memset(&in, 0, sizeof(in));
    request_copy_str(in.user, sizeof(in.user), "U0ALICE");
    request_copy_str(in.channel, sizeof(in.channel), "C0CANCELS");
    request_copy_str(in.command, sizeof(in.command), "/cancel");
    request_copy_str(in.text, sizeof(in.text), "aws agmt-1 reason=test note=\"x\"");
    CHECK(store_intent_add(p.a, &in, T0, 30 * SEC, &id) == STORE_OK && id > 0);
    CHECK(store_claim_intents(p.b, T0 + 29 * SEC, 30 * SEC, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_renew_leases(p.a, T0 + 20 * SEC, 30 * SEC) == STORE_OK);
    CHECK(store_claim_intents(p.b, T0 + 40 * SEC, 30 * SEC, 2, got, &n) == STORE_OK && n == 0);
    CHECK(store_claim_intents(p.b, T0 + 50 * SEC, 30 * SEC, 2, got, &n) == STORE_OK && n == 1);
    CHECK(n == 1 && got[0].id == id);
    CHECK_STR(got[0].text, in.text);
    CHECK_STR(got[0].command, "/cancel");
    CHECK(store_intent_done(p.b, id) == STORE_OK);
    CHECK(store_claim_intents(p.a, T0 + DAY, 30 * SEC, 2, got, &n) == STORE_OK);
    CHECK(n == 0);
    pair_close(&p);
}

static void test_prune_keeps_the_audit_history(void)
{
    struct pair p;
    struct stored_effect got[1];
    int n = -1, pruned = -1;
    if (pair_open(&p))
        return;
    one_timer(p.a, "CR-1", T0);
    CHECK(store_claim_due_effects(p.a, T0, MIN, 1, got, &n) == STORE_OK && n == 1);
    CHECK(store_effect_done(p.a, got[0].id, "fired") == STORE_OK);
    one_timer(p.a, "CR-2", T0 + DAY);        /* pending: never pruned */
    CHECK(store_seen_once(p.a, "env-old", T0) == 1);
    CHECK(store_seen_once(p.a, "env-new", T0 + 20 * MIN) == 1);
    CHECK(store_prune(p.a, T0 + 10 * MIN, T0 + 1, &pruned) == STORE_OK && pruned == 2);
    CHECK(count(&p, "SELECT COUNT(*) FROM outbox") == 1);
    CHECK(count(&p, "SELECT COUNT(*) FROM events") == 2);
    CHECK(store_seen_once(p.b, "env-old", T0) == 1);     /* forgotten */
    CHECK(store_seen_once(p.b, "env-new", T0) == 0);     /* kept */
    pair_close(&p);
}

/* PostgreSQL: while a's claim is still in its transaction (its rows locked), b
 * passes over them instead of waiting, and takes nothing of a request a holds. */
static void test_replicas_claim_side_by_side(void)
{
    struct pair p;
    struct request rq;
    struct effect_list fx = {0};
    struct stored_effect ga[4], gb[4];
    int na = -1, nb = -1;
    if (!test_backend_is_pg() || pair_open(&p))
        return;
    base_request(&rq, "CR-1", REQUEST_SUBMITTED);
    effect_list_push(&fx, EFFECT_TIMER, T0)->timer = TIMER_REMINDER;
    effect_list_push(&fx, EFFECT_TIMER, T0)->timer = TIMER_APPROVAL_EXPIRY;
    CHECK(commit(p.a, &rq, REQUEST_SUBMITTING, EV_SUBMIT_ACCEPTED, &fx, NULL) == STORE_OK);
    one_timer(p.a, "CR-2", T0);
    CHECK(store_batch_begin(p.a) == STORE_OK);
    CHECK(store_claim_due_effects(p.a, T0, 30 * SEC, 1, ga, &na) == STORE_OK && na == 1);
    CHECK(strcmp(ga[0].request_id, "CR-1") == 0);
    /* a has not committed: b would block on a's rows without SKIP LOCKED */
    CHECK(store_claim_due_effects(p.b, T0, 30 * SEC, 4, gb, &nb) == STORE_OK);
    CHECK(nb == 1 && strcmp(gb[0].request_id, "CR-2") == 0);
    CHECK(store_batch_commit(p.a) == STORE_OK);
    CHECK(store_claim_due_effects(p.b, T0, 30 * SEC, 4, gb, &nb) == STORE_OK && nb == 0);
    CHECK(store_effect_done(p.a, ga[0].id, "fired") == STORE_OK);
    CHECK(store_claim_due_effects(p.b, T0, 30 * SEC, 4, gb, &nb) == STORE_OK && nb == 1);
    CHECK(nb == 1 && strcmp(gb[0].request_id, "CR-1") == 0 && gb[0].id != ga[0].id);
    pair_close(&p);
}

/* PostgreSQL: replicas that start together on an empty database migrate it once,
 * one after the other (the advisory lock), and every one of them opens. */
static void test_replicas_starting_together_migrate_once(void)
{
    enum { REPLICAS = 6 };
    struct test_db db;
    pid_t pids[REPLICAS];
    int opened = 0;
    if (!test_backend_is_pg() || test_db_create(&db) != 0)
        return;
    for (int i = 0; i < REPLICAS; i++) {
        if ((pids[i] = fork()) == 0) {
            struct store *s = NULL;
            int rc = test_db_open(&db, &s);
            store_close(s);
            _exit(rc == STORE_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < REPLICAS; i++) {
        int status = 0;
        if (pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            opened++;
    }
    CHECK(opened == REPLICAS);
    CHECK(test_db_int(&db, "SELECT COUNT(*) FROM schema_version") == 5);
    CHECK(test_db_int(&db, "SELECT COUNT(DISTINCT value) FROM settings"
                           " WHERE name = 'installation_id'") == 1);
    test_db_destroy(&db);
}

int main(void)
{
    test_backend_require("test_store_shared");
    RUN(test_stale_version_is_refused_and_writes_nothing);
    RUN(test_leases_belong_to_their_owner);
    RUN(test_next_due_with_many_pending_timers);
    RUN(test_group_commit);
    RUN(test_rolled_back_version_is_never_served_from_memory);
    RUN(test_chat_effects_stay_with_their_adapter);
    RUN(test_find_by_marketplace_reference);
    RUN(test_intents_resume_only_when_their_lease_ran_out);
    RUN(test_prune_keeps_the_audit_history);
    RUN(test_replicas_claim_side_by_side);
    RUN(test_replicas_starting_together_migrate_once);
    return check_summary();
}
