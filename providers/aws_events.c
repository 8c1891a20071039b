/* providers/aws_events.c -- SQS exchanges for the EventBridge fast path (see
 * aws_events.h): ReceiveMessage and DeleteMessageBatch built in the SQS JSON protocol,
 * and each received message's Body read as an EventBridge event.
 *
 * The event shape follows AWS Marketplace's documented "Agreement Cancellation Request
 * ... - Acceptor" schema: detail.agreement.id, detail.agreementCancellationRequest.id
 * and .statusCode. The queue is writable by anyone its policy lets in, so an event
 * counts only when its source, detail-type and both ids look like AWS's; anything
 * else is returned with relevant = 0 for the caller to delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "providers/aws_events.h"

#define EVENT_SOURCE "aws.agreement-marketplace"
#define TYPE_PREFIX "Agreement Cancellation Request "
#define ID_MAX 64                    /* Agreement API: both ids are 1..64 characters */

/* The detail-type names a status in words; the detail spells it as the API does. */
static const struct {
    const char *code, *words;
    enum market_status status;
} statuses[] = {
    {"PENDING_APPROVAL", "Pending Approval", MSTATUS_PENDING},
    {"APPROVED", "Approved", MSTATUS_APPROVED},   /* the buyer, or AWS after 7 days */
    {"REJECTED", "Rejected", MSTATUS_REJECTED},
    {"CANCELLED", "Cancelled", MSTATUS_CANCELLED},
    {"VALIDATION_FAILED", "Validation Failed", MSTATUS_FAILED},
};
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* 0 and a copy when src fits; -1 and dst untouched when it would be cut short. */
static int copy_exact(char *dst, size_t dstlen, const char *src)
{
    size_t len = strlen(src);
    if (len >= dstlen)
        return -1;
    memcpy(dst, src, len + 1);
    return 0;
}

/* ---- requests -------------------------------------------------------------------- */

/* The endpoint ("https://sqs.us-east-1.amazonaws.com/") of a queue URL into out.
 * The JSON protocol posts to the endpoint's root and names the queue in the body. */
static int queue_endpoint(const char *queue_url, char *out, size_t outlen)
{
    const char *host, *slash, *legacy = ".queue.amazonaws.com";
    size_t hostlen, ll = strlen(legacy);
    int n;
    if (!queue_url || (strncmp(queue_url, "https://", 8) && strncmp(queue_url, "http://", 7)))
        return AWS_EVENTS_E_INVALID;     /* http: a local fake queue in tests */
    host = strstr(queue_url, "://") + 3;
    slash = strchr(host, '/');
    if (!slash || slash == host || !slash[1])
        return AWS_EVENTS_E_INVALID;     /* no host, or no /<account>/<name> */
    hostlen = (size_t)(slash - host);
    for (size_t i = 0; i < hostlen; i++)
        if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7F)
            return AWS_EVENTS_E_INVALID;
    if (hostlen == ll - 1 && !strncmp(host, legacy + 1, hostlen))
        n = snprintf(out, outlen, "https://sqs.us-east-1.amazonaws.com/");
    else if (hostlen > ll && !strncmp(host + hostlen - ll, legacy, ll))
        n = snprintf(out, outlen, "https://sqs.%.*s.amazonaws.com/", (int)(hostlen - ll), host);
    else
        n = snprintf(out, outlen, "%.*s/", (int)(slash - queue_url), queue_url);
    return n < 0 || (size_t)n >= outlen ? AWS_EVENTS_E_TOO_BIG : AWS_EVENTS_OK;
}

int aws_events_queue_region(const char *queue_url, char *out, size_t outlen)
{
    char ep[2048], region[64];
    const char *host, *dot;
    size_t len;
    int rc = queue_endpoint(queue_url, ep, sizeof(ep));
    if (rc)
        return rc;
    host = strstr(ep, "://") + 3;        /* legacy hosts are already sqs.<region>... */
    if (strncmp(host, "sqs.", 4) || !(dot = strchr(host + 4, '.')) ||
        (strcmp(dot, ".amazonaws.com/") && strcmp(dot, ".amazonaws.com.cn/")) || (len = (size_t)(dot - host - 4)) == 0 ||
        len >= sizeof(region))
        return AWS_EVENTS_E_INVALID;
    memcpy(region, host + 4, len);
    region[len] = '\0';
    return copy_exact(out, outlen, region) ? AWS_EVENTS_E_TOO_BIG : AWS_EVENTS_OK;
}

