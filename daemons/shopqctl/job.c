// SPDX-License-Identifier: MIT
// job.c -- `shopqctl job list` (each job's schedule and last run) and
// `shopqctl job run NAME [--wait] [--timeout S]` (publishes job.run; with
// --wait, follows the run's record in scheduler.job_runs to its outcome).
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../jobs/job_config.h"
#include "ctl.h"
#include "sq_amqp.h"
#include "sq_runtime.h"
#include "sq_uuid.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define MS(a, b) "floor(extract(epoch FROM " a " - " b ") * 1000)::bigint"

/* The latest run of a job (the unique index on (job, scheduled_for)). */
static const char SQL_LAST_RUN[] =
	"SELECT " TS("started_at") ", CASE WHEN outcome = 'running' AND fence IS NULL THEN 'queued' ELSE outcome END,"
	" coalesce(rows_touched::text, ''), " MS("coalesce(finished_at, clock_timestamp())", "started_at") ","
	" coalesce(error, '') FROM scheduler.job_runs WHERE job = $1 ORDER BY scheduled_for DESC LIMIT 1";

/* The run a job.run message became: its handler set scheduled_for to the
 * transaction's now(), which is also the message's inbox handled_at. */
static const char SQL_REQUESTED_RUN[] =
	"SELECT r.id, CASE WHEN r.outcome = 'running' AND r.fence IS NULL THEN 'queued' ELSE r.outcome END,"
	" coalesce(r.runner, ''), coalesce(r.rows_touched, 0), " MS("coalesce(r.finished_at, clock_timestamp())", "r.started_at") ","
	" coalesce(r.error, '')"
	" FROM scheduler.inbox i JOIN scheduler.job_runs r ON r.job = $2 AND r.scheduled_for = i.handled_at"
	" WHERE i.message_id = $1";

/* Who holds the job's lease now, if anyone. */
static const char SQL_HOLDER[] =
	"SELECT l.holder, coalesce((SELECT " TS("started_at") " FROM scheduler.job_runs"
	"  WHERE job = l.job AND fence = l.fence AND outcome = 'running' LIMIT 1), '?')"
	" FROM scheduler.job_leases l WHERE l.job = $1 AND l.holder IS NOT NULL AND l.expires_at > clock_timestamp()";

