/* providers/http.c -- small helpers on the HTTP exchange types. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "providers/http.h"
#include "approvals/request.h"

int http_request_add_header(struct http_request *req, const char *name, const char *value)
{
    struct http_header *h;
    if (req->n_headers >= HTTP_MAX_HEADERS || strlen(name) >= sizeof(h->name) ||
        strlen(value) >= sizeof(h->value))
        return -1;
    h = &req->headers[req->n_headers++];
    request_copy_str(h->name, sizeof(h->name), name);
    request_copy_str(h->value, sizeof(h->value), value);
    return 0;
}

const char *http_response_header(const struct http_response *res, const char *name)
{
    for (int i = 0; i < res->n_headers; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

int64_t http_retry_after_ms(const struct http_response *res)
{
    const char *v = http_response_header(res, "Retry-After");
    char *end;
    long long secs;
    if (!v)
        return -1;
    secs = strtoll(v, &end, 10);
    if (end == v || secs < 0 || secs > 86400)
        return -1;
    return secs * 1000;
}
