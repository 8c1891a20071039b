/* fuzz/fuzz_aws_events.c -- SQS ReceiveMessage answers (EventBridge events of AWS
 * Marketplace inside) on arbitrary bytes: refused with the place named, or at most
 * max messages, each with the id and receipt handle DeleteMessageBatch needs, every
 * string ending inside its buffer; a delete request can be built for what was read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_events.h"
#include "fuzz/fuzz_check.h"

#define MAX_EVENTS 10
#define QUEUE "https://sqs.us-east-1.amazonaws.com/111122223333/cancelbot-events"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct aws_event *ev = calloc(MAX_EVENTS, sizeof(*ev));
    struct http_request *req = malloc(sizeof(*req));
    char err[512], *body = NULL;
    int n = -1;
    if (!ev || !req)
        abort();
    err[0] = '\0';
    if (aws_events_parse_receive((const char *)data, size, ev, MAX_EVENTS, &n, err,
                                 sizeof(err)) != 0) {
        if (!err[0])
            abort();
    } else {
        if (n < 0 || n > MAX_EVENTS)
            abort();
        for (int i = 0; i < n; i++) {
            FUZZ_TERMINATED(ev[i].message_id);
            FUZZ_TERMINATED(ev[i].receipt_handle);
            FUZZ_TERMINATED(ev[i].agreement_id);
            FUZZ_TERMINATED(ev[i].request_id);
            FUZZ_TERMINATED(ev[i].status_raw);
            FUZZ_TERMINATED(ev[i].detail_type);
            if (!ev[i].message_id[0] || !ev[i].receipt_handle[0])
                abort();
        }
        if (n > 0) {
            if (aws_events_delete_request(QUEUE, ev, n, req, &body) != 0)
                abort();
            free(body);
        }
    }
    free(req);
    free(ev);
    return 0;
}
