// SPDX-License-Identifier: MIT
// sq_ahead.c -- a batch whose messages' first statements are known from the
// messages alone (routes with `first`) sends them all with the transaction's
// opening in one round trip; each handler then finds its first result
// waiting, and the messages share the transaction without a savepoint each.
// Anything but a clean run rolls that attempt back, its log lines unwritten,
// and the batch runs one message at a time (sq_tx.c).
#include "sq_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq_fmt.h"
#include "sq_log.h"
#include "sq_metrics.h"

/* Even a lone message goes this way: its statement rides with the opening
 * either way (sql_first), and this way it needs no savepoint. */
#define AHEAD_MIN 1

void sq_first_ll(sq_first *f, int i, long long v)
{
	if (i < 0 || i >= SQ_FIRST_MAX_NUMS) {
		f->sql = NULL;
		return;
	}
	sq_fmt_ll(f->num[i], v);
	f->params[i] = f->num[i];
}

void sq_first_text(sq_first *f, int i, char *text)
{
	free(f->text);
	f->text = text;
	f->params[i] = text;
	if (!text)
		f->sql = NULL;
}

int sq_first_strings(sq_first *f, int n, const char *const *vals)
{
	size_t len = 0;
	char *at;

	if (n < 0 || n > SQ_FIRST_MAX_PARAMS) {
		f->sql = NULL;
		return -1;
	}
	for (int i = 0; i < n; i++)
		len += vals[i] ? strlen(vals[i]) + 1 : 0;
	free(f->text);
	if (!(f->text = at = malloc(len + 1))) {
		f->sql = NULL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		f->params[i] = NULL;
		if (vals[i]) {
			size_t l = strlen(vals[i]) + 1;
			memcpy(at, vals[i], l);
			f->params[i] = at;
			at += l;
		}
	}
	f->nparams = n;
	return 0;
}

void sq_first_free(sq_first *f)
{
	free(f->text);
	f->text = NULL;
}

void sq_first_id(sq_first *f, const char *sql, const char *what, long long id)
{
	f->sql = sql;
	f->nparams = 1;
	sq_first_ll(f, 0, id);
	size_t n = strlen(what);
	if (n > sizeof f->key - SQ_FMT_LL_MAX - 1)
		n = sizeof f->key - SQ_FMT_LL_MAX - 1;
	memcpy(f->key, what, n);
	f->key[n] = ' ';
	sq_fmt_ll(f->key + n + 1, id);
}

PGresult *sq_query_first(sq_ctx *ctx, sq_first *f)
{
	PGresult *r = NULL;

	if (f->sql)
		r = sq_query(ctx, f->sql, f->nparams, f->params);
	else
		snprintf(ctx->reason, sizeof ctx->reason, "out of memory");
	sq_first_free(f);
	return r;
}

static int by_key(const void *a, const void *b, void *arg)
{
	const sq_first *f = arg;
	return strcmp(f[*(const int *)a].key, f[*(const int *)b].key);
}

/* Whether the batch may go ahead: every message to handle delivered for the
 * first time, with a route that has `first`, its first statement known, the
 * keys distinct (two messages about one order run one after the other). */
static int eligible(rt *r, item *items, int n)
{
	sq_ctx ctx = { .rt = r };
	int m = 0;

	if (!r->firsts)
		return 0;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		sq_first *f = &r->firsts[i];
		if (it->decided)
			continue;
		if (it->redelivered || !it->route->first)
			return 0;
		sq_msg msg = { r->d->queue, it->routing_key, it->message_id, it->body, it->attempt };
		sq_first_free(f);
		memset(f, 0, sizeof *f);
		r->in_hand = it;
		it->route->first(&ctx, &msg, f);
		r->in_hand = NULL;
		if (!f->sql || f->nparams < 0 || f->nparams > SQ_FIRST_MAX_PARAMS)
			return 0;
		r->by_id[m++] = i;
	}
	if (m < AHEAD_MIN)
		return 0;
	qsort_r(r->by_id, (size_t)m, sizeof *r->by_id, by_key, r->firsts);
	for (int k = 1; k < m; k++)
		if (strcmp(r->firsts[r->by_id[k - 1]].key, r->firsts[r->by_id[k]].key) == 0)
			return 0;
	return 1;
}

