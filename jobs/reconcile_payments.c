// SPDX-License-Identifier: MIT
// reconcile_payments.c -- the reconcile_payments job: one `payment.reconcile`
// command; the payments daemon asks the provider about payments left
// processing and settles them.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "job_run.h"

/* payment_status_updated_at_idx; only for the log line */
static const char SQL_PROCESSING[] = "SELECT count(*) FROM payments.payment WHERE status = 'processing'";

int job_reconcile_payments(job_run *run, sq_err *err)
{
	PGresult *r = job_query(run, SQL_PROCESSING, 0, NULL, err);
	long long processing;

	if (!r)
		return -1;
	processing = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (job_emit_command(run, "payment.reconcile", json_object(), err))
		return -1;
	run->rows = 1;
	snprintf(run->note, sizeof run->note, "payment.reconcile sent (%lld payments processing)", processing);
	return 0;
}
