// SPDX-License-Identifier: MIT
// test_buf.c -- unit tests for sq_buf: appends, reset, and the PostgreSQL
// array literals the runtime sends its batch statements with.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sq_buf.h"

static void test_append_and_reset(void **state)
{
	(void)state;
	sq_buf b = { 0 };
	assert_int_equal(sq_buf_append_str(&b, "abc"), 0);
	assert_int_equal(sq_buf_append(&b, "defgh", 2), 0);
	assert_string_equal(b.data, "abcde");
	assert_int_equal(b.len, 5);
	sq_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	for (int i = 0; i < 1000; i++) /* grows past its first allocation */
		assert_int_equal(sq_buf_append_str(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(sq_buf_append_str(&b, NULL), -1);
	sq_buf_free(&b);
	assert_null(b.data);
}

static void test_oom_sticks(void **state)
{
	(void)state;
	sq_buf b = { 0 };
	b.oom = 1; /* as after a failed allocation: later appends do nothing */
	assert_int_equal(sq_buf_append_str(&b, "x"), -1);
	assert_int_equal(b.len, 0);
	sq_buf_reset(&b);
	assert_int_equal(sq_buf_append_str(&b, "x"), 0);
	sq_buf_free(&b);
}

static void test_array_literal(void **state)
{
	(void)state;
	sq_buf b = { 0 };
	assert_string_equal(sq_buf_array_close(&b), "{}");
	sq_buf_free(&b);
	sq_buf_array_add(&b, "plain");
	sq_buf_array_add(&b, "{\"json\":\"with \\\\ and \\\"quotes\\\"\"}");
	sq_buf_array_add(&b, "");
	sq_buf_array_add(&b, "a,b} c");
	assert_string_equal(sq_buf_array_close(&b),
			    "{\"plain\",\"{\\\"json\\\":\\\"with \\\\\\\\ and \\\\\\\"quotes\\\\\\\"\\\"}\",\"\",\"a,b} c\"}");
	sq_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_reset),
		cmocka_unit_test(test_oom_sticks),
		cmocka_unit_test(test_array_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
