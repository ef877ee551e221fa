// SPDX-License-Identifier: MIT
// dlq.c -- `shopqctl dlq list QUEUE` and `dlq replay QUEUE [--id ID | --reason TEXT]
// [--dry-run] [--rate N]`: read Q.dead without losing anything; a replayed message
// is republished to Q with confirms and removed from Q.dead only after the
// confirm (a crash mid-replay duplicates nothing thanks to the inbox).
#include <amqp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "sq_amqp.h"

typedef struct dead_info {
	char message_id[201];
	char reason[768];
	char routing_key[256];
	int attempts;
	long long age_s;
} dead_info;

static void table_str(const amqp_table_t *t, const char *key, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int i = 0; t && i < t->num_entries; i++) {
		const amqp_table_entry_t *e = &t->entries[i];
		if (e->key.len == strlen(key) && memcmp(e->key.bytes, key, e->key.len) == 0 &&
		    (e->value.kind == AMQP_FIELD_KIND_UTF8 || e->value.kind == AMQP_FIELD_KIND_BYTES))
			snprintf(out, outlen, "%.*s", (int)e->value.value.bytes.len, (char *)e->value.value.bytes.bytes);
	}
}

static long long table_int(const amqp_table_t *t, const char *key)
{
	for (int i = 0; t && i < t->num_entries; i++) {
		const amqp_table_entry_t *e = &t->entries[i];
		if (e->key.len == strlen(key) && memcmp(e->key.bytes, key, e->key.len) == 0) {
			if (e->value.kind == AMQP_FIELD_KIND_I32)
				return e->value.value.i32;
			if (e->value.kind == AMQP_FIELD_KIND_I64)
				return e->value.value.i64;
		}
	}
	return 0;
}

static void describe(const amqp_message_t *m, dead_info *d)
{
	const amqp_basic_properties_t *p = &m->properties;
	const amqp_table_t *h = (p->_flags & AMQP_BASIC_HEADERS_FLAG) ? &p->headers : NULL;

	snprintf(d->message_id, sizeof d->message_id, "%.*s",
		 (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) ? (int)p->message_id.len : 6,
		 (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) ? (char *)p->message_id.bytes : "(none)");
	table_str(h, "x-shopq-error", d->reason, sizeof d->reason);
	table_str(h, "x-shopq-routing-key", d->routing_key, sizeof d->routing_key);
	d->attempts = (int)table_int(h, "x-shopq-attempts");
	long long failed_at = table_int(h, "x-shopq-failed-at");
	d->age_s = failed_at ? (long long)time(NULL) - failed_at : -1;
}

static const char *who(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = getenv("SUDO_USER");
	return u ? u : pw ? pw->pw_name : "unknown";
}

/* Republishes m to queue with the original properties minus the dead-letter
 * headers (attempts start again), keeping the routing key for dispatch. */
static int republish(sq_amqp *a, const char *queue, const amqp_message_t *m, const char *routing_key, sq_err *e)
{
	amqp_basic_properties_t p = m->properties;
	int n, rc;
	amqp_table_entry_t *ent = sq_amqp_copy_headers(&p, routing_key, 0, &n);

	if (!ent)
		return sq_err_set(e, "out of memory");
	p._flags |= AMQP_BASIC_HEADERS_FLAG;
	p.headers.num_entries = n;
	p.headers.entries = ent;
	rc = sq_amqp_publish_props(a, "", queue, &p, m->body.bytes, m->body.len, e);
	free(ent);
	return rc;
}

static int record_replay(sq_pg *pg, const char *queue, const dead_info *d)
{
	sq_err e;
	const char *p[] = { queue, d->message_id, d->reason, who() };
	PGresult *r = sq_pg_query(pg,
				  "INSERT INTO public.shopq_dlq_replays (queue, message_id, reason, replayed_by) "
				  "VALUES ($1, $2, $3, $4)",
				  4, p, &e);
	if (!r)
		return ctl_fail("dlq replay: recording the replay: %s", e.msg);
	PQclear(r);
	return 0;
}

