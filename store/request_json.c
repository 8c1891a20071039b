/* store/request_json.c -- struct request <-> JSON. Plain fields are described once, in
 * the tables below (name, type, place in the struct), and both directions walk the
 * same tables, so a field cannot be written and then forgotten on the way back; a new
 * field is one table line. Enums and the approvals array are handled by hand because
 * their JSON form (a name, an array) differs from their C form. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "store/request_json.h"

enum field_type { FIELD_STR, FIELD_I64, FIELD_INT };

struct field {
    const char *name;
    enum field_type type;
    size_t off;
    size_t size;
};

#define F_STR(st, m) { #m, FIELD_STR, offsetof(struct st, m), sizeof(((struct st *)0)->m) }
#define F_I64(st, m) { #m, FIELD_I64, offsetof(struct st, m), sizeof(int64_t) }
#define F_INT(st, m) { #m, FIELD_INT, offsetof(struct st, m), sizeof(int) }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* id, kind, state, market, agreement and approvals are written around these. */
static const struct field request_fields[] = {
    F_STR(request, account), F_STR(request, requester), F_STR(request, channel),
    F_STR(request, card_ts), F_STR(request, reason_code), F_STR(request, note),
    F_STR(request, case_id), F_STR(request, buyer_ref), F_STR(request, next_step),
    F_STR(request, invoice_id), F_I64(request, refund_cents), F_STR(request, refund_currency),
    F_INT(request, approvals_needed), F_STR(request, decided_by), F_STR(request, decision_note),
    F_STR(request, provider_ref), F_STR(request, provider_status), F_STR(request, buyer_link),
    F_STR(request, failure), F_I64(request, created_ms), F_I64(request, updated_ms),
    F_I64(request, confirmed_ms), F_I64(request, submitted_ms),
    F_I64(request, buyer_deadline_ms), F_I64(request, closed_ms),
    F_INT(request, reminders_sent), F_INT(request, polls_unchanged),
    F_INT(request, withdrawing), F_INT(request, case_filing), F_STR(request, case_status),
    F_STR(request, client_token),
};

static const struct field agreement_fields[] = {
    F_STR(agreement, id), F_STR(agreement, buyer_account), F_STR(agreement, subscription_id),
    F_STR(agreement, offer_id), F_STR(agreement, product), F_STR(agreement, status),
    F_STR(agreement, start_date), F_STR(agreement, end_date), F_I64(agreement, value_cents),
    F_STR(agreement, currency),
};

static const struct field approval_fields[] = {
    F_STR(approval, user), F_I64(approval, at_ms), F_STR(approval, via),
};

static const struct field item_fields[] = {
    F_STR(request_item, id), F_INT(request_item, phase), F_STR(request_item, status),
    F_STR(request_item, ref), F_STR(request_item, product), F_I64(request_item, value_cents),
    F_STR(request_item, currency),
};

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if there is
 * none. As strict as jansson (no overlongs, surrogates or code points past
 * U+10FFFF), since jansson refuses to build a string from anything it would not. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], cp;
    size_t len, i;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Fixed buffers cut long text at a byte, possibly inside a character; refusing such
 * a request would make it impossible to store, so the stray bytes become '?'. */
static json_t *string_n(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char *clean = NULL;
    json_t *v;
    size_t i = 0, len;
    while (i < n && (len = utf8_seq_len(u + i, n - i)) != 0)
        i += len;
    if (i == n)
        return json_stringn(s, n);
    if (!(clean = malloc(n)))
        return NULL;
    memcpy(clean, s, n);
    while (i < n) {
        len = utf8_seq_len(u + i, n - i);
        if (!len) {
            clean[i] = '?';
            len = 1;
        }
        i += len;
    }
    v = json_stringn(clean, n);
    free(clean);
    return v;
}

json_t *request_json_string(const char *s)
{
    if (!s)
        s = "";
    return string_n(s, strlen(s));
}

