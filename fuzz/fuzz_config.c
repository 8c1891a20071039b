/* fuzz/fuzz_config.c -- the policy-file loader on arbitrary bytes: every outcome is
 * CONFIG_OK or a report of problems; nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bot/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct policy *pol = malloc(sizeof(*pol));
    struct config_report *report = calloc(1, sizeof(*report));
    if (text && pol && report) {
        memcpy(text, data, size);
        text[size] = '\0';
        if (config_load_policy_text(text, pol, report) != CONFIG_OK && report->n == 0)
            abort();
    }
    free(text);
    free(pol);
    free(report);
    return 0;
}
