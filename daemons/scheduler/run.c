// SPDX-License-Identifier: MIT
// run.c -- one claimed run: the job's work and its record (outcome, rows,
// error, job.completed / job.failed) commit together, and only while the
// run's fence is still the lease's; then the lease is given back.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"
#include "sq_log.h"

static const char SQL_RECORD[] =
	"UPDATE scheduler.job_runs SET outcome = $2, finished_at = clock_timestamp(), rows_touched = $3::bigint,"
	" error = NULLIF($4, '') WHERE id = $1::bigint AND fence = $5::bigint AND outcome = 'running'"
	" RETURNING floor(extract(epoch FROM finished_at - started_at) * 1000)::bigint";

static const char SQL_RELEASE[] =
	"UPDATE scheduler.job_leases SET holder = NULL, expires_at = NULL WHERE job = $1 AND fence = $2::bigint";

static void now_rfc3339(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *event_body(const job_run *run, long long duration_ms, const char *error)
{
	char at[32];
	json_t *b;

	now_rfc3339(at, sizeof at);
	b = json_pack("{s:s,s:s,s:I,s:I,s:s,s:I,s:s}", "job", run->def->name, "scheduled_for", run->scheduled_for,
		      "rows", (json_int_t)run->rows, "run_id", (json_int_t)run->id, "runner", run->runner,
		      "duration_ms", (json_int_t)duration_ms, "occurred_at", at);
	if (b && error)
		json_object_set_new(b, "error", json_string(error));
	return b;
}

/* In the open transaction: fence check (locking the lease row), the record,
 * the lease released, the event; commit. 0, JOB_FENCED or -1 (rolled back). */
static int finish(job_run *run, const char *outcome, const char *error, long long *ret_ms, sq_err *err)
{
	char id[24], rows[24], fence[24];
	const char *rp[] = { id, outcome, rows, error ? error : "", fence };
	const char *lp[] = { run->def->name, fence };
	PGresult *r;
	int rc;

	snprintf(id, sizeof id, "%lld", run->id);
	snprintf(rows, sizeof rows, "%lld", run->rows);
	snprintf(fence, sizeof fence, "%lld", run->fence);
	if ((rc = job_fence_lock(run, err)))
		goto fail;
	rc = -1;
	if (!(r = job_query(run, SQL_RECORD, 5, rp, err)))
		goto fail;
	if (PQntuples(r) != 1) {
		PQclear(r);
		sq_err_set(err, "lease lost: the run's record is no longer this runner's");
		rc = JOB_FENCED;
		goto fail;
	}
	*ret_ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (!(r = job_query(run, SQL_RELEASE, 2, lp, err)))
		goto fail;
	PQclear(r);
	if (sq_emit_event(run->ctx, error ? "job.failed" : "job.completed", event_body(run, *ret_ms, error))) {
		sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
		goto fail;
	}
	if (sq_ctx_commit(run->ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	return 0;
fail:
	job_rollback(run);
	return rc;
}

/* The lease moved on: record that much, if the row is still ours (a newer
 * holder may have taken the run over, or marked it already). */
static void record_fenced(job_run *run, const char *why)
{
	char id[24], rows[24], fence[24];
	const char *rp[] = { id, "fenced", rows, why, fence };
	sq_err e;
	PGresult *r;
	int mine = 0;

	snprintf(id, sizeof id, "%lld", run->id);
	snprintf(rows, sizeof rows, "%lld", run->rows);
	snprintf(fence, sizeof fence, "%lld", run->fence);
	if (job_begin(run, &e) == 0) {
		if ((r = job_query(run, SQL_RECORD, 5, rp, &e))) {
			mine = PQntuples(r) == 1;
			long long ms = mine ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
			PQclear(r);
			if (!mine || sq_emit_event(run->ctx, "job.failed", event_body(run, ms, why)) == 0)
				(void)sq_ctx_commit(run->ctx);
			else
				job_rollback(run);
		} else {
			job_rollback(run);
		}
	}
	sq_log_warn("job %s: run %lld for %s fenced: %s; nothing more of it commits%s", run->def->name, run->id,
		    run->scheduled_for, why, mine ? "" : " (its record belongs to the lease's new holder)");
}

void sched_run(sched *s, job_run *run)
{
	sq_err e = { "" }, e2 = { "" };
	long long ms = 0;
	int rc;

	sched_keeper_watch(s->keeper, run->def->name, s->runner, run->fence);
	sq_log_info("job %s: run %lld for %s started (fence %lld)", run->def->name, run->id, run->scheduled_for,
		    run->fence);
	rc = job_begin(run, &e);
	if (rc == 0)
		rc = run->def->run(run, &e);
	if (rc == 0) {
		rc = finish(run, "succeeded", NULL, &ms, &e);
		if (rc == 0)
			sq_log_notice("job %s: succeeded in %lld ms, %lld rows%s%s", run->def->name, ms, run->rows,
				      run->note[0] ? ": " : "", run->note);
	} else {
		job_rollback(run);
	}
	if (rc == -1) {
		/* the job (or its record) failed: its open work is rolled back; record why */
		run->rows = run->rows_committed;
		if ((rc = job_begin(run, &e2)) == 0)
			rc = finish(run, "failed", e.msg, &ms, &e2);
		if (rc == 0)
			sq_log_err("job %s: failed after %lld ms: %s", run->def->name, ms, e.msg);
		else if (rc == -1)
			sq_log_err("job %s: failed: %s; recording it failed too: %s (the lease lapses, the next"
				   " holder marks the run)", run->def->name, e.msg, e2.msg);
		else
			e = e2;
	}
	if (rc == JOB_FENCED) {
		run->rows = run->rows_committed;
		record_fenced(run, e.msg);
	}
	sched_keeper_unwatch(s->keeper);
}
