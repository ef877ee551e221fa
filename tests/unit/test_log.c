// SPDX-License-Identifier: MIT
// test_log.c -- secrets never reach a log line: passwords in AMQP URIs and
// libpq conninfo strings are masked; level names parse.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "sq_log.h"

static void test_mask(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "amqp://guest:s3cret@127.0.0.1:5672/%2f", "amqp://guest:***@127.0.0.1:5672/%2f" },
		{ "amqp://127.0.0.1:5672/", "amqp://127.0.0.1:5672/" },
		{ "host=db port=5432 user=shopq password=hunter2 dbname=shopq", "user=shopq password=*** dbname=shopq host=db port=5432" },
		{ "host=db password='it\\'s s3cret' dbname=x", "password=*** dbname=x host=db" },
		{ "host=db password=hunter2 'unbalanced", "host=db password=***" },
		{ "host=db user=shopq", "user=shopq host=db" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[256];
		sq_log_mask_secret(cases[i].in, out, sizeof out);
		assert_string_equal(out, cases[i].want);
		assert_null(strstr(out, "s3cret"));
		assert_null(strstr(out, "hunter2"));
	}
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(sq_log_level_parse("debug"), SQ_LOG_DEBUG);
	assert_int_equal(sq_log_level_parse("ERROR"), SQ_LOG_ERR);
	assert_int_equal(sq_log_level_parse("loud"), -1);
	assert_int_equal(sq_log_level_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
