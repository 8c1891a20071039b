/* bench/load_api.c -- the Web API answers slack_load gives: the methods cancelbot and
 * the Bolt peer call, each answered at once with what Slack would say on success
 * (no faults: this is a benchmark, not a test). Answers are kept small, since the
 * point is to measure the app, not us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/slack_load.h"

static json_t *api_ok(void) { return json_pack("{s:b}", "ok", 1); }

static json_t *api_error(const char *error)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", error);
}

static const char *arg_str(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

/* Slack's ts is "seconds.micros". Unique across runs too, since the bot
 * de-duplicates clicks by message ts + action + user in its database: the wall clock
 * at start plus one µs per message. */
static void next_ts(struct load *L, char *buf, size_t cap)
{
    long long us = L->ts_base_us + ++L->ts_seq;
    snprintf(buf, cap, "%lld.%06lld", us / 1000000, us % 1000000);
}

json_t *api_answer(struct load *L, const char *method, const char *token, json_t *body)
{
    const char *channel = arg_str(body, "channel");
    char ts[40], url[96];
    L->api_calls++;
    L->last_api_us = now_us();
    if (!strcmp(method, "apps.connections.open")) {
        if (!token || strncmp(token, "xapp-", 5))
            return api_error("not_allowed_token_type");
        if (L->n_replicas > 1)      /* the path names the replica (load_server.c) */
            snprintf(url, sizeof url, "ws://127.0.0.1:%d/link/r%d/?ticket=%ld", L->port,
                     apps_replica_of_token(L, token) + 1, ++L->view_seq);
        else
            snprintf(url, sizeof url, "ws://127.0.0.1:%d/link/?ticket=%ld", L->port,
                     ++L->view_seq);
        return json_pack("{s:b, s:s}", "ok", 1, "url", url);
    }
    if (!strcmp(method, "auth.test"))
        return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ok", 1,
                         "url", "https://bench.slack.com/", "team", "Bench", "user", "bot",
                         "team_id", "T0TEAM", "user_id", "U0BOT", "bot_id", "B0BOT",
                         "is_enterprise_install", 0);
    if (!strncmp(method, "chat.", 5) && !channel)
        return api_error("channel_not_found");
    if (!strcmp(method, "chat.postMessage")) {
        next_ts(L, ts, sizeof ts);
        return json_pack("{s:b, s:s, s:s, s:{s:s, s:s, s:s}}", "ok", 1, "channel", channel,
                         "ts", ts, "message", "type", "message", "bot_id", "B0BOT", "ts", ts);
    }
    if (!strcmp(method, "chat.postEphemeral")) {
        next_ts(L, ts, sizeof ts);
        return json_pack("{s:b, s:s}", "ok", 1, "message_ts", ts);
    }
    if (!strcmp(method, "chat.update")) {
        const char *at = arg_str(body, "ts");
        return at ? json_pack("{s:b, s:s, s:s}", "ok", 1, "channel", channel, "ts", at)
                  : api_error("message_not_found");
    }
    if (!strncmp(method, "views.", 6)) {
        char id[24];
        snprintf(id, sizeof id, "V%08ld", ++L->view_seq);
        return json_pack("{s:b, s:{s:s}}", "ok", 1, "view", "id", id);
    }
    if (!strcmp(method, "usergroups.users.list"))
        return json_pack("{s:b, s:[s, s]}", "ok", 1, "users", "U0FIN1", "U0FIN2");
    if (!strcmp(method, "users.info"))
        return json_pack("{s:b, s:{s:s, s:s}}", "ok", 1, "user", "id",
                         arg_str(body, "user") ? arg_str(body, "user") : "U0", "name", "user");
    if (!strcmp(method, "reactions.add"))
        return api_ok();
    L->api_unknown++;
    return api_error("unknown_method");
}

/* --- form bodies ----------------------------------------------------------------- */

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *url_decode(const char *s, size_t len)     /* caller frees */
{
    char *out = xrealloc(NULL, len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
            *o++ = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

/* a=b&c=d -> {"a":"b","c":"d"}; nested JSON (blocks, view) stays a string, which is
 * all the matching in load_workload.c needs. */
json_t *api_form_parse(const char *body, size_t len)
{
    json_t *obj = json_object();
    size_t i = 0;
    while (i < len) {               /* each pass moves i past one '&' */
        size_t end = i, eq;
        char *k, *v;
        while (end < len && body[end] != '&')
            end++;
        for (eq = i; eq < end && body[eq] != '='; eq++)
            ;
        k = url_decode(body + i, eq - i);
        v = url_decode(body + eq + (eq < end), end - eq - (eq < end));
        if (*k) {
            json_t *jv = json_string(v);
            json_object_set_new(obj, k, jv ? jv : json_string("<not utf-8>"));
        }
        free(k);
        free(v);
        i = end + 1;
    }
    return obj;
}
