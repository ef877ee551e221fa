// SPDX-License-Identifier: MIT
// test_saga.c -- the pure parts of shopq-orders and shopq-inventory: the
// order.place schema (table and check callback, table-driven), money between
// numeric(12,2) text and cents, the inventory commands' shapes, event times.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "inventory/inventory.h"
#include "orders/orders.h"
#include "sq_time.h"

#define HEAD "\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":42,\"address_id\":7,\"payment_token_id\":99"

typedef struct {
	const char *body;
	const char *want; /* NULL: accepted; else a part of the reason */
} place_case;

static const place_case place_cases[] = {
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":15}", NULL },
	{ "{" HEAD ",\"currency\":\"EUR\",\"items\":[{\"product_id\":1,\"quantity\":2}]}", NULL },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":15,\"items\":null}", NULL },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":15,\"note\":\"extra fields are allowed\"}", NULL },
	{ "{" HEAD ",\"currency\":\"USD\",\"items\":[{\"product_id\":1,\"quantity\":1000}]}", NULL },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":15,\"items\":[{\"product_id\":1,\"quantity\":2}]}",
	  "both cart_id and items are given" },
	{ "{" HEAD ",\"currency\":\"USD\"}", "neither cart_id nor items is given" },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":null,\"items\":null}", "neither cart_id nor items" },
	{ "{" HEAD ",\"currency\":\"usd\",\"cart_id\":15}", "field currency: \"usd\" is not three upper-case letters" },
	{ "{" HEAD ",\"currency\":\"U1D\",\"cart_id\":15}", "is not three upper-case letters" },
	{ "{" HEAD ",\"currency\":\"US\",\"cart_id\":15}", "field currency: length 2 is outside 3..3" },
	{ "{" HEAD ",\"cart_id\":15}", "field currency is missing" },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":0}", "field cart_id: 0 is below 1" },
	{ "{" HEAD ",\"currency\":\"USD\",\"cart_id\":\"15\"}", "field cart_id: expected an integer, got a string" },
	{ "{" HEAD ",\"currency\":\"USD\",\"items\":[]}", "field items: expected 1 to 100 items, got 0" },
	{ "{" HEAD ",\"currency\":\"USD\",\"items\":[{\"product_id\":1,\"quantity\":0}]}",
	  "field items[0].quantity: 0 is below 1" },
	{ "{" HEAD ",\"currency\":\"USD\",\"items\":[{\"product_id\":1,\"quantity\":1001}]}",
	  "field items[0].quantity: 1001 is above 1000" },
	{ "{" HEAD ",\"currency\":\"USD\",\"items\":[{\"quantity\":1}]}", "field items[0].product_id" },
	{ "{\"checkout_id\":\"nope\",\"user_id\":42,\"address_id\":7,\"payment_token_id\":99,\"currency\":\"USD\",\"cart_id\":1}",
	  "field checkout_id: expected a UUID" },
	{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":0,\"address_id\":7,\"payment_token_id\":99,"
	  "\"currency\":\"USD\",\"cart_id\":1}",
	  "field user_id: 0 is below 1" },
	{ "{\"checkout_id\":\"8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d\",\"user_id\":42,\"address_id\":7,\"currency\":\"USD\","
	  "\"cart_id\":1}",
	  "field payment_token_id is missing" },
};

static void check_place(const place_case *c)
{
	json_error_t jerr;
	json_t *body = json_loads(c->body, 0, &jerr);
	char err[512] = "";
	int rc;

	if (!body)
		fail_msg("fixture is not JSON: %s: %s", c->body, jerr.text);
	rc = sq_schema_validate(body, orders_place_fields, orders_place_check, err, sizeof err);
	json_decref(body);
	if (!c->want && rc != 0)
		fail_msg("%s: rejected: %s", c->body, err);
	if (c->want && (rc == 0 || !strstr(err, c->want)))
		fail_msg("%s: got \"%s\", want \"%s\"", c->body, rc == 0 ? "accepted" : err, c->want);
}

static void test_place_schema(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof place_cases / sizeof place_cases[0]; i++)
		check_place(&place_cases[i]);
}

static void test_place_items_limit(void **state)
{
	(void)state;
	json_t *body = json_pack("{s:s,s:i,s:i,s:i,s:s,s:[]}", "checkout_id", "8c4f2a9e-2b7d-4d7a-9a57-1c1f0f1b2c3d",
				 "user_id", 1, "address_id", 1, "payment_token_id", 1, "currency", "USD", "items");
	json_t *items = json_object_get(body, "items");
	char err[256];

	for (int i = 0; i < 100; i++)
		json_array_append_new(items, json_pack("{s:i,s:i}", "product_id", i + 1, "quantity", 1));
	assert_int_equal(sq_schema_validate(body, orders_place_fields, orders_place_check, err, sizeof err), 0);
	json_array_append_new(items, json_pack("{s:i,s:i}", "product_id", 101, "quantity", 1));
	assert_int_equal(sq_schema_validate(body, orders_place_fields, orders_place_check, err, sizeof err), -1);
	assert_non_null(strstr(err, "expected 1 to 100 items, got 101"));
	json_decref(body);
}

