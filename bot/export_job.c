/* bot/export_job.c -- `/cancel export` in a chat that takes files: the record as a CSV
 * file for the person who asked, and only for them.
 *
 * It runs after the slash command's ack ("Preparing your export..."), in steps on
 * later loop ticks, so the loop never waits on Slack: first the display names of the
 * people in the exported requests (chat user_name, one at a time, each with the Web
 * API's timeout; a name Slack does not give stays empty and the id speaks alone),
 * kept in the store so that the command line's export shows them too; then the CSV,
 * written by store_export; then the chat's send_file. A failure is told to the asker
 * in a sentence with its fix; a stop ("shutting down") ends the job silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bot/runtime_int.h"
#include "bot/log.h"
#include "approvals/format.h"

#define NAMES_PER_EXPORT 200         /* more people: the rest keep the names stored */

struct export_job {
    struct bot *b;
    char user[USER_ID_MAX];
    char channel[CHANNEL_ID_MAX];
    int64_t since_ms;
    char (*people)[USER_ID_MAX];
    size_t n_people, cap_people, next;
};

static void job_free(struct export_job *j)
{
    free(j->people);
    free(j);
}

static void add_person(struct export_job *j, const char *user)
{
    if ((user[0] != 'U' && user[0] != 'W') || j->n_people >= NAMES_PER_EXPORT)
        return;                          /* "marketplace", "" and the like are not people */
    for (size_t i = 0; i < j->n_people; i++)
        if (strcmp(j->people[i], user) == 0)
            return;
    if (j->n_people == j->cap_people) {
        size_t cap = j->cap_people ? j->cap_people * 2 : 16;
        void *grown = realloc(j->people, cap * sizeof(*j->people));
        if (!grown)
            abort();
        j->people = grown;
        j->cap_people = cap;
    }
    request_copy_str(j->people[j->n_people++], USER_ID_MAX, user);
}

static int collect_people(void *ud, const struct request *rq)
{
    struct export_job *j = ud;
    if (rq->created_ms < j->since_ms)
        return 1;                        /* newest first: the rest are older still */
    add_person(j, rq->requester);
    add_person(j, rq->decided_by);
    for (int i = 0; i < rq->n_approvals && i < REQUEST_MAX_APPROVALS; i++)
        add_person(j, rq->approvals[i].user);
    return 0;
}

static void on_file_sent(void *ud, enum chat_rc rc, const char *why)
{
    struct export_job *j = ud;
    if (rc == CHAT_OK)
        log_info("export sent to %s", j->user);
    else if (why)
        bot_tell(j->b, j->channel, j->user, why);
    job_free(j);
}

struct csv_count {
    int requests;
    int64_t since_ms;
};

static int count_request(void *ud, const struct request *rq)
{
    struct csv_count *c = ud;
    if (rq->created_ms < c->since_ms)
        return 1;
    c->requests++;
    return 0;
}

static void send_csv(struct export_job *j)
{
    struct bot *b = j->b;
    struct csv_count count = { 0, j->since_ms };
    char *csv = NULL, filename[64], title[96], comment[200], today[40], since[40];
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    int rc;
    if (!f)
        abort();
    rc = store_export(b->store, f, STORE_EXPORT_CSV, j->since_ms);
    fclose(f);
    if (rc != STORE_OK || store_list_requests(b->store, STORE_LIST_ALL, NULL, 0, count_request,
                                              &count) != STORE_OK) {
        log_error("export for %s failed: %s", j->user, store_last_error(b->store));
        bot_tell(b, j->channel, j->user, "Sorry, the export failed (database error); please "
                 "try again, or use `cancelbot export` on the server.");
        goto done;
    }
    format_time_iso(today, sizeof(today), bot_now_ms(b));
    today[10] = '\0';                    /* the date of "2026-12-02T10:00:00Z" */
    format_time_iso(since, sizeof(since), j->since_ms);
    since[10] = '\0';
    snprintf(filename, sizeof(filename), "cancelbot-export-%s.csv", today);
    snprintf(title, sizeof(title), "cancelbot export %s", today);
    snprintf(comment, sizeof(comment), "The record you asked for: %d request%s%s%s, one row "
             "per entitlement, with their history.", count.requests,
             count.requests == 1 ? "" : "s", j->since_ms > 0 ? " created since " : "",
             j->since_ms > 0 ? since : "");
    if (b->chat->ops->send_file(b->chat, j->user, filename, title, comment, csv, len,
                                on_file_sent, j) == 0) {
        free(csv);
        return;                          /* on_file_sent ends the job */
    }
    bot_tell(b, j->channel, j->user, "Sorry, I could not start sending the export; please "
             "try again.");
done:
    free(csv);
    job_free(j);
}

static void name_next(struct export_job *j);

static void on_name(void *ud, const char *name, const char *error)
{
    struct export_job *j = ud;
    const char *user = j->people[j->next++];
    char stored[STORE_USER_NAME_MAX];
    if (error && strcmp(error, "shutting down") == 0) {
        job_free(j);
        return;
    }
    if (!name) {
        log_warn("no name for %s (%s); the export shows the id alone", user,
                 error ? error : "unknown");
        /* Every other call would fail the same way: a token or scope problem. */
        if (error && (strcmp(error, "missing_scope") == 0 || strcmp(error, "not_authed") == 0 ||
                      strcmp(error, "invalid_auth") == 0))
            j->next = j->n_people;
    } else if (store_get_user_name(j->b->store, user, stored, sizeof(stored)) != STORE_OK ||
               strcmp(stored, name) != 0) {
        if (store_set_user_name(j->b->store, user, name) != STORE_OK)
            log_warn("could not keep the name of %s: %s", user, store_last_error(j->b->store));
    }
    name_next(j);
}

static void name_next(struct export_job *j)
{
    while (j->next < j->n_people) {
        if (j->b->chat->ops->user_name(j->b->chat, j->people[j->next], on_name, j) == 0)
            return;                      /* on_name goes on */
        j->next++;
    }
    send_csv(j);
}

static void job_start(void *arg)
{
    struct export_job *j = arg;
    if (j->b->chat->ops->user_name &&
        store_list_requests(j->b->store, STORE_LIST_ALL, NULL, 0, collect_people, j) != STORE_OK)
        log_warn("export: could not list the people to name: %s", store_last_error(j->b->store));
    if (j->b->chat->ops->user_name)
        name_next(j);
    else
        send_csv(j);
}

void bot_export_start(struct bot *b, const char *user, const char *channel, int64_t since_ms)
{
    struct export_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort();
    j->b = b;
    j->since_ms = since_ms;
    request_copy_str(j->user, sizeof(j->user), user);
    request_copy_str(j->channel, sizeof(j->channel), channel);
    loop_defer(b->loop, job_start, j);   /* after the ack has gone */
}
