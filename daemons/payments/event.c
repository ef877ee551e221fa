// SPDX-License-Identifier: MIT
// event.c -- reads a provider webhook event (contract section 9): id, type,
// created and the payment intent it is about (data.object, or a charge's
// payment_intent), with its metadata.order_id and last_payment_error.
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"

static int take(char *dst, size_t n, const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* metadata.order_id: a string of digits (providers keep metadata as strings) or an integer. */
static long long order_of(const json_t *metadata)
{
	const json_t *v = json_object_get(metadata, "order_id");
	const char *s = json_string_value(v);
	char *end;
	long long n;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	n = strtoll(s, &end, 10);
	return errno || *end || n <= 0 ? 0 : n;
}

int payments_event_parse(const char *body, payments_event *ev, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc, *obj, *lpe;
	int rc = -1;

	memset(ev, 0, sizeof *ev);
	ev->amount_refunded = -1;
	doc = json_loads(body ? body : "", 0, &jerr);
	if (!doc) {
		snprintf(err, errlen, "webhook body is not JSON: line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return -1;
	}
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "webhook body is not a JSON object");
		goto out;
	}
	if (take(ev->id, sizeof ev->id, json_object_get(doc, "id")) || !ev->id[0]) {
		snprintf(err, errlen, "webhook event has no id (a string of 1..255 bytes)");
		goto out;
	}
	if (take(ev->type, sizeof ev->type, json_object_get(doc, "type")) || !ev->type[0]) {
		snprintf(err, errlen, "webhook event %.100s has no type", ev->id);
		goto out;
	}
	ev->created = json_integer_value(json_object_get(doc, "created"));
	obj = json_object_get(json_object_get(doc, "data"), "object");
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "webhook event %.100s has no data.object", ev->id);
		goto out;
	}
	/* a charge (or refund) object names its intent in payment_intent; an intent is data.object itself */
	const json_t *pi = json_object_get(obj, "payment_intent");
	const char *kind = json_string_value(json_object_get(obj, "object"));
	if (json_is_string(pi) && !(kind && strcmp(kind, "payment_intent") == 0)) {
		if (take(ev->object_id, sizeof ev->object_id, pi) || !ev->object_id[0]) {
			snprintf(err, errlen, "webhook event %.100s: bad data.object.payment_intent", ev->id);
			goto out;
		}
	} else if (take(ev->object_id, sizeof ev->object_id, json_object_get(obj, "id")) || !ev->object_id[0]) {
		snprintf(err, errlen, "webhook event %.100s has no data.object.id", ev->id);
		goto out;
	}
	take(ev->status, sizeof ev->status, json_object_get(obj, "status"));
	ev->order_id = order_of(json_object_get(obj, "metadata"));
	if (json_is_integer(json_object_get(obj, "amount_refunded")))
		ev->amount_refunded = json_integer_value(json_object_get(obj, "amount_refunded"));
	lpe = json_object_get(obj, "last_payment_error");
	if (json_is_object(lpe)) {
		const char *c = json_string_value(json_object_get(lpe, "code"));
		const char *m = json_string_value(json_object_get(lpe, "message"));
		snprintf(ev->code, sizeof ev->code, "%s", c ? c : "");
		snprintf(ev->message, sizeof ev->message, "%s", m ? m : "");
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}
