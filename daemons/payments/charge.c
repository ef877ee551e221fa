// SPDX-License-Identifier: MIT
// charge.c -- payment.charge: the attempt is recorded ('unknown', with its
// idempotency key) on the side connection before the provider is called, so a
// timeout or a crash leaves a payment that the next attempt (or reconcile)
// asks about with the same key; the answer settles through the arbiter. A
// batch's charges are recorded together and asked about in parallel.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"

/* The payment of an order, with its token's value. */
static const char sql_by_order[] = PAYMENTS_CHARGE_ROW_SQL "$1";

typedef struct charge_row {
	char id[24];
	char status[16];
	char key[PAYMENTS_KEY_MAX];
	long long amount;
	char currency[8];
	char *token; /* NULL when the token is gone */
} charge_row;

/* 1 found, 0 none. */
static int fill_row(PGresult *r, charge_row *row)
{
	if (PQntuples(r) == 0)
		return 0;
	snprintf(row->id, sizeof row->id, "%s", PQgetvalue(r, 0, 0));
	snprintf(row->status, sizeof row->status, "%s", PQgetvalue(r, 0, 1));
	snprintf(row->key, sizeof row->key, "%s", PQgetvalue(r, 0, 2));
	row->amount = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	snprintf(row->currency, sizeof row->currency, "%s", PQgetvalue(r, 0, 4));
	free(row->token);
	row->token = PQgetisnull(r, 0, 5) ? NULL : strdup(PQgetvalue(r, 0, 5));
	return 1;
}

/* The move a charge answer asks for into m; 0 when it asks for none (no
 * answer, or a passing failure: ask again later). Logs nothing: a first
 * statement is built with it. */
static int charge_move(const char *payment_id, const payments_answer *a, const char *via, payments_move *m)
{
	*m = (payments_move){ .payment_id = payment_id, .via = via, .refund_amount = -1 };
	switch (a->kind) {
	case PAYMENTS_ANS_NONE:
	case PAYMENTS_ANS_RETRY:
		return 0;
	case PAYMENTS_ANS_DECLINED:
	case PAYMENTS_ANS_REFUSED:
		m->to = "failed";
		m->reference_id = a->intent_id;
		m->code = a->code;
		m->message = a->message;
		break;
	case PAYMENTS_ANS_OK:
		m->to = payments_intent_target(a->status);
		if (!m->to) /* a status we do not know: recorded, settled later by webhook or reconcile */
			m->to = "processing";
		m->reference_id = a->id;
		m->code = strcmp(m->to, "failed") == 0 ? (a->code[0] ? a->code : "payment_failed") : a->status;
		m->message = a->message;
		break;
	}
	return 1;
}

static void warn_unknown_status(const char *payment_id, const payments_answer *a)
{
	if (a->kind == PAYMENTS_ANS_OK && !payments_intent_target(a->status))
		sq_log_warn("payment %s: intent %s has status \"%s\": left to webhooks and reconcile", payment_id, a->id,
			    a->status);
}

int payments_apply_charge_answer(sq_ctx *ctx, const char *payment_id, const payments_answer *a, const char *via)
{
	payments_move m;
	int moved;

	if (!charge_move(payment_id, a, via, &m))
		return 1;
	warn_unknown_status(payment_id, a);
	return payments_settle(ctx, &m, &moved);
}

/* The charge's line for payment_logs into line, the token masked (and scrubbed
 * from the answer's words). */
static void charge_line(char *line, size_t len, const char *key, long long amount, const char *currency,
			const char *token, const char *what, payments_answer *a)
{
	char masked[32];

	payments_mask_token(token, masked, sizeof masked);
	payments_scrub_token(a->reason, sizeof a->reason, token);
	payments_scrub_token(a->message, sizeof a->message, token);
	snprintf(line, len, "%s: POST /v1/payment_intents key=%s payment_method=%s amount=%lld %s: %s", what, key,
		 masked, amount, currency, a->reason);
}

void payments_charge_ask(payments_state *st, const char *payment_id, const char *key, long long amount,
			 const char *currency, const char *token, long long order_id, const char *what,
			 payments_answer *a)
{
	char line[1024];

	payments_provider_charge(st->provider, key, amount, currency, token, order_id, a);
	charge_line(line, sizeof line, key, amount, currency, token, what, a);
	payments_side_log(st, payment_id, "%s", line);
}

/* The order's payment row, created 'unknown' (committed) when there is none. 1
 * found or created; 0 when the token is not the user's (recorded as failed in
 * the message's transaction); -1 on errors with the outcome in *out. */
