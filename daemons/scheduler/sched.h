// SPDX-License-Identifier: MIT
// sched.h -- the scheduler daemon's parts: due-time logic, claims on
// scheduler.job_runs under a fenced lease in scheduler.job_leases, the lease
// keeper thread, running and recording a job, and the job.run command.
#ifndef SCHED_H
#define SCHED_H

#include "../../jobs/job_config.h"
#include "../../jobs/job_run.h"
#include "sq_runtime.h"

typedef struct sched_keeper sched_keeper;

typedef struct sched_job {
	job_conf conf;
	long long last_slot; /* latest slot claimed or found done; -1: none yet (catch up) */
	int lease_row;       /* the job's row in job_leases is known to exist */
} sched_job;

typedef struct sched {
	const sq_config *cfg;
	sched_job jobs[JOB_MAX];
	int njobs;
	char runner[128]; /* "host:pid": holder of leases, runner of runs */
	sched_keeper *keeper;
	long long quiet_until; /* rate limit of repeated error lines */
	int request_hint;      /* a job.run was just recorded: look for requests now */
	long long requests_at; /* last look for requests (unix s) */
	long long prune_at;    /* next pruning of old runs (unix s); 0: at the first tick */
} sched;

/* ---- due.c (pure) */
/* The slot (unix s) to run now: the latest fire time <= now if it is later
 * than last_slot, else -1. A scheduler that was down thus catches up the
 * latest missed run only, never each one it missed. */
long long sched_due(const sq_cron *c, const char *tz, long long now, long long last_slot);

/* ---- claim.c */
typedef enum { SCHED_CLAIMED, SCHED_BUSY, SCHED_DONE, SCHED_ERROR } sched_claim;
/* Takes the job's lease (fence + 1) and the run for slot (inserting its
 * job_runs row, or taking over one whose runner lost its lease). BUSY: the
 * lease is held (retry later); DONE: the slot already ran. Fills run. */
sched_claim sched_claim_slot(sq_ctx *ctx, sched *s, sched_job *j, long long slot, job_run *run, sq_err *err);
/* Same for a run requested by job.run (a job_runs row without a fence). */
sched_claim sched_claim_request(sq_ctx *ctx, sched *s, sched_job *j, long long run_id, job_run *run,
				sq_err *err);
/* Ids of requested runs of the job not yet started (oldest first, from the
 * last day); returns how many (<= max) or -1. */
int sched_requests(sq_ctx *ctx, const char *job, long long *ids, int max, sq_err *err);

/* ---- run.c */
/* Runs a claimed job under its lease and records the outcome with the
 * job.completed / job.failed event (all fenced), then gives the lease back. */
void sched_run(sched *s, job_run *run);

/* ---- keeper.c: renews the lease of the running job from its own connection */
sched_keeper *sched_keeper_start(const char *conninfo, int lease_s, sq_err *err);
void sched_keeper_stop(sched_keeper *k); /* accepts NULL */
void sched_keeper_watch(sched_keeper *k, const char *job, const char *holder, long long fence);
void sched_keeper_unwatch(sched_keeper *k);
int sched_keeper_lost(void *k); /* a renewal found the watched lease taken */

/* ---- request.c: the job.run command */
extern const sq_field sched_job_run_fields[];
sq_outcome sched_handle_job_run(sq_ctx *ctx, const sq_msg *msg);

/* ---- prune.c: hourly (and at the first tick), forgets old finished runs but
 * never a job's latest cron slot nor its newest run */
void sched_prune(sq_ctx *ctx, sched *s);

/* ---- tick.c: once a second */
void sched_tick(sq_ctx *ctx);

/* the routing keys the daemon consumes, with their schemas and handlers (routes.c) */
extern const sq_route sched_routes[];

#endif
