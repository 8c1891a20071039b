/* providers/aws_agreement.h -- the "aws" provider: struct provider_ops over the AWS
 * Marketplace Agreement API (awsJson1_0, SigV4 signing name "aws-marketplace").
 *
 *   lookup   DescribeAgreement                    one agreement by id
 *   search   SearchAgreements                     ACTIVE agreements of a buyer account
 *                                                 and/or offer, following nextToken
 *   submit   SendAgreementCancellationRequest     kind cancel: ref = acr-...
 *            BatchCreateBillingAdjustmentRequest  kind refund: one entry; ref = its id
 *   poll     GetAgreementCancellationRequest / GetBillingAdjustmentRequest
 *   withdraw CancelAgreementCancellationRequest   (refunds cannot be withdrawn)
 *
 * A look-up first learns, once per account, which AWS account the credentials belong
 * to (STS GetCallerIdentity at AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 * https://sts.<region>.amazonaws.com/; 5 s timeout) and then answers
 * PROVIDER_E_NOT_SELLER, with the sentence for the requester, for an agreement that
 * account bought or another seller proposed. If STS fails, the look-up is answered as
 * before and env.warn says so once; STS is asked again after 15 minutes.
 *
 * Config (provider_new's config_json, the policy's "aws" object; other keys such as
 * "buyer_link" are ignored): {"accounts": {"default": {"profile": "seller",
 * "region": "us-east-1"}, ...}}. Without accounts there is one, "default", on the
 * standard chain. Per account, at start-up: the region (the account's, else
 * AWS_REGION / the profile's / us-east-1), the endpoint (AWS_ENDPOINT_URL_MARKETPLACE_
 * AGREEMENT, else AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true;
 * else https://agreement-marketplace.<region>.amazonaws.com/) and the credentials
 * (aws_credentials_resolve with AWS_PROFILE set to the account's profile: environment
 * first, then the profile's files, then container credentials; web identity and
 * container credentials are fetched through env.http before the first call and again
 * when they near expiry). Several accounts may not share one identity from the
 * environment: start-up refuses that rather than sign every account as one seller.
 *
 * Needs env.http, env.defer and env.now_ms; env.defer_at for retries (without it a
 * throttled call fails at once). Every call answers through env.defer, never inside
 * the call, also when it is refused before anything is sent (PROVIDER_E_INVALID, the
 * field named). Throttling and 5xx are retried inside the provider with jittered
 * back-off for up to AWS_AGREEMENT_BUDGET_MS per API call; each exchange has a 15 s
 * timeout. A call in flight holds its provider: free the provider only once the
 * loop and the HTTP client have finished their callbacks (or been freed). */
#ifndef CANCELBOT_PROVIDERS_AWS_AGREEMENT_H
#define CANCELBOT_PROVIDERS_AWS_AGREEMENT_H

#include <stddef.h>
#include "providers/aws_credentials.h"
#include "providers/provider.h"

/* init reads the process environment (getenv). */
extern const struct provider_ops aws_agreement_provider_ops;

/* The same provider with the environment read through getenv_fn (tests, or a
 * runtime that keeps its own). getenv_ud must outlive the provider: credential
 * refreshes read it again. Unlike provider_new, a failure says why in err. */
struct provider *aws_agreement_provider_new(const struct provider_env *env,
                                            const char *config_json, aws_getenv_fn getenv_fn,
                                            void *getenv_ud, char *err, size_t errlen);

/* Checks the config's shape (accounts, profiles, regions) the way init reads it,
 * without the environment or credentials; 0 if fine, else -1 with err. */
int aws_agreement_check_config(const char *config_json, char *err, size_t errlen);

#endif
