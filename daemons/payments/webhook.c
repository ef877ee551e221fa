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

sq_outcome payments_handle_webhook(sq_ctx *ctx, const sq_msg *msg)
{
	payments_state *st = sq_ctx_state(ctx);
	const char *sig = json_string_value(json_object_get(msg->body, "signature"));
	const char *body = json_string_value(json_object_get(msg->body, "body"));
	const char *received = json_string_value(json_object_get(msg->body, "received_at"));
	long long now, t = 0;
	char words[256], via[300];
	payments_event ev;
	sq_sig_result res;
	const char *to = NULL;
	PGresult *r;
	int moved, fresh;

	if (payments_rfc3339_parse(received, &now))
		return sq_reject(ctx, "webhook rejected: received_at \"%.64s\" is not an RFC 3339 time", received);
	res = sq_webhook_verify(sig, st->webhook_secret, body, strlen(body), now, st->webhook_tolerance_s, &t);
	if (res != SQ_SIG_OK)
		return sq_reject(ctx, "webhook rejected: %s",
				 sq_webhook_describe(res, t, now, st->webhook_tolerance_s, words, sizeof words));
	if (payments_event_parse(body, &ev, words, sizeof words))
		return sq_reject(ctx, "webhook rejected: %s", words);

	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (strcmp(targets[i].type, ev.type) == 0)
			to = targets[i].to;
	if (!to) { /* recorded, so a repeat is told apart */
		const char *dp[] = { ev.id, ev.type };
		r = sq_query(ctx, "INSERT INTO payments.webhook_events (event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			     2, dp);
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
	snprintf(via, sizeof via, "webhook %s", ev.id);
	payments_move m = { .to = to, .reference_id = ev.object_id, .order_id = ev.order_id, .refund_amount = -1,
			    .via = via };
	if (strcmp(to, "failed") == 0) {
		m.code = ev.code[0] ? ev.code : "payment_failed";
		m.message = ev.message;
	} else if (strcmp(to, "refunded") == 0) {
		m.refund_amount = ev.amount_refunded;
	} else {
		m.code = ev.status[0] ? ev.status : NULL;
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
