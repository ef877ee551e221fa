// SPDX-License-Identifier: MIT
// jobs.h -- the scheduler's job registry (name, default schedule, function)
// and the jobs themselves; each job runs inside a job_run (job_run.h).
#ifndef JOBS_H
#define JOBS_H

#include "sq_err.h"

typedef struct job_run job_run;

/* Does the job's work. Called inside an open transaction on the scheduler's
 * connection; returns 0 with that transaction still open (the scheduler adds
 * the run's record, checks the fence and commits), -1 with the reason in err
 * (everything since the last checkpoint is rolled back), or JOB_FENCED when
 * the lease was lost on the way. */
typedef int (*job_fn)(job_run *run, sq_err *err);

typedef struct job_def {
	const char *name;
	const char *default_schedule;
	job_fn run;
	const char *about;
	const char *options; /* its own settings under scheduler.jobs.<name>, "a b" */
} job_def;

/* The jobs of this build, in a fixed order: job_at(0), job_at(1) ... NULL.
 * A test build (-DSQ_TEST_HOOKS) adds `sleep_test` when the environment has
 * SHOPQ_SCHEDULER_TEST_JOBS=1. */
const job_def *job_at(int i);
/* The job called name, or NULL. */
const job_def *job_find(const char *name);
/* "a, b, c": every job name, for messages. */
const char *job_names(void);

#define JOB_MAX 16

int job_refresh_top_selling(job_run *run, sq_err *err);
int job_expire_auth_sessions(job_run *run, sq_err *err);
int job_release_expired_reservations(job_run *run, sq_err *err);
int job_reconcile_payments(job_run *run, sq_err *err);
#ifdef SQ_TEST_HOOKS
int job_sleep_test(job_run *run, sq_err *err);
#endif

#endif
