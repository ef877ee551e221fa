// SPDX-License-Identifier: MIT
// place.c -- order.place: one order per checkout_id; checks the user, address,
// token and products it names; copies prices from the catalog, takes the cart's
// items (emptying the cart) and starts the saga with inventory.reserve.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orders.h"
#include "sq_json.h"
#include "sq_log.h"

#define MAX_ITEMS 100

/* The order, unless the checkout has one already (no row then), with whether
 * the user, address and token it names resolve. A checkout naming its items
 * ($6, a JSON array; NULL for a cart) is priced in the same statement: the
 * items and the total are recorded when every reference and product resolves,
 * and the last column has each item's price (NULL: unknown product), in the
 * given order. */
static const char SQL_INSERT_ORDER[] =
	"WITH req AS ("
	"  SELECT e.n, (e.item->>'product_id')::bigint AS product_id, (e.item->>'quantity')::int AS quantity"
	"    FROM jsonb_array_elements($6::jsonb) WITH ORDINALITY AS e(item, n)"
	"), priced AS ("
	"  SELECT r.n, r.product_id, r.quantity, p.price"
	"    FROM req r LEFT JOIN catalog.products p ON p.id = r.product_id"
	"), refs AS ("
	"  SELECT EXISTS (SELECT 1 FROM auth.users WHERE id = $1) AS user_ok,"
	"         EXISTS (SELECT 1 FROM auth.addresses WHERE id = $2 AND user_id = $1) AS address_ok,"
	"         EXISTS (SELECT 1 FROM payments.tokens WHERE id = $5 AND user_id = $1) AS token_ok"
	"), ok AS ("
	"  SELECT user_ok AND address_ok AND token_ok AND $6::jsonb IS NOT NULL"
	"         AND NOT EXISTS (SELECT 1 FROM priced WHERE price IS NULL) AS all_ok"
	"    FROM refs"
	"), ins AS ("
	"  INSERT INTO sales.orders (user_id, address_id, checkout_id, currency, payment_token_id, total)"
	"  VALUES ($1, $2, $3, $4, $5,"
	"          (SELECT CASE WHEN all_ok THEN (SELECT coalesce(sum(quantity * price), 0) FROM priced) ELSE 0 END FROM ok))"
	"  ON CONFLICT (checkout_id) DO NOTHING RETURNING id"
	"), items AS ("
	"  INSERT INTO sales.order_items (order_id, product_id, quantity, unit_price)"
	"  SELECT ins.id, p.product_id, p.quantity, p.price FROM ins, ok, priced p WHERE ok.all_ok ORDER BY p.n"
	")"
	"SELECT ins.id, user_ok, address_ok, token_ok, (SELECT json_agg(price::text ORDER BY n) FROM priced)"
	"  FROM ins, refs";

/* Locks the cart, so two checkouts of one cart take its items once. */
static const char SQL_LOCK_CART[] = "SELECT 1 FROM sales.cart WHERE id = $1 AND user_id = $2 FOR UPDATE";

static const char SQL_CART_ITEMS[] =
	"SELECT coalesce(json_agg(json_build_object('product_id', product_id, 'quantity', quantity)"
	" ORDER BY id), '[]')"
	"  FROM sales.cart_items WHERE cart_id = $1";

static const char SQL_EMPTY_CART[] = "DELETE FROM sales.cart_items WHERE cart_id = $1";

/* A cart's items ($2, a JSON array, read after the order's insert locked the
 * cart): prices them from the catalog and records them as the order's items
 * and total, unless one names an unknown product (nothing written then).
 * Returns each item's price (NULL: unknown product) in a JSON array, in the
 * given order, as the order's insert does for items it is given. */
static const char SQL_PRICE_ITEMS[] =
	"WITH req AS ("
	"  SELECT e.n, (e.item->>'product_id')::bigint AS product_id, (e.item->>'quantity')::int AS quantity"
	"    FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(item, n)"
	"), priced AS ("
	"  SELECT r.n, r.product_id, r.quantity, p.price"
	"    FROM req r LEFT JOIN catalog.products p ON p.id = r.product_id"
	"), ins AS ("
	"  INSERT INTO sales.order_items (order_id, product_id, quantity, unit_price)"
	"  SELECT $1, product_id, quantity, price FROM priced"
	"   WHERE NOT EXISTS (SELECT 1 FROM priced WHERE price IS NULL)"
	"   ORDER BY n"
	"), total AS ("
	"  UPDATE sales.orders SET total = (SELECT sum(quantity * price) FROM priced)"
	"   WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM priced WHERE price IS NULL)"
	")"
	"SELECT (SELECT json_agg(price::text ORDER BY n) FROM priced)";

