/* tests/test_aws_events.c -- the EventBridge-over-SQS fast path (providers/aws_events.c):
 * the SQS requests it builds, and what it reads from recorded ReceiveMessage answers
 * in $CANCELBOT_TESTDATA/aws_events.
 *
 * Where the recorded shapes come from:
 *  - The ReceiveMessage answer ({"Messages":[{MessageId, ReceiptHandle, MD5OfBody,
 *    Body, Attributes}]}, "{}" when the long poll ends empty) follows the SQS API
 *    reference for the JSON protocol. Receipt handles are made up, of realistic size.
 *  - Each Body is an EventBridge event as an SQS target delivers it (the whole event,
 *    no input transformer). Its detail (requestId, catalog, agreement{id, proposerId,
 *    productId, offerId}, agreementCancellationRequest{id, reasonCode, reasonMessage,
 *    statusCode, statusMessage, createdAt, updatedAt}) copies the schema AWS documents
 *    for "Agreement Cancellation Request Pending Approval - Acceptor" (AWS Marketplace
 *    Buyer Guide, "Cancellation and billing adjustment events").
 * Assumed, not seen in AWS's documents: that the seller's "... - Proposer" events
 * carry the same detail as the documented Acceptor ones (the seller guide lists
 * "Agreement Cancellation Request Pending Approval - Proposer"; the Approved, Rejected,
 * Cancelled and Validation Failed Proposer names are inferred from the Acceptor list
 * and the API's statuses), and that an event may lack statusCode (receive_more.json:
 * the detail-type then names the status). The "Purchase Agreement Created - Proposer"
 * event stands for the unrelated traffic a shared queue carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "providers/aws_events.h"
#include "providers/aws_sigv4.h"
#include "tests/check.h"

#define QUEUE "https://sqs.us-east-1.amazonaws.com/123456789012/cancelbot-marketplace-events"
#define MAXEV AWS_EVENTS_MAX_BATCH

/* $CANCELBOT_TESTDATA (ctest sets it); run by hand, the data beside this source file,
 * whose path the build gave as __FILE__. */
static char *load(const char *name, size_t *len)
{
    const char *root = getenv("CANCELBOT_TESTDATA"), *slash = strrchr(__FILE__, '/');
    char path[1024];
    FILE *f;
    char *buf = NULL;
    long size;
    if (root)
        snprintf(path, sizeof(path), "%s/aws_events/%s", root, name);
    else
        snprintf(path, sizeof(path), "%.*sdata/aws_events/%s",
                 slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, name);
    if (!(f = fopen(path, "rb"))) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1))) {
        *len = fread(buf, 1, (size_t)size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Parses a recorded answer; -1 when the file is missing, else the parser's code. */
static int parse_file(const char *name, struct aws_event *ev, int max, int *n)
{
    size_t len = 0;
    char *json = load(name, &len), err[256] = "";
    int rc = json ? aws_events_parse_receive(json, len, ev, max, n, err, sizeof(err)) : -1;
    free(json);
    return rc;
}

/* A ReceiveMessage answer holding one message with this Body. Caller frees. */
static char *one_message(const char *rh, const char *body)
{
    json_t *root = json_pack("{s:[{s:s, s:s, s:s}]}", "Messages", "MessageId",
                             "4b1c2d3e-5f60-4718-9a2b-3c4d5e6f7a8b", "ReceiptHandle", rh, "Body", body);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* A cancellation event as in the recorded batch, with the parts a test varies. */
static char *event_body(const char *source, const char *type, const char *agmt, const char *acr,
                        const char *code)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:{s:s}, s:{s:s, s:s}}}", "version", "0",
                           "id", "01234567-0123-0123-0123-0123456789ab", "detail-type", type,
                           "source", source, "detail", "agreement", "id", agmt,
                           "agreementCancellationRequest", "id", acr, "statusCode", code);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

/* Parses one inline message; returns the event (relevant or not) in *e. */
static int parse_one(const char *body, struct aws_event *e)
{
    char *json = one_message("AQEBinlinehandle", body), err[128];
    int n = -1, rc = aws_events_parse_receive(json, strlen(json), e, 1, &n, err, sizeof(err));
    free(json);
    return rc == AWS_EVENTS_OK && n == 1 ? 0 : -1;
}

