/* providers/sim_state.c -- the simulated market as JSON: loading the state file, the
 * seed file or the built-in seed, and writing the state file back (sim_market.h).
 *
 * Seed and state share one JSON shape: a seed is a state file without requests,
 * adjustments or counters. Loading refuses, naming the file and the JSON path, anything
 * the model could not have produced (unknown agreements, ids listed twice, bad statuses),
 * and never resets a damaged state file to the seed. Saving writes a temporary file and
 * renames it over the old one, so a killed process leaves the old or the new state,
 * never half of one. No fsync: this stands in for a remote marketplace, whose
 * durability is not ours to prove, and a sync per change made the simulated market
 * the costliest part of a benchmark run. The temporary file's name is its own
 * (mkstemp): two processes on one record save side by side, and with one shared name
 * one renamed the other's half-written file into place, or found it gone and failed
 * the call (the e2e_two_process_race flake, a submission retried too late). Each keeps
 * its market in memory, so with two of them the file holds the last writer's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "providers/sim_market_int.h"

static const char *builtin_seed(void);

/* ---- JSON: state file and seed ------------------------------------------------ */

/* "1200.00" -> 120000. Digits, then at most two decimals; nothing else. */
static int money_parse(const char *s, int64_t *cents)
{
    int64_t units = 0, frac = 0;
    int digits = 0, decimals = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (units > (INT64_MAX / 100 - 9) / 10)
            return -1;
        units = units * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9' && decimals < 2; s++, decimals++)
            frac = frac * 10 + (*s - '0');
        if (decimals == 0)
            return -1;
    }
    if (*s || digits == 0)
        return -1;
    *cents = units * 100 + (decimals == 1 ? frac * 10 : frac);
    return 0;
}

struct loader {
    const char *origin;                  /* file name or "built-in seed", for errors */
    char *err;
    size_t errlen;
};

static int load_fail(struct loader *ld, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int load_fail(struct loader *ld, const char *where, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    sim_say(ld->err, ld->errlen, "%s: %s: %s", ld->origin, where, what);
    return -1;
}

static int get_str(struct loader *ld, const char *where, json_t *obj, const char *key,
                   char *dst, size_t dstlen, int required)
{
    json_t *v = json_object_get(obj, key);
    dst[0] = '\0';
    if (!v)
        return required ? load_fail(ld, where, "\"%s\" is missing", key) : 0;
    if (!json_is_string(v))
        return load_fail(ld, where, "\"%s\" must be a string", key);
    size_t n = json_string_length(v);
    if (n >= dstlen || strlen(json_string_value(v)) != n)
        return load_fail(ld, where, "\"%s\" is too long (at most %zu characters)", key,
                         dstlen - 1);
    memcpy(dst, json_string_value(v), n + 1);
    return 0;
}

static int get_ms(struct loader *ld, const char *where, json_t *obj, const char *key,
                  int64_t *dst, int *present)
{
    json_t *v = json_object_get(obj, key);
    *dst = 0;
    if (present)
        *present = v != NULL;
    if (!v)
        return present ? 0 : load_fail(ld, where, "\"%s\" is missing", key);
    if (!json_is_integer(v))
        return load_fail(ld, where, "\"%s\" must be an integer (milliseconds)", key);
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

static int get_bool(struct loader *ld, const char *where, json_t *obj, const char *key,
                    int dflt, int *dst)
{
    json_t *v = json_object_get(obj, key);
    *dst = dflt;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return load_fail(ld, where, "\"%s\" must be true or false", key);
    *dst = json_is_true(v);
    return 0;
}

static int get_money(struct loader *ld, const char *where, json_t *obj, const char *key,
                     int64_t *dst)
{
    char text[32];
    if (get_str(ld, where, obj, key, text, sizeof(text), 0) != 0)
        return -1;
    *dst = 0;
    if (text[0] && money_parse(text, dst) != 0)
        return load_fail(ld, where, "\"%s\" must be an amount like \"1200.00\"", key);
    return 0;
}

static json_t *get_array(struct loader *ld, json_t *obj, const char *key, int *bad)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v && !json_is_array(v)) {
        load_fail(ld, key, "must be a list");
        *bad = 1;
        return NULL;
    }
    return v;
}

