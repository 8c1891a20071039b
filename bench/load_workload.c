/* bench/load_workload.c -- what slack_load sends, and which Web API call answers it.
 *
 * Workloads (one per run, so each figure means one thing):
 *  - cancel: flows of a requester's `/cancel aws agmt-...` slash command, their Confirm
 *    click on the verify prompt and a finance approver's Approve click on the card.
 *    Each requester is a user of its own (U0RQ<flow>), so the prompt the app posts
 *    (chat.postEphemeral to that user) names its flow without guessing; the prompt's
 *    text names the request (CR-n), and CR-n then finds the card (chat.postMessage
 *    outside a thread) and its update (chat.update) for the clicks.
 *  - list: `/cancel list ...`; the answer comes back in the ack's payload, so the ack
 *    latency is the answer time.
 *  - home: app_home_opened from an approver; the answer is views.publish. Sent in
 *    order and answered in order (the run uses a closed loop of 1 for it).
 * A click goes out as soon as the message it clicks on has arrived (a very fast human)
 * and takes the next send slot before any new flow, so the rate is the envelope rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/slack_load.h"

#define APPROVER "U0FIN1"
#define CHANNEL "C0CANCELS"
#define CANCEL_AGREEMENT "agmt-1a2b3c4d5e6f7g8h9i0j"
#define CANCEL_REST "reason=replacing note=\"Replacing with private offer offer-9x8y7w6v5u4t\""

static void progress(struct load *L) { L->last_progress_us = now_us(); }

static int env_new(struct load *L, enum env_kind kind, int flow)
{
    struct env *e;
    GROW(L->envs, L->envs_cap, L->n_envs + 1);
    e = memset(&L->envs[L->n_envs], 0, sizeof *e);
    e->kind = kind;
    e->flow = flow;
    if (kind != ENV_LIST)
        L->api_expected++;
    L->outstanding++;
    return (int)L->n_envs++;
}

static void send_json(struct load *L, int env, json_t *frame)
{
    char *text = json_dumps(frame, JSON_COMPACT);
    if (!text)
        abort();
    server_send(L, env, text);
    free(text);
    json_decref(frame);
}

static void send_slash(struct load *L, int env, const char *user, const char *text)
{
    char eid[40], trigger[32];
    snprintf(eid, sizeof eid, "e%s-%d", L->run_id, env);
    snprintf(trigger, sizeof trigger, "trig-%d", env);
    send_json(L, env, json_pack(
        "{s:s, s:s, s:b, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "envelope_id", eid, "type", "slash_commands", "accepts_response_payload", 1,
        "payload", "token", "x", "team_id", "T0TEAM", "team_domain", "bench",
        "channel_id", CHANNEL, "channel_name", "cancels", "user_id", user, "user_name", user,
        "command", "/cancel", "text", text, "api_app_id", "A0APP",
        "response_url", "https://hooks.slack.com/commands/x", "trigger_id", trigger));
}

static void send_click(struct load *L, int env, const char *user, const char *action,
                       long req_no, const char *message_ts, int ephemeral)
{
    char eid[40], trigger[32], value[24], action_ts[32];
    snprintf(eid, sizeof eid, "e%s-%d", L->run_id, env);
    snprintf(trigger, sizeof trigger, "trig-%d", env);
    snprintf(value, sizeof value, "CR-%ld", req_no);
    snprintf(action_ts, sizeof action_ts, "1700000100.%06d", env % 1000000);
    send_json(L, env, json_pack(
        "{s:s, s:s, s:b, s:{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s},"
        " s:{s:s, s:s, s:s, s:b}, s:{s:s, s:s}, s:s, s:s,"
        " s:[{s:s, s:s, s:s, s:s, s:s}]}}",
        "envelope_id", eid, "type", "interactive", "accepts_response_payload", 0,
        "payload", "type", "block_actions", "api_app_id", "A0APP",
        "user", "id", user, "name", user, "team_id", "T0TEAM",
        "team", "id", "T0TEAM", "domain", "bench",
        "container", "type", "message", "message_ts", message_ts, "channel_id", CHANNEL,
        "is_ephemeral", ephemeral,
        "channel", "id", CHANNEL, "name", "cancels",
        "trigger_id", trigger, "response_url", "https://hooks.slack.com/actions/x",
        "actions", "action_id", action, "block_id", "actions", "value", value,
        "type", "button", "action_ts", action_ts));
}

static void send_home(struct load *L, int env)
{
    char eid[40], event_id[40];
    snprintf(eid, sizeof eid, "e%s-%d", L->run_id, env);
    snprintf(event_id, sizeof event_id, "Ev%s%08d", L->run_id, env);
    send_json(L, env, json_pack(
        "{s:s, s:s, s:b, s:i, s:{s:s, s:s, s:s, s:s, s:s, s:i,"
        " s:[{s:s, s:s, s:b}], s:{s:s, s:s, s:s, s:s, s:s}}}",
        "envelope_id", eid, "type", "events_api", "accepts_response_payload", 0,
        "retry_attempt", 0,
        "payload", "token", "x", "team_id", "T0TEAM", "api_app_id", "A0APP",
        "type", "event_callback", "event_id", event_id, "event_time", 1700000000,
        "authorizations", "team_id", "T0TEAM", "user_id", "U0BOT", "is_bot", 1,
        "event", "type", "app_home_opened", "user", L->home_user, "channel", "D0HOME",
        "tab", "home", "event_ts", "1700000200.000100"));
}

static void requester(int flow, char *buf, size_t cap) { snprintf(buf, cap, "U0RQ%07d", flow); }

/* The slash command's text of a flow: the one agreement, or --agreement-pattern with
 * its run of '#' replaced by the flow's number from 1, zero-padded (agmt-rep#### ->
 * agmt-rep0001), so that each flow cancels an agreement of its own. */
