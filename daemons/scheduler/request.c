// SPDX-License-Identifier: MIT
// request.c -- the job.run command: records a requested run of a known job
// (a job_runs row without a fence, scheduled_for = the message's transaction
// time); a scheduler's tick then runs it under the job's lease.
#include "sched.h"

/* scheduled_for = now(): the same instant as this message's inbox row
 * (handled_at), which is how `shopqctl job run --wait` finds the run. Two
 * requests in one transaction are one run. */
static const char SQL_REQUEST[] =
	"INSERT INTO scheduler.job_runs (job, scheduled_for, started_at, requested) VALUES ($1, now(), now(), true)"
	" ON CONFLICT (job, scheduled_for) DO NOTHING";

const sq_field sched_job_run_fields[] = {
	{ "job", SQ_F_STRING, 1, 1, 100 },
	{ NULL, 0, 0, 0, 0 },
};

sq_outcome sched_handle_job_run(sq_ctx *ctx, const sq_msg *msg)
{
	const char *name = json_string_value(json_object_get(msg->body, "job"));
	sched *s = sq_ctx_state(ctx);
	PGresult *r;

	if (!job_find(name))
		return sq_reject(ctx, "field job: no job \"%.100s\" (jobs: %s)", name, job_names());
	const char *p[] = { name };
	if (!(r = sq_query(ctx, SQL_REQUEST, 1, p)))
		return sq_ctx_fail(ctx);
	PQclear(r);
	s->request_hint = 1;
	return SQ_OK;
}