static int load_agreement(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_agreement a;
    memset(&a, 0, sizeof(a));
    if (get_str(ld, where, o, "id", a.info.id, sizeof(a.info.id), 1) ||
        get_str(ld, where, o, "buyer_account", a.info.buyer_account,
                sizeof(a.info.buyer_account), 1) ||
        get_str(ld, where, o, "offer_id", a.info.offer_id, sizeof(a.info.offer_id), 0) ||
        get_str(ld, where, o, "product", a.info.product, sizeof(a.info.product), 0) ||
        get_str(ld, where, o, "status", a.info.status, sizeof(a.info.status), 1) ||
        get_str(ld, where, o, "start_date", a.info.start_date, sizeof(a.info.start_date), 0) ||
        get_str(ld, where, o, "end_date", a.info.end_date, sizeof(a.info.end_date), 0) ||
        get_money(ld, where, o, "value", &a.info.value_cents) ||
        get_str(ld, where, o, "currency", a.info.currency, sizeof(a.info.currency), 0) ||
        get_bool(ld, where, o, "self_serve", 1, &a.self_serve) ||
        get_str(ld, where, o, "proposer", a.proposer, sizeof(a.proposer), 0))
        return -1;
    if (!a.proposer[0])
        memcpy(a.proposer, SIM_SELLER_ACCOUNT, sizeof(SIM_SELLER_ACCOUNT));
    if (strlen(a.proposer) != 12 || strspn(a.proposer, "0123456789") != 12)
        return load_fail(ld, where, "\"proposer\" is an AWS account id: 12 digits");
    if (sim_find_agreement(m, a.info.id))
        return load_fail(ld, where, "agreement %s is listed twice", a.info.id);
    *PUSH(m->agreements, m->n_agreements, m->cap_agreements) = a;
    return 0;
}

static int load_request(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_request r;
    char status[32];
    int i;
    memset(&r, 0, sizeof(r));
    if (get_str(ld, where, o, "id", r.id, sizeof(r.id), 1) ||
        get_str(ld, where, o, "agreement_id", r.agreement_id, sizeof(r.agreement_id), 1) ||
        get_str(ld, where, o, "status", status, sizeof(status), 1) ||
        get_bool(ld, where, o, "auto_approved", 0, &r.auto_approved) ||
        get_str(ld, where, o, "client_token", r.client_token, sizeof(r.client_token), 0) ||
        get_str(ld, where, o, "reason_code", r.reason_code, sizeof(r.reason_code), 0) ||
        get_str(ld, where, o, "description", r.description, sizeof(r.description), 0) ||
        get_str(ld, where, o, "answer_note", r.answer_note, sizeof(r.answer_note), 0) ||
        get_ms(ld, where, o, "created_ms", &r.created_ms, NULL) ||
        get_ms(ld, where, o, "updated_ms", &r.updated_ms, NULL))
        return -1;
    for (i = SIM_REQ_PENDING_APPROVAL; i <= SIM_REQ_CANCELLED; i++)
        if (streq(status, sim_request_status_name((enum sim_request_status)i)))
            break;
    if (i > SIM_REQ_CANCELLED)
        return load_fail(ld, where, "unknown status \"%s\"", status);
    r.status = (enum sim_request_status)i;
    if (!sim_find_agreement(m, r.agreement_id))
        return load_fail(ld, where, "request %s names unknown agreement %s", r.id,
                         r.agreement_id);
    if (sim_id_taken(m, r.id))
        return load_fail(ld, where, "request %s is listed twice", r.id);
    *PUSH(m->requests, m->n_requests, m->cap_requests) = r;
    return 0;
}

