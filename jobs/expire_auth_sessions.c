// SPDX-License-Identifier: MIT
// expire_auth_sessions.c -- the expire_auth_sessions job: deletes expired
// auth.auth_session rows with their blocked_auth rows, scheduler.batch_size
// sessions per short transaction, then mirrors the live blocks into Redis
// (shopq:auth:blocked:{id}, expiring at the session's expiry_time) and removes
// mirror keys no live block backs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_run.h"
#include "redis_out.h"

#define BLOCK_PREFIX "shopq:auth:blocked:"
#define MIRROR_PAGE 500

/* One batch. Without UPDATE on auth_session the role cannot SELECT ... FOR
 * UPDATE SKIP LOCKED; the lease already keeps runs of this job apart, and a
 * row another transaction deletes first is simply skipped. */
static const char SQL_DELETE_BATCH[] =
	"WITH s AS (SELECT id FROM auth.auth_session WHERE expiry_time <= now() LIMIT $1),"
	" b AS (DELETE FROM auth.blocked_auth WHERE auth_session_id IN (SELECT id FROM s) RETURNING 1),"
	" d AS (DELETE FROM auth.auth_session WHERE id IN (SELECT id FROM s) RETURNING 1)"
	" SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM b)";

/* Live blocks, keyset-paged by session id; expiry in unix ms, rounded down so
 * the key never outlives the session. */
static const char SQL_LIVE_BLOCKS[] =
	"SELECT DISTINCT ON (b.auth_session_id) b.auth_session_id,"
	" floor(extract(epoch FROM s.expiry_time) * 1000)::bigint"
	" FROM auth.blocked_auth b JOIN auth.auth_session s ON s.id = b.auth_session_id"
	" WHERE s.expiry_time > now() AND b.auth_session_id > $1"
	" ORDER BY b.auth_session_id LIMIT $2";

typedef struct id_set {
	long long *ids; /* ascending */
	size_t n, cap;
} id_set;

static int id_set_add(id_set *s, long long id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		long long *p = realloc(s->ids, cap * sizeof *p);
		if (!p)
			return -1;
		s->ids = p;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int delete_expired(job_run *run, long long *ret_sessions, long long *ret_blocks, sq_err *err)
{
	char lim[16];
	const char *p[] = { lim };
	long long ds;

	snprintf(lim, sizeof lim, "%d", run->cfg->sched_batch_size);
	do {
		PGresult *r = job_query(run, SQL_DELETE_BATCH, 1, p, err);
		int rc;
		if (!r)
			return -1;
		ds = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*ret_sessions += ds;
		*ret_blocks += strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		PQclear(r);
		if (ds == 0)
			break;
		run->rows = *ret_sessions + *ret_blocks;
		if ((rc = job_checkpoint(run, err)))
			return rc; /* this batch rolled back; the ones before stay */
	} while (ds == run->cfg->sched_batch_size);
	return 0;
}

/* Writes one page of live blocks into Redis and remembers their ids. */
static int mirror_live(job_run *run, job_redis *redis, id_set *live, sq_err *err)
{
	char after[24] = "0", lim[16], keys[MIRROR_PAGE][48];
	const char *p[] = { after, lim };
	job_redis_op ops[MIRROR_PAGE];
	int n;

	snprintf(lim, sizeof lim, "%d", MIRROR_PAGE);
	do {
		PGresult *r = job_query(run, SQL_LIVE_BLOCKS, 2, p, err);
		if (!r)
			return -1;
		n = PQntuples(r);
		for (int i = 0; i < n; i++) {
			long long id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			snprintf(keys[i], sizeof keys[i], BLOCK_PREFIX "%lld", id);
			ops[i] = (job_redis_op){ keys[i], "1", strtoll(PQgetvalue(r, i, 1), NULL, 10), 0 };
			if (id_set_add(live, id)) {
				PQclear(r);
				return sq_err_set(err, "out of memory");
			}
		}
		if (n)
			snprintf(after, sizeof after, "%s", PQgetvalue(r, n - 1, 0));
		PQclear(r);
		if (n) {
			int rc = job_redis_apply(redis, run, ops, n, err);
			if (rc)
				return rc;
		}
	} while (n == MIRROR_PAGE);
	return 0;
}

typedef struct stale_scan {
	const id_set *live;
	char keys[MIRROR_PAGE][64];
	int n;
	long long removed;
	job_redis *redis;
	job_run *run;
	int rc;
	sq_err *err;
} stale_scan;

static int flush_stale(stale_scan *st)
{
	job_redis_op ops[MIRROR_PAGE];
	for (int i = 0; i < st->n; i++)
		ops[i] = (job_redis_op){ st->keys[i], NULL, 0, 1 };
	if (st->n && (st->rc = job_redis_apply(st->redis, st->run, ops, st->n, st->err)))
		return -1;
	st->removed += st->n;
	st->n = 0;
	return 0;
}

static int on_key(void *arg, const char *key)
{
	stale_scan *st = arg;
	char *end;
	long long id = strtoll(key + strlen(BLOCK_PREFIX), &end, 10);

	if (*end || end == key + strlen(BLOCK_PREFIX) || strlen(key) >= sizeof st->keys[0])
		return 0; /* not one of ours */
	if (bsearch(&id, st->live->ids, st->live->n, sizeof id, id_cmp))
		return 0;
	snprintf(st->keys[st->n++], sizeof st->keys[0], "%s", key);
	return st->n == MIRROR_PAGE ? flush_stale(st) : 0;
}

int job_expire_auth_sessions(job_run *run, sq_err *err)
{
	long long sessions = 0, blocks = 0;
	id_set live = { 0 };
	job_redis *redis = NULL;
	stale_scan *st = NULL;
	int rc;

	if ((rc = delete_expired(run, &sessions, &blocks, err)))
		return rc;
	run->rows = sessions + blocks;
	rc = -1;
	if (!(redis = job_redis_open(run->cfg, err)))
		goto out;
	if ((rc = mirror_live(run, redis, &live, err)))
		goto out;
	if (!(st = calloc(1, sizeof *st))) {
		rc = sq_err_set(err, "out of memory");
		goto out;
	}
	*st = (stale_scan){ .live = &live, .redis = redis, .run = run, .err = err };
	if (job_redis_scan(redis, BLOCK_PREFIX "*", on_key, st, err) || st->rc || flush_stale(st)) {
		rc = st->rc ? st->rc : -1;
		goto out;
	}
	snprintf(run->note, sizeof run->note,
		 "deleted %lld expired sessions and %lld blocks in %lld batches of <= %d sessions;"
		 " %zu live blocks mirrored, %lld stale keys removed",
		 sessions, blocks, run->batches, run->cfg->sched_batch_size, live.n, st->removed);
	rc = 0;
out:
	free(st);
	free(live.ids);
	job_redis_close(redis);
	return rc;
}
