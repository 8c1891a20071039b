/* bot/shell.c -- the shell adapter: chat_ops that print, and the line reader that
 * turns typed lines into what Slack would deliver (slash commands, button clicks,
 * reactions). Deliveries complete on the next loop tick, as they would over HTTP. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/shell.h"
#include "bot/shell_input.h"
#include "bot/runtime.h"
#include "bot/http_curl.h"
#include "bot/log.h"
#include "approvals/card.h"
#include "approvals/format.h"
#include "providers/sim.h"

#define LINE_MAX_LEN 8192

struct shell {
    struct bot *bot;
    struct chat chat;
    FILE *out;
    char user[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    /* While the clock jumps, what the bot says is headed by the time it happened,
     * after the line that says where the clock goes (printed once the jump has
     * stored it, so a failed jump does not claim to have moved). */
    int jumping;
    char stamp[40];
    char jump_header[120];
};

/* During a clock jump, a line with the (moved) time before the first message of each
 * minute on the way, so that a week skipped reads as a week that passed. */
static void print_stamp(struct shell *sh)
{
    char when[40];
    if (!sh->jumping)
        return;
    if (sh->jump_header[0]) {
        fputs(sh->jump_header, sh->out);
        sh->jump_header[0] = '\0';
    }
    format_time(when, sizeof(when), bot_now_ms(sh->bot));
    if (strcmp(when, sh->stamp) == 0)
        return;
    fprintf(sh->out, "(%s)\n", when);
    request_copy_str(sh->stamp, sizeof(sh->stamp), when);
}

/* Slack's <@U123> and <!subteam^S123> read as @U123 in a terminal. */
static void print_mrkdwn(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (p[0] == '<' && p[1] == '@') {
            const char *end = strchr(p, '>');
            if (end) {
                fprintf(out, "@%.*s", (int)(end - p - 2), p + 2);
                p = end;
                continue;
            }
        } else if (strncmp(p, "<!subteam^", 10) == 0) {
            const char *end = strchr(p, '>');
            if (end) {
                fprintf(out, "@%.*s", (int)(end - p - 10), p + 10);
                p = end;
                continue;
            }
        }
        fputc(*p, out);
        if (*p == '\n')
            fputs("    ", out);
    }
}

static void print_card(FILE *out, const struct card *c)
{
    fprintf(out, "    | %s\n    | ", c->title);
    print_mrkdwn(out, c->status);
    fputc('\n', out);
    for (int i = 0; i < c->n_fields; i++) {
        fprintf(out, "    |   %-20s ", c->fields[i].label);
        print_mrkdwn(out, c->fields[i].value);
        fputc('\n', out);
    }
    switch (c->buttons) {
    case CARD_BUTTONS_NONE:
        break;
    case CARD_BUTTONS_APPROVE_REJECT:
        fprintf(out, "    | [Approve] [Reject]   (click %s approve | click %s reject "
                "note=\"...\" | react %s <emoji>)\n", c->request_id, c->request_id,
                c->request_id);
        break;
    case CARD_BUTTONS_CONFIRM_DISCARD:
        fprintf(out, "    | [Confirm] [Discard]  (click %s confirm | click %s discard)\n",
                c->request_id, c->request_id);
        break;
    case CARD_BUTTONS_REJECT:
        fprintf(out, "    | [Reject with a reason]  (click %s reject note=\"...\")\n",
                c->request_id);
        break;
    }
}

struct chat_answer {
    chat_cb cb;
    void *ud;
    char ts[MSG_TS_MAX];
};

static void chat_answer_run(void *arg)
{
    struct chat_answer *a = arg;
    a->cb(a->ud, CHAT_OK, a->ts[0] ? a->ts : NULL);
    free(a);
}

