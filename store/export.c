/* store/export.c -- `/cancel export`: every request with its audit record, as CSV
 * for finance's spreadsheets (reconciliation) or as JSON for programs.
 *
 * Built on the public store interface alone (store_list_requests, store_history), so
 * every backend exports the same bytes. Requests come newest first, as the listing
 * gives them, which also lets since_ms stop the listing at the first older one.
 *
 * CSV follows RFC 4180 (CRLF line ends; a field holding a comma, semicolon, quote, CR
 * or LF is quoted, quotes doubled). A text cell starting with = + - @ (or tab / CR)
 * gets a leading ', and so does each part after a ',', ';', tab or line end, because notes are typed by
 * requesters and opened by finance in a spreadsheet, which would run them as
 * formulas (CSV injection). Numeric cells we format ourselves are left alone. Times
 * are ISO-8601 UTC, to the second. A request naming several entitlements has one row
 * per entitlement: the request's cells repeated, the item cells its own, so a
 * spreadsheet filter or sum over entitlements needs no splitting.
 *
 * A failed read leaves the database's reason in store_last_error; a failed write
 * (or a full allocator) returns STORE_E_IO with no database reason, which
 * store_last_error reports as such; ferror(out) tells the caller which. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "store/store.h"
#include "store/request_json.h"

#define ISO_MAX 32

struct export_ctx {
    struct store *s;
    FILE *out;
    enum store_export_format fmt;
    int64_t since_ms;
    int n;                      /* requests written */
    int rc;                     /* first failure; stops the listing */
};

