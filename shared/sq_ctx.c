// SPDX-License-Identifier: MIT
// sq_ctx.c -- the handlers' API: their statements (the first of a message
// carrying its savepoint and, for the first of a batch, the transaction's
// opening), the messages they emit (kept in memory, written to the outbox at
// commit), their outcomes and undo.
#include "sq_rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq_json.h"
#include "sq_log.h"
#include "sq_uuid.h"

const sq_config *sq_ctx_config(sq_ctx *ctx) { return &ctx->rt->cfg; }
void *sq_ctx_state(sq_ctx *ctx) { return ctx->rt->state; }

void sq_ctx_keep_memo(sq_ctx *ctx, void *p)
{
	item *it = ctx->rt->in_hand;
	if (!it) {
		free(p);
		return;
	}
	free(it->memo);
	it->memo = p;
}

void *sq_ctx_memo(sq_ctx *ctx) { return ctx->rt->in_hand ? ctx->rt->in_hand->memo : NULL; }

/* The message whose handler ran ahead of the inbox's answer was handled
 * before: its handler must stop (the runtime undoes what it did). */
static int ahead_was_duplicate(sq_ctx *ctx)
{
	rt *r = ctx->rt;
	if (r->spec < 0 || r->items[r->spec].fresh)
		return 0;
	snprintf(ctx->reason, sizeof ctx->reason, "handled before (duplicate)");
	return 1;
}

/* In a batch sent ahead, what has no place there (raw statements, an undo
 * without a savepoint) spoils the attempt: the batch runs one at a time. */
static int spoils_ahead(sq_ctx *ctx, const char *what)
{
	if (ctx->rt->ahead_at < 0)
		return 0;
	ctx->rt->ahead_broken = 1;
	snprintf(ctx->reason, sizeof ctx->reason, "%s in a batch sent ahead", what);
	return 1;
}

PGconn *sq_ctx_pg(sq_ctx *ctx)
{
	sq_err e;
	if (spoils_ahead(ctx, "sq_ctx_pg"))
		return NULL;
	if (sq_rt_send_pending(ctx->rt, NULL, &e))
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
	else if (ahead_was_duplicate(ctx))
		return NULL;
	return sq_pg_conn(ctx->rt->pg);
}

const char *sq_ctx_reason(sq_ctx *ctx) { return ctx->reason; }

/* A statement of a handler; the first of a message carries its savepoint. */
PGresult *sq_query(sq_ctx *ctx, const char *sql, int nparams, const char *const *params)
{
	rt *r = ctx->rt;
	PGresult *res = NULL;
	sq_err e;

	if (r->ahead_at >= 0 && r->items[r->ahead_at].ahead)
		return sq_rt_take_ahead(r, ctx, sql, nparams, params);
	if (r->npending) {
		sq_pg_step q = { .sql = sql, .nparams = nparams, .params = params, .keep = 1 };
		if (sq_rt_send_pending(r, &q, &e) == 0)
			res = q.result;
		if (res && ahead_was_duplicate(ctx)) {
			PQclear(res);
			return NULL;
		}
	} else {
		res = sq_pg_query(r->pg, sql, nparams, params, &e);
	}
	if (!res)
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
	return res;
}

int sq_query_ll(sq_ctx *ctx, const char *sql, int nparams, const char *const *params, long long *ret,
		int *ret_found)
{
	PGresult *r = sq_query(ctx, sql, nparams, params);
	if (!r)
		return -1;
	*ret_found = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0);
	*ret = *ret_found ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

/* Keeps a message of the running batch for its multi-row insert at commit. */
static int out_push(rt *r, const char *exchange, const char *routing_key, const char *id, char *text)
{
	if (r->nout == r->out_cap) {
		int cap = r->out_cap ? r->out_cap * 2 : 64;
		out_msg *o = realloc(r->out, (size_t)cap * sizeof *o);
		if (!o)
			return -1;
		r->out = o;
		r->out_cap = cap;
	}
	out_msg *m = &r->out[r->nout];
	if (!(m->routing_key = strdup(routing_key)))
		return -1;
	m->exchange = exchange;
	snprintf(m->message_id, sizeof m->message_id, "%s", id);
	m->body = text;
	r->nout++;
	return 0;
}

