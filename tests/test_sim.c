/* tests/test_sim.c -- the simulated marketplace: one test per rule it models (AWS
 * cancellation requests, idempotent client tokens, the 7-day automatic approval,
 * Azure's ten minutes, refunds), its state file across restarts, and the provider
 * glue's promise that callbacks never fire inside the call. Time is plain integers. */
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/check.h"
#include "providers/sim.h"

#define T0 1767225600000LL                 /* 2026-01-01T00:00:00Z */
#define DAY (24LL * 3600 * 1000)
#define AGMT "agmt-1a2b3c4d5e6f7g8h9i0j"
#define BIG "agmt-big0000000000000001"
#define PRIVATE "agmt-private000000000001"
#define CUSTOMER "3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
#define SUBSCRIPTION "9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789"

/* ---- fixtures ----------------------------------------------------------------- */

static struct sim_market *builtin_market(void)
{
    char err[256] = "";
    struct sim_market *m = sim_market_load_json(NULL, NULL, err, sizeof(err));
    if (!m)
        fprintf(stderr, "built-in seed: %s\n", err);
    return m;
}

static struct provider_target aws_target(const char *agreement_id)
{
    struct provider_target t;
    memset(&t, 0, sizeof(t));
    t.market = MARKET_AWS;
    request_copy_str(t.agreement_id, sizeof(t.agreement_id), agreement_id);
    return t;
}

static struct provider_target azure_target(const char *customer, const char *subscription,
                                           const char *entitlement)
{
    struct provider_target t;
    memset(&t, 0, sizeof(t));
    t.market = MARKET_AZURE;
    request_copy_str(t.customer_id, sizeof(t.customer_id), customer);
    request_copy_str(t.subscription_id, sizeof(t.subscription_id), subscription);
    request_copy_str(t.entitlement_id, sizeof(t.entitlement_id), entitlement);
    return t;
}

static struct provider_submission cancel_sub(const char *agreement_id, const char *token)
{
    struct provider_submission s;
    memset(&s, 0, sizeof(s));
    s.kind = REQUEST_CANCEL;
    s.target = aws_target(agreement_id);
    request_copy_str(s.reason_code, sizeof(s.reason_code), "REPLACING_AGREEMENT");
    request_copy_str(s.description, sizeof(s.description),
                     "Replacing with private offer offer-9x8y7w6v5u4t");
    request_copy_str(s.client_token, sizeof(s.client_token), token);
    return s;
}

static struct provider_submission refund_sub(const char *agreement_id, const char *token,
                                             const char *invoice, int64_t cents)
{
    struct provider_submission s = cancel_sub(agreement_id, token);
    s.kind = REQUEST_REFUND;
    request_copy_str(s.reason_code, sizeof(s.reason_code), "BUYER_DISSATISFACTION");
    request_copy_str(s.invoice_id, sizeof(s.invoice_id), invoice);
    s.amount_cents = cents;
    request_copy_str(s.currency, sizeof(s.currency), "USD");
    return s;
}

static struct provider_submission azure_sub(const char *entitlement, const char *reason)
{
    struct provider_submission s;
    memset(&s, 0, sizeof(s));
    s.kind = REQUEST_CANCEL;
    s.target = azure_target(CUSTOMER, SUBSCRIPTION, entitlement);
    request_copy_str(s.reason_code, sizeof(s.reason_code), reason);
    request_copy_str(s.client_token, sizeof(s.client_token), "CR-9-submit");
    return s;
}

static struct provider_ref aws_ref(enum request_kind kind, const char *agreement_id,
                                   const char *ref)
{
    struct provider_ref r;
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.target = aws_target(agreement_id);
    request_copy_str(r.ref, sizeof(r.ref), ref);
    return r;
}

/* Submits a cancellation of AGMT at T0 with token "CR-1-submit"; returns its acr id. */
static void submit_one(struct sim_market *m, char *ref, size_t reflen)
{
    struct provider_submission s = cancel_sub(AGMT, "CR-1-submit");
    struct provider_result res;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_OK);
    request_copy_str(ref, reflen, res.ref);
}

static int is_request_id(const char *id, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(id, prefix, n) != 0 || strlen(id) != n + 12)
        return 0;
    for (const char *s = id + n; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long n;
    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

static void seed_path(char *buf, size_t len)
{
    const char *src = getenv("CANCELBOT_SRC");
    if (src && *src) {
        snprintf(buf, len, "%s/deploy/sim-seed.json", src);
        return;
    }
    snprintf(buf, len, "%s", __FILE__);              /* .../tests/test_sim.c */
    char *slash = strrchr(buf, '/');
    if (slash)
        snprintf(slash, len - (size_t)(slash - buf), "/../deploy/sim-seed.json");
    else
        snprintf(buf, len, "../deploy/sim-seed.json");
}

struct tmpdir {
    char dir[64];
    char state[128];
};

static void tmpdir_make(struct tmpdir *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/test_sim.XXXXXX");
    if (!mkdtemp(t->dir))
        t->dir[0] = '\0';
    snprintf(t->state, sizeof(t->state), "%s/state.json", t->dir);
}

/* Files in the directory other than the state file (a temporary one left behind). */
static int tmpdir_others(const struct tmpdir *t)
{
    DIR *dir = opendir(t->dir);
    struct dirent *e;
    int n = 0;
    if (!dir)
        return -1;
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "state.json"))
            n++;
    closedir(dir);
    return n;
}

static void tmpdir_remove(struct tmpdir *t)
{
    remove(t->state);
    rmdir(t->dir);
}