static int encode_fields(json_t *obj, const void *base, const struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)base + f[i].off;
        json_t *v = NULL;
        int64_t i64;
        int in;
        switch (f[i].type) {
        case FIELD_STR:
            v = string_n(p, strnlen(p, f[i].size));
            break;
        case FIELD_I64:
            memcpy(&i64, p, sizeof(i64));
            v = json_integer((json_int_t)i64);
            break;
        case FIELD_INT:
            memcpy(&in, p, sizeof(in));
            v = json_integer(in);
            break;
        }
        if (json_object_set_new(obj, f[i].name, v))   /* steals v, NULL included */
            return -1;
    }
    return 0;
}

json_t *request_json_encode(const struct request *rq)
{
    json_t *root = json_object(), *agreement = json_object(), *approvals = json_array();
    json_t *items = json_array();
    json_t *ret = NULL;
    int n = rq->n_approvals;
    if (!root || !agreement || !approvals || !items)
        goto out;
    if (json_object_set_new(root, "id", string_n(rq->id, strnlen(rq->id, sizeof(rq->id)))) ||
        json_object_set_new(root, "kind", json_string(request_kind_name(rq->kind))) ||
        json_object_set_new(root, "state", json_string(request_state_name(rq->state))) ||
        json_object_set_new(root, "market", json_string(request_market_name(rq->market))) ||
        encode_fields(root, rq, request_fields, COUNT(request_fields)) ||
        encode_fields(agreement, &rq->agreement, agreement_fields, COUNT(agreement_fields)))
        goto out;
    if (n < 0)
        n = 0;
    if (n > REQUEST_MAX_APPROVALS)
        n = REQUEST_MAX_APPROVALS;
    for (int i = 0; i < n; i++) {
        json_t *a = json_object();
        if (!a || json_array_append_new(approvals, a) ||
            encode_fields(a, &rq->approvals[i], approval_fields, COUNT(approval_fields)))
            goto out;
    }
    for (int i = 0; i < rq->n_items && i < REQUEST_MAX_ITEMS; i++) {
        json_t *it = json_object();
        if (!it || json_array_append_new(items, it) ||
            encode_fields(it, &rq->items[i], item_fields, COUNT(item_fields)))
            goto out;
    }
    if (json_object_set(root, "agreement", agreement) ||
        json_object_set(root, "approvals", approvals) ||
        (rq->n_items > 0 && json_object_set(root, "items", items)))
        goto out;
    ret = root;                              /* ownership moves to the caller */
    root = NULL;
out:
    json_decref(root);
    json_decref(agreement);
    json_decref(approvals);
    json_decref(items);
    return ret;
}

/* A missing key or null keeps the zero the caller cleared, so older rows load. */
static int decode_fields(const json_t *obj, void *base, const struct field *f, size_t n,
                         const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(obj, f[i].name);
        char *p = (char *)base + f[i].off;
        json_int_t x;
        int64_t i64;
        int in;
        if (!v || json_is_null(v))
            continue;
        switch (f[i].type) {
        case FIELD_STR:
            if (!json_is_string(v))
                goto bad;
            request_copy_str(p, f[i].size, json_string_value(v));
            break;
        case FIELD_I64:
            if (!json_is_integer(v))
                goto bad;
            i64 = (int64_t)json_integer_value(v);
            memcpy(p, &i64, sizeof(i64));
            break;
        case FIELD_INT:
            if (!json_is_integer(v))
                goto bad;
            x = json_integer_value(v);
            if (x < INT_MIN || x > INT_MAX)
                goto bad;
            in = (int)x;
            memcpy(p, &in, sizeof(in));
            break;
        }
        continue;
bad:
        *bad = f[i].name;
        return -1;
    }
    return 0;
}

/* Unknown enum names are refused, not defaulted: a request read back in the wrong
 * state could be submitted or closed by mistake. */