/* Fills req for action with root as its body. Takes root (a new reference). */
static int build(const char *queue_url, const char *action, json_t *root, long timeout_ms,
                 struct http_request *req, char **body)
{
    char target[64];
    char *text = NULL;
    int rc;
    memset(req, 0, sizeof(*req));
    if ((rc = queue_endpoint(queue_url, req->url, sizeof(req->url))))
        goto out;
    rc = AWS_EVENTS_E_NOMEM;
    if (!root || !(text = json_dumps(root, JSON_COMPACT)))
        goto out;
    snprintf(target, sizeof(target), "AmazonSQS.%s", action);
    snprintf(req->method, sizeof(req->method), "POST");
    if (http_request_add_header(req, "Content-Type", AWS_EVENTS_CONTENT_TYPE) ||
        http_request_add_header(req, "X-Amz-Target", target)) {
        rc = AWS_EVENTS_E_TOO_BIG;
        goto out;
    }
    req->body = text;
    req->body_len = strlen(text);
    req->timeout_ms = timeout_ms;
    *body = text;                        /* ownership moves; *body untouched on failure */
    text = NULL;
    rc = AWS_EVENTS_OK;
out:
    free(text);
    json_decref(root);
    return rc;
}

int aws_events_receive_request(const char *queue_url, struct http_request *req, char **body)
{
    if (!queue_url || !req || !body)
        return AWS_EVENTS_E_INVALID;
    return build(queue_url, "ReceiveMessage",
                 json_pack("{s:s, s:i, s:i}", "QueueUrl", queue_url, "MaxNumberOfMessages",
                           AWS_EVENTS_MAX_BATCH, "WaitTimeSeconds", AWS_EVENTS_WAIT_SECONDS),
                 AWS_EVENTS_RECEIVE_TIMEOUT_MS, req, body);
}

int aws_events_delete_request(const char *queue_url, const struct aws_event *ev, int n,
                              struct http_request *req, char **body)
{
    json_t *entries;
    if (!queue_url || !ev || !req || !body || n < 1 || n > AWS_EVENTS_MAX_BATCH)
        return AWS_EVENTS_E_INVALID;
    if (!(entries = json_array()))
        return AWS_EVENTS_E_NOMEM;
    for (int i = 0; i < n; i++) {
        char id[8];
        if (!ev[i].receipt_handle[0]) {
            json_decref(entries);
            return AWS_EVENTS_E_INVALID;
        }
        snprintf(id, sizeof(id), "m%d", i);   /* unique in the batch, as SQS requires */
        if (json_array_append_new(entries, json_pack("{s:s, s:s}", "Id", id, "ReceiptHandle",
                                                     ev[i].receipt_handle))) {
            json_decref(entries);
            return AWS_EVENTS_E_NOMEM;
        }
    }
    return build(queue_url, "DeleteMessageBatch",
                 json_pack("{s:s, s:o}", "QueueUrl", queue_url, "Entries", entries),
                 AWS_EVENTS_DELETE_TIMEOUT_MS, req, body);
}

/* ---- answers --------------------------------------------------------------------- */

