// SPDX-License-Identifier: MIT
// paysim.c -- paysim provider logic without HTTP: request routing, card behaviours,
// idempotency replays, refunds, chaos mode and the signed webhook queue.
#include "paysim.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sq_webhook.h"
#include "idem.h"
#include "ledger.h"

#define PAYSIM_ROUTING_KEY "payment.webhook"
#define PAYSIM_SETTLE_MS 1000      /* pm_card_processing settles this much later */
#define PAYSIM_MAX_AMOUNT 99999999 /* 8 digits, like the real provider */
#define PAYSIM_MAX_IDEM_KEY 255
#define PAYSIM_MAX_METADATA 500
#define PAYSIM_MAX_DELAY_MS 60000

struct paysim {
	pthread_mutex_t mu;
	char *api_key;
	char *webhook_secret;
	paysim_webhook_fn fn;
	void *ud;
	char tag[24];
	ledger led;
	idem_store idem;
	size_t *processing; /* intent indices waiting to settle */
	size_t n_processing, cap_processing;
	char **events; /* event JSON waiting for delivery, oldest first */
	size_t n_events, cap_events;
	unsigned long long evt_counter;
	atomic_ullong generation; /* bumped by reset (under mu), read lock-free by tick */
	int fail_rate;   /* percent of /v1 requests failed on purpose (chaos mode) */
	int fail_status; /* their status: 500, 502, 503 or 429 (with Retry-After: 1) */
	long long delay_ms;
	int delayed_now, delayed_max; /* answers waiting out delay_ms at once: now, the most since reset */
	uint64_t rng;
	void *http;
	void (*http_stop)(void *http);
	int http_port;
};

/* ---------------------------------------------------------------- helpers */

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(paysim *p)
{
	uint64_t x = p->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	p->rng = x;
	return x;
}

/* Parses 1..18 plain digits within [min, max]. 0 ok, -1 otherwise. */
static int parse_int(const char *s, long long min, long long max, long long *out)
{
	long long v = 0;
	size_t n = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || ++n > 18)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- params */

typedef struct {
	char *key, *value;
} param;

typedef struct {
	param *v;
	size_t n, cap;
} params;

#define PARAMS_OOM (-2)

static int params_cb(const char *key, const char *value, void *ud)
{
	params *ps = ud;
	char *k = NULL, *v = NULL;

	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 8;
		param *nv = realloc(ps->v, ncap * sizeof *nv);
		if (!nv)
			return PARAMS_OOM;
		ps->v = nv;
		ps->cap = ncap;
	}
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return PARAMS_OOM;
	}
	ps->v[ps->n].key = k;
	ps->v[ps->n].value = v;
	ps->n++;
	return 0;
}

static void params_free(params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].key);
		free(ps->v[i].value);
	}
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* The last value given for key, or NULL. */
static const char *params_get(const params *ps, const char *key)
{
	for (size_t i = ps->n; i > 0; i--)
		if (strcmp(ps->v[i - 1].key, key) == 0)
			return ps->v[i - 1].value;
	return NULL;
}