int ctl_dlq(ctl *c, int argc, char **argv)
{
	const char *id = NULL, *reason = NULL;
	int replay, dry = 0, rate = 0, rc = 1, shown = 0, replayed = 0;
	char dead_q[300];
	sq_amqp *a = NULL;
	sq_pg *pg = NULL;
	sq_err e;

	if (argc < 2 || (strcmp(argv[0], "list") && strcmp(argv[0], "replay")))
		return ctl_fail("usage: shopqctl dlq list QUEUE | dlq replay QUEUE [--id ID | --reason TEXT] [--dry-run] [--rate N]");
	replay = strcmp(argv[0], "replay") == 0;
	for (int i = 2; i < argc; i++) {
		if (replay && !strcmp(argv[i], "--id") && i + 1 < argc) id = argv[++i];
		else if (replay && !strcmp(argv[i], "--reason") && i + 1 < argc) reason = argv[++i];
		else if (replay && !strcmp(argv[i], "--dry-run")) dry = 1;
		else if (replay && !strcmp(argv[i], "--rate") && i + 1 < argc && atoi(argv[i + 1]) > 0) rate = atoi(argv[++i]);
		else return ctl_fail("dlq: unknown option %s", argv[i]);
	}
	/* accept "shopq.orders" or "shopq.orders.dead" */
	size_t ql = strlen(argv[1]);
	if (ql > 5 && strcmp(argv[1] + ql - 5, ".dead") == 0)
		snprintf(dead_q, sizeof dead_q, "%.*s", (int)ql - 5, argv[1]);
	else
		snprintf(dead_q, sizeof dead_q, "%s", argv[1]);
	const char *work_q = dead_q;
	char dq[310];
	snprintf(dq, sizeof dq, "%s.dead", work_q);

	if (!(a = sq_amqp_connect(c->cfg.amqp_uri, 0, 1, &e)))
		return ctl_fail("dlq: %s", e.msg);
	if (sq_amqp_inspect(a, dq, NULL, NULL, &e)) {
		ctl_fail("dlq: no queue %s", dq);
		goto out;
	}
	if (replay && !dry && !(pg = ctl_pg(c)))
		goto out;
	if (!replay)
		printf("%-38s %8s %8s  %s\n", "MESSAGE_ID", "ATTEMPTS", "AGE", "REASON");
	for (;;) {
		amqp_message_t m;
		uint64_t tag;
		dead_info d;
		int got = sq_amqp_get(a, dq, &m, &tag, NULL, 0, &e);
		if (got < 0) {
			ctl_fail("dlq: %s", e.msg);
			goto out;
		}
		if (got == 0)
			break;
		describe(&m, &d);
		int match = (!id || strcmp(id, d.message_id) == 0) && (!reason || strstr(d.reason, reason));
		if (!replay) {
			char age[32];
			if (d.age_s < 0) snprintf(age, sizeof age, "-");
			else if (d.age_s < 60) snprintf(age, sizeof age, "%llds", d.age_s);
			else if (d.age_s < 3600) snprintf(age, sizeof age, "%lldm", d.age_s / 60);
			else snprintf(age, sizeof age, "%lldh", d.age_s / 3600);
			printf("%-38s %8d %8s  %s\n", d.message_id, d.attempts, age, d.reason);
			shown++;
		} else if (match) {
			if (dry) {
				printf("would replay %s (%s): %s\n", d.message_id, d.routing_key, d.reason);
			} else if (republish(a, work_q, &m, d.routing_key, &e) ||
				   sq_amqp_wait_confirms(a, c->cfg.amqp_confirm_timeout_ms, &e) ||
				   sq_amqp_ack(a, tag, 0, &e)) {
				amqp_destroy_message(&m);
				ctl_fail("dlq replay: %s (the message stays in %s)", e.msg, dq);
				goto out;
			} else {
				if (record_replay(pg, work_q, &d)) {
					amqp_destroy_message(&m);
					goto out;
				}
				printf("replayed %s\n", d.message_id);
			}
			replayed++;
			if (rate)
				usleep((useconds_t)(1000000 / rate));
		}
		amqp_destroy_message(&m);
	}
	if (replay)
		printf("%s %d message%s from %s\n", dry ? "would replay" : "replayed", replayed, replayed == 1 ? "" : "s", dq);
	else if (!shown)
		printf("(%s is empty)\n", dq);
	rc = 0;
out:
	sq_amqp_close(a); /* unacked gets go back to the dead-letter queue */
	sq_pg_free(pg);
	return rc;
}
