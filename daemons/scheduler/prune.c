// SPDX-License-Identifier: MIT
// prune.c -- forgets old job runs: finished runs (and requests never started)
// older than scheduler.runs_keep_days, a bounded batch at a time, hourly.
// Each job's latest cron slot is kept whatever its age: it is how a restarted
// scheduler knows that slot already ran (claim.c). Its newest run is kept too,
// for `shopqctl status` and `shopqctl job`.
#include <stdio.h>
#include <time.h>

#include "sched.h"
#include "sq_log.h"

#define PRUNE_EVERY_S 3600
#define PRUNE_BATCH 5000

/* SKIP LOCKED: schedulers pruning at once share the work and never wait. */
static const char SQL_PRUNE[] =
	"WITH gone AS (DELETE FROM scheduler.job_runs WHERE id IN ("
	"  SELECT r.id FROM scheduler.job_runs r"
	"  WHERE r.started_at < now() - make_interval(days => $1::int)"
	"   AND (r.outcome <> 'running' OR (r.requested AND r.fence IS NULL))"
	"   AND r.scheduled_for < (SELECT max(n.scheduled_for) FROM scheduler.job_runs n WHERE n.job = r.job)"
	"   AND (r.requested OR r.scheduled_for < (SELECT max(c.scheduled_for) FROM scheduler.job_runs c"
	"                                          WHERE c.job = r.job AND NOT c.requested))"
	"  ORDER BY r.id LIMIT $2::int FOR UPDATE OF r SKIP LOCKED) RETURNING 1)"
	" SELECT count(*) FROM gone";

void sched_prune(sq_ctx *ctx, sched *s)
{
	long long now = (long long)time(NULL), pruned = 0;
	char days[16];
	char batch[16];
	const char *p[] = { days, batch };
	int found = 0;

	if (now < s->prune_at)
		return;
	snprintf(days, sizeof days, "%d", s->cfg->sched_runs_keep_days);
	snprintf(batch, sizeof batch, "%d", PRUNE_BATCH);
	if (sq_query_ll(ctx, SQL_PRUNE, 2, p, &pruned, &found)) {
		sq_log_warn("job runs: pruning runs older than %s days: %s (trying again in an hour)", days,
			    sq_ctx_reason(ctx));
		s->prune_at = now + PRUNE_EVERY_S;
		return;
	}
	if (pruned > 0)
		sq_log_info("job runs: forgot %lld runs older than %s days", pruned, days);
	s->prune_at = now + (pruned >= PRUNE_BATCH ? 1 : PRUNE_EVERY_S); /* more left: the next batch soon */
}