static const char *header(const struct http_request *req, const char *name)
{
    for (int i = 0; i < req->n_headers; i++)
        if (strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* ---- requests -------------------------------------------------------------------- */

static void test_receive_is_a_signable_twenty_second_long_poll_of_ten(void)
{
    struct http_request req;
    struct aws_sigv4_params sp = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
                                  "us-east-1", AWS_EVENTS_SIGNING_NAME, 1736937000000LL};
    char *body = NULL;
    json_t *b;
    CHECK(aws_events_receive_request(QUEUE, &req, &body) == AWS_EVENTS_OK);
    CHECK_STR(req.method, "POST");
    CHECK_STR(req.url, "https://sqs.us-east-1.amazonaws.com/");
    CHECK_STR(header(&req, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
    CHECK_STR(header(&req, "Content-Type"), "application/x-amz-json-1.0");
    CHECK(req.body == body && body && req.body_len == strlen(body));
    CHECK(req.timeout_ms > AWS_EVENTS_WAIT_SECONDS * 1000L);   /* outlasts the long poll */
    b = json_loads(body ? body : "", 0, NULL);
    CHECK_STR(json_string_value(json_object_get(b, "QueueUrl")), QUEUE);
    CHECK(json_integer_value(json_object_get(b, "MaxNumberOfMessages")) == 10);
    CHECK(json_integer_value(json_object_get(b, "WaitTimeSeconds")) == 20);
    CHECK(json_object_size(b) == 3);
    json_decref(b);
    CHECK(aws_sigv4_sign(&req, &sp) == AWS_SIGV4_OK);
    CHECK_CONTAINS(header(&req, "Authorization"), "/us-east-1/sqs/aws4_request");
    CHECK_STR(header(&req, "Host"), "sqs.us-east-1.amazonaws.com");
    free(body);
}

static void test_legacy_queue_host_posts_to_the_regional_sqs_endpoint(void)
{
    struct http_request req;
    char *body = NULL, region[64] = "";
    CHECK(aws_events_receive_request("https://eu-west-1.queue.amazonaws.com/123456789012/q", &req,
                                     &body) == AWS_EVENTS_OK);
    CHECK_STR(req.url, "https://sqs.eu-west-1.amazonaws.com/");
    CHECK_CONTAINS(body, "eu-west-1.queue.amazonaws.com");   /* the queue keeps its URL */
    free(body);
    CHECK(aws_events_queue_region("https://queue.amazonaws.com/123456789012/q", region,
                                  sizeof(region)) == AWS_EVENTS_OK);
    CHECK_STR(region, "us-east-1");
}

static void test_queue_region_comes_from_the_host(void)
{
    char region[64] = "unset", small[4] = "";
    CHECK(aws_events_queue_region(QUEUE, region, sizeof(region)) == AWS_EVENTS_OK);
    CHECK_STR(region, "us-east-1");
    CHECK(aws_events_queue_region("https://sqs.cn-north-1.amazonaws.com.cn/1/q", region,
                                  sizeof(region)) == AWS_EVENTS_OK);
    CHECK_STR(region, "cn-north-1");
    CHECK(aws_events_queue_region("http://127.0.0.1:9324/1/q", region, sizeof(region)) ==
          AWS_EVENTS_E_INVALID);
    CHECK_STR(region, "cn-north-1");                         /* untouched on failure */
    CHECK(aws_events_queue_region(QUEUE, small, sizeof(small)) == AWS_EVENTS_E_TOO_BIG);
}

static void test_queue_url_without_scheme_host_or_queue_is_refused(void)
{
    const char *bad[] = {"sqs.us-east-1.amazonaws.com/123456789012/q",
                         "https://sqs.us-east-1.amazonaws.com", "https://sqs.us-east-1.amazonaws.com/",
                         "https:///123456789012/q", "https://sqs.us east.amazonaws.com/1/q", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_request req;
        char *body = NULL;
        CHECK(aws_events_receive_request(bad[i], &req, &body) == AWS_EVENTS_E_INVALID);
        CHECK(body == NULL);
    }
}

static void test_delete_batch_names_every_receipt_handle_once(void)
{
    struct aws_event ev[MAXEV];
    struct http_request req;
    char *body = NULL;
    int n = 0;
    json_t *b, *entries;
    memset(ev, 0, sizeof(ev));                   /* a missing file fails cleanly */
    memset(&req, 0, sizeof(req));
    CHECK(parse_file("receive_batch.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 4);
    CHECK(aws_events_delete_request(QUEUE, ev, n, &req, &body) == AWS_EVENTS_OK);
    CHECK_STR(header(&req, "X-Amz-Target"), "AmazonSQS.DeleteMessageBatch");
    CHECK_STR(header(&req, "Content-Type"), "application/x-amz-json-1.0");
    CHECK_STR(req.url, "https://sqs.us-east-1.amazonaws.com/");
    CHECK(req.body == body);
    b = json_loads(body ? body : "", 0, NULL);
    entries = json_object_get(b, "Entries");
    CHECK_STR(json_string_value(json_object_get(b, "QueueUrl")), QUEUE);
    CHECK(json_array_size(entries) == 4);
    for (int i = 0; i < 4 && i < (int)json_array_size(entries); i++) {
        json_t *e = json_array_get(entries, (size_t)i);
        char id[8];
        snprintf(id, sizeof(id), "m%d", i);
        CHECK_STR(json_string_value(json_object_get(e, "Id")), id);
        CHECK_STR(json_string_value(json_object_get(e, "ReceiptHandle")), ev[i].receipt_handle);
    }
    CHECK(strcmp(ev[0].receipt_handle, ev[1].receipt_handle) != 0);   /* the data differ */
    json_decref(b);
    free(body);
}

static void test_delete_batch_holds_one_to_ten_handles(void)
{
    struct aws_event ev[MAXEV + 1];
    struct http_request req;
    char *body = NULL;
    memset(ev, 0, sizeof(ev));
    for (int i = 0; i <= MAXEV; i++)
        snprintf(ev[i].receipt_handle, sizeof(ev[i].receipt_handle), "AQEBhandle%d", i);
    CHECK(aws_events_delete_request(QUEUE, ev, 0, &req, &body) == AWS_EVENTS_E_INVALID);
    CHECK(aws_events_delete_request(QUEUE, ev, MAXEV + 1, &req, &body) == AWS_EVENTS_E_INVALID);
    CHECK(body == NULL);
    CHECK(aws_events_delete_request(QUEUE, ev, MAXEV, &req, &body) == AWS_EVENTS_OK);
    CHECK_CONTAINS(body, "\"m9\"");
    free(body);
    body = NULL;
    ev[1].receipt_handle[0] = '\0';                          /* a handle never received */
    CHECK(aws_events_delete_request(QUEUE, ev, 2, &req, &body) == AWS_EVENTS_E_INVALID);
    CHECK(body == NULL);
}

/* ---- answers --------------------------------------------------------------------- */

static void test_approved_event_gives_agreement_request_and_status(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_batch.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 4);
    CHECK(ev[0].relevant == 1);
    CHECK_STR(ev[0].message_id, "5fea7756-0ea4-451a-a703-a558b933e274");
    CHECK(strncmp(ev[0].receipt_handle, "AQEB", 4) == 0 && strlen(ev[0].receipt_handle) == 260);
    CHECK_STR(ev[0].agreement_id, "agmt-1a2b3c4d5e6f7g8h9i0j");
    CHECK_STR(ev[0].request_id, "acr-752jqvg74yo7k4h56cakk6396");
    CHECK(ev[0].status == MSTATUS_APPROVED);
    CHECK_STR(ev[0].status_raw, "APPROVED");
    CHECK_STR(ev[0].detail_type, "Agreement Cancellation Request Approved - Proposer");
}

static void test_rejected_event_is_read_as_rejected(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_batch.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 4);
    CHECK(ev[1].relevant == 1);
    CHECK_STR(ev[1].agreement_id, "agmt-9z8y7x6w5v4u3t2s1r0q");
    CHECK_STR(ev[1].request_id, "acr-3kq8zr5vw2bn7yx4ht6dd1158");
    CHECK(ev[1].status == MSTATUS_REJECTED);
    CHECK_STR(ev[1].status_raw, "REJECTED");
}

static void test_unrelated_event_is_returned_for_deletion_but_not_relevant(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_batch.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 4);
    CHECK(ev[2].relevant == 0);
    CHECK_STR(ev[2].detail_type, "Purchase Agreement Created - Proposer");
    CHECK_STR(ev[2].message_id, "c4a0b7e2-9d13-4f6a-b8e1-55d0f3a9c7b2");
    CHECK(ev[2].receipt_handle[0] != '\0');
    CHECK(ev[2].agreement_id[0] == '\0' && ev[2].request_id[0] == '\0');
}

static void test_malformed_body_is_skipped_not_fatal(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_batch.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 4);
    CHECK(ev[3].relevant == 0);
    CHECK_STR(ev[3].message_id, "9b2f6d1e-3c4a-4b5d-8e6f-7a8b9c0d1e2f");
    CHECK(ev[3].receipt_handle[0] != '\0');
    CHECK(ev[3].detail_type[0] == '\0' && ev[3].agreement_id[0] == '\0');
}

static void test_empty_receive_is_no_messages(void)
{
    struct aws_event ev[MAXEV];
    char err[128] = "";
    int n = -1;
    CHECK(parse_file("receive_empty.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 0);
    n = -1;
    CHECK(aws_events_parse_receive("{\"Messages\":[]}", 15, ev, MAXEV, &n, err, sizeof(err)) ==
          AWS_EVENTS_OK && n == 0);
}

static void test_status_from_detail_type_when_status_code_missing(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_more.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 3);
    CHECK(ev[0].relevant == 1 && ev[0].status == MSTATUS_FAILED);
    CHECK_STR(ev[0].status_raw, "VALIDATION_FAILED");
    CHECK_STR(ev[0].request_id, "acr-77ffgg00hh11jj22kk33ll44");
    CHECK(ev[1].relevant == 1 && ev[1].status == MSTATUS_CANCELLED);   /* Acceptor copy */
    CHECK_STR(ev[1].status_raw, "CANCELLED");
}

static void test_event_from_another_source_is_not_relevant(void)
{
    struct aws_event ev[MAXEV];
    int n = 0;
    CHECK(parse_file("receive_more.json", ev, MAXEV, &n) == AWS_EVENTS_OK && n == 3);
    CHECK(ev[2].relevant == 0);                      /* "custom.not-aws", same detail */
    CHECK(ev[2].agreement_id[0] == '\0');
}

static void test_event_with_bad_ids_or_unknown_status_is_not_relevant(void)
{
    const char *src = "aws.agreement-marketplace", *ok_type =
        "Agreement Cancellation Request Approved - Proposer";
    struct {
        const char *type, *agmt, *acr, *code;
        int relevant;
    } cases[] = {
        {ok_type, "agmt-1a2b3c", "acr-752jqvg", "APPROVED", 1},          /* the control */
        {ok_type, "agmt 1a2b3c", "acr-752jqvg", "APPROVED", 0},          /* space in id */
        {ok_type, "agmt-1a2b3c", "752jqvg", "APPROVED", 0},              /* no acr- */
        {ok_type, "agmt-1a2b3c", "acr-", "APPROVED", 0},                 /* acr- alone */
        {ok_type, "agmt-1a2b3c", "acr-752jqvg", "APPROVED_LATER", 0},    /* unknown status */
        {"Agreement Cancellation Request Approved", "agmt-1a2b3c", "acr-752jqvg", "APPROVED", 0},
        {"Agreement Cancellation Request Shelved - Proposer", "agmt-1a2b3c", "acr-752jqvg",
         "APPROVED", 0},
        {ok_type, "agmt-0123456789012345678901234567890123456789012345678901234567890",
         "acr-752jqvg", "APPROVED", 0},                                  /* 65 characters */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct aws_event e;
        char *body = event_body(src, cases[i].type, cases[i].agmt, cases[i].acr, cases[i].code);
        memset(&e, 0x5A, sizeof(e));
        CHECK(parse_one(body, &e) == 0);
        if (e.relevant != cases[i].relevant)
            fprintf(stderr, "  case %zu\n", i);
        CHECK(e.relevant == cases[i].relevant);
        CHECK(cases[i].relevant || (e.agreement_id[0] == '\0' && e.status_raw[0] == '\0'));
        free(body);
    }
}

static void test_control_characters_in_detail_type_are_masked(void)
{
    struct aws_event e;
    char *body = event_body("aws.agreement-marketplace", "Evil\ntype\x1b[31m", "agmt-1",
                            "acr-1", "APPROVED");
    CHECK(parse_one(body, &e) == 0);
    CHECK(e.relevant == 0);
    CHECK_STR(e.detail_type, "Evil?type?[31m");
    free(body);
}

static void test_message_that_cannot_be_deleted_is_left_out(void)
{
    const char *json = "{\"Messages\":[{\"MessageId\":\"a\",\"Body\":\"{}\"},"
                       "{\"MessageId\":\"b\",\"ReceiptHandle\":\"AQEBb\",\"Body\":\"{}\"},"
                       "{\"ReceiptHandle\":\"AQEBc\",\"Body\":\"{}\"}]}";
    struct aws_event ev[MAXEV];
    char err[128];
    int n = -1;
    CHECK(aws_events_parse_receive(json, strlen(json), ev, MAXEV, &n, err, sizeof(err)) ==
          AWS_EVENTS_OK);
    CHECK(n == 1);
    CHECK_STR(ev[0].message_id, "b");
    CHECK_STR(ev[0].receipt_handle, "AQEBb");
}

static void test_messages_beyond_max_are_not_read(void)
{
    struct aws_event ev[2];
    int n = 0;
    CHECK(parse_file("receive_batch.json", ev, 2, &n) == AWS_EVENTS_OK && n == 2);
    CHECK(ev[1].status == MSTATUS_REJECTED);
}

static void test_answer_that_is_not_sqs_json_fails_with_reason(void)
{
    const char *bad[] = {"<ReceiveMessageResponse/>", "[]", "{\"Messages\":{}}",
                         "{\"Messages\":[{\"ReceiptHandle\":\"AQEBsecret\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct aws_event ev[MAXEV];
        char err[128] = "";
        int n = 77;
        CHECK(aws_events_parse_receive(bad[i], strlen(bad[i]), ev, MAXEV, &n, err, sizeof(err)) ==
              AWS_EVENTS_E_PARSE);
        CHECK(n == 77);                              /* untouched on failure */
        CHECK_CONTAINS(err, "ReceiveMessage answer");
        CHECK(strstr(err, "AQEB") == NULL);          /* never quotes the answer */
    }
}

/* SQS's JSON-protocol errors, as the poller logs and counts them. */
static void test_errors_are_named_as_sqs_names_them(void)
{
    struct http_response res;
    char code[72], detail[300];
    memset(&res, 0, sizeof(res));
    res.status = 403;
    res.body = "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\",\"message\":"
               "\"User: arn:aws:iam::123456789012:user/x is not authorized\\nto do it\"}";
    res.body_len = strlen(res.body);
    aws_events_error(&res, code, sizeof(code), detail, sizeof(detail));
    CHECK_STR(code, "AccessDenied");
    CHECK_STR(detail, "HTTP 403: User: arn:aws:iam::123456789012:user/x is not authorized to do it");
    res.status = 400;
    res.body = "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified "
               "queue does not exist.\"}";
    res.body_len = strlen(res.body);
    aws_events_error(&res, code, sizeof(code), detail, sizeof(detail));
    CHECK_STR(code, "QueueDoesNotExist");
    res.status = 500;
    res.body = "<html>oops</html>";
    res.body_len = strlen(res.body);
    aws_events_error(&res, code, sizeof(code), detail, sizeof(detail));
    CHECK_STR(code, "HTTP500");
    CHECK_STR(detail, "HTTP 500");
    memset(&res, 0, sizeof(res));
    res.transport = HTTP_E_TIMEOUT;
    snprintf(res.error, sizeof(res.error), "Operation timed out after 30000 milliseconds");
    aws_events_error(&res, code, sizeof(code), detail, sizeof(detail));
    CHECK_STR(code, "timeout");
    CHECK_CONTAINS(detail, "timed out");
}

int main(void)
{
    RUN(test_errors_are_named_as_sqs_names_them);
    RUN(test_receive_is_a_signable_twenty_second_long_poll_of_ten);
    RUN(test_legacy_queue_host_posts_to_the_regional_sqs_endpoint);
    RUN(test_queue_region_comes_from_the_host);
    RUN(test_queue_url_without_scheme_host_or_queue_is_refused);
    RUN(test_delete_batch_names_every_receipt_handle_once);
    RUN(test_delete_batch_holds_one_to_ten_handles);
    RUN(test_approved_event_gives_agreement_request_and_status);
    RUN(test_rejected_event_is_read_as_rejected);
    RUN(test_unrelated_event_is_returned_for_deletion_but_not_relevant);
    RUN(test_malformed_body_is_skipped_not_fatal);
    RUN(test_empty_receive_is_no_messages);
    RUN(test_status_from_detail_type_when_status_code_missing);
    RUN(test_event_from_another_source_is_not_relevant);
    RUN(test_event_with_bad_ids_or_unknown_status_is_not_relevant);
    RUN(test_control_characters_in_detail_type_are_masked);
    RUN(test_message_that_cannot_be_deleted_is_left_out);
    RUN(test_messages_beyond_max_are_not_read);
    RUN(test_answer_that_is_not_sqs_json_fails_with_reason);
    return check_summary();
}