static void fmt_ms(char *buf, size_t len, const char *ms_text)
{
	long long ms = strtoll(ms_text, NULL, 10);
	if (ms < 1000)
		snprintf(buf, len, "%lld ms", ms);
	else if (ms < 600000)
		snprintf(buf, len, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(buf, len, "%lld min", ms / 60000);
}

static int job_list(ctl *c)
{
	static const char *const head[] = { "JOB", "SCHEDULE", "ENABLED", "LAST RUN", "OUTCOME", "ROWS", "DURATION",
					    "NEXT RUN", "ERROR" };
	enum { NC = 9 };
	job_conf jc[JOB_MAX];
	char *cells[JOB_MAX * NC] = { 0 };
	char buf[JOB_MAX][5][64];
	sq_pg *pg;
	sq_err e;
	int n, rc = 0;

	if ((n = job_config_load(&c->cfg, jc, JOB_MAX, 0, &e)) < 0)
		return ctl_fail("job list: %s", e.msg);
	if (!(pg = ctl_pg(c)))
		return 1;
	for (int i = 0; i < n; i++) {
		const char *p[] = { jc[i].def->name };
		char **row = &cells[i * NC];
		PGresult *r = sq_pg_query(pg, SQL_LAST_RUN, 1, p, &e);
		if (!r) {
			rc = ctl_fail("job list: %s", e.msg);
			goto out;
		}
		row[0] = (char *)jc[i].def->name;
		row[1] = jc[i].schedule;
		row[2] = jc[i].enabled ? "yes" : "no";
		time_t next = (time_t)sq_cron_next(&jc[i].cron, (long long)time(NULL), c->cfg.sched_timezone);
		struct tm tm;
		snprintf(buf[i][0], sizeof buf[i][0], "-");
		if (jc[i].enabled && next > 0 && gmtime_r(&next, &tm))
			strftime(buf[i][0], sizeof buf[i][0], "%Y-%m-%dT%H:%M:%SZ", &tm);
		row[7] = buf[i][0];
		if (PQntuples(r) == 1) {
			snprintf(buf[i][1], sizeof buf[i][1], "%s", PQgetvalue(r, 0, 0));
			snprintf(buf[i][2], sizeof buf[i][2], "%s", PQgetvalue(r, 0, 1));
			snprintf(buf[i][3], sizeof buf[i][3], "%s", PQgetvalue(r, 0, 2));
			fmt_ms(buf[i][4], sizeof buf[i][4], PQgetvalue(r, 0, 3));
			row[3] = buf[i][1];
			row[4] = buf[i][2];
			row[5] = buf[i][3];
			row[6] = strcmp(buf[i][2], "queued") ? buf[i][4] : "";
			row[8] = strdup(PQgetvalue(r, 0, 4));
			if (row[8] && strlen(row[8]) > 80)
				strcpy(row[8] + 77, "...");
		} else {
			row[3] = "never";
			row[4] = row[5] = row[6] = "";
		}
		PQclear(r);
	}
	ctl_table_print(stdout, NC, head, "lllllrrll", cells, n);
out:
	for (int i = 0; i < n; i++)
		free(cells[i * NC + 8]);
	sq_pg_free(pg);
	return rc;
}

static int publish_job_run(ctl *c, const char *name, char *mid)
{
	json_t *body = json_pack("{s:s}", "job", name);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	uint32_t consumers = 0;
	sq_amqp *a;
	sq_err e;
	int rc = 1;

	json_decref(body);
	if (!text || sq_uuid_v4(mid)) {
		free(text);
		return ctl_fail("job run: cannot build the message");
	}
	if (!(a = sq_amqp_connect(c->cfg.amqp_uri, 0, 1, &e))) {
		free(text);
		return ctl_fail("job run: %s", e.msg);
	}
	if (sq_amqp_inspect(a, "shopq.scheduler", NULL, &consumers, &e)) {
		ctl_fail("job run: queue shopq.scheduler does not exist: start shopq-scheduler once to declare it");
		goto out;
	}
	if (sq_amqp_publish(a, SQ_EXCHANGE_COMMANDS, "job.run", mid, NULL, text, strlen(text), &e) ||
	    sq_amqp_wait_confirms(a, c->cfg.amqp_confirm_timeout_ms, &e)) {
		ctl_fail("job run: publish: %s", e.msg);
		goto out;
	}
	if (consumers == 0)
		fprintf(stderr, "shopqctl: job run: no scheduler is consuming shopq.scheduler now; the request waits"
				" in the queue\n");
	rc = 0;
out:
	sq_amqp_close(a);
	free(text);
	return rc;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Follows the requested run until it finishes: 0 succeeded, 1 otherwise. */
static int wait_run(ctl *c, const char *name, const char *mid, int timeout_s)
{
	const char *p[] = { mid, name };
	const char *hp[] = { name };
	time_t deadline = time(NULL) + timeout_s;
	int said_queued = 0, said_running = 0;
	sq_pg *pg = ctl_pg(c);
	sq_err e;
	int rc = -1;

	if (!pg)
		return 1;
	while (rc < 0) {
		PGresult *r = sq_pg_query(pg, SQL_REQUESTED_RUN, 2, p, &e);
		if (!r) {
			rc = ctl_fail("job run: %s", e.msg);
			break;
		}
		const char *state = PQntuples(r) ? PQgetvalue(r, 0, 1) : "";
		if ((!*state || strcmp(state, "queued") == 0) && !said_queued) {
			/* not started yet: say so once if the job is busy (never two runs at once) */
			PGresult *h = sq_pg_query(pg, SQL_HOLDER, 1, hp, &e);
			if (h && PQntuples(h))
				printf("%s: already running (runner %s, started %s); this run waits for it to finish\n",
				       name, PQgetvalue(h, 0, 0), PQgetvalue(h, 0, 1));
			said_queued = h && PQntuples(h);
			PQclear(h);
		} else if (strcmp(state, "running") == 0 && !said_running) {
			printf("%s: run %s started on %s\n", name, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2));
			said_running = 1;
		} else if (!strcmp(state, "succeeded")) {
			char d[32];
			fmt_ms(d, sizeof d, PQgetvalue(r, 0, 4));
			printf("%s: succeeded, %s rows in %s (run %s on %s)\n", name, PQgetvalue(r, 0, 3), d,
			       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2));
			rc = 0;
		} else if (!strcmp(state, "failed") || !strcmp(state, "fenced")) {
			rc = ctl_fail("job run: %s %s: %s (run %s on %s)", name, state, PQgetvalue(r, 0, 5),
				      PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2));
		}
		if (rc < 0 && !*state && time(NULL) > deadline)
			rc = ctl_fail("job run: no scheduler took the request within %d s (is shopq-scheduler running?)",
				      timeout_s);
		else if (rc < 0 && time(NULL) > deadline)
			rc = ctl_fail("job run: %s still %s after %d s (run %s); stopped waiting", name, state, timeout_s,
				      PQgetvalue(r, 0, 0));
		PQclear(r);
		fflush(stdout);
		if (rc < 0)
			nap_ms(200);
	}
	sq_pg_free(pg);
	return rc;
}

static int job_run_cmd(ctl *c, int argc, char **argv)
{
	const char *usage = "usage: shopqctl job run NAME [--wait] [--timeout SECONDS]";
	const char *name = NULL;
	int wait = 0, timeout_s = 600;
	char mid[37];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0) {
			wait = 1;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			long t = strtol(argv[++i], &end, 10);
			if (*end || t < 1 || t > 86400)
				return ctl_fail("job run: --timeout takes seconds from 1 to 86400");
			timeout_s = (int)t;
		} else if (argv[i][0] == '-' || name) {
			return ctl_fail("%s", usage);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return ctl_fail("%s", usage);
	if (!job_find(name))
		return ctl_fail("job run: no job \"%s\" (jobs: %s)", name, job_names());
	if (publish_job_run(c, name, mid))
		return 1;
	if (!wait) {
		printf("%s: requested (message_id %s)\n", name, mid);
		return 0;
	}
	return wait_run(c, name, mid, timeout_s);
}

int ctl_job(ctl *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return job_list(c);
	if (argc >= 1 && strcmp(argv[0], "run") == 0)
		return job_run_cmd(c, argc - 1, argv + 1);
	return ctl_fail("usage: shopqctl job list | job run NAME [--wait] [--timeout SECONDS]");
}
