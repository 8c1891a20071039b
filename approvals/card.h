/* approvals/card.h -- the request card as data: a title, labelled fields and which
 * buttons it carries. Both chat adapters draw it (the shell as text, Slack as Block
 * Kit), so what a card says is decided once, here. Pure. */
#ifndef CANCELBOT_APPROVALS_CARD_H
#define CANCELBOT_APPROVALS_CARD_H

#include "approvals/request.h"
#include "approvals/policy.h"

/* Room for every field render_common can add with all 8 entitlements: nothing is
 * dropped (tests/test_flow.c checks the fullest card). */
#define CARD_MAX_FIELDS 32

enum card_buttons {
    CARD_BUTTONS_NONE,
    CARD_BUTTONS_APPROVE_REJECT,   /* the channel card while finance decides */
    CARD_BUTTONS_CONFIRM_DISCARD,  /* the requester's ephemeral verification */
    CARD_BUTTONS_REJECT            /* an approver who reacted to reject: give the reason */
};

struct card_field {
    char label[32];
    char value[600];
};

struct card {
    char request_id[REQUEST_ID_MAX];
    char title[160];                 /* "CR-7 · Cancel AWS agreement agmt-..." */
    char status[200];                /* "Waiting for finance: 1 of 2 approvals" */
    struct card_field fields[CARD_MAX_FIELDS];
    int n_fields;
    enum card_buttons buttons;
};

/* The card in the channel, for the request's current state. */
void card_render(const struct request *rq, struct card *out);
/* The requester's verification prompt for a draft. */
void card_render_confirm(const struct request *rq, struct card *out);

#endif
