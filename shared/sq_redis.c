// SPDX-License-Identifier: MIT
// sq_redis.c -- the reused hiredis connection: lazy connect with AUTH and
// SELECT, command timeouts, reconnect after transport errors with a short
// backoff, and EVALSHA (alone or many in one pipeline) that reloads its script
// on NOSCRIPT. Never logs.
#include "sq_redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 1000

struct sq_redis {
	char *host, *username, *password;
	int port, db, connect_timeout_ms, command_timeout_ms;
	redisContext *c;
	int fails;             /* consecutive failures that call for a pause */
	long long retry_at_ms; /* monotonic: no connect attempt before this */
	char last[300];        /* why the last attempt failed */
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval tv_ms(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return tv;
}

static int nonempty(const char *s) { return s && *s; }

void sq_redis_opts_from_config(sq_redis_opts *o, const sq_config *cfg)
{
	memset(o, 0, sizeof *o);
	o->host = cfg->redis_host;
	o->port = cfg->redis_port;
	o->password = cfg->redis_password;
	o->db = cfg->redis_db;
	o->username = nonempty(cfg->redis_username) ? cfg->redis_username : NULL;
	o->connect_timeout_ms = cfg->redis_connect_timeout_ms;
	o->command_timeout_ms = cfg->redis_timeout_ms;
}

sq_redis *sq_redis_new(const sq_redis_opts *o)
{
	sq_redis *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->host = strdup(nonempty(o->host) ? o->host : "127.0.0.1");
	r->username = nonempty(o->username) ? strdup(o->username) : NULL;
	r->password = nonempty(o->password) ? strdup(o->password) : NULL;
	r->port = o->port > 0 ? o->port : 6379;
	r->db = o->db;
	r->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 1000;
	r->command_timeout_ms = o->command_timeout_ms > 0 ? o->command_timeout_ms : 2000;
	if (!r->host || (nonempty(o->username) && !r->username) || (nonempty(o->password) && !r->password)) {
		sq_redis_free(r);
		return NULL;
	}
	return r;
}

void sq_redis_disconnect(sq_redis *r)
{
	if (r && r->c) {
		redisFree(r->c);
		r->c = NULL;
	}
}

void sq_redis_free(sq_redis *r)
{
	if (!r)
		return;
	sq_redis_disconnect(r);
	free(r->host);
	free(r->username);
	if (r->password) {
		memset(r->password, 0, strlen(r->password));
		free(r->password);
	}
	free(r);
}

int sq_redis_is_connected(const sq_redis *r) { return r && r->c; }

/* Remembers why we failed and, when pause is set, when to try again. */
static void note_failure(sq_redis *r, int pause, const char *why)
{
	snprintf(r->last, sizeof r->last, "%s", why);
	if (!pause) {
		r->retry_at_ms = 0;
		return;
	}
	int n = r->fails < 10 ? r->fails : 10;
	long long ms = (long long)BACKOFF_BASE_MS << n;
	r->retry_at_ms = mono_ms() + (ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : ms);
	r->fails++;
}

/* A greeting command during connect (AUTH, SELECT): 0 or -1 with why. */
static int greet(const sq_redis *r, redisContext *c, int argc, const char **argv, char *why, size_t whylen)
{
	redisReply *rep;
	int rc = 0;

	errno = 0;
	rep = redisCommandArgv(c, argc, argv, NULL);
	if (!rep) {
		if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
			snprintf(why, whylen, "%s: no answer within %d ms", argv[0], r->command_timeout_ms);
		else
			snprintf(why, whylen, "%s: %s", argv[0], c->errstr);
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, whylen, "%s refused: %.200s", argv[0], rep->str);
		rc = -1;
	}
	freeReplyObject(rep);
	return rc;
}

