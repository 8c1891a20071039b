/* tests/fake_slack.c -- a local fake of Slack for the end-to-end tests. One process on
 * 127.0.0.1 only serves the Web API over plain HTTP (POST /api/<method>, JSON or form
 * body, "Authorization: Bearer TOKEN") and the Socket Mode websocket
 * (ws://127.0.0.1:PORT/link/?ticket=N, as apps.connections.open hands out), and follows
 * a script. The test starts it, waits for --port-file, starts the bot with
 * SLACK_API_URL=http://127.0.0.1:PORT/api/, and asserts on --log and the exit status.
 *
 *   fake_slack --script FILE --log FILE --port-file FILE [--timeout SECONDS(60)]
 *              [--files-dir DIR]   (uploaded files land in DIR/<file id>, for the test)
 *              [--listen-after MS] (the port is chosen and written at once, but nothing
 *                                   listens on it for MS: Slack unreachable at start-up;
 *                                   the port stays reserved, bound, meanwhile)
 *              [--redeliver 1]     as Slack does: each new connection, once its hello
 *                                  is out, is sent again every envelope never acked
 *                                  (retry_attempt + 1, retry_reason "timeout")
 *
 * Script, one step a line ('#' at line start and blank lines ignored; ends with quit):
 *   wait [S] connect           next websocket that has been sent its hello (S: 10 s)
 *   wait [S] close             next websocket closed, by either side
 *   wait [S] api METHOD [TEXT] earliest unconsumed call of METHOD whose logged body
 *                              (compact JSON, no spaces) contains TEXT (rest of line)
 *   wait [S] ack ENVELOPE_ID   next ack of that envelope
 *   send JSON | send-file PATH an envelope, as written, on the newest open websocket;
 *                              {{ts}} in it: the ts answered to the call the last
 *                              `wait api` matched (the card just posted)
 *                              (PATH relative to the script's directory)
 *   send-cut JSON              the frame's header (the whole length) and half of its
 *                              payload, then the socket shuts down: a drop mid-frame
 *   send-big BYTES             a text frame of BYTES bytes (an events_api frame with
 *                              no envelope id, padded): for frames over a limit
 *   send-when FILE             waits (60 s) for FILE to exist and a connection to be
 *                              open, sends FILE's content as a frame, deletes FILE: a
 *                              test that decides its next envelope as it goes
 *   disconnect REASON          {"type":"disconnect",...} on the newest websocket
 *   drop                       shut every websocket down: FIN, no close frame
 *   hang                       stop reading every websocket: pings go unanswered
 *   fail METHOD|* N STATUS [RETRY_AFTER]   the next N calls answer STATUS
 *   error METHOD|* N ERROR     the next N calls answer 200 {"ok":false,"error":ERROR}
 *   refuse METHOD CHANNEL ERROR  from now on, every METHOD call naming "channel":CHANNEL
 *                              answers {"ok":false,"error":ERROR}, as Slack does for a
 *                              channel the bot (not_in_channel) or the user
 *                              (user_not_in_channel, chat.postEphemeral) is not in
 *   sleep MS | quit            quit closes websockets (close 1000) and exits 0
 *
 * Messages posted with chat.postMessage are kept (with their metadata) and read back
 * by conversations.history and conversations.replies (fake_slack_history.h).
 *
 * Response URLs: slash-command and block_actions payloads (but those from a view: App
 * Home, modals) sent with no "response_url" (or "") get http://127.0.0.1:PORT/hooks/N, pointing here. A POST there is answered
 * as Slack does (200 "ok"; 404 "used_url" after 5 uses; 400 "invalid_payload" for a
 * body that is not a JSON object with text or blocks), logged as kind "response_url"
 * (path, authorization: whether any was sent, body) and can be waited for with
 * `wait api response_url TEXT`. conversations.open answers a DM id "D" + the user.
 *
 * Log: one JSON object a line, each with "t_ms" (since start) and "kind": api (method,
 * token_prefix, status, content_type, body, ok, error), http (404), connect, close
 * (client_close_code), sent (envelope_id, type, reason), ack (envelope_id, latency_ms,
 * latency_us, payload, repeat|unknown), client_frame (text), reject, drop, hang, upload
 * (file_id, length, status: a POST to an upload URL that files.getUploadURLExternal
 * handed out; its bytes go to --files-dir; see fake_slack_files.h).
 * Tokens never reach it: only their prefix ("xoxb"), and "token" body fields redacted.
 *
 * DESIGN
 * - One lws vhost with ONE protocol: lws gives plain HTTP and a websocket upgrade that
 *   names no Sec-WebSocket-Protocol (Slack clients name none) to protocols[0], so one
 *   callback serves both; lws re-allocates the per-session data on upgrade. No
 *   extensions are offered, so permessage-deflate is never negotiated.
 * - The script runs synchronously on every event (API call, hello written, ack, close)
 *   and on a timer for deadlines, so a step after `wait api M` takes effect before M's
 *   answer leaves: `wait api auth.test` then `fail chat.postMessage ...` has no race.
 * - Exit 0 at quit, 1 when a wait times out or the script is bad (stderr names the
 *   line), 2 at --timeout. A summary goes to stdout. */
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tests/fake_slack_files.h"
#include "tests/fake_slack_history.h"

#define WAIT_DEFAULT_S  10
#define QUIT_GRACE_US   (2 * 1000000LL)   /* quit: how long close frames may take */
#define MAX_BODY        (1 << 20)         /* request bodies, files, client frames */
#define RUN_BATCH       1000              /* script steps per pass, then yield */

#define GROW(arr, cap, need) do {                                                  \
        if ((size_t)(need) > (cap)) {                                              \
            size_t n_ = (cap) ? (cap) * 2 : 8;                                     \
            while (n_ < (size_t)(need))                                            \
                n_ *= 2;                                                           \
            (arr) = xrealloc((arr), n_ * sizeof *(arr));                           \
            (cap) = n_;                                                            \
        }                                                                          \
    } while (0)

enum step_kind { ST_WAIT_CONNECT, ST_WAIT_CLOSE, ST_WAIT_API, ST_WAIT_ACK, ST_SEND,
                 ST_SEND_CUT, ST_SEND_BIG, ST_SEND_WHEN, ST_DISCONNECT, ST_DROP, ST_HANG, ST_FAIL,
                 ST_SLEEP, ST_QUIT };
enum step_rc { STEP_DONE, STEP_BLOCKED, STEP_FAILED };

struct step {
    enum step_kind kind;
    int line;
    long long us;                 /* wait: timeout; sleep: duration; quit: grace */
    char *text;                   /* the source line, for messages */
    char *arg;                    /* method, envelope id, reason or frame text */
    char *match;                  /* wait api: substring of the body, or NULL */
    char *error;                  /* fail/error: the "error" to answer, or NULL */
    long count, status, retry_after;
};

struct out_frame { unsigned char *buf; size_t len; int is_hello, cut; };  /* LWS_PRE headroom */

struct conn {                     /* one Socket Mode connection; lives until exit */
    int id, closing, hung, dropped, peer_close_code;
    struct lws *wsi;              /* NULL once closed */
    char *rx; size_t rx_len, rx_cap; int rx_overflow;
    struct out_frame *q; size_t q_len, q_cap;
};

struct api_call { char *method, *body_text, *ts; int consumed; };   /* ts: answered */
struct envelope {
    char *id, *text;              /* text: as last sent, for --redeliver */
    long long sent_us;
    int acks, acks_waited, acks_since_send;
};
struct fault { char *method, *error, *channel; long left, status, retry_after; };
struct hook { long uses; };       /* a response_url handed out: /hooks/<index + 1> */

struct fake {
    struct lws_context *ctx;
    FILE *log;
    int port, running, rerun, done, exit_code, step_started, http_pending;
    long long t0_us, timeout_us, step_t0_us;
    lws_sorted_usec_list_t sul_script, sul_overall;
    struct step *steps; size_t n_steps, steps_cap, pc;
    struct conn **conns; size_t n_conns, conns_cap;
    struct api_call *calls; size_t n_calls, calls_cap;
    struct envelope *envs; size_t n_envs, envs_cap;
    struct fault *faults; size_t n_faults, faults_cap;
    char **reactions; size_t n_reactions, reactions_cap;
    struct hook *hooks; size_t n_hooks, hooks_cap;
    unsigned char *tickets; size_t n_tickets, tickets_cap;   /* 1 once redeemed */
    long ts_seq, view_seq, acks;
    char last_ts[32];             /* `{{ts}}`: see with_last_ts */
    int hellos, hellos_waited, closes, closes_waited, redeliver;
    long long worst_ack_us;
    struct fake_files *files;     /* uploads: fake_slack_files.c */
    struct fake_history *history; /* posted messages: fake_slack_history.c */
};