/* "" for 0: the field was never set (no submission, not closed yet). */
static void iso_time(char out[ISO_MAX], int64_t ms)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    out[0] = '\0';
    if (ms <= 0 || !gmtime_r(&t, &tm))
        return;
    strftime(out, ISO_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "" for 0, which request.h uses for "unknown". */
static void money(char out[32], int64_t cents)
{
    uint64_t abs_cents = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
    out[0] = '\0';
    if (cents)
        snprintf(out, 32, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "",
                 abs_cents / 100, abs_cents % 100);
}

/* ---- names ---- */

#define NAME_KEY_PREFIX "user_name:"

int store_set_user_name(struct store *s, const char *user, const char *name)
{
    char key[sizeof(NAME_KEY_PREFIX) + USER_ID_MAX];
    if (!user || !*user || !name || strlen(name) >= STORE_USER_NAME_MAX ||
        (size_t)snprintf(key, sizeof(key), NAME_KEY_PREFIX "%s", user) >= sizeof(key))
        return STORE_E_INVALID;
    return store_set_setting(s, key, name);
}

int store_get_user_name(struct store *s, const char *user, char *out, size_t outlen)
{
    char key[sizeof(NAME_KEY_PREFIX) + USER_ID_MAX];
    if (!user || (size_t)snprintf(key, sizeof(key), NAME_KEY_PREFIX "%s", user) >= sizeof(key))
        return STORE_E_INVALID;
    return store_get_setting(s, key, out, outlen);
}

/* "" when nobody told us the name (the CLI on a record Slack never named): the id
 * stays next to it, so the row still says who. */
static void name_of(struct export_ctx *x, const char *user, char out[STORE_USER_NAME_MAX])
{
    out[0] = '\0';
    if (user[0] && store_get_user_name(x->s, user, out, STORE_USER_NAME_MAX) != STORE_OK)
        out[0] = '\0';
}

/* ---- CSV ---- */

struct csv_row {
    FILE *out;
    int cells;
};

static void csv_raw(struct csv_row *r, const char *s)
{
    if (r->cells++)
        putc(',', r->out);
    fputs(s, r->out);
}

/* A spreadsheet may trim the spaces before a formula: look past them. */
static int formula_start(const char *s)
{
    s += strspn(s, " ");
    return *s && strchr("=+-@\t\r", *s) != NULL;
}

/* A cell holding ';' is quoted too, and each part after a ',', ';', tab or line end
 * is defused: a spreadsheet in a locale whose list separator is ';' splits there,
 * and an importer that ignores quotes splits a quoted cell at its ',', tab or line
 * end, so any of those parts can become a cell of its own. */
static void csv_text(struct csv_row *r, const char *s)
{
    int quote = strpbrk(s, ",;\"\r\n") != NULL, defuse = formula_start(s);
    if (r->cells++)
        putc(',', r->out);
    if (quote)
        putc('"', r->out);
    for (; *s; s++) {
        if (defuse && *s != ' ') {
            putc('\'', r->out);
            defuse = 0;
        }
        if (*s == '"')
            putc('"', r->out);
        putc(*s, r->out);
        if (strchr(",;\t\r\n", *s))
            defuse = formula_start(s + 1);
    }
    if (quote)
        putc('"', r->out);
}

static void csv_time(struct csv_row *r, int64_t ms)
{
    char iso[ISO_MAX];
    iso_time(iso, ms);
    csv_raw(r, iso);
}

static void csv_money(struct csv_row *r, int64_t cents)
{
    char amount[32];
    money(amount, cents);
    csv_raw(r, amount);
}

static void csv_int(struct csv_row *r, int n)
{
    char text[16];
    snprintf(text, sizeof(text), "%d", n);
    csv_raw(r, text);
}

static void csv_end(struct csv_row *r)
{
    fputs("\r\n", r->out);
}

/* What one row says about the request it belongs to, computed once per request. */
struct csv_request {
    const struct request *rq;
    char requester_name[STORE_USER_NAME_MAX];
    char decided_by_name[STORE_USER_NAME_MAX];
    char approvers[REQUEST_MAX_APPROVALS * (USER_ID_MAX + ISO_MAX + 2) + 1];
    char approver_names[REQUEST_MAX_APPROVALS * (STORE_USER_NAME_MAX + 1) + 1];
    char *history;
};

/* The request's columns before the item columns ... */
static const char *const csv_lead_columns[] = {
    "id", "kind", "market", "account", "state", "agreement_id", "buyer_account",
    "subscription_id", "offer_id", "product", "value", "currency",
};

static void csv_lead_cells(struct csv_row *r, const struct csv_request *cr)
{
    const struct request *rq = cr->rq;
    const struct agreement *a = &rq->agreement;
    csv_text(r, rq->id);
    csv_text(r, request_kind_name(rq->kind));
    csv_text(r, request_market_name(rq->market));
    csv_text(r, rq->account);
    csv_text(r, request_state_name(rq->state));
    csv_text(r, a->id);
    csv_text(r, a->buyer_account);
    csv_text(r, a->subscription_id);
    csv_text(r, a->offer_id);
    csv_text(r, a->product);
    csv_money(r, a->value_cents);
    csv_text(r, a->currency);
}

/* ... then one entitlement's (a request naming several has a row for each; a request
 * about one agreement has one row, these cells empty: agreement_id names it) ... */
struct csv_item {
    const struct request_item *it;      /* NULL: the request has no items */
    int number;                         /* 1-based */
    int count;
};

static void item_number(struct csv_row *r, const struct csv_item *i)
{
    if (i->it)
        csv_int(r, i->number);
    else
        csv_raw(r, "");
}

static void item_count(struct csv_row *r, const struct csv_item *i)
{
    if (i->it)
        csv_int(r, i->count);
    else
        csv_raw(r, "");
}

static void item_id(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? i->it->id : "");
}

static void item_status(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? i->it->status : "");
}

static void item_ref(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? i->it->ref : "");
}

static void item_product(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? i->it->product : "");
}

static void item_value(struct csv_row *r, const struct csv_item *i)
{
    if (i->it && i->it->value_cents > 0)
        csv_money(r, i->it->value_cents);
    else
        csv_raw(r, "");
}

static void item_currency(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? i->it->currency : "");
}

