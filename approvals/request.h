/* approvals/request.h -- the request record: one cancellation or refund request as
 * the core sees it. A plain value (fixed buffers, no pointers) so that the state
 * machine can copy it in -> out, the store can serialise it whole, and no field has
 * an owner to forget. Sizes follow the marketplaces' own limits (AWS description
 * 1-2000 characters, agreement ids up to 64). */
#ifndef CANCELBOT_APPROVALS_REQUEST_H
#define CANCELBOT_APPROVALS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define REQUEST_ID_MAX 16
#define USER_ID_MAX 32
#define CHANNEL_ID_MAX 32
#define MSG_TS_MAX 32
#define ACCOUNT_NAME_MAX 32
#define AGREEMENT_ID_MAX 72
#define REASON_CODE_MAX 40
#define NOTE_MAX 2001
#define REQUEST_MAX_APPROVALS 4
#define REQUEST_MAX_ITEMS 8

enum request_kind {
    REQUEST_CANCEL,             /* CR-n: cancel an agreement / entitlement */
    REQUEST_REFUND,             /* RF-n: billing adjustment; agreement stays active */
    REQUEST_SUSPEND             /* SU-n: Azure subscription suspended, not cancelled */
};

enum request_market {
    MARKET_AWS,
    MARKET_AZURE
};

enum request_state {
    REQUEST_DRAFT,              /* looked up, waiting for the requester to confirm */
    REQUEST_AWAITING_APPROVAL,  /* confirmed, waiting for finance */
    REQUEST_SUBMITTING,         /* approved; provider call in the outbox */
    REQUEST_SUBMITTED,          /* marketplace accepted; waiting for the buyer / status */
    REQUEST_COMPLETED,          /* cancelled (buyer approved or 7-day auto) / refunded */
    REQUEST_REJECTED,           /* finance rejected */
    REQUEST_WITHDRAWN,          /* requester withdrew (before or after submission) */
    REQUEST_BUYER_REJECTED,     /* buyer declined the cancellation */
    REQUEST_FAILED,             /* marketplace refused or validation failed */
    REQUEST_DISCARDED,          /* requester discarded the draft */
    REQUEST_EXPIRED,            /* finance never answered */
    REQUEST_SUPPORT_CASE        /* self-serve refused; an AWS Support case carries it */
};
#define REQUEST_STATE_COUNT (REQUEST_SUPPORT_CASE + 1)

/* What the marketplace told us about the agreement at look-up: shown to the
 * requester to verify before anything irreversible happens. */
struct agreement {
    char id[AGREEMENT_ID_MAX];          /* AWS agreement id, or Azure entitlement id */
    char buyer_account[40];             /* AWS acceptor account id, Azure customer id */
    char subscription_id[40];           /* Azure only */
    char offer_id[AGREEMENT_ID_MAX];
    char product[128];
    char status[32];                    /* as the marketplace spells it: ACTIVE, ... */
    char start_date[32];                /* ISO 8601, as given */
    char end_date[32];
    int64_t value_cents;                /* total contract value; 0 if unknown */
    char currency[4];
};

/* One entitlement of a request that names several (Azure: one call per entitlement). */
enum request_item_phase {
    ITEM_WAITING,                       /* not answered by the marketplace yet */
    ITEM_SUBMITTED,                     /* accepted; being read back */
    ITEM_DONE,                          /* inactive */
    ITEM_FAILED                         /* refused */
};

struct request_item {
    char id[AGREEMENT_ID_MAX];          /* entitlement id */
    int phase;                          /* enum request_item_phase */
    char status[32];                    /* as the marketplace spells it */
    char ref[128];
    char product[128];                  /* from the look-up */
    int64_t value_cents;                /* from the look-up; 0 if unknown */
    char currency[4];
};

struct approval {
    char user[USER_ID_MAX];
    int64_t at_ms;
    char via[12];                       /* "button" or "reaction" */
};

struct request {
    char id[REQUEST_ID_MAX];            /* CR-7, RF-3 */
    enum request_kind kind;
    enum request_state state;
    enum request_market market;
    char account[ACCOUNT_NAME_MAX];     /* seller account / tenant name from the policy */
    char requester[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    char card_ts[MSG_TS_MAX];           /* chat id of the card; the thread hangs off it */

    struct agreement agreement;

    char reason_code[REASON_CODE_MAX];  /* REPLACING_AGREEMENT, ..., or "compromise" */
    char note[NOTE_MAX];                /* the specific reason, sent as the description */
    char case_id[64];                   /* support case id */
    char buyer_ref[128];                /* buyer's own request reference */
    char next_step[256];                /* intended next step (new offer, ...) */

    char invoice_id[64];                /* refunds only */
    int64_t refund_cents;
    char refund_currency[4];

    struct approval approvals[REQUEST_MAX_APPROVALS];
    int n_approvals;
    /* Several entitlements of one customer (n_items >= 2); agreement is the first's.
     * With n_items 0 the request is about agreement alone. */
    struct request_item items[REQUEST_MAX_ITEMS];
    int n_items;
    int approvals_needed;               /* fixed at confirmation from the policy */

    char decided_by[USER_ID_MAX];       /* who rejected / withdrew */
    char decision_note[512];

    /* What the marketplace de-duplicates this request's calls by, set once when it is
     * created: "cb-<installation id>-CR-7" (older records: "cancelbot-CR-7"). */
    char client_token[48];
    char provider_ref[128];             /* acr-..., billing adjustment id, Azure correlation */
    char provider_status[32];           /* last status read from the marketplace */
    char buyer_link[512];
    char failure[512];                  /* the marketplace's refusal, in words */

    int64_t created_ms;
    int64_t updated_ms;
    int64_t confirmed_ms;
    int64_t submitted_ms;
    int64_t buyer_deadline_ms;          /* AWS cancels automatically at this time */
    int64_t closed_ms;
    int reminders_sent;
    int polls_unchanged;                /* drives the poll back-off */
    int withdrawing;                    /* withdrawal sent to the marketplace, not answered */
    int case_filing;                    /* the support case is being filed */
    char case_status[24];               /* "Pending", "Action Required", "Completed" */
    /* The store's version of this record (0: never stored). The core copies it
     * unchanged; the store writes a transition only against the version it came from. */
    int64_t version;
};

const char *request_state_name(enum request_state s);       /* "awaiting_approval" */
int request_state_from_name(const char *name, enum request_state *out);  /* 0 ok */
const char *request_kind_name(enum request_kind k);         /* "cancel" / "refund" */
const char *request_market_name(enum request_market m);     /* "aws" / "azure" */
const char *request_item_phase_name(int phase);             /* "waiting" ... "failed" */
int request_is_terminal(enum request_state s);

/* The value approvals are judged by: the refund's amount, else the sum of every
 * entitlement (or the one agreement). Returns -1, with the two currencies in
 * currency and other, when entitlements are priced in different currencies: adding
 * them would be a guess. */
int request_total_value(const struct request *rq, int64_t *cents, char currency[4],
                        char other[4]);

/* The token of a marketplace call for the request (item > 0: that entitlement's
 * own call): its client_token, "cancelbot-<id>" for a record that has none. */
void request_client_token(const struct request *rq, int item, char *out, size_t outlen);

/* Copies src into a fixed buffer, always terminated, truncating if it must. */
void request_copy_str(char *dst, size_t dstlen, const char *src);

#endif
