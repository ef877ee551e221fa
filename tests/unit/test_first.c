// SPDX-License-Identifier: MIT
// test_first.c -- a route's first statement (sq_first): numbers, the one text
// it owns, copied strings, and what makes the statement not known ahead.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sq_runtime.h"

static const char SQL[] = "SELECT $1";

static void test_numbers_in_decimal(void **state)
{
	sq_first f = { 0 };
	(void)state;
	sq_first_id(&f, SQL, "order", 42);
	sq_first_ll(&f, 1, -7);
	assert_ptr_equal(f.sql, SQL);
	assert_string_equal(f.params[0], "42");
	assert_string_equal(f.params[1], "-7");
	assert_string_equal(f.key, "order 42");
	sq_first_ll(&f, SQ_FIRST_MAX_NUMS, 1); /* no room for the number: not known */
	assert_null(f.sql);
}

static void test_text_owned_and_freed(void **state)
{
	sq_first f = { 0 };
	(void)state;
	sq_first_id(&f, SQL, "order", 1);
	f.nparams = 2;
	sq_first_text(&f, 1, strdup("[1,2]"));
	assert_ptr_equal(f.sql, SQL);
	assert_string_equal(f.params[1], "[1,2]");
	sq_first_text(&f, 1, strdup("[3]")); /* the earlier text freed (valgrind, ASan) */
	assert_string_equal(f.params[1], "[3]");
	sq_first_free(&f);
	assert_null(f.text);
	sq_first_free(&f); /* twice is harmless */
	sq_first_text(&f, 1, NULL); /* out of memory: not known */
	assert_null(f.sql);
}

static void test_strings_copied_nulls_kept(void **state)
{
	sq_first f = { 0 };
	char a[] = "succeeded", b[] = "webhook evt_1";
	const char *vals[] = { a, NULL, b, "" };
	(void)state;
	f.sql = SQL;
	assert_int_equal(sq_first_strings(&f, 4, vals), 0);
	assert_int_equal(f.nparams, 4);
	a[0] = b[0] = 'X'; /* copies, not the caller's storage */
	assert_string_equal(f.params[0], "succeeded");
	assert_null(f.params[1]);
	assert_string_equal(f.params[2], "webhook evt_1");
	assert_string_equal(f.params[3], "");
	assert_ptr_equal(f.sql, SQL);
	sq_first_free(&f);
}

static void test_too_many_strings_not_known(void **state)
{
	sq_first f = { 0 };
	const char *vals[SQ_FIRST_MAX_PARAMS + 1] = { 0 };
	(void)state;
	f.sql = SQL;
	assert_int_equal(sq_first_strings(&f, SQ_FIRST_MAX_PARAMS + 1, vals), -1);
	assert_null(f.sql);
	f.sql = SQL;
	assert_int_equal(sq_first_strings(&f, SQ_FIRST_MAX_PARAMS, vals), 0);
	assert_int_equal(f.nparams, SQ_FIRST_MAX_PARAMS);
	sq_first_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_in_decimal),
		cmocka_unit_test(test_text_owned_and_freed),
		cmocka_unit_test(test_strings_copied_nulls_kept),
		cmocka_unit_test(test_too_many_strings_not_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
