// SPDX-License-Identifier: MIT
// ship.c -- order.ship: a confirmed order becomes shipped with its carrier and
// tracking number; any other order is left alone and order.ship_rejected says why.
#include <stdio.h>
#include <string.h>

#include "orders.h"
#include "sq_log.h"

static const char SQL_SHIP[] =
	"UPDATE sales.orders SET order_status = 'shipped', carrier = $2, tracking_number = $3"
	" WHERE id = $1 AND order_status = 'confirmed' RETURNING user_id";

static const char SQL_STATUS[] =
	"SELECT order_status, user_id, coalesce(carrier, ''), coalesce(tracking_number, '')"
	"  FROM sales.orders WHERE id = $1";

sq_outcome orders_handle_ship(sq_ctx *ctx, const sq_msg *msg)
{
	long long order_id = orders_field_ll(msg->body, "order_id"), user_id;
	const char *carrier = json_string_value(json_object_get(msg->body, "carrier"));
	const char *tracking = json_string_value(json_object_get(msg->body, "tracking_number"));
	char s_order[24], why[160];
	const char *p[] = { s_order, carrier, tracking };
	PGresult *r;

	snprintf(s_order, sizeof s_order, "%lld", order_id);
	if (!(r = sq_query(ctx, SQL_SHIP, 3, p)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 1) {
		user_id = orders_col_ll(r, 0);
		PQclear(r);
		sq_log_info("order %lld shipped by %s, tracking %s", order_id, carrier, tracking);
		if (orders_emit_event(ctx, "order.shipped", order_id, user_id,
				      json_pack("{s:s,s:s}", "carrier", carrier, "tracking_number", tracking)))
			return sq_ctx_fail(ctx);
		return SQ_OK;
	}
	PQclear(r);
	if (!(r = sq_query(ctx, SQL_STATUS, 1, p)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return sq_reject(ctx, "order %lld does not exist", order_id);
	}
	const char *status = PQgetvalue(r, 0, 0);
	if (strcmp(status, "shipped") == 0 && strcmp(PQgetvalue(r, 0, 2), carrier) == 0 &&
	    strcmp(PQgetvalue(r, 0, 3), tracking) == 0) {
		PQclear(r);
		return SQ_OK; /* the same shipment told again */
	}
	user_id = orders_col_ll(r, 1);
	snprintf(why, sizeof why, "order %lld is %s, not confirmed", order_id, status);
	json_t *extra = json_pack("{s:s,s:s}", "reason", why, "order_status", status);
	PQclear(r);
	sq_log_notice("order.ship refused: %s", why);
	if (orders_emit_event(ctx, "order.ship_rejected", order_id, user_id, extra))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}
