// SPDX-License-Identifier: MIT
// test_retry.c -- the retry schedule and reconnect backoff, as plain functions.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sq_retry.h"

static void test_tiers(void **state)
{
	(void)state;
	sq_retry_policy p = { { 1, 5, 30 }, 3 };
	assert_int_equal(sq_retry_max_attempts(&p), 4);
	assert_int_equal(sq_retry_tier(&p, 1), 0);
	assert_int_equal(sq_retry_tier(&p, 2), 1);
	assert_int_equal(sq_retry_tier(&p, 3), 2);
	assert_int_equal(sq_retry_tier(&p, 4), -1); /* the last attempt failed: dead-letter */
	assert_int_equal(sq_retry_tier(&p, 0), -1);
	assert_int_equal(sq_retry_span_s(&p), 36);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(sq_backoff_ms(0, 200, 30000, 1.0), 200);
	assert_int_equal(sq_backoff_ms(0, 200, 30000, 0.0), 100);
	assert_int_equal(sq_backoff_ms(3, 200, 30000, 1.0), 1600);
	assert_int_equal(sq_backoff_ms(30, 200, 30000, 1.0), 30000); /* capped, no overflow */
	assert_int_equal(sq_backoff_ms(1000, 200, 30000, 0.0), 15000);
	for (int n = 0; n < 20; n++) {
		long d = sq_backoff_ms(n, 200, 30000, 0.37);
		assert_true(d >= 100 && d <= 30000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
