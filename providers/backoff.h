/* providers/backoff.h -- retry delays: exponential, capped, with jitter so that many
 * clients (or many effects) failing together do not retry together. The random
 * state belongs to the caller (no global RNG). */
#ifndef CANCELBOT_PROVIDERS_BACKOFF_H
#define CANCELBOT_PROVIDERS_BACKOFF_H

#include <stdint.h>

/* Delay before attempt number `attempt` (1 = first retry): a random value between
 * half and all of min(base_ms * 2^(attempt-1), cap_ms). */
int64_t backoff_jittered_ms(uint64_t *rng, int attempt, int64_t base_ms, int64_t cap_ms);

#endif