static int param_cmp(const void *a, const void *b)
{
	const param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

/* Canonical "METHOD path\n" + sorted, re-encoded params. NULL when out of memory. */
static char *fingerprint(const char *method, const char *path, const params *ps)
{
	sq_buf b = {0};
	param *sorted = NULL;

	if (sq_buf_append_str(&b, method) || sq_buf_append_str(&b, " ") ||
	    sq_buf_append_str(&b, path) || sq_buf_append_str(&b, "\n"))
		goto fail;
	if (ps->n > 0) {
		sorted = malloc(ps->n * sizeof *sorted);
		if (!sorted)
			goto fail;
		memcpy(sorted, ps->v, ps->n * sizeof *sorted);
		qsort(sorted, ps->n, sizeof *sorted, param_cmp);
		for (size_t i = 0; i < ps->n; i++)
			if (sq_form_add(&b, sorted[i].key, sorted[i].value))
				goto fail;
	}
	free(sorted);
	return b.data;
fail:
	free(sorted);
	sq_buf_free(&b);
	return NULL;
}

/* ---------------------------------------------------------------- replies */

typedef struct {
	int status;
	json_t *json;
	int transient; /* not saved under the idempotency key */
	const char *retry_after;
} reply;

static int set_reply(reply *r, int status, json_t *json)
{
	r->status = status;
	json_decref(r->json);
	r->json = json;
	return json ? 0 : -1;
}

static json_t *error_json(const char *code, const char *type, const char *message,
                          const char *param_name)
{
	return json_pack("{s:{s:s, s:s, s:s, s:s*}}", "error", "code", code, "message", message,
	                 "type", type, "param", param_name);
}

static int set_error(reply *r, int status, const char *code, const char *type, const char *message,
                     const char *param_name)
{
	return set_reply(r, status, error_json(code, type, message, param_name));
}

static int set_missing(reply *r, const char *param_name)
{
	char msg[128];
	snprintf(msg, sizeof msg, "Missing required param: %s.", param_name);
	return set_error(r, 400, "parameter_missing", "invalid_request_error", msg, param_name);
}

static int set_invalid(reply *r, const char *code, const char *param_name, const char *what,
                       const char *value)
{
	char msg[256];
	snprintf(msg, sizeof msg, "%s: %.100s", what, value);
	return set_error(r, 400, code, "invalid_request_error", msg, param_name);
}

/* ---------------------------------------------------------------- webhooks */

/* Queues an event about intent i. Best effort: dropped when out of memory,
 * because the request that caused it has already taken effect. */
static void event_enqueue(paysim *p, const char *type, size_t i, long long created)
{
	char id[LEDGER_ID_MAX + 8];
	json_t *obj = NULL, *ev = NULL;
	char *s = NULL;

	if (!p->fn)
		return;
	if (p->n_events == p->cap_events) {
		size_t ncap = p->cap_events ? p->cap_events * 2 : 64;
		char **nv = realloc(p->events, ncap * sizeof *nv);
		if (!nv)
			goto fail;
		p->events = nv;
		p->cap_events = ncap;
	}
	obj = ledger_intent_json(&p->led, i);
	if (!obj)
		goto fail;
	p->evt_counter++;
	snprintf(id, sizeof id, "evt_%s_%llu", p->tag, p->evt_counter);
	ev = json_pack("{s:s, s:s, s:s, s:I, s:{s:o}}", "id", id, "object", "event", "type", type,
	               "created", (json_int_t)created, "data", "object", obj);
	obj = NULL; /* stolen by json_pack, even on failure */
	if (!ev)
		goto fail;
	s = json_dumps(ev, JSON_COMPACT);
	if (!s)
		goto fail;
	p->events[p->n_events++] = s;
fail:
	json_decref(ev);
	json_decref(obj);
}

/* {"signature":..., "body": event, "received_at": RFC 3339}. NULL on failure. */
static char *webhook_envelope(const paysim *p, const char *event, long long now_s)
{
	char sig[160], at[32];
	struct tm tm;
	time_t t = (time_t)now_s;
	json_t *env = NULL;
	char *s = NULL;

	sq_webhook_header(p->webhook_secret, now_s, event, strlen(event), sig, sizeof sig);
	if (!sig[0] || !gmtime_r(&t, &tm) ||
	    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		goto fail;
	env = json_pack("{s:s, s:s, s:s}", "signature", sig, "body", event, "received_at", at);
	if (!env)
		goto fail;
	s = json_dumps(env, JSON_COMPACT);
fail:
	json_decref(env);
	return s;
}

static void settle_due(paysim *p, long long now_ms)
{
	size_t keep = 0;

	for (size_t k = 0; k < p->n_processing; k++) {
		size_t i = p->processing[k];
		ledger_intent *it = &p->led.intents[i];
		if (it->settle_at_ms > now_ms) {
			p->processing[keep++] = i;
			continue;
		}
		it->status = LEDGER_PI_SUCCEEDED;
		event_enqueue(p, "payment_intent.succeeded", i, now_ms / 1000);
	}
	p->n_processing = keep;
}

/* Puts the undelivered q[0..n) back in front of p->events (lock held). Takes q. */
static void requeue_front(paysim *p, char **q, size_t n)
{
	char **merged;

	if (p->n_events > SIZE_MAX / sizeof *merged - n)
		goto drop;
	merged = realloc(q, (n + p->n_events) * sizeof *merged);
	if (!merged)
		goto drop;
	if (p->n_events > 0)
		memcpy(merged + n, p->events, p->n_events * sizeof *merged);
	free(p->events);
	p->events = merged;
	p->n_events += n;
	p->cap_events = p->n_events;
	return;
drop:
	for (size_t i = 0; i < n; i++)
		free(q[i]);
	free(q);
}

void paysim_tick(paysim *p, long long now_ms)
{
	char **q;
	size_t n, i = 0;
	unsigned long long gen;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	settle_due(p, now_ms);
	q = p->events;
	n = p->n_events;
	gen = atomic_load(&p->generation);
	p->events = NULL;
	p->n_events = p->cap_events = 0;
	pthread_mutex_unlock(&p->mu);

	for (; i < n; i++) {
		char *env;
		if (atomic_load(&p->generation) != gen)
			break; /* reset while delivering: drop the rest below */
		env = webhook_envelope(p, q[i], now_ms / 1000);
		int rc = env ? p->fn(p->ud, PAYSIM_ROUTING_KEY, env) : -1;
		free(env);
		if (rc != 0)
			break;
		free(q[i]);
	}
	if (i == n) {
		free(q);
		return;
	}
	memmove(q, q + i, (n - i) * sizeof *q);
	pthread_mutex_lock(&p->mu);
	if (gen == atomic_load(&p->generation)) {
		requeue_front(p, q, n - i);
	} else { /* reset while delivering: the old events are gone */
		for (size_t k = 0; k < n - i; k++)
			free(q[k]);
		free(q);
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---------------------------------------------------------------- /v1 endpoints */

typedef enum { PM_VISA, PM_DECLINED, PM_PROCESSING, PM_FLAKY, PM_RATE_LIMITED } pm_behaviour;

static const struct {
	const char *name;
	pm_behaviour behaviour;
} pm_table[] = {
    {"pm_card_visa", PM_VISA},
    {"pm_card_chargeDeclined", PM_DECLINED},
    {"pm_card_processing", PM_PROCESSING},
    {"pm_card_flaky", PM_FLAKY},
    {"pm_card_rateLimited", PM_RATE_LIMITED},
};

static int valid_currency(const char *c, char out[4])
{
	if (strlen(c) != 3)
		return -1;
	for (int i = 0; i < 3; i++) {
		char ch = c[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch < 'a' || ch > 'z')
			return -1;
		out[i] = ch;
	}
	out[3] = '\0';
	return 0;
}

static int pi_create(paysim *p, const params *ps, const char *key, int first_attempt, reply *r)
{
	const char *amount_s = params_get(ps, "amount");
	const char *currency = params_get(ps, "currency");
	const char *pm = params_get(ps, "payment_method");
	const char *confirm = params_get(ps, "confirm");
	const char *order_id = params_get(ps, "metadata[order_id]");
	char cur[4], msg[256];
	long long amount;
	size_t k;
	long idx;
	ledger_intent *it;
	json_t *obj;

	if (!amount_s)
		return set_missing(r, "amount");
	if (parse_int(amount_s, 1, PAYSIM_MAX_AMOUNT, &amount))
		return set_invalid(r, "parameter_invalid_integer", "amount", "Invalid integer",
		                   amount_s);
	if (!currency)
		return set_missing(r, "currency");
	if (valid_currency(currency, cur))
		return set_invalid(r, "parameter_invalid", "currency", "Invalid currency",
		                   currency);
	if (!pm)
		return set_missing(r, "payment_method");
	if (!confirm)
		return set_missing(r, "confirm");
	if (strcmp(confirm, "true") != 0)
		return set_invalid(r, "parameter_invalid", "confirm",
		                   "paysim only supports confirm=true", confirm);
	if (order_id && strlen(order_id) > PAYSIM_MAX_METADATA)
		return set_error(r, 400, "parameter_invalid", "invalid_request_error",
		                 "Metadata values can have up to 500 characters.",
		                 "metadata[order_id]");
	for (k = 0; k < sizeof pm_table / sizeof pm_table[0]; k++)
		if (strcmp(pm, pm_table[k].name) == 0)
			break;
	if (k == sizeof pm_table / sizeof pm_table[0]) {
		snprintf(msg, sizeof msg, "No such PaymentMethod: '%.100s'", pm);
		return set_error(r, 400, "resource_missing", "invalid_request_error", msg,
		                 "payment_method");
	}
	if (pm_table[k].behaviour == PM_FLAKY && first_attempt) {
		r->transient = 1;
		return set_error(
		    r, 500, "api_error", "api_error",
		    "An unexpected error occurred (simulated by pm_card_flaky); retry with "
		    "the same Idempotency-Key.",
		    NULL);
	}
	if (pm_table[k].behaviour == PM_RATE_LIMITED && first_attempt) {
		r->transient = 1;
		r->retry_after = "1";
		return set_error(r, 429, "rate_limited", "rate_limit_error",
		                 "Too many requests hit the API too quickly (simulated by "
		                 "pm_card_rateLimited).",
		                 NULL);
	}
	if (pm_table[k].behaviour == PM_PROCESSING && p->n_processing == p->cap_processing) {
		size_t ncap = p->cap_processing ? p->cap_processing * 2 : 64;
		size_t *nv = realloc(p->processing, ncap * sizeof *nv);
		if (!nv)
			return -1;
		p->processing = nv;
		p->cap_processing = ncap;
	}
	idx = ledger_add_intent(&p->led, order_id, key);
	if (idx < 0)
		return -1;
	it = &p->led.intents[idx];
	it->amount = amount;
	memcpy(it->currency, cur, sizeof cur);
	it->payment_method = pm_table[k].name;
	it->created = wall_ms() / 1000;
	switch (pm_table[k].behaviour) {
	case PM_DECLINED:
		it->status = LEDGER_PI_REQUIRES_PAYMENT_METHOD;
		it->declined = 1;
		event_enqueue(p, "payment_intent.payment_failed", (size_t)idx, it->created);
		obj = ledger_intent_json(&p->led, (size_t)idx);
		if (!obj)
			return -1;
		return set_reply(r, 402,
		                 json_pack("{s:{s:s, s:s, s:s, s:s, s:o}}", "error", "code",
		                           "card_declined", "decline_code", "generic_decline",
		                           "message", "Your card was declined.", "type",
		                           "card_error", "payment_intent", obj));
	case PM_PROCESSING:
		it->status = LEDGER_PI_PROCESSING;
		it->settle_at_ms = wall_ms() + PAYSIM_SETTLE_MS;
		p->processing[p->n_processing++] = (size_t)idx;
		break;
	case PM_VISA:
	case PM_FLAKY:
	case PM_RATE_LIMITED:
		it->status = LEDGER_PI_SUCCEEDED;
		event_enqueue(p, "payment_intent.succeeded", (size_t)idx, it->created);
		break;
	}
	return set_reply(r, 200, ledger_intent_json(&p->led, (size_t)idx));
}

static int refund_create(paysim *p, const params *ps, const char *key, reply *r)
{
	const char *pi = params_get(ps, "payment_intent");
	const char *amount_s = params_get(ps, "amount");
	char msg[256];
	long long amount, remaining;
	long i, ri;
	ledger_intent *it;

	if (!pi)
		return set_missing(r, "payment_intent");
	if (amount_s && parse_int(amount_s, 1, PAYSIM_MAX_AMOUNT, &amount))
		return set_invalid(r, "parameter_invalid_integer", "amount", "Invalid integer",
		                   amount_s);
	i = ledger_find_intent(&p->led, pi);
	if (i < 0) {
		snprintf(msg, sizeof msg, "No such payment_intent: '%.100s'", pi);
		return set_error(r, 404, "resource_missing", "invalid_request_error", msg,
		                 "payment_intent");
	}
	it = &p->led.intents[i];
	if (it->status != LEDGER_PI_SUCCEEDED) {
		snprintf(msg, sizeof msg, "PaymentIntent %s has status %s and cannot be refunded.",
		         it->id, ledger_status_str(it->status));
		return set_error(r, 400, "charge_not_refundable", "invalid_request_error", msg,
		                 NULL);
	}
	remaining = it->amount - it->amount_refunded;
	if (remaining <= 0) {
		snprintf(msg, sizeof msg, "PaymentIntent %s has already been refunded.", it->id);
		return set_error(r, 400, "charge_already_refunded", "invalid_request_error", msg,
		                 NULL);
	}
	if (!amount_s)
		amount = remaining;
	if (amount > remaining) {
		snprintf(msg, sizeof msg,
		         "Refund amount (%lld) is greater than unrefunded amount on charge (%lld).",
		         amount, remaining);
		return set_error(r, 400, "amount_too_large", "invalid_request_error", msg,
		                 "amount");
	}
	ri = ledger_add_refund(&p->led, (size_t)i, amount, key);
	if (ri < 0)
		return -1;
	p->led.refunds[ri].created = wall_ms() / 1000;
	it->amount_refunded += amount;
	event_enqueue(p, "charge.refunded", (size_t)i, p->led.refunds[ri].created);
	return set_reply(r, 200, ledger_refund_json(&p->led, (size_t)ri));
}

typedef enum { EP_INTENTS, EP_REFUNDS } endpoint;

/* Runs a POST endpoint under the Idempotency-Key rules. */
static int with_idempotency(paysim *p, endpoint ep, const char *path, const char *key,
                            const params *ps, reply *r, int *replayed, char **saved)
{
	idem_entry *e = NULL;
	char *fp = NULL;
	int first_attempt = 1;
	int rc = -1;

	if (key && strlen(key) > PAYSIM_MAX_IDEM_KEY) {
		rc = set_error(r, 400, "idempotency_key_invalid", "invalid_request_error",
		               "Idempotency-Key can have up to 255 characters.", NULL);
		goto done;
	}
	if (key) {
		fp = fingerprint("POST", path, ps);
		if (!fp)
			goto done;
		e = idem_find(&p->idem, key);
		if (e && strcmp(e->fingerprint, fp) != 0) {
			rc =
			    set_error(r, 400, "idempotency_key_in_use", "idempotency_error",
			              "Keys for idempotent requests can only be used with the same "
			              "parameters they were first used with.",
			              NULL);
			goto done;
		}
		if (e && e->has_response) {
			*replayed = 1;
			r->status = e->status;
			*saved = e->body;
			rc = 0;
			goto done;
		}
		if (!e)
			e = idem_insert(&p->idem, key, fp);
		if (!e)
			goto done;
		first_attempt = e->attempts == 0;
	}
	rc = ep == EP_INTENTS ? pi_create(p, ps, key, first_attempt, r)
	                      : refund_create(p, ps, key, r);
	if (rc != 0 || !e)
		goto done;
	e->attempts++;
	if (!r->transient) {
		char *s = json_dumps(r->json, JSON_COMPACT);
		if (!s || idem_save(e, r->status, s) != 0) {
			free(s);
			rc = -1;
			goto done;
		}
		*replayed = 1; /* answer with exactly the saved text */
		*saved = e->body;
		free(s);
	}
done:
	free(fp);
	return rc;
}

static int auth_ok(const paysim *p, const char *auth)
{
	size_t klen = strlen(p->api_key);
	const char *tok;

	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	tok = auth + 7;
	while (*tok == ' ')
		tok++;
	return strlen(tok) == klen && CRYPTO_memcmp(tok, p->api_key, klen) == 0;
}

static int handle_v1(paysim *p, const char *method, const char *path, const char *auth,
                     const char *idem_key, const params *ps, reply *r, int *replayed, char **saved)
{
	static const char pi_prefix[] = "/v1/payment_intents/";
	char msg[300];

	if (p->fail_rate > 0 && (int)(rng_next(p) % 100) < p->fail_rate) {
		r->transient = 1;
		if (p->fail_status == 429) {
			r->retry_after = "1";
			return set_error(r, 429, "rate_limited", "rate_limit_error",
			                 "Too many requests hit the API too quickly (paysim chaos fail_rate).",
			                 NULL);
		}
		return set_error(r, p->fail_status, "api_error", "api_error",
		                 "An unexpected error occurred (paysim chaos fail_rate).", NULL);
	}
	if (!auth_ok(p, auth))
		return set_error(r, 401, "unauthorized", "invalid_request_error",
		                 "Invalid API Key provided.", NULL);
	if (idem_key && !*idem_key)
		idem_key = NULL;
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/payment_intents") == 0)
		return with_idempotency(p, EP_INTENTS, path, idem_key, ps, r, replayed, saved);
	if (strcmp(method, "POST") == 0 && strcmp(path, "/v1/refunds") == 0)
		return with_idempotency(p, EP_REFUNDS, path, idem_key, ps, r, replayed, saved);
	if (strcmp(method, "GET") == 0 && strncmp(path, pi_prefix, sizeof pi_prefix - 1) == 0) {
		const char *id = path + sizeof pi_prefix - 1;
		long i = ledger_find_intent(&p->led, id);
		if (i >= 0)
			return set_reply(r, 200, ledger_intent_json(&p->led, (size_t)i));
		snprintf(msg, sizeof msg, "No such payment_intent: '%.100s'", id);
		return set_error(r, 404, "resource_missing", "invalid_request_error", msg,
		                 "intent");
	}
	snprintf(msg, sizeof msg, "Unrecognized request URL (%.10s: %.200s).", method, path);
	return set_error(r, 404, "resource_missing", "invalid_request_error", msg, NULL);
}

/* ---------------------------------------------------------------- /__paysim */

static json_t *mode_json(const paysim *p)
{
	return json_pack("{s:i, s:i, s:I, s:i}", "fail_rate", p->fail_rate, "fail_status", p->fail_status,
	                 "delay_ms", (json_int_t)p->delay_ms, "delayed_at_once_max", p->delayed_max);
}

static void paysim_reset_locked(paysim *p)
{
	ledger_clear(&p->led);
	idem_clear(&p->idem);
	p->n_processing = 0;
	for (size_t i = 0; i < p->n_events; i++)
		free(p->events[i]);
	p->n_events = 0;
	atomic_fetch_add(&p->generation, 1);
	p->fail_rate = 0;
	p->fail_status = 500;
	p->delay_ms = 0;
	p->delayed_max = p->delayed_now;
}

static int handle_admin(paysim *p, const char *method, const char *path, const params *ps, reply *r)
{
	char msg[300];
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

	if (get && strcmp(path, "/__paysim/charges") == 0)
		return set_reply(r, 200, ledger_charges_json(&p->led));
	if ((get || post) && strcmp(path, "/__paysim/mode") == 0) {
		if (post) {
			const char *fr = params_get(ps, "fail_rate"),
			           *fs = params_get(ps, "fail_status"),
			           *dl = params_get(ps, "delay_ms");
			long long f = p->fail_rate, st = p->fail_status, d = p->delay_ms;
			if (fr && parse_int(fr, 0, 100, &f))
				return set_invalid(r, "parameter_invalid_integer", "fail_rate",
				                   "fail_rate must be an integer 0..100", fr);
			if (fs && (parse_int(fs, 429, 503, &st) || (st != 429 && st != 500 && st != 502 && st != 503)))
				return set_invalid(r, "parameter_invalid_integer", "fail_status",
				                   "fail_status must be 500, 502, 503 or 429", fs);
			if (dl && parse_int(dl, 0, PAYSIM_MAX_DELAY_MS, &d))
				return set_invalid(r, "parameter_invalid_integer", "delay_ms",
				                   "delay_ms must be an integer 0..60000", dl);
			p->fail_rate = (int)f;
			p->fail_status = (int)st;
			p->delay_ms = d;
		}
		return set_reply(r, 200, mode_json(p));
	}
	if (post && strcmp(path, "/__paysim/reset") == 0) {
		paysim_reset_locked(p);
		return set_reply(r, 200, json_pack("{s:b}", "reset", 1));
	}
	snprintf(msg, sizeof msg, "Unrecognized request URL (%.10s: %.200s).", method, path);
	return set_error(r, 404, "resource_missing", "invalid_request_error", msg, NULL);
}

/* ---------------------------------------------------------------- entry points */

int paysim_handle(paysim *p, const char *method, const char *path, const char *auth,
                  const char *idem_key, const char *body, size_t len, sq_buf *out, int *ret_status,
                  char *retry_after, size_t ralen)
{
	params ps = {0};
	reply r = {0};
	int replayed = 0, rc = -1, prc;
	char *saved = NULL, *text = NULL;
	int locked = 0;

	if (retry_after && ralen > 0)
		retry_after[0] = '\0';
	if (!p || !method || !path || !out || !ret_status)
		goto fail;
	prc = sq_form_parse(body, len, params_cb, &ps);
	if (prc == PARAMS_OOM)
		goto fail;
	pthread_mutex_lock(&p->mu);
	locked = 1;
	if (prc != 0)
		rc = set_error(&r, 400, "parameter_invalid", "invalid_request_error",
		               "The request body is not valid application/x-www-form-urlencoded.",
		               NULL);
	else if (strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/v1") == 0)
		rc = handle_v1(p, method, path, auth, idem_key, &ps, &r, &replayed, &saved);
	else if (strncmp(path, "/__paysim/", 10) == 0)
		rc = handle_admin(p, method, path, &ps, &r);
	else
		rc = set_error(&r, 404, "resource_missing", "invalid_request_error",
		               "Unrecognized request URL.", NULL);
	if (rc != 0)
		goto fail;
	if (!replayed) {
		text = json_dumps(r.json, JSON_COMPACT);
		if (!text) {
			rc = -1;
			goto fail;
		}
	}
	/* saved points into the idempotency store: copy it before unlocking */
	rc = sq_buf_append_str(out, replayed ? saved : text);
	if (rc != 0)
		goto fail;
	*ret_status = r.status;
	if (r.retry_after && retry_after && ralen > 0)
		snprintf(retry_after, ralen, "%s", r.retry_after);
fail:
	if (locked)
		pthread_mutex_unlock(&p->mu);
	free(text);
	json_decref(r.json);
	params_free(&ps);
	return rc;
}

long long paysim_delay_ms(paysim *p, const char *path)
{
	long long d;

	if (!p || !path || strncmp(path, "/v1/", 4) != 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	d = p->delay_ms;
	pthread_mutex_unlock(&p->mu);
	return d;
}

void paysim_delay_begin(paysim *p)
{
	pthread_mutex_lock(&p->mu);
	if (++p->delayed_now > p->delayed_max)
		p->delayed_max = p->delayed_now;
	pthread_mutex_unlock(&p->mu);
}

void paysim_delay_end(paysim *p)
{
	pthread_mutex_lock(&p->mu);
	p->delayed_now--;
	pthread_mutex_unlock(&p->mu);
}

paysim *paysim_new(const char *api_key, const char *webhook_secret, paysim_webhook_fn fn, void *ud)
{
	paysim *p = NULL;
	long long ms = wall_ms();

	if (!api_key || !*api_key || !webhook_secret || !*webhook_secret)
		goto fail;
	p = calloc(1, sizeof *p);
	if (!p)
		goto fail;
	p->api_key = strdup(api_key);
	p->webhook_secret = strdup(webhook_secret);
	if (!p->api_key || !p->webhook_secret)
		goto fail;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto fail;
	p->fn = fn;
	p->ud = ud;
	p->fail_status = 500;
	atomic_init(&p->generation, 0);
	/* ms since the epoch in hex: unique per process start, sorts by start */
	snprintf(p->tag, sizeof p->tag, "%llx", (unsigned long long)ms);
	ledger_init(&p->led, p->tag);
	p->rng = ((uint64_t)ms << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
	if (p->rng == 0)
		p->rng = 1;
	return p;
fail:
	if (p) {
		free(p->api_key);
		free(p->webhook_secret);
		free(p);
	}
	return NULL;
}

void paysim_attach_http(paysim *p, void *http, void (*stop)(void *http), int port)
{
	p->http = http;
	p->http_stop = stop;
	p->http_port = port;
}

int paysim_http_port(paysim *p)
{
	return p && p->http ? p->http_port : 0;
}

void paysim_free(paysim *p)
{
	if (!p)
		return;
	if (p->http && p->http_stop)
		p->http_stop(p->http);
	ledger_free(&p->led);
	idem_free(&p->idem);
	for (size_t i = 0; i < p->n_events; i++)
		free(p->events[i]);
	free(p->events);
	free(p->processing);
	pthread_mutex_destroy(&p->mu);
	OPENSSL_cleanse(p->api_key, strlen(p->api_key));
	OPENSSL_cleanse(p->webhook_secret, strlen(p->webhook_secret));
	free(p->api_key);
	free(p->webhook_secret);
	free(p);
}
