// SPDX-License-Identifier: MIT
// sq_outbox.c -- what a batch emits: kept in memory, published right after
// the commit with confirms, its rows deleted with the next transaction; the
// sweep publishes rows a crash or an outage left behind.
#include "sq_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq_log.h"
#include "sq_metrics.h"

#define SWEEP_MIN_AGE_S 5 /* the sweep leaves younger rows to the process publishing them */

void sq_rt_out_truncate(rt *r, int n)
{
	while (r->nout > n) {
		out_msg *m = &r->out[--r->nout];
		free(m->routing_key);
		free(m->body);
	}
}

/* An id list as a PostgreSQL array literal ("{7,8}"), built in scratch; NULL
 * when out of memory. */
const char *sq_rt_ids_array(sq_buf *scratch, const sq_buf *list)
{
	sq_buf_reset(scratch);
	(void)sq_buf_append(scratch, "{", 1);
	if (list->len)
		(void)sq_buf_append(scratch, list->data, list->len);
	(void)sq_buf_append(scratch, "}", 1);
	return scratch->oom ? NULL : scratch->data;
}

/* Notes outbox rows (ids "7,8" or one) the sweep must publish now. */
void sq_rt_left_add(rt *r, const char *ids, size_t len)
{
	sq_buf_list_add(&r->left_ids, ids, len);
	r->outbox_pending = 1;
}

/* Forgets the batch's messages (published, or left in the outbox for the sweep). */
void sq_rt_committed_forget(rt *r)
{
	sq_rt_out_truncate(r, 0);
	r->ncommitted = 0;
	sq_buf_reset(&r->committed_ids);
}

/* Publishes the messages the batch committed, straight from memory. */
int sq_rt_publish_committed(rt *r, sq_err *err)
{
	for (int i = 0; i < r->ncommitted; i++) {
		out_msg *m = &r->out[i];
		if (sq_amqp_publish(r->pub, m->exchange, m->routing_key, m->message_id, NULL, m->body,
				    strlen(m->body), err))
			return -1;
	}
	if (sq_metrics_enabled() && r->ncommitted) {
		char labels[200];
		sq_metrics_labels(labels, sizeof labels, r->d->queue, NULL, NULL);
		sq_metrics_inc("shopq_outbox_published_total", labels, r->ncommitted);
	}
	return 0;
}

/* The committed messages are published: their rows wait for the confirms in
 * a new in-flight group (or, out of memory, are left to the sweep). */
void sq_rt_inflight_add(rt *r)
{
	if (r->ncommitted &&
	    sq_inflight_add(&r->inflight, sq_amqp_last_tag(r->pub), r->committed_ids.data, r->committed_ids.len))
		sq_rt_left_add(r, r->committed_ids.data, r->committed_ids.len); /* published again, deduplicated */
	sq_rt_committed_forget(r);
}

/* Groups whose publishes are all confirmed: their rows go with the next transaction. */
static void inflight_confirmed(rt *r)
{
	if (!sq_inflight_pop(&r->inflight, sq_amqp_confirmed_upto(r->pub), &r->sent_ids))
		return;
	sq_crash_point("outbox_before_delete");
	if (r->sent_ids.oom) { /* left to the sweep, published again: consumers deduplicate */
		sq_buf_reset(&r->sent_ids);
		r->outbox_pending = 1;
	}
}

/* Reads the confirms of the in-flight groups: those that arrived (wait 0), or
 * all of them and of every later publish (wait 1, up to
 * amqp.confirm_timeout_ms). On a nack, a returned message or a broken
 * connection every group is left to the sweep and the error returned
 * (SQ_AMQP_UNROUTED for a return). */
static int confirms_taken(rt *r, int rc)
{
	if (rc) {
		sq_rt_inflight_lost(r);
		return rc;
	}
	inflight_confirmed(r);
	return 0;
}

int sq_rt_take_confirms(rt *r, int wait, sq_err *err)
{
	if (!r->inflight.n && !wait)
		return 0;
	return confirms_taken(r, wait ? sq_amqp_wait_confirms(r->pub, r->cfg.amqp_confirm_timeout_ms, err)
				      : sq_amqp_take_confirms(r->pub, err));
}

/* Waits (up to amqp.confirm_timeout_ms) for the confirms of the publishes up
 * to tag upto only, taking those of later ones that came meanwhile; errors as
 * sq_rt_take_confirms. */