/* A loop whose defer queues the answer, as the runtime's does: nothing runs until
 * fake_run() is called. */
struct fake_loop {
    int64_t now;
    int queued;
    provider_cb cb[4];
    void *ud[4];
    struct provider_result res[4];
};

static void fake_defer(void *loop, provider_cb cb, void *ud, const struct provider_result *res)
{
    struct fake_loop *l = loop;
    if (l->queued < 4) {
        l->cb[l->queued] = cb;
        l->ud[l->queued] = ud;
        l->res[l->queued++] = *res;
    }
}

static int64_t fake_now(void *loop)
{
    return ((struct fake_loop *)loop)->now;
}

static void fake_run(struct fake_loop *l)
{
    for (int i = 0; i < l->queued; i++)
        l->cb[i](l->ud[i], &l->res[i]);
    l->queued = 0;
}

struct got {
    int calls;
    struct provider_result res;
};

static void on_result(void *ud, const struct provider_result *res)
{
    struct got *g = ud;
    g->calls++;
    g->res = *res;
}

static struct provider *sim_new(struct fake_loop *l, const char *config)
{
    struct provider_env env = { .loop = l, .defer = fake_defer, .now_ms = fake_now };
    char err[256];
    return provider_new(&sim_provider_ops, &env, config, err, sizeof(err));
}

/* ---- AWS: look-up and search -------------------------------------------------- */

static void test_lookup_returns_the_agreement(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target(BIG);
    struct provider_result res;
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_OK);
    CHECK(res.n_matches == 1);
    CHECK_STR(res.matches[0].id, BIG);
    CHECK_STR(res.matches[0].buyer_account, "123456789012");
    CHECK_STR(res.matches[0].status, "ACTIVE");
    CHECK(res.matches[0].value_cents == 12000000);
    CHECK_STR(res.matches[0].currency, "USD");
    sim_market_free(m);
}

static void test_lookup_of_unknown_agreement_is_not_found(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target("agmt-zzz");
    struct provider_result res;
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_FOUND);
    CHECK(res.rc == PROVIDER_E_NOT_FOUND && res.n_matches == 0);
    CHECK_STR(res.message, "No agreement agmt-zzz for seller account default.");
    sim_market_free(m);
}

static void test_search_by_buyer_lists_only_active_agreements(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target("");
    struct provider_result res;
    request_copy_str(t.buyer_account, sizeof(t.buyer_account), "123456789012");
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK);
    CHECK(res.n_matches == 2);                  /* agmt-cancelled... is left out */
    for (int i = 0; i < res.n_matches; i++) {
        CHECK_STR(res.matches[i].buyer_account, "123456789012");
        CHECK_STR(res.matches[i].status, "ACTIVE");
    }
    request_copy_str(t.buyer_account, sizeof(t.buyer_account), "999999999999");
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK && res.n_matches == 0);
    CHECK_CONTAINS(res.message, "999999999999");
    sim_market_free(m);
}

static void test_search_by_offer(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target("");
    struct provider_result res;
    request_copy_str(t.offer_id, sizeof(t.offer_id), "offer-9x8y7w6v5u4t");
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK);
    CHECK(res.n_matches == 2);
    CHECK_STR(res.matches[0].id, AGMT);
    CHECK_STR(res.matches[1].id, "agmt-2b3c4d5e6f7g8h9i0j1k");
    memset(t.offer_id, 0, sizeof(t.offer_id));
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_E_INVALID);
    sim_market_free(m);
}

static void test_search_stops_at_max_matches(void)
{
    char json[8192] = "{\"aws\": {\"agreements\": [", err[256] = "";
    size_t used = strlen(json);
    for (int i = 0; i < PROVIDER_MAX_MATCHES + 5; i++)
        used += (size_t)snprintf(json + used, sizeof(json) - used, "%s{\"id\": \"agmt-%02d\", "
                                 "\"buyer_account\": \"111111111111\", \"status\": \"ACTIVE\"}",
                                 i ? ", " : "", i);
    snprintf(json + used, sizeof(json) - used, "]}}");
    struct sim_market *m = sim_market_from_json(json, "test", err, sizeof(err));
    struct provider_target t = aws_target("");
    struct provider_result res;
    request_copy_str(t.buyer_account, sizeof(t.buyer_account), "111111111111");
    CHECK(m != NULL);
    if (m) {
        CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK);
        CHECK(res.n_matches == PROVIDER_MAX_MATCHES);
    }
    sim_market_free(m);
}

/* ---- AWS: cancellation requests ----------------------------------------------- */

static void test_submit_creates_pending_request(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(AGMT, "CR-1-submit");
    struct provider_result res;
    struct sim_request rq;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_OK);
    CHECK(is_request_id(res.ref, "acr-"));
    CHECK(res.status == MSTATUS_PENDING);
    CHECK_STR(res.status_raw, "PENDING_APPROVAL");
    CHECK(sim_market_count_requests(m, AGMT) == 1);
    CHECK(sim_market_get_request(m, res.ref, T0, &rq) == 0);
    CHECK(rq.created_ms == T0 && rq.status == SIM_REQ_PENDING_APPROVAL && !rq.auto_approved);
    CHECK_STR(rq.client_token, "CR-1-submit");
    CHECK_STR(rq.reason_code, "REPLACING_AGREEMENT");
    sim_market_free(m);
}

