// SPDX-License-Identifier: MIT
// audit.c -- `shopqctl audit [--no-provider]`: checks the invariants the contract
// promises across modules (stock never negative, reservations match orders,
// one successful charge per confirmed order, refunds for cancelled paid ones,
// nothing left in outboxes or work queues) and says which failed.
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sq_amqp.h"
#include "sq_form.h"

typedef struct check {
	const char *name;
	const char *sql; /* returns the offending order/product ids */
} check;

static const check checks[] = {
	{ "stock is never negative", "SELECT product_id FROM catalog.inventory WHERE quantity < 0" },
	{ "confirmed and shipped orders hold sold stock",
	  "SELECT o.id FROM sales.orders o LEFT JOIN catalog.reservations r ON r.order_id = o.id "
	  "WHERE o.order_status IN ('confirmed', 'shipped') AND r.status IS DISTINCT FROM 'committed'" },
	{ "cancelled orders hold no stock",
	  "SELECT o.id FROM sales.orders o JOIN catalog.reservations r ON r.order_id = o.id "
	  "WHERE o.order_status = 'cancelled' AND r.status IN ('reserved', 'committed')" },
	{ "reserved units equal ordered units",
	  "SELECT o.id FROM sales.orders o JOIN catalog.reservations r ON r.order_id = o.id "
	  "AND r.status IN ('reserved', 'committed') "
	  "WHERE (SELECT sum(quantity) FROM sales.order_items WHERE order_id = o.id) IS DISTINCT FROM "
	  "(SELECT sum(quantity) FROM catalog.reservation_items WHERE reservation_id = r.id)" },
	{ "confirmed and shipped orders are paid",
	  "SELECT o.id FROM sales.orders o LEFT JOIN payments.payment p ON p.order_id = o.id "
	  "WHERE o.order_status IN ('confirmed', 'shipped') "
	  "AND (p.status IS DISTINCT FROM 'succeeded' OR o.payment_status <> 'paid')" },
	{ "cancelled paid orders are refunded",
	  "SELECT o.id FROM sales.orders o JOIN payments.payment p ON p.order_id = o.id "
	  "WHERE o.order_status = 'cancelled' AND p.status = 'succeeded'" },
	{ "outboxes are empty (every change's event was published)",
	  "SELECT 'sales' FROM sales.outbox UNION ALL SELECT 'catalog' FROM catalog.outbox "
	  "UNION ALL SELECT 'payments' FROM payments.outbox UNION ALL SELECT 'notify' FROM notify.outbox "
	  "UNION ALL SELECT 'scheduler' FROM scheduler.outbox" },
	{ "no order is stuck before a final state",
	  "SELECT id FROM sales.orders WHERE order_status IN ('pending', 'awaiting_payment') "
	  "AND updated_at < now() - interval '10 minutes'" },
};

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
	return sq_buf_append(ud, data, size * n) ? 0 : size * n;
}

