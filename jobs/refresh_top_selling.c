// SPDX-License-Identifier: MIT
// refresh_top_selling.c -- the refresh_top_selling job: REFRESH MATERIALIZED
// VIEW CONCURRENTLY reports.top_selling_products (readers are not blocked),
// then rewrite shopq:reports:top_selling with the top 10 as JSON.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "job_run.h"
#include "redis_out.h"

#define TOP_KEY "shopq:reports:top_selling"
#define TOP_N "10"

static const char SQL_REFRESH[] = "REFRESH MATERIALIZED VIEW CONCURRENTLY reports.top_selling_products";
static const char SQL_COUNT[] = "SELECT count(*) FROM reports.top_selling_products";
/* top_selling_products_total_idx: (total_quantity_sold DESC, product_id) */
static const char SQL_TOP[] = "SELECT product_id, name, total_quantity_sold FROM reports.top_selling_products"
			      " ORDER BY total_quantity_sold DESC, product_id LIMIT $1";

static json_t *top_json(job_run *run, sq_err *err)
{
	const char *p[] = { TOP_N };
	PGresult *r = job_query(run, SQL_TOP, 1, p, err);
	json_t *a;

	if (!r)
		return NULL;
	a = json_array();
	for (int i = 0; a && i < PQntuples(r); i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:I}", "product_id",
						   (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10), "name",
						   PQgetvalue(r, i, 1), "total_quantity_sold",
						   (json_int_t)strtoll(PQgetvalue(r, i, 2), NULL, 10)));
	PQclear(r);
	if (!a)
		sq_err_set(err, "out of memory");
	return a;
}

int job_refresh_top_selling(job_run *run, sq_err *err)
{
	PGresult *r;
	json_t *top = NULL;
	char *text = NULL;
	job_redis *redis = NULL;
	int rc = -1;

	/* inside the run's transaction: a fenced-out run's refresh never commits */
	if (!(r = job_query(run, SQL_REFRESH, 0, NULL, err)))
		return -1;
	PQclear(r);
	if (!(r = job_query(run, SQL_COUNT, 0, NULL, err)))
		return -1;
	run->rows = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (!(top = top_json(run, err)))
		return -1;
	if (!(text = json_dumps(top, JSON_COMPACT))) {
		sq_err_set(err, "out of memory");
		goto out;
	}
	/* hold the lease row while Redis is written, so no newer run interleaves */
	if ((rc = job_fence_lock(run, err)))
		goto out;
	if (!(redis = job_redis_open(run->cfg, err))) {
		rc = -1;
		goto out;
	}
	job_redis_op op = { TOP_KEY, text, 0, 0 };
	rc = job_redis_apply(redis, run, &op, 1, err);
	if (!rc)
		snprintf(run->note, sizeof run->note, "%lld products in the view, top %zu written to " TOP_KEY,
			 run->rows, json_array_size(top));
out:
	job_redis_close(redis);
	free(text);
	json_decref(top);
	return rc;
}
