// SPDX-License-Identifier: MIT
// test_paysim.c -- unit tests for the transport-free paysim logic: auth, card
// behaviours, idempotency, refunds, ledger, chaos mode and webhooks.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The Makefile links unit tests with libshopq.a (shared/) only, so the pure paysim
 * sources are compiled into this test directly (-Idaemons). http.c is not: the
 * test never starts a server. Included before cmocka.h, which defines fail(). */
#include "paysim/idem.c"
#include "paysim/ledger.c"
#include "paysim/paysim.c"

#include <cmocka.h>
#include <jansson.h>

#include "sq_webhook.h"

#define API_KEY "sk_test_paysim"
#define AUTH "Bearer " API_KEY
#define SECRET "whsec_paysim_test"
#define VISA_BODY                                                                                  \
	"amount=1999&currency=eur&payment_method=pm_card_visa&confirm=true"                        \
	"&metadata%5Border_id%5D=ord_1"

typedef struct {
	char *bodies[64];
	int n;
	int fail_next; /* how many deliveries to refuse */
	int refuse_at; /* refuse once when this many were delivered (0: never) */
} hooks;

typedef struct {
	paysim *p;
	hooks h;
} fixture;

typedef struct {
	int status;
	char retry_after[16];
	char *text;
	json_t *json;
} resp;

static int on_webhook(void *ud, const char *routing_key, const char *json_body)
{
	hooks *h = ud;
	if (h->fail_next > 0) {
		h->fail_next--;
		return -1;
	}
	if (h->refuse_at > 0 && h->n == h->refuse_at) {
		h->refuse_at = 0;
		return -1;
	}
	assert_string_equal(routing_key, "payment.webhook");
	if (h->n < 64) { /* keep the first 64, count the rest */
		h->bodies[h->n] = strdup(json_body);
		assert_non_null(h->bodies[h->n]);
	}
	h->n++;
	return 0;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->p = paysim_new(API_KEY, SECRET, on_webhook, &f->h);
	if (!f->p) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	paysim_free(f->p);
	for (int i = 0; i < f->h.n && i < 64; i++)
		free(f->h.bodies[i]);
	free(f);
	return 0;
}

static resp call(paysim *p, const char *method, const char *path, const char *auth, const char *key,
                 const char *body)
{
	resp r;
	sq_buf out = {0};
	json_error_t jerr;

	memset(&r, 0, sizeof r);
	assert_int_equal(paysim_handle(p, method, path, auth, key, body, body ? strlen(body) : 0,
	                               &out, &r.status, r.retry_after, sizeof r.retry_after),
	                 0);
	assert_non_null(out.data);
	r.text = out.data; /* taken */
	r.json = json_loads(r.text, 0, &jerr);
	assert_non_null(r.json);
	return r;
}

static void resp_free(resp *r)
{
	free(r->text);
	json_decref(r->json);
}

static const char *jstr(json_t *j, const char *path)
{
	/* dotted path lookup, e.g. "error.code" */
	char buf[128], *save = NULL, *tok;
	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return json_string_value(j);
}

static long long jint(json_t *j, const char *path)
{
	char buf[128], *save = NULL, *tok;
	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	assert_true(json_is_integer(j));
	return json_integer_value(j);
}