int sq_redis_connect(sq_redis *r, sq_err *err)
{
	char why[300], dbs[16];
	redisContext *c;

	if (r->c)
		return SQ_REDIS_OK;
	long long now = mono_ms();
	if (now < r->retry_at_ms) {
		sq_err_set(err, "redis %s:%d unavailable: %s (next attempt in %lld ms)", r->host, r->port, r->last,
			   r->retry_at_ms - now);
		return SQ_REDIS_EIO;
	}
	c = redisConnectWithTimeout(r->host, r->port, tv_ms(r->connect_timeout_ms));
	if (!c) {
		note_failure(r, 1, "out of memory");
		sq_err_set(err, "redis: out of memory");
		return SQ_REDIS_EIO;
	}
	if (c->err) {
		snprintf(why, sizeof why, "connect: %s", c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, tv_ms(r->command_timeout_ms)) != REDIS_OK) {
		snprintf(why, sizeof why, "setting the timeout: %s", c->errstr);
		goto fail;
	}
	(void)redisEnableKeepAlive(c);
	if (r->password) {
		const char *a3[] = { "AUTH", r->username, r->password };
		const char *a2[] = { "AUTH", r->password };
		if (greet(r, c, r->username ? 3 : 2, r->username ? a3 : a2, why, sizeof why))
			goto fail;
	}
	if (r->db != 0) {
		snprintf(dbs, sizeof dbs, "%d", r->db);
		const char *sel[] = { "SELECT", dbs };
		if (greet(r, c, 2, sel, why, sizeof why))
			goto fail;
	}
	r->c = c;
	r->fails = 0;
	r->retry_at_ms = 0;
	return SQ_REDIS_OK;
fail:
	redisFree(c);
	note_failure(r, 1, why);
	sq_err_set(err, "redis %s:%d: %s", r->host, r->port, why);
	return SQ_REDIS_EIO;
}

/* After a failed command: drop the connection and say why. A timeout means a
 * frozen or overloaded server: pause before the next attempt; a lost
 * connection (e.g. a restart) may be retried at once. */
static int transport_failed(sq_redis *r, const char *what, int saved_errno, sq_err *err)
{
	int timed_out = r->c->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
	char why[300];

	if (timed_out)
		snprintf(why, sizeof why, "%s: no answer within %d ms", what, r->command_timeout_ms);
	else
		snprintf(why, sizeof why, "%s: %s", what, r->c->errstr);
	sq_redis_disconnect(r);
	note_failure(r, timed_out, why);
	sq_err_set(err, "redis %s:%d: %s", r->host, r->port, why);
	return SQ_REDIS_EIO;
}

/* Runs one command on the connection (connecting first). SQ_REDIS_OK with any
 * reply, error replies included; SQ_REDIS_EIO with the connection dropped. */
static int exec_argv(sq_redis *r, int argc, const char **argv, const size_t *argvlen, redisReply **ret,
		     sq_err *err)
{
	int rc;

	*ret = NULL;
	if ((rc = sq_redis_connect(r, err)) != SQ_REDIS_OK)
		return rc;
	errno = 0;
	*ret = redisCommandArgv(r->c, argc, argv, argvlen);
	return *ret ? SQ_REDIS_OK : transport_failed(r, argv[0], errno, err);
}

static int finish(redisReply *rep, redisReply **ret, sq_err *err)
{
	if (rep->type == REDIS_REPLY_ERROR) {
		sq_err_set(err, "redis: %.400s", rep->str);
		freeReplyObject(rep);
		*ret = NULL;
		return SQ_REDIS_EREPLY;
	}
	*ret = rep;
	return SQ_REDIS_OK;
}

int sq_redis_command_argv(sq_redis *r, int argc, const char **argv, const size_t *argvlen,
			  redisReply **ret_reply, sq_err *err)
{
	redisReply *rep;
	int rc = exec_argv(r, argc, argv, argvlen, &rep, err);
	if (rc != SQ_REDIS_OK) {
		*ret_reply = NULL;
		return rc;
	}
	return finish(rep, ret_reply, err);
}

int sq_redis_command(sq_redis *r, redisReply **ret_reply, sq_err *err, const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;
	int rc;

	*ret_reply = NULL;
	if ((rc = sq_redis_connect(r, err)) != SQ_REDIS_OK)
		return rc;
	errno = 0;
	va_start(ap, fmt);
	rep = redisvCommand(r->c, fmt, ap);
	va_end(ap);
	if (!rep)
		return transport_failed(r, "command", errno, err);
	return finish(rep, ret_reply, err);
}

void sq_redis_script_init(sq_redis_script *s, const char *source)
{
	s->source = source;
	s->sha[0] = '\0';
}

