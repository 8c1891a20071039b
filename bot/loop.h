/* bot/loop.h -- the runtime's clock and its queue of work for "a later tick". Every
 * callback (provider answers, chat deliveries) is queued here rather than called
 * inside the call that registered it, so no caller ever sees itself re-entered. The
 * clock is the wall clock plus an offset that the shell's `clock +7d` moves; it is
 * read once per event (bot_now_ms) and handed to the pure core. */
#ifndef CANCELBOT_BOT_LOOP_H
#define CANCELBOT_BOT_LOOP_H

#include <stdint.h>
#include "providers/provider.h"

struct loop;

struct loop *loop_new(void);
void loop_free(struct loop *l);      /* drops queued tasks, freeing their payloads */

/* Queues fn(arg) for the next loop_run_pending; arg is owned by the task: fn frees it
 * (or, when the loop is freed first, free() does). */
void loop_defer(struct loop *l, void (*fn)(void *arg), void *arg);
/* Queues fn(arg) to run once the clock reaches due_ms (a retry after Retry-After). */
void loop_defer_at(struct loop *l, int64_t due_ms, void (*fn)(void *arg), void *arg);
/* The same, for a task nobody waits on: loop_next_foreground_wake_ms ignores it. */
void loop_defer_background_at(struct loop *l, int64_t due_ms, void (*fn)(void *arg), void *arg);
/* Milliseconds until the next queued task is due: 0 when one is due now, -1 when none. */
int64_t loop_next_wake_ms(const struct loop *l);
/* The same, counting only tasks someone waits for (the shell's "done for now"). */
int64_t loop_next_foreground_wake_ms(const struct loop *l);
/* Runs the due tasks queued before this call (tasks they queue wait for the next
 * call). Returns how many ran. */
int loop_run_pending(struct loop *l);
/* The same, running at most max of them; the others stay first in line. */
int loop_run_pending_max(struct loop *l, int max);
int loop_has_pending(const struct loop *l);     /* a task is due now */

int64_t loop_now_ms(const struct loop *l);
int64_t loop_clock_offset_ms(const struct loop *l);
void loop_set_clock_offset_ms(struct loop *l, int64_t offset_ms);

/* The provider_env that lends this loop to a provider. */
struct provider_env loop_provider_env(struct loop *l);

#endif