static json_t *charges(paysim *p, resp *holder)
{
	*holder = call(p, "GET", "/__paysim/charges", NULL, NULL, NULL);
	assert_int_equal(holder->status, 200);
	assert_true(json_is_array(holder->json));
	return holder->json;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Checks the envelope and its signature, returns the parsed event (caller frees). */
static json_t *check_webhook(const char *envelope, const char *type)
{
	json_error_t jerr;
	json_t *env = json_loads(envelope, 0, &jerr), *ev;
	const char *sig, *body, *at;
	long long t = 0;

	assert_non_null(env);
	sig = jstr(env, "signature");
	body = jstr(env, "body");
	at = jstr(env, "received_at");
	assert_non_null(sig);
	assert_non_null(body);
	assert_non_null(at);
	assert_int_equal(strlen(at), 20);
	assert_int_equal(at[19], 'Z');
	assert_int_equal(
	    sq_webhook_verify(sig, SECRET, body, strlen(body), now_ms() / 1000, 300, &t),
	    SQ_SIG_OK);
	assert_int_equal(
	    sq_webhook_verify(sig, "whsec_other", body, strlen(body), now_ms() / 1000, 300, NULL),
	    SQ_SIG_MISMATCH);
	ev = json_loads(body, 0, &jerr);
	assert_non_null(ev);
	assert_string_equal(jstr(ev, "object"), "event");
	assert_string_equal(jstr(ev, "type"), type);
	assert_int_equal(strncmp(jstr(ev, "id"), "evt_", 4), 0);
	assert_true(jint(ev, "created") > 1600000000);
	json_decref(env);
	return ev;
}

static unsigned long long evt_num(const char *id)
{
	const char *u = id ? strrchr(id, '_') : NULL;
	assert_non_null(u);
	return strtoull(u + 1, NULL, 10);
}

/* ------------------------------------------------------------------ tests */

static void test_auth(void **state)
{
	fixture *f = *state;
	resp r;

	r = call(f->p, "POST", "/v1/payment_intents", NULL, NULL, VISA_BODY);
	assert_int_equal(r.status, 401);
	assert_string_equal(jstr(r.json, "error.code"), "unauthorized");
	assert_null(strstr(r.text, API_KEY));
	resp_free(&r);
	r = call(f->p, "POST", "/v1/payment_intents", "Bearer sk_test_wrong", NULL, VISA_BODY);
	assert_int_equal(r.status, 401);
	resp_free(&r);
	r = call(f->p, "GET", "/v1/payment_intents/pi_x", "Basic abc", NULL, NULL);
	assert_int_equal(r.status, 401);
	resp_free(&r);
	r = call(f->p, "POST", "/v1/payment_intents", "Bearer " API_KEY "x", NULL, VISA_BODY);
	assert_int_equal(r.status, 401);
	resp_free(&r);
	/* nothing was charged */
	json_t *c = charges(f->p, &r);
	assert_int_equal(json_array_size(c), 0);
	resp_free(&r);
}

static void test_visa_and_get(void **state)
{
	fixture *f = *state;
	resp r, g, cr;
	char path[128];
	json_t *c, *row;

	r = call(f->p, "POST", "/v1/payment_intents", AUTH, "key-visa", VISA_BODY);
	assert_int_equal(r.status, 200);
	assert_int_equal(strncmp(jstr(r.json, "id"), "pi_", 3), 0);
	assert_string_equal(jstr(r.json, "object"), "payment_intent");
	assert_string_equal(jstr(r.json, "status"), "succeeded");
	assert_string_equal(jstr(r.json, "currency"), "eur");
	assert_string_equal(jstr(r.json, "metadata.order_id"), "ord_1");
	assert_int_equal(jint(r.json, "amount"), 1999);
	assert_true(json_is_null(json_object_get(r.json, "last_payment_error")));
	assert_string_equal(r.retry_after, "");

	snprintf(path, sizeof path, "/v1/payment_intents/%s", jstr(r.json, "id"));
	g = call(f->p, "GET", path, AUTH, NULL, NULL);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.text, r.text);
	resp_free(&g);
	g = call(f->p, "GET", "/v1/payment_intents/pi_nope_1", AUTH, NULL, NULL);
	assert_int_equal(g.status, 404);
	assert_string_equal(jstr(g.json, "error.code"), "resource_missing");
	resp_free(&g);

	c = charges(f->p, &cr);
	assert_int_equal(json_array_size(c), 1);
	row = json_array_get(c, 0);
	assert_string_equal(jstr(row, "id"), jstr(r.json, "id"));
	assert_string_equal(jstr(row, "object"), "payment_intent");
	assert_string_equal(jstr(row, "order_id"), "ord_1");
	assert_string_equal(jstr(row, "metadata.order_id"), "ord_1");
	assert_string_equal(jstr(row, "status"), "succeeded");
	assert_string_equal(jstr(row, "idempotency_key"), "key-visa");
	assert_int_equal(jint(row, "amount"), 1999);
	resp_free(&cr);
	resp_free(&r);

	/* the synchronous success also produces a signed webhook */
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 1);
	json_t *ev = check_webhook(f->h.bodies[0], "payment_intent.succeeded");
	assert_string_equal(jstr(ev, "data.object.status"), "succeeded");
	assert_string_equal(jstr(ev, "data.object.metadata.order_id"), "ord_1");
	json_decref(ev);
}

