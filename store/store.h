/* store/store.h -- durable state: requests, their event history (the audit record),
 * the outbox of effects, and de-duplication keys. One interface, two backends:
 * SQLite (sqlite.c, the embedded default) and PostgreSQL (postgres.c). The promise
 * that makes the runtime crash-safe: store_commit_transition writes the request, its
 * event row and its effects in ONE transaction. All functions return 0 (STORE_OK) or a STORE_E_* code;
 * out-params are written only on success. */
#ifndef CANCELBOT_STORE_STORE_H
#define CANCELBOT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "approvals/request.h"
#include "approvals/effect.h"
#include "approvals/flow.h"

enum store_rc {
    STORE_OK = 0,
    STORE_DUPLICATE = 1,        /* dedup key already seen: nothing written */
    STORE_E_NOT_FOUND = -1,
    STORE_E_IO = -2,            /* the database failed; err text in store_last_error */
    STORE_E_SCHEMA = -3,        /* database from a newer cancelbot */
    STORE_E_INVALID = -4,
    STORE_E_CONFLICT = -5,      /* the request moved since it was read: re-read, re-apply */
    STORE_E_UNREACHABLE = -6    /* a network store did not answer (refused, timed out,
                                   starting up): worth trying again, unlike a refused
                                   login or a bad URL (STORE_E_IO, STORE_E_INVALID) */
};

struct store;

/* path: a SQLite file (created if missing, WAL mode, migrated to the current schema).
 * Each open store is one lease owner ("host:pid:nonce", see store_owner). On failure
 * err (may be NULL) says why: SQLite's message and code, and the system's reason
 * (strerror) where a file operation failed. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* The same for a file that must exist already (commands that read the record):
 * STORE_E_NOT_FOUND, and no file created, when there is none at path. */
int store_open_existing(const char *path, struct store **out, char *err, size_t errlen);
/* PostgreSQL: conninfo is a postgres:// or postgresql:// URL or a libpq keyword
 * string ("host=... dbname=..."); libpq's PG* variables and password file fill in
 * what it leaves out. Connects (with timeouts) and migrates. On failure err says why,
 * without the password; STORE_E_INVALID when conninfo cannot be read at all. */
int store_open_postgres(const char *conninfo, struct store **out, char *err, size_t errlen);
/* The same for a caller whose event loop must go on turning while the database does
 * not answer (`run`: its probes answer meanwhile, and it tries again): one attempt
 * gives up after 2 s (libpq's least), as every reconnection does, whatever conninfo
 * or PGCONNECT_TIMEOUT say; store_open_postgres waits 10 s unless they say otherwise. */
int store_open_postgres_on_loop(const char *conninfo, struct store **out, char *err,
                                size_t errlen);
/* Whether conninfo can be read at all (nothing connects): STORE_OK, or
 * STORE_E_INVALID with err saying how to write it (never quoting it: it may hold a
 * password). store_open_postgres refuses the same strings with the same words. */
