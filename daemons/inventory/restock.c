// SPDX-License-Identifier: MIT
// restock.c -- inventory.restock: adds units of a product to a warehouse's
// stock (the row is created on first use); an unknown product or warehouse is
// refused with the reason.
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "sq_log.h"

static const char SQL_KNOWN[] =
	"SELECT EXISTS (SELECT 1 FROM catalog.products WHERE id = $1),"
	"       EXISTS (SELECT 1 FROM catalog.warehouses WHERE id = $2)";

/* Adds, unless the sum would leave the column's range (then no row). */
static const char SQL_RESTOCK[] =
	"INSERT INTO catalog.inventory AS i (product_id, warehouse_id, quantity) VALUES ($1, $2, $3)"
	" ON CONFLICT (product_id, warehouse_id) DO UPDATE SET quantity = i.quantity + EXCLUDED.quantity"
	"   WHERE i.quantity <= 2147483647 - EXCLUDED.quantity"
	" RETURNING quantity";

sq_outcome inventory_handle_restock(sq_ctx *ctx, const sq_msg *msg)
{
	long long product = inventory_field_ll(msg->body, "product_id");
	long long warehouse = inventory_field_ll(msg->body, "warehouse_id");
	long long qty = inventory_field_ll(msg->body, "quantity");
	char s_product[24], s_warehouse[24], s_qty[24];
	const char *p[] = { s_product, s_warehouse, s_qty };
	PGresult *r;

	snprintf(s_product, sizeof s_product, "%lld", product);
	snprintf(s_warehouse, sizeof s_warehouse, "%lld", warehouse);
	snprintf(s_qty, sizeof s_qty, "%lld", qty);
	if (!(r = sq_query(ctx, SQL_KNOWN, 2, p)))
		return sq_ctx_fail(ctx);
	int known_product = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	int known_warehouse = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (!known_product)
		return sq_reject(ctx, "unknown product %lld", product);
	if (!known_warehouse)
		return sq_reject(ctx, "unknown warehouse %lld", warehouse);
	if (!(r = sq_query(ctx, SQL_RESTOCK, 3, p)))
		return sq_ctx_fail(ctx);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return sq_reject(ctx, "restocking product %lld in warehouse %lld by %lld would exceed 2147483647 units",
				 product, warehouse, qty);
	}
	sq_log_info("product %lld restocked in warehouse %lld: +%lld, now %s", product, warehouse, qty,
		    PQgetvalue(r, 0, 0));
	PQclear(r);
	return SQ_OK;
}
