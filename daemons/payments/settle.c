// SPDX-License-Identifier: MIT
// settle.c -- the one arbiter of a payment's state. The synchronous answer, a
// webhook and reconcile all come here; a conditional UPDATE lets exactly one
// of them move the row, and only that one emits the event (same transaction).
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payments.h"
#include "sq_log.h"

/* The states a target may be reached from: never backwards. */
static const char *from_states(const char *to)
{
	if (strcmp(to, "processing") == 0)
		return "{pending,unknown}";
	if (strcmp(to, "succeeded") == 0 || strcmp(to, "failed") == 0)
		return "{pending,unknown,processing}";
	if (strcmp(to, "refunded") == 0)
		return "{succeeded}";
	return NULL;
}

/* Moves the payment, and logs the move ($9) for each row moved. */
#define SETTLE_UPDATE(cond)                                                                                      \
	"UPDATE payments.payment SET status = $1,"                                                              \
	" reference_id = COALESCE(reference_id, $3),"                                                          \
	" response_code = COALESCE($5, response_code),"                                                        \
	" response_message = COALESCE($6, response_message),"                                                  \
	" refund_id = CASE WHEN $1 = 'refunded' THEN COALESCE($7, NULLIF(refund_id, 'requested')) ELSE refund_id END" \
	" WHERE " cond "(id = $2::bigint OR reference_id = $3 OR (order_id = $4::bigint AND (reference_id IS NULL) IS TRUE))" \
	" AND status = ANY ($8::text[])"                                                                        \
	" RETURNING id, order_id, user_id, (amount * 100)::bigint, currency, reference_id, refund_id"
/* "(reference_id IS NULL) IS TRUE" keeps the planner on the order_id index: every
 * payment starts without a reference, so the reference index holds many dead
 * NULL entries between vacuums (a settle took 18 ms instead of 0.3 under load) */
#define SETTLE_LOGGED "), logged AS (" \
	"  INSERT INTO payments.payment_logs (payment_id, log_message) SELECT id, $9 FROM moved" \
	")"

static const char settle_sql[] = "WITH moved AS (" SETTLE_UPDATE("") SETTLE_LOGGED "SELECT * FROM moved";

/* A charge's: the payment read, and moved ($10 its idempotency key, $11 its
 * order) only when the handler would apply the answer (see payments.h); the
 * row read, with the moved columns or NULLs. */
static const char settle_charge_sql[] =
	"WITH cur AS (" PAYMENTS_CHARGE_ROW_SQL "$11::bigint"
	"), moved AS (" SETTLE_UPDATE("EXISTS (SELECT 1 FROM cur WHERE cur.id = $2::bigint AND cur.idempotency_key = $10"
				     " AND cur.status IN ('unknown', 'pending') AND cur.value IS NOT NULL) AND ")
	SETTLE_LOGGED "SELECT cur.*, moved.* FROM cur LEFT JOIN moved ON true";

/* A webhook's: its event ($10 id, $11 type) recorded first, the payment moved
 * only when the event is new; the moved rows, or one row of NULLs, each with
 * whether the event was new (last column). */
static const char settle_event_sql[] =
	"WITH ev AS ("
	"  INSERT INTO payments.webhook_events (event_id, type) VALUES ($10, $11) ON CONFLICT DO NOTHING RETURNING 1"
	"), moved AS (" SETTLE_UPDATE("EXISTS (SELECT 1 FROM ev) AND ") SETTLE_LOGGED
	"SELECT moved.*, (SELECT count(*) FROM ev)::int FROM (SELECT 1) AS one LEFT JOIN moved ON true";

