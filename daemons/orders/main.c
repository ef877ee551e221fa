// SPDX-License-Identifier: MIT
// main.c -- shopq-orders: the order saga over the sales schema. Wiring only:
// which routing keys it consumes (commands, and replies as events) and their handlers.
#include "orders.h"

static const sq_route routes[] = {
	{ "order.place", 0, orders_place_fields, orders_place_check, orders_handle_place, NULL },
	{ "order.cancel", 0, orders_cancel_fields, NULL, orders_handle_cancel, NULL },
	{ "order.ship", 0, orders_ship_fields, NULL, orders_handle_ship, NULL },
	{ "order.expire", 0, orders_ref_fields, NULL, orders_handle_expire, NULL },
	{ "inventory.reserved", 1, orders_ref_fields, NULL, orders_on_reserved, NULL },
	{ "inventory.rejected", 1, orders_ref_fields, NULL, orders_on_rejected, NULL },
	{ "payment.succeeded", 1, orders_ref_fields, NULL, orders_on_paid, NULL },
	{ "payment.failed", 1, orders_ref_fields, NULL, orders_on_payment_failed, NULL },
	{ "payment.refunded", 1, orders_ref_fields, NULL, orders_on_refunded, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "orders",
		.queue = "shopq.orders",
		.db_section = "orders",
		.db_schema = "sales",
		.routes = routes,
		.sql_first = 1,
	};
	return sq_daemon_main(argc, argv, &d);
}
