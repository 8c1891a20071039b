/* store/request_json.h -- struct request <-> JSON, the form a request is stored in
 * (the requests.data column) and exported in. Enums are written by name and times
 * as integer ms, so a row stays readable by people and by later versions: a key
 * this version does not know is ignored, a missing key reads as zero, so rows
 * written before a field was added still load. */
#ifndef CANCELBOT_STORE_REQUEST_JSON_H
#define CANCELBOT_STORE_REQUEST_JSON_H

#include <jansson.h>
#include "approvals/request.h"

/* New reference; NULL only when memory ran out. Text that is not valid UTF-8 (a
 * multi-byte character cut by a fixed buffer) is stored with '?' for the bad bytes. */
json_t *request_json_encode(const struct request *rq);

/* 0, or -1 when obj is not a request: not an object, a value of the wrong type, an
 * unknown enum name, a number out of range, too many approvals. Then *bad_field
 * (when bad_field is non-NULL) names the offending key, a static string safe to
 * log, and *out is untouched. */
int request_json_decode(const json_t *obj, struct request *out, const char **bad_field);

/* The compact text of request_json_encode; caller frees with free(). NULL: no memory. */
char *request_json_dumps(const struct request *rq);
/* Parses text and decodes it; -1 on bad JSON too (*bad_field is then "(document)"). */
int request_json_loads(const char *text, struct request *out, const char **bad_field);

/* A JSON string from C text, invalid UTF-8 replaced as above; NULL: no memory. */
json_t *request_json_string(const char *s);

#endif
