// SPDX-License-Identifier: MIT
// saga.c -- inventory's replies to inventory.reserve: reserved moves a pending
// order to awaiting_payment and asks payments to charge; rejected cancels it
// (out_of_stock). A reservation for an order cancelled meanwhile is released.
#include <stdio.h>
#include <string.h>

#include "orders.h"
#include "sq_log.h"

static const char SQL_RESERVED[] =
	"UPDATE sales.orders SET order_status = 'awaiting_payment', payment_status = 'processing'"
	" WHERE id = $1 AND order_status = 'pending'"
	" RETURNING user_id, total, currency, payment_token_id";

static const char SQL_STATUS[] = "SELECT order_status, user_id FROM sales.orders WHERE id = $1";

static const char SQL_REJECTED[] =
	"UPDATE sales.orders SET order_status = 'cancelled', cancel_reason = 'out_of_stock'"
	" WHERE id = $1 AND order_status = 'pending' RETURNING user_id";

/* The reservation arrived for an order that is no longer pending: if it was
 * cancelled meanwhile (its release may have overtaken the reservation), release
 * again; release is idempotent. Otherwise it is a repeated reply. */
static sq_outcome reserved_late(sq_ctx *ctx, const char *s_order, long long order_id)
{
	const char *p[] = { s_order };
	PGresult *r = sq_query(ctx, SQL_STATUS, 1, p);
	int cancelled;
	long long user_id;

	if (!r)
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		sq_log_warn("inventory.reserved for order %lld, which does not exist: ignored", order_id);
		return SQ_OK;
	}
	cancelled = strcmp(PQgetvalue(r, 0, 0), "cancelled") == 0;
	user_id = orders_col_ll(r, 1);
	PQclear(r);
	if (cancelled) {
		sq_log_info("order %lld: stock reserved after the order was cancelled: releasing it", order_id);
		if (orders_emit_release(ctx, order_id, user_id, "order_cancelled"))
			return sq_ctx_fail(ctx);
	}
	return SQ_OK;
}

void orders_reserved_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_RESERVED, "order", orders_field_ll(msg->body, "order_id"));
}

sq_outcome orders_on_reserved(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id"), user_id, amount;
	char s_order[24];
	sq_first f = { 0 };
	PGresult *r;

	snprintf(s_order, sizeof s_order, "%lld", order_id);
	orders_reserved_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return reserved_late(ctx, s_order, order_id);
	}
	user_id = orders_col_ll(r, 0);
	if (orders_cents_parse(PQgetvalue(r, 0, 1), &amount)) {
		PQclear(r);
		return sq_retry(ctx, "order %lld: total is not money", order_id);
	}
	json_t *charge = json_pack("{s:I,s:I,s:I,s:s,s:I}", "order_id", (json_int_t)order_id, "user_id",
				   (json_int_t)user_id, "amount", (json_int_t)amount, "currency",
				   PQgetvalue(r, 0, 2), "payment_token_id", (json_int_t)orders_col_ll(r, 3));
	PQclear(r);
	if (sq_emit_command(ctx, "payment.charge", charge))
		return sq_ctx_fail(ctx);
	sq_log_info("order %lld: stock reserved, awaiting payment of %lld cents", order_id, amount);
	return SQ_OK;
}

void orders_rejected_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_REJECTED, "order", orders_field_ll(msg->body, "order_id"));
}

sq_outcome orders_on_rejected(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id");
	const json_t *product = json_object_get(msg->body, "product_id");
	sq_first f = { 0 };
	PGresult *r;
	json_t *extra;

	orders_rejected_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SQ_OK; /* not pending any more (cancelled, or a repeated reply) */
	}
	long long user_id = orders_col_ll(r, 0);
	PQclear(r);
	extra = json_pack("{s:s}", "reason", "out_of_stock");
	if (json_is_integer(product))
		json_object_set(extra, "product_id", (json_t *)product);
	if (orders_emit_event(ctx, "order.cancelled", order_id, user_id, extra))
		return sq_ctx_fail(ctx);
	sq_log_info("order %lld cancelled: out of stock", order_id);
	return SQ_OK;
}
