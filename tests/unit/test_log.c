// SPDX-License-Identifier: MIT
// test_log.c -- secrets never reach a log line: passwords in AMQP URIs and
// libpq conninfo strings are masked; level names parse; held lines are
// written together on release, or dropped.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

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

/* What reached stderr (a temporary file) so far. */
static size_t written(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void test_hold(void **state)
{
	(void)state;
	static char buf[65536];
	char path[] = "/tmp/test_log_XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);

	assert_true(fd >= 0);
	assert_true(saved >= 0);
	unlink(path);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	sq_log_set_ident("t");
	sq_log_info("plain");
	assert_non_null(strstr((written(fd, buf, sizeof buf), buf), "plain"));
	sq_log_hold();
	sq_log_info("kept one");
	sq_log_warn("kept two");
	assert_null(strstr((written(fd, buf, sizeof buf), buf), "kept"));
	sq_log_release(1);
	written(fd, buf, sizeof buf);
	assert_non_null(strstr(buf, "t["));
	assert_non_null(strstr(buf, "]: kept one\n<4>t["));
	assert_non_null(strstr(buf, "]: kept two\n"));
	sq_log_hold();
	sq_log_info("dropped");
	sq_log_release(0);
	sq_log_info("after");
	written(fd, buf, sizeof buf);
	assert_null(strstr(buf, "dropped"));
	assert_non_null(strstr(buf, "after"));
	/* more than the hold keeps: the oldest are written early, none is lost */
	size_t before = written(fd, buf, sizeof buf);
	sq_log_hold();
	for (int i = 0; i < 400; i++)
		sq_log_info("line %03d %0100d", i, 0);
	size_t early = written(fd, buf, sizeof buf);
	assert_true(early > before);
	sq_log_release(1);
	written(fd, buf, sizeof buf);
	assert_non_null(strstr(buf, "line 000 "));
	assert_non_null(strstr(buf, "line 399 "));
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_hold),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
