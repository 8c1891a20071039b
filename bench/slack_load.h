/* bench/slack_load.h -- shared state of slack_load, the load generator that plays
 * Slack (Socket Mode websocket + Web API on 127.0.0.1) to the app it starts itself:
 * one process, or several replicas of it (--replicas), each with its own connection.
 *
 *   slack_load.c     options, the run loop
 *   load_apps.c      the app's processes: start, stop, and the faults (kill, restart)
 *   load_server.c    lws: the HTTP Web API and the Socket Mode websocket
 *   load_api.c       what each Web API method answers
 *   load_workload.c  which envelope goes next, and which API call answers which one
 *   load_report.c    percentiles, /proc figures, the printed result
 *
 * Everything runs on one thread inside lws_service(); times are CLOCK_MONOTONIC µs. */
#ifndef CANCELBOT_BENCH_SLACK_LOAD_H
#define CANCELBOT_BENCH_SLACK_LOAD_H

#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>
#include <libwebsockets.h>

#define LOAD_MAX_BODY (1 << 20)     /* HTTP bodies and websocket frames we accept */

enum workload { WL_CANCEL, WL_LIST, WL_HOME };

/* What an envelope is, so we know which Web API call it causes. */
enum env_kind { ENV_SLASH, ENV_CONFIRM, ENV_APPROVE, ENV_LIST, ENV_HOME };

struct conn;

struct env {                        /* one envelope sent (or about to be) */
    enum env_kind kind;
    int flow;                       /* slash/confirm/approve: index into flows; else -1 */
    long long sent_us, ack_us, api_us;   /* 0 = not yet; sent_us: the first send */
    /* Replicas: the frame, kept until acked, and the connection it went to; when that
     * connection closes unacked, it goes again on another one (as Slack redelivers). */
    char *text;
    struct conn *conn;              /* NULL: waiting for a connection */
    int sends;
};

/* One requester's /cancel, then its Confirm, then finance's Approve. The app names
 * the request (CR-n) in its answer to the slash command; the card's ts comes from
 * our own chat.postMessage answer. */
struct flow {
    int slash_env, confirm_env, approve_env;   /* -1 until sent */
    long req_no;                    /* n of CR-n; 0 until known */
    char prompt_ts[24], card_ts[24];
    int approves;                   /* this flow ends with an approval */
};

struct ready { int flow; enum env_kind kind; };   /* a click whose message has arrived */

struct out_frame { unsigned char *buf; size_t len; int env; };   /* LWS_PRE headroom; env -1: hello */

struct conn {                       /* one Socket Mode connection */
    struct lws *wsi;                /* NULL once closed */
    int replica;                    /* whose (index into reps) */
    int said_hello;
    char *rx; size_t rx_len, rx_cap; int rx_overflow;
    struct out_frame *q; size_t q_len, q_cap;
};

/* STOPPED: exited when we asked (a fault, or the restart's SIGTERM); GONE: by itself */
enum replica_state { REP_RUNNING, REP_STOPPING, REP_STOPPED, REP_GONE };

struct replica {                    /* one process of the app */
    pid_t pid;
    enum replica_state state;
    int status;                     /* waitpid's, once it exited */
    int starts;                     /* 1, or more once restarted */
    int hanging;                    /* its Web API calls get no answer (before the kill) */
    long long spawn_us, hello_us, stop_us;
    long envs_sent, acks, api_calls, held_calls;
};

struct load {
    /* options */
    enum workload workload;
    double rate;                    /* open loop: envelopes per second (0: closed loop) */
    int closed;                     /* closed loop: envelopes outstanding */
    int count;                      /* envelopes to send */
    int max_flows;                  /* 0: no limit */
    int approve_every;              /* flow k is approved when k % approve_every == 0 */
    long long drain_us;             /* after the last send, wait this long for the rest */
    long long linger_us;            /* once complete, let the app finish its work */
    long long max_us;               /* hard limit of the whole run */
    const char *list_text, *home_user, *label;
    const char *agreement_pattern;  /* cancel: '#'s become the flow number; NULL: one agreement */
    int n_replicas;                 /* app processes, each with its own connection [1] */
    int deliver_random;             /* replicas: each envelope on a random connection,
                                     * else round-robin */
    long long kill_at_us, restart_at_us, hang_us;   /* 0: no such fault */
    int kill_replica, restart_replica;              /* indexes into reps */
    int redeliver;                  /* resend what a closed connection left unacked */