static int answer_later(struct shell *sh, chat_cb cb, void *ud, const char *ts)
{
    /* "Posted" means written out, not sitting in stdio's buffer: the answer lets the
     * outbox mark the effect done, and a crash after that must not lose the text
     * (stdout is fully buffered when it is a pipe or a file). */
    fflush(sh->out);
    struct chat_answer *a = calloc(1, sizeof(*a));
    if (!a)
        abort();
    a->cb = cb;
    a->ud = ud;
    request_copy_str(a->ts, sizeof(a->ts), ts);
    loop_defer(bot_loop(sh->bot), chat_answer_run, a);
    return 0;
}

/* The terminal keeps no message keys: the screen of a new session is not the old
 * one's, so a run that died before its done mark simply shows its message again. */
static int shell_post_card(struct chat *chat, const char *channel, const struct card *card,
                           const char *key, chat_cb cb, void *ud)
{
    struct shell *sh = chat->impl;
    (void)key;
    char ts[MSG_TS_MAX];
    print_stamp(sh);
    fprintf(sh->out, "[#%s] cancelbot posted card %s:\n", channel, card->request_id);
    print_card(sh->out, card);
    snprintf(ts, sizeof(ts), "card-%s", card->request_id);
    return answer_later(sh, cb, ud, ts);
}

static int shell_update_card(struct chat *chat, const char *channel, const char *ts,
                             const struct card *card, chat_cb cb, void *ud)
{
    struct shell *sh = chat->impl;
    print_stamp(sh);
    (void)ts;
    fprintf(sh->out, "[#%s] cancelbot updated card %s:\n", channel, card->request_id);
    print_card(sh->out, card);
    return answer_later(sh, cb, ud, NULL);
}

static int shell_reply(struct chat *chat, const char *channel, const char *thread_ts,
                       const char *request_id, const char *text, const char *key, chat_cb cb,
                       void *ud)
{
    struct shell *sh = chat->impl;
    print_stamp(sh);
    (void)key;
    (void)channel;
    (void)thread_ts;
    fprintf(sh->out, "  [thread %s] cancelbot: ", request_id);
    print_mrkdwn(sh->out, text);
    fputc('\n', sh->out);
    return answer_later(sh, cb, ud, NULL);
}

static int shell_ephemeral(struct chat *chat, const char *channel, const char *user,
                           const char *text, const struct card *card, chat_cb cb, void *ud)
{
    struct shell *sh = chat->impl;
    print_stamp(sh);
    (void)channel;
    fprintf(sh->out, "[only visible to %s] ", user);
    print_mrkdwn(sh->out, text);
    fputc('\n', sh->out);
    if (card)
        print_card(sh->out, card);
    return answer_later(sh, cb, ud, NULL);
}

static const struct chat_ops shell_chat_ops = {
    .name = "shell",
    .post_card = shell_post_card,
    .update_card = shell_update_card,
    .reply = shell_reply,
    .ephemeral = shell_ephemeral,
};

static const char shell_help[] =
    "Type what you would type in Slack, plus a few stand-ins for clicking and the buyer:\n"
    "  /cancel ...   /refund ...                 a slash command (try /cancel help)\n"
    "  as U0FIN1                                 become another user (e.g. a finance approver)\n"
    "  click CR-1 confirm|discard|approve|reject [note=\"...\"]   press a button on a card\n"
    "  react CR-1 white_check_mark|x [remove]    add or remove a reaction on the card\n"
    "  buyer accept|reject CR-1                  play the buyer at the simulated marketplace\n"
    "  clock +7d | +2h | +10m | +30s             move the clock forward: what falls due on the\n"
    "                                            way happens in order (one message per reminder)\n"
    "  wait +2s                                  listen for marketplace events (real time)\n"
    "  show CR-1                                 the card and its history\n"
    "  market CR-1                               what the simulated marketplace holds for it\n"
    "  help | quit\n"
    "On a terminal, lines can be edited; up and down arrows recall earlier ones, Ctrl-R\n"
    "searches them.\n";

static char *next_word(char **cursor)
{
    char *p = *cursor, *start;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p) {
        *cursor = p;
        return NULL;
    }
    start = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    *cursor = p;
    return start;
}