static void test_idempotency_replay_and_conflict(void **state)
{
	fixture *f = *state;
	resp a, b, c, d, cr;

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "k1", VISA_BODY);
	b = call(f->p, "POST", "/v1/payment_intents", AUTH, "k1", VISA_BODY);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.status, 200);
	assert_string_equal(a.text, b.text);
	/* same params in a different order are the same request */
	c = call(f->p, "POST", "/v1/payment_intents", AUTH, "k1",
	         "metadata%5Border_id%5D=ord_1&confirm=true&payment_method=pm_card_visa"
	         "&currency=eur&amount=1999");
	assert_int_equal(c.status, 200);
	assert_string_equal(a.text, c.text);
	/* same key, different params */
	d = call(f->p, "POST", "/v1/payment_intents", AUTH, "k1",
	         "amount=2000&currency=eur&payment_method=pm_card_visa&confirm=true"
	         "&metadata%5Border_id%5D=ord_1");
	assert_int_equal(d.status, 400);
	assert_string_equal(jstr(d.json, "error.code"), "idempotency_key_in_use");
	assert_string_equal(
	    jstr(d.json, "error.message"),
	    "Keys for idempotent requests can only be used with the same parameters "
	    "they were first used with.");
	resp_free(&d);
	/* the key on another endpoint is also a different request */
	d = call(f->p, "POST", "/v1/refunds", AUTH, "k1", "payment_intent=pi_x");
	assert_int_equal(d.status, 400);
	assert_string_equal(jstr(d.json, "error.code"), "idempotency_key_in_use");
	resp_free(&d);
	/* a new key charges again */
	d = call(f->p, "POST", "/v1/payment_intents", AUTH, "k2", VISA_BODY);
	assert_int_equal(d.status, 200);
	assert_string_not_equal(jstr(d.json, "id"), jstr(a.json, "id"));
	assert_int_equal(json_array_size(charges(f->p, &cr)), 2);
	resp_free(&cr);
	resp_free(&a);
	resp_free(&b);
	resp_free(&c);
	resp_free(&d);
	/* no key: every request is a new charge */
	a = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, VISA_BODY);
	b = call(f->p, "POST", "/v1/payment_intents", AUTH, "", VISA_BODY);
	assert_string_not_equal(jstr(a.json, "id"), jstr(b.json, "id"));
	assert_int_equal(json_array_size(charges(f->p, &cr)), 4);
	assert_true(json_is_null(json_object_get(json_array_get(cr.json, 3), "idempotency_key")));
	resp_free(&cr);
	resp_free(&a);
	resp_free(&b);
}

static void test_validation_errors(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *body, *code, *param;
	} cases[] = {
	    {"currency=eur&payment_method=pm_card_visa&confirm=true", "parameter_missing",
	     "amount"},
	    {"amount=abc&currency=eur&payment_method=pm_card_visa&confirm=true",
	     "parameter_invalid_integer", "amount"},
	    {"amount=0&currency=eur&payment_method=pm_card_visa&confirm=true",
	     "parameter_invalid_integer", "amount"},
	    {"amount=-5&currency=eur&payment_method=pm_card_visa&confirm=true",
	     "parameter_invalid_integer", "amount"},
	    {"amount=1.5&currency=eur&payment_method=pm_card_visa&confirm=true",
	     "parameter_invalid_integer", "amount"},
	    {"amount=100&payment_method=pm_card_visa&confirm=true", "parameter_missing",
	     "currency"},
	    {"amount=100&currency=euro&payment_method=pm_card_visa&confirm=true",
	     "parameter_invalid", "currency"},
	    {"amount=100&currency=eur&confirm=true", "parameter_missing", "payment_method"},
	    {"amount=100&currency=eur&payment_method=pm_card_visa", "parameter_missing", "confirm"},
	    {"amount=100&currency=eur&payment_method=pm_card_amex&confirm=true", "resource_missing",
	     "payment_method"},
	};
	resp r, cr;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, cases[i].body);
		assert_int_equal(r.status, 400);
		assert_string_equal(jstr(r.json, "error.code"), cases[i].code);
		assert_string_equal(jstr(r.json, "error.param"), cases[i].param);
		resp_free(&r);
	}
	r = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, "amount=%zz");
	assert_int_equal(r.status, 400);
	resp_free(&r);
	/* a saved validation error is replayed too */
	r = call(f->p, "POST", "/v1/payment_intents", AUTH, "kv", "amount=1");
	assert_int_equal(r.status, 400);
	resp_free(&r);
	r = call(f->p, "POST", "/v1/payment_intents", AUTH, "kv", "amount=1");
	assert_int_equal(r.status, 400);
	assert_string_equal(jstr(r.json, "error.code"), "parameter_missing");
	resp_free(&r);
	r = call(f->p, "POST", "/v1/nothing", AUTH, NULL, NULL);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	r = call(f->p, "GET", "/elsewhere", NULL, NULL, NULL);
	assert_int_equal(r.status, 404);
	resp_free(&r);
	assert_int_equal(json_array_size(charges(f->p, &cr)), 0);
	resp_free(&cr);
}