static int decode_enums(const json_t *obj, struct request *rq, const char **bad)
{
    const json_t *v;
    const char *name;
    if ((v = json_object_get(obj, "kind")) && !json_is_null(v)) {
        name = json_string_value(v);
        *bad = "kind";
        if (name && strcmp(name, request_kind_name(REQUEST_REFUND)) == 0)
            rq->kind = REQUEST_REFUND;
        else if (name && strcmp(name, request_kind_name(REQUEST_CANCEL)) == 0)
            rq->kind = REQUEST_CANCEL;
        else if (name && strcmp(name, request_kind_name(REQUEST_SUSPEND)) == 0)
            rq->kind = REQUEST_SUSPEND;
        else
            return -1;
    }
    if ((v = json_object_get(obj, "market")) && !json_is_null(v)) {
        name = json_string_value(v);
        *bad = "market";
        if (name && strcmp(name, request_market_name(MARKET_AZURE)) == 0)
            rq->market = MARKET_AZURE;
        else if (name && strcmp(name, request_market_name(MARKET_AWS)) == 0)
            rq->market = MARKET_AWS;
        else
            return -1;
    }
    if ((v = json_object_get(obj, "state")) && !json_is_null(v)) {
        name = json_string_value(v);
        *bad = "state";
        if (!name || request_state_from_name(name, &rq->state) != 0)
            return -1;
    }
    return 0;
}

int request_json_decode(const json_t *obj, struct request *out, const char **bad_field)
{
    struct request rq;
    const json_t *v;
    const char *bad = "(document)";
    memset(&rq, 0, sizeof(rq));
    if (!json_is_object(obj))
        goto fail;
    if ((v = json_object_get(obj, "id")) && !json_is_null(v)) {
        if (!json_is_string(v)) {
            bad = "id";
            goto fail;
        }
        request_copy_str(rq.id, sizeof(rq.id), json_string_value(v));
    }
    if (decode_enums(obj, &rq, &bad) ||
        decode_fields(obj, &rq, request_fields, COUNT(request_fields), &bad))
        goto fail;
    if ((v = json_object_get(obj, "agreement")) && !json_is_null(v)) {
        if (!json_is_object(v)) {
            bad = "agreement";
            goto fail;
        }
        if (decode_fields(v, &rq.agreement, agreement_fields, COUNT(agreement_fields), &bad))
            goto fail;
    }
    if ((v = json_object_get(obj, "approvals")) && !json_is_null(v)) {
        size_t i;
        const json_t *a;
        if (!json_is_array(v) || json_array_size(v) > REQUEST_MAX_APPROVALS) {
            bad = "approvals";
            goto fail;
        }
        json_array_foreach(v, i, a) {
            if (!json_is_object(a)) {
                bad = "approvals";
                goto fail;
            }
            if (decode_fields(a, &rq.approvals[i], approval_fields, COUNT(approval_fields), &bad))
                goto fail;
        }
        rq.n_approvals = (int)json_array_size(v);
    }
    if ((v = json_object_get(obj, "items")) && !json_is_null(v)) {
        size_t i;
        const json_t *it;
        if (!json_is_array(v) || json_array_size(v) > REQUEST_MAX_ITEMS) {
            bad = "items";
            goto fail;
        }
        json_array_foreach(v, i, it) {
            if (!json_is_object(it) ||
                decode_fields(it, &rq.items[i], item_fields, COUNT(item_fields), &bad)) {
                bad = bad ? bad : "items";
                goto fail;
            }
        }
        rq.n_items = (int)json_array_size(v);
    }
    memcpy(out, &rq, sizeof(rq));
    return 0;
fail:
    if (bad_field)
        *bad_field = bad;
    return -1;
}

char *request_json_dumps(const struct request *rq)
{
    json_t *root = request_json_encode(rq);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

int request_json_loads(const char *text, struct request *out, const char **bad_field)
{
    json_error_t error;
    json_t *root = text ? json_loads(text, 0, &error) : NULL;
    int rc;
    if (!root) {
        if (bad_field)
            *bad_field = "(document)";
        return -1;
    }
    rc = request_json_decode(root, out, bad_field);
    json_decref(root);
    return rc;
}
