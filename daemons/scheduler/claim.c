// SPDX-License-Identifier: MIT
// claim.c -- who runs what: a job's lease (scheduler.job_leases, taken only
// when free or expired, fence + 1 each time) and the run's row in
// scheduler.job_runs (unique per job and slot), claimed in one transaction.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "sq_log.h"

#define RFC3339(col) \
	"regexp_replace(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '\\.0+Z$', 'Z')"

static const char SQL_LEASE_ROW[] = "INSERT INTO scheduler.job_leases (job) VALUES ($1) ON CONFLICT (job) DO NOTHING";

/* Free (released) or expired leases only; SKIP LOCKED: never wait on a
 * scheduler that holds the row in its final transaction. The token is the
 * taking time: later than any earlier holder's, as that one was released or
 * expired before. */
static const char SQL_ACQUIRE[] =
	"WITH old AS (SELECT job, holder FROM scheduler.job_leases"
	"  WHERE job = $1 AND (holder IS NULL OR expires_at IS NULL OR expires_at < clock_timestamp())"
	"  FOR UPDATE SKIP LOCKED)"
	" UPDATE scheduler.job_leases l SET holder = $2, fence = l.fence + 1,"
	"  expires_at = clock_timestamp() + make_interval(secs => $3::int)"
	" FROM old WHERE l.job = old.job"
	" RETURNING l.fence, floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint, old.holder";

/* The slot's run: a new row, or one still 'running' under an older fence
 * (its runner lost the lease: this run takes it over). A finished row is left
 * alone and nothing is returned. */
static const char SQL_CLAIM_SLOT[] =
	"INSERT INTO scheduler.job_runs AS r (job, scheduled_for, started_at, runner, fence)"
	" VALUES ($1, to_timestamp($2::bigint), clock_timestamp(), $3, $4::bigint)"
	" ON CONFLICT (job, scheduled_for) DO UPDATE"
	"  SET runner = EXCLUDED.runner, fence = EXCLUDED.fence, started_at = EXCLUDED.started_at"
	"  WHERE r.outcome = 'running' AND (r.fence IS NULL OR r.fence < EXCLUDED.fence)"
	" RETURNING r.id, " RFC3339("r.scheduled_for") ", r.xmax <> 0";

static const char SQL_CLAIM_REQUEST[] =
	"UPDATE scheduler.job_runs SET runner = $3, fence = $4::bigint, started_at = clock_timestamp()"
	" WHERE id = $1::bigint AND job = $2 AND outcome = 'running' AND fence IS NULL"
	" RETURNING id, " RFC3339("scheduled_for") ", false";

/* Runs under older fences still 'running' (their runner can no longer commit). */
static const char SQL_ABANDONED[] =
	"UPDATE scheduler.job_runs SET outcome = 'fenced', finished_at = clock_timestamp(),"
	" error = 'lease lost: runner ' || coalesce(runner, '?') || ' stopped renewing it (crashed or stalled)'"
	" WHERE job = $1 AND outcome = 'running' AND fence < $2::bigint";

/* Requests (job.run) not yet started: scheduled_for and started_at are the
 * request's time; job_runs_started_at_idx bounds the scan to the last day. */
static const char SQL_REQUESTS[] =
	"SELECT id FROM scheduler.job_runs WHERE job = $1 AND started_at > now() - interval '1 day'"
	" AND outcome = 'running' AND fence IS NULL ORDER BY id LIMIT $2";

static void run_init(job_run *run, sq_ctx *ctx, sched *s, sched_job *j)
{
	memset(run, 0, sizeof *run);
	run->ctx = ctx;
	run->cfg = s->cfg;
	run->def = j->conf.def;
	run->runner = s->runner;
	run->lost = sched_keeper_lost;
	run->lost_arg = s->keeper;
}

