/* providers/aws_sts.h -- what the "aws" provider reads from AWS STS (the Query API,
 * answers in XML): a small reader for the one document shape STS sends, the error
 * code of an <ErrorResponse>, and GetCallerIdentity, which says which AWS account
 * the seller credentials belong to. STS documents that GetCallerIdentity needs no
 * IAM permission (an explicit deny does not stop it either), so asking costs the
 * operator nothing to set up.
 *
 * Pure: no I/O, clock or environment. The caller signs the request (SigV4, service
 * "sts", the account's region) and sends it. */
#ifndef CANCELBOT_PROVIDERS_AWS_STS_H
#define CANCELBOT_PROVIDERS_AWS_STS_H

#include <stddef.h>

#define AWS_STS_SIGNING_NAME "sts"
#define AWS_STS_IDENTITY_BODY "Action=GetCallerIdentity&Version=2011-06-15"
#define AWS_STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define AWS_ACCOUNT_ID_MAX 13        /* 12 digits and the NUL */

/* The content of the first element `name` in [p, end): 0 and [*in, *in_end), else
 * -1. Names match whole ("Token" is not "TokenType"); comments, CDATA, declarations
 * and processing instructions are stepped over; a '>' inside a quoted attribute does
 * not end a tag; nested elements of the same name are counted. Enough XML for the
 * documents STS sends, not a general parser. */
int aws_xml_find(const char *p, const char *end, const char *name, const char **in,
                 const char **in_end);

/* An element's text: entities and (ASCII) character references decoded, CDATA
 * copied, comments dropped, surrounding blanks trimmed. -1 when it holds an element
 * or an unknown entity, or does not fit in cap bytes with its NUL. */
int aws_xml_text(const char *p, const char *end, char *out, size_t cap);

/* The Code of an STS <Error>, when it is word-like (letters, digits, '.'); 0, else -1.
 * Only the code: the Message may echo what was sent. */
int aws_sts_error_code(const char *body, size_t len, char *out, size_t cap);

/* The account id in a GetCallerIdentity answer (.../GetCallerIdentityResult/Account,
 * 12 digits) into out (AWS_ACCOUNT_ID_MAX bytes): 0, or -1 with err saying what was
 * wrong (the HTTP status and STS's error code, never its message). */
int aws_caller_identity_parse(long status, const char *body, size_t len, char *out,
                              char *err, size_t errlen);

#endif
