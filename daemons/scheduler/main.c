// SPDX-License-Identifier: MIT
// main.c -- shopq-scheduler: consumes job.run on shopq.scheduler and, once a
// second, runs each due job exactly once across all schedulers (sched.h).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched.h"
#include "sq_log.h"

static int sched_check(const sq_config *cfg, sq_err *err)
{
	job_conf jc[JOB_MAX];
	return job_config_load(cfg, jc, JOB_MAX, 1, err) < 0 ? -1 : 0;
}

static void log_plan(const sched *s)
{
	long long now = (long long)time(NULL);
	for (int i = 0; i < s->njobs; i++) {
		const job_conf *c = &s->jobs[i].conf;
		char at[32] = "-";
		time_t next = (time_t)sq_cron_next(&c->cron, now, s->cfg->sched_timezone);
		struct tm tm;
		if (c->enabled && next > 0 && gmtime_r(&next, &tm))
			strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
		sq_log_notice("job %s: schedule \"%s\" (%s), %s%s", c->def->name, c->schedule, s->cfg->sched_timezone,
			      c->enabled ? "next run " : "disabled", c->enabled ? at : "");
	}
}

static int sched_start(void **ret_state, const sq_config *cfg, sq_err *err)
{
	sched *s = calloc(1, sizeof *s);
	job_conf jc[JOB_MAX];
	char host[64] = "localhost";
	int n;

	*ret_state = NULL;
	if (!s)
		return sq_err_set(err, "out of memory");
	s->cfg = cfg;
	if ((n = job_config_load(cfg, jc, JOB_MAX, 1, err)) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		s->jobs[i].conf = jc[i];
		s->jobs[i].last_slot = -1; /* first tick: catch up the latest slot if it never ran */
	}
	s->njobs = n;
	(void)gethostname(host, sizeof host - 1);
	snprintf(s->runner, sizeof s->runner, "%s:%ld", host, (long)getpid());
	if (!(s->keeper = sched_keeper_start(sq_config_conninfo(cfg, "scheduler"), cfg->sched_lease_s, err)))
		goto fail;
	s->request_hint = 1;
	sq_log_notice("scheduler %s: lease %d s, batch size %d", s->runner, cfg->sched_lease_s, cfg->sched_batch_size);
	log_plan(s);
	*ret_state = s;
	return 0;
fail:
	free(s);
	return -1;
}

static void sched_stop(void *state)
{
	sched *s = state;
	if (!s)
		return;
	sched_keeper_stop(s->keeper);
	free(s);
}

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "scheduler",
		.queue = "shopq.scheduler",
		.db_section = "scheduler",
		.db_schema = "scheduler",
		.routes = sched_routes,
		.sql_first = 1,
		.check = sched_check,
		.start = sched_start,
		.stop = sched_stop,
		.tick = sched_tick,
	};
	return sq_daemon_main(argc, argv, &d);
}