static void test_same_client_token_returns_the_same_request(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(AGMT, "CR-1-submit");
    struct provider_result first, again;
    CHECK(sim_market_submit(m, &s, T0, &first) == PROVIDER_OK);
    CHECK(sim_market_submit(m, &s, T0 + 5000, &again) == PROVIDER_OK);
    CHECK_STR(again.ref, first.ref);
    CHECK(sim_market_count_requests(m, NULL) == 1);
    CHECK(sim_market_submit_calls(m, "CR-1-submit") == 2);
    CHECK(sim_market_submit_calls(m, "CR-2-submit") == 0);
    sim_market_free(m);
}

static void test_other_client_token_while_pending_conflicts(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission other = cancel_sub(AGMT, "CR-2-submit");
    struct provider_result res;
    char ref[128];
    submit_one(m, ref, sizeof(ref));
    CHECK(sim_market_submit(m, &other, T0 + 1000, &res) == PROVIDER_E_CONFLICT);
    CHECK_CONTAINS(res.message, AGMT);
    CHECK_CONTAINS(res.message, ref);
    CHECK(sim_market_count_requests(m, AGMT) == 1);
    sim_market_free(m);
}

static void test_client_token_of_another_agreement_conflicts(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(BIG, "CR-1-submit");
    struct provider_result res;
    char ref[128];
    submit_one(m, ref, sizeof(ref));
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_CONFLICT);
    CHECK(sim_market_count_requests(m, BIG) == 0);
    sim_market_free(m);
}

static void test_malformed_client_token_is_invalid(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(AGMT, "CR 1/submit");
    struct provider_result res;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);
    CHECK(sim_market_count_requests(m, NULL) == 0);
    sim_market_free(m);
}

static void test_private_offer_is_not_eligible(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(PRIVATE, "CR-3-submit");
    struct provider_result res;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_NOT_ELIGIBLE);
    CHECK_CONTAINS(res.message, PRIVATE);
    CHECK_CONTAINS(res.message, "support case");
    CHECK(sim_market_count_requests(m, PRIVATE) == 0);
    sim_market_free(m);
}

static void test_inactive_agreement_cannot_be_cancelled(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub("agmt-cancelled0000000001", "CR-4-submit");
    struct provider_result res;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);
    CHECK_CONTAINS(res.message, "agmt-cancelled0000000001 is not active");
    CHECK(sim_market_count_requests(m, NULL) == 0);
    sim_market_free(m);
}

static void test_unknown_reason_code_is_invalid(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = cancel_sub(AGMT, "CR-5-submit");
    struct provider_result res;
    request_copy_str(s.reason_code, sizeof(s.reason_code), "NO_LONGER_NEEDED");
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);
    CHECK_CONTAINS(res.message, "REPLACING_AGREEMENT");
    CHECK(sim_market_count_requests(m, NULL) == 0);
    sim_market_free(m);
}

static void test_withdraw_while_pending(void)
{
    struct sim_market *m = builtin_market();
    struct provider_result res;
    struct sim_agreement a;
    char ref[128];
    submit_one(m, ref, sizeof(ref));
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_withdraw(m, &r, "Buyer renewed instead", T0 + DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_CANCELLED);
    CHECK_STR(res.status_raw, "CANCELLED");
    CHECK(sim_market_get_agreement(m, AGMT, T0 + DAY, &a) == 0);
    CHECK_STR(a.info.status, "ACTIVE");
    /* withdrawn already: the same answer again, so a replayed effect is harmless */
    CHECK(sim_market_withdraw(m, &r, "again", T0 + DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_CANCELLED);
    /* nothing pending any more: a new request with a new token goes through */
    struct provider_submission s = cancel_sub(AGMT, "CR-6-submit");
    CHECK(sim_market_submit(m, &s, T0 + DAY, &res) == PROVIDER_OK);
    CHECK(sim_market_count_requests(m, AGMT) == 2);
    sim_market_free(m);
}

static void test_withdraw_after_the_buyer_answered_conflicts(void)
{
    struct sim_market *m = builtin_market();
    struct provider_result res;
    char ref[128], err[256];
    submit_one(m, ref, sizeof(ref));
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_buyer_answer(m, ref, 0, T0 + DAY, err, sizeof(err)) == PROVIDER_OK);
    CHECK(sim_market_withdraw(m, &r, "too late", T0 + 2 * DAY, &res) == PROVIDER_E_CONFLICT);
    CHECK_CONTAINS(res.message, "the buyer already answered");
    CHECK_CONTAINS(res.message, ref);
    sim_market_free(m);
}

static void test_withdraw_of_unknown_request_is_not_found(void)
{
    struct sim_market *m = builtin_market();
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, "acr-000000000000");
    struct provider_result res;
    CHECK(sim_market_withdraw(m, &r, "why", T0, &res) == PROVIDER_E_NOT_FOUND);
    CHECK_CONTAINS(res.message, "acr-000000000000");
    sim_market_free(m);
}

static void test_buyer_accept_cancels_the_agreement(void)
{
    struct sim_market *m = builtin_market();
    struct provider_result res;
    struct sim_agreement a;
    char ref[128], err[256];
    submit_one(m, ref, sizeof(ref));
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_buyer_answer(m, AGMT, 1, T0 + DAY, err, sizeof(err)) == PROVIDER_OK);
    CHECK(sim_market_poll(m, &r, T0 + DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_APPROVED);
    CHECK_STR(res.status_raw, "APPROVED");
    CHECK(sim_market_get_agreement(m, AGMT, T0 + DAY, &a) == 0);
    CHECK_STR(a.info.status, "CANCELLED");
    sim_market_free(m);
}

