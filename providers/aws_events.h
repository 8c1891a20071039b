/* providers/aws_events.h -- the optional fast path for AWS Marketplace cancellation
 * requests: the seller routes EventBridge events (source "aws.agreement-marketplace",
 * detail-types "Agreement Cancellation Request <Status> - Proposer|Acceptor") to an
 * SQS queue, and the bot long-polls that queue instead of waiting for its next
 * GetAgreementCancellationRequest poll. Polling stays the source of truth: an event
 * only brings the next status sooner, so a lost or duplicated event costs latency,
 * never correctness (standard queues deliver at least once and in no fixed order).
 *
 * Pure, like aws_agreement_request.c: this file builds the SQS exchanges (JSON
 * protocol, "AmazonSQS.<Action>" targets) and reads the answers; the caller signs
 * each request with aws_sigv4_sign(service "sqs", the queue's region) and sends it.
 * Every message received is handed back, relevant or not, so the caller deletes
 * all of them: an unrelated or unreadable event left in the queue would come back
 * after each visibility timeout for ever. */
#ifndef CANCELBOT_PROVIDERS_AWS_EVENTS_H
#define CANCELBOT_PROVIDERS_AWS_EVENTS_H

#include <stddef.h>
#include "approvals/flow.h"
#include "providers/http.h"

#define AWS_EVENTS_SIGNING_NAME "sqs"
#define AWS_EVENTS_CONTENT_TYPE "application/x-amz-json-1.0"
#define AWS_EVENTS_MAX_BATCH 10      /* SQS: ReceiveMessage and DeleteMessageBatch limit */
#define AWS_EVENTS_WAIT_SECONDS 20   /* SQS long-poll maximum */
/* The long poll holds the exchange open for up to 20 s; the timeout leaves room. */
#define AWS_EVENTS_RECEIVE_TIMEOUT_MS 30000
#define AWS_EVENTS_DELETE_TIMEOUT_MS 15000

enum aws_events_rc {
    AWS_EVENTS_OK = 0,
    AWS_EVENTS_E_INVALID,            /* queue URL not https://host/account/name, bad count */
    AWS_EVENTS_E_TOO_BIG,            /* a value would not fit struct http_request */
    AWS_EVENTS_E_PARSE,              /* the ReceiveMessage answer is not what SQS sends */
    AWS_EVENTS_E_NOMEM
};

struct aws_event {
    char message_id[128];            /* SQS MessageId */
    char receipt_handle[1024];       /* what DeleteMessageBatch needs */
    int relevant;                    /* 1: a cancellation-request status; the fields below hold */
    char agreement_id[72];           /* detail.agreement.id */
    char request_id[128];            /* detail.agreementCancellationRequest.id: "acr-..." */
    enum market_status status;
    char status_raw[32];             /* "APPROVED", as AWS spells it */
    char detail_type[128];           /* as received, control characters as '?'; "" if unread */
};

/* Region of an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>, or
 * the legacy https://<region>.queue.amazonaws.com/...), for signing. out is written
 * only on success. AWS_EVENTS_E_INVALID for any other host. */
int aws_events_queue_region(const char *queue_url, char *out, size_t outlen);

/* One long poll: POST to the queue's endpoint (its scheme and host, legacy hosts
 * mapped to sqs.<region>.amazonaws.com), ReceiveMessage for up to 10 messages,
 * waiting up to 20 s. req is reset and filled (method, url, Content-Type, X-Amz-Target,
 * body, timeout) but not signed; req->body points into *body. *body: caller frees, and
 * outlives req until the request is sent. On failure neither is usable. */
int aws_events_receive_request(const char *queue_url, struct http_request *req, char **body);

/* DeleteMessageBatch of the receipt handles of ev[0..n-1] (1 <= n <= 10; entry ids
 * "m0".."m9" are the indexes into ev). As aws_events_receive_request otherwise. */
int aws_events_delete_request(const char *queue_url, const struct aws_event *ev, int n,
                              struct http_request *req, char **body);

/* Reads a ReceiveMessage answer (the 200 body) into out[0..*n-1]. "{}" (no messages)
 * is *n = 0. A message whose Body is not a cancellation-request event of
 * aws.agreement-marketplace, or is not JSON at all, is returned with relevant = 0;
 * a message without a MessageId or a ReceiptHandle that fits is left out (it cannot
 * be deleted, so SQS redelivers it and its redrive policy moves it aside). Messages
 * beyond max are not read: they reappear after the visibility timeout. Only an
 * answer that is not SQS JSON fails, with AWS_EVENTS_E_PARSE and err saying where. */
int aws_events_parse_receive(const char *json, size_t len, struct aws_event *out, int max,
                             int *n, char *err, size_t errlen);

const char *aws_events_rc_text(enum aws_events_rc rc);

/* A failed exchange with the queue in SQS's words: code is the error's name from
 * the JSON protocol's "__type" ("com.amazonaws.sqs#QueueDoesNotExist" ->
 * "QueueDoesNotExist"; "...#AccessDeniedException" -> "AccessDenied"), else
 * "HTTP<status>" for an answer without one, "timeout" / "transport" when none came;
 * detail: "HTTP 403: <SQS's message>" or the transport's error (SQS's messages name
 * the queue and the caller's ARN, never a key). Both always written. */
void aws_events_error(const struct http_response *res, char *code, size_t codelen,
                      char *detail, size_t detaillen);

#endif
