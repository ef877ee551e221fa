// SPDX-License-Identifier: MIT
// cancel.c -- order.cancel (customer or operator) and order.expire (scheduler):
// cancel an order not yet shipped, release its stock and refund a captured
// payment; a shipped order is refused with order.cancel_rejected.
#include <stdio.h>
#include <string.h>

#include "orders.h"
#include "sq_log.h"

/* Cancels and returns the state it left (a row only if it changed). */
static const char SQL_CANCEL[] =
	"UPDATE sales.orders o SET order_status = 'cancelled', cancel_reason = $2"
	"  FROM (SELECT id, order_status, payment_status FROM sales.orders WHERE id = $1 FOR UPDATE) old"
	" WHERE o.id = old.id AND o.order_status IN ('pending', 'awaiting_payment', 'confirmed')"
	" RETURNING o.user_id, old.order_status, old.payment_status";

static const char SQL_STATUS[] = "SELECT order_status, user_id FROM sales.orders WHERE id = $1";

static const char SQL_EXPIRE[] =
	"UPDATE sales.orders SET order_status = 'cancelled', cancel_reason = 'payment_timeout'"
	" WHERE id = $1 AND order_status = 'awaiting_payment' RETURNING user_id";

/* The order is not cancellable: shipped → order.cancel_rejected; cancelled → nothing. */
static sq_outcome refuse(sq_ctx *ctx, const char *s_order, long long order_id)
{
	const char *p[] = { s_order };
	PGresult *r = sq_query(ctx, SQL_STATUS, 1, p);
	char why[120];

	if (!r)
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return sq_reject(ctx, "order %lld does not exist", order_id);
	}
	if (strcmp(PQgetvalue(r, 0, 0), "cancelled") == 0) {
		PQclear(r);
		return SQ_OK; /* already cancelled: nothing to do */
	}
	long long user_id = orders_col_ll(r, 1);
	snprintf(why, sizeof why, "order %lld is %s: it can no longer be cancelled", order_id, PQgetvalue(r, 0, 0));
	json_t *extra = json_pack("{s:s,s:s}", "reason", why, "order_status", PQgetvalue(r, 0, 0));
	PQclear(r);
	sq_log_notice("order.cancel refused: %s", why);
	if (orders_emit_event(ctx, "order.cancel_rejected", order_id, user_id, extra))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}

sq_outcome orders_handle_cancel(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id"), user_id;
	const char *reason = json_string_value(json_object_get(msg->body, "reason"));
	char s_order[24];
	PGresult *r;
	int was_paid;

	if (!reason)
		reason = "customer_request";
	snprintf(s_order, sizeof s_order, "%lld", order_id);
	const char *p[] = { s_order, reason };
	if (!(r = sq_query(ctx, SQL_CANCEL, 2, p)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return refuse(ctx, s_order, order_id);
	}
	user_id = orders_col_ll(r, 0);
	was_paid = strcmp(PQgetvalue(r, 0, 2), "paid") == 0;
	sq_log_info("order %lld cancelled (%s) from %s", order_id, reason, PQgetvalue(r, 0, 1));
	PQclear(r);
	/* release always: a reservation still on its way is released when it lands (saga.c) */
	if (orders_emit_event(ctx, "order.cancelled", order_id, user_id, json_pack("{s:s}", "reason", reason)) ||
	    orders_emit_release(ctx, order_id, user_id, reason) ||
	    (was_paid && orders_emit_refund(ctx, order_id, user_id, reason)))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}

sq_outcome orders_handle_expire(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id"), user_id;
	char s_order[24];
	const char *p[] = { s_order };
	PGresult *r;

	snprintf(s_order, sizeof s_order, "%lld", order_id);
	if (!(r = sq_query(ctx, SQL_EXPIRE, 1, p)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SQ_OK; /* paid, cancelled or gone meanwhile: the payment won */
	}
	user_id = orders_col_ll(r, 0);
	PQclear(r);
	sq_log_info("order %lld cancelled: payment timed out", order_id);
	if (orders_emit_event(ctx, "order.cancelled", order_id, user_id,
			      json_pack("{s:s}", "reason", "payment_timeout")) ||
	    orders_emit_release(ctx, order_id, user_id, "payment_timeout"))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}
