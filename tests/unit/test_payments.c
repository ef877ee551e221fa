// SPDX-License-Identifier: MIT
// test_payments.c -- unit tests for the payments daemon's pure logic: the
// charge form, token masking and scrubbing, RFC 3339 times, Retry-After,
// provider answer classification, intent states and webhook event parsing.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payments/payments.h"
#include "sq_http.h"

static void test_charge_form(void **state)
{
	sq_buf b = { 0 };
	(void)state;
	assert_int_equal(payments_charge_form(&b, 1999, "USD", "pm_card_visa", 42), 0);
	assert_string_equal(b.data, "amount=1999&currency=usd&payment_method=pm_card_visa&confirm=true"
				    "&metadata%5Border_id%5D=42");
	sq_buf_free(&b);
	/* a token with characters that need escaping; the same inputs give the same bytes */
	assert_int_equal(payments_charge_form(&b, 1, "eur", "pm card+x/y&z=1", 9007199254740993LL), 0);
	assert_string_equal(b.data, "amount=1&currency=eur&payment_method=pm+card%2Bx%2Fy%26z%3D1&confirm=true"
				    "&metadata%5Border_id%5D=9007199254740993");
	sq_buf c = { 0 };
	assert_int_equal(payments_charge_form(&c, 1, "EUR", "pm card+x/y&z=1", 9007199254740993LL), 0);
	assert_string_equal(b.data, c.data);
	sq_buf_free(&b);
	sq_buf_free(&c);
}

static void test_mask_token(void **state)
{
	char out[32];
	(void)state;
	payments_mask_token("pm_card_visa", out, sizeof out);
	assert_string_equal(out, "pm_card_v\xe2\x80\xa6");
	payments_mask_token("pm_card_chargeDeclined", out, sizeof out);
	assert_string_equal(out, "pm_card_c\xe2\x80\xa6");
	payments_mask_token("abcd", out, sizeof out); /* never more than 3/4 */
	assert_string_equal(out, "abc\xe2\x80\xa6");
	payments_mask_token("ab", out, sizeof out);
	assert_string_equal(out, "a\xe2\x80\xa6");
	payments_mask_token("x", out, sizeof out);
	assert_string_equal(out, "\xe2\x80\xa6");
	payments_mask_token("", out, sizeof out);
	assert_string_equal(out, "\xe2\x80\xa6");
	payments_mask_token(NULL, out, sizeof out);
	assert_string_equal(out, "\xe2\x80\xa6");
	payments_mask_token("pm\"<x>y_z_long_token", out, sizeof out); /* stops at odd characters */
	assert_string_equal(out, "pm\xe2\x80\xa6");
	payments_mask_token("pm_card_visa", out, 4); /* truncated, still terminated */
	assert_int_equal(strlen(out), 3);
}

static void test_scrub_token(void **state)
{
	char s[128];
	(void)state;
	snprintf(s, sizeof s, "HTTP 500 api_error: (simulated by pm_card_flaky); retry");
	payments_scrub_token(s, sizeof s, "pm_card_flaky");
	assert_string_equal(s, "HTTP 500 api_error: (simulated by pm_card_f\xe2\x80\xa6); retry");
	snprintf(s, sizeof s, "tok tok tok");
	payments_scrub_token(s, sizeof s, "tok");
	assert_string_equal(s, "to\xe2\x80\xa6 to\xe2\x80\xa6 to\xe2\x80\xa6");
	snprintf(s, sizeof s, "nothing here");
	payments_scrub_token(s, sizeof s, "pm_card_visa");
	assert_string_equal(s, "nothing here");
	payments_scrub_token(s, sizeof s, "");
	payments_scrub_token(s, sizeof s, NULL);
	assert_string_equal(s, "nothing here");
	/* a small buffer: cut, never the token */
	snprintf(s, 20, "by pm_card_visa ok");
	payments_scrub_token(s, 10, "pm_card_visa");
	assert_null(strstr(s, "pm_card_visa"));
	assert_true(strlen(s) < 10);
}

