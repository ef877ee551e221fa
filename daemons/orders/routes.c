// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-orders consumes (its commands, and the
// saga's replies, bound as events), each with its message's schema, check and
// handler (and, for order.place and the saga's replies, its first
// statement); the fuzz target tests/fuzz/fuzz_messages.c reads them too.
#include "orders.h"

const sq_route orders_routes[] = {
	{ "order.place", 0, orders_place_fields, orders_place_check, orders_handle_place, NULL, orders_place_first },
	{ "order.cancel", 0, orders_cancel_fields, NULL, orders_handle_cancel, NULL, NULL },
	{ "order.ship", 0, orders_ship_fields, NULL, orders_handle_ship, NULL, NULL },
	{ "order.expire", 0, orders_ref_fields, NULL, orders_handle_expire, NULL, NULL },
	{ "inventory.reserved", 1, orders_ref_fields, NULL, orders_on_reserved, NULL, orders_reserved_first },
	{ "inventory.rejected", 1, orders_ref_fields, NULL, orders_on_rejected, NULL, orders_rejected_first },
	{ "payment.succeeded", 1, orders_ref_fields, NULL, orders_on_paid, NULL, orders_paid_first },
	{ "payment.failed", 1, orders_ref_fields, NULL, orders_on_payment_failed, NULL, orders_payment_failed_first },
	{ "payment.refunded", 1, orders_ref_fields, NULL, orders_on_refunded, NULL, orders_refunded_first },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};
