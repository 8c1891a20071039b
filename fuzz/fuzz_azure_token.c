/* fuzz/fuzz_azure_token.c -- Azure AD (Entra ID) token answers on arbitrary bytes,
 * v1 (numbers as strings) and v2 alike, with a success and each refusal status: a
 * token is taken only when it fits an Authorization header and comes with an expiry
 * (expires_in is relative to the bot's clock, and no number of seconds may overflow
 * it), and a refusal always says why and takes no token. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/azure_token.h"
#include "providers/provider.h"
#include "fuzz/fuzz_check.h"

static const long statuses[] = {200, 400, 401, 429, 500};
#define NOW_MS 1700000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size), why[512];
    struct azure_tenant *t = malloc(sizeof(*t));
    struct http_response rsp;
    if (!t)
        abort();
    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        int rc;
        memset(t, 0, sizeof(*t));
        strcpy(t->name, "default");
        strcpy(t->refresh_token, "old-refresh");
        why[0] = '\0';
        fuzz_response(&rsp, statuses[s], body, size);
        rc = azure_token_parse(t, &rsp, NOW_MS, why, sizeof(why));
        FUZZ_TERMINATED(t->access_token);
        FUZZ_TERMINATED(t->refresh_token);
        if (rc == PROVIDER_OK && (!t->access_token[0] || t->expires_ms <= 0))
            abort();
        if (rc != PROVIDER_OK && (!why[0] || t->access_token[0]))
            abort();
    }
    free(t);
    free(body);
    return 0;
}
