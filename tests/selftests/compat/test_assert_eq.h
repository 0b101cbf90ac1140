/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every selftest compile by tests/selftests/build.sh.
 *
 * Debian's linux-source-6.1 carries a stable backport of dirty_log_test.c
 * that checks its semaphores with TEST_ASSERT_EQ(), but the 6.1 test_util.h
 * it is built against has no such macro (it came with a later release), so
 * the test does not link. Supply an equivalent: fail the test, printing both
 * expressions and their values, when the two differ. It expands to
 * TEST_ASSERT(), which test_util.h defines by the time the macro is used.
 */
#ifndef RVKVM_SELFTEST_COMPAT_TEST_ASSERT_EQ_H
#define RVKVM_SELFTEST_COMPAT_TEST_ASSERT_EQ_H

#ifndef TEST_ASSERT_EQ
#define TEST_ASSERT_EQ(left, right)					\
do {									\
	unsigned long long __l = (unsigned long long)(left);		\
	unsigned long long __r = (unsigned long long)(right);		\
									\
	TEST_ASSERT(__l == __r, "%s == %s: 0x%llx != 0x%llx",		\
		    #left, #right, __l, __r);				\
} while (0)
#endif

#endif
