// SPDX-License-Identifier: MIT
// main.c -- sq-testclient, the integration tests' AMQP hands: publish raw bytes
// with chosen properties, drain/count/purge/bind queues, flood many messages,
// pump them through a queue (the benchmark's RabbitMQ ceiling).
#include <jansson.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sq_amqp.h"
#include "sq_config.h"
#include "sq_uuid.h"

static int fail(const char *what, const sq_err *e)
{
	fprintf(stderr, "sq-testclient: %s: %s\n", what, e ? e->msg : "");
	return 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
		buf[n] = '\0';
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* raw EXCHANGE KEY [--no-message-id] [--message-id ID] [--content-type T] (--body S | --body-file F) */
static int cmd_raw(sq_amqp *a, int argc, char **argv, const sq_config *cfg)
{
	amqp_basic_properties_t p;
	const char *mid = NULL, *ctype = "application/json", *body = NULL;
	char idbuf[37], *filebuf = NULL;
	int no_mid = 0;
	size_t len = 0;
	sq_err e;

	if (argc < 2)
		return fail("usage", NULL);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--no-message-id")) no_mid = 1;
		else if (!strcmp(argv[i], "--message-id") && i + 1 < argc) mid = argv[++i];
		else if (!strcmp(argv[i], "--content-type") && i + 1 < argc) ctype = argv[++i];
		else if (!strcmp(argv[i], "--body") && i + 1 < argc) { body = argv[++i]; len = strlen(body); }
		else if (!strcmp(argv[i], "--body-file") && i + 1 < argc) {
			if (!(filebuf = read_file(argv[++i], &len)))
				return fail("cannot read body file", NULL);
			body = filebuf;
		} else
			return fail("unknown option", NULL);
	}
	if (!body)
		return fail("no body", NULL);
	if (!mid && !no_mid) {
		sq_uuid_v4(idbuf);
		mid = idbuf;
	}
	memset(&p, 0, sizeof p);
	p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
	p.delivery_mode = 2;
	p.content_type = amqp_cstring_bytes(ctype);
	if (mid) {
		p._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
		p.message_id = amqp_cstring_bytes(mid);
	}
	int rc = sq_amqp_publish_props(a, argv[0], argv[1], &p, body, len, &e) ||
		 sq_amqp_wait_confirms(a, cfg->amqp_confirm_timeout_ms, &e);
	free(filebuf);
	return rc ? fail("publish", &e) : 0;
}

static json_t *header_json(const amqp_basic_properties_t *p)
{
	json_t *h = json_object();
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return h;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *en = &p->headers.entries[i];
		char key[128];
		snprintf(key, sizeof key, "%.*s", (int)en->key.len, (const char *)en->key.bytes);
		switch (en->value.kind) {
		case AMQP_FIELD_KIND_UTF8:
		case AMQP_FIELD_KIND_BYTES:
			json_object_set_new(h, key, json_stringn(en->value.value.bytes.bytes, en->value.value.bytes.len));
			break;
		case AMQP_FIELD_KIND_I32: json_object_set_new(h, key, json_integer(en->value.value.i32)); break;
		case AMQP_FIELD_KIND_I64: json_object_set_new(h, key, json_integer(en->value.value.i64)); break;
		default: break;
		}
	}
	return h;
}