static int load_adjustment(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_adjustment b;
    char status[32];
    memset(&b, 0, sizeof(b));
    if (get_str(ld, where, o, "id", b.id, sizeof(b.id), 1) ||
        get_str(ld, where, o, "agreement_id", b.agreement_id, sizeof(b.agreement_id), 1) ||
        get_str(ld, where, o, "invoice_id", b.invoice_id, sizeof(b.invoice_id), 1) ||
        get_money(ld, where, o, "amount", &b.amount_cents) ||
        get_str(ld, where, o, "currency", b.currency, sizeof(b.currency), 0) ||
        get_str(ld, where, o, "reason_code", b.reason_code, sizeof(b.reason_code), 0) ||
        get_str(ld, where, o, "description", b.description, sizeof(b.description), 0) ||
        get_str(ld, where, o, "client_token", b.client_token, sizeof(b.client_token), 0) ||
        get_str(ld, where, o, "status", status, sizeof(status), 1) ||
        get_ms(ld, where, o, "created_ms", &b.created_ms, NULL) ||
        get_ms(ld, where, o, "updated_ms", &b.updated_ms, NULL))
        return -1;
    if (streq(status, "COMPLETED"))
        b.status = SIM_ADJ_COMPLETED;
    else if (streq(status, "PENDING"))
        b.status = SIM_ADJ_PENDING;
    else
        return load_fail(ld, where, "unknown status \"%s\"", status);
    if (!sim_find_agreement(m, b.agreement_id))
        return load_fail(ld, where, "adjustment %s names unknown agreement %s", b.id,
                         b.agreement_id);
    if (sim_id_taken(m, b.id))
        return load_fail(ld, where, "adjustment %s is listed twice", b.id);
    *PUSH(m->adjustments, m->n_adjustments, m->cap_adjustments) = b;
    return 0;
}

static int load_entitlement(struct sim_market *m, struct loader *ld, const char *where, json_t *o)
{
    struct sim_entitlement e;
    memset(&e, 0, sizeof(e));
    if (get_str(ld, where, o, "customer_id", e.info.buyer_account,
                sizeof(e.info.buyer_account), 1) ||
        get_str(ld, where, o, "subscription_id", e.info.subscription_id,
                sizeof(e.info.subscription_id), 1) ||
        get_str(ld, where, o, "entitlement_id", e.info.id, sizeof(e.info.id), 1) ||
        get_str(ld, where, o, "product", e.info.product, sizeof(e.info.product), 0) ||
        get_str(ld, where, o, "offer_id", e.info.offer_id, sizeof(e.info.offer_id), 0) ||
        get_str(ld, where, o, "status", e.info.status, sizeof(e.info.status), 1) ||
        get_str(ld, where, o, "start_date", e.info.start_date, sizeof(e.info.start_date), 0) ||
        get_str(ld, where, o, "end_date", e.info.end_date, sizeof(e.info.end_date), 0) ||
        get_money(ld, where, o, "value", &e.info.value_cents) ||
        get_str(ld, where, o, "currency", e.info.currency, sizeof(e.info.currency), 0) ||
        get_ms(ld, where, o, "cancel_ms", &e.cancel_ms, &e.cancel_called) ||
        get_str(ld, where, o, "client_token", e.client_token, sizeof(e.client_token), 0) ||
        get_str(ld, where, o, "reason", e.reason, sizeof(e.reason), 0))
        return -1;
    if (!streq(e.info.status, "active") && !streq(e.info.status, "inactive"))
        return load_fail(ld, where, "status must be \"active\" or \"inactive\"");
    if (sim_find_entitlement(m, e.info.buyer_account, e.info.subscription_id, e.info.id))
        return load_fail(ld, where, "entitlement %s is listed twice", e.info.id);
    *PUSH(m->entitlements, m->n_entitlements, m->cap_entitlements) = e;
    return 0;
}

typedef int (*load_item_fn)(struct sim_market *, struct loader *, const char *, json_t *);

static int load_list(struct sim_market *m, struct loader *ld, json_t *list, const char *name,
                     load_item_fn fn)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", name, i);
        if (!json_is_object(item))
            return load_fail(ld, where, "must be an object");
        if (fn(m, ld, where, item) != 0)
            return -1;
    }
    return 0;
}

