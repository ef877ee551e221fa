// SPDX-License-Identifier: MIT
// reserve.c -- inventory.reserve: all or nothing across the order's items, one
// reservation per order. The statement that creates the reservation takes the
// stock too (one conditional UPDATE, rows locked in product, row order) and
// records it per inventory row, so release returns exactly those units; a
// shortfall undoes the message's work (sq_ctx_undo) and is answered with
// inventory.rejected.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "sq_json.h"
#include "sq_log.h"

#define RFC3339_SQL(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


/* The order's reservation, unless it has one (no row then), and the stock it
 * takes: the wanted quantity of each product ($3: [{product_id, quantity}],
 * the same product may repeat) from its inventory rows in id order, never more
 * than a row holds, recorded per inventory row taken from. One row per
 * (product, inventory row taken from), each with the reservation's id and
 * expiry, and a row with NULL warehouse for a product nothing was taken from;
 * the caller compares the sum taken with the quantity wanted. */
static const char SQL_RESERVE[] =
	"WITH res AS ("
	"  INSERT INTO catalog.reservations (order_id, expires_at)"
	"  VALUES ($1, now() + $2::int * interval '1 second')"
	"  ON CONFLICT (order_id) DO NOTHING RETURNING id, " RFC3339_SQL("expires_at") " AS expires_at"
	"), want AS ("
	"  SELECT (e->>'product_id')::bigint AS product_id, sum((e->>'quantity')::int)::int AS qty"
	"    FROM jsonb_array_elements($3::jsonb) AS e WHERE EXISTS (SELECT 1 FROM res) GROUP BY 1"
	"), locked AS MATERIALIZED ("
	"  SELECT i.id, i.product_id, i.warehouse_id, i.quantity"
	"    FROM catalog.inventory i"
	"   WHERE i.product_id IN (SELECT product_id FROM want) AND i.quantity > 0"
	"   ORDER BY i.product_id, i.id"
	"   FOR UPDATE OF i"
	"), alloc AS ("
	"  SELECT l.id, l.product_id, l.warehouse_id,"
	"         least(l.quantity, greatest(0, w.qty - (sum(l.quantity) OVER"
	"               (PARTITION BY l.product_id ORDER BY l.id) - l.quantity)))::int AS take"
	"    FROM locked l JOIN want w USING (product_id)"
	"), taken AS ("
	"  UPDATE catalog.inventory inv SET quantity = inv.quantity - a.take"
	"    FROM alloc a WHERE inv.id = a.id AND a.take > 0"
	"  RETURNING inv.id, inv.product_id, inv.warehouse_id, a.take"
	"), recorded AS ("
	"  INSERT INTO catalog.reservation_items (reservation_id, inventory_id, product_id, warehouse_id, quantity)"
	"  SELECT res.id, t.id, t.product_id, t.warehouse_id, t.take FROM res, taken t ORDER BY t.product_id, t.id"
	")"
	"SELECT res.id, res.expires_at, w.product_id, w.qty, t.warehouse_id, t.take"
	"  FROM res, want w LEFT JOIN taken t USING (product_id)"
	" ORDER BY w.product_id, t.id";

static const char SQL_EXISTING[] =
	"SELECT r.status, " RFC3339_SQL("r.expires_at") ", ri.product_id, ri.warehouse_id, ri.quantity"
	"  FROM catalog.reservations r LEFT JOIN catalog.reservation_items ri ON ri.reservation_id = r.id"
	" WHERE r.order_id = $1 ORDER BY ri.id";