static void item_outcome(struct csv_row *r, const struct csv_item *i)
{
    csv_text(r, i->it ? request_item_phase_name(i->it->phase) : "");
}

/* A new per-item field is one function and one line here. */
static const struct {
    const char *name;
    void (*cell)(struct csv_row *r, const struct csv_item *i);
} csv_item_columns[] = {
    { "item", item_number },
    { "items", item_count },
    { "item_id", item_id },
    { "item_status", item_status },
    { "item_ref", item_ref },
    { "item_product", item_product },
    { "item_value", item_value },
    { "item_currency", item_currency },
    { "item_outcome", item_outcome },
};

/* ... then the rest of the request. */
static const char *const csv_tail_columns[] = {
    "reason_code", "note", "case_id", "buyer_ref", "next_step", "invoice_id",
    "refund_amount", "refund_currency", "requester", "requester_name", "channel",
    "approvers", "approver_names", "decided_by", "decided_by_name", "decision_note",
    "provider_ref", "provider_status", "buyer_link", "failure", "created_at", "updated_at",
    "submitted_at", "buyer_deadline_at", "closed_at", "history",
};

static void csv_tail_cells(struct csv_row *r, const struct csv_request *cr)
{
    const struct request *rq = cr->rq;
    csv_text(r, rq->reason_code);
    csv_text(r, rq->note);
    csv_text(r, rq->case_id);
    csv_text(r, rq->buyer_ref);
    csv_text(r, rq->next_step);
    csv_text(r, rq->invoice_id);
    csv_money(r, rq->refund_cents);
    csv_text(r, rq->refund_currency);
    csv_text(r, rq->requester);
    csv_text(r, cr->requester_name);
    csv_text(r, rq->channel);
    csv_text(r, cr->approvers);
    csv_text(r, cr->approver_names);
    csv_text(r, rq->decided_by);
    csv_text(r, cr->decided_by_name);
    csv_text(r, rq->decision_note);
    csv_text(r, rq->provider_ref);
    csv_text(r, rq->provider_status);
    csv_text(r, rq->buyer_link);
    csv_text(r, rq->failure);
    csv_time(r, rq->created_ms);
    csv_time(r, rq->updated_ms);
    csv_time(r, rq->submitted_ms);
    csv_time(r, rq->buyer_deadline_ms);
    csv_time(r, rq->closed_ms);
    csv_text(r, cr->history ? cr->history : "");
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void csv_header(FILE *out)
{
    struct csv_row r = { out, 0 };
    for (size_t i = 0; i < COUNT(csv_lead_columns); i++)
        csv_raw(&r, csv_lead_columns[i]);
    for (size_t i = 0; i < COUNT(csv_item_columns); i++)
        csv_raw(&r, csv_item_columns[i].name);
    for (size_t i = 0; i < COUNT(csv_tail_columns); i++)
        csv_raw(&r, csv_tail_columns[i]);
    csv_end(&r);
}

struct csv_history {
    FILE *f;                    /* an open_memstream: the history cell */
    int n;
};

/* "2026-11-25T10:00:00Z U0FIN1 approve awaiting_approval->submitting: text", joined by " | " */
static int csv_on_event(void *ud, const struct store_event_row *ev)
{
    struct csv_history *h = ud;
    char iso[ISO_MAX];
    iso_time(iso, ev->at_ms);
    fprintf(h->f, "%s%s %s %s %s->%s", h->n++ ? " | " : "", iso, ev->actor, ev->event,
            ev->from_state, ev->to_state);
    if (ev->text[0])
        fprintf(h->f, ": %s", ev->text);
    return 0;
}

/* Approvers as "U0FIN1@time;U0FIN2@time" and their names in the same order. */
static void csv_approvers(struct export_ctx *x, struct csv_request *cr)
{
    const struct request *rq = cr->rq;
    size_t used = 0, used_names = 0;
    for (int i = 0; i < rq->n_approvals && i < REQUEST_MAX_APPROVALS; i++) {
        char iso[ISO_MAX], name[STORE_USER_NAME_MAX];
        iso_time(iso, rq->approvals[i].at_ms);
        name_of(x, rq->approvals[i].user, name);
        used += (size_t)snprintf(cr->approvers + used, sizeof(cr->approvers) - used, "%s%s@%s",
                                 i ? ";" : "", rq->approvals[i].user, iso);
        used_names += (size_t)snprintf(cr->approver_names + used_names,
                                       sizeof(cr->approver_names) - used_names, "%s%s",
                                       i ? ";" : "", name);
    }
}

static int csv_write_request(struct export_ctx *x, const struct request *rq)
{
    struct csv_request *cr = calloc(1, sizeof(*cr));
    struct csv_history h = { NULL, 0 };
    size_t history_len = 0;
    int rc = STORE_E_IO, rows = rq->n_items > 0 ? rq->n_items : 1;

    if (!cr)
        return STORE_E_IO;
    cr->rq = rq;
    name_of(x, rq->requester, cr->requester_name);
    name_of(x, rq->decided_by, cr->decided_by_name);
    csv_approvers(x, cr);
    if (!(h.f = open_memstream(&cr->history, &history_len)))
        goto out;
    if ((rc = store_history(x->s, rq->id, csv_on_event, &h)) != STORE_OK &&
        rc != STORE_E_NOT_FOUND)
        goto out;
    rc = fclose(h.f) == 0 ? STORE_OK : STORE_E_IO;   /* publishes history, even on error */
    h.f = NULL;
    if (rc != STORE_OK)
        goto out;

    if (rows > REQUEST_MAX_ITEMS)
        rows = REQUEST_MAX_ITEMS;
    for (int n = 0; n < rows; n++) {
        struct csv_row r = { x->out, 0 };
        struct csv_item item = { rq->n_items > 0 ? &rq->items[n] : NULL, n + 1, rq->n_items };
        csv_lead_cells(&r, cr);
        for (size_t i = 0; i < COUNT(csv_item_columns); i++)
            csv_item_columns[i].cell(&r, &item);
        csv_tail_cells(&r, cr);
        csv_end(&r);
    }
    rc = ferror(x->out) ? STORE_E_IO : STORE_OK;
out:
    if (h.f)
        fclose(h.f);
    free(cr->history);
    free(cr);
    return rc;
}

/* ---- JSON ---- */

struct json_history {
    json_t *events;
    int failed;                 /* out of memory: the array is short */
};

static int json_on_event(void *ud, const struct store_event_row *ev)
{
    struct json_history *h = ud;
    json_t *e = json_object();
    char iso[ISO_MAX];
    iso_time(iso, ev->at_ms);
    if (!e || json_array_append_new(h->events, e) ||
        json_object_set_new(e, "seq", json_integer(ev->seq)) ||
        json_object_set_new(e, "at", json_string(iso)) ||
        json_object_set_new(e, "at_ms", json_integer(ev->at_ms)) ||
        json_object_set_new(e, "actor", request_json_string(ev->actor)) ||
        json_object_set_new(e, "event", request_json_string(ev->event)) ||
        json_object_set_new(e, "via", request_json_string(ev->via)) ||
        json_object_set_new(e, "from", request_json_string(ev->from_state)) ||
        json_object_set_new(e, "to", request_json_string(ev->to_state)) ||
        json_object_set_new(e, "text", request_json_string(ev->text)))
        h->failed = 1;
    return h->failed;
}

/* The stored form (every field, times in ms) plus readable *_at twins: null when unset. */
static int json_add_times(json_t *obj, const struct request *rq)
{
    static const struct { const char *name; size_t off; } times[] = {
        { "created_at", offsetof(struct request, created_ms) },
        { "updated_at", offsetof(struct request, updated_ms) },
        { "confirmed_at", offsetof(struct request, confirmed_ms) },
        { "submitted_at", offsetof(struct request, submitted_ms) },
        { "buyer_deadline_at", offsetof(struct request, buyer_deadline_ms) },
        { "closed_at", offsetof(struct request, closed_ms) },
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        char iso[ISO_MAX];
        int64_t ms;
        memcpy(&ms, (const char *)rq + times[i].off, sizeof(ms));
        iso_time(iso, ms);
        if (json_object_set_new(obj, times[i].name, iso[0] ? json_string(iso) : json_null()))
            return -1;
    }
    return 0;
}

/* Each item's phase in words ("outcome"), beside the stored number. */
static int json_add_outcomes(json_t *obj)
{
    json_t *items = json_object_get(obj, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it) {
        json_int_t phase = json_integer_value(json_object_get(it, "phase"));
        if (json_object_set_new(it, "outcome", json_string(request_item_phase_name((int)phase))))
            return -1;
    }
    return 0;
}

/* "names": {"U0FIN1": "Fin One", ...} for the people of the request whose names we know. */
static int json_add_names(struct export_ctx *x, json_t *obj, const struct request *rq)
{
    json_t *names = json_object();
    const char *users[2 + REQUEST_MAX_APPROVALS] = { rq->requester, rq->decided_by };
    size_t n = 2;
    for (int i = 0; i < rq->n_approvals && i < REQUEST_MAX_APPROVALS; i++)
        users[n++] = rq->approvals[i].user;
    if (!names)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char name[STORE_USER_NAME_MAX];
        name_of(x, users[i], name);
        if (name[0] && json_object_set_new(names, users[i], request_json_string(name))) {
            json_decref(names);
            return -1;
        }
    }
    return json_object_set_new(obj, "names", names);
}

