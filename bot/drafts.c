/* bot/drafts.c -- drafts waiting for their requester. Slack may never have shown a
 * draft's preview (an ephemeral reaches only users active in the channel), so
 * /cancel list mine offers each open draft's verify prompt again, with the same
 * Confirm and Discard; App Home lists them too (bot/slack_blocks.c). A draft nobody
 * confirms is discarded after draft_expiry_minutes (approvals/flow.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/runtime_int.h"
#include "bot/log.h"
#include "approvals/card.h"
#include "approvals/format.h"

/* A message holds 50 blocks; a verify prompt takes up to about ten. */
#define DRAFTS_OFFERED_MAX 4
#define DRAFTS_SCAN_MAX 40

struct drafts_ctx {
    struct request found[DRAFTS_OFFERED_MAX];
    int n;
    int more;
};

static int collect_draft(void *ud, const struct request *rq)
{
    struct drafts_ctx *d = ud;
    if (rq->state != REQUEST_DRAFT)
        return 0;
    if (d->n < DRAFTS_OFFERED_MAX)
        d->found[d->n++] = *rq;
    else
        d->more++;
    return 0;
}

static void chat_done_ignore(void *ud, enum chat_rc rc, const char *ts)
{
    (void)ud;
    (void)ts;
    if (rc != CHAT_OK)
        log_warn("a draft's verify prompt could not be shown");
}

void bot_offer_drafts(struct bot *b, const char *user, const char *channel)
{
    struct drafts_ctx *d = calloc(1, sizeof(*d));
    struct card *card = malloc(sizeof(*card));
    char text[400], when[40];
    if (!d || !card)
        abort();
    if (store_list_requests(b->store, STORE_LIST_MINE_OPEN, user, DRAFTS_SCAN_MAX,
                            collect_draft, d) != STORE_OK)
        log_warn("could not list %s's drafts: %s", user, store_last_error(b->store));
    for (int i = 0; i < d->n; i++) {
        const struct request *rq = &d->found[i];
        card_render_confirm(rq, card);
        if (b->policy.draft_expiry_ms > 0) {
            format_time(when, sizeof(when), rq->created_ms + b->policy.draft_expiry_ms);
            snprintf(text, sizeof(text), "%s is a draft waiting for you: verify it, then "
                     "Confirm or Discard it. Unconfirmed, it is discarded on %s.", rq->id,
                     when);
        } else {
            snprintf(text, sizeof(text), "%s is a draft waiting for you: verify it, then "
                     "Confirm or Discard it.", rq->id);
        }
        if (b->chat->ops->ephemeral(b->chat, channel, user, text, card, chat_done_ignore,
                                    NULL) != 0)
            log_warn("%s: its verify prompt could not be sent", rq->id);
    }
    if (d->more) {
        snprintf(text, sizeof(text), "%d more draft%s wait%s for you: App Home lists them all.",
                 d->more, d->more == 1 ? "" : "s", d->more == 1 ? "s" : "");
        bot_tell(b, channel, user, text);
    }
    free(card);
    free(d);
}