int sq_rt_await_confirmed(rt *r, uint64_t upto, sq_err *err)
{
	return confirms_taken(r, sq_amqp_wait_confirmed(r->pub, upto, r->cfg.amqp_confirm_timeout_ms, err));
}

/* The in-flight groups' confirms will never be read (the connection is going):
 * their rows are left to the sweep, published again and deduplicated. */
void sq_rt_inflight_lost(rt *r)
{
	if (!r->inflight.n)
		return;
	sq_inflight_drain(&r->inflight, &r->left_ids);
	r->outbox_pending = 1;
}

/* Deletes the sent rows when no batch came to carry the deletion: not
 * durable (a row that comes back is published again and deduplicated). */
int sq_rt_delete_sent(rt *r, sq_err *err)
{
	const char *p[1];
	int rc;

	if (!r->sent_ids.len)
		return 0;
	if (!(p[0] = sq_rt_ids_array(&r->sent_param, &r->sent_ids)))
		rc = sq_err_set(err, "out of memory");
	else
		rc = sq_pg_exec_async(r->pg, r->sql_outbox_del, 1, p, err);
	sq_buf_reset(&r->sent_ids); /* deleted, or left to the sweep (published again, deduplicated) */
	return rc;
}

/* The sweep: publishes rows left in the outbox: ours that a broker outage or
 * a tick left (at once), and anyone's older than SWEEP_MIN_AGE_S (a crash
 * between commit and publish), never ours awaiting deletion. 0, -1 (the
 * database: later), -2 (the broker connection broke) or SQ_AMQP_UNROUTED (a
 * command found no queue: the rows stay). */
int sq_rt_flush_outbox(rt *r, sq_err *err)
{
	char lim[16], age[16];
	int more = 1, broken = -2;
	const char *lp[] = { lim, age, sq_rt_ids_array(&r->sent_param, &r->sent_ids), sq_rt_ids_array(&r->left_param, &r->left_ids) };

	snprintf(lim, sizeof lim, "%d", r->cfg.outbox_window);
	snprintf(age, sizeof age, "%d", SWEEP_MIN_AGE_S);
	if (!lp[2] || !lp[3])
		return sq_err_set(err, "out of memory");
	while (more && !(r->outbox_pending = 0)) {
		PGresult *res;
		sq_buf ids = { 0 };
		if (sq_pg_ensure(r->pg, err) || sq_pg_exec(r->pg, "BEGIN", err))
			goto retry_later;
		if (!(res = sq_pg_query(r->pg, r->sql_outbox_sel, 4, lp, err))) {
			(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
			goto retry_later;
		}
		int rows = PQntuples(res);
		more = rows == r->cfg.outbox_window;
		if (sq_metrics_enabled()) {
			char labels[200];
			sq_metrics_labels(labels, sizeof labels, r->d->queue, NULL, NULL);
			sq_metrics_set("shopq_outbox_backlog", labels, rows);
			sq_metrics_inc("shopq_outbox_published_total", labels, rows);
		}
		for (int i = 0; i < rows; i++) {
			const char *body = PQgetvalue(res, i, 4);
			if (sq_amqp_publish(r->pub, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
					    NULL, body, strlen(body), err))
				goto amqp_failed;
			sq_buf_array_add(&ids, PQgetvalue(res, i, 0));
		}
		PQclear(res);
		res = NULL;
		if (!rows) {
			(void)sq_pg_exec(r->pg, "COMMIT", NULL);
			break;
		}
		if ((broken = sq_amqp_wait_confirms(r->pub, r->cfg.amqp_confirm_timeout_ms, err)))
			goto amqp_failed;
		sq_crash_point("outbox_before_delete");
		const char *dp[] = { sq_buf_array_close(&ids) };
		res = ids.oom ? NULL : sq_pg_query(r->pg, r->sql_outbox_del, 1, dp, err);
		sq_buf_free(&ids);
		if (!res || (PQclear(res), sq_pg_exec(r->pg, "COMMIT", err))) {
			(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
			goto retry_later; /* published but not deleted: sent again later, deduplicated by message_id */
		}
		continue;
amqp_failed:
		PQclear(res);
		sq_buf_free(&ids);
		(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
		r->outbox_pending = 1;
		return broken == SQ_AMQP_UNROUTED ? broken : -2; /* else the broker connection is broken */
	}
	sq_buf_reset(&r->left_ids); /* published (or gone: published by another process) */
	return 0;
retry_later:
	r->outbox_pending = 1; /* left_ids kept for the next sweep */
	return -1;
}
