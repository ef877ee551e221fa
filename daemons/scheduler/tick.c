// SPDX-License-Identifier: MIT
// tick.c -- the cron loop, once a second: each enabled job's due slot is
// claimed and run (or found done, or left for the next tick while another
// runner holds the lease); old runs pruned; then runs requested by job.run.
#include <time.h>

#include "sched.h"
#include "sq_log.h"

#define REQUEST_POLL_S 10 /* other schedulers' requests: looked for this often */
#define QUIET_S 30        /* a repeated error line at most this often */

static void complain(sched *s, const char *job, const char *what, const sq_err *e)
{
	long long now = (long long)time(NULL);
	if (now < s->quiet_until)
		return;
	s->quiet_until = now + QUIET_S;
	sq_log_err("job %s: %s: %s (retrying each second; next report in %d s)", job, what, e->msg, QUIET_S);
}

static void run_due(sq_ctx *ctx, sched *s, sched_job *j)
{
	long long slot = sched_due(&j->conf.cron, s->cfg->sched_timezone, (long long)time(NULL), j->last_slot);
	job_run run;
	sq_err e;

	if (slot < 0)
		return;
	switch (sched_claim_slot(ctx, s, j, slot, &run, &e)) {
	case SCHED_CLAIMED:
		j->last_slot = slot;
		sched_run(s, &run);
		break;
	case SCHED_DONE:
		j->last_slot = slot; /* another scheduler ran it */
		break;
	case SCHED_BUSY:
		break; /* the job is running elsewhere: look again next tick */
	case SCHED_ERROR:
		complain(s, j->conf.def->name, "cannot claim its due run", &e);
		break;
	}
}

/* 1 when a request had to wait for the lease. */
static int run_requests(sq_ctx *ctx, sched *s, sched_job *j)
{
	long long ids[8];
	job_run run;
	sq_err e;
	int n = sched_requests(ctx, j->conf.def->name, ids, 8, &e);

	if (n < 0)
		complain(s, j->conf.def->name, "cannot read requested runs", &e);
	for (int i = 0; i < n; i++) {
		switch (sched_claim_request(ctx, s, j, ids[i], &run, &e)) {
		case SCHED_CLAIMED:
			sched_run(s, &run);
			break;
		case SCHED_DONE:
			break; /* taken by another scheduler */
		case SCHED_BUSY:
			return 1; /* the job is running: the request waits for the lease */
		case SCHED_ERROR:
			complain(s, j->conf.def->name, "cannot claim a requested run", &e);
			return 1;
		}
	}
	return 0;
}

void sched_tick(sq_ctx *ctx)
{
	sched *s = sq_ctx_state(ctx);
	long long now = (long long)time(NULL);
	int waiting = 0;

	for (int i = 0; i < s->njobs; i++)
		if (s->jobs[i].conf.enabled)
			run_due(ctx, s, &s->jobs[i]);
	sched_prune(ctx, s);
	if (!s->request_hint && now - s->requests_at < REQUEST_POLL_S)
		return;
	s->requests_at = now;
	for (int i = 0; i < s->njobs; i++)
		waiting |= run_requests(ctx, s, &s->jobs[i]); /* disabled jobs too: run now means now */
	s->request_hint = waiting;
}
