/* tests/test_backoff.c -- retry delays grow, stop at the cap, and are jittered. */
#include "tests/check.h"
#include "providers/backoff.h"

static void test_delay_stays_between_half_and_the_ceiling(void)
{
    uint64_t rng = 42;
    for (int attempt = 1; attempt <= 6; attempt++) {
        int64_t ceiling = 1000LL << (attempt - 1);
        for (int i = 0; i < 200; i++) {
            int64_t d = backoff_jittered_ms(&rng, attempt, 1000, 60000);
            CHECK(d >= ceiling / 2 && d <= ceiling);
        }
    }
}

static void test_delay_is_capped(void)
{
    uint64_t rng = 7;
    for (int i = 0; i < 200; i++) {
        int64_t d = backoff_jittered_ms(&rng, 40, 1000, 60000);
        CHECK(d >= 30000 && d <= 60000);
    }
}

static void test_delays_are_jittered(void)
{
    uint64_t rng = 1;
    int64_t first = backoff_jittered_ms(&rng, 5, 1000, 60000);
    int differs = 0;
    for (int i = 0; i < 20; i++)
        differs |= backoff_jittered_ms(&rng, 5, 1000, 60000) != first;
    CHECK(differs);
}

int main(void)
{
    RUN(test_delay_stays_between_half_and_the_ceiling);
    RUN(test_delay_is_capped);
    RUN(test_delays_are_jittered);
    return check_summary();
}