/* drain QUEUE: prints one JSON line per message (and acks it) until empty */
static int cmd_drain(sq_amqp *a, int argc, char **argv)
{
	sq_err e;
	int n = 0;

	if (argc < 1)
		return fail("usage", NULL);
	for (;;) {
		amqp_message_t m;
		uint64_t tag;
		char key[256];
		int got = sq_amqp_get(a, argv[0], &m, &tag, key, sizeof key, &e);
		if (got < 0)
			return fail("get", &e);
		if (got == 0)
			break;
		json_t *o = json_object();
		json_object_set_new(o, "message_id",
				    (m.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
					    ? json_stringn(m.properties.message_id.bytes, m.properties.message_id.len)
					    : json_null());
		json_object_set_new(o, "routing_key", json_string(key));
		json_object_set_new(o, "headers", header_json(&m.properties));
		json_t *body = json_stringn(m.body.bytes, m.body.len); /* NULL when not UTF-8 */
		json_object_set_new(o, "body", body ? body : json_string("<not UTF-8>"));
		char *s = json_dumps(o, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
		amqp_destroy_message(&m);
		if (sq_amqp_ack(a, tag, 0, &e))
			return fail("ack", &e);
		n++;
	}
	fflush(stdout);
	return 0;
}

/* Publishes n messages of TEMPLATE (its %d the index) to exchange/key,
 * confirmed 200 at a time, or each one and evenly spaced at rate per second
 * (then "start EPOCH", when message 0 left, is printed first). */
static int publish_n(sq_amqp *a, int n, const char *exchange, const char *key, const char *tmpl, double rate,
		     const sq_config *cfg, sq_err *e)
{
	char body[4096], id[37];
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rate > 0) { /* when message 0 leaves: message i leaves i / RATE seconds later */
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		printf("start %lld.%09ld\n", (long long)wall.tv_sec, wall.tv_nsec);
		fflush(stdout);
	}
	for (int i = 0; i < n; i++) {
		if (rate > 0) {
			double at = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9 + i / rate;
			struct timespec ts = { (time_t)at, (long)((at - (double)(time_t)at) * 1e9) };
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		snprintf(body, sizeof body, tmpl, i);
		sq_uuid_v4(id);
		if (sq_amqp_publish(a, exchange, key, id, NULL, body, strlen(body), e) ||
		    ((rate > 0 || (i + 1) % 200 == 0) && sq_amqp_wait_confirms(a, cfg->amqp_confirm_timeout_ms, e)))
			return -1;
	}
	return sq_amqp_wait_confirms(a, cfg->amqp_confirm_timeout_ms, e);
}

/* flood N EXCHANGE KEY TEMPLATE [RATE]: publish_n */
static int cmd_flood(sq_amqp *a, int argc, char **argv, const sq_config *cfg)
{
	sq_err e;

	if (argc < 4)
		return fail("usage", NULL);
	if (publish_n(a, atoi(argv[0]), argv[1], argv[2], argv[3], argc > 4 ? atof(argv[4]) : 0, cfg, &e))
		return fail("publish", &e);
	return 0;
}

/* The consuming half of pump: takes N messages from a queue with a prefetch,
 * acking each batch of ready deliveries at once (as the daemons do). */
typedef struct pump_consumer {
	const char *uri, *queue;
	int n, prefetch, got, rc;
	sq_err e;
} pump_consumer;

static void *pump_consume(void *arg)
{
	pump_consumer *c = arg;
	sq_amqp *a = sq_amqp_connect(c->uri, 0, 0, &c->e);

	if (!a || sq_amqp_consume(a, c->queue, c->prefetch, &c->e)) {
		c->rc = -1;
		sq_amqp_close(a);
		return NULL;
	}
	while (c->got < c->n) {
		amqp_envelope_t env;
		uint64_t last;
		int st = sq_amqp_next(a, 10000, &env, &c->e);
		if (st <= 0) {
			if (st == 0)
				sq_err_set(&c->e, "no delivery within 10 s after %d", c->got);
			c->rc = -1;
			break;
		}
		do {
			last = env.delivery_tag;
			amqp_destroy_envelope(&env);
			c->got++;
		} while (c->got < c->n && sq_amqp_next(a, 0, &env, &c->e) == 1);
		if (sq_amqp_ack(a, last, 1, &c->e)) {
			c->rc = -1;
			break;
		}
	}
	sq_amqp_close(a);
	return NULL;
}

/* pump N QUEUE EXCHANGE KEY TEMPLATE PREFETCH: publishes N messages (confirmed
 * in windows of 200, like flood) while a second connection consumes them from
 * QUEUE with PREFETCH, acking per batch; prints messages per second from the
 * first publish to the last ack. */
static int cmd_pump(sq_amqp *a, int argc, char **argv, const sq_config *cfg)
{
	pump_consumer c = { .uri = cfg->amqp_uri };
	struct timespec t0, t1;
	pthread_t th;
	sq_err e;

	if (argc != 6)
		return fail("usage", NULL);
	c.n = atoi(argv[0]);
	c.queue = argv[1];
	c.prefetch = atoi(argv[5]);
	if (c.n <= 0 || c.prefetch <= 0)
		return fail("usage", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&th, NULL, pump_consume, &c))
		return fail("thread", NULL);
	int rc = publish_n(a, c.n, argv[2], argv[3], argv[4], 0, cfg, &e);
	pthread_join(th, NULL);
	if (rc)
		return fail("publish", &e);
	if (c.rc)
		return fail("consume", &c.e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n", c.n / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
	return 0;
}

int main(int argc, char **argv)
{
	sq_config cfg;
	sq_err e;
	sq_amqp *a;
	int rc = 1;

	if (argc < 4 || strcmp(argv[1], "--config")) {
		fprintf(stderr, "usage: sq-testclient --config PATH raw|drain|count|purge|bind|flood|pump ARGS\n");
		return 2;
	}
	if (sq_config_load(&cfg, argv[2], &e))
		return fail("config", &e);
	if (!(a = sq_amqp_connect(cfg.amqp_uri, 0, 1, &e))) {
		sq_config_free(&cfg);
		return fail("connect", &e);
	}
	sq_amqp_allow_unrouted(a, NULL); /* a web tier's publishes: tests send to unbound keys on purpose */
	const char *cmd = argv[3];
	int cargc = argc - 4;
	char **cargv = argv + 4;
	if (!strcmp(cmd, "raw")) {
		rc = cmd_raw(a, cargc, cargv, &cfg);
	} else if (!strcmp(cmd, "drain")) {
		rc = cmd_drain(a, cargc, cargv);
	} else if (!strcmp(cmd, "count") && cargc == 1) {
		uint32_t msgs, cons;
		rc = sq_amqp_inspect(a, cargv[0], &msgs, &cons, &e) ? fail("inspect", &e)
								     : (printf("%u %u\n", msgs, cons), 0);
	} else if (!strcmp(cmd, "purge") && cargc == 1) {
		rc = sq_amqp_purge(a, cargv[0], &e) ? fail("purge", &e) : 0;
	} else if (!strcmp(cmd, "bind") && (cargc == 3 || cargc == 4)) {
		/* bind QUEUE EXCHANGE KEY [quorum|classic] */
		rc = (sq_amqp_declare_exchange(a, cargv[1], "topic", &e) ||
		      sq_amqp_declare_queue(a, cargv[0], cargc == 4 ? cargv[3] : "classic", 0, NULL, &e) ||
		      sq_amqp_bind(a, cargv[0], cargv[1], cargv[2], &e)) ? fail("bind", &e) : 0;
	} else if (!strcmp(cmd, "flood")) {
		rc = cmd_flood(a, cargc, cargv, &cfg);
	} else if (!strcmp(cmd, "pump")) {
		rc = cmd_pump(a, cargc, cargv, &cfg);
	} else {
		fprintf(stderr, "sq-testclient: unknown command %s\n", cmd);
	}
	sq_amqp_close(a);
	sq_config_free(&cfg);
	return rc;
}