static int record_attempt(sq_ctx *ctx, payments_state *st, const sq_msg *msg, const char *order,
			  charge_row *row, sq_outcome *out)
{
	json_t *b = msg->body;
	long long user_id = json_integer_value(json_object_get(b, "user_id"));
	long long amount = json_integer_value(json_object_get(b, "amount"));
	long long token_id = json_integer_value(json_object_get(b, "payment_token_id"));
	char user[24], amt[24], tok[24], key[PAYMENTS_KEY_MAX], cur[4];
	const char *c = json_string_value(json_object_get(b, "currency"));
	PGresult *r;
	sq_err e;
	int rc;

	for (int i = 0; i < 3; i++)
		cur[i] = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 'a' + 'A' : c[i]);
	cur[3] = '\0';
	snprintf(user, sizeof user, "%lld", user_id);
	snprintf(amt, sizeof amt, "%lld", amount);
	snprintf(tok, sizeof tok, "%lld", token_id);
	payments_charge_key(strtoll(order, NULL, 10), key);

	const char *tp[] = { tok, user };
	r = sq_query(ctx, "SELECT expiry IS NOT NULL AND expiry <= now() FROM payments.tokens WHERE id = $1 AND user_id = $2",
		     2, tp);
	if (!r)
		return *out = sq_ctx_fail(ctx), -1;
	if (PQntuples(r) == 0 || strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		int expired = PQntuples(r) > 0;
		payments_move m = { .to = "failed", .order_id = strtoll(order, NULL, 10), .refund_amount = -1,
				    .code = expired ? "expired_card" : "unknown_token",
				    .message = expired ? "The saved card has expired."
						       : "The payment token does not exist or is not the user's.",
				    .via = "token check" };
		int moved;
		PQclear(r);
		const char *ip[] = { order, user, amt, cur, key };
		r = sq_query(ctx, "INSERT INTO payments.payment (order_id, user_id, amount, currency, status, idempotency_key)"
				  " VALUES ($1, $2, $3::numeric / 100, $4, 'pending', $5) ON CONFLICT DO NOTHING RETURNING id",
			     5, ip);
		if (!r)
			return *out = sq_ctx_fail(ctx), -1;
		if (PQntuples(r) > 0 && payments_settle(ctx, &m, &moved)) {
			PQclear(r);
			return *out = sq_ctx_fail(ctx), -1;
		}
		PQclear(r);
		sq_log_info("order %s: %s (token %s, user %s): payment failed", order, m.code, tok, user);
		*out = SQ_OK;
		return 0;
	}
	PQclear(r);

	/* committed at once: from here on a timeout or a crash leaves an 'unknown' payment */
	const char *ip[] = { order, user, amt, cur, key, tok };
	r = payments_side_query(st,
				"INSERT INTO payments.payment (order_id, user_id, amount, currency, status, idempotency_key, token_id,"
				" payment_method) SELECT $1, $2, $3::numeric / 100, $4, 'unknown', $5, $6, t.payment_method"
				" FROM payments.tokens t WHERE t.id = $6 ON CONFLICT DO NOTHING",
				6, ip, &e);
	if (!r)
		return *out = sq_retry(ctx, "recording the charge attempt: %s", e.msg), -1;
	PQclear(r);
	const char *op[] = { order };
	r = payments_side_query(st, sql_by_order, 1, op, &e);
	if (!r)
		return *out = sq_retry(ctx, "reading the payment: %s", e.msg), -1;
	rc = fill_row(r, row);
	PQclear(r);
	if (rc == 0)
		return *out = sq_retry(ctx, "the payment of order %s vanished after it was recorded", order), -1;
	return 1;
}

/* The batch form of record_attempt's side insert: one commit for the batch.
 * Only charges whose token is the user's and unexpired are recorded (the
 * handler meets the others); an order with a payment keeps it. */
static const char sql_record_many[] =
	"INSERT INTO payments.payment (order_id, user_id, amount, currency, status, idempotency_key, token_id,"
	" payment_method)"
	" SELECT m.order_id, m.user_id, m.amount::numeric / 100, upper(m.currency), 'unknown', m.key, t.id,"
	"        t.payment_method"
	"   FROM jsonb_to_recordset($1::jsonb) AS m(order_id bigint, user_id bigint, amount bigint, currency text,"
	"        key text, token_id bigint)"
	"   JOIN payments.tokens t ON t.id = m.token_id AND t.user_id = m.user_id"
	"        AND (t.expiry IS NULL OR t.expiry > now())"
	"  ORDER BY m.order_id"
	" ON CONFLICT DO NOTHING";

/* The batch's payments as committed (the side connection's view); $1 is the
 * batch's rows as sql_record_many took them. "= ANY (ARRAY(...))", not "IN
 * (SELECT ...)": guessing 100 rows from jsonb_to_recordset, the planner may
 * hash-join them against a scan of the whole payments table. */
