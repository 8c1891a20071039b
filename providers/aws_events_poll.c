/* providers/aws_events_poll.c -- one ReceiveMessage long poll (20 s) at a time, signed
 * for "sqs" with the seller account's credentials; relevant events go to the callback,
 * every message read is deleted; failures back off (jittered, up to a minute) and the
 * poll goes on. The request is marked background, so nobody waits for the long poll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "providers/aws_events_poll.h"
#include "providers/aws_agreement_int.h"
#include "providers/aws_sigv4.h"
#include "providers/backoff.h"

#define MAX_EVENTS 10
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 60000
#define POLLER_NAME "aws_events_queue"
#define POLLER_WHAT "events queue"

struct aws_events_poller {
    int64_t sent_ms;                 /* when the current receive went out */
    struct provider_env env;
    struct aws_priv pv;
    char queue_url[1024];
    char region[64];
    aws_events_cb cb;
    void *ud;
    int stopped;
    int failures;
};

struct poll_tick {
    struct aws_events_poller *p;
};

static const char *process_getenv(void *ud, const char *name)
{
    (void)ud;
    return getenv(name);
}

static void receive(struct aws_events_poller *p);

static void tick(void *arg)
{
    struct poll_tick *t = arg;
    if (!t->p->stopped)
        receive(t->p);
    free(t);
}

static int64_t later(struct aws_events_poller *p)
{
    struct poll_tick *t = malloc(sizeof(*t));
    int64_t delay = backoff_jittered_ms(&p->pv.rng, p->failures, BACKOFF_BASE_MS,
                                        BACKOFF_CAP_MS);
    if (!t)
        abort();
    t->p = p;
    p->env.defer_background_at(p->env.loop, p->env.now_ms(p->env.loop) + delay, tick, t);
    return delay;
}

/* The poll failed (code in SQS's words): once more later, and the runtime told (it
 * logs it rate-limited and shows it in /readyz and /metrics). */
static void failed(struct aws_events_poller *p, const char *code, const char *detail)
{
    int64_t delay;
    p->failures++;
    delay = later(p);
    if (p->env.poller_report)
        p->env.poller_report(p->env.report_ud, POLLER_NAME, POLLER_WHAT, code, detail, delay);
}

/* Signs and sends req (body owned by the caller); 0 when queued. */
static int send_signed(struct aws_events_poller *p, struct http_request *req, http_cb cb)
{
    const struct aws_account *a = &p->pv.accounts[0];
    struct aws_sigv4_params sp = {a->creds.access_key_id, a->creds.secret_access_key,
                                  a->creds.session_token, p->region, AWS_EVENTS_SIGNING_NAME,
                                  p->env.now_ms(p->env.loop)};
    int rc = aws_sigv4_sign(req, &sp) == AWS_SIGV4_OK ? http_send(p->env.http, req, cb, p) : -1;
    OPENSSL_cleanse(req->headers, sizeof(req->headers));     /* the signature */
    return rc;
}

static void on_deleted(void *ud, const struct http_response *res)
{
    (void)ud;
    (void)res;   /* an undeleted message comes back and is handled again: harmless */
}

static void delete_read(struct aws_events_poller *p, const struct aws_event *ev, int n)
{
    struct http_request *req = calloc(1, sizeof(*req));
    char *body = NULL;
    if (!req)
        abort();
    if (aws_events_delete_request(p->queue_url, ev, n, req, &body) == 0) {
        req->background = 1;
        send_signed(p, req, on_deleted);
    }
    free(body);
    free(req);
}

