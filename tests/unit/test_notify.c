// SPDX-License-Identifier: MIT
// test_notify.c -- shopq-notify's pure parts without any server: RFC 3339
// times, template rendering and config overrides, the notification.send
// schema and check callback, entries built from commands and events, keys.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "notify/entry.h"
#include "notify/handlers.h"
#include "notify/store.h"
#include "notify/templates.h"
#include "sq_envelope.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad fixture %s: %s", text, e.text);
	return v;
}

static void test_rfc3339(void **state)
{
	(void)state;
	char buf[32];
	assert_int_equal(notify_rfc3339(0, buf, sizeof buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	assert_int_equal(notify_rfc3339(1795600800, buf, sizeof buf), 0); /* the contract's example */
	assert_string_equal(buf, "2026-11-25T10:00:00Z");
	assert_int_equal(notify_rfc3339(951782400, buf, sizeof buf), 0); /* a leap day */
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
	assert_int_equal(notify_rfc3339(1795600800, buf, 20), -1); /* no room for the NUL */
}

static void expect_render(const char *tmpl, const char *vars, size_t max, const char *want)
{
	json_t *v = J(vars);
	char *got = notify_render(tmpl, v, max);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("render \"%s\": got \"%s\", want \"%s\"", tmpl, got, want);
	free(got);
	json_decref(v);
}

static void test_render(void **state)
{
	(void)state;
	const char *ev = "{\"order_id\":42,\"total\":12345,\"currency\":\"USD\",\"reason\":\"out_of_stock\","
			 "\"neg\":-250,\"small\":5,\"ok\":true,\"f\":1.5,\"items\":[1,2],\"none\":null}";
	expect_render("Your order #{order_id} is confirmed", ev, 100, "Your order #42 is confirmed");
	expect_render("{total|money} {currency}", ev, 100, "123.45 USD");
	expect_render("{small|money}/{neg|money}", ev, 100, "0.05/-2.50");
	expect_render("{reason|words}", ev, 100, "out of stock");
	expect_render("{reason}", ev, 100, "out_of_stock");
	expect_render("[{missing}][{none}]", ev, 100, "[][]");
	expect_render("{ok} {f} {items}", ev, 100, "true 1.5 [1,2]");
	expect_render("{currency|shout}", ev, 100, "USD"); /* unknown filter: the plain value */
	/* what is not a placeholder is copied */
	expect_render("{} {order id} {order_id {{order_id}} {|money} x}", ev, 100,
		      "{} {order id} {order_id {42} {|money} x}");
	expect_render("", ev, 100, "");
	expect_render("no braces", "{}", 100, "no braces");
	/* cut at max bytes, never inside a UTF-8 character ("é" is 2 bytes) */
	expect_render("abcdef", "{}", 3, "abc");
	expect_render("ab\xc3\xa9z", "{}", 3, "ab");
	expect_render("ab\xc3\xa9z", "{}", 4, "ab\xc3\xa9");
	expect_render("\xe2\x82\xac\xe2\x82\xac", "{}", 5, "\xe2\x82\xac");
}

static void test_event_defaults(void **state)
{
	(void)state;
	const char *keys[] = { "order.confirmed", "order.shipped", "order.cancelled", "payment.failed" };
	for (size_t i = 0; i < 4; i++) {
		const notify_event_def *d = notify_event_find(keys[i]);
		assert_non_null(d);
		assert_true(notify_type_allowed(d->type));
		assert_non_null(strstr(d->title, "{order_id}"));
		assert_string_equal(notify_template(NULL, d, "title"), d->title);
		assert_string_equal(notify_template(NULL, d, "body"), d->body);
	}
	assert_null(notify_event_find("order.created"));
	assert_null(notify_event_find(NULL));
	assert_string_equal(notify_event_find("payment.failed")->type, "payment");
	assert_string_equal(notify_event_find("order.shipped")->type, "order");
}

static void test_template_from_config(void **state)
{
	(void)state;
	char path[64];
	sq_config c;
	sq_err e;
	snprintf(path, sizeof path, "/tmp/sq-test-notify-%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("amqp: { uri = \"amqp://guest:guest@127.0.0.1:5672\"; };\n"
	      "postgres: { conninfo = \"dbname=x\"; };\n"
	      "notify: { max_body = 100;\n"
	      "  templates: { order_shipped: { title = \"Shipped: #{order_id} via {carrier}\"; }; }; };\n",
	      f);
	fclose(f);
	if (sq_config_load(&c, path, &e))
		fail_msg("%s", e.msg);
	unlink(path);
	const notify_event_def *d = notify_event_find("order.shipped");
	assert_string_equal(notify_template(&c, d, "title"), "Shipped: #{order_id} via {carrier}");
	assert_string_equal(notify_template(&c, d, "body"), d->body); /* not overridden */
	d = notify_event_find("order.confirmed");
	assert_string_equal(notify_template(&c, d, "title"), d->title);

	json_t *ev = J("{\"order_id\":7,\"user_id\":3,\"carrier\":\"UPS\",\"tracking_number\":\"1Z9\","
		       "\"occurred_at\":\"2026-11-25T10:00:00Z\"}");
	notify_entry en;
	assert_int_equal(notify_entry_from_event(&en, &c, "order.shipped", ev, "mid-1", 1795600800, 100), 0);
	assert_string_equal(en.title, "Shipped: #7 via UPS");
	assert_string_equal(en.body, "Order #7 is on its way with UPS. Tracking number: 1Z9.");
	notify_entry_free(&en);
	json_decref(ev);
	sq_config_free(&c);
}

/* the schema table and the check callback together, as the runtime runs them */
static void expect_send(const char *body, const char *want_error)
{
	char err[256] = "";
	json_t *v = J(body);
	int rc = sq_schema_validate(v, notify_send_fields, notify_check_send, err, sizeof err);
	json_decref(v);
	if (!want_error) {
		if (rc != 0)
			fail_msg("%s rejected: %s", body, err);
		return;
	}
	if (rc != -1 || !strstr(err, want_error))
		fail_msg("%s: got %d \"%s\", want \"%s\"", body, rc, err, want_error);
}

static void test_check_send(void **state)
{
	(void)state;
	notify_check_set_max_body(10);
	expect_send("{\"user_id\":42,\"type\":\"marketing\",\"title\":\"Sale\",\"body\":\"50% off\"}", NULL);
	expect_send("{\"user_id\":42,\"type\":\"system\",\"title\":\"T\",\"body\":\"\",\"data\":{\"a\":1}}", NULL);
	expect_send("{\"user_id\":42,\"type\":\"account\",\"title\":\"T\",\"body\":\"0123456789\"}", NULL);
	const char *types[] = { "marketing", "order", "payment", "account", "system" };
	for (size_t i = 0; i < 5; i++) {
		char b[160];
		snprintf(b, sizeof b, "{\"user_id\":1,\"type\":\"%s\",\"title\":\"T\",\"body\":\"b\"}", types[i]);
		expect_send(b, NULL);
	}
	expect_send("{\"user_id\":42,\"type\":\"spam\",\"title\":\"T\",\"body\":\"b\"}",
		    "type \"spam\" is not one of marketing, order, payment, account, system");
	expect_send("{\"user_id\":42,\"type\":\"Marketing\",\"title\":\"T\",\"body\":\"b\"}", "is not one of");
	expect_send("{\"user_id\":42,\"type\":\"order\",\"title\":\"\",\"body\":\"b\"}", "field title");
	expect_send("{\"user_id\":42,\"type\":\"order\",\"title\":\" \\t\\n\",\"body\":\"b\"}", "title is empty");
	expect_send("{\"user_id\":42,\"type\":\"order\",\"title\":\"T\",\"body\":\"0123456789x\"}",
		    "body is 11 bytes, over notify.max_body (10)");
	expect_send("{\"type\":\"order\",\"title\":\"T\",\"body\":\"b\"}", "field user_id is missing");
	expect_send("{\"user_id\":0,\"type\":\"order\",\"title\":\"T\",\"body\":\"b\"}", "field user_id: 0 is below 1");
	expect_send("{\"user_id\":\"42\",\"type\":\"order\",\"title\":\"T\",\"body\":\"b\"}", "expected an integer");
	expect_send("{\"user_id\":42,\"type\":\"order\",\"title\":\"T\"}", "field body is missing");
	expect_send("{\"user_id\":42,\"type\":\"order\",\"title\":\"T\",\"body\":\"b\",\"data\":[1]}",
		    "field data: expected an object");
	notify_check_set_max_body(4096);
}

static void test_entry_from_send(void **state)
{
	(void)state;
	notify_entry e;
	json_t *b = J("{\"user_id\":42,\"type\":\"marketing\",\"title\":\"Sale\",\"body\":\"Now\"}");
	assert_int_equal(notify_entry_from_send(&e, b, "m-1", 1795600800), 0);
	assert_int_equal(e.user_id, 42);
	assert_string_equal(e.id, "m-1");
	assert_string_equal(e.type, "marketing");
	assert_string_equal(e.title, "Sale");
	assert_string_equal(e.body, "Now");
	assert_string_equal(e.data, "{}");
	assert_string_equal(e.created_at, "2026-11-25T10:00:00Z");
	assert_string_equal(e.event_key, "");
	notify_entry_free(&e);
	json_decref(b);

	b = J("{\"user_id\":42,\"type\":\"order\",\"title\":\"T\",\"body\":\"\",\"data\":{\"order_id\":5,\"x\":\"y\"}}");
	assert_int_equal(notify_entry_from_send(&e, b, "m-2", 0), 0);
	assert_string_equal(e.data, "{\"order_id\":5,\"x\":\"y\"}");
	notify_entry_free(&e);
	notify_entry_free(&e); /* twice is harmless */
	notify_entry_free(NULL);
	json_decref(b);
}

static void test_entry_from_event(void **state)
{
	(void)state;
	notify_entry e;
	const char *text = "{\"order_id\":123,\"user_id\":42,\"total\":1999,\"currency\":\"EUR\","
			   "\"occurred_at\":\"2026-11-25T09:59:58Z\"}";
	json_t *b = J(text);
	assert_int_equal(notify_entry_from_event(&e, NULL, "order.confirmed", b, "evt-9", 1795600800, 4096), 0);
	assert_int_equal(e.user_id, 42);
	assert_string_equal(e.id, "evt-9");
	assert_string_equal(e.type, "order");
	assert_string_equal(e.title, "Your order #123 is confirmed");
	assert_non_null(strstr(e.body, "19.99 EUR"));
	assert_string_equal(e.event_key, "order.confirmed:123");
	assert_string_equal(e.created_at, "2026-11-25T10:00:00Z");
	json_t *data = J(e.data); /* data is the event body */
	assert_true(json_equal(data, b));
	json_decref(data);
	notify_entry_free(&e);

	/* the body respects notify.max_body */
	assert_int_equal(notify_entry_from_event(&e, NULL, "order.confirmed", b, "evt-9", 0, 12), 0);
	assert_int_equal(strlen(e.body), 12);
	notify_entry_free(&e);

	json_t *pf = J("{\"order_id\":8,\"user_id\":2,\"code\":\"card_declined\",\"message\":\"Your card was declined.\"}");
	assert_int_equal(notify_entry_from_event(&e, NULL, "payment.failed", pf, "evt-10", 0, 4096), 0);
	assert_string_equal(e.type, "payment");
	assert_string_equal(e.title, "Payment for order #8 failed");
	assert_non_null(strstr(e.body, "Your card was declined."));
	assert_string_equal(e.event_key, "payment.failed:8");
	notify_entry_free(&e);
	json_decref(pf);

	assert_int_equal(notify_entry_from_event(&e, NULL, "order.created", b, "evt-11", 0, 4096), -1);
	json_decref(b);
}

static void test_keys(void **state)
{
	(void)state;
	notify_entry e = { .user_id = 42, .id = "3f1c-mid" };
	notify_keys k;
	notify_store_keys(&k, &e);
	assert_string_equal(k.stream, "shopq:notifications:42");
	assert_string_equal(k.unread, "shopq:notifications:42:unread");
	assert_string_equal(k.seen_msg, "shopq:notify:seen:3f1c-mid");
	assert_string_equal(k.seen_evt, "");
	snprintf(e.event_key, sizeof e.event_key, "order.shipped:9");
	notify_store_keys(&k, &e);
	assert_string_equal(k.seen_evt, "shopq:notify:event:order.shipped:9");
	/* the script writes the contract's fields, capped approximately, and publishes */
	const char *must[] = { "'MAXLEN', '~'", "'id', ARGV[4]", "'type', ARGV[5]", "'title', ARGV[6]",
			       "'body', ARGV[7]", "'data', ARGV[8]", "'created_at', ARGV[9]", "'INCR'", "'PUBLISH'",
			       "'NX', 'EX'" };
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		if (!strstr(notify_store_lua, must[i]))
			fail_msg("the script lacks %s", must[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_event_defaults),
		cmocka_unit_test(test_template_from_config),
		cmocka_unit_test(test_check_send),
		cmocka_unit_test(test_entry_from_send),
		cmocka_unit_test(test_entry_from_event),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