static void cancel_text(const struct load *L, int flow, char *buf, size_t cap)
{
    const char *p = L->agreement_pattern, *hash;
    char agmt[96], num[32];
    size_t run;
    if (!p) {
        snprintf(buf, cap, "aws %s %s", CANCEL_AGREEMENT, CANCEL_REST);
        return;
    }
    hash = strchr(p, '#');
    run = strspn(hash, "#");
    snprintf(num, sizeof num, "%0*d", (int)run, flow + 1);
    snprintf(agmt, sizeof agmt, "%.*s%s%s", (int)(hash - p), p, num, hash + run);
    snprintf(buf, cap, "aws %s %s", agmt, CANCEL_REST);
}

/* Sends one envelope; -1 when nothing may go now (a flow limit, nothing ready). */
static int send_one(struct load *L)
{
    char user[24], text[256];
    int env;
    if (L->ready_len) {             /* a click whose message is there: a human acts */
        struct ready r = L->ready[L->ready_head];
        struct flow *fl = &L->flows[r.flow];
        L->ready_head++;
        L->ready_len--;
        env = env_new(L, r.kind, r.flow);
        if (r.kind == ENV_CONFIRM) {
            fl->confirm_env = env;
            requester(r.flow, user, sizeof user);
            send_click(L, env, user, "confirm", fl->req_no, fl->prompt_ts, 1);
        } else {
            fl->approve_env = env;
            send_click(L, env, APPROVER, "approve", fl->req_no, fl->card_ts, 0);
        }
        return 0;
    }
    if (L->workload == WL_LIST) {
        send_slash(L, env_new(L, ENV_LIST, -1), "U0ALICE", L->list_text);
        return 0;
    }
    if (L->workload == WL_HOME) {
        send_home(L, env_new(L, ENV_HOME, -1));
        return 0;
    }
    if (L->max_flows && (int)L->n_flows >= L->max_flows)
        return -1;
    GROW(L->flows, L->flows_cap, L->n_flows + 1);
    struct flow *fl = memset(&L->flows[L->n_flows], 0, sizeof *fl);
    fl->confirm_env = fl->approve_env = -1;
    fl->approves = L->approve_every > 0 && L->n_flows % (size_t)L->approve_every == 0;
    env = fl->slash_env = env_new(L, ENV_SLASH, (int)L->n_flows);
    cancel_text(L, (int)L->n_flows, text, sizeof text);
    requester((int)L->n_flows++, user, sizeof user);
    send_slash(L, env, user, text);
    return 0;
}

void workload_pump(struct load *L)
{
    long long due;
    if (L->done || !server_connected(L) || !L->start_us)
        return;
    if (L->rate > 0) {              /* open loop: as many as the clock says, catching up */
        due = (long long)((double)(now_us() - L->start_us) * L->rate / 1e6) + 1;
        while ((long long)L->n_envs < due && (int)L->n_envs < L->count)
            if (send_one(L))
                break;
    } else {
        while (L->outstanding < L->closed && (int)L->n_envs < L->count)
            if (send_one(L))
                break;
    }
}

void workload_on_sent(struct load *L, int env)
{
    long long now = now_us();
    if (L->envs[env].sends++)      /* sent again: its latency counts from the first */
        return;
    L->envs[env].sent_us = now;
    if (!L->first_send_us)
        L->first_send_us = now;
    L->last_send_us = now;
    progress(L);
}

void workload_on_ack(struct load *L, const char *envelope_id)
{
    size_t n = strlen(L->run_id);
    char *end = NULL;
    long i = envelope_id[0] == 'e' && !strncmp(envelope_id + 1, L->run_id, n) &&
             envelope_id[n + 1] == '-' ? strtol(envelope_id + n + 2, &end, 10) : -1;
    struct env *e;
    if (i < 0 || i >= (long)L->n_envs || *end) {
        L->acks_unknown++;
        return;
    }
    e = &L->envs[i];
    if (e->ack_us)
        return;                     /* acked twice: the first one counts */
    e->ack_us = now_us();
    free(e->text);
    e->text = NULL;
    L->acks++;
    L->outstanding--;
    progress(L);
    workload_pump(L);               /* closed loop: the next one goes now */
}

