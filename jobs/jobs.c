// SPDX-License-Identifier: MIT
// jobs.c -- the registry: which jobs exist, their default cron schedules and
// the function that does each one.
#include "jobs.h"

#include <stdlib.h>
#include <string.h>

static const job_def jobs[] = {
	{ "refresh_top_selling", "*/5 * * * *", job_refresh_top_selling,
	  "refreshes reports.top_selling_products, then shopq:reports:top_selling", "" },
	{ "expire_auth_sessions", "* * * * *", job_expire_auth_sessions,
	  "deletes expired sessions and their blocks in batches; mirrors live blocks into Redis", "" },
	{ "release_expired_reservations", "* * * * *", job_release_expired_reservations,
	  "sends order.expire for orders awaiting_payment whose reservation expired (orders.reservation_timeout)", "" },
	{ "reconcile_payments", "*/5 * * * *", job_reconcile_payments,
	  "sends payment.reconcile so payments left processing are settled", "" },
};
#define NJOBS ((int)(sizeof jobs / sizeof jobs[0]))

#ifdef SQ_TEST_HOOKS
static const job_def test_jobs[] = {
	{ "sleep_test", "@every 3600s", job_sleep_test,
	  "test only: sleeps, then writes a marker row under the lease's fence", "sleep_ms" },
};
#define NTEST ((int)(sizeof test_jobs / sizeof test_jobs[0]))

static int test_jobs_on(void)
{
	const char *v = getenv("SHOPQ_SCHEDULER_TEST_JOBS");
	return v && strcmp(v, "1") == 0;
}
#endif

const job_def *job_at(int i)
{
	if (i < 0)
		return NULL;
	if (i < NJOBS)
		return &jobs[i];
#ifdef SQ_TEST_HOOKS
	if (test_jobs_on() && i - NJOBS < NTEST)
		return &test_jobs[i - NJOBS];
#endif
	return NULL;
}

const job_def *job_find(const char *name)
{
	const job_def *d;
	if (!name)
		return NULL;
	for (int i = 0; (d = job_at(i)); i++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

const char *job_names(void)
{
	static char buf[512];
	const job_def *d;
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; (d = job_at(i)) && n + strlen(d->name) + 3 < sizeof buf; i++) {
		memcpy(buf + n, i ? ", " : "", i ? 2 : 0);
		n += i ? 2 : 0;
		memcpy(buf + n, d->name, strlen(d->name) + 1);
		n += strlen(d->name);
	}
	return buf;
}