static void test_decline(void **state)
{
	fixture *f = *state;
	const char *body = "amount=500&currency=usd&payment_method=pm_card_chargeDeclined"
	                   "&confirm=true&metadata%5Border_id%5D=ord_d";
	resp a, b, cr;
	json_t *row, *ev;

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "kd", body);
	assert_int_equal(a.status, 402);
	assert_string_equal(jstr(a.json, "error.code"), "card_declined");
	assert_string_equal(jstr(a.json, "error.message"), "Your card was declined.");
	assert_string_equal(jstr(a.json, "error.payment_intent.status"), "requires_payment_method");
	assert_string_equal(jstr(a.json, "error.payment_intent.last_payment_error.code"),
	                    "card_declined");
	b = call(f->p, "POST", "/v1/payment_intents", AUTH, "kd", body);
	assert_int_equal(b.status, 402);
	assert_string_equal(a.text, b.text);
	assert_int_equal(json_array_size(charges(f->p, &cr)), 1);
	row = json_array_get(cr.json, 0);
	assert_string_equal(jstr(row, "status"), "requires_payment_method");
	assert_string_equal(jstr(row, "order_id"), "ord_d");
	resp_free(&cr);
	resp_free(&a);
	resp_free(&b);
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 1);
	ev = check_webhook(f->h.bodies[0], "payment_intent.payment_failed");
	assert_string_equal(jstr(ev, "data.object.status"), "requires_payment_method");
	json_decref(ev);
}

static void test_flaky_and_rate_limited(void **state)
{
	fixture *f = *state;
	const char *flaky = "amount=700&currency=eur&payment_method=pm_card_flaky&confirm=true"
	                    "&metadata%5Border_id%5D=ord_f";
	const char *rl = "amount=800&currency=eur&payment_method=pm_card_rateLimited&confirm=true"
	                 "&metadata%5Border_id%5D=ord_r";
	resp a, b, c, cr;

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "kf", flaky);
	assert_int_equal(a.status, 500);
	assert_string_equal(jstr(a.json, "error.code"), "api_error");
	assert_int_equal(json_array_size(charges(f->p, &cr)), 0);
	resp_free(&cr);
	/* different params under the key after a failed first attempt: still a conflict */
	c = call(f->p, "POST", "/v1/payment_intents", AUTH, "kf", rl);
	assert_int_equal(c.status, 400);
	assert_string_equal(jstr(c.json, "error.code"), "idempotency_key_in_use");
	resp_free(&c);
	b = call(f->p, "POST", "/v1/payment_intents", AUTH, "kf", flaky);
	assert_int_equal(b.status, 200);
	assert_string_equal(jstr(b.json, "status"), "succeeded");
	c = call(f->p, "POST", "/v1/payment_intents", AUTH, "kf", flaky);
	assert_int_equal(c.status, 200);
	assert_string_equal(b.text, c.text);
	resp_free(&a);
	resp_free(&b);
	resp_free(&c);

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "kr", rl);
	assert_int_equal(a.status, 429);
	assert_string_equal(a.retry_after, "1");
	assert_string_equal(jstr(a.json, "error.code"), "rate_limited");
	b = call(f->p, "POST", "/v1/payment_intents", AUTH, "kr", rl);
	assert_int_equal(b.status, 200);
	assert_string_equal(b.retry_after, "");
	resp_free(&a);
	resp_free(&b);

	/* without a key every attempt is a first attempt */
	for (int i = 0; i < 3; i++) {
		a = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, flaky);
		assert_int_equal(a.status, 500);
		resp_free(&a);
	}
	assert_int_equal(json_array_size(charges(f->p, &cr)), 2);
	assert_string_equal(jstr(json_array_get(cr.json, 0), "order_id"), "ord_f");
	assert_string_equal(jstr(json_array_get(cr.json, 1), "order_id"), "ord_r");
	resp_free(&cr);
}

