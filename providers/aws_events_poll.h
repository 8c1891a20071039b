/* providers/aws_events_poll.h -- the optional fast path for AWS status changes: long-
 * poll the SQS queue that the seller routes AWS Marketplace's EventBridge events to,
 * hand each cancellation-request status change to the runtime, delete what was read.
 * Polling the Agreement API stays on: an event only makes the answer come sooner. */
#ifndef CANCELBOT_PROVIDERS_AWS_EVENTS_POLL_H
#define CANCELBOT_PROVIDERS_AWS_EVENTS_POLL_H

#include <stddef.h>
#include "providers/aws_credentials.h"
#include "providers/aws_events.h"
#include "providers/provider.h"

struct aws_events_poller;

typedef void (*aws_events_cb)(void *ud, const struct aws_event *ev);

/* config_json: the "aws" provider's accounts ({"accounts": {...}}); the queue is read
 * with the first account's credentials, which must come from the environment or the
 * shared files. getenv_fn NULL: the process environment. NULL with err on failure. */
struct aws_events_poller *aws_events_poller_new(const struct provider_env *env,
                                                const char *config_json,
                                                const char *queue_url, aws_getenv_fn getenv_fn,
                                                void *getenv_ud, aws_events_cb cb, void *ud,
                                                char *err, size_t errlen);
/* Starts the long poll; it goes on until the poller is stopped. */
void aws_events_poller_start(struct aws_events_poller *p);
/* No new receive after this; an answer in flight is dropped when it lands. */
void aws_events_poller_stop(struct aws_events_poller *p);
/* Only after the HTTP client has answered (or dropped) every call of the poller. */
void aws_events_poller_free(struct aws_events_poller *p);

#endif
