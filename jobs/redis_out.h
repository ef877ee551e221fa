// SPDX-License-Identifier: MIT
// redis_out.h -- the jobs' writes into Redis, fenced: a write carries the run's
// lease token and Redis refuses it once a newer run of the job has written.
#ifndef REDIS_OUT_H
#define REDIS_OUT_H

#include "job_run.h"
#include "sq_redis.h"

typedef struct job_redis_op {
	const char *key;
	const char *value; /* for sets */
	long long pxat_ms; /* > 0: expire at this unix time in ms */
	int del;           /* delete key instead */
} job_redis_op;

typedef struct job_redis job_redis;

/* Connects to the config's Redis. NULL with the reason. */
job_redis *job_redis_open(const sq_config *cfg, sq_err *err);
void job_redis_close(job_redis *r); /* accepts NULL */

/* Applies ops in one atomic script, unless a run of the same job with a newer
 * lease token wrote before: then nothing is written and JOB_FENCED returned.
 * 0 when applied, -1 on a Redis error. */
int job_redis_apply(job_redis *r, const job_run *run, const job_redis_op *ops, int n, sq_err *err);

/* Calls fn(arg, key) for every key matching pattern (SCAN; keys added or
 * removed meanwhile may or may not be seen). fn returns 0 to go on. */
int job_redis_scan(job_redis *r, const char *pattern, int (*fn)(void *arg, const char *key), void *arg,
		   sq_err *err);

#endif
