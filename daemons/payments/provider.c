// SPDX-License-Identifier: MIT
// provider.c -- the payment provider's API (contract section 9) on top of
// sq_http: the charge form, the three calls, and the classification of every
// answer into settle / decline / retry / refuse.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payments.h"
#include "sq_metrics.h"
#include "sq_http.h"
#include "sq_sd.h"

/* After a call the provider did not answer, the calls of the next moment are
 * not made (each would wait its timeout, and a batch holds many): they fail at
 * once as passing failures. Shorter than the shortest retry delay (1 s). */
#define PROVIDER_PAUSE_MS 500

struct payments_provider {
	sq_http *http;
	long long quiet_until_ms; /* monotonic */
	char *base; /* gateway_url without a trailing slash */
	char *auth; /* "Authorization: Bearer <api_key>" (never logged) */
};

/* ------------------------------------------------------------ pure parts */

int payments_charge_form(sq_buf *b, long long amount_cents, const char *currency, const char *payment_method,
			 long long order_id)
{
	char amount[24], cur[8], oid[24];
	size_t i;

	snprintf(amount, sizeof amount, "%lld", amount_cents);
	snprintf(oid, sizeof oid, "%lld", order_id);
	for (i = 0; currency && currency[i] && i < sizeof cur - 1; i++)
		cur[i] = (char)(currency[i] >= 'A' && currency[i] <= 'Z' ? currency[i] - 'A' + 'a' : currency[i]);
	cur[i] = '\0';
	if (sq_form_add(b, "amount", amount) || sq_form_add(b, "currency", cur) ||
	    sq_form_add(b, "payment_method", payment_method) || sq_form_add(b, "confirm", "true") ||
	    sq_form_add(b, "metadata[order_id]", oid))
		return -1;
	return 0;
}

const char *payments_intent_target(const char *s)
{
	if (!s)
		return NULL;
	if (strcmp(s, "succeeded") == 0)
		return "succeeded";
	if (strcmp(s, "processing") == 0 || strcmp(s, "requires_action") == 0 ||
	    strcmp(s, "requires_confirmation") == 0 || strcmp(s, "requires_capture") == 0)
		return "processing";
	if (strcmp(s, "requires_payment_method") == 0 || strcmp(s, "canceled") == 0)
		return "failed";
	return NULL;
}

static void copy_str(char *dst, size_t n, const json_t *v)
{
	const char *s = json_string_value(v);
	snprintf(dst, n, "%s", s ? s : "");
}

void payments_answer_parse(payments_answer *a, long status, const char *body, const char *retry_after,
			   long long now_s)
{
	json_t *doc = NULL, *err;

	memset(a, 0, sizeof *a);
	a->http_status = status;
	a->amount = -1;
	a->retry_after_s = retry_after && *retry_after ? sq_http_parse_retry_after(retry_after, now_s) : -1;
	if (status == 0) {
		a->kind = PAYMENTS_ANS_NONE;
		snprintf(a->reason, sizeof a->reason, "no answer from the provider: %.300s", body ? body : "");
		return;
	}
	if (body && *body)
		doc = json_loads(body, 0, NULL);
	if (status >= 200 && status < 300) {
		const json_t *lpe;
		if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "id"))) {
			a->kind = PAYMENTS_ANS_RETRY;
			snprintf(a->reason, sizeof a->reason, "HTTP %ld with a body that is not a provider object", status);
			goto out;
		}
		a->kind = PAYMENTS_ANS_OK;
		copy_str(a->id, sizeof a->id, json_object_get(doc, "id"));
		copy_str(a->status, sizeof a->status, json_object_get(doc, "status"));
		copy_str(a->intent_id, sizeof a->intent_id, json_object_get(doc, "payment_intent"));
		if (json_is_integer(json_object_get(doc, "amount")))
			a->amount = json_integer_value(json_object_get(doc, "amount"));
		lpe = json_object_get(doc, "last_payment_error");
		if (json_is_object(lpe)) {
			copy_str(a->code, sizeof a->code, json_object_get(lpe, "code"));
			copy_str(a->message, sizeof a->message, json_object_get(lpe, "message"));
		}
		snprintf(a->reason, sizeof a->reason, "HTTP %ld %s status=%s%s%s", status, a->id,
			 a->status[0] ? a->status : "?", a->code[0] ? " code=" : "", a->code);
		goto out;
	}
	err = json_object_get(doc, "error");
	copy_str(a->code, sizeof a->code, json_object_get(err, "code"));
	copy_str(a->message, sizeof a->message, json_object_get(err, "message"));
	copy_str(a->intent_id, sizeof a->intent_id, json_object_get(json_object_get(err, "payment_intent"), "id"));
	if (status == 402)
		a->kind = PAYMENTS_ANS_DECLINED;
	else if (status == 429 || status >= 500 || status == 401 || status == 403 || status == 408 ||
		 status == 409)
		a->kind = PAYMENTS_ANS_RETRY;
	else if (status >= 400 && a->code[0])
		a->kind = PAYMENTS_ANS_REFUSED;
	else /* 1xx/3xx, or a 4xx that is no provider error (a proxy, a wrong gateway_url): passing */
		a->kind = PAYMENTS_ANS_RETRY;
	if (!a->code[0])
		snprintf(a->code, sizeof a->code, "http_%ld", status);
	snprintf(a->reason, sizeof a->reason, "HTTP %ld %s: %.200s", status, a->code,
		 a->message[0] ? a->message : "(no message)");
	if (status == 429 && a->retry_after_s >= 0) {
		size_t n = strlen(a->reason);
		snprintf(a->reason + n, sizeof a->reason - n, " (Retry-After %ld s)", a->retry_after_s);
	}
