// SPDX-License-Identifier: MIT
// sq_tx.c -- a batch in one PostgreSQL transaction: the opening (BEGIN, the
// deletion of sent outbox rows, the inbox rows) riding with the first
// handler's statement, a savepoint per message, the outbox rows and COMMIT in
// one round trip; poison counting; forgetting old inbox rows.
#include "sq_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sq_log.h"
#include "sq_metrics.h"

/* The transaction failed: every message it held is retried, with why. */
static void fail_tx(item *items, int n, const char *why)
{
	for (int i = 0; i < n; i++) {
		if (items[i].decided)
			continue;
		if (items[i].outcome == SQ_OK || items[i].outcome == SQ_RETRY) {
			items[i].outcome = SQ_RETRY;
			snprintf(items[i].reason, sizeof items[i].reason, "%s", why);
		}
	}
}

static const char SQL_SAVEPOINT[] = "SAVEPOINT m";
static const char SQL_RELEASE[] = "RELEASE SAVEPOINT m";

/* The statements that open the transaction ride along with the first message's:
 * the deletion of rows already published and confirmed. */
static int add_sent_delete(rt *r, sq_pg_step *st, int k, const char **param)
{
	if (!r->sent_ids.len || !(*param = sq_rt_ids_array(&r->sent_param, &r->sent_ids)))
		return k; /* out of memory: the sweep publishes them again, deduplicated */
	st[k++] = (sq_pg_step){ .sql = r->sql_outbox_del, .nparams = 1, .params = param };
	return k;
}

/* Builds the four array parameters of the multi-row outbox insert. */
static int out_arrays(rt *r, sq_buf a[4])
{
	for (int i = r->ncommitted; i < r->nout; i++) {
		sq_buf_array_add(&a[0], r->out[i].exchange);
		sq_buf_array_add(&a[1], r->out[i].routing_key);
		sq_buf_array_add(&a[2], r->out[i].message_id);
		sq_buf_array_add(&a[3], r->out[i].body);
	}
	for (int k = 0; k < 4; k++) {
		sq_buf_array_close(&a[k]);
		if (a[k].oom)
			return -1;
	}
	return 0;
}

/* Orders items by message id, copies of an id by their place in the batch. */
static int by_message_id(const void *a, const void *b, void *arg)
{
	const item *items = arg;
	int x = *(const int *)a, y = *(const int *)b, c = strcmp(items[x].message_id, items[y].message_id);
	return c ? c : (x > y) - (x < y);
}

/* The inbox rows just inserted (res) are the fresh messages: of the batch's
 * copies of an id, the first one. Sorted and searched, not compared pairwise:
 * a batch may hold a thousand messages. order: n ints of scratch. */
void sq_rt_mark_fresh(item *items, int n, PGresult *res, int *order)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (!items[i].decided) {
			items[i].fresh = 0;
			order[m++] = i;
		}
	qsort_r(order, (size_t)m, sizeof *order, by_message_id, items);
	for (int t = 0; t < PQntuples(res); t++) {
		const char *id = PQgetvalue(res, t, 0);
		int lo = 0, hi = m; /* the first of order[] whose id is not below id */
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;
			if (strcmp(items[order[mid]].message_id, id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < m && strcmp(items[order[lo]].message_id, id) == 0)
			items[order[lo]].fresh = 1;
	}
}

/* Sends the pending steps (the batch's opening, the message's savepoint) with
 * the statement then (its result kept there) or alone, before a statement
 * that bypasses sq_query. The inbox's answer, when it came with them, marks
 * the fresh messages. */
int sq_rt_send_pending(rt *r, sq_pg_step *then, sq_err *e)
{
	sq_pg_step st[8];
	int k = r->npending, rc;

	if (!k)
		return 0;
	memcpy(st, r->pending, (size_t)k * sizeof st[0]);
	if (then)
		st[k++] = *then;
	r->npending = 0;
	if (r->pending_sp)
		r->savepoint_open = 1;
	r->pending_sp = 0;
	rc = sq_pg_pipeline(r->pg, st, k, e);
	if (r->open_at >= 0) {
		PGresult *res = st[r->open_at].result;
		r->open_at = -1;
		if (res) {
			sq_rt_mark_fresh(r->items, r->nitems, res, r->by_id);
			PQclear(res);
		} else {
			r->open_failed = 1;
			r->open_err = *e;
		}
	}
	if (then)
		then->result = st[k - 1].result;
	return rc;
}

/* Commits the batch: removes the inbox rows of messages that failed (their
 * work was rolled back), inserts the batch's messages into the outbox,
 * commits; one round trip. */