static int load_root(struct sim_market *m, struct loader *ld, json_t *root)
{
    int bad = 0;
    if (!json_is_object(root))
        return load_fail(ld, "top level", "must be an object");
    json_t *aws = json_object_get(root, "aws"), *azure = json_object_get(root, "azure");
    json_t *agreements = get_array(ld, aws, "agreements", &bad);
    json_t *requests = get_array(ld, aws, "cancellation_requests", &bad);
    json_t *adjustments = get_array(ld, aws, "billing_adjustments", &bad);
    json_t *entitlements = get_array(ld, azure, "entitlements", &bad);
    json_t *calls = json_object_get(root, "submit_calls");
    if (bad)
        return -1;
    if (load_list(m, ld, agreements, "aws.agreements", load_agreement) ||
        load_list(m, ld, requests, "aws.cancellation_requests", load_request) ||
        load_list(m, ld, adjustments, "aws.billing_adjustments", load_adjustment) ||
        load_list(m, ld, entitlements, "azure.entitlements", load_entitlement))
        return -1;
    if (calls && !json_is_object(calls))
        return load_fail(ld, "submit_calls", "must be an object");
    const char *token;
    json_t *n;
    json_object_foreach(calls, token, n) {
        if (!json_is_integer(n) || !sim_token_valid(token))
            return load_fail(ld, "submit_calls", "\"%s\" must be a client token with a count",
                             token);
        struct token_calls *t = PUSH(m->tokens, m->n_tokens, m->cap_tokens);
        request_copy_str(t->token, sizeof(t->token), token);
        t->calls = (int)json_integer_value(n);
    }
    return 0;
}

static struct sim_market *market_from_root(json_t *root, const char *origin,
                                           char *err, size_t errlen)
{
    struct loader ld = { origin, err, errlen };
    struct sim_market *m = calloc(1, sizeof(*m));
    if (!m) {
        sim_say(err, errlen, "out of memory");
        return NULL;
    }
    if (load_root(m, &ld, root) != 0) {
        sim_market_free(m);
        return NULL;
    }
    return m;
}

struct sim_market *sim_market_from_json(const char *text, const char *origin,
                                        char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    struct sim_market *m = NULL;
    if (!root)
        sim_say(err, errlen, "%s:%d: %s", origin, jerr.line, jerr.text);
    else
        m = market_from_root(root, origin, err, errlen);
    json_decref(root);
    return m;
}

/* Loads a file; *absent says it does not exist (and err is then left alone). */
static struct sim_market *market_from_file(const char *path, int *absent, char *err,
                                           size_t errlen)
{
    json_error_t jerr;
    json_t *root = NULL;
    struct sim_market *m = NULL;
    FILE *fp = fopen(path, "r");
    *absent = 0;
    if (!fp) {
        if (errno == ENOENT)
            *absent = 1;
        else
            sim_say(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!(root = json_loadf(fp, 0, &jerr)))
        sim_say(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
    else
        m = market_from_root(root, path, err, errlen);
    json_decref(root);
    fclose(fp);
    return m;
}

struct sim_market *sim_market_load_json(const char *seed_path, const char *state_path,
                                        char *err, size_t errlen)
{
    struct sim_market *m = NULL;
    int absent = 0;
    if (state_path && *state_path) {
        m = market_from_file(state_path, &absent, err, errlen);
        if (!m && !absent)
            return NULL;                 /* a damaged state file is not silently reset */
    }
    if (!m && seed_path && *seed_path) {
        m = market_from_file(seed_path, &absent, err, errlen);
        if (!m && absent)
            sim_say(err, errlen, "the seed file %s does not exist", seed_path);
    } else if (!m) {
        m = sim_market_from_json(builtin_seed(), "built-in seed", err, errlen);
    }
    if (m && state_path && *state_path && !(m->state_path = strdup(state_path))) {
        sim_say(err, errlen, "out of memory");
        sim_market_free(m);
        return NULL;
    }
    return m;
}

const char *sim_market_builtin_seed(void)
{
    return builtin_seed();
}


/* ---- JSON out ----------------------------------------------------------------- */

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v));
}

static void set_money(json_t *o, const char *key, int64_t cents)
{
    char text[32];
    sim_money_format(text, sizeof(text), cents);
    set_str(o, key, text);
}

static json_t *dump_agreement(const struct sim_agreement *a)
{
    json_t *o = json_object();
    set_str(o, "id", a->info.id);
    set_str(o, "buyer_account", a->info.buyer_account);
    set_str(o, "offer_id", a->info.offer_id);
    set_str(o, "product", a->info.product);
    set_str(o, "status", a->info.status);
    set_str(o, "start_date", a->info.start_date);
    set_str(o, "end_date", a->info.end_date);
    set_money(o, "value", a->info.value_cents);
    set_str(o, "currency", a->info.currency);
    json_object_set_new(o, "self_serve", json_boolean(a->self_serve));
    set_str(o, "proposer", a->proposer);
    return o;
}