int store_check_postgres_url(const char *conninfo, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_last_error(const struct store *s);   /* never contains secrets */
#define STORE_OWNER_MAX 128
const char *store_owner(const struct store *s);
/* The chat adapter this process speaks through ("slack", "shell"). New requests are
 * stamped with it, and chat effects (cards, replies, whispers) of a request stamped
 * with another adapter are left to a process of that adapter. Default "": any. */
void store_set_chat(struct store *s, const char *chat);

/* The connection (PostgreSQL; SQLite has none to lose and is always up). When a call
 * finds the connection gone, the store is down: cb hears of it once (up = 0, why:
 * libpq's reason, never the password), calls fail at once with STORE_E_IO while a
 * back-off runs (100 ms doubling to 10 s, jittered), and the first call after it
 * connects again (at most 2 s); cb then hears up = 1 and down_ms, how long it was
 * down. A batch open when the connection went fails at its commit. */
typedef void (*store_connection_cb)(void *ud, int up, const char *why, int64_t down_ms);
/* After each commit of a transition, a card's update, the migrations or a batch
 * (store_batch_commit): how long the commit itself took, for /metrics. */
typedef void (*store_commit_cb)(void *ud, int64_t commit_us);
void store_on_commit(struct store *s, store_commit_cb cb, void *ud);
void store_on_connection(struct store *s, store_connection_cb cb, void *ud);
int store_is_up(const struct store *s);
/* Down: tries to connect again if the back-off allows (else STORE_E_IO at once, and
 * *retry_in_ms, when not NULL, says when it will). STORE_OK when up. */
int store_reconnect(struct store *s, int64_t *retry_in_ms);

/* Wake-ups (PostgreSQL's LISTEN/NOTIFY; SQLite: none). A commit that makes work due
 * for any process (new effects or intents, an effect put back sooner) notifies every
 * process's connection. store_wake_fd is the descriptor to watch for them (-1: none;
 * it changes when store_wake_serial does: a new connection); when it is readable,
 * store_take_wakeups reads what came and returns how many notifications were other
 * processes' (our own come back too: not counted). Call it after a turn as well: a
 * statement may have read them off the socket already. */
int store_wake_fd(const struct store *s);
unsigned store_wake_serial(const struct store *s);
int store_take_wakeups(struct store *s);

/* Group commit. Everything written between begin and commit lands in one transaction
 * (one fsync); the write lock is held in between, so keep it to one loop turn. Nests:
 * only the outermost commit commits. Inside, each store_commit_transition is a
 * savepoint, so one failed write does not undo its neighbours. A failed outermost
 * commit rolls everything back and returns the error: nothing of the batch may be
 * acknowledged then. */
int store_batch_begin(struct store *s);
/* A batch whose commit returns before it is on disk (SQLite WAL, synchronous=NORMAL):
 * a process crash cannot lose it, a power cut can (it reaches the disk with the next
 * durable commit). For work that is redone harmlessly when lost -- outbox
 * bookkeeping, answers from idempotent calls -- never for what is acknowledged. */
int store_batch_begin_lazy(struct store *s);
/* 1 when a batch of unrelated writes is better left unbatched (PostgreSQL: its row
 * locks would be held across all of them, against other replicas). */
int store_prefers_short_transactions(const struct store *s);
int store_batch_commit(struct store *s);
void store_batch_rollback(struct store *s);
int store_in_batch(const struct store *s);

/* Next id of the kind's sequence: "CR-1", "CR-2", ... / "RF-1", ... Gaps are fine. */
int store_next_request_id(struct store *s, enum request_kind kind, char out[REQUEST_ID_MAX]);

/* One transaction: if dedup_key is non-NULL and already seen, STORE_DUPLICATE and
 * nothing is written. `after->version` is the version the transition was computed
 * from (0: a new request): if the stored request is at another version by the time
 * the write lock is held, STORE_E_CONFLICT and nothing is written, so two processes
 * can never overwrite each other's transitions. Else records the key, writes `after`
 * at version + 1, appends one event row
 * (ev->kind, ev->actor, ev->via, ev->text, from -> after->state, at now_ms) and one
 * outbox row per effect (due_ms 0 means now_ms). ev NULL: no event row (a quiet
 * transition, such as a status poll that found nothing new). */
int store_commit_transition(struct store *s, const struct request *after,
                            enum request_state from, const struct request_event *ev,
                            const struct effect_list *fx, const char *dedup_key,
                            int64_t now_ms);

/* Fills out->version with the stored version. */
int store_load_request(struct store *s, const char *id, struct request *out);

/* Updates only the card's chat id (after EFFECT_POST_CARD ran); a new version. */
int store_set_card_ts(struct store *s, const char *request_id, const char *card_ts);

/* Finds the request whose card has this chat id. */
int store_find_by_card(struct store *s, const char *card_ts, struct request *out);
/* Finds the request a message of the bot belongs to: its card, or a reply in its
 * thread noted by store_note_message. */
int store_find_by_message(struct store *s, const char *ts, struct request *out);
int store_note_message(struct store *s, const char *ts, const char *request_id, int64_t now_ms);
/* Finds the (newest) request the marketplace knows by this reference (acr-...). */
int store_find_by_provider_ref(struct store *s, const char *ref, struct request *out);

enum store_list_filter {
    STORE_LIST_ALL,
    STORE_LIST_OPEN,            /* not terminal */
    STORE_LIST_PENDING,         /* draft or awaiting_approval */
    STORE_LIST_MINE,            /* requester == user */
    STORE_LIST_MINE_OPEN        /* requester == user, not terminal */
};
/* Calls cb for each matching request, newest first, at most `limit` (0: no limit).
 * cb returns non-zero to stop. */
int store_list_requests(struct store *s, enum store_list_filter filter, const char *user,
                        int limit, int (*cb)(void *ud, const struct request *rq), void *ud);

struct store_event_row {
    int64_t seq;
    char request_id[REQUEST_ID_MAX];
    int64_t at_ms;
    char actor[USER_ID_MAX];
    char event[24];             /* request_event_kind_name */
    char via[12];
    char from_state[24];
    char to_state[24];
    char text[NOTE_MAX];
};
/* The audit record of one request, oldest first. */
int store_history(struct store *s, const char *request_id,
                  int (*cb)(void *ud, const struct store_event_row *row), void *ud);

struct stored_effect {
    int64_t id;
    char request_id[REQUEST_ID_MAX];
    int attempts;
    /* An earlier claim of it ended neither done nor put back: its process died or
     * stopped while it ran, so it may have taken effect (a message posted). */
    int uncertain;
    struct effect fx;
};
/* Claims up to max pending effects with due_ms <= now_ms, oldest due first (ties by
 * id), leasing each to this store's owner until now_ms + lease_ms, so another process
 * skips them. Effects of one request run one at a time, in id order: an effect is not
 * claimed while an earlier due one of its request is pending or any of its request
 * is under a live lease (nothing is claimed only to be handed back). attempts is the
 * number of failed attempts so far + 1. An expired lease is anyone's to take. */
int store_claim_due_effects(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                            struct stored_effect *out, int *n_out);
int store_effect_done(struct store *s, int64_t effect_id, const char *result);
/* A failed attempt: counts it, records the error and puts the effect back, due at
 * next_due_ms. Only the lease's owner (or nobody's lease) can do it; another owner's
 * lease (ours ran out and was taken over) gives STORE_E_NOT_FOUND. */
int store_effect_retry(struct store *s, int64_t effect_id, int64_t next_due_ms, const char *error);
/* Extends every lease this store's owner holds to now_ms + lease_ms. */
int store_renew_leases(struct store *s, int64_t now_ms, int64_t lease_ms);
/* Gives up this owner's leases (a clean stop): the effects are due at now_ms for
 * whoever runs next. Other owners' leases are never touched. */
int store_release_own_leases(struct store *s, int64_t now_ms);
/* The owners holding live leases, for the runtime to recognise its own dead
 * predecessors on this host; and the release of one such owner's leases. */
int store_lease_owners(struct store *s, int64_t now_ms,
                       int (*cb)(void *ud, const char *owner), void *ud);
int store_release_leases_of(struct store *s, const char *owner, int64_t now_ms);
/* Earliest due_ms among pending effects (a leased one is due when its lease ends),
 * from an index; STORE_E_NOT_FOUND when none. It may be in the past while an effect
 * waits for one of its request that is under way. */
int store_next_due(struct store *s, int64_t *due_ms);
/* The same, among effects due strictly after after_ms (the shell's clock jump steps
 * from one due time to the next, past effects it cannot run itself). */
int store_next_due_after(struct store *s, int64_t after_ms, int64_t *due_ms);
/* Pending effects of a request (e.g. to count timers in tests). */
int store_count_pending(struct store *s, const char *request_id, enum effect_kind kind, int *n);
/* Requests by state and market ("aws", "azure"): cb once per pair that has any, for
 * /metrics (one grouped count; a non-zero return from cb stops it). */
typedef int (*store_count_cb)(void *ud, const char *state, const char *market, int64_t n);
int store_count_requests(struct store *s, store_count_cb cb, void *ud);
/* The outbox's pending effects, and the due time of the oldest of them due at now_ms
 * (*oldest_due_ms = 0 when none is due yet). */
int store_outbox_stats(struct store *s, int64_t now_ms, int64_t *pending, int64_t *oldest_due_ms);

/* 1 when key was new (now recorded), 0 when seen before; <0 on error. */
int store_seen_once(struct store *s, const char *key, int64_t now_ms);

/* Housekeeping: de-duplication keys older than before_ms, and effects done before
 * done_before_ms (their outcome is in the events; the audit history stays whole).
 * *n_out (may be NULL): rows deleted. */
int store_prune(struct store *s, int64_t dedup_before_ms, int64_t done_before_ms, int *n_out);

/* Intents: a slash command stored before its ack, so a crash after the ack resumes
 * the look-up instead of losing the request. Leased like effects. */
struct store_intent {
    int64_t id;
    char user[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    char command[16];
    char text[4000];
};
int store_intent_add(struct store *s, const struct store_intent *in, int64_t now_ms,
                     int64_t lease_ms, int64_t *id_out);
/* STORE_E_NOT_FOUND: no such pending intent (done already, or never kept: the batch
 * that stored it rolled back, and its person was told to try again). */
int store_intent_done(struct store *s, int64_t id);
/* Claims intents whose lease ran out (their process died before finishing them). */
int store_claim_intents(struct store *s, int64_t now_ms, int64_t lease_ms, int max,
                        struct store_intent *out, int *n_out);

/* Small named values the runtime keeps across restarts (e.g. the shell clock). */
int store_get_setting(struct store *s, const char *name, char *out, size_t outlen);
int store_set_setting(struct store *s, const char *name, const char *value);

/* Display names of chat users, shown next to their ids in the export (the chat
 * adapter learns them; the CLI's export reads what it left). Kept as settings. */
#define STORE_USER_NAME_MAX 128
int store_set_user_name(struct store *s, const char *user, const char *name);
/* STORE_E_NOT_FOUND when no name is known. */
int store_get_user_name(struct store *s, const char *user, char *out, size_t outlen);

/* Moves the SQLite record at path (brought to the current schema first) into dst, an
 * empty record on another backend, in one transaction; *rows: rows written. err says
 * what failed (never a password). */
int store_import_sqlite(struct store *dst, const char *path, long *rows, char *err,
                        size_t errlen);

enum store_export_format { STORE_EXPORT_CSV, STORE_EXPORT_JSON };
/* Every request created at or after since_ms (0: all), with its full history. CSV:
 * one row per entitlement of a request naming several, else one row per request.
 * JSON: one object per request, its items (with their outcome) inside. */
int store_export(struct store *s, FILE *out, enum store_export_format fmt, int64_t since_ms);

#endif
