/* bot/pollers.c -- the background pollers' failures, rate-limited in the log and
 * kept for /readyz and /metrics (see pollers.h). */
#include <stdio.h>
#include <string.h>
#include "bot/pollers.h"
#include "bot/log.h"

static struct poller_slot *slot_of(struct pollers *ps, const char *name, const char *what)
{
    struct poller_slot *s;
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->slots[i].m.name, name) == 0)
            return &ps->slots[i];
    if (ps->n == METRICS_POLLERS_MAX)
        return NULL;
    s = &ps->slots[ps->n++];
    memset(s, 0, sizeof(*s));
    snprintf(s->m.name, sizeof(s->m.name), "%s", name);
    snprintf(s->what, sizeof(s->what), "%s", what && *what ? what : name);
    return s;
}

static void count_code(struct metrics_poller *m, const char *code)
{
    int i;
    for (i = 0; i < m->n_codes; i++)
        if (strcmp(m->codes[i].code, code) == 0)
            break;
    if (i == m->n_codes) {
        if (m->n_codes == METRICS_POLLER_CODES_MAX) {
            i = METRICS_POLLER_CODES_MAX - 1;          /* the overflow slot */
            snprintf(m->codes[i].code, sizeof(m->codes[i].code), "other");
        } else {
            snprintf(m->codes[i].code, sizeof(m->codes[i].code), "%s", code);
            m->n_codes++;
        }
    }
    m->codes[i].n++;
}

static void retry_words(int64_t retry_in_ms, char *buf, size_t cap)
{
    if (retry_in_ms < 0)
        snprintf(buf, cap, "retrying");
    else if (retry_in_ms < 1000)
        snprintf(buf, cap, "retrying in %lld ms", (long long)retry_in_ms);
    else
        snprintf(buf, cap, "retrying in %lld s", (long long)((retry_in_ms + 500) / 1000));
}

enum poller_logged pollers_report(struct pollers *ps, const char *name, const char *what,
                                  const char *code, const char *detail, int64_t retry_in_ms,
                                  int64_t now_ms)
{
    struct poller_slot *s = slot_of(ps, name, what);
    char retry[48];
    if (!s)
        return POLLER_QUIET;
    if (!code) {
        if (!s->m.failing)
            return POLLER_QUIET;
        log_info("%s: recovered after %ld failure(s) over %lld s (last: %s)", s->what,
                 s->failures, (long long)((now_ms - s->failing_since_ms) / 1000), s->m.code);
        s->m.failing = 0;
        s->failures = s->quiet = 0;
        return POLLER_LOGGED_RECOVERED;
    }
    if (!*code)
        code = "unknown";
    count_code(&s->m, code);
    retry_words(retry_in_ms, retry, sizeof(retry));
    s->retry_in_ms = retry_in_ms;
    if (!s->m.failing || strcmp(s->m.code, code) != 0) {
        if (!s->m.failing) {
            s->failing_since_ms = now_ms;
            s->failures = 0;
        }
        s->m.failing = 1;
        s->failures++;
        s->quiet = 0;
        s->last_logged_ms = now_ms;
        snprintf(s->m.code, sizeof(s->m.code), "%s", code);
        log_warn("%s: %s%s%s%s; %s", s->what, code, detail && *detail ? " (" : "",
                 detail && *detail ? detail : "", detail && *detail ? ")" : "", retry);
        return POLLER_LOGGED_FAILURE;
    }
    s->failures++;
    s->quiet++;
    if (now_ms - s->last_logged_ms < POLLERS_LOG_EVERY_MS)
        return POLLER_QUIET;
    log_warn("%s: still failing with %s (%ld failure(s) since the last line, %ld over %lld s)"
             "%s%s%s; %s", s->what, code, s->quiet, s->failures,
             (long long)((now_ms - s->failing_since_ms) / 1000), detail && *detail ? ": " : "",
             detail && *detail ? detail : "", "", retry);
    s->quiet = 0;
    s->last_logged_ms = now_ms;
    return POLLER_LOGGED_STILL;
}

void pollers_describe(const struct pollers *ps, int64_t now_ms, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap)
        buf[0] = '\0';
    for (int i = 0; i < ps->n && used < cap; i++) {
        const struct poller_slot *s = &ps->slots[i];
        int n;
        if (!s->m.failing)
            continue;
        n = snprintf(buf + used, cap - used, "poller %s failing: %s for %lld s\n", s->m.name,
                     s->m.code, (long long)((now_ms - s->failing_since_ms) / 1000));
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
}

const struct metrics_poller *pollers_view(struct pollers *ps, int *n)
{
    for (int i = 0; i < ps->n; i++)
        ps->view[i] = ps->slots[i].m;
    *n = ps->n;
    return ps->view;
}
