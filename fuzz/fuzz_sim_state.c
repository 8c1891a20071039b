/* fuzz/fuzz_sim_state.c -- the simulated marketplace's seed/state JSON on arbitrary
 * bytes: loaded or refused with a message, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/sim_market.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[256];
    struct sim_market *m;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    m = sim_market_from_json(text, "fuzz", err, sizeof(err));
    if (!m && !err[0])
        abort();
    sim_market_free(m);
    free(text);
    return 0;
}
