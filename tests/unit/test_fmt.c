// SPDX-License-Identifier: MIT
// test_fmt.c -- unit tests for sq_fmt (decimal and hex by hand) and the UUIDs
// written with it.
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sq_fmt.h"
#include "sq_uuid.h"

static void test_decimal(void **state)
{
	(void)state;
	const long long cases[] = { 0, 7, -7, 10, 99, 100, -100, 1234567890123LL, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1 };
	char got[SQ_FMT_LL_MAX], want[32];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(want, sizeof want, "%lld", cases[i]);
		assert_int_equal(sq_fmt_ll(got, cases[i]), strlen(want));
		assert_string_equal(got, want);
	}
	for (long long v = -100000; v <= 100000; v += 7) { /* every digit count and carry */
		snprintf(want, sizeof want, "%lld", v);
		sq_fmt_ll(got, v);
		assert_string_equal(got, want);
	}
}

static void test_hex(void **state)
{
	(void)state;
	const unsigned char in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof in + 1];

	memset(out, 'x', sizeof out);
	sq_fmt_hex(out, in, sizeof in);
	assert_string_equal(out, "00017f80abff");
	sq_fmt_hex(out, in, 0);
	assert_string_equal(out, "");
}

static void test_uuid(void **state)
{
	(void)state;
	char a[37], b[37];

	for (int i = 0; i < 1000; i++) { /* more than one pool refill */
		assert_int_equal(sq_uuid_v4(a), 0);
		assert_int_equal(strlen(a), 36);
		assert_true(sq_uuid_valid(a));
		assert_int_equal(a[14], '4');                     /* version 4 */
		assert_non_null(strchr("89ab", a[19]));           /* RFC 4122 variant */
		for (const char *c = a; *c; c++)                  /* lower case */
			assert_true((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || *c == '-');
		assert_int_equal(sq_uuid_v4(b), 0);
		assert_string_not_equal(a, b);
	}
	assert_false(sq_uuid_valid("6f1c2a4e-0000-4000-8000-00000000000"));
	assert_false(sq_uuid_valid("6f1c2a4e00000-4000-8000-000000000001"));
	assert_true(sq_uuid_valid("6F1C2A4E-0000-4000-8000-000000000001"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_uuid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