static const char sql_by_orders[] =
	"SELECT p.order_id, p.id, p.status, p.idempotency_key, (p.amount * 100)::bigint, p.currency, t.value"
	" FROM payments.payment p LEFT JOIN payments.tokens t ON t.id = p.token_id"
	" WHERE p.order_id = ANY (ARRAY(SELECT m.order_id FROM jsonb_to_recordset($1::jsonb) AS m(order_id bigint)))"
	" ORDER BY p.order_id";

/* The delivery attempt of the batch's charge for order_id. */
static int attempt_of(const sq_msg *msgs, int n, long long order_id)
{
	for (int i = 0; i < n; i++)
		if (json_integer_value(json_object_get(msgs[i].body, "order_id")) == order_id)
			return msgs[i].attempt;
	return 1;
}

/* Asks the provider, in parallel, about every charge of the batch whose payment
 * is recorded and still unknown or pending, with the payment's own key and
 * stored amount (what each handler would ask, one after the other), and keeps
 * the answers for the handlers. Anything amiss keeps nothing: each handler
 * then asks for itself. */
static void ask_all(payments_state *st, const sq_msg *msgs, int n, const char *rows_json)
{
	payments_charge_req *reqs = NULL;
	char **lines = NULL;
	const char **id_of = NULL;
	PGresult *r = NULL;
	sq_err e;
	int k = 0, rows;

	const char *p[] = { rows_json };
	if (!(r = payments_side_query(st, sql_by_orders, 1, p, &e))) {
		sq_log_info("reading %d recorded charge attempts: %s: each handler asks for itself", n, e.msg);
		goto out;
	}
	rows = PQntuples(r);
	if (rows == 0 || !(st->asked = calloc((size_t)rows, sizeof *st->asked)) ||
	    !(reqs = calloc((size_t)rows, sizeof *reqs)) || !(st->answers = calloc((size_t)rows, sizeof *st->answers)))
		goto out;
	for (int i = 0; i < rows; i++) {
		const char *status = PQgetvalue(r, i, 2);
		if ((strcmp(status, "unknown") != 0 && strcmp(status, "pending") != 0) || PQgetisnull(r, i, 6))
			continue; /* settled, processing, or its token is gone: the handler tells */
		payments_asked *a = &st->asked[k];
		a->order_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(a->payment_id, sizeof a->payment_id, "%s", PQgetvalue(r, i, 1));
		snprintf(a->key, sizeof a->key, "%s", PQgetvalue(r, i, 3));
		reqs[k] = (payments_charge_req){ .key = a->key, .amount_cents = strtoll(PQgetvalue(r, i, 4), NULL, 10),
						 .currency = PQgetvalue(r, i, 5), .payment_method = PQgetvalue(r, i, 6),
						 .order_id = a->order_id };
		k++;
	}
	if (k == 0 || !(lines = calloc((size_t)k, sizeof *lines)) || !(id_of = calloc((size_t)k, sizeof *id_of)))
		goto out;
	payments_provider_charge_many(st->provider, reqs, k, st->answers);
	for (int i = 0; i < k; i++) {
		char what[64], line[1024];
		snprintf(what, sizeof what, "charge (delivery attempt %d)", attempt_of(msgs, n, reqs[i].order_id));
		charge_line(line, sizeof line, reqs[i].key, reqs[i].amount_cents, reqs[i].currency,
			    reqs[i].payment_method, what, &st->answers[i]);
		if (!(lines[i] = strdup(line)))
			goto out; /* nothing kept: each handler asks again, with the same key */
		id_of[i] = st->asked[i].payment_id;
	}
	payments_side_log_many(st, k, id_of, (const char *const *)lines); /* the batch's lines in one statement */
	st->nasked = k;
out:
	if (st->nasked == 0) {
		free(st->asked);
		free(st->answers);
		st->asked = NULL;
		st->answers = NULL;
	}
	PQclear(r);
	free(reqs);
	for (int i = 0; lines && i < k; i++)
		free(lines[i]);
	free(lines);
	free(id_of);
}

/* The answer prepare got for this payment (same order, row and key). A batch
 * that went ahead and was rolled back runs its handlers again: they find the
 * same answers, and the provider is not asked twice. */
static int take_asked(payments_state *st, long long order_id, const charge_row *row, payments_answer *a)
{
	for (int i = 0; i < st->nasked; i++) {
		const payments_asked *x = &st->asked[i];
		if (x->order_id != order_id || strcmp(x->payment_id, row->id) != 0 || strcmp(x->key, row->key) != 0)
			continue;
		*a = st->answers[i];
		return 1;
	}
	return 0;
}

