// SPDX-License-Identifier: MIT
// test_payments_provider.c -- the payments provider client (provider.c on
// shared/sq_http) against an in-process paysim on a loopback port: each test
// card's answer, idempotent replays, refunds, timeouts, a wrong key, a closed
// port, and one kept-alive connection for many calls.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payments/payments.h"
#include "paysim/paysim.h"

#define KEY "sk_test_provider_unit"

typedef struct {
	paysim *sim;
	char url[64];
	payments_provider *prov;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	char err[256];
	sq_err e;

	assert_non_null(f);
	f->sim = paysim_new(KEY, "whsec_unit", NULL, NULL);
	assert_non_null(f->sim);
	assert_int_equal(paysim_http_start(f->sim, "127.0.0.1", 0, err, sizeof err), 0);
	snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", paysim_http_port(f->sim));
	f->prov = payments_provider_new(f->url, KEY, 2000, &e);
	assert_non_null(f->prov);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	payments_provider_free(f->prov);
	paysim_free(f->sim);
	free(f);
	return 0;
}

static void charge(fixture *f, const char *key, const char *pm, long long order, payments_answer *a)
{
	payments_provider_charge(f->prov, key, 1999, "USD", pm, order, a);
}

static void test_cards(void **state)
{
	fixture *f = *state;
	payments_answer a, b;

	charge(f, "k-visa", "pm_card_visa", 1, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.status, "succeeded");
	assert_int_equal(a.amount, 1999);
	charge(f, "k-visa", "pm_card_visa", 1, &b); /* same key: the saved answer */
	assert_int_equal(b.kind, PAYMENTS_ANS_OK);
	assert_string_equal(b.id, a.id);

	charge(f, "k-declined", "pm_card_chargeDeclined", 2, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_DECLINED);
	assert_int_equal(a.http_status, 402);
	assert_string_equal(a.code, "card_declined");
	assert_true(strncmp(a.intent_id, "pi_", 3) == 0);

	charge(f, "k-processing", "pm_card_processing", 3, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.status, "processing");
	payments_provider_get_intent(f->prov, a.id, &b);
	assert_int_equal(b.kind, PAYMENTS_ANS_OK);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.status, "processing");

	charge(f, "k-flaky", "pm_card_flaky", 4, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	assert_int_equal(a.http_status, 500);
	charge(f, "k-flaky", "pm_card_flaky", 4, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	assert_string_equal(a.status, "succeeded");

	charge(f, "k-limited", "pm_card_rateLimited", 5, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	assert_int_equal(a.http_status, 429);
	assert_int_equal(a.retry_after_s, 1);
	charge(f, "k-limited", "pm_card_rateLimited", 5, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);

	/* the same key with other parameters is refused for good */
	payments_provider_charge(f->prov, "k-visa", 2000, "USD", "pm_card_visa", 1, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_REFUSED);
	assert_string_equal(a.code, "idempotency_key_in_use");

	payments_provider_get_intent(f->prov, "pi_nope", &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_REFUSED);
	assert_int_equal(a.http_status, 404);
	payments_provider_get_intent(f->prov, "../__paysim/charges", &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_NONE); /* never put in a URL */

	/* all of that over one kept-alive connection */
	assert_int_equal(payments_provider_connects(f->prov), 1);
}

static void test_refund(void **state)
{
	fixture *f = *state;
	payments_answer a, r1, r2;

	charge(f, "k-r", "pm_card_visa", 10, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_OK);
	payments_provider_refund(f->prov, "shopq-refund-10", a.id, &r1);
	assert_int_equal(r1.kind, PAYMENTS_ANS_OK);
	assert_true(strncmp(r1.id, "re_", 3) == 0);
	assert_string_equal(r1.intent_id, a.id);
	assert_int_equal(r1.amount, 1999);
	payments_provider_refund(f->prov, "shopq-refund-10", a.id, &r2);
	assert_string_equal(r2.id, r1.id);
	payments_provider_refund(f->prov, "another-key", a.id, &r2);
	assert_int_equal(r2.kind, PAYMENTS_ANS_REFUSED);
	assert_string_equal(r2.code, "charge_already_refunded");
}

static void test_timeout_and_errors(void **state)
{
	fixture *f = *state;
	payments_answer a;
	sq_buf out = { 0 };
	int status;
	sq_err e;

	/* the provider answers after 0.7 s: a 200 ms client gives up, a timeout */
	assert_int_equal(paysim_handle(f->sim, "POST", "/__paysim/mode", NULL, NULL, "delay_ms=700", 12, &out, &status,
				       NULL, 0),
			 0);
	sq_buf_free(&out);
	payments_provider *quick = payments_provider_new(f->url, KEY, 200, &e);
	assert_non_null(quick);
	payments_provider_charge(quick, "k-slow", 1999, "USD", "pm_card_visa", 20, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_NONE);
	assert_non_null(strstr(a.reason, "timed out"));
	payments_provider_free(quick);
	assert_int_equal(paysim_handle(f->sim, "POST", "/__paysim/mode", NULL, NULL, "delay_ms=0", 10, &out, &status,
				       NULL, 0),
			 0);
	sq_buf_free(&out);

	/* a wrong key is our problem, not the customer's: passing */
	payments_provider *bad = payments_provider_new(f->url, "sk_test_wrong", 2000, &e);
	payments_provider_charge(bad, "k-bad", 1999, "USD", "pm_card_visa", 21, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_RETRY);
	assert_int_equal(a.http_status, 401);
	assert_null(strstr(a.reason, "sk_test_wrong"));
	payments_provider_free(bad);

	/* nobody listening */
	payments_provider *gone = payments_provider_new("http://127.0.0.1:1", KEY, 2000, &e);
	payments_provider_charge(gone, "k-gone", 1999, "USD", "pm_card_visa", 22, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_NONE);
	assert_int_equal(a.http_status, 0);
	/* the next call right after is not made: a batch does not wait one timeout per message */
	payments_provider_charge(gone, "k-gone-2", 1999, "USD", "pm_card_visa", 23, &a);
	assert_int_equal(a.kind, PAYMENTS_ANS_NONE);
	assert_non_null(strstr(a.reason, "not asked"));
	payments_provider_free(gone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
