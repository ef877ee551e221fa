// SPDX-License-Identifier: MIT
// schema.c -- the shapes of the commands shopq-inventory consumes, checked by
// the runtime before any handler runs (bad shapes are dead-lettered).
#include "inventory.h"

#define ID_MAX 9223372036854775807LL

const sq_field inventory_reserve_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "user_id", SQ_F_INT, 0, 1, ID_MAX },
	{ "items", SQ_F_ITEMS, 1, 0, 100 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field inventory_release_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "user_id", SQ_F_INT, 0, 1, ID_MAX },
	{ "reason", SQ_F_STRING, 0, 0, 200 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field inventory_commit_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "user_id", SQ_F_INT, 0, 1, ID_MAX },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field inventory_restock_fields[] = {
	{ "product_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "warehouse_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "quantity", SQ_F_INT, 1, 1, 1000000 },
	{ NULL, 0, 0, 0, 0 },
};
