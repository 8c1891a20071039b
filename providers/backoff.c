/* providers/backoff.c -- capped exponential back-off with "equal jitter" (half fixed, half
 * random), from a xorshift64 generator the caller seeds. */
#include "providers/backoff.h"

int64_t backoff_jittered_ms(uint64_t *rng, int attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t ceiling = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && ceiling < cap_ms; i++)
        ceiling *= 2;
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    if (!*rng)
        *rng = 0x9e3779b97f4a7c15ULL;
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return ceiling / 2 + (int64_t)(*rng % (uint64_t)(ceiling / 2 + 1));
}
