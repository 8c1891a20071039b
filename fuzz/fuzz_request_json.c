/* fuzz/fuzz_request_json.c -- a stored request row on arbitrary bytes: decoding is
 * either refused with the bad field named, or round-trips through the encoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/request_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct request *rq = malloc(sizeof(*rq)), *again = malloc(sizeof(*again));
    const char *bad = NULL;
    if (text && rq && again) {
        memcpy(text, data, size);
        text[size] = '\0';
        if (request_json_loads(text, rq, &bad) == 0) {
            json_t *enc = request_json_encode(rq);
            if (!enc || request_json_decode(enc, again, &bad) != 0)
                abort();
            json_decref(enc);
        }
    }
    free(text);
    free(rq);
    free(again);
    return 0;
}
