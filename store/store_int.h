/* store/store_int.h -- what the backends of store.h share, and nobody else: the part
 * of struct store every backend has, the table of operations each backend provides,
 * the migrations, and helpers (errors, decoding a stored request, list queries).
 *
 * store.c holds the public functions: it checks arguments, keeps the batch nesting and
 * runs every multi-step write (a transition, a card, the migrations) out of the
 * backend's small operations, so both backends keep the same promises by the same
 * code. A backend (sqlite.c, postgres.c) embeds struct store as the first member of
 * its own struct and hands its ops table to store_init. */
#ifndef CANCELBOT_STORE_STORE_INT_H
#define CANCELBOT_STORE_STORE_INT_H

#include "store/store.h"

/* Decoded requests by (id, version): decoding the JSON document is most of what a
 * load costs, and the runtime loads the same request several times per event. */
#define DECODED_CACHE_SIZE 64

struct decoded_slot {
    int64_t version;                    /* 0: empty */
    struct request rq;
};

/* How a request is looked up (store_load_request and the finders). */
enum store_lookup {
    STORE_BY_ID,
    STORE_BY_CARD,                      /* newest with this card_ts */
    STORE_BY_MESSAGE,                   /* the request a thread reply was noted for */
    STORE_BY_REF                        /* newest with this provider_ref */
};

/* What a lookup reads (columns 0..3: see store_decode_request), and its SQL with the
 * backend's placeholder P ("?" or "$1"); store_lookup_what names it in errors. */
#define STORE_REQUEST_COLUMNS "id, card_ts, data, version"
#define STORE_LOOKUP_SQL(P) {                                                            \
    [STORE_BY_ID] = "SELECT " STORE_REQUEST_COLUMNS " FROM requests WHERE id = " P,      \
    [STORE_BY_CARD] = "SELECT " STORE_REQUEST_COLUMNS " FROM requests WHERE card_ts = " P \
                      " ORDER BY created_ms DESC LIMIT 1",                               \
    [STORE_BY_MESSAGE] = "SELECT " STORE_REQUEST_COLUMNS " FROM requests WHERE id ="     \
                         " (SELECT request_id FROM messages WHERE ts = " P ")",          \
    [STORE_BY_REF] = "SELECT " STORE_REQUEST_COLUMNS " FROM requests WHERE provider_ref = " \
                     P " ORDER BY created_ms DESC LIMIT 1",                              \
}
extern const char *const store_lookup_what[];

/* A list query: SQL and its parameters, in order. A backend spells the i-th
 * placeholder its own way: "?" (SQLite) or "$i" (PostgreSQL). */
#define STORE_LIST_PARAMS_MAX (3 * REQUEST_STATE_COUNT + 2)
struct store_list_query {
    char sql[4096];
    int n;
    const char *text[STORE_LIST_PARAMS_MAX];   /* NULL: the parameter is num[i] */
    long long num[STORE_LIST_PARAMS_MAX];
};

/* The migrations, shared by both backends (migrations.c): step i brings the schema
 * from version i to i + 1; pg is PostgreSQL's spelling where it differs (NULL: the
 * same SQL). */
struct store_migration {
    const char *sql;
    const char *pg;
};
extern const struct store_migration store_migrations[];
extern const int store_migration_count;

struct store_ops {
    int numbered_params;                /* placeholders are $1, $2... (else ?) */
    /* Row locks held to the end of a transaction, by processes that run side by side
     * (PostgreSQL): long transactions over many requests then deadlock each other.
     * SQLite's one write lock makes batching only cheaper. */
    int row_locks;
    void (*close)(struct store *s);
    /* The outermost transaction of a batch; lazy: its commit may return before the
     * data is on disk. close commits (commit = 1, rolling back when that fails) or
     * rolls back; lost: the database rolled the transaction back by itself. */
    int (*batch_open)(struct store *s, int lazy);
    int (*batch_close)(struct store *s, int commit);
    int (*batch_lost)(struct store *s);
    /* A write of several statements: its own transaction, or a savepoint inside a
     * batch. rollback leaves s->err alone (it holds the failure that led there). */
    int (*tx_begin)(struct store *s);
    int (*tx_commit)(struct store *s);
    void (*tx_rollback)(struct store *s);
    /* Migrations, inside tx_begin: make sure no other process migrates at the same
     * time, read the applied version (0: none), run one step, record it. */
    int (*migrate_lock)(struct store *s);
    int (*schema_version)(struct store *s, int *version);
    int (*migrate_step)(struct store *s, const struct store_migration *m, int version);