static const char *member_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* An id that is 1..64 of the characters the Agreement API allows after prefix. */
static int id_ok(const char *s, const char *prefix, const char *extra)
{
    size_t pl = strlen(prefix), len;
    if (!s || strncmp(s, prefix, pl) || (len = strlen(s)) <= pl || len > ID_MAX)
        return 0;
    for (s += pl; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return 0;
    return 1;
}

/* The status a detail-type names: "Agreement Cancellation Request Approved - Proposer".
 * Both roles count: a seller that buys its own listing (a test agreement) gets the
 * Acceptor copy too, about the same request. -1 when it names none. */
static int type_status(const char *type)
{
    size_t pl = strlen(TYPE_PREFIX), len = strlen(type);
    const char *roles[] = {" - Proposer", " - Acceptor"};
    for (size_t r = 0; r < 2; r++) {
        size_t rl = strlen(roles[r]);
        if (len <= pl + rl || strncmp(type, TYPE_PREFIX, pl) || strcmp(type + len - rl, roles[r]))
            continue;
        for (size_t i = 0; i < N_STATUSES; i++)
            if (strlen(statuses[i].words) == len - pl - rl &&
                !strncmp(type + pl, statuses[i].words, len - pl - rl))
                return (int)i;
    }
    return -1;
}

static int code_status(const char *code)
{
    for (size_t i = 0; code && i < N_STATUSES; i++)
        if (!strcmp(code, statuses[i].code))
            return (int)i;
    return -1;
}

/* Fills the event fields of e from one message Body; e->relevant stays 0 unless every
 * check passes. The detail-type is kept even then, so the caller can say what it
 * deleted. */
static void read_event(const char *text, size_t len, struct aws_event *e)
{
    json_t *ev = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *detail, *acr;
    const char *type = member_str(ev, "detail-type"), *src = member_str(ev, "source");
    const char *code, *agmt, *req;
    int st;
    if (type) {
        size_t i = 0;
        for (; type[i] && i + 1 < sizeof(e->detail_type); i++)
            e->detail_type[i] = (unsigned char)type[i] < 0x20 || type[i] == 0x7F ? '?' : type[i];
        e->detail_type[i] = '\0';
    }
    if (!type || !src || strcmp(src, EVENT_SOURCE))
        goto out;
    detail = json_object_get(ev, "detail");
    acr = json_object_get(detail, "agreementCancellationRequest");
    agmt = member_str(json_object_get(detail, "agreement"), "id");
    req = member_str(acr, "id");
    code = member_str(acr, "statusCode");
    /* statusCode is what AWS documents in the detail; the detail-type is the fallback
     * should a variant leave it out. A statusCode we do not know is not guessed at. */
    st = code ? code_status(code) : type_status(type);
    if (type_status(type) < 0 || st < 0 || !id_ok(agmt, "", "_/-") || !id_ok(req, "acr-", ""))
        goto out;
    if (copy_exact(e->agreement_id, sizeof(e->agreement_id), agmt) ||
        copy_exact(e->request_id, sizeof(e->request_id), req) ||
        copy_exact(e->status_raw, sizeof(e->status_raw), statuses[st].code))
        goto out;
    e->status = statuses[st].status;
    e->relevant = 1;
out:
    if (!e->relevant) {                  /* no half-filled fields for the caller to trust */
        e->agreement_id[0] = e->request_id[0] = e->status_raw[0] = '\0';
        e->status = MSTATUS_PENDING;
    }
    json_decref(ev);
}

int aws_events_parse_receive(const char *json, size_t len, struct aws_event *out, int max,
                             int *n, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = NULL, *msgs, *m;
    size_t i;
    int count = 0, rc = AWS_EVENTS_E_PARSE;
    if (!json || !out || !n || max < 0) {
        if (err && errlen)
            snprintf(err, errlen, "no ReceiveMessage answer to read");
        return AWS_EVENTS_E_INVALID;
    }
    /* jansson's own text quotes the answer, which may hold receipt handles: only the
     * position is passed on. */
    if (!(root = json_loadb(json, len, 0, &jerr)) || !json_is_object(root)) {
        if (err && errlen)
            snprintf(err, errlen, root ? "ReceiveMessage answer: not a JSON object"
                                       : "ReceiveMessage answer: not JSON (line %d, column %d)",
                     jerr.line, jerr.column);
        goto out;
    }
    msgs = json_object_get(root, "Messages");
    if (msgs && !json_is_null(msgs) && !json_is_array(msgs)) {
        if (err && errlen)
            snprintf(err, errlen, "ReceiveMessage answer: Messages is not an array");
        goto out;
    }
    json_array_foreach(msgs, i, m) {
        struct aws_event *e;
        json_t *body = json_object_get(m, "Body");
        const char *id = member_str(m, "MessageId"), *rh = member_str(m, "ReceiptHandle");
        if (count >= max)
            break;
        e = &out[count];
        memset(e, 0, sizeof(*e));
        if (!id || !rh || !rh[0] || copy_exact(e->message_id, sizeof(e->message_id), id) ||
            copy_exact(e->receipt_handle, sizeof(e->receipt_handle), rh))
            continue;                    /* cannot be deleted: see the header */
        if (json_is_string(body))
            read_event(json_string_value(body), json_string_length(body), e);
        count++;
    }
    *n = count;
    rc = AWS_EVENTS_OK;
out:
    json_decref(root);
    return rc;
}

void aws_events_error(const struct http_response *res, char *code, size_t codelen,
                      char *detail, size_t detaillen)
{
    json_t *body = NULL;
    const char *type = NULL, *msg = NULL, *hash;
    size_t n;
    if (res->transport != HTTP_OK) {
        snprintf(code, codelen, "%s", res->transport == HTTP_E_TIMEOUT ? "timeout" : "transport");
        snprintf(detail, detaillen, "%s", res->error[0] ? res->error : "no answer");
        return;
    }
    if (res->body && res->body_len)
        body = json_loadb(res->body, res->body_len, 0, NULL);
    type = member_str(body, "__type");
    msg = member_str(body, "message") ? member_str(body, "message") : member_str(body, "Message");
    if (type && *type) {
        if ((hash = strrchr(type, '#')))
            type = hash + 1;
        n = strcspn(type, ":");
        if (n > 9 && strncmp(type + n - 9, "Exception", 9) == 0)
            n -= 9;                     /* AccessDeniedException: AccessDenied, as SQS's docs */
        snprintf(code, codelen, "%.*s", (int)(n < 64 ? n : 64), type);
    } else {
        snprintf(code, codelen, "HTTP%ld", res->status);
    }
    snprintf(detail, detaillen, "HTTP %ld%s%.200s", res->status, msg && *msg ? ": " : "",
             msg ? msg : "");
    for (char *c = detail; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';                   /* one log line */
    json_decref(body);
}

const char *aws_events_rc_text(enum aws_events_rc rc)
{
    switch (rc) {                        /* no default: -Wswitch names the case we forgot */
    case AWS_EVENTS_OK:          return "Done.";
    case AWS_EVENTS_E_INVALID:   return "The SQS queue URL or the batch is not valid.";
    case AWS_EVENTS_E_TOO_BIG:   return "The SQS request does not fit the HTTP request.";
    case AWS_EVENTS_E_PARSE:     return "The SQS answer is not a ReceiveMessage answer.";
    case AWS_EVENTS_E_NOMEM:     return "Out of memory building the SQS request.";
    }
    return "Unexpected SQS error.";
}
