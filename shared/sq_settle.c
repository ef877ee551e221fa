// SPDX-License-Identifier: MIT
// sq_settle.c -- a batch's malformed deliveries dead-lettered before its
// transaction runs (their confirms come meanwhile); after the commit, its
// messages published, retries and the handlers' dead letters sent with their
// reasons (all with confirms), then the batch acked at once.
#include "sq_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sq_log.h"
#include "sq_metrics.h"

static int publish_copy(rt *r, item *it, const char *queue, int attempt, int final_attempts, sq_err *err)
{
	amqp_basic_properties_t p = it->env.message.properties;
	int n, rc;
	amqp_table_entry_t *e = sq_amqp_copy_headers(&p, it->routing_key, 4, &n);

	if (!e)
		return sq_err_set(err, "out of memory");
	e[n].key = amqp_cstring_bytes(final_attempts ? "x-shopq-error" : "x-shopq-last-error");
	e[n].value.kind = AMQP_FIELD_KIND_UTF8;
	e[n++].value.value.bytes = amqp_cstring_bytes(it->reason);
	e[n].key = amqp_cstring_bytes(final_attempts ? "x-shopq-attempts" : "x-shopq-attempt");
	e[n].value.kind = AMQP_FIELD_KIND_I32;
	e[n++].value.value.i32 = final_attempts ? final_attempts : attempt;
	if (final_attempts) {
		e[n].key = amqp_cstring_bytes("x-shopq-failed-at");
		e[n].value.kind = AMQP_FIELD_KIND_I64;
		e[n++].value.value.i64 = (int64_t)time(NULL);
	}
	e[n].key = amqp_cstring_bytes("x-shopq-queue");
	e[n].value.kind = AMQP_FIELD_KIND_UTF8;
	e[n++].value.value.bytes = amqp_cstring_bytes(r->d->queue);
	p._flags |= AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
	p.delivery_mode = 2;
	p.headers.num_entries = n;
	p.headers.entries = e;
	rc = sq_amqp_publish_props(r->pub, "", queue, &p, it->env.message.body.bytes, it->env.message.body.len,
				   err);
	free(e);
	return rc;
}

static void count_outcome(rt *r, const char *outcome)
{
	char labels[200];
	if (!sq_metrics_enabled())
		return;
	sq_metrics_labels(labels, sizeof labels, r->d->queue, "outcome", outcome);
	sq_metrics_inc("shopq_messages_total", labels, 1);
}

/* One more batch settled: shopq_messages_total over this is the mean batch size,
 * what runtime.stream_linger_us and batch_linger_ms buy under load. */
static void count_batch(rt *r)
{
	char labels[160];
	if (!sq_metrics_enabled())
		return;
	sq_metrics_labels(labels, sizeof labels, r->d->queue, NULL, NULL);
	sq_metrics_inc("shopq_batches_total", labels, 1);
}

/* Logs and publishes its dead letter, its reason in it->reason. */
static int dead_letter(rt *r, item *it, sq_err *err)
{
	sq_log_warn("queue=%s message_id=%s attempt=%d: dead-lettered: %s", r->d->queue,
		    it->message_id[0] ? it->message_id : "(none)", it->attempt, it->reason);
	return publish_copy(r, it, r->dead_q, it->attempt, it->attempt, err);
}

/* Dead-letters the deliveries rejected before any handler ran (malformed,
 * unknown routing key) right away: their confirms arrive while the batch's
 * transaction runs, so that settling it need not wait for its own publishes'
 * confirms. The batch is acked only after these confirms, as before. */
int sq_rt_dead_letter_rejected(rt *r, item *items, int n, uint64_t *upto, sq_err *err)
{
	*upto = 0;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		if (!it->decided || it->outcome != SQ_REJECT)
			continue;
		if (dead_letter(r, it, err))
			return -1;
		it->dead_lettered = 1;
		*upto = sq_amqp_last_tag(r->pub);
	}
	if (*upto)
		sq_amqp_flush(r->pub);
	return 0;
}

/* Publishes the batch's messages, its retries and dead letters, then acks the
 * batch at once. The committed messages are safe in the outbox: the batch is
 * acked without waiting for their confirms, which later reads take (their rows
 * are deleted once confirmed). A retry or a dead letter exists only in the
 * broker: its confirm is awaited before the ack (for those sent before the
 * transaction, up to dead_upto, and no later publish). */
int sq_rt_settle(rt *r, item *items, int n, uint64_t dead_upto, sq_err *err)
{
	uint64_t upto = dead_upto; /* the last copy's publish tag: confirmed before the ack */

	if (sq_rt_publish_committed(r, err))
		return -1;
	sq_rt_inflight_add(r);
	count_batch(r);
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		const char *mid = it->message_id[0] ? it->message_id : "(none)";
		if (it->outcome == SQ_OK) {
			count_outcome(r, strcmp(it->reason, "duplicate") == 0 ? "duplicate" : "ok");
			continue;
		}
		if (it->dead_lettered) {
			count_outcome(r, "dead_lettered");
			continue;
		}
		if (it->outcome == SQ_RETRY) {
			int tier = sq_retry_tier(&r->cfg.retry, it->attempt);
			if (tier >= 0) {
				sq_log_info("queue=%s message_id=%s attempt=%d: retry in %d s: %s", r->d->queue, mid,
					    it->attempt, r->cfg.retry.delays_s[tier], it->reason);
				if (publish_copy(r, it, r->retry_q[tier], it->attempt + 1, 0, err))
					return -1;
				upto = sq_amqp_last_tag(r->pub);
				count_outcome(r, "retried");
				continue;
			}
			char last[sizeof it->reason];
			memcpy(last, it->reason, sizeof last);
			snprintf(it->reason, sizeof it->reason, "gave up after %d attempts: %.700s", it->attempt, last);
		}
		if (dead_letter(r, it, err))
			return -1;
		upto = sq_amqp_last_tag(r->pub);
		count_outcome(r, "dead_lettered");
	}
	if (upto) {
		int rc = sq_rt_await_confirmed(r, upto, err);
		if (rc)
			return rc;
	} else {
		sq_amqp_flush(r->pub);
	}
	return sq_amqp_ack(r->cons, items[n - 1].env.delivery_tag, 1, err);
}
