/* providers/sim.h -- the simulated marketplace as a provider ("sim"): the demo's and
 * the tests' stand-in for AWS Marketplace and Partner Center. Config (provider_new's
 * config_json): {"seed": "deploy/sim-seed.json", "state": "sim-state.json"}, both
 * optional; no seed means the built-in one (the same content as deploy/sim-seed.json),
 * no state means memory only. With a state file, a restarted bot sees the same market.
 *
 * Every operation runs at once on the model (providers/sim_market.h) at
 * env.now_ms(env.loop) and reports through env.defer(), never by calling back inside
 * the call; defer must copy the result, which lives on the caller's stack. Refusals
 * (not found, conflict, not eligible, ...) arrive in the callback's result; an
 * operation returns non-zero only when it cannot run at all (no callback given). */
#ifndef CANCELBOT_PROVIDERS_SIM_H
#define CANCELBOT_PROVIDERS_SIM_H

#include <stddef.h>
#include "providers/provider.h"
#include "providers/sim_market.h"

extern const struct provider_ops sim_provider_ops;

/* The market behind a "sim" provider, so the shell can play the buyer
 * (sim_market_buyer_answer). NULL if p is not a sim provider. */
struct sim_market *sim_provider_market(struct provider *p);

/* Validates a sim config the way init would (parses it and loads the market), for
 * check-config; 0 if fine, else -1 with err saying what is wrong. Writes nothing. */
int sim_provider_check_config(const char *config_json, char *err, size_t errlen);

#endif