static void test_buyer_reject_keeps_the_agreement_active(void)
{
    struct sim_market *m = builtin_market();
    struct provider_result res;
    struct sim_agreement a;
    char ref[128], err[256];
    submit_one(m, ref, sizeof(ref));
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_buyer_answer(m, ref, 0, T0 + DAY, err, sizeof(err)) == PROVIDER_OK);
    CHECK(sim_market_poll(m, &r, T0 + DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_REJECTED);
    CHECK_STR(res.status_raw, "REJECTED");
    CHECK(sim_market_get_agreement(m, AGMT, T0 + DAY, &a) == 0);
    CHECK_STR(a.info.status, "ACTIVE");
    /* only a pending request can be answered, and the 7 days no longer apply */
    CHECK(sim_market_buyer_answer(m, ref, 1, T0 + DAY, err, sizeof(err)) == PROVIDER_E_CONFLICT);
    CHECK_CONTAINS(err, ref);
    CHECK(sim_market_poll(m, &r, T0 + 8 * DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_REJECTED);
    CHECK(sim_market_buyer_answer(m, "acr-nothere00000", 1, T0, err, sizeof(err)) ==
          PROVIDER_E_NOT_FOUND);
    sim_market_free(m);
}

static void test_auto_approval_after_exactly_7_days(void)
{
    struct sim_market *m = builtin_market();
    struct provider_result res;
    struct sim_request rq;
    struct sim_agreement a;
    char ref[128];
    submit_one(m, ref, sizeof(ref));
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_poll(m, &r, T0 + 7 * DAY - 1, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_PENDING);
    CHECK_STR(res.status_raw, "PENDING_APPROVAL");
    CHECK(sim_market_poll(m, &r, T0 + 7 * DAY, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_AUTO_APPROVED);
    CHECK_STR(res.status_raw, "APPROVED");
    CHECK(sim_market_get_request(m, ref, T0 + 7 * DAY, &rq) == 0);
    CHECK(rq.auto_approved && rq.updated_ms == T0 + 7 * DAY);
    CHECK(sim_market_get_agreement(m, AGMT, T0 + 7 * DAY, &a) == 0);
    CHECK_STR(a.info.status, "CANCELLED");
    CHECK(sim_market_withdraw(m, &r, "late", T0 + 7 * DAY, &res) == PROVIDER_E_CONFLICT);
    sim_market_free(m);
}

static void test_auto_approval_applies_to_any_call(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target(AGMT);
    struct provider_result res;
    char ref[128];
    submit_one(m, ref, sizeof(ref));
    CHECK(sim_market_lookup(m, &t, T0 + 7 * DAY, &res) == PROVIDER_OK);
    CHECK_STR(res.matches[0].status, "CANCELLED");
    sim_market_free(m);
}

/* ---- Azure -------------------------------------------------------------------- */

static void test_azure_lookup(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = azure_target(CUSTOMER, SUBSCRIPTION, "ent-0001");
    struct provider_result res;
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_OK);
    CHECK(res.n_matches == 1);
    CHECK_STR(res.matches[0].id, "ent-0001");
    CHECK_STR(res.matches[0].buyer_account, CUSTOMER);
    CHECK_STR(res.matches[0].subscription_id, SUBSCRIPTION);
    CHECK_STR(res.matches[0].status, "active");

    t = azure_target("00000000-0000-4000-8000-000000000000", SUBSCRIPTION, "ent-0001");
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_FOUND);
    CHECK_CONTAINS(res.message, "no commerce relationship with customer "
                   "00000000-0000-4000-8000-000000000000");
    t = azure_target(CUSTOMER, SUBSCRIPTION, "ent-9999");
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_FOUND);
    CHECK_CONTAINS(res.message, "ent-9999");
    /* every id must match: ent-0002 belongs to another subscription of the customer */
    t = azure_target(CUSTOMER, SUBSCRIPTION, "ent-0002");
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_FOUND);
    sim_market_free(m);
}

static void test_azure_cancel_needs_compromise(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = azure_sub("ent-0001", "REPLACING_AGREEMENT");
    struct provider_result res;
    struct sim_entitlement e;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);
    CHECK_CONTAINS(res.message, "compromise");
    CHECK(sim_market_get_entitlement(m, CUSTOMER, SUBSCRIPTION, "ent-0001", T0 + DAY, &e) == 0);
    CHECK(!e.cancel_called);
    CHECK_STR(e.info.status, "active");
    sim_market_free(m);
}

static void test_azure_entitlement_inactive_10_minutes_after_cancel(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = azure_sub("ent-0001", "compromise");
    struct provider_result res;
    struct provider_ref r;
    CHECK(sim_market_count_requests(m, "ent-0001") == 0);
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_OK);
    CHECK_STR(res.ref, CUSTOMER "/" SUBSCRIPTION "/ent-0001");
    CHECK(res.status == MSTATUS_PENDING);
    /* the call again (a replayed effect): same answer, and the ten minutes do not restart */
    CHECK(sim_market_submit(m, &s, T0 + 60000, &res) == PROVIDER_OK);
    CHECK_STR(res.ref, CUSTOMER "/" SUBSCRIPTION "/ent-0001");
    CHECK(sim_market_count_requests(m, "ent-0001") == 1);
    CHECK(sim_market_submit_calls(m, "CR-9-submit") == 2);
    memset(&r, 0, sizeof(r));
    r.kind = REQUEST_CANCEL;
    r.target.market = MARKET_AZURE;
    request_copy_str(r.ref, sizeof(r.ref), res.ref);
    CHECK(sim_market_poll(m, &r, T0 + SIM_AZURE_DEACTIVATE_MS - 1, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_PENDING);
    CHECK_STR(res.status_raw, "active");
    CHECK(sim_market_poll(m, &r, T0 + SIM_AZURE_DEACTIVATE_MS, &res) == PROVIDER_OK);
    CHECK(res.status == MSTATUS_APPROVED);
    CHECK_STR(res.status_raw, "inactive");
    sim_market_free(m);
}

