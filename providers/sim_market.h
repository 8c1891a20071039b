/* providers/sim_market.h -- the simulated marketplace as a plain model: AWS agreements,
 * their cancellation requests (acr-...) and billing adjustments (ba-...), and Azure
 * entitlements, with the rules the real marketplaces apply (idempotent client tokens,
 * one pending request per agreement, the 7-day automatic approval, Azure's ten minutes
 * from active to inactive, refunds settling after an hour).
 *
 * No clock: every call takes now_ms and applies what time has made due first (lazily),
 * so tests move time with plain integers. The only I/O is the optional state file: a
 * market loaded with a state path rewrites it (tmp + rename) after every change, so a
 * restarted bot sees the same market. providers/sim.c puts this model behind
 * struct provider_ops; the shell reaches it through sim_provider_market() to play the
 * buyer. Operations answer in a struct provider_result, exactly as the provider would. */
#ifndef CANCELBOT_PROVIDERS_SIM_MARKET_H
#define CANCELBOT_PROVIDERS_SIM_MARKET_H

#include <stddef.h>
#include <stdint.h>
#include "approvals/request.h"
#include "providers/provider.h"

#define SIM_AWS_AUTO_APPROVE_MS (7LL * 24 * 3600 * 1000)   /* buyer silent: AWS approves */
#define SIM_AZURE_DEACTIVATE_MS (10LL * 60 * 1000)         /* cancel call -> inactive */
#define SIM_REFUND_SETTLE_MS (60LL * 60 * 1000)            /* PENDING -> COMPLETED */
#define SIM_ID_MAX 24                                      /* "acr-" / "ba-" + 12 */
#define SIM_TOKEN_MAX 65                                   /* clientToken: 1-64 chars */
/* The AWS account id of the simulated seller, whatever the policy's account name: the
 * proposer of every seed agreement that does not name another one. */
#define SIM_SELLER_ACCOUNT "111122223333"

enum sim_request_status {         /* an AWS agreement cancellation request */
    SIM_REQ_PENDING_APPROVAL,
    SIM_REQ_APPROVED,             /* by the buyer, or by AWS after 7 days (auto_approved) */
    SIM_REQ_REJECTED,
    SIM_REQ_CANCELLED             /* withdrawn by the seller */
};

enum sim_adjustment_status {
    SIM_ADJ_PENDING,
    SIM_ADJ_COMPLETED
};

/* An AWS agreement. info.status is as AWS spells it (ACTIVE, CANCELLED, EXPIRED, ...).
 * self_serve 0 models a contract-based or private offer past its first 48 hours,
 * which the cancellation API refuses (PROVIDER_E_NOT_ELIGIBLE). proposer is the
 * seller's account: SIM_SELLER_ACCOUNT, or another seller's; with info.buyer_account
 * SIM_SELLER_ACCOUNT the simulated seller bought it. Either way only the proposer may
 * cancel it: look-up refuses it (PROVIDER_E_NOT_SELLER) and search leaves it out. */
struct sim_agreement {
    struct agreement info;
    int self_serve;
    char proposer[16];
};

struct sim_request {
    char id[SIM_ID_MAX];                       /* acr- + 12 lowercase alnum */
    char agreement_id[AGREEMENT_ID_MAX];
    enum sim_request_status status;
    int auto_approved;                         /* APPROVED by the 7-day rule */
    char client_token[SIM_TOKEN_MAX];
    char reason_code[REASON_CODE_MAX];
    char description[NOTE_MAX];
    char answer_note[512];                     /* withdrawal reason */
    int64_t created_ms;
    int64_t updated_ms;
};

struct sim_adjustment {                        /* an AWS billing adjustment (refund) */
    char id[SIM_ID_MAX];                       /* ba- + 12 lowercase alnum */
    char agreement_id[AGREEMENT_ID_MAX];
    char invoice_id[64];
    int64_t amount_cents;
    char currency[4];
    char reason_code[REASON_CODE_MAX];
    char description[NOTE_MAX];
    char client_token[SIM_TOKEN_MAX];
    enum sim_adjustment_status status;
    int64_t created_ms;
    int64_t updated_ms;
};

