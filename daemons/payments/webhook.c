// SPDX-License-Identifier: MIT
// webhook.c -- payment.webhook: checks received_at, the signature (constant
// time, tolerance) and the event, dead-letters what fails with the check's
// words, deduplicates by event id, and settles the payment through the arbiter.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"
#include "sq_metrics.h"
#include "sq_webhook.h"

static const struct {
	const char *type;
	const char *to;
} targets[] = {
	{ "payment_intent.succeeded", "succeeded" },
	{ "payment_intent.payment_failed", "failed" },
	{ "payment_intent.processing", "processing" },
	{ "charge.refunded", "refunded" },
};

/* Records an event payments does not act on, so a repeat is told apart. */
static const char SQL_EVENT_ONLY[] = "INSERT INTO payments.webhook_events (event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/* What a webhook asks for, read from the message alone: k -1 rejected (why in
 * words), 0 an event payments does not act on (ev), 1 a move of the payment
 * (ev, m, its via in via; m points into ev and via). */
typedef struct webhook_read {
	int k;
	payments_event ev;
	payments_move m;
	char via[300];
	char words[256];
} webhook_read;

/* Signature checks, for the metrics endpoint (forged or stale webhooks show
 * as result="rejected"). */
static void count_check(sq_sig_result res)
{
	if (sq_metrics_enabled())
		sq_metrics_inc("shopq_webhook_checks_total", res == SQ_SIG_OK ? "result=\"ok\"" : "result=\"rejected\"", 1);
}

static void read_webhook(const payments_state *st, const sq_msg *msg, webhook_read *w)
{
	const char *sig = json_string_value(json_object_get(msg->body, "signature"));
	const char *body = json_string_value(json_object_get(msg->body, "body"));
	const char *received = json_string_value(json_object_get(msg->body, "received_at"));
	const char *to = NULL;
	long long now, t = 0;
	char why[256];
	sq_sig_result res;
	payments_event *ev = &w->ev;

	w->k = -1;
	if (payments_rfc3339_parse(received, &now)) {
		snprintf(w->words, sizeof w->words, "received_at \"%.64s\" is not an RFC 3339 time", received);
		return;
	}
	res = sq_webhook_verify(sig, st->webhook_secret, body, strlen(body), now, st->webhook_tolerance_s, &t);
	count_check(res);
	if (res != SQ_SIG_OK) {
		snprintf(w->words, sizeof w->words, "%s",
			 sq_webhook_describe(res, t, now, st->webhook_tolerance_s, why, sizeof why));
		return;
	}
	if (payments_event_parse(body, ev, w->words, sizeof w->words))
		return;
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (strcmp(targets[i].type, ev->type) == 0)
			to = targets[i].to;
	if (!to) {
		w->k = 0;
		return;
	}
	snprintf(w->via, sizeof w->via, "webhook %s", ev->id);
	w->m = (payments_move){ .to = to, .reference_id = ev->object_id, .order_id = ev->order_id, .refund_amount = -1,
				.via = w->via };
	if (strcmp(to, "failed") == 0) {
		w->m.code = ev->code[0] ? ev->code : "payment_failed";
		w->m.message = ev->message;
	} else if (strcmp(to, "refunded") == 0) {
		w->m.refund_amount = ev->amount_refunded;
	} else {
		w->m.code = ev->status[0] ? ev->status : NULL;
	}
	w->k = 1;
}

/* The message's reading: the one its first hook kept, else read now; the
 * first hook (keep) keeps it for the handler, which keeps none (into local). */
static const webhook_read *webhook_of(sq_ctx *ctx, const sq_msg *msg, webhook_read *local, int keep)
{
	webhook_read *w = sq_ctx_memo(ctx);

	if (w)
		return w;
	if (keep && (w = malloc(sizeof *w))) {
		read_webhook(sq_ctx_state(ctx), msg, w);
		sq_ctx_keep_memo(ctx, w);
		return w;
	}
	read_webhook(sq_ctx_state(ctx), msg, local);
	return local;
}

void payments_webhook_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	webhook_read local;
	const webhook_read *w = webhook_of(ctx, msg, &local, 1);

	if (w->k < 0)
		return; /* the handler rejects it: no first statement */
	if (w->k == 0) {
		f->sql = SQL_EVENT_ONLY;
		sq_first_strings(f, 2, (const char *const[]){ w->ev.id, w->ev.type });
	} else {
		payments_settle_event_first(&w->m, w->ev.id, w->ev.type, f);
	}
	/* two messages about one payment do not go ahead together */
	if (w->ev.order_id > 0)
		snprintf(f->key, sizeof f->key, "order %lld", w->ev.order_id);
	else
		snprintf(f->key, sizeof f->key, "intent %.50s", w->ev.object_id);
}

sq_outcome payments_handle_webhook(sq_ctx *ctx, const sq_msg *msg)
{
	webhook_read local;
	const webhook_read *w = webhook_of(ctx, msg, &local, 0);
	const payments_event *ev = &w->ev;
	PGresult *r;
	int moved, fresh;

	if (w->k < 0)
		return sq_reject(ctx, "webhook rejected: %s", w->words);
	if (w->k == 0) { /* recorded, so a repeat is told apart */
		const char *dp[] = { ev->id, ev->type };
		r = sq_query(ctx, SQL_EVENT_ONLY, 2, dp);
		if (!r)
			return sq_ctx_fail(ctx);
		fresh = atoi(PQcmdTuples(r)) > 0;
		PQclear(r);
		if (!fresh)
			sq_log_info("webhook %s (%s): seen before, nothing to do", ev->id, ev->type);
		else
			sq_log_info("webhook %s: event type %s is not one payments acts on", ev->id, ev->type);
		return SQ_OK;
	}
	/* the event recorded and the payment moved in one statement, only if the event is new */
	if (payments_settle_event(ctx, &w->m, ev->id, ev->type, &moved, &fresh))
		return sq_ctx_fail(ctx);
	if (!fresh) {
		sq_log_info("webhook %s (%s): seen before, nothing to do", ev->id, ev->type);
		return SQ_OK;
	}
	if (!moved)
		sq_log_info("webhook %s (%s, intent %s): the payment is already there or further: nothing changes", ev->id,
			    ev->type, ev->object_id);
	return SQ_OK;
}
