// SPDX-License-Identifier: MIT
// test_inflight.c -- unit tests for sq_inflight: outbox rows published by
// batch, moved to the deletion list only when every publish of their batch
// is confirmed, and all handed to the sweep when the confirms are lost.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sq_inflight.h"

static void test_pop_by_confirmed_tag(void **state)
{
	(void)state;
	sq_inflight f = { 0 };
	sq_buf sent = { 0 };

	assert_int_equal(sq_inflight_add(&f, 3, "7,8", 3), 0);  /* tags 1..3 */
	assert_int_equal(sq_inflight_add(&f, 4, "9", 1), 0);    /* tag 4 */
	assert_int_equal(sq_inflight_add(&f, 0, "", 0), 0);     /* nothing to confirm: no group */
	assert_int_equal(sq_inflight_add(&f, 6, "10,11", 5), 0); /* tags 5..6 */
	assert_int_equal(f.n, 3);
	assert_int_equal(sq_inflight_pop(&f, 2, &sent), 0); /* a group waits for its last publish */
	assert_int_equal(sent.len, 0);
	assert_int_equal(sq_inflight_pop(&f, 4, &sent), 2);
	assert_string_equal(sent.data, "7,8,9");
	assert_string_equal(f.ids.data, "10,11");
	assert_int_equal(f.n, 1);
	assert_int_equal(sq_inflight_add(&f, 8, "12", 2), 0);
	assert_int_equal(sq_inflight_pop(&f, 7, &sent), 1);
	assert_string_equal(sent.data, "7,8,9,10,11");
	assert_string_equal(f.ids.data, "12");
	assert_int_equal(sq_inflight_pop(&f, 8, &sent), 1);
	assert_string_equal(sent.data, "7,8,9,10,11,12");
	assert_int_equal(f.n, 0);
	assert_int_equal(f.ids.len, 0);
	assert_int_equal(sq_inflight_pop(&f, 100, &sent), 0);
	sq_inflight_free(&f);
	sq_buf_free(&sent);
}

static void test_drain_hands_everything_over(void **state)
{
	(void)state;
	sq_inflight f = { 0 };
	sq_buf left = { 0 };

	assert_int_equal(sq_buf_append_str(&left, "1"), 0);
	for (int i = 0; i < 40; i++) /* grows past its first allocation */
		assert_int_equal(sq_inflight_add(&f, (uint64_t)i + 1, "5", 1), 0);
	sq_inflight_drain(&f, &left);
	assert_int_equal(f.n, 0);
	assert_int_equal(left.len, 1 + 40 * 2);
	assert_memory_equal(left.data, "1,5,5", 5);
	sq_inflight_drain(&f, &left); /* nothing left: unchanged */
	assert_int_equal(left.len, 81);
	sq_inflight_free(&f);
	sq_buf_free(&left);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop_by_confirmed_tag),
		cmocka_unit_test(test_drain_hands_everything_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