static json_t *dump_request(const struct sim_request *r)
{
    json_t *o = json_object();
    set_str(o, "id", r->id);
    set_str(o, "agreement_id", r->agreement_id);
    set_str(o, "status", sim_request_status_name(r->status));
    json_object_set_new(o, "auto_approved", json_boolean(r->auto_approved));
    set_str(o, "client_token", r->client_token);
    set_str(o, "reason_code", r->reason_code);
    set_str(o, "description", r->description);
    set_str(o, "answer_note", r->answer_note);
    json_object_set_new(o, "created_ms", json_integer(r->created_ms));
    json_object_set_new(o, "updated_ms", json_integer(r->updated_ms));
    return o;
}

static json_t *dump_adjustment(const struct sim_adjustment *b)
{
    json_t *o = json_object();
    set_str(o, "id", b->id);
    set_str(o, "agreement_id", b->agreement_id);
    set_str(o, "invoice_id", b->invoice_id);
    set_money(o, "amount", b->amount_cents);
    set_str(o, "currency", b->currency);
    set_str(o, "reason_code", b->reason_code);
    set_str(o, "description", b->description);
    set_str(o, "client_token", b->client_token);
    set_str(o, "status", sim_adjustment_status_name(b->status));
    json_object_set_new(o, "created_ms", json_integer(b->created_ms));
    json_object_set_new(o, "updated_ms", json_integer(b->updated_ms));
    return o;
}

static json_t *dump_entitlement(const struct sim_entitlement *e)
{
    json_t *o = json_object();
    set_str(o, "customer_id", e->info.buyer_account);
    set_str(o, "subscription_id", e->info.subscription_id);
    set_str(o, "entitlement_id", e->info.id);
    set_str(o, "product", e->info.product);
    set_str(o, "offer_id", e->info.offer_id);
    set_str(o, "status", e->info.status);
    set_str(o, "start_date", e->info.start_date);
    set_str(o, "end_date", e->info.end_date);
    set_money(o, "value", e->info.value_cents);
    set_str(o, "currency", e->info.currency);
    if (e->cancel_called) {
        json_object_set_new(o, "cancel_ms", json_integer(e->cancel_ms));
        set_str(o, "client_token", e->client_token);
        set_str(o, "reason", e->reason);
    }
    return o;
}

char *sim_market_dump(const struct sim_market *m)
{
    json_t *agreements = json_array(), *requests = json_array(), *adjustments = json_array();
    json_t *entitlements = json_array(), *calls = json_object();
    for (size_t i = 0; i < m->n_agreements; i++)
        json_array_append_new(agreements, dump_agreement(&m->agreements[i]));
    for (size_t i = 0; i < m->n_requests; i++)
        json_array_append_new(requests, dump_request(&m->requests[i]));
    for (size_t i = 0; i < m->n_adjustments; i++)
        json_array_append_new(adjustments, dump_adjustment(&m->adjustments[i]));
    for (size_t i = 0; i < m->n_entitlements; i++)
        json_array_append_new(entitlements, dump_entitlement(&m->entitlements[i]));
    for (size_t i = 0; i < m->n_tokens; i++)
        json_object_set_new(calls, m->tokens[i].token, json_integer(m->tokens[i].calls));
    json_t *root = json_pack("{s:s, s:{s:o, s:o, s:o}, s:{s:o}, s:o}",
                             "_comment", "State of cancelbot's simulated marketplace, rewritten "
                             "after every change. Delete it to start again from the seed.",
                             "aws", "agreements", agreements, "cancellation_requests", requests,
                             "billing_adjustments", adjustments,
                             "azure", "entitlements", entitlements,
                             "submit_calls", calls);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}