out:
	json_decref(doc);
}

/* ------------------------------------------------------------ calls */

payments_provider *payments_provider_new(const char *gateway_url, const char *api_key, long timeout_ms,
					 sq_err *err)
{
	payments_provider *p = calloc(1, sizeof *p);
	size_t n;

	if (!p)
		goto oom;
	if (!(p->http = sq_http_new(timeout_ms, err)))
		goto fail;
	if (!(p->base = strdup(gateway_url)))
		goto oom;
	n = strlen(p->base);
	while (n && p->base[n - 1] == '/')
		p->base[--n] = '\0';
	if (asprintf(&p->auth, "Authorization: Bearer %s", api_key) < 0) {
		p->auth = NULL;
		goto oom;
	}
	return p;
oom:
	sq_err_set(err, "out of memory");
fail:
	payments_provider_free(p);
	return NULL;
}

void payments_provider_free(payments_provider *p)
{
	if (!p)
		return;
	sq_http_free(p->http);
	free(p->base);
	if (p->auth)
		explicit_bzero(p->auth, strlen(p->auth));
	free(p->auth);
	free(p);
}

long payments_provider_connects(const payments_provider *p) { return p ? sq_http_connects(p->http) : 0; }

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Provider call latency and answers, for the metrics endpoint. */
static void observe(const char *method, const char *path, double seconds, const char *status)
{
	char labels[200];

	if (!sq_metrics_enabled())
		return;
	snprintf(labels, sizeof labels, "endpoint=\"%s %s\"", method,
		 strncmp(path, "/v1/payment_intents/", 20) == 0 ? "/v1/payment_intents/{id}" : path);
	sq_metrics_observe("shopq_provider_call_seconds", labels, seconds);
	size_t n = strlen(labels);
	snprintf(labels + n, sizeof labels - n, ",status=\"%s\"", status);
	sq_metrics_inc("shopq_provider_responses_total", labels, 1);
}

/* One call's outcome into its answer and the metrics; 1 when the provider
 * did not answer. */
static int take_answer(const char *method, const char *path, sq_http_call *c, payments_answer *a)
{
	char code[16];

	if (!c->answered) {
		char words[400];
		snprintf(words, sizeof words, "%s%.300s", c->timed_out ? "timed out: " : "", c->err);
		payments_answer_parse(a, 0, words, NULL, 0);
		observe(method, path, c->seconds, c->timed_out ? "timeout" : "error");
		return 1;
	}
	payments_answer_parse(a, c->resp.status, c->resp.body.data, c->resp.retry_after, (long long)time(NULL));
	snprintf(code, sizeof code, "%ld", (long)c->resp.status);
	observe(method, path, c->seconds, code);
	sq_http_response_free(&c->resp);
	return 0;
}