static const char SQL_CANCEL_NEW[] =
	"UPDATE sales.orders SET order_status = 'cancelled', cancel_reason = $2"
	" WHERE id = $1 AND order_status = 'pending'";

typedef struct place {
	long long order_id, user_id;
	char s_order[24], s_user[24], s_cart[24];
	const char *checkout_id, *currency;
	json_t *items;           /* requested items [{product_id, quantity}] */
	json_t *priced;          /* with unit_price (cents), once priced */
	long long total;         /* cents */
	long long unknown_product;
} place;

/* The steps below answer NULL (go on), a cancel reason, or DB_FAILED (the
 * reason is kept in ctx: try the message again later). */
static const char DB_FAILED[] = "database";

static int exec(sq_ctx *ctx, const char *sql, int n, const char *const *p)
{
	PGresult *r = sq_query(ctx, sql, n, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

/* The first reference that does not resolve (user, address, token), from the
 * insert's row. */
static const char *check_refs(PGresult *r)
{
	if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
		return "unknown_user";
	if (strcmp(PQgetvalue(r, 0, 2), "t") != 0)
		return "unknown_address";
	if (strcmp(PQgetvalue(r, 0, 3), "t") != 0)
		return "unknown_token";
	return NULL;
}

/* Reads the items of the user's cart into pl->items, the cart locked. */
static const char *read_cart(sq_ctx *ctx, place *pl)
{
	const char *p[] = { pl->s_cart, pl->s_user };
	json_error_t jerr;
	PGresult *r = sq_query(ctx, SQL_LOCK_CART, 2, p);
	int found;

	if (!r)
		return DB_FAILED;
	found = PQntuples(r) > 0;
	PQclear(r);
	if (!found)
		return "unknown_cart";
	if (!(r = sq_query(ctx, SQL_CART_ITEMS, 1, p)))
		return DB_FAILED;
	pl->items = json_loads(PQgetvalue(r, 0, 0), 0, &jerr);
	PQclear(r);
	if (!pl->items)
		return DB_FAILED;
	if (json_array_size(pl->items) == 0)
		return "empty_cart";
	if (json_array_size(pl->items) > MAX_ITEMS) {
		json_decref(pl->items); /* not repeated in order.created */
		pl->items = NULL;
		return "too_many_items";
	}
	return NULL;
}

/* The items' prices (a JSON array of numeric text, null for an unknown
 * product, one per item of pl->items) into pl->priced and pl->total; the first
 * unknown product cancels the order. */
static const char *take_prices(place *pl, const char *text)
{
	json_t *prices = json_loads(text, 0, NULL), *it;
	const char *why = NULL;
	size_t i;

	if (!json_is_array(prices) || json_array_size(prices) != json_array_size(pl->items) ||
	    !(pl->priced = json_array())) {
		json_decref(prices);
		return DB_FAILED;
	}
	json_array_foreach(pl->items, i, it) {
		long long pid = orders_field_ll(it, "product_id"), qty = orders_field_ll(it, "quantity"), cents;
		const char *price = json_string_value(json_array_get(prices, i));
		if (!price) {
			pl->unknown_product = pid;
			why = "unknown_product";
			break;
		}
		if (orders_cents_parse(price, &cents)) {
			why = DB_FAILED;
			break;
		}
		pl->total += qty * cents;
		json_array_append_new(pl->priced, json_pack("{s:I,s:I,s:I}", "product_id", (json_int_t)pid,
							    "quantity", (json_int_t)qty, "unit_price",
							    (json_int_t)cents));
	}
	json_decref(prices);
	return why;
}

/* Prices the cart's items and records them as the order's, unless a product is unknown. */
static const char *price_cart(sq_ctx *ctx, place *pl)
{
	char *text = sq_json_dump(pl->items);
	const char *p[] = { pl->s_order, text };
	PGresult *r;
	const char *why;

	if (!text)
		return DB_FAILED;
	r = sq_query(ctx, SQL_PRICE_ITEMS, 2, p);
	free(text);
	if (!r)
		return DB_FAILED;
	why = take_prices(pl, PQgetvalue(r, 0, 0));
	PQclear(r);
	return why;
}

static sq_outcome cancel_new(sq_ctx *ctx, place *pl, const char *reason)
{
	const char *p[] = { pl->s_order, reason };
	json_t *extra;

	sq_log_info("order %lld (checkout %s) cancelled at placing: %s", pl->order_id, pl->checkout_id, reason);
	if (exec(ctx, SQL_CANCEL_NEW, 2, p))
		return sq_ctx_fail(ctx);
	extra = json_pack("{s:s,s:I,s:s,s:o}", "checkout_id", pl->checkout_id, "total", (json_int_t)0, "currency",
			  pl->currency, "items", pl->items ? json_incref(pl->items) : json_array());
	if (orders_emit_event(ctx, "order.created", pl->order_id, pl->user_id, extra))
		return sq_ctx_fail(ctx);
	extra = json_pack("{s:s}", "reason", reason);
	if (pl->unknown_product)
		json_object_set_new(extra, "product_id", json_integer(pl->unknown_product));
	if (orders_emit_event(ctx, "order.cancelled", pl->order_id, pl->user_id, extra))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}

static sq_outcome start_saga(sq_ctx *ctx, place *pl)
{
	char total[32];
	json_t *reserve_items = json_array(), *it;
	size_t i;

	orders_cents_format(pl->total, total, sizeof total);
	if (pl->s_cart[0] && exec(ctx, SQL_EMPTY_CART, 1, (const char *const[]){ pl->s_cart }))
		goto fail;
	if (orders_emit_event(ctx, "order.created", pl->order_id, pl->user_id,
			      json_pack("{s:s,s:I,s:s,s:O}", "checkout_id", pl->checkout_id, "total",
					(json_int_t)pl->total, "currency", pl->currency, "items", pl->priced)))
		goto fail;
	json_array_foreach(pl->items, i, it)
		json_array_append_new(reserve_items,
				      json_pack("{s:O,s:O}", "product_id", json_object_get(it, "product_id"),
						"quantity", json_object_get(it, "quantity")));
	if (sq_emit_command(ctx, "inventory.reserve",
			    json_pack("{s:I,s:I,s:o}", "order_id", (json_int_t)pl->order_id, "user_id",
				      (json_int_t)pl->user_id, "items", reserve_items)))
		return sq_ctx_fail(ctx);
	sq_log_info("order %lld (checkout %s) placed: %zu items, total %s %s", pl->order_id, pl->checkout_id,
		    json_array_size(pl->items), total, pl->currency);
	return SQ_OK;
fail:
	json_decref(reserve_items);
	return sq_ctx_fail(ctx);
}

/* The first statement: the order, unless its checkout has one, priced when
 * the checkout names its items. */
void orders_place_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	const json_t *b = msg->body, *items = json_object_get(b, "items");

	(void)ctx;
	f->sql = SQL_INSERT_ORDER;
	f->nparams = 6;
	sq_first_ll(f, 0, orders_field_ll(b, "user_id"));
	sq_first_ll(f, 1, orders_field_ll(b, "address_id"));
	f->params[2] = json_string_value(json_object_get(b, "checkout_id"));
	f->params[3] = json_string_value(json_object_get(b, "currency"));
	sq_first_ll(f, 4, orders_field_ll(b, "payment_token_id"));
	if (items && !json_is_null(items))
		sq_first_text(f, 5, sq_json_dump(items));
	snprintf(f->key, sizeof f->key, "checkout %s", f->params[2]);
}

sq_outcome orders_handle_place(sq_ctx *ctx, const sq_msg *msg)
{
	place pl = { 0 };
	sq_first f = { 0 };
	const json_t *b = msg->body;
	const char *why;
	sq_outcome out;
	PGresult *r;

	pl.user_id = orders_field_ll(b, "user_id");
	pl.checkout_id = json_string_value(json_object_get(b, "checkout_id"));
	pl.currency = json_string_value(json_object_get(b, "currency"));
	snprintf(pl.s_user, sizeof pl.s_user, "%lld", pl.user_id);
	if (json_object_get(b, "cart_id") && !json_is_null(json_object_get(b, "cart_id")))
		snprintf(pl.s_cart, sizeof pl.s_cart, "%lld", orders_field_ll(b, "cart_id"));

	orders_place_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		sq_log_info("order.place for checkout %s: the order exists already, nothing to do", pl.checkout_id);
		return SQ_OK;
	}
	pl.order_id = orders_col_ll(r, 0);
	why = check_refs(r);
	snprintf(pl.s_order, sizeof pl.s_order, "%lld", pl.order_id);
	if (!why && pl.s_cart[0]) {
		if (!(why = read_cart(ctx, &pl)))
			why = price_cart(ctx, &pl);
	} else if (!why) {
		pl.items = json_incref(json_object_get(b, "items"));
		why = take_prices(&pl, PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	if (why == DB_FAILED)
		out = sq_ctx_fail(ctx);
	else if (why)
		out = cancel_new(ctx, &pl, why);
	else
		out = start_saga(ctx, &pl);
	json_decref(pl.items);
	json_decref(pl.priced);
	return out;
}
