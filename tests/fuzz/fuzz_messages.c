// SPDX-License-Identifier: MIT
// fuzz_messages.c -- libFuzzer target: any bytes as the body of any message a
// daemon consumes. The first byte picks the routing key among every daemon's
// routes (their routes.c tables); the rest goes through the runtime's checks
// (sq_envelope_parse, then the route's schema and check). A notify message that
// passes becomes its Redis entry, templates rendered from its fields. The last
// choice renders a fuzzed template (up to the first newline) with fuzzed
// variables (the rest, as JSON). Must never crash or leak.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/inventory.h"
#include "notify/entry.h"
#include "notify/handlers.h"
#include "notify/templates.h"
#include "orders/orders.h"
#include "payments/payments.h"
#include "scheduler/sched.h"
#include "sq_envelope.h"

#define NOW 1732450000
#define MAX_BODY 4096

static const sq_route *const tables[] = { orders_routes, inventory_routes, payments_routes, notify_routes,
					   sched_routes };

/* Every route of every table, flat, with the table each came from. */
static const sq_route *routes[64], *owners[64];
static size_t nroutes;

static void list_routes(void)
{
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		for (const sq_route *r = tables[t]; r->routing_key; r++) {
			if (nroutes == sizeof routes / sizeof routes[0])
				abort(); /* more routes than this target holds: make routes[] larger */
			routes[nroutes] = r;
			owners[nroutes++] = tables[t];
		}
}

static void notify_entry_of(const sq_route *route, const json_t *body)
{
	notify_entry e;

	if (notify_entry_from_message(&e, NULL, route->routing_key, body, "fuzz", NOW, MAX_BODY) == 0 &&
	    (!e.title || !e.body || !e.data))
		abort(); /* a built entry has every part */
	notify_entry_free(&e);
}

static void render(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	char *tmpl = malloc(tlen + 1);
	json_t *vars = nl ? json_loadb((const char *)nl + 1, size - tlen - 1, 0, NULL) : NULL;

	if (tmpl) {
		memcpy(tmpl, data, tlen);
		tmpl[tlen] = '\0';
		char *out = notify_render(tmpl, vars, 200);
		if (out && strlen(out) > 200)
			abort(); /* never past max */
		free(out);
	}
	free(tmpl);
	json_decref(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	if (!nroutes)
		list_routes();
	if (size < 1)
		return 0;
	size_t pick = data[0] % (nroutes + 1);
	if (pick == nroutes) {
		render(data + 1, size - 1);
		return 0;
	}
	const sq_route *route = routes[pick];
	json_t *body = sq_envelope_parse(data + 1, size - 1, "application/json", "fuzz", err, sizeof err);
	if (!body)
		return 0;
	if (sq_schema_validate(body, route->fields, route->check, err, sizeof err) == 0 && owners[pick] == notify_routes)
		notify_entry_of(route, body);
	json_decref(body);
	return 0;
}