/* An Azure entitlement. info.id is the entitlement id, info.buyer_account the customer
 * (tenant) id, info.subscription_id the subscription; info.status "active"/"inactive". */
struct sim_entitlement {
    struct agreement info;
    int cancel_called;                         /* cancel_ms is meaningful */
    int64_t cancel_ms;                         /* inactive from cancel_ms + 10 minutes */
    char client_token[SIM_TOKEN_MAX];
    char reason[REASON_CODE_MAX];
};

struct sim_market;

/* Loading. Every loader returns NULL with err filled (naming the file) on failure.
 * load_json: the state file if it exists, else the seed file, else (seed NULL or "")
 * the built-in seed. state_path NULL or "": memory only, nothing is ever written. */
struct sim_market *sim_market_load_json(const char *seed_path, const char *state_path,
                                        char *err, size_t errlen);
struct sim_market *sim_market_from_json(const char *text, const char *origin,
                                        char *err, size_t errlen);
const char *sim_market_builtin_seed(void);      /* same content as deploy/sim-seed.json */
void sim_market_free(struct sim_market *m);

/* Writes the state file now (tmp + rename); 0 on success or when memory-only.
 * Mutating calls below already do this themselves. */
int sim_market_save(const struct sim_market *m, char *err, size_t errlen);
/* The whole market as state-file JSON; caller frees with free(). NULL: out of memory. */
char *sim_market_dump(const struct sim_market *m);

/* The provider's operations, answered synchronously in *out (also returned as rc).
 * out->message is a sentence for the user naming the id whenever rc != PROVIDER_OK. */
enum provider_rc sim_market_lookup(struct sim_market *m, const struct provider_target *t,
                                   int64_t now_ms, struct provider_result *out);
enum provider_rc sim_market_search(struct sim_market *m, const struct provider_target *t,
                                   int64_t now_ms, struct provider_result *out);
enum provider_rc sim_market_submit(struct sim_market *m, const struct provider_submission *s,
                                   int64_t now_ms, struct provider_result *out);
enum provider_rc sim_market_poll(struct sim_market *m, const struct provider_ref *r,
                                 int64_t now_ms, struct provider_result *out);
enum provider_rc sim_market_withdraw(struct sim_market *m, const struct provider_ref *r,
                                     const char *why, int64_t now_ms,
                                     struct provider_result *out);

/* The buyer answers a pending cancellation request, named by its acr- id or by its
 * agreement id. accept: APPROVED (the agreement becomes CANCELLED), else REJECTED.
 * Returns PROVIDER_OK, or PROVIDER_E_NOT_FOUND / PROVIDER_E_CONFLICT with err filled. */
int sim_market_buyer_answer(struct sim_market *m, const char *request_ref_or_agreement_id,
                            int accept, int64_t now_ms, char *err, size_t errlen);

/* Reads, for the shell and tests: 0 and *out filled when found, -1 otherwise. */
int sim_market_find_request_for_agreement(struct sim_market *m, const char *agreement_id,
                                          int64_t now_ms, struct sim_request *out);  /* newest */
int sim_market_get_request(struct sim_market *m, const char *request_id, int64_t now_ms,
                           struct sim_request *out);
int sim_market_get_agreement(struct sim_market *m, const char *agreement_id, int64_t now_ms,
                             struct sim_agreement *out);
int sim_market_get_adjustment(struct sim_market *m, const char *adjustment_id, int64_t now_ms,
                              struct sim_adjustment *out);
int sim_market_get_entitlement(struct sim_market *m, const char *customer_id,
                               const char *subscription_id, const char *entitlement_id,
                               int64_t now_ms, struct sim_entitlement *out);

/* Counters: cancellation requests ever created for an AWS agreement id, plus 1 for an
 * Azure entitlement of that id once its cancel call was taken (agreement_id NULL: all);
 * and submit calls received with that client token (0 if never seen). */
int sim_market_count_requests(const struct sim_market *m, const char *agreement_id);
int sim_market_submit_calls(const struct sim_market *m, const char *client_token);

const char *sim_request_status_name(enum sim_request_status s);      /* PENDING_APPROVAL */
const char *sim_adjustment_status_name(enum sim_adjustment_status s); /* PENDING */

#endif