static void test_rfc3339(void **state)
{
	long long t;
	char out[32];
	(void)state;
	assert_int_equal(payments_rfc3339_parse("2026-11-24T10:00:00Z", &t), 0);
	assert_int_equal(t, 1795514400LL);
	assert_int_equal(payments_rfc3339_parse("2026-11-24t10:00:00.123456z", &t), 0);
	assert_int_equal(t, 1795514400LL);
	assert_int_equal(payments_rfc3339_parse("2026-11-24T11:30:00+01:30", &t), 0);
	assert_int_equal(t, 1795514400LL);
	assert_int_equal(payments_rfc3339_parse("2026-11-24T04:30:00-05:30", &t), 0);
	assert_int_equal(t, 1795514400LL);
	assert_int_equal(payments_rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(payments_rfc3339_parse("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, -1);
	assert_int_equal(payments_rfc3339_parse("2024-02-29T23:59:59Z", &t), 0);
	assert_int_equal(t, 1709251199LL);
	assert_int_equal(payments_rfc3339_parse("2000-03-01 00:00:00Z", &t), 0);
	assert_int_equal(t, 951868800LL);

	const char *bad[] = { "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
			      "2026-04-31T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
			      "2026-11-24T10:00:00", "2026-11-24T10:00:00ZZ", "2026-11-24T10:00:00+0100",
			      "2026-11-24T10:00:00.Z", "2026-11-24X10:00:00Z", "26-11-24T10:00:00Z",
			      "2026-1-24T10:00:00Z", "yesterday at noon", "", "2026-11-24T10:00:00+24:00" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (payments_rfc3339_parse(bad[i], &t) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(payments_rfc3339_parse(NULL, &t), -1);

	payments_rfc3339_format(1795514400LL, out);
	assert_string_equal(out, "2026-11-24T10:00:00Z");
	assert_int_equal(payments_rfc3339_parse(out, &t), 0);
	assert_int_equal(t, 1795514400LL);
}

static void test_retry_after(void **state)
{
	(void)state;
	assert_int_equal(sq_http_parse_retry_after("1", 0), 1);
	assert_int_equal(sq_http_parse_retry_after(" 120 ", 0), 120);
	assert_int_equal(sq_http_parse_retry_after("0", 0), 0);
	assert_int_equal(sq_http_parse_retry_after("99999999999999999999", 0), 0x7fffffffL);
	assert_int_equal(sq_http_parse_retry_after("", 0), -1);
	assert_int_equal(sq_http_parse_retry_after(NULL, 0), -1);
	assert_int_equal(sq_http_parse_retry_after("abc", 0), -1);
	assert_int_equal(sq_http_parse_retry_after("1.5", 0), -1);
	assert_int_equal(sq_http_parse_retry_after("-1", 0), -1);
	assert_int_equal(sq_http_parse_retry_after("5s", 0), -1);
	/* HTTP-date: seconds from now, 0 when already past */
	assert_int_equal(sq_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480LL - 30), 30);
	assert_int_equal(sq_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480LL + 30), 0);
}

static void test_answer_intent(void **state)
{
	payments_answer a;
	(void)state;
	payments_answer_parse(&a, 200,
			      "{\"id\":\"pi_1\",\"object\":\"payment_intent\",\"amount\":1999,\"status\":\"succeeded\","
			      "\"last_payment_error\":null}",
			      "", 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.id, "pi_1");
	assert_string_equal(a.status, "succeeded");
	assert_int_equal(a.amount, 1999);
	assert_int_equal(a.retry_after_s, -1);
	assert_string_equal(a.reason, "HTTP 200 pi_1 status=succeeded");

	payments_answer_parse(&a, 200,
			      "{\"id\":\"pi_2\",\"status\":\"requires_payment_method\",\"last_payment_error\":"
			      "{\"code\":\"card_declined\",\"message\":\"Your card was declined.\"}}",
			      NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.code, "card_declined");
	assert_string_equal(a.message, "Your card was declined.");

	/* a refund names its intent */
	payments_answer_parse(&a, 200, "{\"id\":\"re_1\",\"object\":\"refund\",\"payment_intent\":\"pi_1\",\"amount\":500}",
			      NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.id, "re_1");
	assert_string_equal(a.intent_id, "pi_1");
	assert_int_equal(a.amount, 500);

	/* a 200 we cannot read may have charged: ask again, never settle */
	payments_answer_parse(&a, 200, "<html>", NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	payments_answer_parse(&a, 200, "{\"status\":\"succeeded\"}", NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
}

static void test_answer_errors(void **state)
{
	payments_answer a;
	(void)state;
	payments_answer_parse(&a, 402,
			      "{\"error\":{\"code\":\"card_declined\",\"message\":\"Your card was declined.\","
			      "\"payment_intent\":{\"id\":\"pi_9\",\"status\":\"requires_payment_method\"}}}",
			      NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_DECLINED);
	assert_string_equal(a.code, "card_declined");
	assert_string_equal(a.intent_id, "pi_9");
	assert_string_equal(a.reason, "HTTP 402 card_declined: Your card was declined.");

	payments_answer_parse(&a, 429, "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}", "1", 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	assert_int_equal(a.retry_after_s, 1);
	assert_string_equal(a.reason, "HTTP 429 rate_limited: slow down (Retry-After 1 s)");

	long retry_statuses[] = { 500, 502, 503, 401, 403, 408, 409, 302 };
	for (size_t i = 0; i < sizeof retry_statuses / sizeof retry_statuses[0]; i++) {
		payments_answer_parse(&a, retry_statuses[i], "", NULL, 0);
		assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	}
	assert_string_equal(a.code, "http_302");

	payments_answer_parse(&a, 400, "{\"error\":{\"code\":\"idempotency_key_in_use\",\"message\":\"m\"}}", NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_REFUSED);
	assert_string_equal(a.code, "idempotency_key_in_use");
	payments_answer_parse(&a, 404, "{\"error\":{\"code\":\"resource_missing\",\"message\":\"No such PaymentMethod\"}}",
			      NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_REFUSED);
	/* a 4xx that is not the provider's error (a proxy, a wrong gateway_url) is passing */
	payments_answer_parse(&a, 404, "<html>not found</html>", NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	assert_string_equal(a.code, "http_404");

	payments_answer_parse(&a, 0, "timed out: Operation timed out after 5000 milliseconds", NULL, 0);
	assert_int_equal(a.kind, PAYMENTS_ANS_NONE);
	assert_string_equal(a.reason, "no answer from the provider: timed out: Operation timed out after 5000 milliseconds");
}

static void test_intent_target(void **state)
{
	(void)state;
	assert_string_equal(payments_intent_target("succeeded"), "succeeded");
	assert_string_equal(payments_intent_target("processing"), "processing");
	assert_string_equal(payments_intent_target("requires_action"), "processing");
	assert_string_equal(payments_intent_target("requires_payment_method"), "failed");
	assert_string_equal(payments_intent_target("canceled"), "failed");
	assert_null(payments_intent_target("weird"));
	assert_null(payments_intent_target(NULL));
}

static void test_event_parse(void **state)
{
	payments_event ev;
	char err[256];
	(void)state;
	assert_int_equal(payments_event_parse(
				 "{\"id\":\"evt_1\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\",\"created\":1700000000,"
				 "\"data\":{\"object\":{\"id\":\"pi_1\",\"object\":\"payment_intent\",\"status\":\"succeeded\","
				 "\"amount\":1999,\"amount_refunded\":0,\"payment_intent\":null,\"metadata\":{\"order_id\":\"42\"}}}}",
				 &ev, err, sizeof err),
			 0);
	assert_string_equal(ev.id, "evt_1");
	assert_string_equal(ev.type, "payment_intent.succeeded");
	assert_string_equal(ev.object_id, "pi_1");
	assert_string_equal(ev.status, "succeeded");
	assert_int_equal(ev.order_id, 42);
	assert_int_equal(ev.amount_refunded, 0);
	assert_int_equal(ev.created, 1700000000LL);

	/* a charge object: the intent is its payment_intent; failure details kept */
	assert_int_equal(payments_event_parse(
				 "{\"id\":\"evt_2\",\"type\":\"charge.refunded\",\"data\":{\"object\":{\"id\":\"ch_1\","
				 "\"object\":\"charge\",\"payment_intent\":\"pi_7\",\"metadata\":{\"order_id\":7},"
				 "\"last_payment_error\":{\"code\":\"card_declined\",\"message\":\"no\"}}}}",
				 &ev, err, sizeof err),
			 0);
	assert_string_equal(ev.object_id, "pi_7");
	assert_int_equal(ev.order_id, 7);
	assert_string_equal(ev.code, "card_declined");
	assert_int_equal(ev.amount_refunded, -1);

	/* metadata that is not an order id is ignored */
	assert_int_equal(payments_event_parse("{\"id\":\"e\",\"type\":\"t\",\"data\":{\"object\":{\"id\":\"pi_1\","
					      "\"metadata\":{\"order_id\":\"12abc\"}}}}",
					      &ev, err, sizeof err),
			 0);
	assert_int_equal(ev.order_id, 0);

	assert_int_equal(payments_event_parse("not json", &ev, err, sizeof err), -1);
	assert_non_null(strstr(err, "webhook body is not JSON"));
	assert_int_equal(payments_event_parse("[1]", &ev, err, sizeof err), -1);
	assert_string_equal(err, "webhook body is not a JSON object");
	assert_int_equal(payments_event_parse("{\"type\":\"x\"}", &ev, err, sizeof err), -1);
	assert_string_equal(err, "webhook event has no id (a string of 1..255 bytes)");
	assert_int_equal(payments_event_parse("{\"id\":\"e\"}", &ev, err, sizeof err), -1);
	assert_string_equal(err, "webhook event e has no type");
	assert_int_equal(payments_event_parse("{\"id\":\"e\",\"type\":\"t\",\"data\":{}}", &ev, err, sizeof err), -1);
	assert_string_equal(err, "webhook event e has no data.object");
	assert_int_equal(payments_event_parse("{\"id\":\"e\",\"type\":\"t\",\"data\":{\"object\":{\"id\":7}}}", &ev, err,
					      sizeof err),
			 -1);
	assert_string_equal(err, "webhook event e has no data.object.id");
}

static void test_keys_and_ids(void **state)
{
	char k[PAYMENTS_KEY_MAX];
	(void)state;
	payments_charge_key(42, k);
	assert_string_equal(k, "shopq-charge-42");
	payments_refund_key(42, k);
	assert_string_equal(k, "shopq-refund-42");
	assert_true(payments_valid_object_id("pi_1a2b_3"));
	assert_false(payments_valid_object_id("pi_1/../x"));
	assert_false(payments_valid_object_id("pi 1"));
	assert_false(payments_valid_object_id(""));
	assert_false(payments_valid_object_id(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charge_form),   cmocka_unit_test(test_mask_token),
		cmocka_unit_test(test_scrub_token),   cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_retry_after),   cmocka_unit_test(test_answer_intent),
		cmocka_unit_test(test_answer_errors), cmocka_unit_test(test_intent_target),
		cmocka_unit_test(test_event_parse),   cmocka_unit_test(test_keys_and_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
