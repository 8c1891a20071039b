/* tests/test_loop.c -- the runtime loop: deferred tasks run on the next pass, in
 * order, never inside the call that queued them; timed tasks wait for their time;
 * the clock offset moves "now". */
#include <stdlib.h>
#include "tests/check.h"
#include "bot/loop.h"

struct trace {
    int order[8];
    int n;
};

struct step {
    struct trace *t;
    int id;
    struct loop *requeue;      /* queue another task from inside this one */
};

static void record(void *arg)
{
    struct step *s = arg;
    s->t->order[s->t->n++] = s->id;
    if (s->requeue) {
        struct step *again = calloc(1, sizeof(*again));
        again->t = s->t;
        again->id = s->id * 10;
        loop_defer(s->requeue, record, again);
    }
    free(s);
}

static struct step *step_new(struct trace *t, int id)
{
    struct step *s = calloc(1, sizeof(*s));
    s->t = t;
    s->id = id;
    return s;
}

static void test_deferred_tasks_run_in_order_on_the_next_pass(void)
{
    struct loop *l = loop_new();
    struct trace t = {0};
    struct step *first = step_new(&t, 1);
    first->requeue = l;
    loop_defer(l, record, first);
    loop_defer(l, record, step_new(&t, 2));
    CHECK(t.n == 0);                           /* nothing ran inside loop_defer */
    CHECK(loop_has_pending(l));
    CHECK(loop_run_pending(l) == 2);
    CHECK(t.n == 2 && t.order[0] == 1 && t.order[1] == 2);
    CHECK(loop_has_pending(l));                /* queued while running: next pass */
    CHECK(loop_run_pending(l) == 1);
    CHECK(t.order[2] == 10);
    CHECK(!loop_has_pending(l));
    loop_free(l);
}

static void test_timed_task_waits_for_the_clock(void)
{
    struct loop *l = loop_new();
    struct trace t = {0};
    int64_t now = loop_now_ms(l);
    loop_defer_at(l, now + 60000, record, step_new(&t, 7));
    loop_defer(l, record, step_new(&t, 1));
    CHECK(loop_next_wake_ms(l) == 0);
    CHECK(loop_run_pending(l) == 1);
    CHECK(t.n == 1 && t.order[0] == 1);
    CHECK(!loop_has_pending(l));
    CHECK(loop_next_wake_ms(l) > 50000 && loop_next_wake_ms(l) <= 60000);
    loop_set_clock_offset_ms(l, 60000);        /* a minute later */
    CHECK(loop_next_wake_ms(l) == 0);
    CHECK(loop_run_pending(l) == 1);
    CHECK(t.n == 2 && t.order[1] == 7);
    CHECK(loop_next_wake_ms(l) == -1);
    loop_free(l);
}

static void test_clock_offset_moves_now(void)
{
    struct loop *l = loop_new();
    int64_t before = loop_now_ms(l);
    loop_set_clock_offset_ms(l, 7LL * 24 * 3600 * 1000);
    CHECK(loop_now_ms(l) - before >= 7LL * 24 * 3600 * 1000);
    CHECK(loop_clock_offset_ms(l) == 7LL * 24 * 3600 * 1000);
    loop_free(l);
}

static void test_free_releases_queued_tasks(void)
{
    struct loop *l = loop_new();
    struct trace t = {0};
    loop_defer(l, record, step_new(&t, 1));
    loop_defer_at(l, loop_now_ms(l) + 1000, record, step_new(&t, 2));
    loop_free(l);                              /* ASan reports a leak if not freed */
    CHECK(t.n == 0);
}

int main(void)
{
    RUN(test_deferred_tasks_run_in_order_on_the_next_pass);
    RUN(test_timed_task_waits_for_the_clock);
    RUN(test_clock_offset_moves_now);
    RUN(test_free_releases_queued_tasks);
    return check_summary();
}
