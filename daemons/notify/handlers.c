// SPDX-License-Identifier: MIT
// handlers.c -- notification.send and the domain events become one entry each
// in the user's Redis stream. Acked only once Redis has it: any Redis failure
// is a retry, and a redelivery finds the script's dedup mark.
#include "handlers.h"

#include <time.h>

#include "entry.h"
#include "sq_log.h"
#include "store.h"
#include "templates.h"

#define MAX_ID 9007199254740991LL /* integers JSON readers keep exactly */

const sq_field notify_send_fields[] = {
	{ "user_id", SQ_F_INT, 1, 1, MAX_ID },
	{ "type", SQ_F_STRING, 1, 1, 32 },
	{ "title", SQ_F_STRING, 1, 1, NOTIFY_TITLE_MAX },
	{ "body", SQ_F_STRING, 1, 0, 65536 }, /* notify.max_body is checked by notify_check_send */
	{ "data", SQ_F_OBJECT, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_field notify_event_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, MAX_ID },
	{ "user_id", SQ_F_INT, 1, 1, MAX_ID },
	{ NULL, 0, 0, 0, 0 },
};

static sq_outcome store(sq_ctx *ctx, const sq_msg *msg, notify_entry *e)
{
	notify_store *s = sq_ctx_state(ctx);
	char sid[64];
	sq_err err;
	int rc = notify_store_put(s, e, sid, sizeof sid, &err);

	if (rc < 0) {
		notify_entry_free(e);
		return sq_retry(ctx, "%s", err.msg);
	}
	if (rc == NOTIFY_DUPLICATE)
		sq_log_info("queue=%s message_id=%s: %s already notified (entry %s); nothing more to do", msg->queue,
			    msg->message_id, e->event_key[0] ? e->event_key : "message", sid);
	else
		sq_log_debug("queue=%s message_id=%s: notification %s for user %lld", msg->queue, msg->message_id,
			     sid, e->user_id);
	notify_entry_free(e);
	sq_crash_point("notify_after_store"); /* Redis has it, PostgreSQL not yet */
	return SQ_OK;
}

sq_outcome notify_handle_send(sq_ctx *ctx, const sq_msg *msg)
{
	notify_entry e;

	if (notify_entry_from_send(&e, msg->body, msg->message_id, time(NULL)))
		return sq_retry(ctx, "out of memory building the notification");
	return store(ctx, msg, &e);
}

sq_outcome notify_handle_event(sq_ctx *ctx, const sq_msg *msg)
{
	const sq_config *cfg = sq_ctx_config(ctx);
	notify_entry e;

	if (!notify_event_find(msg->routing_key))
		return sq_reject(ctx, "shopq sends no notification for %s", msg->routing_key);
	if (notify_entry_from_event(&e, cfg, msg->routing_key, msg->body, msg->message_id, time(NULL),
				    (size_t)cfg->notify_max_body))
		return sq_retry(ctx, "out of memory building the notification");
	return store(ctx, msg, &e);
}