/* note="..." or note=word; the value is unquoted in place. */
static const char *parse_note(char *rest)
{
    char *p = rest, *end;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "note=", 5) != 0)
        return *p ? NULL : "";
    p += 5;
    if (*p == '"') {
        end = strrchr(p + 1, '"');
        if (!end)
            return NULL;
        *end = '\0';
        return p + 1;
    }
    return p;
}

static void upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static int valid_user(const char *u)
{
    size_t n = strlen(u);
    if (n < 3 || n >= USER_ID_MAX || (u[0] != 'U' && u[0] != 'W'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isupper((unsigned char)u[i]) && !isdigit((unsigned char)u[i]))
            return 0;
    return 1;
}

static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    long long n;
    if (*s != '+')
        return -1;
    n = strtoll(s + 1, &end, 10);
    if (end == s + 1 || n <= 0 || n > 3650 || end[1] != '\0')
        return -1;
    switch (*end) {
    case 'd': *ms = n * 86400000LL; return 0;
    case 'h': *ms = n * 3600000LL; return 0;
    case 'm': *ms = n * 60000LL; return 0;
    case 's': *ms = n * 1000LL; return 0;
    }
    return -1;
}

static void shell_show(struct shell *sh, const char *id)
{
    char text[64];
    snprintf(text, sizeof(text), "status %s", id);
    bot_on_command(sh->bot, sh->user, sh->channel, "/cancel", text);
}

static void shell_market(struct shell *sh, const char *id)
{
    struct sim_market *m;
    struct request *rq = malloc(sizeof(*rq));
    char token[80];
    if (!rq)
        abort();
    if (store_load_request(bot_store(sh->bot), id, rq) != STORE_OK) {
        fprintf(sh->out, "market: there is no request %s.\n", id);
    } else if (!(m = sim_provider_market(bot_provider(sh->bot, rq->market)))) {
        fprintf(sh->out, "market: %s is not on the simulated marketplace.\n", id);
    } else {
        request_client_token(rq, 0, token, sizeof(token));
        fprintf(sh->out, "market: %s %s: %d cancellation request(s) at the marketplace; "
                "%d submit call(s) with client token %s\n",
                rq->market == MARKET_AZURE ? "entitlement" : "agreement", rq->agreement.id,
                sim_market_count_requests(m, rq->agreement.id),
                sim_market_submit_calls(m, token), token);
    }
    free(rq);
}

static void shell_buyer(struct shell *sh, const char *answer, const char *id)
{
    struct sim_market *m;
    struct request *rq = malloc(sizeof(*rq));
    char err[300];
    int accept = strcmp(answer, "accept") == 0;
    if (!rq)
        abort();
    if (!accept && strcmp(answer, "reject") != 0) {
        fprintf(sh->out, "buyer: say accept or reject, e.g. buyer accept CR-1\n");
    } else if (store_load_request(bot_store(sh->bot), id, rq) != STORE_OK) {
        fprintf(sh->out, "buyer: there is no request %s.\n", id);
    } else if (!(m = sim_provider_market(bot_provider(sh->bot, rq->market)))) {
        fprintf(sh->out, "buyer: only the simulated marketplace has a buyer to play.\n");
    } else if (rq->market != MARKET_AWS || rq->kind != REQUEST_CANCEL) {
        fprintf(sh->out, "buyer: only AWS cancellations wait for the buyer; %s does not.\n", id);
    } else if (!rq->provider_ref[0]) {
        fprintf(sh->out, "buyer: %s has not been submitted to the marketplace yet (it is %s).\n",
                id, request_state_name(rq->state));
    } else if (sim_market_buyer_answer(m, rq->provider_ref, accept, bot_now_ms(sh->bot), err,
                                       sizeof(err)) != PROVIDER_OK) {
        fprintf(sh->out, "buyer: %s\n", err);
    } else {
        fprintf(sh->out, "(the buyer %s cancellation request %s at the marketplace)\n",
                accept ? "accepted" : "rejected", rq->provider_ref);
        bot_on_market_change(sh->bot, id);
    }
    free(rq);
}

