/* providers/sim_market_int.h -- the simulated market's insides, shared by the model
 * (sim_market.c) and its JSON state file and seed (sim_state.c), and by nobody else:
 * everyone else goes through sim_market.h. The loader fills the very arrays the model
 * works on and refuses duplicates with the model's own finders, so a state file
 * cannot hold what the model would never have created. */
#ifndef CANCELBOT_PROVIDERS_SIM_MARKET_INT_H
#define CANCELBOT_PROVIDERS_SIM_MARKET_INT_H

#include <stdlib.h>
#include <string.h>
#include "providers/sim_market.h"

struct token_calls {
    char token[SIM_TOKEN_MAX];
    int calls;
};

struct sim_market {
    struct sim_agreement *agreements;
    size_t n_agreements, cap_agreements;
    struct sim_request *requests;
    size_t n_requests, cap_requests;
    struct sim_adjustment *adjustments;
    size_t n_adjustments, cap_adjustments;
    struct sim_entitlement *entitlements;
    size_t n_entitlements, cap_entitlements;
    struct token_calls *tokens;
    size_t n_tokens, cap_tokens;
    char *state_path;                    /* NULL: memory only */
};

/* Makes room for one more element; dies when memory runs out, like xmalloc. */
static inline void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(arr, ncap * elem);
    if (!p)
        abort();
    *cap = ncap;
    return p;
}

#define PUSH(arr, n, cap)                                                       \
    ((arr) = grow((arr), &(cap), (n), sizeof(*(arr))),                          \
     memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

static inline int streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Defined in sim_market.c, used by the loader and the dumper too. */
void sim_say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sim_money_format(char *buf, size_t len, int64_t cents);          /* 120000 -> "1200.00" */
int sim_token_valid(const char *t);                          /* 1-64 of A-Z a-z 0-9 - */
struct sim_agreement *sim_find_agreement(struct sim_market *m, const char *id);
struct sim_entitlement *sim_find_entitlement(struct sim_market *m, const char *customer,
                                             const char *subscription, const char *ent);
int sim_id_taken(struct sim_market *m, const char *id);      /* by a request or adjustment */

#endif
