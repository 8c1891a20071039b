/* approvals/flow.h -- the request state machine: (request, event, policy, now) ->
 * (request', effects). Pure: no I/O, no clock, no globals. See flow.c. */
#ifndef CANCELBOT_APPROVALS_FLOW_H
#define CANCELBOT_APPROVALS_FLOW_H

#include <stdint.h>
#include "approvals/request.h"
#include "approvals/effect.h"
#include "approvals/policy.h"

enum request_event_kind {
    EV_CREATE,               /* draft from a parsed command + the looked-up agreement */
    EV_CONFIRM,              /* requester verified the agreement */
    EV_DISCARD,              /* requester dropped the draft */
    EV_APPROVE,
    EV_UNAPPROVE,            /* approver removed their approving reaction */
    EV_REJECT,
    EV_WITHDRAW,
    EV_SUBMIT_ACCEPTED,      /* marketplace took the cancellation / refund */
    EV_SUBMIT_REFUSED,       /* marketplace said no: text says why */
    EV_WITHDRAW_ACCEPTED,
    EV_WITHDRAW_REFUSED,
    EV_STATUS,               /* a status read from the marketplace */
    EV_TIMER,
    EV_CASE_FILED,           /* requester reports the support case id (text) */
    EV_CASE_FILE,            /* requester asks the bot to file the support case */
    EV_CASE_OPENED,          /* the Support API opened the case: text = case id */
    EV_CASE_NO_PLAN,         /* no support plan: text = the form to paste by hand */
    EV_CASE_FILE_FAILED,     /* the case could not be filed: text says why */
    EV_CASE_STATUS           /* the case's status: status_raw = "Pending", ... */
};
#define REQUEST_EVENT_KIND_COUNT (EV_CASE_STATUS + 1)

/* Marketplace status, normalised across providers. */
enum market_status {
    MSTATUS_PENDING,         /* AWS PENDING_APPROVAL, Azure entitlement still active */
    MSTATUS_APPROVED,        /* buyer approved / refund issued / entitlement inactive */
    MSTATUS_AUTO_APPROVED,   /* AWS approved it after 7 days without the buyer */
    MSTATUS_REJECTED,        /* buyer rejected */
    MSTATUS_CANCELLED,       /* the cancellation request was withdrawn */
    MSTATUS_FAILED           /* VALIDATION_FAILED and the like */
};

struct request_event {
    enum request_event_kind kind;
    char actor[USER_ID_MAX];          /* Slack user, or "marketplace" / "timer" */
    int actor_in_approver_group;      /* resolved by the runtime (user groups are I/O) */
    char via[12];                     /* "button", "reaction", "command" */
    char text[NOTE_MAX];              /* reject/withdraw note, refusal reason, case id */
    const struct request *draft;      /* EV_CREATE: the filled-in draft (id included) */
    char ref[128];                    /* EV_SUBMIT_ACCEPTED: provider request id */
    enum market_status status;        /* EV_STATUS */
    char status_raw[32];              /* EV_STATUS: as the marketplace spells it */
    enum request_timer timer;         /* EV_TIMER */
    /* EV_TIMER, reminders only: the same reminder was already posted for this request
     * while the clock jumped over this one (the shell's `clock +7d` over a repeating
     * reminder): record it, do not post it again. */
    int repeat_in_jump;
    int item;                         /* provider answers: 1-based request item; 0: whole */
};

enum request_rc {
    REQUEST_APPLIED = 0,
    REQUEST_REFUSED = 1,     /* why->text says why, for the actor */
    REQUEST_IGNORED = 2,     /* stale timer / replayed answer: store nothing */
    REQUEST_QUIET = 3        /* store request' and effects, but no audit row (an
                                unchanged status poll scheduling the next one) */
};

struct refusal {
    char field[32];          /* the field at fault, or "" */
    char text[512];
};

int request_transition(const struct request *in, const struct request_event *ev,
                       const struct policy *policy, int64_t now_ms,
                       struct request *out, struct effect_list *effects,
                       struct refusal *why);

const char *request_event_kind_name(enum request_event_kind k);  /* "approve" */
const char *market_status_name(enum market_status s);

#endif