static void test_cents_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		long long want;
	} ok[] = {
		{ "0.00", 0 },	       { "12.34", 1234 },	  { "12.3", 1230 },	  { "12", 1200 },
		{ "0.01", 1 },	       { "-0.50", -50 },	  { "+1.05", 105 },	  { ".5", 50 },
		{ "1.10", 110 },       { "19.990", 1999 },	  { "9999999999.99", 999999999999LL },
		{ "0.29", 29 }, /* 0.29 * 100 is 28.999... in binary floating point */
		{ "92233720368547", 9223372036854700LL },
	};
	static const char *const bad[] = { "", "-", ".", "1.234", "1,00", "abc", "1.2.3", "12 ", " 12", "1e3",
					   "1.00x", "922337203685477580.00" };
	long long c;

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		c = -777;
		if (orders_cents_parse(ok[i].in, &c) != 0 || c != ok[i].want)
			fail_msg("\"%s\": got %lld, want %lld", ok[i].in, c, ok[i].want);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (orders_cents_parse(bad[i], &c) == 0)
			fail_msg("\"%s\" was accepted as %lld", bad[i], c);
	assert_int_equal(orders_cents_parse(NULL, &c), -1);
}

static void test_cents_format(void **state)
{
	(void)state;
	static const struct {
		long long in;
		const char *want;
	} cases[] = {
		{ 0, "0.00" }, { 1, "0.01" }, { 10, "0.10" }, { 1234, "12.34" }, { -50, "-0.50" },
		{ 999999999999LL, "9999999999.99" }, { -9223372036854775807LL - 1, "-92233720368547758.08" },
	};
	char buf[32];
	long long back;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		orders_cents_format(cases[i].in, buf, sizeof buf);
		assert_string_equal(buf, cases[i].want);
	}
	for (long long v = -100005; v <= 100005; v += 7) { /* round trip */
		orders_cents_format(v, buf, sizeof buf);
		assert_int_equal(orders_cents_parse(buf, &back), 0);
		assert_true(back == v);
	}
	assert_true(orders_cents_format(1234, buf, 5) >= 5); /* truncation is reported */
}

static void expect_inventory(const sq_field *fields, const char *body, const char *want)
{
	json_t *j = json_loads(body, 0, NULL);
	char err[256] = "";
	int rc = sq_schema_validate(j, fields, NULL, err, sizeof err);

	json_decref(j);
	if (!want && rc != 0)
		fail_msg("%s: rejected: %s", body, err);
	if (want && (rc == 0 || !strstr(err, want)))
		fail_msg("%s: got \"%s\", want \"%s\"", body, rc == 0 ? "accepted" : err, want);
}

static void test_inventory_schemas(void **state)
{
	(void)state;
	expect_inventory(inventory_reserve_fields, "{\"order_id\":1,\"user_id\":2,\"items\":[{\"product_id\":1,\"quantity\":1}]}", NULL);
	expect_inventory(inventory_reserve_fields, "{\"order_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1}]}", NULL);
	expect_inventory(inventory_reserve_fields, "{\"order_id\":1}", "field items is missing");
	expect_inventory(inventory_reserve_fields, "{\"order_id\":0,\"items\":[{\"product_id\":1,\"quantity\":1}]}",
			 "field order_id: 0 is below 1");
	expect_inventory(inventory_release_fields, "{\"order_id\":5,\"reason\":\"payment_failed\"}", NULL);
	expect_inventory(inventory_release_fields, "{\"reason\":\"x\"}", "field order_id is missing");
	expect_inventory(inventory_commit_fields, "{\"order_id\":5}", NULL);
	expect_inventory(inventory_restock_fields, "{\"product_id\":1,\"warehouse_id\":2,\"quantity\":1000000}", NULL);
	expect_inventory(inventory_restock_fields, "{\"product_id\":1,\"warehouse_id\":2,\"quantity\":0}",
			 "field quantity: 0 is below 1");
	expect_inventory(inventory_restock_fields, "{\"product_id\":1,\"warehouse_id\":2,\"quantity\":1000001}",
			 "field quantity: 1000001 is above 1000000");
	expect_inventory(inventory_restock_fields, "{\"product_id\":1,\"quantity\":5}", "field warehouse_id is missing");
}

static void test_event_time(void **state)
{
	(void)state;
	char t[32];
	int y, mo, d, h, mi, s, ms;
	char z;

	sq_time_now_rfc3339(t);
	assert_int_equal(strlen(t), 24);
	assert_int_equal(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z), 8);
	assert_true(y >= 2024 && mo >= 1 && mo <= 12 && ms >= 0 && ms <= 999);
	assert_int_equal(z, 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place_schema),	  cmocka_unit_test(test_place_items_limit),
		cmocka_unit_test(test_cents_parse),	  cmocka_unit_test(test_cents_format),
		cmocka_unit_test(test_inventory_schemas), cmocka_unit_test(test_event_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
