// SPDX-License-Identifier: MIT
// status.c -- `shopqctl status [--json]`: each work queue's depth, consumers and
// dead letters (passive declares, no management plugin) and each job's last run.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sq_amqp.h"

static const char *const queues[] = { "shopq.orders", "shopq.inventory", "shopq.payments", "shopq.notify",
				      "shopq.scheduler", NULL };

int ctl_status(ctl *c, int argc, char **argv)
{
	int json = argc == 1 && strcmp(argv[0], "--json") == 0;
	json_t *out = json_object(), *jq = json_array(), *jj = json_array();
	sq_amqp *a;
	sq_pg *pg;
	sq_err e;

	if (argc > 1 || (argc == 1 && !json))
		return ctl_fail("usage: shopqctl status [--json]");
	if (!(a = sq_amqp_connect(c->cfg.amqp_uri, 0, 0, &e))) {
		json_decref(out), json_decref(jq), json_decref(jj);
		return ctl_fail("status: %s", e.msg);
	}
	if (!json)
		printf("%-18s %9s %9s %9s\n", "QUEUE", "READY", "CONSUMERS", "DEAD");
	for (int i = 0; queues[i]; i++) {
		uint32_t msgs = 0, cons = 0, dead = 0;
		char dq[64];
		int present = sq_amqp_inspect(a, queues[i], &msgs, &cons, &e) == 0;
		snprintf(dq, sizeof dq, "%s.dead", queues[i]);
		if (present)
			(void)sq_amqp_inspect(a, dq, &dead, NULL, &e);
		json_array_append_new(jq, json_pack("{s:s,s:b,s:i,s:i,s:i}", "queue", queues[i], "declared", present,
						    "ready", (int)msgs, "consumers", (int)cons, "dead", (int)dead));
		if (!json) {
			if (present)
				printf("%-18s %9u %9u %9u\n", queues[i], msgs, cons, dead);
			else
				printf("%-18s %9s %9s %9s\n", queues[i], "-", "-", "-");
		}
	}
	sq_amqp_close(a);

	if ((pg = ctl_pg(c))) {
		PGresult *r = sq_pg_query(pg,
					  "SELECT DISTINCT ON (job) job, outcome, to_char(started_at AT TIME ZONE 'UTC', "
					  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(rows_touched, 0), coalesce(error, '') "
					  "FROM scheduler.job_runs ORDER BY job, started_at DESC NULLS LAST",
					  0, NULL, &e);
		if (!json)
			printf("\n%-30s %-10s %-21s %10s  %s\n", "JOB", "OUTCOME", "LAST RUN", "ROWS", "ERROR");
		for (int i = 0; r && i < PQntuples(r); i++) {
			json_array_append_new(jj, json_pack("{s:s,s:s,s:s,s:I,s:s}", "job", PQgetvalue(r, i, 0), "outcome",
							    PQgetvalue(r, i, 1), "last_run", PQgetvalue(r, i, 2), "rows",
							    (json_int_t)atoll(PQgetvalue(r, i, 3)), "error",
							    PQgetvalue(r, i, 4)));
			if (!json)
				printf("%-30s %-10s %-21s %10s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
				       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
		}
		if (r && PQntuples(r) == 0 && !json)
			printf("(no job has run yet)\n");
		if (!r && !json)
			printf("(job history unavailable: %s)\n", e.msg);
		PQclear(r);
		sq_pg_free(pg);
	}
	json_object_set_new(out, "queues", jq);
	json_object_set_new(out, "jobs", jj);
	if (json) {
		char *s = json_dumps(out, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
	}
	json_decref(out);
	return 0;
}
