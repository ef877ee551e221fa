// SPDX-License-Identifier: MIT
// publish.c -- `shopqctl publish ROUTING_KEY JSON`: one persistent
// application/json message with a fresh message_id; exits 0 only once the
// broker confirmed it and a queue took it.
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sq_amqp.h"
#include "sq_runtime.h"
#include "sq_uuid.h"

int ctl_publish(ctl *c, int argc, char **argv)
{
	const char *exchange = SQ_EXCHANGE_COMMANDS;
	const char *mid = NULL;
	char idbuf[37];
	json_error_t jerr;
	json_t *doc;
	sq_amqp *a;
	sq_err e;
	int i = 0, rc = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--events") == 0)
			exchange = SQ_EXCHANGE_EVENTS;
		else if (strcmp(argv[i], "--message-id") == 0 && i + 1 < argc)
			mid = argv[++i];
		else
			return ctl_fail("publish: unknown option %s", argv[i]);
	}
	if (argc - i != 2)
		return ctl_fail("usage: shopqctl publish [--message-id ID] [--events] ROUTING_KEY JSON");
	doc = json_loads(argv[i + 1], JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return ctl_fail("publish: JSON is invalid: line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ctl_fail("publish: JSON must be an object");
	}
	json_decref(doc);
	if (!mid) {
		if (sq_uuid_v4(idbuf))
			return ctl_fail("publish: no random source for a message_id");
		mid = idbuf;
	}
	a = sq_amqp_connect(c->cfg.amqp_uri, 0, 1, &e);
	if (!a)
		return ctl_fail("publish: %s", e.msg);
	sq_amqp_allow_unrouted(a, SQ_EXCHANGE_EVENTS); /* a command must reach a queue; an event need not */
	if (sq_amqp_declare_exchange(a, exchange, "topic", &e) ||
	    sq_amqp_publish(a, exchange, argv[i], mid, NULL, argv[i + 1], strlen(argv[i + 1]), &e) ||
	    sq_amqp_wait_confirms(a, c->cfg.amqp_confirm_timeout_ms, &e)) {
		ctl_fail("publish: %s", e.msg);
		goto out;
	}
	printf("%s\n", mid);
	rc = 0;
out:
	sq_amqp_close(a);
	return rc;
}