/* ---- refunds ------------------------------------------------------------------ */

static void test_refund_flow(void)
{
    struct sim_market *m = builtin_market();
    struct provider_submission s = refund_sub(AGMT, "RF-1-submit", "", 12000);
    struct provider_result res, again;
    struct sim_agreement a;
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);    /* no invoice */
    CHECK_CONTAINS(res.message, "invoice");
    s = refund_sub(AGMT, "RF-1-submit", "inv-2026-0001", 120001);       /* value 1200.00 */
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_INVALID);
    CHECK_CONTAINS(res.message, "1200.01");
    s = refund_sub(AGMT, "RF-1-submit", "inv-2026-0001", 12000);
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_OK);
    CHECK(is_request_id(res.ref, "ba-"));
    CHECK(res.status == MSTATUS_PENDING);
    CHECK_STR(res.status_raw, "PENDING");
    CHECK(sim_market_submit(m, &s, T0 + 1, &again) == PROVIDER_OK);     /* same token */
    CHECK_STR(again.ref, res.ref);

    struct provider_ref r = aws_ref(REQUEST_REFUND, AGMT, res.ref);
    CHECK(sim_market_poll(m, &r, T0 + SIM_REFUND_SETTLE_MS - 1, &again) == PROVIDER_OK);
    CHECK(again.status == MSTATUS_PENDING);
    CHECK(sim_market_poll(m, &r, T0 + SIM_REFUND_SETTLE_MS, &again) == PROVIDER_OK);
    CHECK(again.status == MSTATUS_APPROVED);
    CHECK_STR(again.status_raw, "COMPLETED");
    CHECK(sim_market_get_agreement(m, AGMT, T0 + DAY, &a) == 0);
    CHECK_STR(a.info.status, "ACTIVE");                                 /* not a cancellation */
    /* what was refunded counts: 1200.00 - 120.00 leaves 1080.00 */
    s = refund_sub(AGMT, "RF-2-submit", "inv-2026-0002", 108001);
    CHECK(sim_market_submit(m, &s, T0 + DAY, &again) == PROVIDER_E_INVALID);
    s = refund_sub(AGMT, "RF-2-submit", "inv-2026-0002", 108000);
    CHECK(sim_market_submit(m, &s, T0 + DAY, &again) == PROVIDER_OK);
    sim_market_free(m);
}

/* ---- persistence -------------------------------------------------------------- */

static void test_state_round_trip_preserves_everything(void)
{
    struct tmpdir d;
    char err[256] = "", ref[128];
    struct provider_result res;
    tmpdir_make(&d);
    struct sim_market *m = sim_market_load_json(NULL, d.state, err, sizeof(err));
    CHECK(m != NULL);
    if (!m)
        return;
    submit_one(m, ref, sizeof(ref));
    struct provider_submission s = cancel_sub(BIG, "CR-7-submit");
    CHECK(sim_market_submit(m, &s, T0 + 1, &res) == PROVIDER_OK);
    CHECK(sim_market_buyer_answer(m, BIG, 0, T0 + 2, err, sizeof(err)) == PROVIDER_OK);
    s = refund_sub(AGMT, "RF-1-submit", "inv-2026-0001", 5000);
    CHECK(sim_market_submit(m, &s, T0 + 3, &res) == PROVIDER_OK);
    char adj_ref[128];
    request_copy_str(adj_ref, sizeof(adj_ref), res.ref);
    s = azure_sub("ent-0001", "compromise");
    CHECK(sim_market_submit(m, &s, T0 + 4, &res) == PROVIDER_OK);
    struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, ref);
    CHECK(sim_market_poll(m, &r, T0 + 7 * DAY, &res) == PROVIDER_OK);    /* AWS approves */
    CHECK(res.status == MSTATUS_AUTO_APPROVED);
    CHECK(access(d.state, F_OK) == 0 && tmpdir_others(&d) == 0);

    /* the state file wins over the seed, which here does not even exist */
    struct sim_market *back = sim_market_load_json("/nonexistent/seed.json", d.state, err,
                                                   sizeof(err));
    CHECK(back != NULL);
    if (back) {
        char *before = sim_market_dump(m), *after = sim_market_dump(back);
        CHECK(before && after && strcmp(before, after) == 0);
        free(before);
        free(after);
        /* field by field too: a field lost both ways would leave the dumps equal */
        struct sim_request was, now;
        struct sim_adjustment adj;
        struct sim_entitlement ent;
        struct sim_agreement a;
        CHECK(sim_market_count_requests(back, NULL) == 3);      /* 2 AWS + 1 Azure */
        CHECK(sim_market_submit_calls(back, "CR-7-submit") == 1);
        CHECK(sim_market_get_request(m, ref, T0 + 7 * DAY, &was) == 0);
        CHECK(sim_market_get_request(back, ref, T0 + 7 * DAY, &now) == 0);
        CHECK(now.status == SIM_REQ_APPROVED && now.auto_approved);
        CHECK(now.created_ms == was.created_ms && now.updated_ms == was.updated_ms);
        CHECK_STR(now.client_token, was.client_token);
        CHECK_STR(now.reason_code, was.reason_code);
        CHECK_STR(now.description, was.description);
        CHECK(sim_market_poll(back, &r, T0 + 7 * DAY, &res) == PROVIDER_OK);
        CHECK(res.status == MSTATUS_AUTO_APPROVED);
        CHECK(sim_market_get_agreement(back, AGMT, T0 + 7 * DAY, &a) == 0);
        CHECK_STR(a.info.status, "CANCELLED");
        CHECK(sim_market_find_request_for_agreement(back, BIG, T0 + 7 * DAY, &now) == 0);
        CHECK(now.status == SIM_REQ_REJECTED && now.updated_ms == T0 + 2);
        CHECK(sim_market_get_adjustment(back, adj_ref, T0 + 7 * DAY, &adj) == 0);
        CHECK(adj.amount_cents == 5000 && adj.created_ms == T0 + 3 &&
              adj.status == SIM_ADJ_COMPLETED);
        CHECK_STR(adj.invoice_id, "inv-2026-0001");
        CHECK(sim_market_get_entitlement(back, CUSTOMER, SUBSCRIPTION, "ent-0001", T0 + 7 * DAY,
                                         &ent) == 0);
        CHECK(ent.cancel_called && ent.cancel_ms == T0 + 4);
        CHECK_STR(ent.info.status, "inactive");
    }
    sim_market_free(back);
    sim_market_free(m);
    tmpdir_remove(&d);
}

