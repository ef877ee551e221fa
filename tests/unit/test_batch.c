// SPDX-License-Identifier: MIT
// test_batch.c -- the batching rule: how long a batch waits for its next delivery.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sq_batch.h"

static void test_lone_delivery_waits_for_nothing(void **state)
{
	(void)state;
	assert_int_equal(sq_batch_wait_us(1, 0, 0, 2000), 0);
	assert_int_equal(sq_batch_wait_us(1, 5000, 0, 2000), 0);
}

static void test_stream_waits_until_its_linger(void **state)
{
	(void)state;
	assert_int_equal(sq_batch_wait_us(2, 0, 0, 2000), 2000);
	assert_int_equal(sq_batch_wait_us(2, 500, 0, 2000), 1500); /* from the first, not from the last */
	assert_int_equal(sq_batch_wait_us(40, 1999, 0, 2000), 1);
	assert_int_equal(sq_batch_wait_us(40, 2000, 0, 2000), 0); /* never held longer, however steady the stream */
	assert_int_equal(sq_batch_wait_us(40, 900000, 0, 2000), 0);
	assert_int_equal(sq_batch_wait_us(2, 0, 0, 0), 0); /* off: what is ready */
}

static void test_linger_from_the_first(void **state)
{
	(void)state;
	assert_int_equal(sq_batch_wait_us(1, 0, 3000, 0), 3000);
	assert_int_equal(sq_batch_wait_us(1, 1000, 3000, 2000), 2000); /* the rest of the linger, lone or not */
	assert_int_equal(sq_batch_wait_us(2, 500, 3000, 2000), 2500);  /* the longer of the two */
	assert_int_equal(sq_batch_wait_us(2, 500, 1000, 2000), 1500);
	assert_int_equal(sq_batch_wait_us(1, 4000, 3000, 2000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lone_delivery_waits_for_nothing),
		cmocka_unit_test(test_stream_waits_until_its_linger),
		cmocka_unit_test(test_linger_from_the_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
