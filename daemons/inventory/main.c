// SPDX-License-Identifier: MIT
// main.c -- shopq-inventory: stock and reservations over the catalog schema.
// Wiring only: the commands it consumes and their handlers.
#include "inventory.h"

static const sq_route routes[] = {
	{ "inventory.reserve", 0, inventory_reserve_fields, NULL, inventory_handle_reserve, NULL },
	{ "inventory.release", 0, inventory_release_fields, NULL, inventory_handle_release, NULL },
	{ "inventory.commit", 0, inventory_commit_fields, NULL, inventory_handle_commit, NULL },
	{ "inventory.restock", 0, inventory_restock_fields, NULL, inventory_handle_restock, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "inventory",
		.queue = "shopq.inventory",
		.db_section = "inventory",
		.db_schema = "catalog",
		.routes = routes,
		.sql_first = 1,
	};
	return sq_daemon_main(argc, argv, &d);
}