/* The reminders a clock jump recorded without posting them again. */
static void print_repeats(void *ud, const char *request_id, enum request_timer t, int repeats)
{
    struct shell *sh = ud;
    fprintf(sh->out, "(%s: the %s fell due %d more time%s on the way; each is in its "
            "history (show %s), not repeated here)\n", request_id,
            t == TIMER_APPROVAL_REMINDER ? "reminder to finance" : "reminder", repeats,
            repeats == 1 ? "" : "s", request_id);
}

static void shell_line(struct shell *sh, char *line)
{
    char *cursor = line, *word = next_word(&cursor), *id, *arg;
    char when[40];
    int64_t delta;
    if (!word || word[0] == '#')
        return;
    if (word[0] == '/') {
        bot_on_command(sh->bot, sh->user, sh->channel, word, cursor);
    } else if (strcmp(word, "as") == 0) {
        if (!(arg = next_word(&cursor)) || !valid_user(arg))
            fprintf(sh->out, "as: give a Slack user id such as U0FIN1 (U or W, then capital "
                    "letters and digits).\n");
        else {
            request_copy_str(sh->user, sizeof(sh->user), arg);
            fprintf(sh->out, "(you are now %s)\n", sh->user);
        }
    } else if (strcmp(word, "click") == 0) {
        const char *note;
        id = next_word(&cursor);
        arg = next_word(&cursor);
        if (!id || !arg || !(note = parse_note(cursor))) {
            fprintf(sh->out, "click: usage: click CR-1 confirm|discard|approve|reject "
                    "[note=\"...\"]\n");
            return;
        }
        upper(id);
        bot_on_button(sh->bot, sh->user, sh->channel, id, arg, note, NULL);
    } else if (strcmp(word, "react") == 0) {
        char *how;
        id = next_word(&cursor);
        arg = next_word(&cursor);
        how = next_word(&cursor);
        if (!id || !arg || (how && strcmp(how, "remove") != 0)) {
            fprintf(sh->out, "react: usage: react CR-1 white_check_mark|x [remove]\n");
            return;
        }
        upper(id);
        if (arg[0] == ':' && strlen(arg) > 2 && arg[strlen(arg) - 1] == ':') {
            arg[strlen(arg) - 1] = '\0';
            arg++;
        }
        fprintf(sh->out, "(%s %s :%s: on card %s)\n", sh->user, how ? "removed" : "added", arg, id);
        bot_on_reaction(sh->bot, sh->user, sh->channel, id, arg, how == NULL, NULL);
    } else if (strcmp(word, "buyer") == 0) {
        arg = next_word(&cursor);
        id = next_word(&cursor);
        if (!arg || !id) {
            fprintf(sh->out, "buyer: usage: buyer accept|reject CR-1\n");
            return;
        }
        upper(id);
        shell_buyer(sh, arg, id);
    } else if (strcmp(word, "clock") == 0) {
        if (!(arg = next_word(&cursor)) || parse_duration(arg, &delta) != 0) {
            fprintf(sh->out, "clock: give how far to move forward: +7d, +2h, +10m or +30s.\n");
            return;
        }
        format_time(when, sizeof(when), bot_now_ms(sh->bot) + delta);
        snprintf(sh->jump_header, sizeof(sh->jump_header), "(clock moved %s: it is now %s)\n",
                 arg, when);
        sh->jumping = 1;
        sh->stamp[0] = '\0';
        if (bot_advance_clock(sh->bot, delta) != 0) {
            fprintf(sh->out, "clock: could not store the new time; the clock did not move.\n");
        } else {
            fputs(sh->jump_header, sh->out);      /* when nothing fell due on the way */
            bot_jump_repeats(sh->bot, print_repeats, sh);
        }
        sh->jump_header[0] = '\0';
        sh->jumping = 0;
    } else if (strcmp(word, "wait") == 0) {
        if (!(arg = next_word(&cursor)) || parse_duration(arg, &delta) != 0 || delta > 60000) {
            fprintf(sh->out, "wait: give how long to listen for marketplace events, up to a "
                    "minute: +2s.\n");
            return;
        }
        bot_listen(sh->bot, (int)delta);
    } else if (strcmp(word, "show") == 0 || strcmp(word, "market") == 0) {
        if (!(id = next_word(&cursor))) {
            fprintf(sh->out, "%s: usage: %s CR-1\n", word, word);
            return;
        }
        upper(id);
        if (word[0] == 's')
            shell_show(sh, id);
        else
            shell_market(sh, id);
    } else if (strcmp(word, "help") == 0) {
        fputs(shell_help, sh->out);
    } else {
        fprintf(sh->out, "Unknown input \"%s\". Slash commands start with /; type help for "
                "the rest.\n", word);
    }
}

