/* fuzz/fuzz_check.h -- what the harnesses share: the input as a C string, an HTTP
 * answer made of it, and the checks that turn a broken promise of a parser into a
 * crash libFuzzer reports (abort), since a quiet wrong answer is not one. */
#ifndef CANCELBOT_FUZZ_CHECK_H
#define CANCELBOT_FUZZ_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (parsers that take C strings); caller frees. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Every string a parser fills must end inside its buffer. */
static inline void fuzz_check_terminated(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}
#define FUZZ_TERMINATED(field) fuzz_check_terminated((field), sizeof(field))

/* An answer that arrived with this status and body (body NUL-terminated, as the HTTP
 * client delivers it). */
static inline void fuzz_response(struct http_response *r, long status, const char *body,
                                 size_t len)
{
    memset(r, 0, sizeof(*r));
    r->transport = HTTP_OK;
    r->status = status;
    r->body = body;
    r->body_len = len;
}

#endif
