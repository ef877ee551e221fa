// SPDX-License-Identifier: MIT
// store.h -- writing a notification into Redis exactly once: one Lua script
// (dedup marks, XADD with an approximate cap, unread INCR, PUBLISH) run by
// EVALSHA on the daemon's reused connection.
#ifndef NOTIFY_STORE_H
#define NOTIFY_STORE_H

#include <stddef.h>

#include "entry.h"
#include "sq_config.h"
#include "sq_err.h"
#include "sq_redis.h"

#define NOTIFY_STORED 0
#define NOTIFY_DUPLICATE 1
#define NOTIFY_CALL_ARGS 13 /* the script's keys (4 at most) and its 9 arguments */
#define NOTIFY_STREAM_ID_MAX 64

/* One entry of notify_store_put_many and its answer. */
typedef struct notify_put {
	notify_entry entry;
	const void *tag; /* the caller's: which message it came from */
	int rc;          /* out: NOTIFY_STORED, NOTIFY_DUPLICATE, or -1 (an unexpected reply) */
	char stream_id[NOTIFY_STREAM_ID_MAX];
} notify_put;

typedef struct notify_store {
	sq_redis *redis;
	sq_redis_script script;
	char window[16], cap[16]; /* the dedup window (s) and the stream cap, as the script's arguments */
	/* the running batch's entries, stored ahead of their handlers */
	notify_put *ahead;
	int nahead, ahead_cap, ahead_next;
} notify_store;

/* The keys of one entry, as the web tier and the script know them. */
typedef struct notify_keys {
	char stream[64];    /* shopq:notifications:{user_id}, also the PUBLISH channel */
	char unread[72];    /* shopq:notifications:{user_id}:unread */
	char seen_msg[240]; /* shopq:notify:seen:{message_id} */
	char seen_evt[340]; /* shopq:notify:event:{routing_key}:{order_id}, "" for commands */
} notify_keys;

extern const char notify_store_lua[];

void notify_store_keys(notify_keys *k, const notify_entry *e);

/* Creates the Redis client from cfg (does not connect). */
int notify_store_init(notify_store *s, const sq_config *cfg, sq_err *err);
/* Connects and loads the script (SCRIPT LOAD); SQ_REDIS_* result. */
int notify_store_load(notify_store *s, sq_err *err);
void notify_store_close(notify_store *s);

/* Stores n entries with one pipeline (one round trip), in order, each with its
 * answer. Returns 0; or how many got no answer they could use (rc -1, the
 * first one's reason in err); or -1 with the reason when Redis is unreachable
 * or failing (which of them got in is unknown; storing them again is safe). */
int notify_store_put_many(notify_store *s, notify_put *puts, int n, sq_err *err);

#endif