static void test_processing_settles_with_webhook(void **state)
{
	fixture *f = *state;
	resp a, g;
	char path[128];
	json_t *ev;
	long long now = now_ms();

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "kp",
	         "amount=900&currency=eur&payment_method=pm_card_processing&confirm=true"
	         "&metadata%5Border_id%5D=ord_p");
	assert_int_equal(a.status, 200);
	assert_string_equal(jstr(a.json, "status"), "processing");
	snprintf(path, sizeof path, "/v1/payment_intents/%s", jstr(a.json, "id"));
	paysim_tick(f->p, now);
	assert_int_equal(f->h.n, 0);
	g = call(f->p, "GET", path, AUTH, NULL, NULL);
	assert_string_equal(jstr(g.json, "status"), "processing");
	resp_free(&g);
	/* a processing intent cannot be refunded yet */
	g = call(f->p, "POST", "/v1/refunds", AUTH, NULL, "payment_intent=x");
	assert_int_equal(g.status, 404);
	resp_free(&g);
	{
		char body[128];
		snprintf(body, sizeof body, "payment_intent=%s", jstr(a.json, "id"));
		g = call(f->p, "POST", "/v1/refunds", AUTH, NULL, body);
		assert_int_equal(g.status, 400);
		assert_string_equal(jstr(g.json, "error.code"), "charge_not_refundable");
		resp_free(&g);
	}

	paysim_tick(f->p, now + 1500);
	assert_int_equal(f->h.n, 1);
	ev = check_webhook(f->h.bodies[0], "payment_intent.succeeded");
	assert_string_equal(jstr(ev, "data.object.id"), jstr(a.json, "id"));
	assert_string_equal(jstr(ev, "data.object.status"), "succeeded");
	assert_string_equal(jstr(ev, "data.object.currency"), "eur");
	assert_string_equal(jstr(ev, "data.object.metadata.order_id"), "ord_p");
	assert_int_equal(jint(ev, "data.object.amount"), 900);
	json_decref(ev);
	g = call(f->p, "GET", path, AUTH, NULL, NULL);
	assert_string_equal(jstr(g.json, "status"), "succeeded");
	resp_free(&g);
	/* the idempotent replay is the saved answer (processing), like the provider */
	g = call(f->p, "POST", "/v1/payment_intents", AUTH, "kp",
	         "amount=900&currency=eur&payment_method=pm_card_processing&confirm=true"
	         "&metadata%5Border_id%5D=ord_p");
	assert_string_equal(g.text, a.text);
	resp_free(&g);
	paysim_tick(f->p, now + 3000);
	assert_int_equal(f->h.n, 1);
	resp_free(&a);
}

