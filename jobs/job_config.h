// SPDX-License-Identifier: MIT
// job_config.h -- each job's schedule and on/off switch from the config
// (scheduler.jobs.<name>.schedule / .enabled), checked with file:line.
#ifndef JOB_CONFIG_H
#define JOB_CONFIG_H

#include "jobs.h"
#include "sq_config.h"
#include "sq_cron.h"

typedef struct job_conf {
	const job_def *def;
	char schedule[128];
	sq_cron cron;
	int enabled;
} job_conf;

/* Fills out[] with every registered job (at most max) and returns how many,
 * or -1 with "file:line: problem" in err: a schedule that does not parse or
 * never fires, a setting of the wrong type, an unknown scheduler.timezone.
 * With strict, a group under scheduler.jobs that names no job, or a setting
 * a job does not have, is an error too (the daemon); tools pass 0. */
int job_config_load(const sq_config *cfg, job_conf *out, int max, int strict, sq_err *err);

#endif
