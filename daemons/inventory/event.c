// SPDX-License-Identifier: MIT
// event.c -- the common part of inventory's events: order_id, the user_id the
// command carried, and occurred_at (RFC 3339, UTC).
#include <stdio.h>
#include <time.h>

#include "inventory.h"
#include "sq_time.h"

json_t *inventory_event_body(const json_t *command)
{
	char now[32];
	json_t *user = json_object_get(command, "user_id");
	json_t *body;

	sq_time_now_rfc3339(now);
	body = json_pack("{s:I,s:s}", "order_id", (json_int_t)inventory_field_ll(command, "order_id"),
			 "occurred_at", now);
	if (body && json_is_integer(user))
		json_object_set(body, "user_id", user);
	return body;
}

long long inventory_field_ll(const json_t *body, const char *name)
{
	return json_integer_value(json_object_get(body, name));
}
