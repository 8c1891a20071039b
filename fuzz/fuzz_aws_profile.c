/* fuzz/fuzz_aws_profile.c -- the AWS shared credentials and config files on arbitrary
 * bytes (the part before the first NUL byte is the credentials file, the rest the
 * config file), read for the default profile and a named one, then turned into
 * credentials as the chain would: a malformed line is refused with its file and line,
 * values come out trimmed, and credentials are taken only whole. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "providers/aws_profile.h"
#include "fuzz/fuzz_check.h"

static void check_profile(const struct aws_profile *p)
{
    for (int k = 0; k < AWS_PROFILE_NKEYS; k++) {
        const char *v = p->val[k];
        size_t n;
        if (!v)
            continue;
        n = strlen(v);
        if (p->line[k] <= 0 || (n && (isspace((unsigned char)v[0]) ||
                                      isspace((unsigned char)v[n - 1]))))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const profiles[] = {"default", "dev"};
    const uint8_t *nul = memchr(data, '\0', size);
    size_t clen = nul ? (size_t)(nul - data) : size;
    const char *config = nul ? (const char *)nul + 1 : "";
    size_t flen = nul ? size - clen - 1 : 0;
    struct aws_credentials *c = malloc(sizeof(*c));
    char err[1024];
    if (!c)
        abort();
    for (int i = 0; i < 2; i++) {
        struct aws_profile pc = {0}, pf = {0};
        int rc;
        err[0] = '\0';
        rc = aws_profile_read_text(&pc, (const char *)data, clen, "credentials", 0,
                                   profiles[i], err, sizeof(err));
        if (rc == AWS_CRED_OK)
            rc = aws_profile_read_text(&pf, config, flen, "config", 1, profiles[i], err,
                                       sizeof(err));
        if (rc == AWS_CRED_OK) {
            check_profile(&pc);
            check_profile(&pf);
            rc = aws_credentials_from_profiles(&pc, &pf, profiles[i], i, c, err, sizeof(err));
            if (rc == AWS_CRED_OK && (!c->access_key_id[0] || !c->secret_access_key[0]))
                abort();
        }
        if (rc != AWS_CRED_OK && !err[0])
            abort();
        aws_profile_fini(&pc);
        aws_profile_fini(&pf);
    }
    free(c);
    return 0;
}
