// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-orders consumes (its commands, and the
// saga's replies, bound as events), each with its message's schema, check and
// handler; the fuzz target tests/fuzz/fuzz_messages.c reads them too.
#include "orders.h"

const sq_route orders_routes[] = {
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
