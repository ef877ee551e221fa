// SPDX-License-Identifier: MIT
// release.c -- the end of a reservation: inventory.release gives back exactly
// the units it took (reserved or committed -> released, once), inventory.commit
// marks it sold (reserved -> committed; the stock was taken at reservation).
#include <stdio.h>
#include <stdlib.h>

#include "inventory.h"
#include "sq_log.h"

static const char SQL_MARK_RELEASED[] =
	"UPDATE catalog.reservations SET status = 'released'"
	" WHERE order_id = $1 AND status IN ('reserved', 'committed') RETURNING id";

/* Locks the rows to give back to in the order reserve locks them (no deadlock). */
static const char SQL_LOCK_ROWS[] =
	"SELECT i.id FROM catalog.inventory i"
	"  JOIN catalog.reservation_items ri ON ri.inventory_id = i.id"
	" WHERE ri.reservation_id = $1 ORDER BY i.product_id, i.id FOR UPDATE OF i";

static const char SQL_GIVE_BACK[] =
	"UPDATE catalog.inventory inv SET quantity = inv.quantity + b.q"
	"  FROM (SELECT inventory_id, sum(quantity)::int AS q FROM catalog.reservation_items"
	"         WHERE reservation_id = $1 GROUP BY inventory_id) b"
	" WHERE inv.id = b.inventory_id"
	" RETURNING inv.product_id, inv.warehouse_id, b.q";

static const char SQL_COMMIT[] =
	"UPDATE catalog.reservations SET status = 'committed' WHERE order_id = $1 AND status = 'reserved'";

void inventory_release_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_MARK_RELEASED, "order", inventory_field_ll(msg->body, "order_id"));
}

sq_outcome inventory_handle_release(sq_ctx *ctx, const sq_msg *msg)
{
	char s_order[24], s_res[24];
	const json_t *reason = json_object_get(msg->body, "reason");
	sq_first f = { 0 };
	PGresult *r;
	json_t *body, *items;

	snprintf(s_order, sizeof s_order, "%lld", inventory_field_ll(msg->body, "order_id"));
	inventory_release_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return SQ_OK; /* nothing reserved, or released before */
	}
	snprintf(s_res, sizeof s_res, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *rp[] = { s_res };
	if (!(r = sq_query(ctx, SQL_LOCK_ROWS, 1, rp)))
		return sq_ctx_fail(ctx);
	PQclear(r);
	if (!(r = sq_query(ctx, SQL_GIVE_BACK, 1, rp)))
		return sq_ctx_fail(ctx);
	items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:I}", "product_id",
						       (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10),
						       "warehouse_id", (json_int_t)strtoll(PQgetvalue(r, i, 1), NULL, 10),
						       "quantity", (json_int_t)strtoll(PQgetvalue(r, i, 2), NULL, 10)));
	PQclear(r);
	body = inventory_event_body(msg->body);
	if (body) {
		json_object_set_new(body, "items", items);
		if (json_is_string(reason))
			json_object_set(body, "reason", (json_t *)reason);
	} else {
		json_decref(items);
	}
	sq_log_info("order %s: reservation %s released", s_order, s_res);
	return sq_emit_event(ctx, "inventory.released", body) ? sq_ctx_fail(ctx) : SQ_OK;
}

void inventory_commit_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	(void)ctx;
	sq_first_id(f, SQL_COMMIT, "order", inventory_field_ll(msg->body, "order_id"));
}

sq_outcome inventory_handle_commit(sq_ctx *ctx, const sq_msg *msg)
{
	char s_order[24];
	sq_first f = { 0 };
	PGresult *r;

	snprintf(s_order, sizeof s_order, "%lld", inventory_field_ll(msg->body, "order_id"));
	inventory_commit_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	if (atoi(PQcmdTuples(r)) == 0)
		sq_log_info("inventory.commit for order %s: no reservation to commit (released, committed or none)",
			    s_order);
	PQclear(r);
	return SQ_OK;
}