int sq_redis_script_load(sq_redis *r, sq_redis_script *s, sq_err *err)
{
	const char *argv[] = { "SCRIPT", "LOAD", s->source };
	redisReply *rep;
	int rc = sq_redis_command_argv(r, 3, argv, NULL, &rep, err);

	if (rc != SQ_REDIS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
		freeReplyObject(rep);
		sq_err_set(err, "redis: SCRIPT LOAD gave an unexpected reply");
		return SQ_REDIS_EREPLY;
	}
	memcpy(s->sha, rep->str, 40);
	s->sha[40] = '\0';
	freeReplyObject(rep);
	return SQ_REDIS_OK;
}

/* Appends one EVALSHA to the connection's output buffer. */
static int append_evalsha(sq_redis *r, const sq_redis_script *s, const sq_redis_call *c, sq_err *err)
{
	const char *sv[3 + SQ_REDIS_CALL_ARGS_MAX], **v = sv;
	size_t svl[3 + SQ_REDIS_CALL_ARGS_MAX], *vl = svl;
	char nk[16];
	int rc = 0;

	if (c->argc > SQ_REDIS_CALL_ARGS_MAX) { /* rare (a job's long key lists): on the heap */
		v = malloc(((size_t)c->argc + 3) * sizeof *v);
		vl = malloc(((size_t)c->argc + 3) * sizeof *vl);
		if (!v || !vl) {
			rc = sq_err_set(err, "redis: out of memory");
			goto out;
		}
	}
	snprintf(nk, sizeof nk, "%d", c->nkeys);
	v[0] = "EVALSHA";
	v[1] = s->sha;
	v[2] = nk;
	for (int i = 0; i < 3; i++)
		vl[i] = strlen(v[i]);
	for (int i = 0; i < c->argc; i++) {
		v[i + 3] = c->argv[i];
		vl[i + 3] = c->argvlen ? c->argvlen[i] : strlen(c->argv[i]);
	}
	if (redisAppendCommandArgv(r->c, c->argc + 3, v, vl) != REDIS_OK)
		rc = sq_err_set(err, "redis: out of memory");
out:
	if (v != sv) {
		free(v);
		free(vl);
	}
	return rc;
}

static int is_noscript(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0;
}

int sq_redis_evalsha_many(sq_redis *r, sq_redis_script *s, sq_redis_call *calls, int n, sq_err *err)
{
	int rc;

	for (int i = 0; i < n; i++)
		calls[i].reply = NULL;
	if (!s->sha[0] && (rc = sq_redis_script_load(r, s, err)) != SQ_REDIS_OK)
		return rc;
	for (int round = 0; round < 2; round++) {
		int noscript = 0;
		if ((rc = sq_redis_connect(r, err)) != SQ_REDIS_OK)
			return rc;
		/* the calls without a reply: all of them, then those that met NOSCRIPT */
		for (int i = 0; i < n; i++)
			if (!calls[i].reply && append_evalsha(r, s, &calls[i], err)) {
				sq_redis_disconnect(r); /* part of a pipeline may sit in its buffer */
				return SQ_REDIS_EIO;
			}
		for (int i = 0; i < n; i++) {
			void *rep;
			if (calls[i].reply)
				continue;
			errno = 0;
			if (redisGetReply(r->c, &rep) != REDIS_OK)
				return transport_failed(r, "EVALSHA", errno, err);
			calls[i].reply = rep;
		}
		for (int i = 0; i < n; i++)
			if (round == 0 && is_noscript(calls[i].reply)) {
				freeReplyObject(calls[i].reply);
				calls[i].reply = NULL;
				noscript++;
			}
		if (!noscript)
			break;
		/* Redis restarted or flushed its script cache: load it again, once */
		if ((rc = sq_redis_script_load(r, s, err)) != SQ_REDIS_OK)
			return rc;
	}
	return SQ_REDIS_OK;
}

int sq_redis_evalsha(sq_redis *r, sq_redis_script *s, int nkeys, int argc, const char **argv,
		     const size_t *argvlen, redisReply **ret_reply, sq_err *err)
{
	sq_redis_call c = { nkeys, argc, argv, argvlen, NULL };
	int rc = sq_redis_evalsha_many(r, s, &c, 1, err);

	*ret_reply = NULL;
	if (rc != SQ_REDIS_OK) {
		sq_redis_calls_clear(&c, 1);
		return rc;
	}
	return finish(c.reply, ret_reply, err);
}

void sq_redis_calls_clear(sq_redis_call *calls, int n)
{
	for (int i = 0; i < n; i++) {
		if (calls[i].reply)
			freeReplyObject(calls[i].reply);
		calls[i].reply = NULL;
	}
}
