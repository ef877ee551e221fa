// SPDX-License-Identifier: MIT
// event.c -- the common part of what shopq-orders emits: every event carries
// order_id, user_id and occurred_at; release and refund commands carry user_id
// so the daemons downstream can echo it without reading the sales schema.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "orders.h"
#include "sq_time.h"

int orders_emit_event(sq_ctx *ctx, const char *key, long long order_id, long long user_id, json_t *extra)
{
	char now[32];
	json_t *body;

	sq_time_now_rfc3339(now);
	body = json_pack("{s:I,s:I,s:s}", "order_id", (json_int_t)order_id, "user_id", (json_int_t)user_id,
			 "occurred_at", now);
	if (body && extra)
		json_object_update_missing(body, extra);
	json_decref(extra);
	return sq_emit_event(ctx, key, body);
}

int orders_emit_release(sq_ctx *ctx, long long order_id, long long user_id, const char *reason)
{
	return sq_emit_command(ctx, "inventory.release",
			       json_pack("{s:I,s:I,s:s}", "order_id", (json_int_t)order_id, "user_id",
					 (json_int_t)user_id, "reason", reason));
}

int orders_emit_refund(sq_ctx *ctx, long long order_id, long long user_id, const char *reason)
{
	return sq_emit_command(ctx, "payment.refund",
			       json_pack("{s:I,s:I,s:s}", "order_id", (json_int_t)order_id, "user_id",
					 (json_int_t)user_id, "reason", reason));
}

long long orders_field_ll(const json_t *body, const char *name)
{
	return json_integer_value(json_object_get(body, name));
}

long long orders_col_ll(const PGresult *r, int col)
{
	return strtoll(PQgetvalue(r, 0, col), NULL, 10);
}