static void test_refunds(void **state)
{
	fixture *f = *state;
	resp a, r1, r2, r3, cr;
	char body[160];
	json_t *row, *ev;

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "kpay", VISA_BODY);
	assert_int_equal(a.status, 200);
	snprintf(body, sizeof body, "payment_intent=%s&amount=500", jstr(a.json, "id"));
	r1 = call(f->p, "POST", "/v1/refunds", AUTH, "kref1", body);
	assert_int_equal(r1.status, 200);
	assert_int_equal(strncmp(jstr(r1.json, "id"), "re_", 3), 0);
	assert_string_equal(jstr(r1.json, "object"), "refund");
	assert_string_equal(jstr(r1.json, "payment_intent"), jstr(a.json, "id"));
	assert_string_equal(jstr(r1.json, "status"), "succeeded");
	assert_int_equal(jint(r1.json, "amount"), 500);
	/* replay does not refund twice */
	r2 = call(f->p, "POST", "/v1/refunds", AUTH, "kref1", body);
	assert_string_equal(r1.text, r2.text);
	resp_free(&r2);
	/* too much */
	snprintf(body, sizeof body, "payment_intent=%s&amount=1500", jstr(a.json, "id"));
	r2 = call(f->p, "POST", "/v1/refunds", AUTH, NULL, body);
	assert_int_equal(r2.status, 400);
	assert_string_equal(jstr(r2.json, "error.code"), "amount_too_large");
	resp_free(&r2);
	/* the rest */
	snprintf(body, sizeof body, "payment_intent=%s", jstr(a.json, "id"));
	r2 = call(f->p, "POST", "/v1/refunds", AUTH, "kref2", body);
	assert_int_equal(r2.status, 200);
	assert_int_equal(jint(r2.json, "amount"), 1499);
	r3 = call(f->p, "POST", "/v1/refunds", AUTH, "kref3", body);
	assert_int_equal(r3.status, 400);
	assert_string_equal(jstr(r3.json, "error.code"), "charge_already_refunded");
	resp_free(&r3);
	r3 = call(f->p, "POST", "/v1/refunds", AUTH, NULL, "payment_intent=pi_unknown_1");
	assert_int_equal(r3.status, 404);
	assert_string_equal(jstr(r3.json, "error.code"), "resource_missing");
	resp_free(&r3);
	r3 = call(f->p, "POST", "/v1/refunds", AUTH, NULL, "amount=5");
	assert_int_equal(r3.status, 400);
	assert_string_equal(jstr(r3.json, "error.code"), "parameter_missing");
	resp_free(&r3);

	assert_int_equal(json_array_size(charges(f->p, &cr)), 3);
	row = json_array_get(cr.json, 1);
	assert_string_equal(jstr(row, "object"), "refund");
	assert_string_equal(jstr(row, "id"), jstr(r1.json, "id"));
	assert_string_equal(jstr(row, "order_id"), "ord_1");
	assert_string_equal(jstr(row, "metadata.order_id"), "ord_1");
	assert_string_equal(jstr(row, "idempotency_key"), "kref1");
	assert_string_equal(jstr(row, "status"), "succeeded");
	assert_int_equal(jint(row, "amount"), 500);
	assert_int_equal(jint(json_array_get(cr.json, 0), "amount_refunded"), 1999);
	resp_free(&cr);

	/* a declined intent is not refundable */
	r3 = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL,
	          "amount=500&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true");
	snprintf(body, sizeof body, "payment_intent=%s", jstr(r3.json, "error.payment_intent.id"));
	resp_free(&r3);
	r3 = call(f->p, "POST", "/v1/refunds", AUTH, NULL, body);
	assert_int_equal(r3.status, 400);
	assert_string_equal(jstr(r3.json, "error.code"), "charge_not_refundable");
	resp_free(&r3);

	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 4); /* succeeded, refunded, refunded, payment_failed */
	json_decref(check_webhook(f->h.bodies[0], "payment_intent.succeeded"));
	ev = check_webhook(f->h.bodies[1], "charge.refunded");
	assert_string_equal(jstr(ev, "data.object.id"), jstr(a.json, "id"));
	assert_int_equal(jint(ev, "data.object.amount_refunded"), 500);
	json_decref(ev);
	json_decref(check_webhook(f->h.bodies[2], "charge.refunded"));
	json_decref(check_webhook(f->h.bodies[3], "payment_intent.payment_failed"));
	resp_free(&a);
	resp_free(&r1);
	resp_free(&r2);
}