/* Two processes on one record save the market side by side: every save works, none
 * leaves a temporary file, and the file always loads (a shared temporary name made
 * one process rename the other's half-written file, or fail with ENOENT). */
static void test_two_processes_save_side_by_side(void)
{
    struct tmpdir d;
    char err[256] = "";
    pid_t kids[2];
    int failed = 0;
    tmpdir_make(&d);
    for (int k = 0; k < 2; k++) {
        if ((kids[k] = fork()) == 0) {
            struct sim_market *m = sim_market_load_json(NULL, d.state, err, sizeof(err));
            int bad = !m;
            for (int i = 0; m && i < 400; i++)
                bad += sim_market_save(m, err, sizeof(err)) != 0;
            if (bad)
                fprintf(stderr, "  process %d: %d save(s) failed, last: %s\n", k, bad, err);
            sim_market_free(m);
            _exit(bad ? 1 : 0);
        }
        CHECK(kids[k] > 0);
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        if (kids[k] > 0 && waitpid(kids[k], &status, 0) == kids[k])
            failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        else
            failed++;
    }
    CHECK(failed == 0);
    CHECK(tmpdir_others(&d) == 0);
    struct sim_market *back = sim_market_load_json(NULL, d.state, err, sizeof(err));
    CHECK(back != NULL);
    sim_market_free(back);
    tmpdir_remove(&d);
}

static void test_any_description_survives_the_state_file(void)
{
    struct tmpdir d;
    char err[256] = "", ref[128];
    struct provider_result res;
    struct sim_request rq;
    tmpdir_make(&d);
    struct sim_market *m = sim_market_load_json(NULL, d.state, err, sizeof(err));
    struct provider_submission s = cancel_sub(AGMT, "CR-8-submit");
    /* cut UTF-8, a surrogate and a stray byte: stored as '?', never a broken file */
    request_copy_str(s.description, sizeof(s.description),
                     "caf\xc3\xa9 \xed\xa0\x80 \xff end \xe2\x82");
    CHECK(m && sim_market_submit(m, &s, T0, &res) == PROVIDER_OK);
    request_copy_str(ref, sizeof(ref), res.ref);
    struct sim_market *back = sim_market_load_json(NULL, d.state, err, sizeof(err));
    CHECK(back != NULL);
    CHECK(back && sim_market_get_request(back, ref, T0, &rq) == 0);
    if (back)
        CHECK_STR(rq.description, "caf\xc3\xa9 ??? ? end ??");
    sim_market_free(back);
    sim_market_free(m);
    tmpdir_remove(&d);
}

static void test_damaged_state_file_is_refused(void)
{
    struct tmpdir d;
    char err[256] = "";
    tmpdir_make(&d);
    write_text(d.state, "{\"aws\": {\"agreements\": [{\"id\": \"agmt-x\"}]}}");
    struct sim_market *m = sim_market_load_json(NULL, d.state, err, sizeof(err));
    CHECK(m == NULL);
    CHECK_CONTAINS(err, d.state);
    CHECK_CONTAINS(err, "buyer_account");
    write_text(d.state, "{not json");
    CHECK((m = sim_market_load_json(NULL, d.state, err, sizeof(err))) == NULL);
    sim_market_free(m);
    tmpdir_remove(&d);
}

static void test_builtin_seed_matches_deploy_file(void)
{
    char path[1024], err[256] = "";
    seed_path(path, sizeof(path));
    struct sim_market *file = sim_market_load_json(path, NULL, err, sizeof(err));
    struct sim_market *builtin = builtin_market();
    CHECK(file != NULL);
    if (!file)
        fprintf(stderr, "  %s\n", err);
    char *a = file ? sim_market_dump(file) : NULL, *b = builtin ? sim_market_dump(builtin) : NULL;
    CHECK(a && b && strcmp(a, b) == 0);
    char *text = read_text(path);
    CHECK_STR(sim_market_builtin_seed(), text ? text : "");
    free(text);
    free(a);
    free(b);
    sim_market_free(file);
    sim_market_free(builtin);
}