void payments_prepare_charges(sq_ctx *ctx, const sq_msg *msgs, int n)
{
	payments_state *st = sq_ctx_state(ctx);
	json_t *rows;
	char *text = NULL;
	PGresult *r;
	sq_err e;

	/* what the last batch asked is stale */
	free(st->asked);
	free(st->answers);
	st->asked = NULL;
	st->answers = NULL;
	st->nasked = 0;
	if (n < 1)
		return;
	if (!(rows = json_array()))
		return;
	for (int i = 0; i < n; i++) {
		const json_t *b = msgs[i].body;
		char key[PAYMENTS_KEY_MAX];
		payments_charge_key(json_integer_value(json_object_get(b, "order_id")), key);
		json_array_append_new(rows, json_pack("{s:O,s:O,s:O,s:O,s:s,s:O}", "order_id", json_object_get(b, "order_id"),
						      "user_id", json_object_get(b, "user_id"), "amount",
						      json_object_get(b, "amount"), "currency",
						      json_object_get(b, "currency"), "key", key, "token_id",
						      json_object_get(b, "payment_token_id")));
	}
	if ((text = json_dumps(rows, JSON_COMPACT))) {
		const char *p[] = { text };
		if ((r = payments_side_query(st, sql_record_many, 1, p, &e))) {
			PQclear(r);
			ask_all(st, msgs, n, text);
		} else { /* each handler records its own attempt, or retries */
			sq_log_info("recording %d charge attempts at once: %s", n, e.msg);
		}
	}
	free(text);
	json_decref(rows);
}

/* The charge's first statement into f: the order's payment row (sql_by_order)
 * or, when the batch's prepare got an answer for the order that moves its
 * payment, the row with that move (payments_settle_charge_first: made only
 * when the handler would apply that answer; *ret_settles = 1, the move in m). */
static void charge_first(payments_state *st, long long order_id, sq_first *f, payments_move *m, int *ret_settles)
{
	int i = 0;

	*ret_settles = 0;
	while (i < st->nasked && st->asked[i].order_id != order_id)
		i++;
	if (i < st->nasked && charge_move(st->asked[i].payment_id, &st->answers[i], "charge answer", m)) {
		payments_settle_charge_first(m, order_id, st->asked[i].key, f);
		if (f->sql) {
			snprintf(f->key, sizeof f->key, "order %lld", order_id);
			*ret_settles = 1;
			return;
		}
	}
	sq_first_id(f, sql_by_order, "order", order_id);
}

void payments_charge_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	payments_move m;
	int settles;

	charge_first(sq_ctx_state(ctx), json_integer_value(json_object_get(msg->body, "order_id")), f, &m, &settles);
}

sq_outcome payments_handle_charge(sq_ctx *ctx, const sq_msg *msg)
{
	payments_state *st = sq_ctx_state(ctx);
	long long order_id = json_integer_value(json_object_get(msg->body, "order_id"));
	char order[24], what[64];
	charge_row row = { 0 };
	payments_answer a;
	payments_move m;
	sq_first f = { 0 };
	sq_outcome out = SQ_OK;
	PGresult *r;
	int rc, settles, asked, moved;

	snprintf(order, sizeof order, "%lld", order_id);
	charge_first(st, order_id, &f, &m, &settles);
	/* as the message's transaction sees it (committed rows and its own changes) */
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	rc = fill_row(r, &row);
	settles = settles && rc == 1; /* a row recorded below was not there to move */
	if (rc == 0 && record_attempt(ctx, st, msg, order, &row, &out) <= 0)
		goto done;
	if (strcmp(row.status, "unknown") != 0 && strcmp(row.status, "pending") != 0) {
		/* settled already, or processing (a webhook or reconcile settles it): charged once */
		sq_log_info("order %s: payment %s is %s: no charge", order, row.id, row.status);
		goto done;
	}
	if (!row.token) {
		out = sq_reject(ctx, "order %s: payment %s is unknown and its token is gone: settle it by hand", order,
				row.id);
		goto done;
	}
	snprintf(what, sizeof what, "charge (delivery attempt %d)", msg->attempt);
	asked = take_asked(st, order_id, &row, &a);
	if (asked && settles) {
		/* the first statement applied the answer: this payment, unknown or pending, with its token */
		sq_crash_point("after_provider_answer");
		warn_unknown_status(row.id, &a);
		if (payments_settled(ctx, &m, r, 6, &moved))
			out = sq_ctx_fail(ctx);
		goto done;
	}
	if (!asked) /* not asked with the batch: asked now */
		payments_charge_ask(st, row.id, row.key, row.amount, row.currency, row.token, order_id, what, &a);
	sq_crash_point("after_provider_answer");
	rc = payments_apply_charge_answer(ctx, row.id, &a, "charge answer");
	if (rc < 0)
		out = sq_ctx_fail(ctx);
	else if (rc > 0)
		out = sq_retry(ctx, "order %s: charge: %s", order, a.reason);
done:
	PQclear(r);
	free(row.token);
	return out;
}