struct sess {                     /* lws per-session data; zeroed by lws */
    struct conn *conn;            /* websocket: owned by struct fake */
    char path[256], ctype[128], auth[600];
    int too_big;
    char *body; size_t body_len, body_cap;
    unsigned char *resp; size_t resp_len;   /* LWS_PRE headroom */
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {                     /* a test tool: dying loudly beats limping on */
        fputs("fake_slack: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static char *xstrdup(const char *s) { return strcpy(xrealloc(NULL, strlen(s) + 1), s); }

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* --- log ------------------------------------------------------------------------ */

/* One JSON line: t_ms and kind first, then the fields of obj (stolen). */
static void log_event(struct fake *f, const char *kind, json_t *obj)
{
    json_t *line = json_pack("{s:I, s:s}", "t_ms",
                             (json_int_t)((now_us() - f->t0_us) / 1000), "kind", kind);
    char *text;
    json_object_update(line, obj);
    json_decref(obj);
    if ((text = json_dumps(line, JSON_COMPACT))) {
        fprintf(f->log, "%s\n", text);
        free(text);
    }
    json_decref(line);
}

/* Client text may be any bytes; jansson wants UTF-8. */
static json_t *json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    return j ? j : json_string("<not utf-8>");
}

/* --- script ----------------------------------------------------------------------- */

static void script_kick(struct fake *f);

static void finish(struct fake *f, int code)
{
    if (f->done)
        return;
    f->done = 1;
    f->exit_code = code;
    lws_cancel_service(f->ctx);   /* let lws_service return now */
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s ? s : "", &end, 10);
    if (!s || !*s || *end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static char *read_file(const char *path, size_t *len_out)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    if (!fp)
        return NULL;
    buf = xrealloc(NULL, MAX_BODY + 1);
    len = fread(buf, 1, MAX_BODY + 1, fp);
    if (ferror(fp) || len > MAX_BODY) {   /* too big for a frame we would send */
        free(buf);
        buf = NULL;
    } else {
        buf[len] = '\0';
        *len_out = len;
    }
    fclose(fp);
    return buf;
}

/* A frame the script sends must be a JSON object: a typo fails at load, not mid-test. */
static int check_frame(const char *text, int line, const char *what)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    int ok = json_is_object(j);
    if (!ok)
        fprintf(stderr, "fake_slack: script line %d: %s is not a JSON object: %s\n",
                line, what, j ? "not an object" : err.text);
    json_decref(j);
    return ok ? 0 : -1;
}

/* Parses one non-blank, non-comment line (modified in place) into *st. */
static int parse_step(char *line, const char *script_dir, struct step *st)
{
    char *save = NULL, *cmd = strtok_r(line, " \t", &save), *rest;
    char *a1, *a2, *a3, *a4;
    long v;
    if (!strcmp(cmd, "send")) {   /* the rest of the line is the frame, spaces and all */
        rest = save ? save + strspn(save, " \t") : NULL;
        if (!rest || !*rest || check_frame(rest, st->line, "send"))
            return -1;
        st->kind = ST_SEND;
        st->arg = xstrdup(rest);
        return 0;
    }
    if (!strcmp(cmd, "send-cut")) {
        rest = save ? save + strspn(save, " \t") : NULL;
        if (!rest || !*rest || check_frame(rest, st->line, "send-cut"))
            return -1;
        st->kind = ST_SEND_CUT;
        st->arg = xstrdup(rest);
        return 0;
    }
    if (!strcmp(cmd, "send-when")) {
        a1 = strtok_r(NULL, " \t", &save);
        st->kind = ST_SEND_WHEN;
        st->us = 60 * 1000000LL;
        if (!a1 || strtok_r(NULL, " \t", &save))
            return -1;
        st->arg = xstrdup(a1);
        return 0;
    }
    if (!strcmp(cmd, "send-big")) {
        a1 = strtok_r(NULL, " \t", &save);
        st->kind = ST_SEND_BIG;
        return a1 && !parse_long(a1, 64, 64L << 20, &st->count) &&
               !strtok_r(NULL, " \t", &save) ? 0 : -1;
    }
    if (!strcmp(cmd, "send-file")) {
        char path[4096];
        size_t len;
        if (!(a1 = strtok_r(NULL, " \t", &save)))
            return -1;
        snprintf(path, sizeof path, "%s%s", a1[0] == '/' ? "" : script_dir, a1);
        if (!(st->arg = read_file(path, &len))) {
            fprintf(stderr, "fake_slack: script line %d: cannot read %s (or > %d bytes)\n",
                    st->line, path, MAX_BODY);
            return -1;
        }
        st->kind = ST_SEND;
        return check_frame(st->arg, st->line, path);
    }
    a1 = strtok_r(NULL, " \t", &save);
    if (!strcmp(cmd, "wait")) {
        st->us = WAIT_DEFAULT_S * 1000000LL;
        if (a1 && !parse_long(a1, 1, 3600, &v)) {
            st->us = v * 1000000LL;
            a1 = strtok_r(NULL, " \t", &save);
        }
        a2 = a1 ? strtok_r(NULL, " \t", &save) : NULL;
        if (!a1)
            return -1;
        if (!strcmp(a1, "connect") || !strcmp(a1, "close")) {
            st->kind = a1[1] == 'o' ? ST_WAIT_CONNECT : ST_WAIT_CLOSE;
            return a2 ? -1 : 0;
        }
        if (!a2)
            return -1;
        st->arg = xstrdup(a2);
        if (!strcmp(a1, "ack")) {
            st->kind = ST_WAIT_ACK;
            return strtok_r(NULL, " \t", &save) ? -1 : 0;
        }
        if (strcmp(a1, "api"))
            return -1;
        st->kind = ST_WAIT_API;
        rest = save ? save + strspn(save, " \t") : NULL;
        if (rest && *rest)        /* may hold spaces: match the rest of the line */
            st->match = xstrdup(rest);
        return 0;
    }
    a2 = a1 ? strtok_r(NULL, " \t", &save) : NULL;
    a3 = a2 ? strtok_r(NULL, " \t", &save) : NULL;
    a4 = a3 ? strtok_r(NULL, " \t", &save) : NULL;
    if (a4 ? strtok_r(NULL, " \t", &save) : NULL)
        return -1;
    if (!strcmp(cmd, "disconnect") && a1 && !a2) {
        st->kind = ST_DISCONNECT;
        st->arg = xstrdup(a1);
    } else if ((!strcmp(cmd, "drop") || !strcmp(cmd, "hang") || !strcmp(cmd, "quit")) && !a1) {
        st->kind = cmd[0] == 'd' ? ST_DROP : cmd[0] == 'h' ? ST_HANG : ST_QUIT;
        st->us = QUIT_GRACE_US;
    } else if (!strcmp(cmd, "sleep") && a1 && !a2 && !parse_long(a1, 0, 3600000, &v)) {
        st->kind = ST_SLEEP;
        st->us = v * 1000LL;
    } else if (!strcmp(cmd, "fail") && a3 && !parse_long(a2, 1, 1000000, &st->count) &&
               !parse_long(a3, 100, 599, &st->status) &&
               (!a4 || !parse_long(a4, 0, 86400, &st->retry_after))) {
        st->kind = ST_FAIL;
        st->arg = xstrdup(a1);
        st->retry_after = a4 ? st->retry_after : -1;
    } else if (!strcmp(cmd, "refuse") && a3 && !a4) {
        st->kind = ST_FAIL;       /* every call of METHOD to CHANNEL, from now on */
        st->arg = xstrdup(a1);
        st->match = xstrdup(a2);
        st->error = xstrdup(a3);
        st->count = 1000000000L;
        st->status = 200;
        st->retry_after = -1;
    } else if (!strcmp(cmd, "error") && a3 && !a4 &&
               !parse_long(a2, 1, 1000000, &st->count)) {
        st->kind = ST_FAIL;       /* HTTP 200 {"ok":false,"error":ERROR} */
        st->arg = xstrdup(a1);
        st->error = xstrdup(a3);
        st->status = 200;
        st->retry_after = -1;
    } else {
        return -1;
    }
    return 0;
}

static int script_load(struct fake *f, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL, dir[4096];
    size_t cap = 0;
    const char *slash = strrchr(path, '/');
    int lineno = 0, rc = -1;
    if (!fp) {
        fprintf(stderr, "fake_slack: cannot open script %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* relative send-file paths resolve against the script's directory */
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
    while (getline(&line, &cap, fp) > 0) {   /* ends at EOF: bounded by the file */
        char *s = line + strspn(line, " \t");
        struct step *st;
        lineno++;
        s[strcspn(s, "\r\n")] = '\0';
        if (!*s || *s == '#')
            continue;
        GROW(f->steps, f->steps_cap, f->n_steps + 1);
        st = memset(&f->steps[f->n_steps++], 0, sizeof *st);
        st->line = lineno;
        st->text = xstrdup(s);
        if (parse_step(s, dir, st)) {
            fprintf(stderr, "fake_slack: script line %d: cannot understand: %s\n",
                    lineno, st->text);
            goto out;
        }
    }
    if (!f->n_steps || f->steps[f->n_steps - 1].kind != ST_QUIT) {
        fprintf(stderr, "fake_slack: %s: the script must end with quit\n", path);
        goto out;
    }
    rc = 0;
out:
    free(line);
    fclose(fp);
    return rc;
}

static struct conn *newest_conn(struct fake *f)
{
    for (size_t i = f->n_conns; i > 0; i--) {
        struct conn *c = f->conns[i - 1];
        if (c->wsi && !c->closing && !c->hung && !c->dropped)
            return c;
    }
    return NULL;
}

static void conn_queue_frame(struct conn *c, const char *text, int is_hello, int cut)
{
    size_t len = strlen(text);
    struct out_frame *fr;
    GROW(c->q, c->q_cap, c->q_len + 1);
    fr = &c->q[c->q_len++];
    fr->buf = xrealloc(NULL, LWS_PRE + len);
    memcpy(fr->buf + LWS_PRE, text, len);
    fr->len = len;
    fr->is_hello = is_hello;
    fr->cut = cut;
    lws_callback_on_writable(c->wsi);
}

static void conn_queue(struct conn *c, const char *text, int is_hello)
{
    conn_queue_frame(c, text, is_hello, 0);
}

static struct envelope *envelope_find(struct fake *f, const char *id)
{
    for (size_t i = 0; i < f->n_envs; i++)
        if (!strcmp(f->envs[i].id, id))
            return &f->envs[i];
    return NULL;
}

/* Slash commands and block_actions carry a response_url; one left out (or "") by the
 * script is handed out here, pointing at this fake. Returns a new frame text or NULL
 * when the frame is left as written. */
/* `{{ts}}` in an envelope: the ts answered to the call the last `wait api` matched
 * (chat.postMessage's "ts", chat.postEphemeral's "message_ts"), so a script reacts to
 * the card actually posted whatever order the bot's calls arrived in. */
static char *with_last_ts(struct fake *f, const char *text)
{
    size_t n = 0, tl = strlen(f->last_ts);
    const char *p;
    char *out, *o;
    for (p = text; (p = strstr(p, "{{ts}}")); p += 6)
        n++;
    out = o = xrealloc(NULL, strlen(text) + n * tl + 1);
    for (p = text; *p;) {
        if (!strncmp(p, "{{ts}}", 6)) {
            memcpy(o, f->last_ts, tl);
            o += tl;
            p += 6;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static char *with_response_url(struct fake *f, const char *text)
{
    json_t *j = json_loads(text, 0, NULL), *payload = json_object_get(j, "payload");
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *ptype = json_string_value(json_object_get(payload, "type"));
    const char *have = json_string_value(json_object_get(payload, "response_url"));
    const char *container = json_string_value(json_object_get(json_object_get(payload,
                                                                              "container"),
                                                               "type"));
    char url[96], *out = NULL;
    if (json_is_object(payload) && type && (!have || !*have) &&
        (!strcmp(type, "slash_commands") ||
         (!strcmp(type, "interactive") && ptype && !strcmp(ptype, "block_actions") &&
          !(container && !strcmp(container, "view"))))) {   /* Home, modals: none */
        GROW(f->hooks, f->hooks_cap, f->n_hooks + 1);
        f->hooks[f->n_hooks++].uses = 0;
        snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/%zu", f->port, f->n_hooks);
        json_object_set_new(payload, "response_url", json_string(url));
        out = json_dumps(j, JSON_COMPACT);
    }
    json_decref(j);
    return out;
}

/* An envelope is on record from the moment it is queued: if its connection dies
 * before the frame leaves, --redeliver still sends it on the next one. */
static struct envelope *note_envelope(struct fake *f, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *eid = json_string_value(json_object_get(j, "envelope_id"));
    struct envelope *e = NULL;
    if (eid && !(e = envelope_find(f, eid))) {
        GROW(f->envs, f->envs_cap, f->n_envs + 1);
        e = memset(&f->envs[f->n_envs++], 0, sizeof *e);
        e->id = xstrdup(eid);
    }
    if (e) {
        free(e->text);
        e->text = xstrdup(text);
    }
    json_decref(j);
    return e;
}

static enum step_rc step_send(struct fake *f, const struct step *st, const char *text)
{
    struct conn *c = newest_conn(f);
    char *filled;
    if (!c) {
        fprintf(stderr, "fake_slack: script line %d: no open connection for: %s\n",
                st->line, st->text);
        return STEP_FAILED;
    }
    {
        char *with_ts = with_last_ts(f, text);
        filled = with_response_url(f, with_ts);
        note_envelope(f, filled ? filled : with_ts);
        conn_queue_frame(c, filled ? filled : with_ts, 0, st->kind == ST_SEND_CUT);
        free(filled);
        free(with_ts);
    }
    return STEP_DONE;
}

static enum step_rc step_send_when(struct fake *f, const struct step *st)
{
    size_t len;
    char *text;
    enum step_rc rc;
    if (!newest_conn(f) || !(text = read_file(st->arg, &len)))
        return STEP_BLOCKED;      /* polled: see script_run */
    if (check_frame(text, st->line, st->arg)) {
        free(text);
        return STEP_FAILED;
    }
    rc = step_send(f, st, text);
    unlink(st->arg);
    free(text);
    return rc;
}

static enum step_rc step_send_big(struct fake *f, const struct step *st)
{
    static const char head[] = "{\"type\":\"events_api\",\"payload\":{\"padding\":\"";
    size_t len = (size_t)st->count, fixed = sizeof head - 1 + 3;
    char *text = xrealloc(NULL, len + 1);
    enum step_rc rc;
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, 'x', len - fixed);
    memcpy(text + len - 3, "\"}}", 4);
    rc = step_send(f, st, text);
    free(text);
    return rc;
}

static enum step_rc step_wait_api(struct fake *f, const struct step *st)
{
    for (size_t i = 0; i < f->n_calls; i++) {
        struct api_call *a = &f->calls[i];
        if (!a->consumed && !strcmp(a->method, st->arg) &&
            (!st->match || strstr(a->body_text, st->match))) {
            a->consumed = 1;
            if (a->ts)
                snprintf(f->last_ts, sizeof f->last_ts, "%s", a->ts);
            return STEP_DONE;
        }
    }
    return STEP_BLOCKED;
}

static enum step_rc step_exec(struct fake *f, const struct step *st)
{
    struct envelope *e;
    switch (st->kind) {
    case ST_WAIT_CONNECT:
        if (f->hellos <= f->hellos_waited)
            return STEP_BLOCKED;
        f->hellos_waited++;
        return STEP_DONE;
    case ST_WAIT_CLOSE:
        if (f->closes <= f->closes_waited)
            return STEP_BLOCKED;
        f->closes_waited++;
        return STEP_DONE;
    case ST_WAIT_API:
        return step_wait_api(f, st);
    case ST_WAIT_ACK:
        if (!(e = envelope_find(f, st->arg)) || e->acks <= e->acks_waited)
            return STEP_BLOCKED;
        e->acks_waited++;
        return STEP_DONE;
    case ST_SEND:
    case ST_SEND_CUT:
        return step_send(f, st, st->arg);
    case ST_SEND_BIG:
        return step_send_big(f, st);
    case ST_SEND_WHEN:
        return step_send_when(f, st);
    case ST_DISCONNECT: {
        json_t *j = json_pack("{s:s, s:s, s:{s:s}}", "type", "disconnect", "reason",
                              st->arg, "debug_info", "host", "fake");
        char *text = json_dumps(j, JSON_COMPACT);
        enum step_rc rc = step_send(f, st, text);
        free(text);
        json_decref(j);
        return rc;
    }
    case ST_DROP:                 /* FIN with no close frame: what a dead proxy does */
    case ST_HANG:                 /* stop reading: pings go unanswered, as on a dead link */
        for (size_t i = 0; i < f->n_conns; i++) {
            struct conn *c = f->conns[i];
            if (!c->wsi || c->dropped || (st->kind == ST_HANG && c->hung))
                continue;
            if (st->kind == ST_DROP) {
                c->dropped = 1;
                shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
            } else {
                c->hung = 1;
                lws_rx_flow_control(c->wsi, LWS_RXFLOW_REASON_APPLIES_DISABLE |
                                    LWS_RXFLOW_REASON_USER_BOOL |
                                    LWS_RXFLOW_REASON_FLAG_PROCESS_NOW);
            }
            log_event(f, st->kind == ST_DROP ? "drop" : "hang", json_pack("{s:i}", "conn", c->id));
        }
        return STEP_DONE;
    case ST_FAIL: {
        struct fault *ft;
        GROW(f->faults, f->faults_cap, f->n_faults + 1);
        ft = &f->faults[f->n_faults++];
        ft->method = xstrdup(st->arg);
        ft->error = st->error ? xstrdup(st->error) : NULL;
        ft->channel = st->match ? xstrdup(st->match) : NULL;
        ft->left = st->count;
        ft->status = st->status;
        ft->retry_after = st->retry_after;
        return STEP_DONE;
    }
    case ST_SLEEP:
        return now_us() - f->step_t0_us >= st->us ? STEP_DONE : STEP_BLOCKED;
    case ST_QUIT: {
        int open = 0;
        for (size_t i = 0; i < f->n_conns; i++) {
            struct conn *c = f->conns[i];
            if (c->wsi && !c->closing) {
                c->closing = 1;   /* the writeable callback sends the close frame */
                lws_callback_on_writable(c->wsi);
            }
            open += c->wsi && !c->hung && !c->dropped;
        }
        if (open || f->http_pending)      /* let close frames and answers leave */
            return STEP_BLOCKED;
        finish(f, 0);
        return STEP_DONE;
    }
    }
    return STEP_FAILED;
}

static void wait_failed(struct fake *f, const struct step *st)
{
    size_t seen = 0;
    fprintf(stderr, "fake_slack: script line %d: timed out after %lld s: %s\n",
            st->line, st->us / 1000000, st->text);
    if (st->kind == ST_WAIT_API) {
        for (size_t i = 0; i < f->n_calls; i++)
            seen += !f->calls[i].consumed && !strcmp(f->calls[i].method, st->arg);
        fprintf(stderr, "fake_slack:   %zu unconsumed %s call(s) arrived%s\n", seen,
                st->arg, st->match && seen ? ", none containing the substring" : "");
    }
}

static void on_sul_script(lws_sorted_usec_list_t *sul);

/* Runs steps until one blocks; re-entered from lws callbacks, so a nested call only
 * marks that something happened and the outer pass looks again. */
static void script_run(struct fake *f)
{
    int batch = 0;
    if (f->running) {
        f->rerun = 1;
        return;
    }
    f->running = 1;
    do {
        f->rerun = 0;
        while (!f->done && f->pc < f->n_steps) {
            const struct step *st = &f->steps[f->pc];
            enum step_rc rc;
            long long now;
            if (batch++ >= RUN_BATCH) {   /* a long run of steps: let lws breathe */
                lws_sul_schedule(f->ctx, 0, &f->sul_script, on_sul_script, 1);
                break;
            }
            if (!f->step_started) {
                f->step_started = 1;
                f->step_t0_us = now_us();
            }
            rc = step_exec(f, st);
            now = now_us();
            if (rc == STEP_BLOCKED && now - f->step_t0_us >= st->us) {
                if (st->kind == ST_QUIT) {
                    finish(f, 0);         /* grace over: lws_context_destroy closes */
                } else if (st->kind == ST_SLEEP) {
                    rc = STEP_DONE;
                } else {
                    wait_failed(f, st);
                    rc = STEP_FAILED;
                }
            }
            if (rc == STEP_FAILED)
                finish(f, 1);
            if (rc != STEP_DONE) {    /* wake at the deadline even if nothing happens */
                long long wake = f->step_t0_us + st->us - now;
                if (st->kind == ST_SEND_WHEN && wake > 20000)
                    wake = 20000;         /* nothing tells us of the file: look again */
                if (!f->done)
                    lws_sul_schedule(f->ctx, 0, &f->sul_script, on_sul_script, wake);
                break;
            }
            f->pc++;
            f->step_started = 0;
        }
    } while (f->rerun && !f->done && batch < RUN_BATCH);
    f->running = 0;
}

static void on_sul_script(lws_sorted_usec_list_t *sul)
{
    script_run(lws_container_of(sul, struct fake, sul_script));
}

static void script_kick(struct fake *f)
{
    if (!f->done)
        script_run(f);
}

/* --- Web API ---------------------------------------------------------------------- */

static const char *const api_methods[] = {
    "apps.connections.open", "auth.test", "chat.postMessage", "chat.update",
    "chat.postEphemeral", "views.open", "views.update", "views.publish",
    "reactions.add", "users.info", "usergroups.users.list", "conversations.open",
    "files.getUploadURLExternal", "files.completeUploadExternal",
    "conversations.history", "conversations.replies",
};

static json_t *api_error(const char *error)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", error);
}

static const char *arg_str(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

/* A form body carries nested JSON (blocks, view) as a string; a JSON body inline. A
 * copy, so that an answer built from it never changes the body we log. */
static json_t *arg_json(json_t *body, const char *key)      /* new reference or NULL */
{
    json_t *v = json_object_get(body, key);
    return json_is_string(v) ? json_loads(json_string_value(v), 0, NULL) : json_deep_copy(v);
}

/* Slack's ts is "seconds.micros"; tests only need them unique and increasing. */
static void next_ts(struct fake *f, char *buf, size_t cap)
{
    long n = ++f->ts_seq;
    snprintf(buf, cap, "%ld.%06ld", 1700000000L + n / 10000, (n % 10000) * 100);
}

static json_t *api_reaction(struct fake *f, json_t *body)
{
    const char *ch = arg_str(body, "channel"), *ts = arg_str(body, "timestamp");
    const char *name = arg_str(body, "name");
    char key[512];
    if (!ch || !ts)
        return api_error("no_item_specified");
    if (!name)
        return api_error("invalid_name");
    snprintf(key, sizeof key, "%s|%s|%s", ch, ts, name);
    for (size_t i = 0; i < f->n_reactions; i++)   /* a re-run effect must cope */
        if (!strcmp(f->reactions[i], key))
            return api_error("already_reacted");
    GROW(f->reactions, f->reactions_cap, f->n_reactions + 1);
    f->reactions[f->n_reactions++] = xstrdup(key);
    return json_pack("{s:b}", "ok", 1);
}

static json_t *api_method(struct fake *f, const char *method, json_t *body)
{
    const char *channel = arg_str(body, "channel");
    char ts[32], id[32];
    if (!strcmp(method, "auth.test"))
        return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s}", "ok", 1,
                         "url", "https://fake.slack.com/", "team", "Fake", "user", "cancelbot",
                         "team_id", "T0TEAM", "user_id", "U0BOT", "bot_id", "B0BOT");
    if (!strncmp(method, "chat.", 5) && !channel)
        return api_error("channel_not_found");
    if (!strcmp(method, "chat.postMessage")) {
        json_t *msg, *blocks = arg_json(body, "blocks"), *meta = arg_json(body, "metadata");
        const char *text = arg_str(body, "text"), *thread = arg_str(body, "thread_ts");
        if (!text && !blocks && !json_object_get(body, "attachments"))
            return api_error("no_text");
        next_ts(f, ts, sizeof ts);
        msg = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "message", "user", "U0BOT",
                        "bot_id", "B0BOT", "ts", ts, "text", text ? text : "");
        if (thread)
            json_object_set_new(msg, "thread_ts", json_string(thread));
        if (blocks)
            json_object_set_new(msg, "blocks", blocks);
        if (json_is_object(meta))
            json_object_set(msg, "metadata", meta);
        json_decref(meta);
        fake_history_add(f->history, channel, msg);
        return json_pack("{s:b, s:s, s:s, s:o}", "ok", 1, "channel", channel, "ts", ts,
                         "message", msg);
    }
    if (!strcmp(method, "chat.update")) {
        const char *text = arg_str(body, "text");
        if (!arg_str(body, "ts"))
            return api_error("message_not_found");
        return json_pack("{s:b, s:s, s:s, s:s}", "ok", 1, "channel", channel,
                         "ts", arg_str(body, "ts"), "text", text ? text : "");
    }
    if (!strcmp(method, "chat.postEphemeral")) {
        if (!arg_str(body, "user"))
            return api_error("user_not_in_channel");
        next_ts(f, ts, sizeof ts);
        return json_pack("{s:b, s:s}", "ok", 1, "message_ts", ts);
    }
    if (!strncmp(method, "views.", 6)) {
        json_t *view = arg_json(body, "view");
        const char *vid = arg_str(body, "view_id");
        if (!json_is_object(view)) {
            json_decref(view);
            return api_error("invalid_arguments");
        }
        if (!vid || strcmp(method, "views.update")) {
            snprintf(id, sizeof id, "V%04ld", ++f->view_seq);
            vid = id;
        }
        json_object_set_new(view, "id", json_string(vid));
        return json_pack("{s:b, s:o}", "ok", 1, "view", view);
    }
    if (!strcmp(method, "reactions.add"))
        return api_reaction(f, body);
    if (!strcmp(method, "users.info")) {
        const char *user = arg_str(body, "user");
        char name[64];
        size_t i;
        if (!user)
            return api_error("user_not_found");
        for (i = 0; user[i] && i < sizeof name - 1; i++)
            name[i] = (char)(user[i] >= 'A' && user[i] <= 'Z' ? user[i] + 32 : user[i]);
        name[i] = '\0';
        return json_pack("{s:b, s:{s:s, s:s, s:b, s:{s:s+, s:s}}}", "ok", 1, "user", "id", user,
                         "name", name, "is_bot", !strcmp(user, "U0BOT"), "profile",
                         "display_name", "Name of ", user, "real_name", name);
    }
    if (!strcmp(method, "conversations.open")) {     /* the bot's DM with one user */
        const char *users = arg_str(body, "users");
        if (!users || !*users)
            return api_error("users_list_not_supplied");
        if (!strchr("UW", users[0]) || strchr(users, ','))
            return api_error("user_not_found");
        snprintf(id, sizeof id, "D%.30s", users);
        return json_pack("{s:b, s:{s:s, s:b}}", "ok", 1, "channel", "id", id, "is_im", 1);
    }
    if (!strncmp(method, "conversations.", 14) && strcmp(method, "conversations.open"))
        return fake_history_answer(f->history, method, body);
    if (!strcmp(method, "files.getUploadURLExternal"))
        return fake_files_get_upload_url(f->files, body, f->port);
    if (!strcmp(method, "files.completeUploadExternal"))
        return fake_files_complete(f->files, body);
    return json_pack("{s:b, s:[s]}", "ok", 1, "users", "U0FIN3");  /* usergroups.users.list */
}

/* Checks come in Slack's order: injected fault, method, token, arguments. */
static json_t *api_answer(struct fake *f, const char *method, const char *token,
                          json_t *body, int *status, long *retry_after)
{
    int known = 0;
    char url[96];
    for (size_t i = 0; i < sizeof api_methods / sizeof *api_methods; i++)
        known |= !strcmp(api_methods[i], method);
    for (size_t i = 0; i < f->n_faults; i++) {
        struct fault *ft = &f->faults[i];
        if (ft->left > 0 && (!strcmp(ft->method, "*") || !strcmp(ft->method, method)) &&
            (!ft->channel || (body && arg_str(body, "channel") &&
                              !strcmp(arg_str(body, "channel"), ft->channel)))) {
            ft->left--;
            *status = (int)ft->status;
            *retry_after = ft->retry_after;
            return api_error(ft->error ? ft->error
                             : ft->status == 429 ? "ratelimited" : "fatal_error");
        }
    }
    if (!known)
        return api_error("unknown_method");
    if (!token)
        return api_error("not_authed");
    if (!body)
        return api_error("invalid_json");
    if (!strcmp(method, "apps.connections.open")) {
        if (strncmp(token, "xapp-", 5))
            return api_error("not_allowed_token_type");
        if (!strcmp(token, "xapp-invalid"))
            return api_error("invalid_auth");
        GROW(f->tickets, f->tickets_cap, f->n_tickets + 1);
        f->tickets[f->n_tickets++] = 0;
        snprintf(url, sizeof url, "ws://127.0.0.1:%d/link/?ticket=%zu", f->port, f->n_tickets);
        return json_pack("{s:b, s:s}", "ok", 1, "url", url);
    }
    if (strncmp(token, "xoxb-", 5) && strncmp(token, "xoxp-", 5))
        return api_error(strncmp(token, "xapp-", 5) ? "invalid_auth" : "not_allowed_token_type");
    if (!strcmp(token + 4, "-invalid"))
        return api_error("invalid_auth");
    return api_method(f, method, body);
}

/* --- HTTP ------------------------------------------------------------------------- */

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *url_decode(const char *s, size_t len)          /* caller frees */
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

static json_t *form_parse(const char *body, size_t len)     /* a=b&c=d -> object */
{
    json_t *obj = json_object();
    size_t i = 0;
    while (i < len) {             /* each pass moves i past one '&': bounded by len */
        size_t end = i, eq;
        char *k, *v;
        while (end < len && body[end] != '&')
            end++;
        for (eq = i; eq < end && body[eq] != '='; eq++)
            ;
        k = url_decode(body + i, eq - i);
        v = url_decode(body + eq + (eq < end), end - eq - (eq < end));
        if (*k)
            json_object_set_new(obj, k, json_text(v, strlen(v)));
        free(k);
        free(v);
        i = end + 1;
    }
    return obj;
}

static void sess_http_reset(struct fake *f, struct sess *s)
{
    if (s->resp)
        f->http_pending--;
    free(s->body);
    free(s->resp);
    s->body = NULL;
    s->resp = NULL;
    s->body_len = s->body_cap = s->resp_len = 0;
    s->too_big = 0;
}

/* Writes the headers now and leaves the body (a copy of text) for HTTP_WRITEABLE. */
static int http_respond_text(struct fake *f, struct lws *wsi, struct sess *s, int status,
                             const char *ctype, const char *text, long retry_after)
{
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start;
    unsigned char *end = hdr + sizeof hdr - 1;
    size_t len = strlen(text);
    char ra[24];
    if (lws_add_http_common_headers(wsi, (unsigned)status, ctype, len, &p, end))
        return -1;
    if (retry_after >= 0) {
        int n = snprintf(ra, sizeof ra, "%ld", retry_after);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"Retry-After:",
                                        (const unsigned char *)ra, n, &p, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    s->resp = xrealloc(NULL, LWS_PRE + len);
    memcpy(s->resp + LWS_PRE, text, len);
    s->resp_len = len;
    f->http_pending++;
    lws_callback_on_writable(wsi);
    return 0;
}

/* resp is stolen. */
static int http_respond(struct fake *f, struct lws *wsi, struct sess *s, int status,
                        json_t *resp, long retry_after)
{
    char *text = json_dumps(resp, JSON_COMPACT);
    int rc = text ? http_respond_text(f, wsi, s, status, "application/json; charset=utf-8",
                                      text, retry_after) : -1;
    json_decref(resp);
    free(text);
    return rc;
}

/* Slack's upload URL answers "OK - <bytes>" as text; the log line carries the bytes. */
static int http_upload(struct fake *f, struct lws *wsi, struct sess *s)
{
    json_t *entry = NULL;
    char text[48];
    int status = s->too_big ? 413
               : fake_files_receive(f->files, s->path, s->body, s->body_len, &entry);
    snprintf(text, sizeof text, status == 200 ? "OK - %zu" : "error", s->body_len);
    if (!entry)
        entry = json_object();
    json_object_set_new(entry, "status", json_integer(status));
    log_event(f, "upload", entry);
    return http_respond_text(f, wsi, s, status, "text/plain", text, -1);
}

/* POST /hooks/N: a response_url handed out by with_response_url. Slack takes a JSON
 * message (text and/or blocks; replace_original, delete_original, response_type) up
 * to 5 times and answers "ok". Recorded as a call of "response_url". */
static int hook_handle(struct fake *f, struct lws *wsi, struct sess *s)
{
    long n = 0;
    json_t *body = NULL, *entry;
    const char *answer = "ok";
    char *body_text;
    int status = 200, rc;
    if (!s->too_big && s->body_len)
        body = json_loadb(s->body, s->body_len, 0, NULL);
    if (parse_long(s->path + 7, 1, (long)f->n_hooks, &n)) {
        status = 404;
        answer = "no_such_url";
    } else if (++f->hooks[n - 1].uses > 5) {
        status = 404;
        answer = "used_url";
    } else if (!json_is_object(body) ||
               (!json_object_get(body, "text") && !json_object_get(body, "blocks") &&
                !json_is_true(json_object_get(body, "delete_original")))) {
        status = 400;
        answer = "invalid_payload";
    }
    entry = json_pack("{s:s, s:s, s:b, s:i, s:s}", "method", "response_url", "path", s->path,
                      "authorization", s->auth[0] != '\0', "status", status, "answer", answer);
    json_object_set_new(entry, "body", json_is_object(body) ? json_incref(body)
                        : json_text(s->body ? s->body : "", s->body_len));
    body_text = json_is_object(body) ? json_dumps(body, JSON_COMPACT) : NULL;
    GROW(f->calls, f->calls_cap, f->n_calls + 1);
    f->calls[f->n_calls].method = xstrdup("response_url");
    f->calls[f->n_calls].body_text = xstrdup(body_text ? body_text : "");
    f->calls[f->n_calls].ts = NULL;
    f->calls[f->n_calls++].consumed = 0;
    log_event(f, "response_url", entry);
    free(body_text);
    json_decref(body);
    rc = http_respond_text(f, wsi, s, status, "text/plain; charset=utf-8", answer, -1);
    script_kick(f);
    return rc;
}

/* The whole request is in: answer it, log it, then let the script see it. */
static int http_handle(struct fake *f, struct lws *wsi, struct sess *s)
{
    const char *method = s->path + 5, *token = NULL;
    json_t *body = NULL, *resp, *entry;
    char prefix[16] = "", *body_text;
    int status = 200, rc;
    long retry_after = -1;
    size_t plen;
    if (!strncmp(s->path, FAKE_UPLOAD_PREFIX, strlen(FAKE_UPLOAD_PREFIX)))
        return http_upload(f, wsi, s);
    if (!strncmp(s->path, "/hooks/", 7))
        return hook_handle(f, wsi, s);
    if (strncmp(s->path, "/api/", 5) || !*method ||
        method[strspn(method, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._")]) {
        log_event(f, "http", json_pack("{s:o, s:i}", "path", json_text(s->path, strlen(s->path)),
                                        "status", 404));
        return http_respond(f, wsi, s, 404, api_error("not_found"), -1);
    }
    if (!strncasecmp(s->auth, "Bearer ", 7) && s->auth[7])
        token = s->auth + 7;
    /* only "xoxb"-like prefixes are logged: a token without '-' is not echoed at all */
    if (token && (plen = strcspn(token, "-")) < 8 && token[plen])
        snprintf(prefix, sizeof prefix, "%.*s", (int)plen, token);
    else if (token)
        strcpy(prefix, "?");
    if (!s->too_big) {
        if (!s->body_len)
            body = json_object();
        else if (!strncasecmp(s->ctype, "application/json", 16))
            body = json_loadb(s->body, s->body_len, 0, NULL);
        else              /* form, or no Content-Type: what curl sends by default */
            body = form_parse(s->body, s->body_len);
        if (!json_is_object(body)) {
            json_decref(body);
            body = NULL;
        }
    }
    if (s->too_big) {
        status = 413;
        resp = api_error("request_too_large");
    } else {
        resp = api_answer(f, method, token, body, &status, &retry_after);
    }
    if (json_object_get(body, "token"))   /* a token in the body never reaches the log */
        json_object_set_new(body, "token", json_string("<redacted>"));
    entry = json_pack("{s:s, s:s?, s:i, s:s}", "method", method,
                      "token_prefix", token ? prefix : NULL, "status", status,
                      "content_type", s->ctype);
    json_object_set_new(entry, "body", body ? json_incref(body)
                        : json_text(s->body ? s->body : "", s->body_len));
    json_object_set(entry, "ok", json_object_get(resp, "ok"));
    if (json_object_get(resp, "error"))
        json_object_set(entry, "error", json_object_get(resp, "error"));
    body_text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    GROW(f->calls, f->calls_cap, f->n_calls + 1);
    f->calls[f->n_calls].method = xstrdup(method);
    f->calls[f->n_calls].body_text = xstrdup(body_text ? body_text : "");
    {
        const char *ts = json_string_value(json_object_get(resp, "ts"));
        if (!ts)
            ts = json_string_value(json_object_get(resp, "message_ts"));
        f->calls[f->n_calls].ts = ts ? xstrdup(ts) : NULL;
    }
    f->calls[f->n_calls++].consumed = 0;
    log_event(f, "api", entry);
    free(body_text);
    json_decref(body);
    rc = http_respond(f, wsi, s, status, resp, retry_after);
    script_kick(f);
    return rc;
}

static int on_http(struct fake *f, struct lws *wsi, struct sess *s, const char *path)
{
    char cl[32] = "";
    sess_http_reset(f, s);
    snprintf(s->path, sizeof s->path, "%s", path ? path : "");
    s->ctype[0] = s->auth[0] = '\0';
    if (lws_hdr_copy(wsi, s->ctype, sizeof s->ctype, WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        s->ctype[0] = '\0';
    if (lws_hdr_copy(wsi, s->auth, sizeof s->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        s->auth[0] = '\0';
    /* lws calls BODY_COMPLETION for a POST with any Content-Length, 0 included; a GET
     * (query arguments are not read: clients POST) is answered as an empty body */
    if (!lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) ||
        lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return http_handle(f, wsi, s);
    s->too_big = atoll(cl) > MAX_BODY;
    return 0;
}

static void on_http_body(struct sess *s, const char *in, size_t len)
{
    if (!in || !len)              /* lws reports an empty body as (NULL, 0) */
        return;
    if (s->too_big || s->body_len + len > MAX_BODY) {
        s->too_big = 1;
        return;
    }
    GROW(s->body, s->body_cap, s->body_len + len + 1);
    memcpy(s->body + s->body_len, in, len);
    s->body_len += len;
    s->body[s->body_len] = '\0';
}

static int on_http_writeable(struct fake *f, struct lws *wsi, struct sess *s)
{
    int n, short_write;
    if (!s->resp)
        return 0;
    n = lws_write(wsi, s->resp + LWS_PRE, s->resp_len, LWS_WRITE_HTTP_FINAL);
    short_write = n < (int)s->resp_len;
    sess_http_reset(f, s);
    script_kick(f);               /* quit waits for answers in flight */
    return short_write || lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* --- Socket Mode ------------------------------------------------------------------- */

/* Tickets are single-use, as Slack's are: a client must call apps.connections.open
 * for every connection, reconnects included. */
static int ws_filter(struct fake *f, struct lws *wsi)
{
    char uri[256] = "", buf[64];
    const char *ticket, *why = NULL;
    long n = 0;
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 ||
        (strcmp(uri, "/link/") && strcmp(uri, "/link")))
        why = "path";
    else if (!(ticket = lws_get_urlarg_by_name(wsi, "ticket=", buf, sizeof buf)) ||
             parse_long(ticket, 1, (long)f->n_tickets, &n))
        why = "unknown_ticket";
    else if (f->tickets[n - 1])
        why = "ticket_reused";
    if (why) {
        log_event(f, "reject", json_pack("{s:s}", "reason", why));
        return 1;
    }
    f->tickets[n - 1] = 1;
    return 0;
}

static void ws_established(struct fake *f, struct lws *wsi, struct sess *s)
{
    struct conn *c = memset(xrealloc(NULL, sizeof *c), 0, sizeof *c);
    int open = 0;
    json_t *hello;
    char *text;
    c->id = (int)f->n_conns + 1;
    c->wsi = wsi;
    GROW(f->conns, f->conns_cap, f->n_conns + 1);
    f->conns[f->n_conns++] = c;
    s->conn = c;
    for (size_t i = 0; i < f->n_conns; i++)
        open += f->conns[i]->wsi && !f->conns[i]->dropped;
    hello = json_pack("{s:s, s:i, s:{s:s, s:i}, s:{s:s}}", "type", "hello",
                      "num_connections", open, "debug_info", "host", "fake",
                      "approximate_connection_time", 3600, "connection_info", "app_id", "A0APP");
    text = json_dumps(hello, JSON_COMPACT);
    conn_queue(c, text, 1);
    free(text);
    json_decref(hello);
}

static void ws_on_ack(struct fake *f, struct conn *c, const char *eid, json_t *payload)
{
    struct envelope *e = envelope_find(f, eid);
    json_t *ev = json_pack("{s:i, s:s}", "conn", c->id, "envelope_id", eid);
    f->acks++;
    if (e) {
        long long lat = now_us() - e->sent_us;
        e->acks++;
        json_object_set_new(ev, "latency_ms", json_integer(lat / 1000));
        json_object_set_new(ev, "latency_us", json_integer(lat));
        if (++e->acks_since_send > 1)     /* acked twice for one delivery */
            json_object_set_new(ev, "repeat", json_true());
        if (lat > f->worst_ack_us)
            f->worst_ack_us = lat;
    } else {
        json_object_set_new(ev, "latency_ms", json_null());
        json_object_set_new(ev, "unknown", json_true());
    }
    json_object_set(ev, "payload", payload ? payload : json_null());
    log_event(f, "ack", ev);
    script_kick(f);
}

static void ws_on_message(struct fake *f, struct conn *c, int binary)
{
    json_t *j = c->rx_overflow || binary ? NULL : json_loadb(c->rx, c->rx_len, 0, NULL);
    const char *eid = json_string_value(json_object_get(j, "envelope_id"));
    if (eid && !json_object_get(j, "type")) {
        ws_on_ack(f, c, eid, json_object_get(j, "payload"));
    } else if (c->rx_overflow) {
        log_event(f, "client_frame", json_pack("{s:i, s:s}", "conn", c->id,
                                               "error", "larger than 1 MiB"));
    } else {
        log_event(f, "client_frame", json_pack("{s:i, s:o, s:b}", "conn", c->id,
                                               "text", json_text(c->rx, c->rx_len),
                                               "binary", binary));
    }
    json_decref(j);
    c->rx_len = 0;
}

static void ws_receive(struct fake *f, struct lws *wsi, struct conn *c, const char *in,
                       size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rx_len = c->rx_overflow = 0;
    if (c->rx_len + len > MAX_BODY) {
        c->rx_overflow = 1;
    } else if (len) {
        GROW(c->rx, c->rx_cap, c->rx_len + len + 1);
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
    }
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi))
        ws_on_message(f, c, lws_frame_is_binary(wsi));
}

/* --redeliver: every envelope never acked goes out again on connection c. */
static void redeliver(struct fake *f, struct conn *c)
{
    for (size_t i = 0; i < f->n_envs; i++) {
        struct envelope *e = &f->envs[i];
        json_t *j;
        char *text;
        if (e->acks || !e->text || !(j = json_loads(e->text, 0, NULL)))
            continue;
        json_object_set_new(j, "retry_attempt", json_integer(
            json_integer_value(json_object_get(j, "retry_attempt")) + 1));
        json_object_set_new(j, "retry_reason", json_string("timeout"));
        text = json_dumps(j, JSON_COMPACT);
        conn_queue(c, text, 0);
        log_event(f, "redeliver", json_pack("{s:i, s:s}", "conn", c->id, "envelope_id", e->id));
        free(text);
        json_decref(j);
    }
}

static void ws_frame_sent(struct fake *f, struct conn *c, const struct out_frame *fr)
{
    json_t *j, *ev;
    const char *eid;
    struct envelope *e;
    if (fr->is_hello) {
        f->hellos++;
        log_event(f, "connect", json_pack("{s:i}", "conn", c->id));
        if (f->redeliver)
            redeliver(f, c);
        script_kick(f);
        return;
    }
    j = json_loadb((const char *)fr->buf + LWS_PRE, fr->len, 0, NULL);
    eid = json_string_value(json_object_get(j, "envelope_id"));
    ev = json_pack("{s:i}", "conn", c->id);
    if (eid)
        json_object_set_new(ev, "envelope_id", json_string(eid));
    if (json_object_get(j, "type"))
        json_object_set(ev, "type", json_object_get(j, "type"));
    if (eid) {
        if (!(e = envelope_find(f, eid))) {
            GROW(f->envs, f->envs_cap, f->n_envs + 1);
            e = memset(&f->envs[f->n_envs++], 0, sizeof *e);
            e->id = xstrdup(eid);
        }
        e->sent_us = now_us();    /* latency counts from the latest (re)delivery */
        e->acks_since_send = 0;
        free(e->text);
        e->text = xrealloc(NULL, fr->len + 1);
        memcpy(e->text, fr->buf + LWS_PRE, fr->len);
        e->text[fr->len] = '\0';
    }
    if (json_object_get(j, "reason"))
        json_object_set(ev, "reason", json_object_get(j, "reason"));
    log_event(f, "sent", ev);
    json_decref(j);
}

/* send-cut: the frame's header with its whole length and half of its payload, past
 * lws (nothing else is queued: one frame per writeable callback), then FIN. The
 * envelope counts as sent and unacked, so --redeliver sends it again. */
static void ws_write_cut(struct fake *f, struct lws *wsi, struct conn *c,
                         const struct out_frame *fr)
{
    unsigned char hdr[10];
    size_t h = 0;
    int fd = lws_get_socket_fd(wsi);
    hdr[h++] = 0x81;              /* FIN, text; a server's frames are not masked */
    if (fr->len < 126) {
        hdr[h++] = (unsigned char)fr->len;
    } else if (fr->len < 65536) {
        hdr[h++] = 126;
        hdr[h++] = (unsigned char)(fr->len >> 8);
        hdr[h++] = (unsigned char)fr->len;
    } else {
        hdr[h++] = 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((unsigned long long)fr->len >> (8 * i));
    }
    if (send(fd, hdr, h, MSG_NOSIGNAL) < 0 ||
        send(fd, fr->buf + LWS_PRE, fr->len / 2, MSG_NOSIGNAL) < 0)
        fprintf(stderr, "fake_slack: send-cut: %s\n", strerror(errno));
    ws_frame_sent(f, c, fr);
    c->dropped = 1;
    shutdown(fd, SHUT_RDWR);
    log_event(f, "cut", json_pack("{s:i, s:I, s:I}", "conn", c->id, "length",
                                  (json_int_t)fr->len, "sent", (json_int_t)(fr->len / 2)));
}

static int ws_writeable(struct fake *f, struct lws *wsi, struct conn *c)
{
    struct out_frame fr;
    int n;
    if (c->closing) {             /* quit: a clean close frame */
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
        return -1;
    }
    if (c->hung || !c->q_len)
        return 0;
    fr = c->q[0];
    memmove(c->q, c->q + 1, --c->q_len * sizeof *c->q);
    if (fr.cut) {
        ws_write_cut(f, wsi, c, &fr);
        free(fr.buf);
        return 0;
    }
    n = lws_write(wsi, fr.buf + LWS_PRE, fr.len, LWS_WRITE_TEXT);
    if (n >= (int)fr.len)
        ws_frame_sent(f, c, &fr);
    free(fr.buf);
    if (n < (int)fr.len)
        return -1;
    if (c->q_len)                 /* one lws_write per writeable callback */
        lws_callback_on_writable(wsi);
    return 0;
}

static void ws_closed(struct fake *f, struct conn *c)
{
    log_event(f, "close", json_pack("{s:i, s:o}", "conn", c->id, "client_close_code",
                                    c->peer_close_code ? json_integer(c->peer_close_code)
                                                       : json_null()));
    c->wsi = NULL;
    for (size_t i = 0; i < c->q_len; i++)
        free(c->q[i].buf);
    c->q_len = 0;
    f->closes++;
    script_kick(f);
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    struct fake *f = lws_context_user(lws_get_context(wsi));
    struct sess *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(f, wsi, s, in);
    case LWS_CALLBACK_HTTP_BODY:
        on_http_body(s, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return http_handle(f, wsi, s);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_http_writeable(f, wsi, s);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:   /* upgrade to ws: lws frees this session */
        if (s) {
            sess_http_reset(f, s);
            script_kick(f);
        }
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return ws_filter(f, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        ws_established(f, wsi, s);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (s->conn)
            ws_receive(f, wsi, s->conn, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s->conn ? ws_writeable(f, wsi, s->conn) : 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (s->conn && len >= 2)
            s->conn->peer_close_code = ((const unsigned char *)in)[0] << 8 |
                                       ((const unsigned char *)in)[1];
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (s->conn)
            ws_closed(f, s->conn);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* --- main -------------------------------------------------------------------------- */

static void on_sul_overall(lws_sorted_usec_list_t *sul)
{
    struct fake *f = lws_container_of(sul, struct fake, sul_overall);
    const struct step *st = f->pc < f->n_steps ? &f->steps[f->pc] : NULL;
    fprintf(stderr, "fake_slack: overall timeout of %lld s reached at script line %d: %s\n",
            f->timeout_us / 1000000, st ? st->line : 0, st ? st->text : "(end)");
    finish(f, 2);
}

static void print_summary(const struct fake *f)
{
    json_t *counts = json_object(), *v;
    const char *k;
    for (size_t i = 0; i < f->n_calls; i++) {
        const char *m = f->calls[i].method;
        json_object_set_new(counts, m, json_integer(json_integer_value(json_object_get(counts, m)) + 1));
    }
    printf("fake_slack: exit %d\napi calls: %zu\n", f->exit_code, f->n_calls);
    json_object_foreach(counts, k, v)
        printf("  %s: %lld\n", k, (long long)json_integer_value(v));
    printf("connections: %zu\nacks: %ld\nworst ack latency: %lld ms (%lld us)\n",
           f->n_conns, f->acks, f->worst_ack_us / 1000, f->worst_ack_us);
    json_decref(counts);
}

/* Written to a temporary name, then renamed: a test polling for the file never reads
 * it half-written. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    FILE *fp;
    int ok;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(fp = fopen(tmp, "w")))
        return -1;
    ok = fprintf(fp, "%d\n", port) > 0;
    ok = !fclose(fp) && ok;
    return ok && !rename(tmp, path) ? 0 : -1;
}

static void fake_free(struct fake *f)
{
    for (size_t i = 0; i < f->n_steps; i++) {
        free(f->steps[i].text);
        free(f->steps[i].arg);
        free(f->steps[i].match);
        free(f->steps[i].error);
    }
    for (size_t i = 0; i < f->n_conns; i++) {
        for (size_t j = 0; j < f->conns[i]->q_len; j++)
            free(f->conns[i]->q[j].buf);
        free(f->conns[i]->q);
        free(f->conns[i]->rx);
        free(f->conns[i]);
    }
    for (size_t i = 0; i < f->n_calls; i++) {
        free(f->calls[i].method);
        free(f->calls[i].body_text);
        free(f->calls[i].ts);
    }
    for (size_t i = 0; i < f->n_envs; i++) {
        free(f->envs[i].id);
        free(f->envs[i].text);
    }
    for (size_t i = 0; i < f->n_faults; i++) {
        free(f->faults[i].method);
        free(f->faults[i].error);
        free(f->faults[i].channel);
    }
    for (size_t i = 0; i < f->n_reactions; i++)
        free(f->reactions[i]);
    free(f->steps);
    free(f->conns);
    free(f->calls);
    free(f->envs);
    free(f->faults);
    free(f->reactions);
    free(f->hooks);
    free(f->tickets);
    fake_files_free(f->files);
    fake_history_free(f->history);
}

static int usage(void)
{
    fputs("usage: fake_slack --script FILE --log FILE --port-file FILE [--timeout SECONDS] "
          "[--files-dir DIR] [--listen-after MS] [--redeliver 1]\n",
          stderr);
    return 1;
}

int main(int argc, char **argv)
{
    static const struct lws_protocols protocols[] = {
        { "fake-slack", on_lws, sizeof(struct sess), 0, 0, NULL, 0 },
        { NULL, NULL, 0, 0, 0, NULL, 0 },
    };
    struct lws_context_creation_info info;
    struct lws_vhost *vh;
    struct fake f;
    const char *script = NULL, *log_path = NULL, *port_file = NULL, *files_dir = NULL;
    long timeout_s = 60, listen_after_ms = 0;
    int reserved = -1;
    memset(&f, 0, sizeof f);
    f.t0_us = now_us();
    f.exit_code = 1;
    for (int i = 1; i < argc; i += 2) {   /* every option takes a value */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(argv[i], "--script"))
            script = v;
        else if (!strcmp(argv[i], "--log"))
            log_path = v;
        else if (!strcmp(argv[i], "--port-file"))
            port_file = v;
        else if (!strcmp(argv[i], "--files-dir"))
            files_dir = v;
        else if (!strcmp(argv[i], "--listen-after")) {
            if (parse_long(v, 1, 600000, &listen_after_ms))
                return usage();
        }
        else if (!strcmp(argv[i], "--redeliver"))
            f.redeliver = strcmp(v, "0") != 0;
        else if (strcmp(argv[i], "--timeout") || parse_long(v, 1, 86400, &timeout_s))
            return usage();
    }
    if (!script || !log_path || !port_file)
        return usage();
    f.files = fake_files_new(files_dir);
    f.history = fake_history_new();
    signal(SIGPIPE, SIG_IGN);     /* a peer gone mid-write is an event, not a death */
    if (script_load(&f, script))
        goto out;
    if (!(f.log = fopen(log_path, "w"))) {
        fprintf(stderr, "fake_slack: cannot write %s: %s\n", log_path, strerror(errno));
        goto out;
    }
    setvbuf(f.log, NULL, _IOLBF, 0);      /* tests read the log while we run */
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof info);
    info.port = 0;                /* the kernel picks a free port: no collisions in CI */
    if (listen_after_ms) {
        /* Bound but not listening: the port is ours (nobody else gets it) and a
         * connection to it is refused, as to a Slack that cannot be reached. */
        struct sockaddr_in a;
        socklen_t alen = sizeof a;
        int one = 1;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if ((reserved = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
            setsockopt(reserved, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
            bind(reserved, (struct sockaddr *)&a, sizeof a) ||
            getsockname(reserved, (struct sockaddr *)&a, &alen)) {
            fputs("fake_slack: cannot reserve a port on 127.0.0.1\n", stderr);
            goto out;
        }
        info.port = ntohs(a.sin_port);
        if (write_port_file(port_file, info.port)) {
            fprintf(stderr, "fake_slack: cannot write %s\n", port_file);
            goto out;
        }
        {
            struct timespec ts = {listen_after_ms / 1000, (listen_after_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
        close(reserved);          /* lws binds it next (SO_REUSEADDR) */
        reserved = -1;
    }
    info.iface = "127.0.0.1";
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = protocols;
    info.vhost_name = "fake-slack";
    info.user = &f;
    info.keepalive_timeout = 30;  /* longer than a test's pauses: no reuse races */
    info.max_http_header_data = 8192;
    info.timeout_secs = 10;
    if (!(f.ctx = lws_create_context(&info)) ||
        !(vh = lws_get_vhost_by_name(f.ctx, "fake-slack")) ||
        (f.port = lws_get_vhost_listen_port(vh)) <= 0) {
        fputs("fake_slack: cannot listen on 127.0.0.1\n", stderr);
        goto out;
    }
    if (!listen_after_ms && write_port_file(port_file, f.port)) {
        fprintf(stderr, "fake_slack: cannot write %s\n", port_file);
        goto out;
    }
    f.exit_code = 0;
    f.timeout_us = timeout_s * 1000000LL;
    lws_sul_schedule(f.ctx, 0, &f.sul_overall, on_sul_overall,
                     f.timeout_us - (now_us() - f.t0_us));
    script_kick(&f);
    while (!f.done) {             /* bounded: the overall timer ends it, or the backstop */
        if (lws_service(f.ctx, 0) < 0) {
            fputs("fake_slack: lws_service failed\n", stderr);
            f.exit_code = 1;
            break;
        }
        if (now_us() - f.t0_us > f.timeout_us + 5000000LL) {
            fputs("fake_slack: overall timeout (backstop)\n", stderr);
            f.exit_code = 2;
            break;
        }
    }
    print_summary(&f);
out:
    if (reserved >= 0)
        close(reserved);
    f.done = 1;                   /* close callbacks during destroy must not run steps */
    if (f.ctx)
        lws_context_destroy(f.ctx);
    if (f.log && (ferror(f.log) | fclose(f.log)))
        fputs("fake_slack: writing the log failed\n", stderr);
    fake_free(&f);
    return f.exit_code;
}
