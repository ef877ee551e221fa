// SPDX-License-Identifier: MIT
// reconcile.c -- payment.reconcile: payments left 'unknown' or 'processing' for
// a few seconds, and not held by another transaction, are claimed and asked
// about (GET the intent, or replay the charge with its key when no intent id is
// known) and settled through the arbiter.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"

#define RECONCILE_DEFAULT_AGE_S 5
#define RECONCILE_DEFAULT_LIMIT 100

static const char sql_one[] =
	"SELECT p.order_id, p.status, p.reference_id, p.idempotency_key, (p.amount * 100)::bigint, p.currency, t.value"
	" FROM payments.payment p LEFT JOIN payments.tokens t ON t.id = p.token_id WHERE p.id = $1";

static int ask_intent(sq_ctx *ctx, payments_state *st, const char *payment_id, const char *intent_id)
{
	payments_answer a;
	const char *to;
	int moved;

	payments_provider_get_intent(st->provider, intent_id, &a);
	payments_side_log(st, payment_id, "reconcile: GET /v1/payment_intents/%s: %s", intent_id, a.reason);
	if (a.kind == PAYMENTS_ANS_NONE || a.kind == PAYMENTS_ANS_RETRY)
		return 1;
	if (a.kind != PAYMENTS_ANS_OK) {
		sq_log_warn("reconcile: payment %s: the provider does not know intent %s: %s", payment_id, intent_id,
			    a.reason);
		return 0;
	}
	to = payments_intent_target(a.status);
	if (!to || strcmp(to, "processing") == 0)
		return 0; /* not settled yet */
	payments_move m = { .to = to, .payment_id = payment_id, .reference_id = a.id, .refund_amount = -1,
			    .code = strcmp(to, "failed") == 0 ? (a.code[0] ? a.code : "payment_failed") : a.status,
			    .message = a.message, .via = "reconcile" };
	return payments_settle(ctx, &m, &moved);
}

int payments_reconcile_one(sq_ctx *ctx, const char *payment_id)
{
	payments_state *st = sq_ctx_state(ctx);
	const char *p[] = { payment_id };
	PGresult *r = sq_query(ctx, sql_one, 1, p);
	payments_answer a;
	int rc = 0;

	if (!r)
		return -1;
	if (PQntuples(r) == 0)
		goto out;
	const char *status = PQgetvalue(r, 0, 1);
	if (strcmp(status, "unknown") != 0 && strcmp(status, "pending") != 0 && strcmp(status, "processing") != 0)
		goto out; /* settled meanwhile */
	if (!PQgetisnull(r, 0, 2)) {
		rc = ask_intent(ctx, st, payment_id, PQgetvalue(r, 0, 2));
		goto out;
	}
	if (PQgetisnull(r, 0, 6)) {
		sq_log_warn("reconcile: payment %s has no intent id and its token is gone: settle it by hand", payment_id);
		goto out;
	}
	/* no intent id known: the same key makes the provider replay its answer (or charge once) */
	payments_charge_ask(st, payment_id, PQgetvalue(r, 0, 3), strtoll(PQgetvalue(r, 0, 4), NULL, 10),
			    PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 6), strtoll(PQgetvalue(r, 0, 0), NULL, 10), "reconcile",
			    &a);
	rc = payments_apply_charge_answer(ctx, payment_id, &a, "reconcile");
out:
	PQclear(r);
	return rc;
}

sq_outcome payments_handle_reconcile(sq_ctx *ctx, const sq_msg *msg)
{
	json_t *age_v = json_object_get(msg->body, "older_than_s");
	json_t *lim_v = json_object_get(msg->body, "limit");
	char age[24], lim[24];
	int asked = 0, stopped = 0, n;
	PGresult *r;

	snprintf(age, sizeof age, "%lld", age_v ? (long long)json_integer_value(age_v) : RECONCILE_DEFAULT_AGE_S);
	snprintf(lim, sizeof lim, "%lld", lim_v ? (long long)json_integer_value(lim_v) : RECONCILE_DEFAULT_LIMIT);
	const char *p[] = { age, lim };
	/* The rows are claimed up front and those another transaction holds are
	 * skipped (their settle is under way; the next run sees any still open):
	 * this transaction then never waits for a row lock, so neither a webhook
	 * batch nor a second daemon's reconcile can deadlock with it, and its log
	 * lines (side connection, a key-share lock) never wait for it either. */
	r = sq_query(ctx,
		     "SELECT id FROM payments.payment WHERE status IN ('unknown', 'pending', 'processing')"
		     " AND updated_at < now() - $1::int * interval '1 second' ORDER BY updated_at, id LIMIT $2::int"
		     " FOR NO KEY UPDATE SKIP LOCKED",
		     2, p);
	if (!r)
		return sq_ctx_fail(ctx);
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		int rc = payments_reconcile_one(ctx, PQgetvalue(r, i, 0));
		if (rc < 0) {
			PQclear(r);
			return sq_ctx_fail(ctx);
		}
		if (rc > 0) { /* the provider is not answering: the next run tries again */
			stopped = 1;
			break;
		}
		asked++;
	}
	PQclear(r);
	if (n > 0 || stopped)
		sq_log_info("reconcile: asked the provider about %d of %d unsettled payments%s", asked, n,
			    stopped ? " (stopped: the provider did not answer)" : "");
	return SQ_OK;
}
