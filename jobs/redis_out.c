// SPDX-License-Identifier: MIT
// redis_out.c -- fenced Redis writes for jobs: one Lua script compares the
// run's lease token with the newest one stored for the job, then applies a
// batch of SET / SET PXAT / DEL; plus SCAN for mirror clean-ups.
#include "redis_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] the job's fence key, ARGV[1] the token; then per key i >= 2 three
 * arguments: op ("set", "setat", "del"), value, expiry (unix ms). */
static const char FENCED_WRITE[] =
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
	"local tok = tonumber(ARGV[1])\n"
	"if cur > tok then return -1 end\n"
	"if cur < tok then redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800) end\n"
	"for i = 2, #KEYS do\n"
	"  local b = 2 + 3 * (i - 2)\n"
	"  local op = ARGV[b]\n"
	"  if op == 'del' then redis.call('DEL', KEYS[i])\n"
	"  elseif op == 'setat' then redis.call('SET', KEYS[i], ARGV[b + 1], 'PXAT', ARGV[b + 2])\n"
	"  else redis.call('SET', KEYS[i], ARGV[b + 1]) end\n"
	"end\n"
	"return #KEYS - 1\n";

struct job_redis {
	sq_redis *r;
	sq_redis_script script;
};

job_redis *job_redis_open(const sq_config *cfg, sq_err *err)
{
	sq_redis_opts o;
	job_redis *jr = calloc(1, sizeof *jr);

	if (!jr) {
		sq_err_set(err, "out of memory");
		return NULL;
	}
	sq_redis_opts_from_config(&o, cfg);
	sq_redis_script_init(&jr->script, FENCED_WRITE);
	if (!(jr->r = sq_redis_new(&o))) {
		sq_err_set(err, "out of memory");
		goto fail;
	}
	if (sq_redis_connect(jr->r, err) || sq_redis_script_load(jr->r, &jr->script, err))
		goto fail;
	return jr;
fail:
	job_redis_close(jr);
	return NULL;
}

void job_redis_close(job_redis *jr)
{
	if (!jr)
		return;
	sq_redis_free(jr->r);
	free(jr);
}

int job_redis_apply(job_redis *jr, const job_run *run, const job_redis_op *ops, int n, sq_err *err)
{
	int argc = 2 + 4 * n, rc = -1;
	const char **argv = calloc((size_t)argc, sizeof *argv);
	char (*at)[24] = calloc((size_t)n + 1, sizeof *at);
	char fence_key[160], token[24];
	redisReply *reply = NULL;

	if (!argv || !at) {
		sq_err_set(err, "out of memory");
		goto out;
	}
	snprintf(fence_key, sizeof fence_key, "shopq:scheduler:fence:%s", run->def->name);
	snprintf(token, sizeof token, "%lld", run->token_us);
	/* keys first (fence key, then each op's key), then the arguments */
	argv[0] = fence_key;
	for (int i = 0; i < n; i++)
		argv[1 + i] = ops[i].key;
	argv[1 + n] = token;
	for (int i = 0; i < n; i++) {
		const char **a = &argv[2 + n + 3 * i];
		snprintf(at[i], sizeof at[i], "%lld", ops[i].pxat_ms);
		a[0] = ops[i].del ? "del" : ops[i].pxat_ms > 0 ? "setat" : "set";
		a[1] = ops[i].value ? ops[i].value : "";
		a[2] = at[i];
	}
	if (sq_redis_evalsha(jr->r, &jr->script, 1 + n, argc, argv, NULL, &reply, err))
		goto out;
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer < 0) {
		sq_err_set(err, "lease lost: Redis holds a newer run's writes for %s", run->def->name);
		rc = JOB_FENCED;
	} else {
		rc = 0;
	}
out:
	if (reply)
		freeReplyObject(reply);
	free(argv);
	free(at);
	return rc;
}

int job_redis_scan(job_redis *jr, const char *pattern, int (*fn)(void *arg, const char *key), void *arg,
		   sq_err *err)
{
	char cursor[32] = "0";

	do {
		redisReply *reply = NULL;
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
		if (sq_redis_command_argv(jr->r, 6, argv, NULL, &reply, err))
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			return sq_err_set(err, "redis: unexpected SCAN reply");
		}
		snprintf(cursor, sizeof cursor, "%s", reply->element[0]->str);
		redisReply *keys = reply->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			if (keys->element[i]->type == REDIS_REPLY_STRING && fn(arg, keys->element[i]->str)) {
				freeReplyObject(reply);
				return 0;
			}
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}
