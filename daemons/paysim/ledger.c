// SPDX-License-Identifier: MIT
// ledger.c -- storage, id allocation/lookup and JSON rendering of paysim's intents
// and refunds.
#include "ledger.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ledger_init(ledger *l, const char *tag)
{
	memset(l, 0, sizeof *l);
	snprintf(l->tag, sizeof l->tag, "%s", tag);
}

void ledger_clear(ledger *l)
{
	for (size_t i = 0; i < l->n_intents; i++) {
		free(l->intents[i].order_id);
		free(l->intents[i].idem_key);
	}
	for (size_t i = 0; i < l->n_refunds; i++)
		free(l->refunds[i].idem_key);
	l->n_intents = 0;
	l->n_refunds = 0;
	l->n_rows = 0;
	l->pi_base = l->pi_counter;
	l->re_base = l->re_counter;
}

void ledger_free(ledger *l)
{
	ledger_clear(l);
	free(l->intents);
	free(l->refunds);
	free(l->rows);
	l->intents = NULL;
	l->refunds = NULL;
	l->rows = NULL;
	l->cap_intents = l->cap_refunds = l->cap_rows = 0;
}

/* Grows *arr (elements of size sz) to hold n + 1. 0 ok, -1 out of memory. */
static int reserve_one(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	if (ncap > SIZE_MAX / sz)
		return -1;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -1;
}

long ledger_add_intent(ledger *l, const char *order_id, const char *idem_key)
{
	ledger_intent *it;
	char *oid = NULL, *key = NULL;

	if (reserve_one((void **)&l->intents, &l->cap_intents, l->n_intents, sizeof *l->intents))
		goto fail;
	if (reserve_one((void **)&l->rows, &l->cap_rows, l->n_rows, sizeof *l->rows))
		goto fail;
	if (dup_opt(order_id, &oid) || dup_opt(idem_key, &key))
		goto fail;
	it = &l->intents[l->n_intents];
	memset(it, 0, sizeof *it);
	l->pi_counter++;
	snprintf(it->id, sizeof it->id, "pi_%s_%llu", l->tag, l->pi_counter);
	it->order_id = oid;
	it->idem_key = key;
	l->rows[l->n_rows].is_refund = 0;
	l->rows[l->n_rows].index = l->n_intents;
	l->n_rows++;
	return (long)l->n_intents++;
fail:
	free(oid);
	free(key);
	return -1;
}

long ledger_add_refund(ledger *l, size_t intent, long long amount, const char *idem_key)
{
	ledger_refund *r;
	char *key = NULL;

	if (reserve_one((void **)&l->refunds, &l->cap_refunds, l->n_refunds, sizeof *l->refunds))
		goto fail;
	if (reserve_one((void **)&l->rows, &l->cap_rows, l->n_rows, sizeof *l->rows))
		goto fail;
	if (dup_opt(idem_key, &key))
		goto fail;
	r = &l->refunds[l->n_refunds];
	memset(r, 0, sizeof *r);
	l->re_counter++;
	snprintf(r->id, sizeof r->id, "re_%s_%llu", l->tag, l->re_counter);
	r->intent = intent;
	r->amount = amount;
	r->idem_key = key;
	l->rows[l->n_rows].is_refund = 1;
	l->rows[l->n_rows].index = l->n_refunds;
	l->n_rows++;
	return (long)l->n_refunds++;
fail:
	free(key);
	return -1;
}

long ledger_find_intent(const ledger *l, const char *id)
{
	size_t tlen = strlen(l->tag);
	unsigned long long n = 0;
	const char *p;
	size_t digits = 0;

	if (!id || strncmp(id, "pi_", 3) != 0 || strncmp(id + 3, l->tag, tlen) != 0 ||
	    id[3 + tlen] != '_')
		return -1;
	p = id + 4 + tlen;
	if (*p == '0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || ++digits > 19)
			return -1;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	if (digits == 0 || n <= l->pi_base || n - l->pi_base - 1 >= l->n_intents)
		return -1;
	return (long)(n - l->pi_base - 1);
}

const char *ledger_status_str(ledger_pi_status s)
{
	switch (s) {
	case LEDGER_PI_SUCCEEDED:
		return "succeeded";
	case LEDGER_PI_PROCESSING:
		return "processing";
	case LEDGER_PI_REQUIRES_PAYMENT_METHOD:
		return "requires_payment_method";
	}
	return "unknown";
}

json_t *ledger_intent_json(const ledger *l, size_t i)
{
	const ledger_intent *it = &l->intents[i];
	json_t *lpe = NULL;

	if (it->declined) {
		lpe = json_pack("{s:s, s:s, s:s}", "code", "card_declined", "message",
		                "Your card was declined.", "type", "card_error");
		if (!lpe)
			return NULL;
	}
	/* "o?" steals lpe and turns NULL into JSON null */
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:s*}, s:o?, s:I}", "id", it->id,
	                 "object", "payment_intent", "amount", (json_int_t)it->amount,
	                 "amount_refunded", (json_int_t)it->amount_refunded, "currency",
	                 it->currency, "status", ledger_status_str(it->status), "payment_method",
	                 it->payment_method, "metadata", "order_id", it->order_id,
	                 "last_payment_error", lpe, "created", (json_int_t)it->created);
}

json_t *ledger_refund_json(const ledger *l, size_t i)
{
	const ledger_refund *r = &l->refunds[i];
	const ledger_intent *it = &l->intents[r->intent];

	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "id", r->id, "object", "refund",
	                 "payment_intent", it->id, "amount", (json_int_t)r->amount, "currency",
	                 it->currency, "status", "succeeded", "created", (json_int_t)r->created);
}

static json_t *charge_row_json(const ledger *l, const ledger_row *row)
{
	if (!row->is_refund) {
		const ledger_intent *it = &l->intents[row->index];
		return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:{s:s*}, s:s?, s:s?}", "id",
		                 it->id, "object", "payment_intent", "amount",
		                 (json_int_t)it->amount, "amount_refunded",
		                 (json_int_t)it->amount_refunded, "currency", it->currency,
		                 "status", ledger_status_str(it->status), "payment_method",
		                 it->payment_method, "metadata", "order_id", it->order_id,
		                 "order_id", it->order_id, "idempotency_key", it->idem_key);
	}
	const ledger_refund *r = &l->refunds[row->index];
	const ledger_intent *it = &l->intents[r->intent];
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:{s:s*}, s:s?, s:s?}", "id", r->id,
	                 "object", "refund", "amount", (json_int_t)r->amount, "currency",
	                 it->currency, "status", "succeeded", "payment_intent", it->id, "metadata",
	                 "order_id", it->order_id, "order_id", it->order_id, "idempotency_key",
	                 r->idem_key);
}

json_t *ledger_charges_json(const ledger *l)
{
	json_t *arr = json_array();

	if (!arr)
		goto fail;
	for (size_t i = 0; i < l->n_rows; i++) {
		json_t *row = charge_row_json(l, &l->rows[i]);
		if (!row || json_array_append_new(arr, row) != 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}
