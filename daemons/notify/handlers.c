// SPDX-License-Identifier: MIT
// handlers.c -- notification.send and the domain events become one entry each
// in the user's Redis stream, a batch's entries stored by one pipeline before
// its transaction. Acked only once Redis has it: any Redis failure is a retry,
// and a redelivery finds the script's dedup mark.
#include "handlers.h"

#include <stdlib.h>
#include <string.h>
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

/* The entry is in Redis (rc NOTIFY_STORED or NOTIFY_DUPLICATE, stream id sid). */
static sq_outcome stored(const sq_msg *msg, const notify_entry *e, int rc, const char *sid)
{
	if (rc == NOTIFY_DUPLICATE)
		sq_log_info("queue=%s message_id=%s: %s already notified (entry %s); nothing more to do", msg->queue,
			    msg->message_id, e->event_key[0] ? e->event_key : "message", sid);
	else
		sq_log_debug("queue=%s message_id=%s: notification %s for user %lld", msg->queue, msg->message_id,
			     sid, e->user_id);
	sq_crash_point("notify_after_store"); /* Redis has it, PostgreSQL not yet */
	return SQ_OK;
}

/* Builds msg's entry; -1 when out of memory or when shopq sends no
 * notification for its routing key. */
static int build(notify_entry *e, const sq_config *cfg, const sq_msg *msg, time_t now)
{
	return notify_entry_from_message(e, cfg, msg->routing_key, msg->body, msg->message_id, now,
					 (size_t)cfg->notify_max_body);
}

/* Stores msg's entry by itself (none came from notify_prepare). */
static sq_outcome store(sq_ctx *ctx, const sq_msg *msg)
{
	notify_put p = { 0 };
	sq_err err;
	int rc;

	if (build(&p.entry, sq_ctx_config(ctx), msg, time(NULL))) {
		notify_entry_free(&p.entry);
		return sq_retry(ctx, "out of memory building the notification");
	}
	rc = notify_store_put_many(sq_ctx_state(ctx), &p, 1, &err);
	if (rc == 0)
		stored(msg, &p.entry, p.rc, p.stream_id);
	notify_entry_free(&p.entry);
	return rc ? sq_retry(ctx, "%s", err.msg) : SQ_OK;
}

static void ahead_clear(notify_store *s)
{
	for (int i = 0; i < s->nahead; i++)
		notify_entry_free(&s->ahead[i].entry);
	s->nahead = s->ahead_next = 0;
}

void notify_prepare(sq_ctx *ctx, const sq_msg *msgs, int n)
{
	notify_store *s = sq_ctx_state(ctx);
	const sq_config *cfg = sq_ctx_config(ctx);
	time_t now = time(NULL);
	int k = 0;
	sq_err err;

	ahead_clear(s);
	if (n > s->ahead_cap) {
		notify_put *a = realloc(s->ahead, (size_t)n * sizeof *a);
		if (!a)
			return; /* each handler stores its own */
		s->ahead = a;
		s->ahead_cap = n;
	}
	for (int i = 0; i < n; i++) {
		notify_put *p = &s->ahead[k];
		memset(p, 0, sizeof *p);
		if (build(&p->entry, cfg, &msgs[i], now)) {
			notify_entry_free(&p->entry); /* its handler meets the problem */
			continue;
		}
		p->tag = msgs[i].body;
		k++;
	}
	s->nahead = k;
	int failed = k ? notify_store_put_many(s, s->ahead, k, &err) : 0;
	if (failed) /* their handlers store their own, and say why if that fails too */
		sq_log_debug("storing %d notifications at once: %s failed: %s", k, failed < 0 ? "all" : "some", err.msg);
	if (failed < 0)
		ahead_clear(s);
	for (int i = 0; i < s->nahead; i++)
		notify_entry_free(&s->ahead[i].entry); /* what the log lines need stays */
}

/* The answer notify_prepare got for msg, if any: handlers run in batch order,
 * so the search starts after the last one taken. */
static const notify_put *taken(notify_store *s, const sq_msg *msg)
{
	for (int i = s->ahead_next; i < s->nahead; i++)
		if (s->ahead[i].tag == msg->body && s->ahead[i].rc >= 0) {
			s->ahead_next = i + 1;
			return &s->ahead[i];
		}
	return NULL;
}

/* A notification.send or an event: its answer from the batch's pipeline, or
 * stored by itself. */
static sq_outcome handle(sq_ctx *ctx, const sq_msg *msg)
{
	const notify_put *p = taken(sq_ctx_state(ctx), msg);

	return p ? stored(msg, &p->entry, p->rc, p->stream_id) : store(ctx, msg);
}

sq_outcome notify_handle_send(sq_ctx *ctx, const sq_msg *msg) { return handle(ctx, msg); }

sq_outcome notify_handle_event(sq_ctx *ctx, const sq_msg *msg)
{
	if (!notify_event_find(msg->routing_key))
		return sq_reject(ctx, "shopq sends no notification for %s", msg->routing_key);
	return handle(ctx, msg);
}
