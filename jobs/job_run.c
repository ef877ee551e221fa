// SPDX-License-Identifier: MIT
// job_run.c -- transactions of a job run: begin with a lease-long idle
// timeout, commit only while the lease's fence is still the run's own.
#include "job_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char SQL_FENCE[] = "SELECT fence FROM scheduler.job_leases WHERE job = $1 FOR UPDATE";

int job_begin(job_run *run, sq_err *err)
{
	char sql[96];
	PGresult *r;

	if (sq_ctx_begin(run->ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	/* SET cannot take parameters; the value is an int from the config */
	snprintf(sql, sizeof sql, "SET LOCAL idle_in_transaction_session_timeout = %d",
		 run->cfg->sched_lease_s * 1000);
	r = PQexec(sq_ctx_pg(run->ctx), sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		sq_err_set(err, "database: %s", m ? m : "connection lost");
		PQclear(r);
		sq_ctx_rollback(run->ctx);
		return -1;
	}
	PQclear(r);
	return 0;
}

void job_rollback(job_run *run)
{
	PGconn *c = sq_ctx_pg(run->ctx);
	/* only when a transaction is open: a bare ROLLBACK draws a warning */
	if (c && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		sq_ctx_rollback(run->ctx);
}

PGresult *job_query(job_run *run, const char *sql, int nparams, const char *const *params, sq_err *err)
{
	PGresult *r = sq_query(run->ctx, sql, nparams, params);
	if (!r)
		sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	return r;
}

int job_lost(job_run *run)
{
	return run->lost && run->lost(run->lost_arg);
}

int job_fence_lock(job_run *run, sq_err *err)
{
	const char *p[] = { run->def->name };
	PGresult *r = job_query(run, SQL_FENCE, 1, p, err);
	long long fence;

	if (!r)
		return -1;
	fence = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
	PQclear(r);
	if (fence != run->fence) {
		sq_err_set(err, "lease lost: fence is now %lld, this run holds %lld", fence, run->fence);
		return JOB_FENCED;
	}
	return 0;
}

int job_checkpoint(job_run *run, sq_err *err)
{
	int rc = job_lost(run) ? (sq_err_set(err, "lease lost: a renewal found it taken"), JOB_FENCED)
			       : job_fence_lock(run, err);
	if (rc) {
		job_rollback(run);
		return rc;
	}
	if (sq_ctx_commit(run->ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	run->batches++;
	run->rows_committed = run->rows;
	return job_begin(run, err);
}

int job_emit_command(job_run *run, const char *routing_key, json_t *body, sq_err *err)
{
	if (sq_emit_command(run->ctx, routing_key, body))
		return sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	return 0;
}
