// SPDX-License-Identifier: MIT
// sleep_test.c -- a job for the scheduler's integration tests only (test
// builds, SHOPQ_SCHEDULER_TEST_JOBS=1): sleeps outside any transaction, then
// writes a marker row into scheduler.sleep_test_marks and commits it through
// job_checkpoint, as a batch job commits a batch: only the fence check stands
// between a stale runner and that commit.
#ifdef SQ_TEST_HOOKS
#include <stdio.h>
#include <time.h>

#include "jobs.h"
#include "job_run.h"

static const char SQL_MARK[] = "INSERT INTO scheduler.sleep_test_marks (scheduled_for, runner, fence)"
			       " VALUES ($1, $2, $3)";

int job_sleep_test(job_run *run, sq_err *err)
{
	int ms = sq_config_int(run->cfg, "scheduler.jobs.sleep_test.sleep_ms", 1000);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	char fence[24];
	const char *p[] = { run->scheduled_for, run->runner, fence };
	PGresult *r;

	/* a slow job: no transaction is open while it "works" */
	job_rollback(run);
	while (nanosleep(&ts, &ts) != 0)
		;
	if (job_begin(run, err))
		return -1;
	snprintf(fence, sizeof fence, "%lld", run->fence);
	if (!(r = job_query(run, SQL_MARK, 3, p, err)))
		return -1;
	PQclear(r);
	run->rows = 1;
	snprintf(run->note, sizeof run->note, "slept %d ms", ms);
	return job_checkpoint(run, err);
}
#else
typedef int sleep_test_is_for_test_builds_only;
#endif
