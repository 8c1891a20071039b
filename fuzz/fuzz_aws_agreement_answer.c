/* fuzz/fuzz_aws_agreement_answer.c -- AWS Marketplace Agreement API answers on
 * arbitrary bytes: the body is read as the answer to every operation, with a success
 * and each error status the mapping tells apart, as AWS would send it (JSON or not).
 * Every outcome is a result whose strings end inside their buffers, a search never
 * collects more than PROVIDER_MAX_MATCHES across pages (the caller stops after
 * AWS_AGREEMENT_MAX_PAGES; AWS may send a next token forever), and a next page is
 * asked for only with a token. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_agreement_int.h"
#include "fuzz/fuzz_check.h"

static const long statuses[] = {200, 400, 403, 404, 409, 429, 500};

static void check_result(const struct provider_result *res)
{
    FUZZ_TERMINATED(res->message);
    FUZZ_TERMINATED(res->ref);
    FUZZ_TERMINATED(res->status_raw);
    if (res->n_matches < 0 || res->n_matches > PROVIDER_MAX_MATCHES)
        abort();
    for (int i = 0; i < res->n_matches; i++) {
        const struct agreement *ag = &res->matches[i];
        FUZZ_TERMINATED(ag->id);
        FUZZ_TERMINATED(ag->buyer_account);
        FUZZ_TERMINATED(ag->offer_id);
        FUZZ_TERMINATED(ag->product);
        FUZZ_TERMINATED(ag->status);
        FUZZ_TERMINATED(ag->start_date);
        FUZZ_TERMINATED(ag->end_date);
        FUZZ_TERMINATED(ag->currency);
    }
}

static void args_for(enum aws_op op, struct aws_args *a)
{
    memset(a, 0, sizeof(*a));
    a->op = op;
    strcpy(a->agreement_id, "agmt-1111111111111111111111111");
    strcpy(a->buyer_account, "111122223333");
    strcpy(a->ref, "acr-1111111111111111111111111");
    strcpy(a->reason_code, "INCORRECT_TERMS_ACCEPTED");
    strcpy(a->text, "fuzz");
    strcpy(a->client_token, "CR-1-token");
    strcpy(a->invoice_id, "inv-1");
    a->amount_cents = 100;
    strcpy(a->currency, "USD");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size);
    struct aws_who who = {"default", "environment", "444455556666"};
    struct provider_result *res = malloc(sizeof(*res));
    struct aws_args *a = malloc(sizeof(*a));
    struct http_response rsp;
    if (!res || !a)
        abort();
    for (int op = AWS_OP_DESCRIBE; op <= AWS_OP_GET_REFUND; op++) {
        for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
            enum aws_verdict v;
            int pages = 0;
            args_for((enum aws_op)op, a);
            memset(res, 0, sizeof(*res));
            fuzz_response(&rsp, statuses[s], body, size);
            /* The same page again and again, past the caller's page limit: the matches
             * collected across pages stay within PROVIDER_MAX_MATCHES. */
            do {
                v = aws_answer(a, &who, &rsp, res);
                check_result(res);
                if (v == AWS_NEXT_PAGE && !a->next_token[0])
                    abort();
            } while (v == AWS_NEXT_PAGE && ++pages < 2 * AWS_AGREEMENT_MAX_PAGES);
        }
    }
    free(a);
    free(res);
    free(body);
    return 0;
}
