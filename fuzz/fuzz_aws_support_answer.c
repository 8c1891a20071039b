/* fuzz/fuzz_aws_support_answer.c -- AWS Support CreateCase / DescribeCases answers on
 * arbitrary bytes, with a success and each error status: every outcome is a result
 * whose strings end inside their buffers, a successful create names its case, and
 * only throttling and 5xx ask for a resend (a resent CreateCase opens another case). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_support.h"
#include "fuzz/fuzz_check.h"

static const long statuses[] = {200, 400, 403, 404, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size);
    struct aws_support_case_input *in = calloc(1, sizeof(*in));
    struct aws_support_result r;
    struct http_response rsp;
    if (!in)
        abort();
    strcpy(in->agreement_id, "agmt-1111111111111111111111111");
    strcpy(in->request_id, "CR-7");
    strcpy(in->reason, "fuzz");
    for (int create = 0; create <= 1; create++) {
        struct aws_support_asked q = {create, in, "case-111122223333-muen-2024-1", "default",
                                      "environment"};
        for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
            enum aws_support_next v;
            fuzz_response(&rsp, statuses[s], body, size);
            v = aws_support_read_answer(&q, &rsp, &r);
            FUZZ_TERMINATED(r.case_id);
            FUZZ_TERMINATED(r.display_id);
            FUZZ_TERMINATED(r.status_raw);
            FUZZ_TERMINATED(r.message);
            if (r.rc == AWS_SUPPORT_OK && !r.case_id[0])
                abort();
            if (v == AWS_SUPPORT_NEXT_RETRY && r.rc != AWS_SUPPORT_E_THROTTLED &&
                r.rc != AWS_SUPPORT_E_UNAVAILABLE)
                abort();
        }
    }
    free(in);
    free(body);
    return 0;
}
