// SPDX-License-Identifier: MIT
// webhook.c -- payment.webhook: checks received_at, the signature (constant
// time, tolerance) and the event, dead-letters what fails with the check's
// words, deduplicates by event id, and settles the payment through the arbiter.
#include <stdio.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"
#include "sq_webhook.h"

static const struct {
	const char *type;
	const char *to;
} targets[] = {
	{ "payment_intent.succeeded", "succeeded" },
	{ "payment_intent.payment_failed", "failed" },
	{ "payment_intent.processing", "processing" },
	{ "charge.refunded", "refunded" },
};

/* Records an event payments does not act on, so a repeat is told apart. */
static const char SQL_EVENT_ONLY[] = "INSERT INTO payments.webhook_events (event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/* What a webhook asks for, read from the message alone: -1 rejected (why in
 * words), 0 an event payments does not act on (ev), 1 a move of the payment
 * (ev, m, its via in via[300]). */
static int read_webhook(const payments_state *st, const sq_msg *msg, payments_event *ev, payments_move *m, char *via,
			char *words, size_t wlen)
{
	const char *sig = json_string_value(json_object_get(msg->body, "signature"));
	const char *body = json_string_value(json_object_get(msg->body, "body"));
	const char *received = json_string_value(json_object_get(msg->body, "received_at"));
	const char *to = NULL;
	long long now, t = 0;
	char why[256];
	sq_sig_result res;

	if (payments_rfc3339_parse(received, &now)) {
		snprintf(words, wlen, "received_at \"%.64s\" is not an RFC 3339 time", received);
		return -1;
	}
	res = sq_webhook_verify(sig, st->webhook_secret, body, strlen(body), now, st->webhook_tolerance_s, &t);
	if (res != SQ_SIG_OK) {
		snprintf(words, wlen, "%s", sq_webhook_describe(res, t, now, st->webhook_tolerance_s, why, sizeof why));
		return -1;
	}
	if (payments_event_parse(body, ev, words, wlen))
		return -1;
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (strcmp(targets[i].type, ev->type) == 0)
			to = targets[i].to;
	if (!to)
		return 0;
	snprintf(via, 300, "webhook %s", ev->id);
	*m = (payments_move){ .to = to, .reference_id = ev->object_id, .order_id = ev->order_id, .refund_amount = -1,
			      .via = via };
	if (strcmp(to, "failed") == 0) {
		m->code = ev->code[0] ? ev->code : "payment_failed";
		m->message = ev->message;
	} else if (strcmp(to, "refunded") == 0) {
		m->refund_amount = ev->amount_refunded;
	} else {
		m->code = ev->status[0] ? ev->status : NULL;
	}
	return 1;
}

void payments_webhook_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	payments_event ev;
	payments_move m;
	char via[300], words[256];
	int k = read_webhook(sq_ctx_state(ctx), msg, &ev, &m, via, words, sizeof words);

	if (k < 0)
		return; /* the handler rejects it: no first statement */
	if (k == 0) {
		f->sql = SQL_EVENT_ONLY;
		sq_first_strings(f, 2, (const char *const[]){ ev.id, ev.type });
	} else {
		payments_settle_event_first(&m, ev.id, ev.type, f);
	}
	/* two messages about one payment do not go ahead together */
	if (ev.order_id > 0)
		snprintf(f->key, sizeof f->key, "order %lld", ev.order_id);
	else
		snprintf(f->key, sizeof f->key, "intent %.50s", ev.object_id);
}

sq_outcome payments_handle_webhook(sq_ctx *ctx, const sq_msg *msg)
{
	payments_event ev;
	payments_move m;
	char words[256], via[300];
	PGresult *r;
	int moved, fresh, k = read_webhook(sq_ctx_state(ctx), msg, &ev, &m, via, words, sizeof words);

	if (k < 0)
		return sq_reject(ctx, "webhook rejected: %s", words);
	if (k == 0) { /* recorded, so a repeat is told apart */
		const char *dp[] = { ev.id, ev.type };
		r = sq_query(ctx, SQL_EVENT_ONLY, 2, dp);
		if (!r)
			return sq_ctx_fail(ctx);
		fresh = atoi(PQcmdTuples(r)) > 0;
		PQclear(r);
		if (!fresh)
			sq_log_info("webhook %s (%s): seen before, nothing to do", ev.id, ev.type);
		else
			sq_log_info("webhook %s: event type %s is not one payments acts on", ev.id, ev.type);
		return SQ_OK;
	}
	/* the event recorded and the payment moved in one statement, only if the event is new */
	if (payments_settle_event(ctx, &m, ev.id, ev.type, &moved, &fresh))
		return sq_ctx_fail(ctx);
	if (!fresh) {
		sq_log_info("webhook %s (%s): seen before, nothing to do", ev.id, ev.type);
		return SQ_OK;
	}
	if (!moved)
		sq_log_info("webhook %s (%s, intent %s): the payment is already there or further: nothing changes", ev.id,
			    ev.type, ev.object_id);
	return SQ_OK;
}
