/* fuzz/fuzz_aws_sts.c -- AWS STS answers (XML) on arbitrary bytes, through the small
 * XML reader and what is read with it: GetCallerIdentity's account, the web-identity
 * credentials and an <Error>'s code. The reader never looks outside the document,
 * an element it finds lies inside what it searched, an account is 12 digits and
 * credentials are taken only whole and with no space or control character. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_credentials.h"
#include "providers/aws_sts.h"
#include "fuzz/fuzz_check.h"

static const char *const names[] = {"Account", "Credentials", "AccessKeyId", "Error", "Code",
                                    "GetCallerIdentityResult", "Expiration"};

static void check_find(const char *body, size_t size)
{
    const char *end = body + size, *in, *in_end;
    char text[256];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (aws_xml_find(body, end, names[i], &in, &in_end) != 0)
            continue;
        if (in < body || in_end > end || in > in_end)
            abort();
        if (aws_xml_text(in, in_end, text, sizeof(text)) == 0)
            FUZZ_TERMINATED(text);
    }
}

static void check_credentials(const struct aws_credentials *c)
{
    FUZZ_TERMINATED(c->access_key_id);
    FUZZ_TERMINATED(c->secret_access_key);
    FUZZ_TERMINATED(c->session_token);
    if (!c->access_key_id[0] || !c->secret_access_key[0])
        abort();
    for (const char *p = c->session_token; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_text(data, size), account[AWS_ACCOUNT_ID_MAX], code[64], err[512];
    struct aws_credentials *c = malloc(sizeof(*c));
    if (!c)
        abort();
    check_find(body, size);
    if (aws_sts_error_code(body, size, code, sizeof(code)) == 0)
        FUZZ_TERMINATED(code);
    for (long status = 200; status <= 403; status += 203) {
        err[0] = '\0';
        if (aws_caller_identity_parse(status, body, size, account, err, sizeof(err)) == 0) {
            if (strlen(account) != 12)
                abort();
            for (int i = 0; i < 12; i++)
                if (!isdigit((unsigned char)account[i]))
                    abort();
        } else if (!err[0]) {
            abort();
        }
    }
    err[0] = '\0';
    if (aws_web_identity_parse(body, size, c, err, sizeof(err)) == AWS_CRED_OK)
        check_credentials(c);
    else if (!err[0])
        abort();
    free(c);
    free(body);
    return 0;
}
