// SPDX-License-Identifier: MIT
// handlers.h -- what shopq-notify does with each message: the schemas of
// notification.send and of the events it turns into notifications, and the
// handlers that store them through the daemon's notify_store.
#ifndef NOTIFY_HANDLERS_H
#define NOTIFY_HANDLERS_H

#include "sq_runtime.h"

extern const sq_field notify_send_fields[];
extern const sq_field notify_event_fields[];

/* The prepare hook of every route: stores the batch's entries in Redis with
 * one pipeline; each handler then takes its answer (or stores its own). */
void notify_prepare(sq_ctx *ctx, const sq_msg *msgs, int n);
/* notification.send {user_id, type, title, body, data?} */
sq_outcome notify_handle_send(sq_ctx *ctx, const sq_msg *msg);
/* order.confirmed, order.shipped, order.cancelled, payment.failed */
sq_outcome notify_handle_event(sq_ctx *ctx, const sq_msg *msg);

/* the routing keys the daemon consumes, with their schemas and handlers (routes.c) */
extern const sq_route notify_routes[];

#endif
