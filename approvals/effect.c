/* approvals/effect.c -- building effect lists, and the names effects are stored under. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "approvals/effect.h"

static const char *const kind_names[EFFECT_KIND_COUNT] = {
    [EFFECT_POST_CARD] = "post_card",
    [EFFECT_UPDATE_CARD] = "update_card",
    [EFFECT_REPLY] = "reply",
    [EFFECT_EPHEMERAL] = "ephemeral",
    [EFFECT_CONFIRM_PROMPT] = "confirm_prompt",
    [EFFECT_PROVIDER_SUBMIT] = "provider_submit",
    [EFFECT_PROVIDER_WITHDRAW] = "provider_withdraw",
    [EFFECT_PROVIDER_POLL] = "provider_poll",
    [EFFECT_TIMER] = "timer",
    [EFFECT_SUPPORT_CREATE] = "support_create",
    [EFFECT_SUPPORT_POLL] = "support_poll",
    [EFFECT_DIRECT_MESSAGE] = "direct_message",
};

static const char *const timer_names[] = {
    [TIMER_NONE] = "none",
    [TIMER_REMINDER] = "reminder",
    [TIMER_APPROVAL_EXPIRY] = "approval_expiry",
    [TIMER_BUYER_DEADLINE] = "buyer_deadline",
    [TIMER_APPROVAL_REMINDER] = "approval_reminder",
    [TIMER_DRAFT_EXPIRY] = "draft_expiry",
};
#define TIMER_COUNT ((int)(sizeof(timer_names) / sizeof(timer_names[0])))

struct effect *effect_list_push(struct effect_list *fx, enum effect_kind kind, int64_t due_ms)
{
    struct effect *e;
    if (fx->len >= EFFECT_LIST_MAX)
        return NULL;
    e = &fx->items[fx->len++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->due_ms = due_ms;
    return e;
}

struct effect *effect_list_push_text(struct effect_list *fx, enum effect_kind kind,
                                     const char *user, const char *fmt, ...)
{
    va_list ap;
    struct effect *e = effect_list_push(fx, kind, 0);
    if (!e)
        return NULL;
    request_copy_str(e->user, sizeof(e->user), user);
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
    return e;
}

const char *effect_kind_name(enum effect_kind k)
{
    if ((int)k < 0 || k >= EFFECT_KIND_COUNT)
        return "unknown";
    return kind_names[k];
}

int effect_kind_from_name(const char *name, enum effect_kind *out)
{
    for (int i = 0; i < EFFECT_KIND_COUNT; i++) {
        if (strcmp(kind_names[i], name) == 0) {
            *out = (enum effect_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *request_timer_name(enum request_timer t)
{
    if ((int)t < 0 || (int)t >= TIMER_COUNT)
        return "unknown";
    return timer_names[t];
}

int request_timer_from_name(const char *name, enum request_timer *out)
{
    for (int i = 0; i < TIMER_COUNT; i++) {
        if (strcmp(timer_names[i], name) == 0) {
            *out = (enum request_timer)i;
            return 0;
        }
    }
    return -1;
}