    /* server */
    struct lws_context *ctx;
    int port, done;
    lws_sorted_usec_list_t sul_tick;
    struct conn **conns; size_t n_conns, conns_cap;
    int hellos;
    long ts_seq, view_seq;
    long long ts_base_us;            /* wall clock at start: ts unique across runs */
    char run_id[16];                /* in envelope and event ids: unique across runs */
    long api_calls, api_unknown;
    long long last_api_us;

    /* workload */
    long long spawn_us, start_us, hello_us, first_send_us, last_send_us, last_progress_us, complete_us;
    struct env *envs; size_t n_envs, envs_cap;
    struct flow *flows; size_t n_flows, flows_cap;
    struct ready *ready; size_t ready_head, ready_len, ready_cap;
    int *flow_of_req; size_t flow_of_req_cap;   /* CR number -> flow + 1 (0: none) */
    size_t home_matched;            /* home envs are answered in order: next to match */
    int outstanding;                /* sent, not yet acked */
    long api_expected, api_matched; /* envelopes that cause an API call; those seen */
    long acks, acks_unknown;

    long redeliveries;
    int *waiting; size_t n_waiting, waiting_cap;   /* envs whose connection closed unacked */
    unsigned rr;                    /* round-robin position */
    unsigned rng;

    /* the app */
    char **app_argv;
    const char *log_path;
    struct replica *reps;
    long long kill_wall_ms;         /* Unix ms of the SIGKILL; 0: none yet */
};

void *xrealloc(void *p, size_t n);
long long now_us(void);

#define GROW(arr, cap, need) do {                                                  \
        if ((size_t)(need) > (cap)) {                                              \
            size_t n_ = (cap) ? (cap) * 2 : 16;                                    \
            while (n_ < (size_t)(need))                                            \
                n_ *= 2;                                                           \
            (arr) = xrealloc((arr), n_ * sizeof *(arr));                           \
            (cap) = n_;                                                            \
        }                                                                          \
    } while (0)

/* load_apps.c: replicas are numbered from 0 here, from 1 on the command line and in
 * the output. */
int apps_start(struct load *L);                /* every replica; -1 when fork fails */
int apps_ok(struct load *L);                   /* no replica died unasked */
void apps_faults(struct load *L);              /* kill / restart when their time comes */
void apps_stop(struct load *L);                /* SIGTERM, then SIGKILL after a grace */
int apps_replica_of_token(const struct load *L, const char *token);   /* -1: none */

/* load_server.c */
int server_start(struct load *L);              /* listens on 127.0.0.1:L->port */
/* One replica: on the newest socket. Replicas: round-robin or random among the open
 * ones; with none open, the envelope waits (L->redeliver) or is lost. */
void server_send(struct load *L, int env, const char *text);
void server_resend_waiting(struct load *L);    /* envelopes waiting for a connection */
int server_connected(const struct load *L);    /* some socket is open and said hello */
int server_open_conns(const struct load *L);
void server_free(struct load *L);

/* load_api.c: the answer to one Web API call (new reference). body: the arguments as
 * an object (form fields or JSON). */
json_t *api_answer(struct load *L, const char *method, const char *token, json_t *body);
json_t *api_form_parse(const char *body, size_t len);

/* load_workload.c */
void workload_pump(struct load *L);            /* send what is due now */
void workload_on_ack(struct load *L, const char *envelope_id);
/* Matches a Web API call to the envelope that caused it. Returns 1 and *follow when
 * it shows a message to click on; call workload_on_answered() once our answer left. */
int workload_on_api(struct load *L, const char *method, json_t *body, json_t *answer,
                    struct ready *follow);
void workload_on_answered(struct load *L, struct ready follow);
void workload_on_sent(struct load *L, int env);
int workload_complete(const struct load *L);   /* all sent, acked, answered */
void workload_free(struct load *L);

/* load_report.c */
struct proc_figures { double cpu_s; long hwm_kb; int ok; };
int proc_read(pid_t pid, struct proc_figures *out);
/* The running replicas': CPU summed, the largest peak RSS. */
void procs_read(const struct load *L, struct proc_figures *out);
void report_print(const struct load *L, const struct proc_figures *before,
                  const struct proc_figures *after);

#endif
