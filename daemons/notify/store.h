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

typedef struct notify_store {
	sq_redis *redis;
	sq_redis_script script;
	int stream_cap;
	int dedup_window_s;
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

/* NOTIFY_STORED (stream id of the new entry in ret_stream_id),
 * NOTIFY_DUPLICATE (stream id of the entry stored first), or -1 with the
 * reason: Redis unreachable or failing, try again later. */
int notify_store_put(notify_store *s, const notify_entry *e, char *ret_stream_id, size_t idlen, sq_err *err);

#endif