static int commit_tx(rt *r, sq_buf *failed, sq_err *e)
{
	sq_buf a[4] = { { 0 } };
	const char *ap[4], *fp[1];
	sq_pg_step st[3];
	int k = 0, rc = -1, ins = -1;

	r->npending = r->pending_sp = 0; /* a savepoint not yet sent is not needed: COMMIT ends them all */
	if (failed->len) {
		fp[0] = sq_buf_array_close(failed);
		st[k++] = (sq_pg_step){ .sql = r->sql_inbox_del, .nparams = 1, .params = fp };
	}
	if (r->nout > r->ncommitted) {
		if (out_arrays(r, a)) {
			sq_err_set(e, "out of memory");
			goto out;
		}
		for (int i = 0; i < 4; i++)
			ap[i] = a[i].data;
		ins = k;
		st[k++] = (sq_pg_step){ .sql = r->sql_outbox_ins_many, .nparams = 4, .params = ap, .keep = 1 };
	}
	st[k++] = (sq_pg_step){ .sql = sq_pg_sql_commit };
	if (failed->oom) {
		sq_err_set(e, "out of memory");
		goto out;
	}
	if (sq_pg_pipeline(r->pg, st, k, e))
		goto out;
	if (ins >= 0) {
		PGresult *res = st[ins].result;
		for (int i = 0; i < PQntuples(res); i++)
			sq_buf_list_add(&r->committed_ids, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
		PQclear(res);
	}
	r->ncommitted = r->nout;
	rc = 0;
out:
	for (int i = 0; i < 4; i++)
		sq_buf_free(&a[i]);
	return rc;
}

/* Queues the opening of the batch's transaction: BEGIN, the deletion of sent
 * outbox rows, and every message's inbox row at once. It rides with the first
 * handler statement; the inbox's answer marks the messages handled before. */
int sq_rt_queue_open(rt *r, item *items, int n, sq_err *e)
{
	int k = 0;

	sq_buf_reset(&r->open_ids);
	for (int i = 0; i < n; i++)
		if (!items[i].decided)
			sq_buf_array_add(&r->open_ids, items[i].message_id);
	r->open_params[0] = sq_buf_array_close(&r->open_ids);
	r->open_params[1] = r->d->queue;
	if (r->open_ids.oom)
		return sq_err_set(e, "out of memory");
	r->pending[k++] = (sq_pg_step){ .sql = sq_pg_sql_begin };
	k = add_sent_delete(r, r->pending, k, &r->del_param);
	r->open_at = k;
	r->pending[k++] = (sq_pg_step){ .sql = r->sql_inbox_many, .nparams = 2, .params = r->open_params,
					 .keep = SQ_PG_KEEP_ALWAYS };
	r->npending = k;
	r->items = items;
	r->nitems = n;
	return 0;
}

/* Runs the handler of the message in hand, timed. */
void sq_rt_run_handler(rt *r, sq_ctx *ctx, item *it)
{
	sq_msg msg = { r->d->queue, it->routing_key, it->message_id, it->body, it->attempt };
	struct timespec t0, t1;

	r->msg_mark = r->nout;
	ctx->reason[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->in_hand = it;
	it->outcome = it->route->handle(ctx, &msg);
	r->in_hand = NULL;
	if (sq_metrics_enabled()) {
		char labels[320];
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sq_metrics_labels(labels, sizeof labels, r->d->queue, "routing_key", it->routing_key);
		sq_metrics_observe("shopq_handler_seconds", labels,
				   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	snprintf(it->reason, sizeof it->reason, "%s", ctx->reason);
}

/* Commits the batch's transaction (failed: the message ids whose inbox rows
 * go); 0, or -1 when it failed and every message of it is retried. */
int sq_rt_finish_tx(rt *r, item *items, int n, sq_buf *failed)
{
	sq_err e;
	char why[600];

	r->buffering = 0;
	if (commit_tx(r, failed, &e)) {
		snprintf(why, sizeof why, "commit failed: %s", e.msg);
		fail_tx(items, n, why);
		sq_rt_out_truncate(r, r->ncommitted);
		r->outbox_pending = 1; /* the commit may have happened: the sweep publishes what it left */
		return -1;
	}
	sq_buf_reset(&r->sent_ids); /* deleted by that transaction */
	return 0;
}

/* Runs the handlers of items[0..n) in one transaction, a savepoint each. The
 * runtime's own statements travel in pipelines with the handlers': BEGIN, the
 * deletion of sent outbox rows and the inbox rows of all the messages with the
 * first handler's first statement (that handler runs ahead of the inbox's
 * answer, and is undone when it says the message was handled before); each
 * message's RELEASE and SAVEPOINT with its handler's first statement; the
 * outbox rows and COMMIT in one at the end. Unless the daemon's handlers are
 * sql_first, or for a redelivered message (run alone), the opening goes alone
 * and the handlers wait for the inbox's answer. */
void sq_rt_run_tx(rt *r, item *items, int n)
{
	sq_err e;
	sq_ctx ctx = { .rt = r };
	char why[600];
	int live = 0;
	sq_buf failed = { 0 }; /* message ids whose inbox rows go: their work was undone */

	for (int i = 0; i < n; i++)
		live += !items[i].decided;
	if (!live)
		return;
	for (int i = 0; i < n; i++)
		if (!items[i].decided)
			items[i].outcome = SQ_RETRY;
	if (sq_pg_ensure(r->pg, &e)) {
		snprintf(why, sizeof why, "database unavailable: %s", e.msg);
		fail_tx(items, n, why);
		return;
	}
	if (sq_rt_run_ahead(r, items, n) == 0)
		return;
	r->savepoint_open = r->npending = r->pending_sp = r->open_failed = 0;
	r->spec = r->open_at = -1;
	if (sq_rt_queue_open(r, items, n, &e))
		goto tx_failed;
	for (int i = 0; i < n && r->spec < 0; i++)
		if (!items[i].decided)
			r->spec = i;
	if (!r->d->sql_first || items[r->spec].redelivered) {
		r->spec = -1;
		if (sq_rt_send_pending(r, NULL, &e))
			goto tx_failed;
	} else {
		items[r->spec].fresh = 1; /* until the inbox answers */
	}
	r->buffering = 1;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->decided)
			continue;
		if (!it->fresh) {
			it->outcome = SQ_OK; /* handled before: nothing to do again */
			snprintf(it->reason, sizeof it->reason, "duplicate");
			continue;
		}
		if (!r->pending_sp) { /* sent with the handler's first statement */
			if (r->savepoint_open)
				r->pending[r->npending++] = (sq_pg_step){ .sql = SQL_RELEASE };
			r->pending[r->npending++] = (sq_pg_step){ .sql = SQL_SAVEPOINT };
			r->pending_sp = 1;
		}
		sq_rt_run_handler(r, &ctx, it);
		if (i == r->spec) { /* it ran ahead of the inbox's answer: have it now */
			if (r->open_at >= 0)
				(void)sq_rt_send_pending(r, NULL, &e);
			r->spec = -1;
			if (r->open_failed) {
				e = r->open_err;
				goto tx_failed;
			}
			if (!it->fresh) { /* handled before: nothing to do again */
				if (sq_rt_undo_message(r, &e))
					goto tx_failed;
				it->outcome = SQ_OK;
				snprintf(it->reason, sizeof it->reason, "duplicate");
				continue;
			}
		}
		if (it->outcome == SQ_OK && it->redelivered) {
			const char *ap[] = { it->message_id };
			PGresult *res = sq_query(&ctx, r->sql_attempt_del, 1, ap);
			if (!res) {
				snprintf(e.msg, sizeof e.msg, "%.500s", ctx.reason);
				goto tx_failed;
			}
			PQclear(res);
		}
		if (it->outcome != SQ_OK) {
			sq_buf_array_add(&failed, it->message_id);
			if (sq_rt_undo_message(r, &e))
				goto tx_failed;
		}
		if (it->outcome == SQ_REJECT)
			it->decided = 1;
	}
	if (sq_rt_finish_tx(r, items, n, &failed) == 0)
		sq_crash_point("after_commit");
	sq_buf_free(&failed);
	return;
tx_failed:
	r->buffering = 0;
	r->npending = r->pending_sp = 0;
	r->spec = r->open_at = -1;
	snprintf(why, sizeof why, "database: %s", e.msg);
	(void)sq_pg_exec(r->pg, "ROLLBACK", &e);
	sq_rt_out_truncate(r, r->ncommitted);
	sq_buf_free(&failed);
	fail_tx(items, n, why);
}

/* A redelivered message may be the one that killed us: count handling attempts
 * in PostgreSQL and dead-letter it past the limit. */
void sq_rt_count_poison(rt *r, item *it)
{
	sq_err e;
	PGresult *res;
	const char *p[] = { it->message_id };

	if (sq_pg_ensure(r->pg, &e) || !(res = sq_pg_query(r->pg, r->sql_attempt_inc, 1, p, &e))) {
		it->outcome = SQ_RETRY;
		it->decided = 1;
		snprintf(it->reason, sizeof it->reason, "database unavailable: %s", e.msg);
		return;
	}
	int n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (n > r->cfg.poison_limit) {
		it->outcome = SQ_REJECT;
		it->decided = 1;
		snprintf(it->reason, sizeof it->reason,
			 "delivered %d times without an outcome: the daemon crashed or hung while handling it",
			 n - 1);
	}
}

/* Forgets handled message ids (and attempt counts) older than
 * runtime.inbox_keep_days, a bounded batch at a time; returns the rows deleted
 * (-1 on errors). A message redelivered after that long is handled again. */
int sq_rt_prune_inbox(rt *r, sq_err *err)
{
	char days[16];
	const char *p[] = { days };
	PGresult *res;
	int n = 0;

	snprintf(days, sizeof days, "%d", r->cfg.inbox_keep_days);
	if (sq_pg_ensure(r->pg, err))
		return -1;
	if (!(res = sq_pg_query(r->pg, r->sql_inbox_prune, 1, p, err)))
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (!(res = sq_pg_query(r->pg, r->sql_attempt_prune, 1, p, err)))
		return -1;
	n += atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}
