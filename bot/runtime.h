/* bot/runtime.h -- the runtime context: the one object that owns the policy, the
 * store, the providers, the loop and the chat adapter, and the only mutable state of
 * the process. Chat adapters feed it commands, clicks and reactions; it applies them
 * to the pure core, commits request + event + effects in one transaction, and runs
 * the outbox. */
#ifndef CANCELBOT_BOT_RUNTIME_H
#define CANCELBOT_BOT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include "approvals/flow.h"
#include "approvals/policy.h"
#include "bot/chat.h"
#include "bot/loop.h"
#include "providers/provider.h"
#include "store/store.h"

struct bot_options {
    const char *db_path;          /* SQLite file, unless database_url is set */
    const char *database_url;     /* PostgreSQL: a URL or libpq keyword string (it may
                                     hold a password: never shown); NULL: SQLite */
    const struct policy *policy;  /* copied */
    const char *sim_seed_path;    /* NULL: the built-in demo marketplace */
    const char *sim_state_path;   /* NULL: <db_path>.sim.json (PostgreSQL:
                                     ./cancelbot.sim.json) */
    struct http_client *http;     /* for the real marketplaces; NULL: sim only */
    /* Shell only: moves HTTP transfers on, waiting up to wait_ms for one to finish;
     * returns how many are still running. NULL when the loop is driven elsewhere. */
    int (*http_settle)(void *ud, int wait_ms);
    void *http_ud;
    /* `run`: opened on the event loop, which must keep turning (the probes) while the
     * database does not answer: each PostgreSQL connection attempt is bounded to 2 s
     * (store_open_postgres_on_loop), and the caller tries again. */
    int on_event_loop;
};

struct bot;

/* Leases on effects and intents (stored slash commands): renewed while held, so
 * another process takes over a dead one's work within this time. Tests may shorten
 * it with CANCELBOT_LEASE_MS (BOT_LEASE_MIN_MS..BOT_LEASE_MAX_MS), so a failover test
 * does not wait 30 s; bot_lease_ms() is the one in force. */
#define BOT_LEASE_MS (30 * 1000)
#define BOT_LEASE_MIN_MS 1000
#define BOT_LEASE_MAX_MS (10 * 60 * 1000)

/* chat is borrowed: it must outlive the bot. 0; BOT_E_UNREACHABLE when the database
 * (PostgreSQL) did not answer, which may pass (err says why: try again later); -1
 * for anything else (err says what to change). */
#define BOT_E_UNREACHABLE (-2)
int bot_open(const struct bot_options *opt, struct chat *chat, struct bot **out,
             char *err, size_t errlen);
/* What bot_open would refuse before it touches the store or the network, with the
 * policy and the environment together: CANCELBOT_LEASE_MS, the database URL's
 * syntax, the providers set up from the policy and the credentials the environment
 * gives them (AWS seller accounts, Azure tenants, the events queue), the simulated
 * market's seed. Opens nothing and sends nothing. 0, or -1 with err in the words
 * bot_open would use. */
int bot_check_options(const struct bot_options *opt, char *err, size_t errlen);
void bot_close(struct bot *b);

struct loop *bot_loop(struct bot *b);
struct store *bot_store(struct bot *b);
const struct policy *bot_policy(const struct bot *b);
struct provider *bot_provider(struct bot *b, enum request_market m);
int64_t bot_now_ms(const struct bot *b);
int64_t bot_lease_ms(const struct bot *b);
/* Moves the clock forward (shell, tests) as if the time had passed: it steps from one
 * due time to the next, and at each runs what is due (and what that leads to) with
 * that time as now, so everything due on the way happens in due order. A repeating
 * reminder (finance's, every period) already posted for a request in this jump is
 * recorded, not posted again.
 * The offset survives restarts. 0 when done; -1 when the new time could not be stored
 * (the clock did not move). */
int bot_advance_clock(struct bot *b, int64_t delta_ms);
/* After bot_advance_clock: cb for each request whose repeating reminder fell due more
 * than once in the jump, with how many times it was recorded without a message. */
void bot_jump_repeats(const struct bot *b,
                      void (*cb)(void *ud, const char *request_id, enum request_timer t,
                                 int repeats),
                      void *ud);

/* Who is in the approvers' user group is chat I/O (Slack's usergroups.users.list);
 * the adapter answers from its cache. Without one, only listed approvers approve. */
/* A named approver or a member of the approvers' user group (as last read). */
int bot_may_approve(struct bot *b, const char *user);
/* A member of the approvers' user group (as last read; 0 without a group). */
int bot_in_approver_group(struct bot *b, const char *user);
void bot_set_group_check(struct bot *b, int (*in_approver_group)(void *ud, const char *user),
                         void *ud);

/* A slash command typed by user in channel: "/cancel" and the rest of the line. */
void bot_on_command(struct bot *b, const char *user, const char *channel,
                    const char *command, const char *text);
/* A button on a card: confirm, discard, approve, reject. dedup_key may be NULL. */
void bot_on_button(struct bot *b, const char *user, const char *channel, const char *request_id,
                   const char *action, const char *note, const char *dedup_key);
/* A reaction added (or removed) on the card of request_id. */
void bot_on_reaction(struct bot *b, const char *user, const char *channel, const char *request_id,
                     const char *emoji, int added, const char *dedup_key);
/* The marketplace changed (the shell's buyer played a part): read the status now. */
void bot_on_market_change(struct bot *b, const char *request_id);

/* Housekeeping, called by the loop at every wake-up (cheap when nothing is due):
 * renews this process's leases, resumes intents a dead process left, prunes old
 * de-duplication keys and done effects. */
void bot_maintain(struct bot *b);
/* Resumes slash commands that were stored (and acked) but whose process died before
 * finishing them. */
void bot_resume_intents(struct bot *b);
/* A slash command stored as intent intent_id before its ack: dispatched like
 * bot_on_command, and marked done when it has finished (with the draft it made). */
void bot_on_command_intent(struct bot *b, const char *user, const char *channel,
                           const char *command, const char *text, int64_t intent_id);

/* While held, bot_run_due and bot_maintain do nothing: the Slack adapter holds them
 * while the envelopes of a loop turn are persisted in one uncommitted batch, out of
 * which nothing may leave the process. */
void bot_hold_effects(struct bot *b, int hold);

/* While paused, no effect starts (those under way still finish): the Slack runtime
 * pauses them until it is signed in, so nothing is attempted (and given up) against
 * a Slack it cannot reach yet. */
void bot_pause_effects(struct bot *b, int paused);
/* A clean stop (SIGTERM) has begun: nothing new starts, and an effect under way that
 * fails from now on for a passing reason (the stop cutting its call short, a
 * timeout) is left pending as it is, not counted as an attempt: bot_close gives its
 * lease back and whoever runs next does it again (every effect is idempotent). An
 * answer that arrives is recorded as usual. */
void bot_begin_stop(struct bot *b);
int bot_stopping(const struct bot *b);

/* Starts every due effect of the outbox; returns how many it started. */
int bot_run_due(struct bot *b);
/* The same, at most max (the Slack loop keeps each turn short, so acks never wait
 * long behind outbox work). */
int bot_run_due_max(struct bot *b, int max);
/* Runs deferred work and due effects until nothing is left to do now. */
void bot_run_until_idle(struct bot *b);
/* Shell: listens for ms of real time, background answers (the events queue) included. */
void bot_listen(struct bot *b, int ms);

#endif
