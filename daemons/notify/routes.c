// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-notify consumes (notification.send and
// the events that become notifications), each with its message's schema, check
// and handler; the fuzz target tests/fuzz/fuzz_messages.c reads them too.
#include "entry.h"
#include "handlers.h"

const sq_route notify_routes[] = {
	{ "notification.send", 0, notify_send_fields, notify_check_send, notify_handle_send, notify_prepare, NULL },
	{ "order.confirmed", 1, notify_event_fields, NULL, notify_handle_event, notify_prepare, NULL },
	{ "order.shipped", 1, notify_event_fields, NULL, notify_handle_event, notify_prepare, NULL },
	{ "order.cancelled", 1, notify_event_fields, NULL, notify_handle_event, notify_prepare, NULL },
	{ "payment.failed", 1, notify_event_fields, NULL, notify_handle_event, notify_prepare, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};
