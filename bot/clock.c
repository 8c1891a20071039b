/* bot/clock.c -- moving the clock forward (the shell's `clock +7d`, tests) the way
 * time would have passed. The clock steps from one due time to the next: at each,
 * what is due runs with that time as "now", and what it leads to runs too, before
 * the clock moves on. So reminders come in their order, polls read the marketplace
 * when they would have, and the buyer's deadline ends the request only after the
 * reminders before it.
 *
 * One message per reminder and request for one jump: a reminder that repeats itself
 * (finance's nudge, every approval_reminder period: a request waiting a week would
 * otherwise post a nudge per day at once) reaches the core with repeat_in_jump after
 * its first time in the jump, and the core records it in the request's history
 * without posting it (bot/outbox.c decides which timers repeat). The caller can list
 * those repeats afterwards (bot_jump_repeats). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bot/runtime_int.h"
#include "bot/log.h"

/* A jump that needs more steps than this is not time passing but a loop; the rest
 * of the interval is skipped at once and the log says so. */
#define JUMP_MAX_STEPS 100000

struct bot_jump_reminder {
    char request_id[REQUEST_ID_MAX];
    enum request_timer timer;
    int repeats;                /* fired after the first in this jump, not posted */
};

static struct bot_jump_reminder *jump_find(const struct bot *b, const char *request_id,
                                           enum request_timer t)
{
    for (int i = 0; i < b->jump_n; i++)
        if (b->jump_seen[i].timer == t && strcmp(b->jump_seen[i].request_id, request_id) == 0)
            return &b->jump_seen[i];
    return NULL;
}

int bot_jump_is_repeat(const struct bot *b, const char *request_id, enum request_timer t)
{
    return b->jumping && jump_find(b, request_id, t) != NULL;
}

void bot_jump_note_reminder(struct bot *b, const char *request_id, enum request_timer t)
{
    struct bot_jump_reminder *r;
    if (!b->jumping)
        return;
    if ((r = jump_find(b, request_id, t))) {
        r->repeats++;
        return;
    }
    if (b->jump_n == b->jump_cap) {
        int cap = b->jump_cap ? b->jump_cap * 2 : 16;
        struct bot_jump_reminder *grown = realloc(b->jump_seen, (size_t)cap * sizeof(*grown));
        if (!grown)
            abort();
        b->jump_seen = grown;
        b->jump_cap = cap;
    }
    r = &b->jump_seen[b->jump_n++];
    memset(r, 0, sizeof(*r));
    request_copy_str(r->request_id, sizeof(r->request_id), request_id);
    r->timer = t;
}

void bot_jump_repeats(const struct bot *b,
                      void (*cb)(void *ud, const char *request_id, enum request_timer t,
                                 int repeats),
                      void *ud)
{
    for (int i = 0; i < b->jump_n; i++)
        if (b->jump_seen[i].repeats > 0)
            cb(ud, b->jump_seen[i].request_id, b->jump_seen[i].timer, b->jump_seen[i].repeats);
}

void bot_jump_free(struct bot *b)
{
    free(b->jump_seen);
    b->jump_seen = NULL;
    b->jump_n = b->jump_cap = 0;
}

/* The next time something is due after `after`: an outbox effect (from the store's
 * index) or a task someone waits for (a marketplace retry); target when nothing is
 * due before it. Effects this process cannot run (another adapter's messages,
 * another process's lease) are due at or before `after` and do not hold the clock. */
static int64_t next_stop(struct bot *b, int64_t after, int64_t now, int64_t target)
{
    int64_t due, wake = loop_next_foreground_wake_ms(b->loop), next = target;
    if (store_next_due_after(b->store, after, &due) == STORE_OK && due < next)
        next = due;
    if (wake > 0 && now + wake < next)
        next = now + wake;
    return next;
}

int bot_advance_clock(struct bot *b, int64_t delta_ms)
{
    char value[32];
    int64_t offset = loop_clock_offset_ms(b->loop), end = offset + delta_ms, ran_from;
    int steps = 0;
    /* The end of the jump is stored first: a crash half-way leaves the clock where
     * the user asked for it, and what was due on the way runs at the restart. */
    snprintf(value, sizeof(value), "%lld", (long long)end);
    if (store_set_setting(b->store, BOT_CLOCK_SETTING, value) != STORE_OK)
        return -1;
    b->jump_n = 0;
    b->jumping = 1;
    ran_from = bot_now_ms(b);
    bot_run_until_idle(b);              /* what was due before the clock moves */
    /* The clock moves by its offset (the wall clock runs on underneath): each step
     * to the next time something is due after the last run began. Not after "now":
     * what fell due while that run went idle and the wall clock moved on (a few ms
     * on a loaded machine) would be skipped, and run only at the end of the jump,
     * after things due later (a reminder after the expiry it comes before). Such an
     * effect is due already: the clock stays and it runs. Each pass starts later
     * than the last, so every pass makes progress. */
    while (offset < end && steps++ < JUMP_MAX_STEPS) {
        int64_t now = bot_now_ms(b), next = next_stop(b, ran_from, now, now + (end - offset));
        if (next > now)
            offset += next - now;
        loop_set_clock_offset_ms(b->loop, offset < end ? offset : end);
        ran_from = bot_now_ms(b);
        bot_run_until_idle(b);
        if (b->fault_jump_pause_ms > 0) {
            struct timespec pause = {(time_t)(b->fault_jump_pause_ms / 1000),
                                     (long)(b->fault_jump_pause_ms % 1000) * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (offset < end) {
        log_warn("clock: %d steps did not reach the end of the jump; skipping the rest at once",
                 JUMP_MAX_STEPS);
        loop_set_clock_offset_ms(b->loop, end);
        bot_run_until_idle(b);
    }
    b->jumping = 0;
    return 0;
}