static int emit(sq_ctx *ctx, const char *exchange, const char *routing_key, json_t *body)
{
	char id[37];
	char *text = NULL;
	PGresult *res;
	rt *r = ctx->rt;
	int rc = -1;

	if (!body || sq_uuid_v4(id) || !(text = sq_json_dump(body))) {
		snprintf(ctx->reason, sizeof ctx->reason, "cannot build the %s message", routing_key);
		goto out;
	}
	if (r->buffering) { /* inserted with the batch's other messages just before its commit */
		if (out_push(r, exchange, routing_key, id, text)) {
			snprintf(ctx->reason, sizeof ctx->reason, "out of memory");
			goto out;
		}
		text = NULL;
		rc = 0;
		goto out;
	}
	const char *params[] = { exchange, routing_key, id, text };
	res = sq_query(ctx, r->sql_outbox_ins, 4, params);
	if (!res)
		goto out;
	sq_rt_left_add(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	rc = 0;
out:
	free(text);
	json_decref(body);
	return rc;
}

int sq_emit_event(sq_ctx *ctx, const char *routing_key, json_t *body)
{
	return emit(ctx, SQ_EXCHANGE_EVENTS, routing_key, body);
}

int sq_emit_command(sq_ctx *ctx, const char *routing_key, json_t *body)
{
	return emit(ctx, SQ_EXCHANGE_COMMANDS, routing_key, body);
}

/* The handler's reason, from the format and arguments of the caller's "..." */
#define SET_REASON(ctx, fmt)                                                  \
	do {                                                                  \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		vsnprintf((ctx)->reason, sizeof (ctx)->reason, fmt, ap);      \
		va_end(ap);                                                   \
	} while (0)

sq_outcome sq_retry(sq_ctx *ctx, const char *fmt, ...)
{
	SET_REASON(ctx, fmt);
	return SQ_RETRY;
}

sq_outcome sq_reject(sq_ctx *ctx, const char *fmt, ...)
{
	SET_REASON(ctx, fmt);
	return SQ_REJECT;
}

/* Undoes the message in hand: what it emitted, and its statements if any was
 * sent (then the savepoint is its own). */
int sq_rt_undo_message(rt *r, sq_err *e)
{
	sq_rt_out_truncate(r, r->msg_mark);
	if (r->pending_sp)
		return 0; /* none of its statements reached the database */
	return sq_pg_exec(r->pg, "ROLLBACK TO SAVEPOINT m", e);
}

int sq_ctx_undo(sq_ctx *ctx)
{
	sq_err e;

	if (!ctx->rt->buffering) {
		snprintf(ctx->reason, sizeof ctx->reason, "sq_ctx_undo outside a message's handler");
		return -1;
	}
	if (spoils_ahead(ctx, "sq_ctx_undo"))
		return -1;
	if (sq_rt_undo_message(ctx->rt, &e)) {
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
		return -1;
	}
	return 0;
}

sq_outcome sq_ctx_fail(sq_ctx *ctx)
{
	if (!ctx->reason[0])
		snprintf(ctx->reason, sizeof ctx->reason, "handler failed");
	return SQ_RETRY;
}

static int ctx_exec(sq_ctx *ctx, const char *sql)
{
	sq_err e;
	if (sq_rt_send_pending(ctx->rt, NULL, &e) || sq_pg_ensure(ctx->rt->pg, &e) || sq_pg_exec(ctx->rt->pg, sql, &e)) {
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
		return -1;
	}
	return ahead_was_duplicate(ctx) ? -1 : 0;
}

int sq_ctx_begin(sq_ctx *ctx) { return ctx_exec(ctx, "BEGIN"); }
int sq_ctx_commit(sq_ctx *ctx) { return ctx_exec(ctx, "COMMIT"); }
void sq_ctx_rollback(sq_ctx *ctx) { (void)ctx_exec(ctx, "ROLLBACK"); }
