/* fuzz/fuzz_azure_answer.c -- Partner Center answers on arbitrary bytes: an
 * entitlement GET and a cancel POST with a success and each error status, the
 * subscription a suspend reads (and the PATCH built from it) and the PATCH's answer.
 * Every outcome is a result whose strings end inside their buffers; a PATCH body,
 * when one is built, is a JSON object whose status is "suspended". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "providers/azure.h"
#include "fuzz/fuzz_check.h"

static const long statuses[] = {200, 202, 400, 401, 403, 404, 409, 412};

static void check_result(const struct provider_result *out)
{
    FUZZ_TERMINATED(out->message);
    FUZZ_TERMINATED(out->ref);
    FUZZ_TERMINATED(out->status_raw);
    if (out->n_matches < 0 || out->n_matches > 1)
        abort();
    if (out->n_matches) {
        FUZZ_TERMINATED(out->matches[0].id);
        FUZZ_TERMINATED(out->matches[0].product);
        FUZZ_TERMINATED(out->matches[0].status);
        FUZZ_TERMINATED(out->matches[0].subscription_id);
    }
}

/* The PATCH of a suspend: the subscription as read, status "suspended". */
static void check_suspend_body(const char *body)
{
    json_t *root = json_loads(body, 0, NULL), *status = NULL;
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        abort();
    json_object_foreach(root, key, v)
        if (!strcasecmp(key, "status") && json_is_string(v) &&
            !strcmp(json_string_value(v), "suspended"))
            status = v;
    if (!status)
        abort();
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size), *patch = NULL, err[512];
    struct provider_target t;
    struct provider_result *out = malloc(sizeof(*out));
    struct http_request *req = malloc(sizeof(*req));
    struct http_response rsp;
    if (!out || !req)
        abort();
    memset(&t, 0, sizeof(t));
    strcpy(t.customer_id, "0c39d6d5-c70d-4c55-bc02-f620844f3fd1");
    strcpy(t.subscription_id, "sub-1");
    strcpy(t.entitlement_id, "ent-1");
    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        fuzz_response(&rsp, statuses[s], body, size);
        azure_parse_answer(AZURE_ANSWER_ENTITLEMENT, &rsp, "default", &t,
                           "00000000-0000-4000-8000-000000000000", out);
        check_result(out);
        azure_parse_answer(AZURE_ANSWER_CANCEL, &rsp, "default", &t,
                           "00000000-0000-4000-8000-000000000000", out);
        check_result(out);
        azure_parse_suspend(&rsp, &t, out);
        check_result(out);
    }
    if (azure_build_suspend("https://api.partnercenter.microsoft.com", &t, body, size, "token",
                            "00000000-0000-4000-8000-000000000001",
                            "00000000-0000-4000-8000-000000000002", req, &patch, err,
                            sizeof(err)) == 0) {
        check_suspend_body(patch);
        free(patch);
    } else {
        FUZZ_TERMINATED(err);
        if (!err[0])
            abort();
    }
    free(req);
    free(out);
    free(body);
    return 0;
}
