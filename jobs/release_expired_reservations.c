// SPDX-License-Identifier: MIT
// release_expired_reservations.c -- the release_expired_reservations job:
// finds orders left awaiting_payment longer than orders.reservation_timeout
// and sends each an `order.expire` command (the orders daemon cancels it and
// returns the stock); the scheduler itself never writes sales or catalog.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "job_run.h"

/* orders_status_updated_at_idx (order_status, updated_at); keyset-paged by
 * (updated_at, id). An order's updated_at is when it last changed, i.e. when
 * it entered awaiting_payment (or its payment status last moved). */
static const char SQL_OVERDUE[] =
	"SELECT id, updated_at FROM sales.orders"
	" WHERE order_status = 'awaiting_payment'"
	" AND updated_at < now() - make_interval(secs => $1::int)"
	" AND updated_at >= $2::timestamptz AND (updated_at > $2::timestamptz OR id > $3::bigint)"
	" ORDER BY updated_at, id LIMIT $4";

int job_release_expired_reservations(job_run *run, sq_err *err)
{
	char timeout[16], after_at[64] = "-infinity", after_id[24] = "0", lim[16];
	const char *p[] = { timeout, after_at, after_id, lim };
	int n, rc;

	snprintf(timeout, sizeof timeout, "%d", run->cfg->reservation_timeout_s);
	snprintf(lim, sizeof lim, "%d", run->cfg->sched_batch_size);
	do {
		PGresult *r = job_query(run, SQL_OVERDUE, 4, p, err);
		if (!r)
			return -1;
		n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			json_int_t id = (json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10);
			if (job_emit_command(run, "order.expire", json_pack("{s:I}", "order_id", id), err)) {
				PQclear(r);
				return -1;
			}
		}
		if (n) {
			snprintf(after_id, sizeof after_id, "%s", PQgetvalue(r, n - 1, 0));
			snprintf(after_at, sizeof after_at, "%s", PQgetvalue(r, n - 1, 1));
		}
		PQclear(r);
		run->rows += n;
		if (n == run->cfg->sched_batch_size && (rc = job_checkpoint(run, err)))
			return rc;
	} while (n == run->cfg->sched_batch_size);
	snprintf(run->note, sizeof run->note, "order.expire sent for %lld orders awaiting payment over %d s",
		 run->rows, run->cfg->reservation_timeout_s);
	return 0;
}
