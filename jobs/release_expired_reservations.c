// SPDX-License-Identifier: MIT
// release_expired_reservations.c -- the release_expired_reservations job:
// finds orders still awaiting_payment whose reservation has expired (taken
// orders.reservation_timeout before) and sends each an `order.expire` command
// (the orders daemon cancels it and returns the stock); the scheduler itself
// never writes sales or catalog.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "job_run.h"

/* catalog.reservations_status_expires_at_idx, keyset-paged by (expires_at,
 * order_id); each order by its primary key. No index on sales.orders covers
 * its status or updated_at: the saga's updates of an order stay HOT. */
static const char SQL_OVERDUE[] =
	"SELECT r.order_id, r.expires_at FROM catalog.reservations r"
	" JOIN sales.orders o ON o.id = r.order_id AND o.order_status = 'awaiting_payment'"
	" WHERE r.status = 'reserved' AND r.expires_at < now()"
	" AND r.expires_at >= $1::timestamptz AND (r.expires_at > $1::timestamptz OR r.order_id > $2::bigint)"
	" ORDER BY r.expires_at, r.order_id LIMIT $3";

int job_release_expired_reservations(job_run *run, sq_err *err)
{
	char after_at[64] = "-infinity", after_id[24] = "0", lim[16];
	const char *p[] = { after_at, after_id, lim };
	int n, rc;

	snprintf(lim, sizeof lim, "%d", run->cfg->sched_batch_size);
	do {
		PGresult *r = job_query(run, SQL_OVERDUE, 3, p, err);
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
	snprintf(run->note, sizeof run->note, "order.expire sent for %lld orders awaiting payment past their reservation",
		 run->rows);
	return 0;
}
