// SPDX-License-Identifier: MIT
// refund.c -- payment.refund: a succeeded payment is refunded at the provider
// with the order's refund key and moved to 'refunded' through the arbiter; an
// unsettled one is marked so its success triggers the refund; anything else
// has nothing to refund.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"

static sq_outcome refund_now(sq_ctx *ctx, const char *order, const char *payment_id, const char *intent_id)
{
	payments_state *st = sq_ctx_state(ctx);
	char key[PAYMENTS_KEY_MAX];
	payments_answer a;
	int moved;

	payments_refund_key(strtoll(order, NULL, 10), key);
	payments_provider_refund(st->provider, key, intent_id, &a);
	payments_side_log(st, payment_id, "refund: POST /v1/refunds key=%s payment_intent=%s: %s", key, intent_id,
			  a.reason);
	sq_crash_point("after_refund_answer");
	payments_move m = { .to = "refunded", .payment_id = payment_id, .refund_amount = -1, .via = "refund answer" };
	switch (a.kind) {
	case PAYMENTS_ANS_NONE:
	case PAYMENTS_ANS_RETRY:
		return sq_retry(ctx, "order %s: refund: %s", order, a.reason);
	case PAYMENTS_ANS_OK:
		m.refund_id = a.id;
		m.refund_amount = a.amount;
		break;
	case PAYMENTS_ANS_DECLINED:
	case PAYMENTS_ANS_REFUSED:
		if (strcmp(a.code, "charge_already_refunded") != 0)
			return sq_reject(ctx, "order %s: the provider refuses the refund: %s", order, a.reason);
		m.code = a.code; /* refunded before, under another key: record it */
		break;
	}
	if (payments_settle(ctx, &m, &moved))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}

sq_outcome payments_handle_refund(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = json_integer_value(json_object_get(msg->body, "order_id"));
	char order[24];
	PGresult *r;

	snprintf(order, sizeof order, "%lld", order_id);
	for (int round = 0; round < 2; round++) {
		const char *p[] = { order };
		r = sq_query(ctx, "SELECT id, status, reference_id FROM payments.payment WHERE order_id = $1", 1, p);
		if (!r)
			return sq_ctx_fail(ctx);
		if (PQntuples(r) == 0) {
			PQclear(r);
			sq_log_info("order %s: refund: no payment, nothing to refund", order);
			return SQ_OK;
		}
		char id[24], status[16], intent[PAYMENTS_ID_MAX];
		snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, sizeof status, "%s", PQgetvalue(r, 0, 1));
		snprintf(intent, sizeof intent, "%s", PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2));
		PQclear(r);
		if (strcmp(status, "succeeded") == 0) {
			if (!intent[0])
				return sq_reject(ctx, "order %s: payment %s succeeded without an intent id: refund it by hand",
						 order, id);
			return refund_now(ctx, order, id, intent);
		}
		if (strcmp(status, "failed") == 0 || strcmp(status, "refunded") == 0) {
			sq_log_info("order %s: refund: payment %s is %s, nothing to refund", order, id, status);
			return SQ_OK;
		}
		/* unsettled: refund_id 'requested' marks it; the arbiter refunds when it succeeds */
		const char *mp[] = { id };
		r = sq_query(ctx,
			     "UPDATE payments.payment SET refund_id = 'requested' WHERE id = $1"
			     " AND status IN ('pending', 'unknown', 'processing') AND (refund_id IS NULL OR refund_id = 'requested')"
			     " RETURNING id",
			     1, mp);
		if (!r)
			return sq_ctx_fail(ctx);
		int marked = PQntuples(r) > 0;
		PQclear(r);
		if (marked) {
			const char *lp[] = { id, "refund requested while the payment is unsettled: refunded when it succeeds" };
			r = sq_query(ctx, "INSERT INTO payments.payment_logs (payment_id, log_message) VALUES ($1, $2)", 2, lp);
			if (!r)
				return sq_ctx_fail(ctx);
			PQclear(r);
			sq_log_info("order %s: refund: payment %s is %s: refunded once it succeeds", order, id, status);
			return SQ_OK;
		}
		/* it settled meanwhile: look again */
	}
	return sq_retry(ctx, "order %s: refund: the payment kept changing", order);
}