static long long ll(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static json_t *item(long long product_id, long long warehouse_id, long long quantity)
{
	return json_pack("{s:I,s:I,s:I}", "product_id", (json_int_t)product_id, "warehouse_id",
			 (json_int_t)warehouse_id, "quantity", (json_int_t)quantity);
}

static int emit_reserved(sq_ctx *ctx, const sq_msg *msg, json_t *items, const char *expires_at)
{
	json_t *body = inventory_event_body(msg->body);
	if (body) {
		json_object_set_new(body, "items", items);
		json_object_set_new(body, "expires_at", json_string(expires_at));
	} else {
		json_decref(items);
	}
	return sq_emit_event(ctx, "inventory.reserved", body);
}

/* The order was reserved before: tell the same outcome again. */
static sq_outcome reply_again(sq_ctx *ctx, const sq_msg *msg, const char *s_order)
{
	const char *p[] = { s_order };
	PGresult *r = sq_query(ctx, SQL_EXISTING, 1, p);
	json_t *items = json_array();
	int rc;

	if (!r) {
		json_decref(items);
		return sq_ctx_fail(ctx);
	}
	if (strcmp(PQgetvalue(r, 0, 0), "released") == 0) {
		json_decref(items);
		PQclear(r);
		sq_log_info("inventory.reserve for order %s again: its reservation was released", s_order);
		json_t *body = inventory_event_body(msg->body);
		json_object_set_new(body, "reason", json_string("released before"));
		return sq_emit_event(ctx, "inventory.released", body) ? sq_ctx_fail(ctx) : SQ_OK;
	}
	for (int i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, 2))
			json_array_append_new(items, item(ll(r, i, 2), ll(r, i, 3), ll(r, i, 4)));
	sq_log_info("inventory.reserve for order %s again: answering with its reservation", s_order);
	rc = emit_reserved(ctx, msg, items, PQgetvalue(r, 0, 1));
	PQclear(r);
	return rc ? sq_ctx_fail(ctx) : SQ_OK;
}

static sq_outcome reject_short(sq_ctx *ctx, const sq_msg *msg, long long product_id, long long wanted,
			       long long got)
{
	json_t *body = inventory_event_body(msg->body);

	if (sq_ctx_undo(ctx)) { /* the reservation and whatever was taken */
		json_decref(body);
		return sq_ctx_fail(ctx);
	}
	sq_log_info("order %lld: out of stock: product %lld has %lld of the %lld wanted; nothing reserved",
		    inventory_field_ll(msg->body, "order_id"), product_id, got, wanted);
	if (body) {
		json_object_set_new(body, "reason", json_string("out_of_stock"));
		json_object_set_new(body, "product_id", json_integer(product_id));
		json_object_set_new(body, "requested", json_integer(wanted));
		json_object_set_new(body, "available", json_integer(got));
	}
	return sq_emit_event(ctx, "inventory.rejected", body) ? sq_ctx_fail(ctx) : SQ_OK;
}

/* The first statement: the order's reservation and its stock, unless it has one. */
void inventory_reserve_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	sq_first_id(f, SQL_RESERVE, "order", inventory_field_ll(msg->body, "order_id"));
	f->nparams = 3;
	sq_first_ll(f, 1, sq_ctx_config(ctx)->reservation_timeout_s);
	sq_first_text(f, 2, sq_json_dump(json_object_get(msg->body, "items")));
}

sq_outcome inventory_handle_reserve(sq_ctx *ctx, const sq_msg *msg)
{
	char s_order[24], s_res[24], expires[32];
	json_t *items;
	sq_first f = { 0 };
	PGresult *r;

	snprintf(s_order, sizeof s_order, "%lld", inventory_field_ll(msg->body, "order_id"));
	inventory_reserve_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f))) /* a deadlock or serialization failure too: tried again later */
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return reply_again(ctx, msg, s_order);
	}
	snprintf(s_res, sizeof s_res, "%s", PQgetvalue(r, 0, 0));
	snprintf(expires, sizeof expires, "%s", PQgetvalue(r, 0, 1));

	items = json_array();
	for (int i = 0, n = PQntuples(r); i < n;) {
		long long product = ll(r, i, 2), wanted = ll(r, i, 3), got = 0;
		for (; i < n && ll(r, i, 2) == product; i++) {
			if (PQgetisnull(r, i, 4))
				continue;
			got += ll(r, i, 5);
			json_array_append_new(items, item(product, ll(r, i, 4), ll(r, i, 5)));
		}
		if (got < wanted) {
			PQclear(r);
			json_decref(items);
			return reject_short(ctx, msg, product, wanted, got);
		}
	}
	PQclear(r);
	sq_log_info("order %s: reserved %zu inventory rows (reservation %s)", s_order, json_array_size(items), s_res);
	return emit_reserved(ctx, msg, items, expires) ? sq_ctx_fail(ctx) : SQ_OK;
}
