// SPDX-License-Identifier: MIT
// sq_redis.h -- one reused Redis connection (hiredis, blocking, with timeouts):
// connects lazily, AUTHs and SELECTs, drops the connection on any transport
// error and reconnects on a later call, and runs Lua scripts by EVALSHA.
#ifndef SQ_REDIS_H
#define SQ_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "sq_config.h"
#include "sq_err.h"

/* Results of the calls below. */
#define SQ_REDIS_OK 0
#define SQ_REDIS_EIO (-1)    /* unreachable, timed out or connection lost: try again later */
#define SQ_REDIS_EREPLY (-2) /* Redis answered with an error reply (kept in err); connection kept */

typedef struct sq_redis sq_redis;

typedef struct sq_redis_opts {
	const char *host;
	int port;
	const char *username; /* NULL or "": AUTH with the password alone */
	const char *password; /* NULL or "": no AUTH */
	int db;               /* SELECTed after connecting when not 0 */
	int connect_timeout_ms;
	int command_timeout_ms;
} sq_redis_opts;

/* The redis section of cfg: host, port, password, db, plus the optional
 * redis.username, redis.connect_timeout_ms (default 1000) and
 * redis.timeout_ms (default 2000). The strings stay owned by cfg. */
void sq_redis_opts_from_config(sq_redis_opts *ret_opts, const sq_config *cfg);

/* Copies the options; does not connect. NULL when out of memory. */
sq_redis *sq_redis_new(const sq_redis_opts *opts);
void sq_redis_free(sq_redis *r); /* accepts NULL */

/* Connects (AUTH, SELECT) unless connected. After a failed attempt, further
 * attempts within a short backoff (100 ms doubling to 1 s) fail at once with
 * the last reason, so a dead or frozen server costs one timeout, not one per
 * call. Returns SQ_REDIS_OK or SQ_REDIS_EIO. */
int sq_redis_connect(sq_redis *r, sq_err *err);
int sq_redis_is_connected(const sq_redis *r);
void sq_redis_disconnect(sq_redis *r);

/* One command, formatted as redisCommand() does ("SET %s %b", key, val, len),
 * or as an argument vector (argvlen may be NULL for C strings). On
 * SQ_REDIS_OK *ret_reply holds a reply that is not an error (free it with
 * freeReplyObject); otherwise *ret_reply is NULL and err says why. A transport
 * failure closes the connection: the command may or may not have run, so
 * callers retry only what is idempotent (or deduplicated, as scripts can be). */
int sq_redis_command(sq_redis *r, redisReply **ret_reply, sq_err *err, const char *fmt, ...);
int sq_redis_command_argv(sq_redis *r, int argc, const char **argv, const size_t *argvlen,
			  redisReply **ret_reply, sq_err *err);

/* A Lua script run by EVALSHA: source kept by the caller, sha filled by
 * SCRIPT LOAD (on first use, or again when Redis answers NOSCRIPT after a
 * restart or SCRIPT FLUSH). */
typedef struct sq_redis_script {
	const char *source;
	char sha[41]; /* "" until loaded */
} sq_redis_script;

void sq_redis_script_init(sq_redis_script *s, const char *source);
/* SCRIPT LOAD now (e.g. at start, to fail early on a syntax error). */
int sq_redis_script_load(sq_redis *r, sq_redis_script *s, sq_err *err);
/* EVALSHA sha nkeys keys... args...: argv holds the nkeys keys then the
 * arguments (argvlen may be NULL). Results as sq_redis_command. */
int sq_redis_evalsha(sq_redis *r, sq_redis_script *s, int nkeys, int argc, const char **argv,
		     const size_t *argvlen, redisReply **ret_reply, sq_err *err);

/* One EVALSHA of a pipeline: argv holds the nkeys keys then the arguments. */
#define SQ_REDIS_CALL_ARGS_MAX 32 /* arguments built on the stack; more go on the heap */
typedef struct sq_redis_call {
	int nkeys, argc;
	const char **argv;
	const size_t *argvlen; /* NULL: the arguments are C strings */
	redisReply *reply; /* out: its reply, error replies included (the caller frees); NULL when none came */
} sq_redis_call;

/* Runs n EVALSHAs of the script in one pipeline: one round trip for all. A
 * NOSCRIPT answer reloads the script and runs those calls again, once.
 * SQ_REDIS_OK when every call has its reply; SQ_REDIS_EIO with the connection
 * dropped (a call without a reply may or may not have run). */
int sq_redis_evalsha_many(sq_redis *r, sq_redis_script *s, sq_redis_call *calls, int n, sq_err *err);
/* Frees the calls' replies. */
void sq_redis_calls_clear(sq_redis_call *calls, int n);

#endif
