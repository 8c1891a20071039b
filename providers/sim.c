/* providers/sim.c -- the "sim" provider: struct provider_ops over the simulated
 * market (sim_market.c). Each operation does its work at once on the model, at the
 * runtime's clock, and hands the answer to env.defer so the callback runs on a later
 * loop tick, as it would after a real marketplace's HTTP round trip. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "providers/sim.h"

struct sim_priv {
    struct sim_market *market;
};

/* config_json: NULL, "" or {"seed": path, "state": path}, both optional. */
static struct sim_market *sim_open(const char *config_json, char *err, size_t errlen)
{
    json_t *root = NULL, *v;
    json_error_t jerr;
    const char *key, *seed = NULL, *state = NULL;
    struct sim_market *m = NULL;
    if (!config_json || !*config_json)
        return sim_market_load_json(NULL, NULL, err, errlen);
    if (!(root = json_loads(config_json, 0, &jerr)) || !json_is_object(root)) {
        snprintf(err, errlen, "the sim provider's settings must be a JSON object "
                 "like {\"seed\": \"deploy/sim-seed.json\", \"state\": \"sim-state.json\"}");
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "seed") != 0 && strcmp(key, "state") != 0) {
            snprintf(err, errlen, "unknown sim provider setting \"%s\" (known: seed, state)", key);
            goto out;
        }
        if (!json_is_string(v)) {
            snprintf(err, errlen, "the sim provider's \"%s\" must be a file name", key);
            goto out;
        }
        if (strcmp(key, "seed") == 0)
            seed = json_string_value(v);
        else
            state = json_string_value(v);
    }
    m = sim_market_load_json(seed, state, err, errlen);
out:
    json_decref(root);
    return m;
}

static int sim_init(struct provider *p, const char *config_json)
{
    struct sim_priv *sp = p->priv;
    char err[512];
    if (!p->env.defer || !p->env.now_ms)
        return -1;
    sp->market = sim_open(config_json, err, sizeof(err));
    return sp->market ? 0 : -1;
}

static void sim_fini(struct provider *p)
{
    struct sim_priv *sp = p->priv;
    sim_market_free(sp->market);
    sp->market = NULL;
}

static struct sim_market *market(struct provider *p)
{
    return ((struct sim_priv *)p->priv)->market;
}

static int64_t now(struct provider *p)
{
    return p->env.now_ms(p->env.loop);
}

static int sim_lookup(struct provider *p, const struct provider_target *t, provider_cb cb,
                      void *ud)
{
    struct provider_result res;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    sim_market_lookup(market(p), t, now(p), &res);
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

static int sim_search(struct provider *p, const struct provider_target *t, provider_cb cb,
                      void *ud)
{
    struct provider_result res;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    sim_market_search(market(p), t, now(p), &res);
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

static int sim_submit(struct provider *p, const struct provider_submission *s, provider_cb cb,
                      void *ud)
{
    struct provider_result res;
    if (!cb || !s)
        return PROVIDER_E_INVALID;
    sim_market_submit(market(p), s, now(p), &res);
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

static int sim_poll(struct provider *p, const struct provider_ref *r, provider_cb cb, void *ud)
{
    struct provider_result res;
    if (!cb || !r)
        return PROVIDER_E_INVALID;
    sim_market_poll(market(p), r, now(p), &res);
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

static int sim_withdraw(struct provider *p, const struct provider_ref *r, const char *why,
                        provider_cb cb, void *ud)
{
    struct provider_result res;
    if (!cb || !r)
        return PROVIDER_E_INVALID;
    sim_market_withdraw(market(p), r, why, now(p), &res);
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

/* Suspension in the simulated market: checks the entitlement exists (as a look-up
 * does) and answers at once; suspended subscriptions are not modelled further. */
static int sim_suspend(struct provider *p, const struct provider_target *t, provider_cb cb,
                       void *ud)
{
    struct provider_result res;
    if (!cb || !t)
        return PROVIDER_E_INVALID;
    if (sim_market_lookup(market(p), t, now(p), &res) == PROVIDER_OK) {
        res.n_matches = 0;
        res.status = MSTATUS_APPROVED;
        snprintf(res.status_raw, sizeof(res.status_raw), "suspended");
        snprintf(res.ref, sizeof(res.ref), "%s/%s", t->customer_id, t->subscription_id);
    }
    p->env.defer(p->env.loop, cb, ud, &res);
    return 0;
}

const struct provider_ops sim_provider_ops = {
    .name = "sim",
    .priv_size = sizeof(struct sim_priv),
    .init = sim_init,
    .fini = sim_fini,
    .lookup = sim_lookup,
    .search = sim_search,
    .submit = sim_submit,
    .poll = sim_poll,
    .withdraw = sim_withdraw,
    .suspend = sim_suspend,
};

struct sim_market *sim_provider_market(struct provider *p)
{
    return p && p->ops == &sim_provider_ops ? market(p) : NULL;
}

int sim_provider_check_config(const char *config_json, char *err, size_t errlen)
{
    struct sim_market *m = sim_open(config_json, err, errlen);
    if (!m)
        return -1;
    sim_market_free(m);
    return 0;
}
