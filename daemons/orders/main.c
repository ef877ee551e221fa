// SPDX-License-Identifier: MIT
// main.c -- shopq-orders: the order saga over the sales schema. Wiring only:
// the daemon definition for the runtime (its routes are in routes.c).
#include "orders.h"

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "orders",
		.queue = "shopq.orders",
		.db_section = "orders",
		.db_schema = "sales",
		.routes = orders_routes,
		.sql_first = 1,
	};
	return sq_daemon_main(argc, argv, &d);
}