static void call(payments_provider *p, const char *method, const char *path, const char *idem_key,
		 const sq_buf *form, payments_answer *a)
{
	long long t0 = mono_ms();
	char url[1024], idem[PAYMENTS_KEY_MAX + 32];
	const char *headers[3] = { p->auth, NULL, NULL };
	sq_http_call c = { 0 };
	sq_err e;

	if (t0 < p->quiet_until_ms) {
		payments_answer_parse(a, 0, "not asked: the provider did not answer a moment ago", NULL, 0);
		return;
	}
	snprintf(url, sizeof url, "%s%s", p->base, path);
	if (idem_key) {
		snprintf(idem, sizeof idem, "Idempotency-Key: %s", idem_key);
		headers[1] = idem;
	}
	c.answered = sq_http_request(p->http, method, url, headers, form ? form->data : NULL, form ? form->len : 0,
				     &c.resp, &c.timed_out, &e) == 0;
	if (!c.answered)
		snprintf(c.err, sizeof c.err, "%s", e.msg);
	c.seconds = (double)(mono_ms() - t0) / 1000.0;
	if (take_answer(method, path, &c, a))
		p->quiet_until_ms = mono_ms() + PROVIDER_PAUSE_MS;
	sq_sd_watchdog(); /* a batch of slow calls must not starve the systemd watchdog */
}

void payments_provider_charge(payments_provider *p, const char *idem_key, long long amount_cents,
			      const char *currency, const char *payment_method, long long order_id,
			      payments_answer *a)
{
	sq_buf form = { 0 };

	if (payments_charge_form(&form, amount_cents, currency, payment_method, order_id)) {
		payments_answer_parse(a, 0, "out of memory", NULL, 0);
	} else {
		call(p, "POST", "/v1/payment_intents", idem_key, &form, a);
	}
	sq_buf_free(&form);
}

void payments_provider_charge_many(payments_provider *p, const payments_charge_req *reqs, int n,
				   payments_answer *answers)
{
	char url[1024];
	sq_http_call *calls = calloc((size_t)(n > 0 ? n : 1), sizeof *calls);
	sq_buf *forms = calloc((size_t)(n > 0 ? n : 1), sizeof *forms);
	char (*idem)[PAYMENTS_KEY_MAX + 32] = calloc((size_t)(n > 0 ? n : 1), sizeof *idem);
	const char *(*headers)[3] = calloc((size_t)(n > 0 ? n : 1), sizeof *headers);
	int unanswered = 0;
	sq_err e;

	if (!calls || !forms || !idem || !headers) {
		for (int i = 0; i < n; i++)
			payments_answer_parse(&answers[i], 0, "out of memory", NULL, 0);
		goto out;
	}
	if (mono_ms() < p->quiet_until_ms) {
		for (int i = 0; i < n; i++)
			payments_answer_parse(&answers[i], 0, "not asked: the provider did not answer a moment ago", NULL, 0);
		goto out;
	}
	snprintf(url, sizeof url, "%s/v1/payment_intents", p->base);
	for (int i = 0; i < n; i++) {
		snprintf(idem[i], sizeof idem[i], "Idempotency-Key: %s", reqs[i].key);
		headers[i][0] = p->auth;
		headers[i][1] = idem[i];
		headers[i][2] = NULL;
		calls[i] = (sq_http_call){ .method = "POST", .url = url, .headers = headers[i] };
		if (payments_charge_form(&forms[i], reqs[i].amount_cents, reqs[i].currency, reqs[i].payment_method,
					 reqs[i].order_id))
			calls[i].method = "none"; /* fails at once, unanswered */
		calls[i].body = forms[i].data;
		calls[i].body_len = forms[i].len;
	}
	if (sq_http_request_many(p->http, calls, n, &e)) {
		for (int i = 0; i < n; i++)
			payments_answer_parse(&answers[i], 0, e.msg, NULL, 0);
		goto out;
	}
	for (int i = 0; i < n; i++)
		unanswered += take_answer("POST", "/v1/payment_intents", &calls[i], &answers[i]);
	if (unanswered)
		p->quiet_until_ms = mono_ms() + PROVIDER_PAUSE_MS;
out:
	for (int i = 0; forms && i < n; i++)
		sq_buf_free(&forms[i]);
	free(calls);
	free(forms);
	free(idem);
	free(headers);
	sq_sd_watchdog();
}

void payments_provider_get_intent(payments_provider *p, const char *intent_id, payments_answer *a)
{
	char path[256];

	if (!payments_valid_object_id(intent_id)) {
		payments_answer_parse(a, 0, "not a valid payment intent id", NULL, 0);
		return;
	}
	snprintf(path, sizeof path, "/v1/payment_intents/%s", intent_id);
	call(p, "GET", path, NULL, NULL, a);
}

void payments_provider_refund(payments_provider *p, const char *idem_key, const char *intent_id,
			      payments_answer *a)
{
	sq_buf form = { 0 };

	if (sq_form_add(&form, "payment_intent", intent_id))
		payments_answer_parse(a, 0, "out of memory", NULL, 0);
	else
		call(p, "POST", "/v1/refunds", idem_key, &form, a);
	sq_buf_free(&form);
}
