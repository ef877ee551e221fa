// SPDX-License-Identifier: MIT
// test_metrics.c -- unit tests for the runtime's metric label sets
// (sq_metrics_labels): both shapes, and cut to the buffer.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sq_metrics.h"

static void test_labels(void **state)
{
	(void)state;
	char out[64];

	sq_metrics_labels(out, sizeof out, "shopq.orders", NULL, NULL);
	assert_string_equal(out, "queue=\"shopq.orders\"");
	sq_metrics_labels(out, sizeof out, "shopq.orders", "outcome", "dead_lettered");
	assert_string_equal(out, "queue=\"shopq.orders\",outcome=\"dead_lettered\"");
	sq_metrics_labels(out, 16, "shopq.orders", "outcome", "ok");
	assert_string_equal(out, "queue=\"shopq.or"); /* 15 bytes and the NUL */
	sq_metrics_labels(out, 1, "shopq.orders", NULL, NULL);
	assert_string_equal(out, "");
	memset(out, 'x', sizeof out);
	sq_metrics_labels(out, 0, "shopq.orders", NULL, NULL); /* writes nothing */
	assert_int_equal(out[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
