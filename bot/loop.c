/* bot/loop.c -- a FIFO of deferred tasks and the (movable) clock. Single-threaded:
 * only the loop thread touches it. */
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bot/loop.h"
#include "bot/log.h"

struct loop_task {
    void (*fn)(void *arg);
    void *arg;
    int64_t due_ms;              /* 0: as soon as possible */
    int background;
    struct loop_task *next;
};

struct loop {
    struct loop_task *head, *tail;
    int64_t clock_offset_ms;
};

struct loop *loop_new(void)
{
    return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *l)
{
    struct loop_task *t, *next;
    if (!l)
        return;
    for (t = l->head; t; t = next) {
        next = t->next;
        free(t->arg);
        free(t);
    }
    free(l);
}

void loop_defer(struct loop *l, void (*fn)(void *arg), void *arg)
{
    loop_defer_at(l, 0, fn, arg);
}

static void defer_task(struct loop *l, int64_t due_ms, int background, void (*fn)(void *arg),
                       void *arg)
{
    struct loop_task *t = malloc(sizeof(*t));
    if (!t)
        abort();            /* the outbox makes a restart safe; limping on is not */
    t->fn = fn;
    t->arg = arg;
    t->due_ms = due_ms;
    t->background = background;
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
}

void loop_defer_at(struct loop *l, int64_t due_ms, void (*fn)(void *arg), void *arg)
{
    defer_task(l, due_ms, 0, fn, arg);
}

void loop_defer_background_at(struct loop *l, int64_t due_ms, void (*fn)(void *arg), void *arg)
{
    defer_task(l, due_ms, 1, fn, arg);
}

int loop_run_pending(struct loop *l)
{
    return loop_run_pending_max(l, INT_MAX);
}

int loop_run_pending_max(struct loop *l, int max)
{
    struct loop_task *batch = l->head, *next, *keep = NULL, **keep_tail = &keep;
    int64_t now = loop_now_ms(l);
    int n = 0;
    l->head = l->tail = NULL;
    /* Split off the tasks not yet due first, so those queued while running land
     * behind them in order. */
    for (struct loop_task **p = &batch; *p;) {
        struct loop_task *t = *p;
        if (t->due_ms > now) {
            *p = t->next;
            t->next = NULL;
            *keep_tail = t;
            keep_tail = &t->next;
        } else {
            p = &t->next;
        }
    }
    l->head = keep;
    l->tail = keep ? (struct loop_task *)((char *)keep_tail - offsetof(struct loop_task, next)) : NULL;
    for (; batch && n < max; batch = next) {
        next = batch->next;
        batch->fn(batch->arg);
        free(batch);
        n++;
    }
    if (batch) {                /* due but over the limit: first in line next time */
        struct loop_task *last = batch;
        while (last->next)
            last = last->next;
        last->next = l->head;
        if (!l->head)
            l->tail = last;
        l->head = batch;
    }
    return n;
}

static int64_t next_wake(const struct loop *l, int foreground_only)
{
    int64_t now = loop_now_ms(l), best = -1;
    for (const struct loop_task *t = l->head; t; t = t->next) {
        int64_t wait = t->due_ms > now ? t->due_ms - now : 0;
        if (foreground_only && t->background)
            continue;
        if (best < 0 || wait < best)
            best = wait;
    }
    return best;
}

int64_t loop_next_wake_ms(const struct loop *l)
{
    return next_wake(l, 0);
}

int64_t loop_next_foreground_wake_ms(const struct loop *l)
{
    return next_wake(l, 1);
}

int loop_has_pending(const struct loop *l)
{
    return loop_next_wake_ms(l) == 0;
}

int64_t loop_now_ms(const struct loop *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + l->clock_offset_ms;
}

int64_t loop_clock_offset_ms(const struct loop *l)
{
    return l->clock_offset_ms;
}

void loop_set_clock_offset_ms(struct loop *l, int64_t offset_ms)
{
    l->clock_offset_ms = offset_ms;
}

struct provider_answer {
    provider_cb cb;
    void *ud;
    struct provider_result res;
};

static void provider_answer_run(void *arg)
{
    struct provider_answer *a = arg;
    a->cb(a->ud, &a->res);
    free(a);
}

static void provider_defer(void *loop, provider_cb cb, void *ud, const struct provider_result *res)
{
    struct provider_answer *a = malloc(sizeof(*a));
    if (!a)
        abort();
    a->cb = cb;
    a->ud = ud;
    a->res = *res;
    loop_defer(loop, provider_answer_run, a);
}

static int64_t provider_now(void *loop)
{
    return loop_now_ms(loop);
}

static void provider_defer_at(void *loop, int64_t due_ms, void (*fn)(void *arg), void *arg)
{
    loop_defer_at(loop, due_ms, fn, arg);
}

static void provider_defer_background_at(void *loop, int64_t due_ms, void (*fn)(void *arg),
                                         void *arg)
{
    loop_defer_background_at(loop, due_ms, fn, arg);
}

static void provider_warn(void *loop, const char *line)
{
    (void)loop;
    log_warn("%s", line);
}

struct provider_env loop_provider_env(struct loop *l)
{
    struct provider_env env;
    memset(&env, 0, sizeof(env));
    env.loop = l;
    env.defer = provider_defer;
    env.defer_at = provider_defer_at;
    env.defer_background_at = provider_defer_background_at;
    env.now_ms = provider_now;
    env.warn = provider_warn;
    return env;
}