static json_t *ll_or_null(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? json_null() : json_integer(strtoll(PQgetvalue(r, row, col), NULL, 10));
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The event (and refund) for row i of r, settle's RETURNING in columns c on. */
static int emit_for_row(sq_ctx *ctx, const payments_move *m, PGresult *r, int i, int c)
{
	char now[32];
	long long order_id = strtoll(PQgetvalue(r, i, c + 1), NULL, 10);
	long long amount = strtoll(PQgetvalue(r, i, c + 3), NULL, 10);
	const char *refund_id = PQgetisnull(r, i, c + 6) ? NULL : PQgetvalue(r, i, c + 6);
	json_t *ev = NULL;
	const char *key = NULL;

	payments_rfc3339_format((long long)time(NULL), now);
	if (strcmp(m->to, "succeeded") == 0) {
		key = "payment.succeeded";
		ev = json_pack("{s:I, s:o, s:I, s:s, s:o, s:s}", "order_id", (json_int_t)order_id, "user_id",
			       ll_or_null(r, i, c + 2), "amount", (json_int_t)amount, "currency", PQgetvalue(r, i, c + 4),
			       "payment_intent", str_or_null(PQgetisnull(r, i, c + 5) ? NULL : PQgetvalue(r, i, c + 5)),
			       "occurred_at", now);
	} else if (strcmp(m->to, "failed") == 0) {
		key = "payment.failed";
		ev = json_pack("{s:I, s:o, s:s, s:s, s:s}", "order_id", (json_int_t)order_id, "user_id",
			       ll_or_null(r, i, c + 2), "code", m->code && *m->code ? m->code : "payment_failed",
			       "message", m->message && *m->message ? m->message : "The payment failed.",
			       "occurred_at", now);
	} else if (strcmp(m->to, "refunded") == 0) {
		key = "payment.refunded";
		ev = json_pack("{s:I, s:o, s:I, s:s, s:o, s:s}", "order_id", (json_int_t)order_id, "user_id",
			       ll_or_null(r, i, c + 2), "amount",
			       (json_int_t)(m->refund_amount >= 0 ? m->refund_amount : amount), "currency",
			       PQgetvalue(r, i, c + 4), "refund_id", str_or_null(refund_id), "occurred_at", now);
	}
	if (key && sq_emit_event(ctx, key, ev))
		return -1;
	/* a refund was asked for while the payment was unsettled: do it now */
	if (strcmp(m->to, "succeeded") == 0 && refund_id && strcmp(refund_id, "requested") == 0) {
		sq_log_info("order %lld: payment succeeded after a refund was requested: refunding", order_id);
		if (sq_emit_command(ctx, "payment.refund",
				    json_pack("{s:I, s:s}", "order_id", (json_int_t)order_id, "reason",
					      "refund requested before the payment settled")))
			return -1;
	}
	return 0;
}

/* The parameters of settle_sql (9) or settle_event_sql (11, with the event's
 * id and type), in storage of their own. */
typedef struct settle_args {
	char oid[24], line[512];
	const char *p[11];
	int n;
} settle_args;

/* Fills a for the move; 0, or -1 when its target has no state to come from
 * (nothing to run). */
static int settle_args_fill(settle_args *a, const payments_move *m, const char *event_id, const char *event_type)
{
	const char *from = from_states(m->to);

	if (!from)
		return -1;
	snprintf(a->oid, sizeof a->oid, "%lld", m->order_id);
	snprintf(a->line, sizeof a->line, "status -> %s by %s%s%s", m->to, m->via, m->code && *m->code ? ": " : "",
		 m->code && *m->code ? m->code : "");
	a->p[0] = m->to;
	a->p[1] = m->payment_id;
	a->p[2] = m->reference_id && *m->reference_id ? m->reference_id : NULL;
	a->p[3] = m->order_id > 0 ? a->oid : NULL;
	a->p[4] = m->code && *m->code ? m->code : NULL;
	a->p[5] = m->message && *m->message ? m->message : NULL;
	a->p[6] = m->refund_id && *m->refund_id ? m->refund_id : NULL;
	a->p[7] = from;
	a->p[8] = a->line;
	a->p[9] = event_id;
	a->p[10] = event_type;
	a->n = event_id ? 11 : 9;
	return 0;
}

int payments_settled(sq_ctx *ctx, const payments_move *m, PGresult *r, int col, int *ret_moved)
{
	*ret_moved = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, col))
			continue; /* the row of NULLs: nothing moved */
		sq_log_info("order %s: payment %s -> %s (%s)", PQgetvalue(r, i, col + 1), PQgetvalue(r, i, col), m->to,
			    m->via);
		if (emit_for_row(ctx, m, r, i, col))
			return -1;
		*ret_moved = 1;
	}
	return 0;
}

/* Runs sql (settle_sql, or settle_event_sql with the event's id and type) and
 * emits for each row moved; *ret_fresh (when asked) tells a new event. */
static int settle_with(sq_ctx *ctx, const payments_move *m, const char *sql, const char *event_id,
		       const char *event_type, int *ret_moved, int *ret_fresh)
{
	settle_args a;
	PGresult *r;
	int rc;

	*ret_moved = 0;
	if (settle_args_fill(&a, m, event_id, event_type))
		return 0;
	if (!(r = sq_query(ctx, sql, a.n, a.p)))
		return -1;
	if (event_id && PQntuples(r) > 0)
		*ret_fresh = atoi(PQgetvalue(r, 0, 7)) > 0;
	rc = payments_settled(ctx, m, r, 0, ret_moved);
	PQclear(r);
	return rc;
}

int payments_settle(sq_ctx *ctx, const payments_move *m, int *ret_moved)
{
	if (!m->payment_id && !(m->reference_id && *m->reference_id) && m->order_id <= 0)
		return *ret_moved = 0, 0;
	return settle_with(ctx, m, settle_sql, NULL, NULL, ret_moved, NULL);
}

int payments_settle_event(sq_ctx *ctx, const payments_move *m, const char *event_id, const char *event_type,
			  int *ret_moved, int *ret_fresh)
{
	*ret_fresh = 0;
	return settle_with(ctx, m, settle_event_sql, event_id, event_type, ret_moved, ret_fresh);
}

void payments_settle_event_first(const payments_move *m, const char *event_id, const char *event_type, sq_first *f)
{
	settle_args a;

	if (settle_args_fill(&a, m, event_id, event_type))
		return; /* nothing to run: not known ahead */
	f->sql = settle_event_sql;
	sq_first_strings(f, a.n, a.p);
}

void payments_settle_charge_first(const payments_move *m, long long order_id, const char *key, sq_first *f)
{
	settle_args a;
	char oid[24];

	if (settle_args_fill(&a, m, NULL, NULL))
		return; /* nothing to run: not known ahead */
	snprintf(oid, sizeof oid, "%lld", order_id);
	a.p[9] = key;
	a.p[10] = oid;
	f->sql = settle_charge_sql;
	sq_first_strings(f, 11, a.p);
}