int sim_market_save(const struct sim_market *m, char *err, size_t errlen)
{
    char *text = NULL, *tmp = NULL;
    FILE *fp = NULL;
    int rc = -1, fd = -1;
    if (!m->state_path)
        return 0;
    size_t tmplen = strlen(m->state_path) + 8;
    if (!(text = sim_market_dump(m)) || !(tmp = malloc(tmplen))) {
        sim_say(err, errlen, "out of memory");
        goto out;
    }
    snprintf(tmp, tmplen, "%s.XXXXXX", m->state_path);
    if ((fd = mkstemp(tmp)) < 0) {
        sim_say(err, errlen, "cannot write a temporary file beside %s: %s", m->state_path,
                strerror(errno));
        goto out;
    }
    if (!(fp = fdopen(fd, "w"))) {
        sim_say(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        goto gone;
    }
    if (fputs(text, fp) == EOF || fputc('\n', fp) == EOF || fflush(fp) != 0) {
        sim_say(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        fclose(fp);
        goto gone;
    }
    if (fclose(fp) != 0 || rename(tmp, m->state_path) != 0) {
        sim_say(err, errlen, "cannot replace %s: %s", m->state_path, strerror(errno));
        goto gone;
    }
    rc = 0;
    goto out;
gone:
    remove(tmp);
out:
    free(tmp);
    free(text);
    return rc;
}

/* ---- the built-in seed: deploy/sim-seed.json, content for content ------------ */

static const char *builtin_seed(void)
{
    return
        "{\n"
        "  \"_comment\": [\n"
        "    \"Seed of the simulated marketplace (provider \\\"sim\\\"): what the market holds on first start.\",\n"
        "    \"Load it with the sim provider's config {\\\"seed\\\": \\\"deploy/sim-seed.json\\\", \\\"state\\\": \\\"sim-state.json\\\"}.\",\n"
        "    \"Once the state file exists it is loaded instead, so a restarted bot sees the same market.\",\n"
        "    \"aws.agreements[]: id, buyer_account (12-digit acceptor account), offer_id, product,\",\n"
        "    \"  status (ACTIVE, CANCELLED, EXPIRED, ...), start_date, end_date (ISO 8601),\",\n"
        "    \"  value (total contract value, decimal string), currency, self_serve (false: a\",\n"
        "    \"  contract-based or private offer past 48 hours that the cancellation API refuses),\",\n"
        "    \"  proposer (optional: the selling account, 12 digits; default 111122223333, the simulated\",\n"
        "    \"  seller itself). Only the proposer can cancel: an agreement another seller proposed, or\",\n"
        "    \"  one whose buyer_account is 111122223333 (the simulated seller bought it), is refused at\",\n"
        "    \"  look-up with the reason, and search leaves it out.\",\n"
        "    \"azure.entitlements[]: customer_id, subscription_id, entitlement_id, product, offer_id,\",\n"
        "    \"  status (active, inactive), start_date, end_date, value, currency.\",\n"
        "    \"The state file adds aws.cancellation_requests, aws.billing_adjustments and submit_calls.\",\n"
        "    \"The built-in seed (providers/sim_market.c) has the same content; tests/test_sim.c checks it.\"\n"
        "  ],\n"
        "  \"aws\": {\n"
        "    \"agreements\": [\n"
        "      {\n"
        "        \"id\": \"agmt-1a2b3c4d5e6f7g8h9i0j\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-09-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-08-31T23:59:59Z\",\n"
        "        \"value\": \"1200.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-big0000000000000001\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-ent0000000001\",\n"
        "        \"product\": \"Acme Observability Platform Enterprise\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-07-01T00:00:00Z\",\n"
        "        \"end_date\": \"2028-06-30T23:59:59Z\",\n"
        "        \"value\": \"120000.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-cancelled0000000001\",\n"
        "        \"buyer_account\": \"123456789012\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"CANCELLED\",\n"
        "        \"start_date\": \"2024-09-01T00:00:00Z\",\n"
        "        \"end_date\": \"2025-08-31T23:59:59Z\",\n"
        "        \"value\": \"600.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-private000000000001\",\n"
        "        \"buyer_account\": \"210987654321\",\n"
        "        \"offer_id\": \"offer-priv00000000001\",\n"
        "        \"product\": \"Acme Observability Platform (private offer)\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2025-11-15T00:00:00Z\",\n"
        "        \"end_date\": \"2026-11-14T23:59:59Z\",\n"
        "        \"value\": \"45000.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": false\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-3c4d5e6f7g8h9i0j1k2l\",\n"
        "        \"buyer_account\": \"210987654321\",\n"
        "        \"offer_id\": \"offer-5t4r3e2w1q0p\",\n"
        "        \"product\": \"Acme Log Archive\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2026-01-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-12-31T23:59:59Z\",\n"
        "        \"value\": \"8400.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-2b3c4d5e6f7g8h9i0j1k\",\n"
        "        \"buyer_account\": \"345678901234\",\n"
        "        \"offer_id\": \"offer-9x8y7w6v5u4t\",\n"
        "        \"product\": \"Acme Observability Platform\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2026-02-01T00:00:00Z\",\n"
        "        \"end_date\": \"2027-01-31T23:59:59Z\",\n"
        "        \"value\": \"2400.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true\n"
        "      },\n"
        "      {\n"
        "        \"id\": \"agmt-bought000000000001\",\n"
        "        \"buyer_account\": \"111122223333\",\n"
        "        \"offer_id\": \"offer-vendor00000001\",\n"
        "        \"product\": \"Partner Analytics Suite (bought from another seller)\",\n"
        "        \"status\": \"ACTIVE\",\n"
        "        \"start_date\": \"2026-01-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-12-31T23:59:59Z\",\n"
        "        \"value\": \"3000.00\",\n"
        "        \"currency\": \"USD\",\n"
        "        \"self_serve\": true,\n"
        "        \"proposer\": \"444455556666\"\n"
        "      }\n"
        "    ]\n"
        "  },\n"
        "  \"azure\": {\n"
        "    \"entitlements\": [\n"
        "      {\n"
        "        \"customer_id\": \"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\n"
        "        \"subscription_id\": \"9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789\",\n"
        "        \"entitlement_id\": \"ent-0001\",\n"
        "        \"product\": \"Acme Observability Platform for Azure\",\n"
        "        \"offer_id\": \"acme-observability-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2025-10-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-09-30T23:59:59Z\",\n"
        "        \"value\": \"3600.00\",\n"
        "        \"currency\": \"USD\"\n"
        "      },\n"
        "      {\n"
        "        \"customer_id\": \"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\n"
        "        \"subscription_id\": \"9a8b7c6d-5e4f-3a2b-1c0d-ef0123456789\",\n"
        "        \"entitlement_id\": \"ent-0004\",\n"
        "        \"product\": \"Acme Analytics for Azure\",\n"
        "        \"offer_id\": \"acme-analytics-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2025-10-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-09-30T23:59:59Z\",\n"
        "        \"value\": \"1200.00\",\n"
        "        \"currency\": \"USD\"\n"
        "      },\n"
        "      {\n"
        "        \"customer_id\": \"3f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\",\n"
        "        \"subscription_id\": \"1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809\",\n"
        "        \"entitlement_id\": \"ent-0002\",\n"
        "        \"product\": \"Acme Log Archive for Azure\",\n"
        "        \"offer_id\": \"acme-log-archive-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2026-01-15T00:00:00Z\",\n"
        "        \"end_date\": \"2027-01-14T23:59:59Z\",\n"
        "        \"value\": \"1800.00\",\n"
        "        \"currency\": \"USD\"\n"
        "      },\n"
        "      {\n"
        "        \"customer_id\": \"7c6b5a49-3827-4165-9a8b-7c6d5e4f3a2b\",\n"
        "        \"subscription_id\": \"0f1e2d3c-4b5a-4968-8776-655443322110\",\n"
        "        \"entitlement_id\": \"ent-0003\",\n"
        "        \"product\": \"Acme Observability Platform for Azure\",\n"
        "        \"offer_id\": \"acme-observability-saas\",\n"
        "        \"status\": \"active\",\n"
        "        \"start_date\": \"2025-12-01T00:00:00Z\",\n"
        "        \"end_date\": \"2026-11-30T23:59:59Z\",\n"
        "        \"value\": \"7200.00\",\n"
        "        \"currency\": \"EUR\"\n"
        "      }\n"
        "    ]\n"
        "  }\n"
        "}\n";
}
