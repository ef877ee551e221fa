// SPDX-License-Identifier: MIT
// main.c -- shopq-payments: the daemon definition for the runtime (its
// routes are in routes.c).
#include "payments.h"

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "payments",
		.queue = "shopq.payments",
		.db_section = "payments_db",
		.db_schema = "payments",
		.routes = payments_routes,
		.sql_first = 1,
		.start = payments_start,
		.stop = payments_stop,
	};
	return sq_daemon_main(argc, argv, &d);
}
