// SPDX-License-Identifier: MIT
// job_run.h -- what a job runs inside: the scheduler's connection and outbox,
// the lease's fence (checked before every commit), counters for the record.
#ifndef JOB_RUN_H
#define JOB_RUN_H

#include <jansson.h>
#include <libpq-fe.h>

#include "jobs.h"
#include "sq_runtime.h"

#define JOB_FENCED (-2) /* the lease moved on: nothing of this run may commit */

struct job_run {
	sq_ctx *ctx; /* the daemon's connection; emits go to its outbox */
	const sq_config *cfg;
	const job_def *def;
	long long id;             /* scheduler.job_runs.id */
	long long fence;          /* scheduler.job_leases.fence taken by this run */
	long long token_us;       /* when the lease was taken (PostgreSQL clock, us): Redis fencing token */
	char scheduled_for[40];   /* RFC 3339, UTC */
	const char *runner;       /* "host:pid" */
	long long rows;           /* rows touched, for the record and the event */
	long long rows_committed; /* of those, committed by checkpoints (what a failed run leaves) */
	long long batches;        /* transactions the job committed */
	int (*lost)(void *arg);   /* the lease keeper: did a renewal find the lease gone? */
	void *lost_arg;
	char note[256];           /* what the job did, one line for the log */
};

/* BEGIN, with idle_in_transaction_session_timeout = the lease, so a frozen
 * scheduler's transaction (and its row locks) dies with its lease. */
int job_begin(job_run *run, sq_err *err);
/* Rolls back the open transaction, if there is one. */
void job_rollback(job_run *run);
/* Inside a transaction: locks the job's lease row (until commit) and checks
 * that its fence is still ours. 0, JOB_FENCED, or -1 on a database error. */
int job_fence_lock(job_run *run, sq_err *err);
/* Commits the work so far after the fence check (else rolls back) and begins
 * the next transaction: one batch of a batch job. 0, JOB_FENCED or -1. */
int job_checkpoint(job_run *run, sq_err *err);
/* sq_query with the reason in err. */
PGresult *job_query(job_run *run, const char *sql, int nparams, const char *const *params, sq_err *err);
/* A command on shopq.commands through the outbox, in the open transaction. Steals body. */
int job_emit_command(job_run *run, const char *routing_key, json_t *body, sq_err *err);
/* True once the lease keeper found the lease gone (stop early). */
int job_lost(job_run *run);

#endif