/* Provider side: per order, successful intents and whether each was refunded. */
static int audit_provider(ctl *c, sq_pg *pg, int *failures)
{
	char url[512];
	sq_buf body = { 0 };
	CURL *h = curl_easy_init();
	json_error_t jerr;
	json_t *charges = NULL, *ch;
	size_t i;
	long status = 0;
	int bad_confirmed = 0, bad_cancelled = 0, double_charged = 0;
	sq_err e;

	snprintf(url, sizeof url, "%s/__paysim/charges", c->cfg.gateway_url);
	if (!h)
		return -1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(h) != CURLE_OK || (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status != 200) ||
	    !(charges = json_loadb(body.data, body.len, 0, &jerr)) || !json_is_array(charges)) {
		printf("%-60s %s\n", "provider ledger", "SKIPPED (simulator not reachable)");
		curl_easy_cleanup(h);
		sq_buf_free(&body);
		json_decref(charges);
		return 0;
	}
	curl_easy_cleanup(h);
	sq_buf_free(&body);

	PGresult *r = sq_pg_query(pg, "SELECT id, order_status FROM sales.orders", 0, NULL, &e);
	if (!r) {
		json_decref(charges);
		return ctl_fail("audit: %s", e.msg);
	}
	for (int row = 0; row < PQntuples(r); row++) {
		const char *oid = PQgetvalue(r, row, 0), *st = PQgetvalue(r, row, 1);
		int ok = 0, unrefunded = 0;
		json_array_foreach(charges, i, ch) {
			const char *o = json_string_value(json_object_get(ch, "order_id"));
			if (!o || strcmp(o, oid) || strcmp(json_string_value(json_object_get(ch, "object")) ?: "", "payment_intent") ||
			    strcmp(json_string_value(json_object_get(ch, "status")) ?: "", "succeeded"))
				continue;
			ok++;
			if (json_integer_value(json_object_get(ch, "amount_refunded")) < json_integer_value(json_object_get(ch, "amount")))
				unrefunded++;
		}
		if (ok > 1)
			double_charged++;
		if ((!strcmp(st, "confirmed") || !strcmp(st, "shipped")) && ok != 1)
			bad_confirmed++;
		if (!strcmp(st, "cancelled") && unrefunded)
			bad_cancelled++;
	}
	PQclear(r);
	json_decref(charges);
	printf("%-60s %s\n", "provider: at most one successful charge per order", double_charged ? "FAIL" : "ok");
	printf("%-60s %s\n", "provider: one successful charge per confirmed order", bad_confirmed ? "FAIL" : "ok");
	printf("%-60s %s\n", "provider: cancelled orders' charges refunded", bad_cancelled ? "FAIL" : "ok");
	*failures += (double_charged > 0) + (bad_confirmed > 0) + (bad_cancelled > 0);
	return 0;
}

int ctl_audit(ctl *c, int argc, char **argv)
{
	int provider = !(argc == 1 && strcmp(argv[0], "--no-provider") == 0);
	int failures = 0;
	sq_pg *pg;
	sq_err e;

	if (argc > 1 || (argc == 1 && provider))
		return ctl_fail("usage: shopqctl audit [--no-provider]");
	if (!(pg = ctl_pg(c)))
		return 1;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		PGresult *r = sq_pg_query(pg, checks[i].sql, 0, NULL, &e);
		if (!r) {
			sq_pg_free(pg);
			return ctl_fail("audit: %s: %s", checks[i].name, e.msg);
		}
		int n = PQntuples(r);
		printf("%-60s %s", checks[i].name, n ? "FAIL" : "ok");
		for (int k = 0; k < n && k < 5; k++)
			printf("%s%s", k ? ", " : " (", PQgetvalue(r, k, 0));
		printf(n > 5 ? ", ... %d in all)\n" : n ? ")\n" : "\n", n);
		failures += n > 0;
		PQclear(r);
	}
	sq_amqp *a = sq_amqp_connect(c->cfg.amqp_uri, 0, 0, &e);
	if (a) {
		static const char *const qs[] = { "shopq.orders", "shopq.inventory", "shopq.payments", "shopq.notify", NULL };
		int backlog = 0;
		for (int i = 0; qs[i]; i++) {
			uint32_t m = 0;
			if (sq_amqp_inspect(a, qs[i], &m, NULL, &e) == 0)
				backlog += (int)m;
		}
		printf("%-60s %s\n", "work queues drained", backlog ? "FAIL" : "ok");
		failures += backlog > 0;
		sq_amqp_close(a);
	}
	if (provider && audit_provider(c, pg, &failures)) {
		sq_pg_free(pg);
		return 1;
	}
	sq_pg_free(pg);
	if (failures)
		return ctl_fail("audit: %d invariant%s broken", failures, failures == 1 ? "" : "s");
	printf("audit: all invariants hold\n");
	return 0;
}