/* Once per job and process, in a transaction of its own. */
static int ensure_lease_row(job_run *run, sched_job *j, sq_err *err)
{
	const char *p[] = { j->conf.def->name };
	PGresult *r;

	if (j->lease_row)
		return 0;
	if (job_begin(run, err))
		return -1;
	if (!(r = job_query(run, SQL_LEASE_ROW, 1, p, err))) {
		job_rollback(run);
		return -1;
	}
	PQclear(r);
	if (sq_ctx_commit(run->ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(run->ctx));
	j->lease_row = 1;
	return 0;
}

/* In the claim transaction: takes the lease. 1 taken, 0 busy, -1 error;
 * *ret_expired: it had expired in another runner's hands (not released). */
static int acquire(job_run *run, sched *s, int *ret_expired, sq_err *err)
{
	char lease[16];
	const char *p[] = { run->def->name, s->runner, lease };
	PGresult *r;
	int got;

	snprintf(lease, sizeof lease, "%d", s->cfg->sched_lease_s);
	if (!(r = job_query(run, SQL_ACQUIRE, 3, p, err)))
		return -1;
	got = PQntuples(r) == 1;
	*ret_expired = got && !PQgetisnull(r, 0, 2);
	if (got) {
		run->fence = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		run->token_us = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		if (*ret_expired)
			sq_log_notice("job %s: the lease of %s expired; taking it (fence %lld)", run->def->name,
				      PQgetvalue(r, 0, 2), run->fence);
	}
	PQclear(r);
	return got;
}

/* After the run is claimed under a lease that expired in someone's hands:
 * that runner's unfinished runs can never commit now. */
static int sweep_abandoned(job_run *run, sq_err *err)
{
	char fence[24];
	const char *p[] = { run->def->name, fence };
	PGresult *r;

	snprintf(fence, sizeof fence, "%lld", run->fence);
	if (!(r = job_query(run, SQL_ABANDONED, 2, p, err)))
		return -1;
	if (atoi(PQcmdTuples(r)) > 0)
		sq_log_notice("job %s: %s unfinished runs of lost leases marked fenced", run->def->name, PQcmdTuples(r));
	PQclear(r);
	return 0;
}

/* One claim transaction: the lease, then the run's row (a slot's, or a
 * request's when is_request). */
static sched_claim claim(sq_ctx *ctx, sched *s, sched_job *j, int is_request, long long key, job_run *run,
			 sq_err *err)
{
	char fence[24], keytext[24];
	const char *slot_p[] = { j->conf.def->name, keytext, s->runner, fence };
	const char *req_p[] = { keytext, j->conf.def->name, s->runner, fence };
	PGresult *r;
	int got, expired;

	run_init(run, ctx, s, j);
	if (ensure_lease_row(run, j, err) || job_begin(run, err))
		return SCHED_ERROR;
	if ((got = acquire(run, s, &expired, err)) <= 0) {
		job_rollback(run);
		return got < 0 ? SCHED_ERROR : SCHED_BUSY;
	}
	snprintf(fence, sizeof fence, "%lld", run->fence);
	snprintf(keytext, sizeof keytext, "%lld", key);
	r = is_request ? job_query(run, SQL_CLAIM_REQUEST, 4, req_p, err)
		       : job_query(run, SQL_CLAIM_SLOT, 4, slot_p, err);
	if (!r) {
		job_rollback(run);
		return SCHED_ERROR;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		job_rollback(run); /* gives the lease back untouched */
		return SCHED_DONE;
	}
	run->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(run->scheduled_for, sizeof run->scheduled_for, "%s", PQgetvalue(r, 0, 1));
	if (strcmp(PQgetvalue(r, 0, 2), "t") == 0)
		sq_log_notice("job %s: taking over the run for %s (its runner lost the lease)", run->def->name,
			      run->scheduled_for);
	PQclear(r);
	if (expired && sweep_abandoned(run, err)) {
		job_rollback(run);
		return SCHED_ERROR;
	}
	if (sq_ctx_commit(ctx)) {
		sq_err_set(err, "%s", sq_ctx_reason(ctx));
		return SCHED_ERROR;
	}
	return SCHED_CLAIMED;
}

sched_claim sched_claim_slot(sq_ctx *ctx, sched *s, sched_job *j, long long slot, job_run *run, sq_err *err)
{
	return claim(ctx, s, j, 0, slot, run, err);
}

sched_claim sched_claim_request(sq_ctx *ctx, sched *s, sched_job *j, long long run_id, job_run *run,
				sq_err *err)
{
	return claim(ctx, s, j, 1, run_id, run, err);
}

int sched_requests(sq_ctx *ctx, const char *job, long long *ids, int max, sq_err *err)
{
	char lim[16];
	const char *p[] = { job, lim };
	PGresult *r;
	int n;

	snprintf(lim, sizeof lim, "%d", max);
	/* a transaction of its own: sq_ctx_begin reconnects a lost connection */
	if (sq_ctx_begin(ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(ctx));
	if (!(r = sq_query(ctx, SQL_REQUESTS, 2, p))) {
		sq_err_set(err, "%s", sq_ctx_reason(ctx));
		sq_ctx_rollback(ctx);
		return -1;
	}
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
	if (sq_ctx_commit(ctx))
		return sq_err_set(err, "%s", sq_ctx_reason(ctx));
	return n;
}
