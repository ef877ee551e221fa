// SPDX-License-Identifier: MIT
// store.c -- the notify Lua script and its calls: one entry, or a batch's in
// one pipeline. Redis is outside the runtime's PostgreSQL transaction, so the
// script's dedup marks are what keep a notification once-only across
// redeliveries and crashes before the commit.
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Atomic in Redis: nothing is written unless all of it is. */
const char notify_store_lua[] =
	"-- shopq-notify: store one notification, once.\n"
	"-- KEYS: stream, unread counter, seen mark of the message id,\n"
	"--       [seen mark of the event's business identity].\n"
	"-- ARGV: dedup window (s), stream cap, channel, id, type, title, body, data, created_at.\n"
	"for i = 3, #KEYS do\n"
	"  local first = redis.call('GET', KEYS[i])\n"
	"  if first then return {0, first} end\n"
	"end\n"
	"local xid = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',\n"
	"  'id', ARGV[4], 'type', ARGV[5], 'title', ARGV[6], 'body', ARGV[7],\n"
	"  'data', ARGV[8], 'created_at', ARGV[9])\n"
	"for i = 3, #KEYS do\n"
	"  redis.call('SET', KEYS[i], xid, 'NX', 'EX', ARGV[1])\n"
	"end\n"
	"local unread = redis.call('INCR', KEYS[2])\n"
	"redis.call('PUBLISH', ARGV[3], cjson.encode({id = ARGV[4], type = ARGV[5], title = ARGV[6],\n"
	"  body = ARGV[7], data = ARGV[8], created_at = ARGV[9], stream_id = xid}))\n"
	"return {1, xid, unread}\n";

void notify_store_keys(notify_keys *k, const notify_entry *e)
{
	snprintf(k->stream, sizeof k->stream, "shopq:notifications:%lld", e->user_id);
	snprintf(k->unread, sizeof k->unread, "shopq:notifications:%lld:unread", e->user_id);
	snprintf(k->seen_msg, sizeof k->seen_msg, "shopq:notify:seen:%s", e->id);
	if (e->event_key[0])
		snprintf(k->seen_evt, sizeof k->seen_evt, "shopq:notify:event:%s", e->event_key);
	else
		k->seen_evt[0] = '\0';
}

int notify_store_init(notify_store *s, const sq_config *cfg, sq_err *err)
{
	sq_redis_opts o;

	memset(s, 0, sizeof *s);
	sq_redis_opts_from_config(&o, cfg);
	if (!(s->redis = sq_redis_new(&o)))
		return sq_err_set(err, "out of memory");
	sq_redis_script_init(&s->script, notify_store_lua);
	snprintf(s->window, sizeof s->window, "%d", cfg->notify_dedup_window_s);
	snprintf(s->cap, sizeof s->cap, "%d", cfg->notify_stream_cap);
	return 0;
}

int notify_store_load(notify_store *s, sq_err *err)
{
	return sq_redis_script_load(s->redis, &s->script, err);
}

void notify_store_close(notify_store *s)
{
	if (!s)
		return;
	sq_redis_free(s->redis);
	s->redis = NULL;
	for (int i = 0; i < s->nahead; i++)
		notify_entry_free(&s->ahead[i].entry);
	free(s->ahead);
	s->ahead = NULL;
	s->nahead = s->ahead_cap = 0;
}

/* One entry's script call (keys, then arguments), pointing into k, e and the
 * store's settings; returns the number of keys. */
static int call_args(const notify_store *s, const notify_entry *e, notify_keys *k, const char **argv)
{
	int nkeys;

	notify_store_keys(k, e);
	nkeys = k->seen_evt[0] ? 4 : 3;
	const char *keys4[] = { k->stream, k->unread, k->seen_msg, k->seen_evt };
	memcpy(argv, keys4, sizeof(const char *) * (size_t)nkeys);
	const char *args[] = { s->window, s->cap, k->stream, e->id, e->type, e->title, e->body, e->data, e->created_at };
	memcpy(argv + nkeys, args, sizeof args);
	return nkeys;
}

/* The script's answer for p: NOTIFY_STORED or NOTIFY_DUPLICATE with the
 * stream id, or -1 for an error reply or one it never gives. */
static int read_answer(const redisReply *rep, notify_put *p, sq_err *err)
{
	if (rep->type == REDIS_REPLY_ERROR)
		return sq_err_set(err, "redis: %.400s", rep->str);
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 || rep->element[0]->type != REDIS_REPLY_INTEGER ||
	    rep->element[1]->type != REDIS_REPLY_STRING)
		return sq_err_set(err, "redis: the notify script gave an unexpected reply");
	snprintf(p->stream_id, sizeof p->stream_id, "%s", rep->element[1]->str);
	return rep->element[0]->integer == 1 ? NOTIFY_STORED : NOTIFY_DUPLICATE;
}

int notify_store_put_many(notify_store *s, notify_put *puts, int n, sq_err *err)
{
	notify_keys *k = calloc((size_t)n, sizeof *k);
	const char **argv = calloc((size_t)n * NOTIFY_CALL_ARGS, sizeof *argv);
	sq_redis_call *calls = calloc((size_t)n, sizeof *calls);
	int rc = -1;

	if (!k || !argv || !calls) {
		sq_err_set(err, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		calls[i].argv = argv + (size_t)i * NOTIFY_CALL_ARGS;
		calls[i].nkeys = call_args(s, &puts[i].entry, &k[i], calls[i].argv);
		calls[i].argc = calls[i].nkeys + 9;
	}
	for (int tries = 0;; tries++) {
		int was_connected = sq_redis_is_connected(s->redis);
		/* A connection that went stale (Redis restarted, an idle timeout)
		 * fails the first call on it. The script is idempotent through its
		 * dedup marks, so the calls may run once more on a fresh connection. */
		rc = sq_redis_evalsha_many(s->redis, &s->script, calls, n, err);
		if (rc != SQ_REDIS_EIO || !was_connected || tries)
			break;
		sq_redis_calls_clear(calls, n);
	}
	if (rc != SQ_REDIS_OK) {
		rc = -1;
		goto out;
	}
	rc = 0;
	for (int i = 0; i < n; i++) {
		sq_err e;
		if ((puts[i].rc = read_answer(calls[i].reply, &puts[i], &e)) < 0 && !rc++)
			*err = e;
	}
out:
	if (calls)
		sq_redis_calls_clear(calls, n);
	free(calls);
	free(argv);
	free(k);
	return rc;
}
