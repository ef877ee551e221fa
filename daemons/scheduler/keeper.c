// SPDX-License-Identifier: MIT
// keeper.c -- the lease keeper: a thread with its own PostgreSQL connection
// that renews the running job's lease every third of its length (and pings
// the systemd watchdog), so a run may outlast the lease while its scheduler
// lives; a frozen or dead scheduler stops renewing and the lease expires.
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"
#include "sq_log.h"
#include "sq_pg.h"
#include "sq_sd.h"

static const char SQL_RENEW[] =
	"UPDATE scheduler.job_leases SET expires_at = clock_timestamp() + make_interval(secs => $4::int)"
	" WHERE job = $1 AND holder = $2 AND fence = $3::bigint";

struct sched_keeper {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *conninfo;
	int lease_s;
	int stop;
	/* the watched lease, under mu */
	unsigned gen; /* bumped by watch/unwatch: a renewal of an older watch is ignored */
	int watching, lost;
	char job[64], holder[128];
	long long fence;
	PGconn *pg; /* the thread's own */
};

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void connect_pg(sched_keeper *k)
{
	PQfinish(k->pg);
	k->pg = sq_pg_connectdb(k->conninfo);
	if (PQstatus(k->pg) == CONNECTION_OK)
		/* never wait long on the lease row (held briefly by a final transaction) */
		PQclear(PQexec(k->pg, "SET statement_timeout = 5000"));
}

static const char *one_line(const char *msg)
{
	static __thread char buf[300];
	size_t n;
	snprintf(buf, sizeof buf, "%s", msg ? msg : "");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

/* 1 renewed, 0 the lease is no longer ours, -1 database trouble. */
static int renew(sched_keeper *k, const char *job, const char *holder, long long fence)
{
	char f[24], lease[16];
	const char *p[] = { job, holder, f, lease };
	PGresult *r;
	int rc;

	if (!k->pg || PQstatus(k->pg) != CONNECTION_OK) {
		connect_pg(k);
		if (PQstatus(k->pg) != CONNECTION_OK) {
			sq_log_warn("lease keeper: cannot connect: %s", one_line(PQerrorMessage(k->pg)));
			return -1;
		}
	}
	snprintf(f, sizeof f, "%lld", fence);
	snprintf(lease, sizeof lease, "%d", k->lease_s);
	r = PQexecParams(k->pg, SQL_RENEW, 4, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		sq_log_warn("lease keeper: renewing %s: %s", job, one_line(PQresultErrorMessage(r)));
		rc = -1;
	} else {
		rc = atoi(PQcmdTuples(r)) == 1;
	}
	PQclear(r);
	return rc;
}

static void *keeper_main(void *arg)
{
	sched_keeper *k = arg;
	long renew_ms = k->lease_s * 1000L / 3;
	long step_ms = renew_ms < 1000 ? renew_ms : 1000;
	struct timespec next;

	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		if (!k->watching) {
			pthread_cond_wait(&k->cv, &k->mu);
			continue;
		}
		unsigned gen = k->gen;
		/* up to the next renewal in steps of a second, pinging the systemd
		 * watchdog meanwhile (under mu: never once unwatched): a long run is
		 * not a hung daemon, and the loop cannot ping while the job runs */
		for (long waited = 0; !k->stop && k->gen == gen && waited < renew_ms; waited += step_ms) {
			deadline_in(&next, step_ms);
			while (!k->stop && k->gen == gen &&
			       pthread_cond_timedwait(&k->cv, &k->mu, &next) != ETIMEDOUT)
				;
			if (!k->stop && k->gen == gen && !k->lost)
				sq_sd_watchdog();
		}
		if (k->stop || k->gen != gen || !k->watching)
			continue;
		char job[64], holder[128];
		long long fence = k->fence;
		memcpy(job, k->job, sizeof job);
		memcpy(holder, k->holder, sizeof holder);
		pthread_mutex_unlock(&k->mu);
		int rc = renew(k, job, holder, fence);
		pthread_mutex_lock(&k->mu);
		if (rc == 0 && k->gen == gen && k->watching) {
			k->lost = 1;
			sq_log_warn("lease keeper: the lease of %s (fence %lld) was taken: this run can no longer commit",
				    job, fence);
		}
	}
	pthread_mutex_unlock(&k->mu);
	PQfinish(k->pg);
	return NULL;
}

sched_keeper *sched_keeper_start(const char *conninfo, int lease_s, sq_err *err)
{
	sched_keeper *k = calloc(1, sizeof *k);
	pthread_condattr_t ca;

	if (!k || !(k->conninfo = strdup(conninfo))) {
		free(k);
		sq_err_set(err, "out of memory");
		return NULL;
	}
	k->lease_s = lease_s;
	connect_pg(k); /* here, before any other thread runs: libpq reads the environment */
	pthread_mutex_init(&k->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&k->th, NULL, keeper_main, k) != 0) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		PQfinish(k->pg);
		free(k->conninfo);
		free(k);
		sq_err_set(err, "cannot start the lease keeper thread");
		return NULL;
	}
	return k;
}

void sched_keeper_stop(sched_keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->th, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k->conninfo);
	free(k);
}

void sched_keeper_watch(sched_keeper *k, const char *job, const char *holder, long long fence)
{
	pthread_mutex_lock(&k->mu);
	k->gen++;
	k->watching = 1;
	k->lost = 0;
	snprintf(k->job, sizeof k->job, "%s", job);
	snprintf(k->holder, sizeof k->holder, "%s", holder);
	k->fence = fence;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

void sched_keeper_unwatch(sched_keeper *k)
{
	pthread_mutex_lock(&k->mu);
	k->gen++;
	k->watching = 0;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

int sched_keeper_lost(void *arg)
{
	sched_keeper *k = arg;
	int lost;

	if (!k)
		return 0;
	pthread_mutex_lock(&k->mu);
	lost = k->watching && k->lost;
	pthread_mutex_unlock(&k->mu);
	return lost;
}
