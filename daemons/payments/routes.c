// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-payments consumes (the payment.*
// commands), each with its message's schema, check and handler (and, for
// charges and webhooks, its first statement); the fuzz target
// tests/fuzz/fuzz_messages.c reads them too.
#include <stdio.h>

#include "payments.h"

static int check_currency(const json_t *body, char *err, size_t errlen)
{
	const char *c = json_string_value(json_object_get(body, "currency"));
	for (int i = 0; c && i < 3; i++)
		if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= 'a' && c[i] <= 'z'))) {
			snprintf(err, errlen, "field currency: \"%.8s\" is not a three-letter ISO 4217 code", c);
			return -1;
		}
	return 0;
}

static const sq_field charge_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, 9223372036854775807LL },
	{ "user_id", SQ_F_INT, 1, 1, 9223372036854775807LL },
	{ "amount", SQ_F_INT, 1, 1, 999999999999LL }, /* cents; numeric(12,2) */
	{ "currency", SQ_F_STRING, 1, 3, 3 },
	{ "payment_token_id", SQ_F_INT, 1, 1, 9223372036854775807LL },
	{ NULL, 0, 0, 0, 0 },
};

static const sq_field refund_fields[] = {
	{ "order_id", SQ_F_INT, 1, 1, 9223372036854775807LL },
	{ "reason", SQ_F_STRING, 0, 0, 500 },
	{ NULL, 0, 0, 0, 0 },
};

/* {} from the scheduler; operators and tests may narrow it */
static const sq_field reconcile_fields[] = {
	{ "older_than_s", SQ_F_INT, 0, 0, 86400 },
	{ "limit", SQ_F_INT, 0, 1, 1000 },
	{ NULL, 0, 0, 0, 0 },
};

static const sq_field webhook_fields[] = {
	{ "signature", SQ_F_STRING, 1, 0, 8192 },
	{ "body", SQ_F_STRING, 1, 1, 65536 },
	{ "received_at", SQ_F_STRING, 1, 1, 64 },
	{ NULL, 0, 0, 0, 0 },
};

const sq_route payments_routes[] = {
	{ "payment.charge", 0, charge_fields, check_currency, payments_handle_charge, payments_prepare_charges,
	  payments_charge_first },
	{ "payment.refund", 0, refund_fields, NULL, payments_handle_refund, NULL, NULL },
	{ "payment.reconcile", 0, reconcile_fields, NULL, payments_handle_reconcile, NULL, NULL },
	{ "payment.webhook", 0, webhook_fields, NULL, payments_handle_webhook, NULL, payments_webhook_first },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};
