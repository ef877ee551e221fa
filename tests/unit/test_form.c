// SPDX-License-Identifier: MIT
// test_form.c -- unit tests for sq_form: WHATWG form encoding, decoding, round
// trips and rejection of malformed escapes.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sq_form.h"

typedef struct {
	char keys[8][64];
	char values[8][64];
	int n;
} pairs;

static int collect(const char *key, const char *value, void *ud)
{
	pairs *ps = ud;
	if (ps->n >= 8)
		return 7;
	snprintf(ps->keys[ps->n], sizeof ps->keys[0], "%s", key);
	snprintf(ps->values[ps->n], sizeof ps->values[0], "%s", value);
	ps->n++;
	return 0;
}

static int parse(const char *s, pairs *ps)
{
	memset(ps, 0, sizeof *ps);
	return sq_form_parse(s, strlen(s), collect, ps);
}

static void test_encode_basic(void **state)
{
	sq_buf b = {0};
	(void)state;
	assert_int_equal(sq_form_add(&b, "amount", "1999"), 0);
	assert_int_equal(sq_form_add(&b, "note", "hello world & more"), 0);
	assert_int_equal(sq_form_add(&b, "kept", "aZ09*-._"), 0);
	assert_int_equal(sq_form_add(&b, "slash", "a/b+c=d~e!"), 0);
	assert_string_equal(b.data, "amount=1999&note=hello+world+%26+more&kept=aZ09*-._"
	                            "&slash=a%2Fb%2Bc%3Dd%7Ee%21");
	assert_int_equal(b.len, strlen(b.data));
	sq_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_encode_brackets_unicode_empty(void **state)
{
	sq_buf b = {0};
	(void)state;
	assert_int_equal(sq_form_add(&b, "metadata[order_id]", "ord_42"), 0);
	assert_int_equal(sq_form_add(&b, "name", "J\xc3\xbcrgen \xe2\x82\xac"), 0); /* Jürgen € */
	assert_int_equal(sq_form_add(&b, "empty", ""), 0);
	assert_int_equal(sq_form_add(&b, "null", NULL), 0);
	assert_string_equal(b.data, "metadata%5Border_id%5D=ord_42&name=J%C3%BCrgen+%E2%82%AC"
	                            "&empty=&null=");
	assert_int_equal(sq_form_add(&b, NULL, "x"), -1);
	sq_buf_free(&b);
}

static void test_decode(void **state)
{
	pairs ps;
	(void)state;
	assert_int_equal(parse("a=1&b=hello+world&metadata%5Border_id%5D=o%2F1", &ps), 0);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.keys[0], "a");
	assert_string_equal(ps.values[0], "1");
	assert_string_equal(ps.values[1], "hello world");
	assert_string_equal(ps.keys[2], "metadata[order_id]");
	assert_string_equal(ps.values[2], "o/1");

	/* empty pairs skipped, missing '=' gives "", '=' inside value kept */
	assert_int_equal(parse("&&flag&x=&y=a=b&", &ps), 0);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.keys[0], "flag");
	assert_string_equal(ps.values[0], "");
	assert_string_equal(ps.keys[1], "x");
	assert_string_equal(ps.values[1], "");
	assert_string_equal(ps.values[2], "a=b");

	/* lowercase hex accepted, UTF-8 bytes decoded */
	assert_int_equal(parse("n=J%c3%bcrgen", &ps), 0);
	assert_string_equal(ps.values[0], "J\xc3\xbcrgen");

	assert_int_equal(sq_form_parse(NULL, 0, collect, &ps), 0);
	assert_int_equal(parse("", &ps), 0);
	assert_int_equal(ps.n, 0);
}

static void test_decode_respects_len(void **state)
{
	pairs ps;
	const char *s = "a=1&b=2";
	(void)state;
	memset(&ps, 0, sizeof ps);
	assert_int_equal(sq_form_parse(s, 3, collect, &ps), 0);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.values[0], "1");
}

static void test_decode_malformed(void **state)
{
	pairs ps;
	(void)state;
	assert_int_equal(parse("a=%", &ps), -1);
	assert_int_equal(parse("a=%4", &ps), -1);
	assert_int_equal(parse("a=%4g", &ps), -1);
	assert_int_equal(parse("a=%zz&b=1", &ps), -1);
	assert_int_equal(parse("%=1", &ps), -1);
	assert_int_equal(parse("a=x%00y", &ps), -1); /* would truncate the C string */
	assert_int_equal(sq_form_parse("a=x\0y", 5, collect, &ps), -1);
	assert_int_equal(sq_form_parse(NULL, 3, collect, &ps), -1);
}

static int stop_at_b(const char *key, const char *value, void *ud)
{
	(void)value;
	(*(int *)ud)++;
	return strcmp(key, "b") == 0 ? 5 : 0;
}

static void test_callback_stops(void **state)
{
	int calls = 0;
	(void)state;
	assert_int_equal(sq_form_parse("a=1&b=2&c=3", 11, stop_at_b, &calls), 5);
	assert_int_equal(calls, 2);
}

static void test_round_trip(void **state)
{
	static const char *vals[] = {
	    "plain",     "with space",   "a&b=c", "100%", "+plus+", "J\xc3\xbcrgen \xe2\x82\xac",
	    "[]{}<>\"'", "\x01\x7f\xff",
	};
	sq_buf b = {0};
	pairs ps;
	char key[16];
	(void)state;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		snprintf(key, sizeof key, "k[%zu]", i);
		assert_int_equal(sq_form_add(&b, key, vals[i]), 0);
	}
	assert_int_equal(parse(b.data, &ps), 0);
	assert_int_equal(ps.n, (int)(sizeof vals / sizeof vals[0]));
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		snprintf(key, sizeof key, "k[%zu]", i);
		assert_string_equal(ps.keys[i], key);
		assert_string_equal(ps.values[i], vals[i]);
	}
	sq_buf_free(&b);
}

static void test_buf_append(void **state)
{
	sq_buf b = {0};
	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sq_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(sq_buf_append_str(&b, "!"), 0);
	assert_int_equal(b.data[10000], '!');
	assert_int_equal(sq_buf_append(&b, NULL, 1), -1);
	assert_int_equal(b.len, 10001);
	sq_buf_free(&b);
	sq_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_basic),
	    cmocka_unit_test(test_encode_brackets_unicode_empty),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_decode_respects_len),
	    cmocka_unit_test(test_decode_malformed),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_buf_append),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
