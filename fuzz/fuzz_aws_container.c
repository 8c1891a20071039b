/* fuzz/fuzz_aws_container.c -- the container credential agent's JSON (ECS / EKS) on
 * arbitrary bytes (its Expiration through the ISO 8601 reader): refused with a
 * sentence, or credentials taken whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_credentials.h"
#include "fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size), err[512] = "";
    struct aws_credentials *c = malloc(sizeof(*c));
    if (!c)
        abort();
    if (aws_container_parse(body, size, c, err, sizeof(err)) == AWS_CRED_OK) {
        FUZZ_TERMINATED(c->access_key_id);
        FUZZ_TERMINATED(c->secret_access_key);
        FUZZ_TERMINATED(c->session_token);
        if (!c->access_key_id[0] || !c->secret_access_key[0])
            abort();
    } else if (!err[0]) {
        abort();
    }
    free(c);
    free(body);
    return 0;
}
