/* Helpers shared by the Check suites: a scratch folder per test. */
#ifndef OG_TEST_H
#define OG_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Make /tmp/og-test-TAG-XXXXXX into dir (at least 64 bytes). */
static inline void og_test_mkdtemp(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/og-test-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Remove a folder made by og_test_mkdtemp and everything in it. */
static inline void og_test_rmtree(const char *dir)
{
    char cmd[600];
    ck_assert_int_lt(snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir), (int)sizeof cmd);
    ck_assert_int_eq(system(cmd), 0);
}

#endif
