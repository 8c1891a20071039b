/* tests/check.h -- the whole unit-test harness: CHECK records a failure with its
 * line and goes on, so one run shows every broken rule; RUN names each test;
 * check_summary() prints "N passed, N failed" and is main()'s exit status. */
#ifndef CANCELBOT_TESTS_CHECK_H
#define CANCELBOT_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_total, check_passed_total, check_current_failed;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,     \
                    #cond);                                                      \
            check_current_failed++;                                              \
        }                                                                        \
    } while (0)

#define CHECK_STR(got, want)                                                     \
    do {                                                                         \
        const char *check_g_ = (got), *check_w_ = (want);                        \
        if (!check_g_ || strcmp(check_g_, check_w_) != 0) {                      \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:  %s\n  want: %s\n", \
                    __FILE__, __LINE__, #got, check_g_ ? check_g_ : "(null)",    \
                    check_w_);                                                   \
            check_current_failed++;                                              \
        }                                                                        \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                              \
    do {                                                                         \
        const char *check_h_ = (hay), *check_n_ = (needle);                      \
        if (!check_h_ || !strstr(check_h_, check_n_)) {                          \
            fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: %s\n  in:   %s\n  want: %s\n", \
                    __FILE__, __LINE__, #hay, check_h_ ? check_h_ : "(null)",    \
                    check_n_);                                                   \
            check_current_failed++;                                              \
        }                                                                        \
    } while (0)

#define RUN(test)                                                                \
    do {                                                                         \
        check_current_failed = 0;                                                \
        test();                                                                  \
        if (check_current_failed) {                                              \
            fprintf(stderr, "FAIL %s\n", #test);                                 \
            check_failed_total++;                                                \
        } else {                                                                 \
            check_passed_total++;                                                \
        }                                                                        \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed_total, check_failed_total);
    return check_failed_total ? 1 : 0;
}

#endif