static void test_builtin_seed_has_the_demo_agreements(void)
{
    struct sim_market *m = builtin_market();
    struct sim_agreement a;
    struct sim_entitlement e;
    CHECK(sim_market_get_agreement(m, AGMT, T0, &a) == 0);
    CHECK(a.self_serve && a.info.value_cents == 120000 && !strcmp(a.info.status, "ACTIVE"));
    CHECK(sim_market_get_agreement(m, BIG, T0, &a) == 0);
    CHECK(a.self_serve && a.info.value_cents == 12000000);
    CHECK(sim_market_get_agreement(m, PRIVATE, T0, &a) == 0);
    CHECK(!a.self_serve && !strcmp(a.info.status, "ACTIVE"));
    CHECK(sim_market_get_entitlement(m, CUSTOMER, SUBSCRIPTION, "ent-0001", T0, &e) == 0);
    CHECK_STR(e.info.status, "active");
    sim_market_free(m);
}

/* ---- the provider glue -------------------------------------------------------- */

static void test_callbacks_are_deferred(void)
{
    struct fake_loop *l = calloc(1, sizeof(*l));
    struct got *g = calloc(1, sizeof(*g));
    l->now = T0;
    struct provider *p = sim_new(l, NULL);
    struct provider_target t = aws_target(AGMT);
    CHECK(p != NULL);
    if (p) {
        CHECK(provider_lookup(p, &t, on_result, g) == 0);
        CHECK(g->calls == 0 && l->queued == 1);
        fake_run(l);
        CHECK(g->calls == 1 && g->res.rc == PROVIDER_OK);
        CHECK_STR(g->res.matches[0].id, AGMT);

        t = aws_target("agmt-zzz");                 /* refusals come the same way */
        CHECK(provider_lookup(p, &t, on_result, g) == 0);
        CHECK(g->calls == 1);
        fake_run(l);
        CHECK(g->calls == 2 && g->res.rc == PROVIDER_E_NOT_FOUND);
        CHECK(provider_lookup(p, &t, NULL, g) != 0 && l->queued == 0);
    }
    provider_free(p);
    free(g);
    free(l);
}

static void test_provider_uses_the_loop_clock(void)
{
    struct fake_loop *l = calloc(1, sizeof(*l));
    struct got *g = calloc(1, sizeof(*g));
    struct provider_submission s = cancel_sub(AGMT, "CR-1-submit");
    l->now = T0;
    struct provider *p = sim_new(l, "{}");
    CHECK(p != NULL);
    if (p) {
        CHECK(provider_submit(p, &s, on_result, g) == 0);
        fake_run(l);
        CHECK(g->res.rc == PROVIDER_OK);
        struct provider_ref r = aws_ref(REQUEST_CANCEL, AGMT, g->res.ref);
        l->now = T0 + 7 * DAY;
        CHECK(provider_poll(p, &r, on_result, g) == 0);
        fake_run(l);
        CHECK(g->res.status == MSTATUS_AUTO_APPROVED);
        CHECK(provider_withdraw(p, &r, "late", on_result, g) == 0);
        fake_run(l);
        CHECK(g->res.rc == PROVIDER_E_CONFLICT);
        CHECK(sim_provider_market(p) != NULL);
    }
    provider_free(p);
    free(g);
    free(l);
}

static void test_restarted_provider_submits_once(void)
{
    struct tmpdir d;
    char config[1400], path[1024];
    struct fake_loop *l = calloc(1, sizeof(*l));
    struct got *g = calloc(1, sizeof(*g));
    struct provider_submission s = cancel_sub(AGMT, "CR-1-submit");
    tmpdir_make(&d);
    seed_path(path, sizeof(path));
    snprintf(config, sizeof(config), "{\"seed\": \"%s\", \"state\": \"%s\"}", path, d.state);
    l->now = T0;
    struct provider *p = sim_new(l, config);
    CHECK(p != NULL);
    if (p) {
        CHECK(provider_submit(p, &s, on_result, g) == 0);
        fake_run(l);
        CHECK(g->res.rc == PROVIDER_OK);
    }
    provider_free(p);                              /* the bot dies before recording it */
    char first[128];
    request_copy_str(first, sizeof(first), g->res.ref);
    l->now = T0 + 60000;
    p = sim_new(l, config);
    CHECK(p != NULL);
    if (p) {
        CHECK(provider_submit(p, &s, on_result, g) == 0);   /* the outbox runs it again */
        fake_run(l);
        CHECK(g->res.rc == PROVIDER_OK);
        CHECK_STR(g->res.ref, first);
        CHECK(sim_market_count_requests(sim_provider_market(p), AGMT) == 1);
        CHECK(sim_market_submit_calls(sim_provider_market(p), "CR-1-submit") == 2);
    }
    provider_free(p);
    tmpdir_remove(&d);
    free(g);
    free(l);
}

static void test_bad_config_fails_init(void)
{
    struct fake_loop *l = calloc(1, sizeof(*l));
    char err[256] = "";
    struct provider *p = sim_new(l, "{\"seed\": \"/nonexistent/seed.json\"}");
    CHECK(p == NULL);
    provider_free(p);
    CHECK((p = sim_new(l, "{\"sead\": \"deploy/sim-seed.json\"}")) == NULL);
    provider_free(p);
    CHECK(sim_provider_check_config("{\"seed\": \"/nonexistent/seed.json\"}", err,
                                    sizeof(err)) != 0);
    CHECK_CONTAINS(err, "/nonexistent/seed.json");
    CHECK(sim_provider_check_config("{\"sead\": \"x\"}", err, sizeof(err)) != 0);
    CHECK_CONTAINS(err, "sead");
    CHECK(sim_provider_check_config(NULL, err, sizeof(err)) == 0);
    free(l);
}

/* ---- only the proposer can cancel ------------------------------------------------ */

