// SPDX-License-Identifier: MIT
// test_envelope.c -- the envelope and schema checks, table-driven: each bad
// input gets its own words, good ones pass.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sq_envelope.h"

static const sq_field place_fields[] = {
	{ "checkout_id", SQ_F_UUID, 1, 0, 0 },
	{ "user_id", SQ_F_INT, 1, 1, 9007199254740991LL },
	{ "items", SQ_F_ITEMS, 0, 0, 100 },
	{ "title", SQ_F_STRING, 0, 1, 10 },
	{ NULL, 0, 0, 0, 0 },
};

static void expect_env_error(const char *body, size_t len, const char *ctype, const char *mid, const char *want)
{
	char err[512] = "";
	json_t *j = sq_envelope_parse(body, len, ctype, mid, err, sizeof err);
	assert_null(j);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_envelope_rejects(void **state)
{
	(void)state;
	char *big = malloc(SQ_MAX_BODY + 2);
	memset(big, ' ', SQ_MAX_BODY + 1);
	big[0] = '{';
	big[SQ_MAX_BODY] = '}';
	expect_env_error(big, SQ_MAX_BODY + 1, "application/json", "m1", "over the 64 KiB limit");
	free(big);
	expect_env_error("{}", 2, "application/json", NULL, "no message_id");
	expect_env_error("{}", 2, "application/json", "", "no message_id");
	expect_env_error("{}", 2, "text/plain", "m1", "content_type is \"text/plain\"");
	expect_env_error("", 0, "application/json", "m1", "body is empty");
	expect_env_error("{\"a\": nope}", 11, "application/json", "m1", "body is not JSON: line 1 column");
	expect_env_error("[1,2]", 5, "application/json", "m1", "JSON array, expected an object");
	expect_env_error("42", 2, "application/json", "m1", "JSON scalar");
	expect_env_error("{\"a\":\"\xff\xfe\"}", 10, "application/json", "m1", "body is not JSON");
	expect_env_error("{\"a\":1,\"a\":2}", 13, "application/json", "m1", "duplicate");
	expect_env_error("{\"n\": 99999999999999999999999}", 30, "application/json", "m1", "too big");
}

static void test_envelope_accepts(void **state)
{
	(void)state;
	char err[256];
	json_t *j = sq_envelope_parse("{\"a\":1}", 7, "application/json", "m1", err, sizeof err);
	assert_non_null(j);
	json_decref(j);
	/* a missing content_type is tolerated: the body decides */
	j = sq_envelope_parse("{\"a\":1}", 7, NULL, "m1", err, sizeof err);
	assert_non_null(j);
	json_decref(j);
}

struct schema_case {
	const char *json;
	const char *want; /* NULL: valid */
};

static void test_schema_cases(void **state)
{
	(void)state;
	static const struct schema_case cases[] = {
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":42}", NULL },
		{ "{\"user_id\":42}", "field checkout_id is missing" },
		{ "{\"checkout_id\":\"nope\",\"user_id\":42}", "field checkout_id: expected a UUID" },
		{ "{\"checkout_id\":7,\"user_id\":42}", "field checkout_id: expected a string, got an integer" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":\"42\"}", "field user_id: expected an integer, got a string" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":0}", "field user_id: 0 is below 1" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1.5}", "got a number with a fraction" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[]}", "expected 1 to 100 items, got 0" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[{\"product_id\":1,\"quantity\":0}]}", "items[0].quantity: 0 is below 1" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1001}]}", "items[0].quantity: 1001 is above 1000" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[{\"quantity\":1}]}", "items[0].product_id: expected an integer, got null" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[3]}", "items[0]: expected an object" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":{}}", "field items: expected an array" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"title\":\"\"}", "length 0 is outside 1..10" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"title\":\"a\\u0000b\"}", "NUL" },
		{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":1,\"items\":[{\"product_id\":1,\"quantity\":2}]}", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "";
		json_error_t je;
		json_t *j = json_loads(cases[i].json, JSON_ALLOW_NUL, &je);
		assert_non_null(j);
		int rc = sq_schema_validate(j, place_fields, NULL, err, sizeof err);
		json_decref(j);
		if (!cases[i].want) {
			if (rc != 0)
				fail_msg("case %zu: unexpected error %s", i, err);
		} else if (rc == 0 || !strstr(err, cases[i].want)) {
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].want);
		}
	}
}

static int only_one(const json_t *body, char *err, size_t errlen)
{
	if (!json_object_get(body, "a") == !json_object_get(body, "b")) {
		snprintf(err, errlen, "exactly one of a or b must be given");
		return -1;
	}
	return 0;
}

static void test_schema_check_callback(void **state)
{
	(void)state;
	static const sq_field none[] = { { NULL, 0, 0, 0, 0 } };
	char err[128];
	json_t *both = json_pack("{s:i,s:i}", "a", 1, "b", 2);
	json_t *one = json_pack("{s:i}", "a", 1);
	assert_int_equal(sq_schema_validate(both, none, only_one, err, sizeof err), -1);
	assert_non_null(strstr(err, "exactly one"));
	assert_int_equal(sq_schema_validate(one, none, only_one, err, sizeof err), 0);
	json_decref(both);
	json_decref(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_rejects),
		cmocka_unit_test(test_envelope_accepts),
		cmocka_unit_test(test_schema_cases),
		cmocka_unit_test(test_schema_check_callback),
	};
	return cmocka_run_group_tests_name("envelope", tests, NULL, NULL);
}
