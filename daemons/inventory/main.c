// SPDX-License-Identifier: MIT
// main.c -- shopq-inventory: stock and reservations over the catalog schema.
// Wiring only: the daemon definition (its routes are in routes.c).
#include "inventory.h"

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "inventory",
		.queue = "shopq.inventory",
		.db_section = "inventory",
		.db_schema = "catalog",
		.routes = inventory_routes,
		.sql_first = 1,
	};
	return sq_daemon_main(argc, argv, &d);
}
