// SPDX-License-Identifier: MIT
// payment.c -- payments' events: succeeded confirms an order awaiting payment
// (and commits its stock), or is refunded if the order was cancelled or expired
// meanwhile; failed cancels it and releases the stock; refunded is recorded.
#include <stdio.h>

#include "orders.h"
#include "sq_log.h"

static const char SQL_CONFIRM[] =
	"UPDATE sales.orders SET order_status = 'confirmed', payment_status = 'paid'"
	" WHERE id = $1 AND order_status = 'awaiting_payment' RETURNING user_id, total, currency";

/* A charge that succeeded for an order cancelled before: mark it paid once, so
 * exactly one refund is asked for however often the success is told. */
static const char SQL_LATE_PAID[] =
	"UPDATE sales.orders SET payment_status = 'paid'"
	" WHERE id = $1 AND order_status = 'cancelled' AND payment_status IN ('unpaid', 'processing', 'failed')"
	" RETURNING user_id";

static const char SQL_FAILED[] =
	"UPDATE sales.orders SET order_status = 'cancelled', cancel_reason = 'payment_failed', payment_status = 'failed'"
	" WHERE id = $1 AND order_status = 'awaiting_payment' RETURNING user_id";

/* The charge of an order cancelled meanwhile failed: nothing to refund. */
static const char SQL_LATE_FAILED[] =
	"UPDATE sales.orders SET payment_status = 'failed'"
	" WHERE id = $1 AND order_status = 'cancelled' AND payment_status = 'processing'";

static const char SQL_REFUNDED[] =
	"UPDATE sales.orders SET payment_status = 'refunded'"
	" WHERE id = $1 AND payment_status IN ('paid', 'processing')";

static PGresult *by_order(sq_ctx *ctx, const char *sql, const sq_msg *msg, long long *ret_order_id)
{
	char s_order[24];
	const char *p[] = { s_order };

	*ret_order_id = orders_field_ll(msg->body, "order_id");
	snprintf(s_order, sizeof s_order, "%lld", *ret_order_id);
	return sq_query(ctx, sql, 1, p);
}

void orders_paid_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_CONFIRM, "order", orders_field_ll(msg->body, "order_id"));
}

sq_outcome orders_on_paid(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id, user_id, total = 0;
	sq_first f = { 0 };
	PGresult *r;

	order_id = orders_field_ll(msg->body, "order_id");
	orders_paid_first(ctx, msg, &f);
	r = sq_query_first(ctx, &f);

	if (!r)
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 1) {
		user_id = orders_col_ll(r, 0);
		(void)orders_cents_parse(PQgetvalue(r, 0, 1), &total);
		json_t *extra = json_pack("{s:I,s:s}", "total", (json_int_t)total, "currency", PQgetvalue(r, 0, 2));
		PQclear(r);
		json_t *amount = json_object_get(msg->body, "amount");
		if (json_is_integer(amount) && json_integer_value(amount) != total)
			sq_log_warn("order %lld: payment.succeeded for %lld cents, the order's total is %lld", order_id,
				    (long long)json_integer_value(amount), total);
		if (orders_emit_event(ctx, "order.confirmed", order_id, user_id, extra) ||
		    sq_emit_command(ctx, "inventory.commit",
				    json_pack("{s:I,s:I}", "order_id", (json_int_t)order_id, "user_id", (json_int_t)user_id)))
			return sq_ctx_fail(ctx);
		sq_log_info("order %lld confirmed", order_id);
		return SQ_OK;
	}
	PQclear(r);
	if (!(r = by_order(ctx, SQL_LATE_PAID, msg, &order_id)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 1) {
		user_id = orders_col_ll(r, 0);
		PQclear(r);
		sq_log_notice("order %lld: payment succeeded after the order was cancelled: refunding it", order_id);
		if (orders_emit_refund(ctx, order_id, user_id, "order_cancelled"))
			return sq_ctx_fail(ctx);
		return SQ_OK;
	}
	PQclear(r);
	return SQ_OK; /* already confirmed, shipped or refunded: a repeated event */
}

void orders_payment_failed_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_FAILED, "order", orders_field_ll(msg->body, "order_id"));
}

sq_outcome orders_on_payment_failed(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id"), user_id;
	sq_first f = { 0 };
	PGresult *r;
	json_t *extra, *v;

	orders_payment_failed_first(ctx, msg, &f);
	r = sq_query_first(ctx, &f);

	if (!r)
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		if (!(r = by_order(ctx, SQL_LATE_FAILED, msg, &order_id)))
			return sq_ctx_fail(ctx);
		PQclear(r);
		return SQ_OK;
	}
	user_id = orders_col_ll(r, 0);
	PQclear(r);
	extra = json_pack("{s:s}", "reason", "payment_failed");
	if (json_is_string(v = json_object_get(msg->body, "code")))
		json_object_set(extra, "code", v);
	if (json_is_string(v = json_object_get(msg->body, "message")))
		json_object_set(extra, "message", v);
	if (orders_emit_event(ctx, "order.cancelled", order_id, user_id, extra) ||
	    orders_emit_release(ctx, order_id, user_id, "payment_failed"))
		return sq_ctx_fail(ctx);
	sq_log_info("order %lld cancelled: payment failed", order_id);
	return SQ_OK;
}

void orders_refunded_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_REFUNDED, "order", orders_field_ll(msg->body, "order_id"));
}

sq_outcome orders_on_refunded(sq_ctx *ctx, const sq_msg *msg)
{
	sq_first f = { 0 };
	PGresult *r;

	orders_refunded_first(ctx, msg, &f);
	r = sq_query_first(ctx, &f);

	if (!r)
		return sq_ctx_fail(ctx);
	PQclear(r);
	return SQ_OK;
}