static void test_webhook_retry_keeps_order(void **state)
{
	fixture *f = *state;
	resp a;
	json_t *e1, *e2;

	for (int i = 0; i < 3; i++) {
		a = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, VISA_BODY);
		resp_free(&a);
	}
	f->h.fail_next = 1;
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 0);
	/* a new event arrives while the old ones wait */
	a = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL,
	         "amount=5&currency=eur&payment_method=pm_card_chargeDeclined&confirm=true");
	resp_free(&a);
	f->h.fail_next = 0;
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 4);
	e1 = check_webhook(f->h.bodies[0], "payment_intent.succeeded");
	e2 = check_webhook(f->h.bodies[2], "payment_intent.succeeded");
	assert_true(strcmp(jstr(e1, "id"), jstr(e2, "id")) != 0);
	json_decref(e1);
	json_decref(e2);
	json_decref(check_webhook(f->h.bodies[3], "payment_intent.payment_failed"));
	/* failing in the middle keeps the tail */
	for (int i = 0; i < 3; i++) {
		a = call(f->p, "POST", "/v1/payment_intents", AUTH, NULL, VISA_BODY);
		resp_free(&a);
	}
	f->h.refuse_at = 5; /* deliver one, refuse the second */
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 5);
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 7);
	/* every event delivered exactly once, in creation order */
	for (int i = 1; i < 7; i++) {
		json_t *x = json_loads(f->h.bodies[i - 1], 0, NULL);
		json_t *y = json_loads(f->h.bodies[i], 0, NULL);
		json_t *ex = json_loads(jstr(x, "body"), 0, NULL);
		json_t *ey = json_loads(jstr(y, "body"), 0, NULL);
		assert_true(evt_num(jstr(ex, "id")) + 1 == evt_num(jstr(ey, "id")));
		json_decref(x);
		json_decref(y);
		json_decref(ex);
		json_decref(ey);
	}
}

/* Sets the mode (a fail_status with fail_rate at 100) and checks that a charge
 * fails with that status, error code and Retry-After. */
static void expect_injected(paysim *p, const char *mode, long status, const char *code, const char *retry_after)
{
	resp a = call(p, "POST", "/__paysim/mode", NULL, NULL, mode);
	assert_int_equal(a.status, 200);
	assert_int_equal(jint(a.json, "fail_status"), status);
	assert_int_equal(jint(a.json, "fail_rate"), 100); /* untouched */
	resp_free(&a);
	a = call(p, "POST", "/v1/payment_intents", AUTH, "k-chaos", VISA_BODY);
	assert_int_equal(a.status, status);
	assert_string_equal(jstr(a.json, "error.code"), code);
	assert_string_equal(a.retry_after, retry_after);
	resp_free(&a);
}