static void count(rt *r, const char *result)
{
	char labels[240];

	if (!sq_metrics_enabled())
		return;
	sq_metrics_labels(labels, sizeof labels, r->d->queue, "result", result);
	sq_metrics_inc("shopq_batches_ahead_total", labels, 1);
}

/* Forgets the attempt: the results not taken, what it emitted (out[mark..)),
 * its log lines, its transaction. Returns 1: the batch runs the usual way. */
static int fall_back(rt *r, item *items, int n, int mark, const char *why)
{
	sq_err e;

	for (int i = 0; i < n; i++) {
		PQclear(items[i].ahead);
		items[i].ahead = NULL;
		if (!items[i].decided) {
			items[i].outcome = SQ_RETRY;
			items[i].reason[0] = '\0';
		}
	}
	r->ahead_at = -1;
	r->buffering = 0;
	sq_rt_out_truncate(r, mark);
	sq_log_release(0);
	if (sq_pg_conn(r->pg))
		(void)sq_pg_exec(r->pg, "ROLLBACK", &e);
	sq_log_debug("%s: a batch of %d one message at a time: %s", r->d->queue, n, why);
	count(r, why);
	return 1;
}

int sq_rt_run_ahead(rt *r, item *items, int n)
{
	sq_ctx ctx = { .rt = r };
	sq_buf none = { 0 };
	sq_pg_step *st;
	PGresult *inbox;
	sq_err e;
	int k, base, open_at, rc, mark = r->nout;

	if (!eligible(r, items, n))
		return 1;
	r->spec = -1;
	if (sq_rt_queue_open(r, items, n, &e)) {
		r->npending = 0;
		return 1;
	}
	st = r->ahead_steps;
	memcpy(st, r->pending, (size_t)r->npending * sizeof *st);
	base = k = r->npending;
	open_at = r->open_at;
	r->npending = 0;
	r->open_at = -1;
	for (int i = 0; i < n; i++)
		if (!items[i].decided) {
			const sq_first *f = &r->firsts[i];
			st[k++] = (sq_pg_step){ .sql = f->sql, .nparams = f->nparams, .params = f->params, .keep = 1 };
		}
	rc = sq_pg_pipeline(r->pg, st, k, &e);
	inbox = st[open_at].result; /* kept even when a later step failed */
	if (rc) {
		PQclear(inbox);
		return fall_back(r, items, n, mark, "statement_failed");
	}
	for (int i = 0, j = base; i < n; i++)
		if (!items[i].decided)
			items[i].ahead = st[j++].result;
	sq_rt_mark_fresh(items, n, inbox, r->by_id);
	PQclear(inbox);
	for (int i = 0; i < n; i++)
		if (!items[i].decided && !items[i].fresh)
			return fall_back(r, items, n, mark, "handled_before");
	sq_log_hold();
	r->buffering = 1;
	r->ahead_broken = 0;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->decided)
			continue;
		r->ahead_at = i;
		sq_rt_run_handler(r, &ctx, it);
		if (it->ahead)
			r->ahead_broken = 1; /* its handler did not send the statement sent for it */
		if (r->ahead_broken || it->outcome != SQ_OK)
			return fall_back(r, items, n, mark, r->ahead_broken ? "not_as_declared" : "not_ok");
	}
	r->ahead_at = -1;
	if (sq_rt_finish_tx(r, items, n, &none)) {
		sq_log_release(0); /* every message is tried again */
		count(r, "commit_failed");
		return 0;
	}
	sq_log_release(1);
	count(r, "committed");
	sq_crash_point("after_commit");
	return 0;
}

/* The handler's first statement: the result sent ahead, if it is the same
 * statement with the same parameters; otherwise the attempt cannot stand. */
PGresult *sq_rt_take_ahead(rt *r, sq_ctx *ctx, const char *sql, int nparams, const char *const *params)
{
	item *it = &r->items[r->ahead_at];
	const sq_first *f = &r->firsts[r->ahead_at];
	PGresult *res = it->ahead;
	int same = sql == f->sql && nparams == f->nparams;

	for (int i = 0; same && i < nparams; i++)
		same = (!params[i] && !f->params[i]) ||
		       (params[i] && f->params[i] && strcmp(params[i], f->params[i]) == 0);
	it->ahead = NULL;
	if (same)
		return res;
	PQclear(res);
	r->ahead_broken = 1;
	snprintf(ctx->reason, sizeof ctx->reason, "the first statement was not the one declared by the route");
	return NULL;
}