int shell_run(const struct shell_options *opt)
{
    struct shell sh;
    struct bot_options bo;
    struct http_curl *http;
    struct shell_input *input;
    char err[512], prompt[USER_ID_MAX + 4], *line = malloc(LINE_MAX_LEN);
    int interactive, status = 0;
    if (!line)
        abort();
    memset(&sh, 0, sizeof(sh));
    memset(&bo, 0, sizeof(bo));
    sh.out = opt->out;
    sh.chat.ops = &shell_chat_ops;
    sh.chat.impl = &sh;
    request_copy_str(sh.user, sizeof(sh.user), opt->user ? opt->user : "U0ALICE");
    request_copy_str(sh.channel, sizeof(sh.channel),
                     opt->policy->n_channels ? opt->policy->channels[0] : "C0CANCELS");
    bo.db_path = opt->db_path;
    bo.database_url = opt->database_url;
    bo.policy = opt->policy;
    bo.sim_seed_path = opt->sim_seed_path;
    if (!(http = http_curl_new()))
        abort();
    bo.http = http_curl_client(http);
    bo.http_settle = http_curl_settle;
    bo.http_ud = http;
    if (bot_open(&bo, &sh.chat, &sh.bot, err, sizeof(err)) != 0) {
        log_cli_error("cancelbot", "%s", err);
        http_curl_free(http);
        free(line);
        return 1;
    }
    input = shell_input_new(opt->in, sh.out);
    interactive = shell_input_interactive(input);
    fprintf(sh.out, "cancelbot shell: you are %s in #%s; database %s; marketplace %s/%s.\n"
            "Type help, or try: /cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing-agreement "
            "note=\"Replacing with private offer offer-9x8y\"\n",
            sh.user, sh.channel, opt->database_url ? "PostgreSQL (DATABASE_URL)" : opt->db_path,
            opt->policy->provider_aws,
            opt->policy->provider_azure);
    bot_run_until_idle(sh.bot);     /* effects left by an earlier run */
    for (;;) {
        enum shell_input_rc rc;
        snprintf(prompt, sizeof(prompt), "%s> ", sh.user);
        rc = shell_input_read(input, prompt, line, LINE_MAX_LEN);
        if (rc == SHELL_INPUT_END)
            break;
        if (rc == SHELL_INPUT_TOO_LONG) {
            fprintf(sh.out, "That line is too long (over %d characters); nothing was done.\n",
                    LINE_MAX_LEN - 2);
            continue;
        }
        if (rc == SHELL_INPUT_NUL_BYTE) {
            fprintf(sh.out, "That line holds a NUL byte, which no command accepts; nothing "
                    "was done.\n");
            continue;
        }
        if (!interactive && line[0] && line[0] != '#')
            fprintf(sh.out, "%s> %s\n", sh.user, line);
        if (strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0)
            break;
        shell_line(&sh, line);
        bot_run_until_idle(sh.bot);
        fflush(sh.out);
    }
    bot_run_until_idle(sh.bot);  /* answers that landed while the last line was read */
    fflush(sh.out);
    shell_input_free(input);
    http_curl_free(http);        /* unanswered calls end now; bot_close lands them */
    bot_close(sh.bot);
    free(line);
    return status;
}