    int (*next_counter)(struct store *s, const char *prefix, long long *n);
    /* 1 when key is new (now recorded), 0 when seen, <0 on error. */
    int (*dedup_insert)(struct store *s, const char *key, int64_t now_ms);
    /* Writes rq at version rq->version + 1 if the stored row is at rq->version (0: no
     * row yet), else STORE_E_CONFLICT; data is rq as JSON. */
    int (*write_request)(struct store *s, const struct request *rq, const char *data);
    int (*insert_event)(struct store *s, const struct request *after, enum request_state from,
                        const struct request_event *ev, int64_t now_ms);
    int (*insert_effects)(struct store *s, const char *request_id, const struct effect_list *fx,
                          int64_t now_ms);
    int (*load_request)(struct store *s, enum store_lookup by, const char *key,
                        struct request *out);
    /* Only over the version the document was made from (STORE_E_CONFLICT otherwise):
     * the document carries the request's state, which another process may have moved
     * between our read and this write. */
    int (*update_card)(struct store *s, const char *request_id, const char *card_ts,
                       const char *data, int64_t version);
    int (*note_message)(struct store *s, const char *ts, const char *request_id, int64_t now_ms);
    int (*list_requests)(struct store *s, const struct store_list_query *q,
                         int (*cb)(void *ud, const struct request *rq), void *ud);
    int (*history)(struct store *s, const char *request_id,
                   int (*cb)(void *ud, const struct store_event_row *row), void *ud);
    int (*request_exists)(struct store *s, const char *id, int *exists);

    int (*claim_effects)(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct stored_effect *got, int *n_out);
    int (*effect_done)(struct store *s, int64_t effect_id, const char *result);
    int (*effect_retry)(struct store *s, int64_t effect_id, int64_t next_due_ms,
                        const char *error);
    int (*renew_leases)(struct store *s, int64_t until_ms);
    int (*release_leases)(struct store *s, const char *owner, int64_t now_ms);
    int (*lease_owners)(struct store *s, int64_t now_ms,
                        int (*cb)(void *ud, const char *owner), void *ud);
    int (*next_due_after)(struct store *s, int64_t after_ms, int64_t *due_ms);
    int (*count_pending)(struct store *s, const char *request_id, enum effect_kind kind, int *n);
    int (*count_requests)(struct store *s, store_count_cb cb, void *ud);
    int (*outbox_stats)(struct store *s, int64_t now_ms, int64_t *pending,
                        int64_t *oldest_due_ms);
    int (*prune)(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out);

    int (*intent_add)(struct store *s, const struct store_intent *in, int64_t lease_until_ms,
                      int64_t now_ms, int64_t *id_out);
    int (*intent_done)(struct store *s, int64_t id);
    int (*claim_intents)(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                         struct store_intent *got, int *n_out);

    /* STORE_E_NOT_FOUND when unset; else the value through store_copy_value. */
    int (*get_setting)(struct store *s, const char *name, char *out, size_t outlen);
    int (*set_setting)(struct store *s, const char *name, const char *value);
    /* Moving a SQLite record in (store_import_sqlite); NULL where unsupported. One row
     * of table, every value as text (NULL: SQL NULL), then the identities and request
     * counters set past what came in. */
    int (*import_row)(struct store *s, const char *table, int n, const char *const *cols,
                      const char *const *vals);
    int (*import_finish)(struct store *s);

    /* The connection to a database server, and wake-ups from other processes
     * (postgres_conn.c). NULL for a backend with no connection to lose and no way to
     * be woken (SQLite): always up, no descriptor (-1), no wake-ups. */
    int (*is_up)(const struct store *s);
    int (*reconnect)(struct store *s, int64_t *retry_in_ms);
    int (*wake_fd)(const struct store *s);
    int (*take_wakeups)(struct store *s);
};

struct store {
    const struct store_ops *ops;
    char err[256];
    char owner[STORE_OWNER_MAX];        /* names this process on its leases */
    char chat[16];                      /* store_set_chat: "slack", "shell", "" */
    int batch_depth;                    /* store_batch_begin nesting */
    int batch_failed;                   /* the outermost transaction is gone */
    unsigned wake_serial;               /* changes when wake_fd may have (a new connection) */
    store_connection_cb on_connection;  /* store_on_connection */
    void *on_connection_ud;
    store_commit_cb on_commit;          /* store_on_commit */
    void *on_commit_ud;
    struct decoded_slot decoded[DECODED_CACHE_SIZE];
};

/* Fills the shared part: ops, a fresh owner name. */
void store_init(struct store *s, const struct store_ops *ops);
/* Brings the schema to the current version (migrations.c), in one transaction. */
int store_migrate(struct store *s);

int store_failf(struct store *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A stored request from its columns: the id and card_ts columns win over the
 * document (card_ts may have been set after the document was written). Decoded once
 * per (id, version). */
int store_decode_request(struct store *s, const char *id, const char *card_ts,
                         const char *data, int64_t version, struct request *out);
void store_forget_decoded(struct store *s);
/* Copies a setting's value into out, refusing to cut it. */
int store_copy_value(struct store *s, const char *name, const char *value, char *out,
                     size_t outlen);
/* A stored effect from its outbox columns (kind and timer by name). */
int store_read_effect(struct store *s, int64_t id, const char *request_id, const char *kind,
                      const char *timer, int64_t due_ms, const char *user, const char *text,
                      int failed_attempts, int item, struct stored_effect *out);
/* An event row from its columns: cols are at_ms (as text), actor, event, via,
 * from_state, to_state, text. */
void store_event_row_set(struct store_event_row *row, int64_t seq, const char *request_id,
                         const char *const cols[7]);
/* The kinds of effect that go out through a chat adapter (claimed only by a process
 * of the request's adapter), as an SQL list. */
#define STORE_CHAT_EFFECT_KINDS \
    "('post_card', 'update_card', 'reply', 'ephemeral', 'confirm_prompt', 'direct_message')"

#endif