static int json_write_request(struct export_ctx *x, const struct request *rq)
{
    json_t *obj = request_json_encode(rq);
    struct json_history h = { json_array(), 0 };
    int rc = STORE_E_IO;
    if (!obj || !h.events || json_add_times(obj, rq) || json_add_outcomes(obj) ||
        json_add_names(x, obj, rq))
        goto out;
    if ((rc = store_history(x->s, rq->id, json_on_event, &h)) != STORE_OK &&
        rc != STORE_E_NOT_FOUND)
        goto out;
    rc = STORE_E_IO;
    if (h.failed || json_object_set(obj, "history", h.events))
        goto out;
    fputs(x->n ? ",\n" : "\n", x->out);
    if (json_dumpf(obj, x->out, JSON_COMPACT) != 0 || ferror(x->out))
        goto out;
    rc = STORE_OK;
out:
    json_decref(obj);
    json_decref(h.events);
    return rc;
}

/* ---- both ---- */

static int export_on_request(void *ud, const struct request *rq)
{
    struct export_ctx *x = ud;
    if (rq->created_ms < x->since_ms)
        return 1;                   /* newest first: every later one is older still */
    x->rc = x->fmt == STORE_EXPORT_CSV ? csv_write_request(x, rq) : json_write_request(x, rq);
    if (x->rc != STORE_OK)
        return 1;
    x->n++;
    return 0;
}

int store_export(struct store *s, FILE *out, enum store_export_format fmt, int64_t since_ms)
{
    struct export_ctx x = { s, out, fmt, since_ms, 0, STORE_OK };
    int rc;
    if (!s || !out || (fmt != STORE_EXPORT_CSV && fmt != STORE_EXPORT_JSON))
        return STORE_E_INVALID;
    if (fmt == STORE_EXPORT_CSV) {
        csv_header(out);
    } else {
        fputc('[', out);
    }
    rc = store_list_requests(s, STORE_LIST_ALL, NULL, 0, export_on_request, &x);
    if (rc == STORE_OK)
        rc = x.rc;
    if (rc == STORE_OK && fmt == STORE_EXPORT_JSON)
        fputs(x.n ? "\n]\n" : "]\n", out);
    if (rc == STORE_OK && (fflush(out) != 0 || ferror(out)))
        rc = STORE_E_IO;
    return rc;
}