static void test_an_agreement_the_seller_bought_is_refused_at_lookup(void)
{
    struct sim_market *m = builtin_market();
    struct provider_target t = aws_target("agmt-bought000000000001");
    struct provider_result res;
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_SELLER);
    CHECK(res.n_matches == 0);
    CHECK_STR(res.message, "agreement: agmt-bought000000000001 was bought by this account "
              "(111122223333): only its seller (the proposer, 444455556666) can cancel it; "
              "ask them.");
    memset(&t, 0, sizeof(t));        /* nor is it offered by a search of its buyer */
    t.market = MARKET_AWS;
    request_copy_str(t.buyer_account, sizeof(t.buyer_account), SIM_SELLER_ACCOUNT);
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK && res.n_matches == 0);
    sim_market_free(m);
}

static void test_another_sellers_agreement_is_refused_everywhere(void)
{
    static const char json[] = "{\"aws\": {\"agreements\": [{\"id\": \"agmt-theirs\", "
        "\"buyer_account\": \"123456789012\", \"status\": \"ACTIVE\", "
        "\"offer_id\": \"offer-1\", \"proposer\": \"777788889999\"}, {\"id\": \"agmt-ours\", "
        "\"buyer_account\": \"123456789012\", \"status\": \"ACTIVE\", \"offer_id\": \"offer-1\"}]}}";
    char err[256] = "";
    struct sim_market *m = sim_market_from_json(json, "test", err, sizeof(err));
    struct provider_target t = aws_target("agmt-theirs");
    struct provider_submission s;
    struct provider_result res;
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK(sim_market_lookup(m, &t, T0, &res) == PROVIDER_E_NOT_SELLER);
    CHECK_CONTAINS(res.message, "agreement: agmt-theirs was sold by account 777788889999, not "
                   "by this seller account (111122223333)");
    t = aws_target("");
    request_copy_str(t.offer_id, sizeof(t.offer_id), "offer-1");
    CHECK(sim_market_search(m, &t, T0, &res) == PROVIDER_OK && res.n_matches == 1);
    CHECK_STR(res.matches[0].id, "agmt-ours");
    /* a submission that got past the look-up (a record from before) is refused as AWS does */
    memset(&s, 0, sizeof(s));
    s.kind = REQUEST_CANCEL;
    s.target = aws_target("agmt-theirs");
    request_copy_str(s.reason_code, sizeof(s.reason_code), "REPLACING_AGREEMENT");
    request_copy_str(s.client_token, sizeof(s.client_token), "cb-x-CR-1");
    CHECK(sim_market_submit(m, &s, T0, &res) == PROVIDER_E_NOT_SELLER);
    CHECK_CONTAINS(res.message, "only the proposer can ask for its cancellation");
    CHECK(sim_market_count_requests(m, "agmt-theirs") == 0);
    sim_market_free(m);
}

static void test_a_proposer_that_is_not_an_account_id_is_refused(void)
{
    char err[256] = "";
    CHECK(sim_market_from_json("{\"aws\": {\"agreements\": [{\"id\": \"agmt-1\", "
                               "\"buyer_account\": \"123456789012\", \"status\": \"ACTIVE\", "
                               "\"proposer\": \"acme\"}]}}", "seed.json", err,
                               sizeof(err)) == NULL);
    CHECK_CONTAINS(err, "proposer");
    CHECK_CONTAINS(err, "12 digits");
}

int main(void)
{
    RUN(test_lookup_returns_the_agreement);
    RUN(test_lookup_of_unknown_agreement_is_not_found);
    RUN(test_search_by_buyer_lists_only_active_agreements);
    RUN(test_search_by_offer);
    RUN(test_search_stops_at_max_matches);
    RUN(test_submit_creates_pending_request);
    RUN(test_same_client_token_returns_the_same_request);
    RUN(test_other_client_token_while_pending_conflicts);
    RUN(test_client_token_of_another_agreement_conflicts);
    RUN(test_malformed_client_token_is_invalid);
    RUN(test_private_offer_is_not_eligible);
    RUN(test_inactive_agreement_cannot_be_cancelled);
    RUN(test_unknown_reason_code_is_invalid);
    RUN(test_withdraw_while_pending);
    RUN(test_withdraw_after_the_buyer_answered_conflicts);
    RUN(test_withdraw_of_unknown_request_is_not_found);
    RUN(test_buyer_accept_cancels_the_agreement);
    RUN(test_buyer_reject_keeps_the_agreement_active);
    RUN(test_auto_approval_after_exactly_7_days);
    RUN(test_auto_approval_applies_to_any_call);
    RUN(test_azure_lookup);
    RUN(test_azure_cancel_needs_compromise);
    RUN(test_azure_entitlement_inactive_10_minutes_after_cancel);
    RUN(test_refund_flow);
    RUN(test_state_round_trip_preserves_everything);
    RUN(test_two_processes_save_side_by_side);
    RUN(test_any_description_survives_the_state_file);
    RUN(test_damaged_state_file_is_refused);
    RUN(test_builtin_seed_matches_deploy_file);
    RUN(test_builtin_seed_has_the_demo_agreements);
    RUN(test_an_agreement_the_seller_bought_is_refused_at_lookup);
    RUN(test_another_sellers_agreement_is_refused_everywhere);
    RUN(test_a_proposer_that_is_not_an_account_id_is_refused);
    RUN(test_callbacks_are_deferred);
    RUN(test_provider_uses_the_loop_clock);
    RUN(test_restarted_provider_submits_once);
    RUN(test_bad_config_fails_init);
    return check_summary();
}
