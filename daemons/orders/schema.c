// SPDX-License-Identifier: MIT
// schema.c -- the shapes of the messages shopq-orders consumes (the contract's
// order.place, order.cancel, order.ship, and the saga's replies), checked by the
// runtime before any handler runs.
#include <stdio.h>
#include <string.h>

#include "orders.h"

#define ID_MAX 9223372036854775807LL

const sq_field orders_place_fields[] = {
	{ "checkout_id", SQ_F_UUID, 1, 0, 0 },
	{ "user_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "address_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "payment_token_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "currency", SQ_F_STRING, 1, 3, 3 },
	{ "cart_id", SQ_F_INT, 0, 1, ID_MAX },
	{ "items", SQ_F_ITEMS, 0, 0, 100 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field orders_cancel_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "reason", SQ_F_STRING, 0, 1, 200 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field orders_ship_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ "carrier", SQ_F_STRING, 1, 1, 100 },
	{ "tracking_number", SQ_F_STRING, 1, 1, 200 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field orders_ref_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, ID_MAX },
	{ NULL, 0, 0, 0, 0 },
};

static int present(const json_t *body, const char *name)
{
	const json_t *v = json_object_get(body, name);
	return v && !json_is_null(v);
}

int orders_place_check(const json_t *body, char *err, size_t errlen)
{
	const char *cur = json_string_value(json_object_get(body, "currency"));
	int has_cart = present(body, "cart_id"), has_items = present(body, "items");

	if (has_cart && has_items) {
		snprintf(err, errlen, "both cart_id and items are given: exactly one of them is allowed");
		return -1;
	}
	if (!has_cart && !has_items) {
		snprintf(err, errlen, "neither cart_id nor items is given: exactly one of them is required");
		return -1;
	}
	if (cur) {
		for (int i = 0; i < 3; i++)
			if (cur[i] < 'A' || cur[i] > 'Z') {
				snprintf(err, errlen, "field currency: \"%.3s\" is not three upper-case letters (ISO 4217)",
					 cur);
				return -1;
			}
	}
	return 0;
}