/* n of the first "CR-n" in text (not inside a longer word), 0 when none. */
static long find_request_no(const char *text)
{
    for (const char *p = text ? strstr(text, "CR-") : NULL; p; p = strstr(p + 1, "CR-")) {
        long n = 0;
        const char *d = p + 3;
        if (p > text && ((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z')))
            continue;
        while (*d >= '0' && *d <= '9' && n < 100000000)
            n = n * 10 + (*d++ - '0');
        if (d > p + 3)
            return n;
    }
    return 0;
}

static void matched(struct load *L, int env)
{
    L->envs[env].api_us = now_us();
    L->api_matched++;
    progress(L);
}

/* The click on a message goes out once the app has our answer for it (the message's
 * ts): a human cannot click what Slack has not shown yet. */
void workload_on_answered(struct load *L, struct ready r)
{
    if (L->ready_head && L->ready_head >= L->ready_len) {   /* reuse the space in front before growing */
        memmove(L->ready, L->ready + L->ready_head, L->ready_len * sizeof *L->ready);
        L->ready_head = 0;
    }
    GROW(L->ready, L->ready_cap, L->ready_head + L->ready_len + 1);
    L->ready[L->ready_head + L->ready_len++] = r;
    workload_pump(L);
}

static struct flow *flow_of(struct load *L, long req_no)
{
    if (req_no <= 0 || (size_t)req_no >= L->flow_of_req_cap || !L->flow_of_req[req_no])
        return NULL;
    return &L->flows[L->flow_of_req[req_no] - 1];
}

/* The verify prompt after a slash command: to the requester, naming CR-n. */
static int on_prompt(struct load *L, json_t *body, json_t *answer, struct ready *follow)
{
    const char *user = json_string_value(json_object_get(body, "user"));
    const char *ts = json_string_value(json_object_get(answer, "message_ts"));
    struct flow *fl;
    char *end;
    long flow = user && !strncmp(user, "U0RQ", 4) ? strtol(user + 4, &end, 10) : -1;
    if (flow < 0 || flow >= (long)L->n_flows)
        return 0;
    fl = &L->flows[flow];
    if (L->envs[fl->slash_env].api_us || !L->envs[fl->slash_env].sent_us)
        return 0;                   /* later messages to the same requester */
    matched(L, fl->slash_env);
    fl->req_no = find_request_no(json_string_value(json_object_get(body, "text")));
    if (fl->req_no <= 0 || !ts)
        return 0;                   /* an error answer: the flow ends here */
    snprintf(fl->prompt_ts, sizeof fl->prompt_ts, "%s", ts);
    if ((size_t)fl->req_no >= L->flow_of_req_cap) {
        size_t old = L->flow_of_req_cap;
        GROW(L->flow_of_req, L->flow_of_req_cap, (size_t)fl->req_no + 1);
        memset(L->flow_of_req + old, 0, (L->flow_of_req_cap - old) * sizeof *L->flow_of_req);
    }
    L->flow_of_req[fl->req_no] = (int)flow + 1;
    *follow = (struct ready){(int)flow, ENV_CONFIRM};
    return 1;
}

int workload_on_api(struct load *L, const char *method, json_t *body, json_t *answer,
                    struct ready *follow)
{
    const char *text = json_string_value(json_object_get(body, "text"));
    struct flow *fl;
    if (!json_is_true(json_object_get(answer, "ok")))
        return 0;
    if (!strcmp(method, "chat.postEphemeral")) {
        return on_prompt(L, body, answer, follow);
    } else if (!strcmp(method, "chat.postMessage") && !json_object_get(body, "thread_ts")) {
        const char *ts = json_string_value(json_object_get(answer, "ts"));
        if (!(fl = flow_of(L, find_request_no(text))) || fl->confirm_env < 0 ||
            L->envs[fl->confirm_env].api_us || !ts)
            return 0;
        matched(L, fl->confirm_env);  /* the card, in the channel */
        snprintf(fl->card_ts, sizeof fl->card_ts, "%s", ts);
        *follow = (struct ready){(int)(fl - L->flows), ENV_APPROVE};
        return fl->approves;
    } else if (!strcmp(method, "chat.update")) {
        if ((fl = flow_of(L, find_request_no(text))) && fl->approve_env >= 0 &&
            !L->envs[fl->approve_env].api_us && L->envs[fl->approve_env].sent_us)
            matched(L, fl->approve_env);
    } else if (!strcmp(method, "views.publish")) {
        while (L->home_matched < L->n_envs && (L->envs[L->home_matched].kind != ENV_HOME ||
                                               L->envs[L->home_matched].api_us))
            L->home_matched++;
        if (L->home_matched < L->n_envs && L->envs[L->home_matched].sent_us)
            matched(L, (int)L->home_matched++);
    }
    return 0;
}

int workload_complete(const struct load *L)
{
    return (int)L->n_envs >= L->count && L->outstanding == 0 &&
           L->api_matched >= L->api_expected;
}

void workload_free(struct load *L)
{
    for (size_t i = 0; i < L->n_envs; i++)
        free(L->envs[i].text);
    free(L->envs);
    free(L->flows);
    free(L->ready);
    free(L->flow_of_req);
}
