// SPDX-License-Identifier: MIT
// test_json.c -- unit tests for sq_json_dump: the same text as
// json_dumps(v, JSON_COMPACT), short and longer than its stack buffer.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sq_json.h"

static void same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT), *got = sq_json_dump(v);

	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

static void test_dump(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:I,s:s,s:[{s:i,s:i}],s:n,s:b,s:f}", "order_id", (json_int_t)9007199254740993LL,
			      "currency", "USD \"quoted\" \\ é", "items", "product_id", 1, "quantity", 2, "memo",
			      "paid", 1, "ratio", 0.25);
	same_as_jansson(v);
	json_decref(v);

	v = json_array(); /* far past the stack buffer, and exactly around its size */
	for (int i = 0; i < 2000; i++)
		json_array_append_new(v, json_integer(i));
	same_as_jansson(v);
	json_decref(v);
	for (size_t len = 2040; len <= 2050; len++) {
		char *s = malloc(len + 1);
		memset(s, 'a', len);
		s[len] = '\0';
		v = json_pack("[s]", s); /* ["aaa…"]: len + 4 bytes */
		same_as_jansson(v);
		json_decref(v);
		free(s);
	}
	v = json_object(); /* "{}" */
	same_as_jansson(v);
	json_decref(v);
}

static void test_not_a_document(void **state)
{
	(void)state;
	json_t *s = json_string("bare");

	assert_null(sq_json_dump(NULL));
	assert_null(sq_json_dump(s)); /* as json_dumps without JSON_ENCODE_ANY */
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_not_a_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