static void on_received(void *ud, const struct http_response *res)
{
    struct aws_events_poller *p = ud;
    struct aws_event *ev;
    char err[160], code[72], detail[300];
    int n = 0;
    if (p->stopped)
        return;
    if (res->transport != HTTP_OK || res->status != 200) {
        aws_events_error(res, code, sizeof(code), detail, sizeof(detail));
        aws_scrub_message(detail, sizeof(detail), &p->pv.accounts[0].creds,
                          "(a message quoting the credentials, not shown)");
        failed(p, code, detail);
        return;
    }
    if (!(ev = calloc(MAX_EVENTS, sizeof(*ev))))
        abort();
    if (aws_events_parse_receive(res->body, res->body_len, ev, MAX_EVENTS, &n, err,
                                 sizeof(err)) != 0) {
        failed(p, "UnreadableAnswer", err);
    } else {
        p->failures = 0;
        if (p->env.poller_report)
            p->env.poller_report(p->env.report_ud, POLLER_NAME, POLLER_WHAT, NULL, NULL, 0);
        for (int i = 0; i < n; i++)
            if (ev[i].relevant)
                p->cb(p->ud, &ev[i]);
        if (n > 0)
            delete_read(p, ev, n);
        /* SQS holds an empty receive for 20 s; one back at once means the queue does not
         * long-poll, and asking again at once would spin. */
        if (n == 0 && p->env.now_ms(p->env.loop) - p->sent_ms < 1000)
            later(p);
        else
            receive(p);
    }
    free(ev);
}

static void receive(struct aws_events_poller *p)
{
    struct http_request *req = calloc(1, sizeof(*req));
    char *body = NULL;
    if (!req)
        abort();
    p->sent_ms = p->env.now_ms(p->env.loop);
    if (aws_events_receive_request(p->queue_url, req, &body) != 0) {
        failed(p, "RequestNotBuilt", "the ReceiveMessage request could not be built");
    } else {
        req->background = 1;
        if (send_signed(p, req, on_received) != 0)
            failed(p, "NotSent", "the ReceiveMessage request could not be signed or sent");
    }
    free(body);
    free(req);
}

struct aws_events_poller *aws_events_poller_new(const struct provider_env *env,
                                                const char *config_json,
                                                const char *queue_url, aws_getenv_fn getenv_fn,
                                                void *getenv_ud, aws_events_cb cb, void *ud,
                                                char *err, size_t errlen)
{
    struct aws_events_poller *p = calloc(1, sizeof(*p));
    struct aws_account *a;
    if (!p)
        abort();
    p->env = *env;
    p->cb = cb;
    p->ud = ud;
    snprintf(p->queue_url, sizeof(p->queue_url), "%s", queue_url);
    if (aws_config_read(config_json, &p->pv, err, errlen) || p->pv.n_accounts < 1)
        goto fail;
    a = &p->pv.accounts[0];
    /* A queue on this machine (a local fake) has no region in its host: sign for the
     * account's. */
    if (aws_events_queue_region(queue_url, p->region, sizeof(p->region)) != 0) {
        if (strncmp(queue_url, "http://127.0.0.1", 16) != 0) {
            snprintf(err, errlen, "aws.events_queue_url: not an SQS queue URL");
            goto fail;
        }
        snprintf(p->region, sizeof(p->region), "%s", a->region[0] ? a->region : "us-east-1");
    }
    a->base_getenv = getenv_fn ? getenv_fn : process_getenv;
    a->base_ud = getenv_ud;
    if (aws_account_resolve(a, err, errlen))
        goto fail;
    if (a->kind != CRED_STATIC || !a->have_creds) {
        snprintf(err, errlen, "aws.events_queue_url: the events queue is read with keys from "
                 "the environment or the shared credentials files; seller account '%s' uses "
                 "%s", a->name, a->source);
        goto fail;
    }
    p->pv.rng = ((uint64_t)env->now_ms(env->loop) * 0x9E3779B97F4A7C15ull ^ (uintptr_t)p) | 1;
    return p;
fail:
    aws_events_poller_free(p);
    return NULL;
}

void aws_events_poller_start(struct aws_events_poller *p)
{
    receive(p);
}

void aws_events_poller_stop(struct aws_events_poller *p)
{
    if (p)
        p->stopped = 1;
}

void aws_events_poller_free(struct aws_events_poller *p)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, sizeof(*p));          /* credentials */
    free(p);
}