static void test_mode_and_reset(void **state)
{
	fixture *f = *state;
	resp a, cr;
	char first_id[64];

	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "k-reset", VISA_BODY);
	snprintf(first_id, sizeof first_id, "%s", jstr(a.json, "id"));
	resp_free(&a);

	a = call(f->p, "POST", "/__paysim/mode", NULL, NULL, "fail_rate=100&delay_ms=250");
	assert_int_equal(a.status, 200);
	assert_int_equal(jint(a.json, "fail_rate"), 100);
	assert_int_equal(jint(a.json, "delay_ms"), 250);
	resp_free(&a);
	assert_int_equal(paysim_delay_ms(f->p, "/v1/payment_intents"), 250);
	assert_int_equal(paysim_delay_ms(f->p, "/__paysim/charges"), 0);
	a = call(f->p, "GET", "/__paysim/mode", NULL, NULL, NULL);
	assert_int_equal(jint(a.json, "fail_rate"), 100);
	resp_free(&a);
	for (int i = 0; i < 5; i++) {
		a = call(f->p, "POST", "/v1/payment_intents", AUTH, "k-chaos", VISA_BODY);
		assert_int_equal(a.status, 500);
		assert_string_equal(jstr(a.json, "error.code"), "api_error");
		resp_free(&a);
	}
	a = call(f->p, "POST", "/__paysim/mode", NULL, NULL, "fail_rate=101");
	assert_int_equal(a.status, 400);
	resp_free(&a);
	/* the injected failures' status: 503, then 429 with Retry-After */
	expect_injected(f->p, "fail_status=503", 503, "api_error", "");
	expect_injected(f->p, "fail_status=429", 429, "rate_limited", "1");
	for (int i = 0; i < 4; i++) {
		static const char *const bad[] = { "fail_status=404", "fail_status=200", "fail_status=5o0", "fail_status=" };
		a = call(f->p, "POST", "/__paysim/mode", NULL, NULL, bad[i]);
		assert_int_equal(a.status, 400);
		assert_string_equal(jstr(a.json, "error.param"), "fail_status");
		resp_free(&a);
	}
	a = call(f->p, "GET", "/__paysim/mode", NULL, NULL, NULL);
	assert_int_equal(jint(a.json, "fail_status"), 429); /* a refused change changes nothing */
	resp_free(&a);
	a = call(f->p, "POST", "/__paysim/mode", NULL, NULL, "fail_rate=0");
	assert_int_equal(jint(a.json, "delay_ms"), 250); /* untouched */
	resp_free(&a);
	/* chaos failures charged nothing and did not burn the key */
	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "k-chaos", VISA_BODY);
	assert_int_equal(a.status, 200);
	resp_free(&a);
	assert_int_equal(json_array_size(charges(f->p, &cr)), 2);
	resp_free(&cr);

	a = call(f->p, "POST", "/__paysim/reset", NULL, NULL, NULL);
	assert_int_equal(a.status, 200);
	resp_free(&a);
	assert_int_equal(paysim_delay_ms(f->p, "/v1/payment_intents"), 0);
	a = call(f->p, "GET", "/__paysim/mode", NULL, NULL, NULL);
	assert_int_equal(jint(a.json, "fail_status"), 500); /* reset restores the default */
	resp_free(&a);
	assert_int_equal(json_array_size(charges(f->p, &cr)), 0);
	resp_free(&cr);
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 0); /* queued webhooks were dropped too */
	/* keys are forgotten, ids never repeat */
	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "k-reset", VISA_BODY);
	assert_int_equal(a.status, 200);
	assert_string_not_equal(jstr(a.json, "id"), first_id);
	resp_free(&a);
	{
		char path[128];
		snprintf(path, sizeof path, "/v1/payment_intents/%s", first_id);
		a = call(f->p, "GET", path, AUTH, NULL, NULL);
		assert_int_equal(a.status, 404);
		resp_free(&a);
	}
}

static void test_many_intents(void **state)
{
	fixture *f = *state;
	char key[32], path[128], last[64] = "";
	resp a, cr;

	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "bulk-%d", i);
		a = call(f->p, "POST", "/v1/payment_intents", AUTH, key, VISA_BODY);
		assert_int_equal(a.status, 200);
		if (i == 1234)
			snprintf(last, sizeof last, "%s", jstr(a.json, "id"));
		resp_free(&a);
	}
	snprintf(path, sizeof path, "/v1/payment_intents/%s", last);
	a = call(f->p, "GET", path, AUTH, NULL, NULL);
	assert_int_equal(a.status, 200);
	resp_free(&a);
	a = call(f->p, "POST", "/v1/payment_intents", AUTH, "bulk-7", VISA_BODY);
	assert_int_equal(a.status, 200);
	resp_free(&a);
	assert_int_equal(json_array_size(charges(f->p, &cr)), 3000);
	resp_free(&cr);
	paysim_tick(f->p, now_ms());
	assert_int_equal(f->h.n, 3000);
}

static void test_new_rejects_bad_args(void **state)
{
	(void)state;
	assert_null(paysim_new("", SECRET, NULL, NULL));
	assert_null(paysim_new(API_KEY, "", NULL, NULL));
	assert_null(paysim_new(NULL, NULL, NULL, NULL));
	paysim_free(NULL);
	paysim *p = paysim_new(API_KEY, SECRET, NULL, NULL); /* no webhook callback */
	resp a = call(p, "POST", "/v1/payment_intents", AUTH, NULL, VISA_BODY);
	assert_int_equal(a.status, 200);
	resp_free(&a);
	paysim_tick(p, now_ms());
	assert_int_equal(paysim_http_port(p), 0);
	paysim_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visa_and_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotency_replay_and_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validation_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flaky_and_rate_limited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_processing_settles_with_webhook, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refunds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_webhook_retry_keeps_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode_and_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_intents, setup, teardown),
	    cmocka_unit_test(test_new_rejects_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
