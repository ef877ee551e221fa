// SPDX-License-Identifier: MIT
// sq_loop.c -- the daemon loop, written once: connect, declare, consume a batch,
// check each envelope, run handlers in one transaction with a savepoint each
// (inbox first; the runtime's statements in libpq pipelines), commit with the
// batch's outbox rows, publish them from memory with confirms, then ack, retry
// or dead-letter; the outbox sweep, inbox pruning, signals, sd_notify and
// reconnects with backoff.

#include "sq_runtime.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sq_amqp.h"
#include "sq_buf.h"
#include "sq_log.h"
#include "sq_metrics.h"
#include "sq_pg.h"
#include "sq_sd.h"
#include "sq_signal.h"
#include "sq_uuid.h"
#include "sq_version.h"

#define MAX_BATCH 1000
#define IDLE_WAIT_MS 1000
#define SENT_DELETE_WAIT_MS 20
#define PRUNE_EVERY_S 60 /* how often old inbox rows are looked for */
#define SWEEP_MIN_AGE_S 5 /* the sweep leaves younger rows to the process publishing them */

/* An event or command emitted by a handler of the running batch. */
typedef struct out_msg {
	const char *exchange; /* static */
	char *routing_key;
	char message_id[37];
	char *body;
} out_msg;

typedef struct rt {
	const sq_daemon *d;
	sq_config cfg;
	void *state;
	sq_pg *pg;
	sq_amqp *cons; /* consuming connection (deliveries, acks) */
	sq_amqp *pub;  /* publishing connection (confirm mode) */
	char dead_q[160];
	char retry_q[SQ_RETRY_MAX_TIERS][160];
	/* the runtime's SQL for the daemon's schema (stable pointers: prepared once) */
	char *sql_inbox_many, *sql_inbox_del, *sql_inbox_prune, *sql_attempt_prune, *sql_attempt_inc, *sql_attempt_del, *sql_outbox_ins, *sql_outbox_ins_many,
		*sql_outbox_sel, *sql_outbox_del;
	int outbox_pending; /* rows may wait in the outbox: sweep it now */
	/* outbox ids, comma-separated ("7,8"): */
	sq_buf left_ids; /* rows this process knows it left there (swept at any age) */
	/* Messages the running batch emitted: out[0..ncommitted) are committed (their
	 * ids in committed_ids) and published right after the commit; the rest are
	 * still in the open transaction. */
	out_msg *out;
	int nout, ncommitted, out_cap, buffering;
	sq_buf committed_ids;
	sq_buf sent_ids; /* published and confirmed: deleted with the next transaction */
	sq_buf sent_param, left_param; /* those lists as array literals ("{7,8}") */
	/* Steps sent with the next handler statement: the batch's opening (BEGIN,
	 * the deletion of sent rows, the inbox rows) with the first message's, and
	 * the savepoint of the message in hand (pending_sp). */
	sq_pg_step pending[6];
	int npending, pending_sp, savepoint_open;
	sq_buf open_ids;             /* the inbox rows' message ids, as an array literal */
	const char *open_params[2], *del_param;
	int open_at;                 /* pending[] index of the inbox insert; -1 once answered */
	int open_failed;             /* the opening failed (why in open_err): the whole transaction goes */
	sq_err open_err;
	struct item *items;          /* the transaction's messages, marked fresh by the inbox's answer */
	int nitems;
	int spec;                    /* the message whose handler runs before that answer, or -1 */
	int msg_mark;                /* out[] when the message in hand started */
	int *by_id;                  /* mark_fresh's scratch, batch_size long: indices sorted by message id */
} rt;

struct sq_ctx {
	rt *rt;
	char reason[768];
};

struct item {
	amqp_envelope_t env;
	json_t *body;
	char message_id[201];
	char routing_key[256];
	const sq_route *route;
	int attempt;
	int redelivered;
	sq_outcome outcome;
	int decided; /* outcome final before the transaction (envelope reject) */
	int fresh;   /* not in the inbox yet: its handler runs */
	char reason[768];
};
typedef struct item item;


/* ------------------------------------------------------------------ ctx API */

const sq_config *sq_ctx_config(sq_ctx *ctx) { return &ctx->rt->cfg; }
void *sq_ctx_state(sq_ctx *ctx) { return ctx->rt->state; }
static int send_pending(rt *r, sq_pg_step *then, sq_err *e);

/* The message whose handler ran ahead of the inbox's answer was handled
 * before: its handler must stop (the runtime undoes what it did). */
static int ahead_was_duplicate(sq_ctx *ctx)
{
	rt *r = ctx->rt;
	if (r->spec < 0 || r->items[r->spec].fresh)
		return 0;
	snprintf(ctx->reason, sizeof ctx->reason, "handled before (duplicate)");
	return 1;
}

PGconn *sq_ctx_pg(sq_ctx *ctx)
{
	sq_err e;
	if (send_pending(ctx->rt, NULL, &e))
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
	else if (ahead_was_duplicate(ctx))
		return NULL;
	return sq_pg_conn(ctx->rt->pg);
}
const char *sq_ctx_reason(sq_ctx *ctx) { return ctx->reason; }

/* A statement of a handler; the first of a message carries its savepoint. */
PGresult *sq_query(sq_ctx *ctx, const char *sql, int nparams, const char *const *params)
{
	rt *r = ctx->rt;
	PGresult *res = NULL;
	sq_err e;

	if (r->npending) {
		sq_pg_step q = { .sql = sql, .nparams = nparams, .params = params, .keep = 1 };
		if (send_pending(r, &q, &e) == 0)
			res = q.result;
		if (res && ahead_was_duplicate(ctx)) {
			PQclear(res);
			return NULL;
		}
	} else {
		res = sq_pg_query(r->pg, sql, nparams, params, &e);
	}
	if (!res)
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
	return res;
}

int sq_query_ll(sq_ctx *ctx, const char *sql, int nparams, const char *const *params, long long *ret,
		int *ret_found)
{
	PGresult *r = sq_query(ctx, sql, nparams, params);
	if (!r)
		return -1;
	*ret_found = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0);
	*ret = *ret_found ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

static void out_truncate(rt *r, int n)
{
	while (r->nout > n) {
		out_msg *m = &r->out[--r->nout];
		free(m->routing_key);
		free(m->body);
	}
}

/* Keeps a message of the running batch for its multi-row insert at commit. */
static int out_push(rt *r, const char *exchange, const char *routing_key, const char *id, char *text)
{
	if (r->nout == r->out_cap) {
		int cap = r->out_cap ? r->out_cap * 2 : 64;
		out_msg *o = realloc(r->out, (size_t)cap * sizeof *o);
		if (!o)
			return -1;
		r->out = o;
		r->out_cap = cap;
	}
	out_msg *m = &r->out[r->nout];
	if (!(m->routing_key = strdup(routing_key)))
		return -1;
	m->exchange = exchange;
	snprintf(m->message_id, sizeof m->message_id, "%s", id);
	m->body = text;
	r->nout++;
	return 0;
}

/* Appends ids ("7" or "7,8") to a comma-separated id list. */
static void id_list_add(sq_buf *list, const char *ids, size_t len)
{
	if (!len)
		return;
	if (list->len)
		(void)sq_buf_append(list, ",", 1);
	(void)sq_buf_append(list, ids, len);
}

/* An id list as a PostgreSQL array literal ("{7,8}"), built in scratch; NULL
 * when out of memory. */
static const char *id_array(sq_buf *scratch, const sq_buf *list)
{
	sq_buf_reset(scratch);
	(void)sq_buf_append(scratch, "{", 1);
	if (list->len)
		(void)sq_buf_append(scratch, list->data, list->len);
	(void)sq_buf_append(scratch, "}", 1);
	return scratch->oom ? NULL : scratch->data;
}

/* Notes outbox rows (ids "7,8" or one) the sweep must publish now. */
static void left_add(rt *r, const char *ids, size_t len)
{
	id_list_add(&r->left_ids, ids, len);
	r->outbox_pending = 1;
}

static int emit(sq_ctx *ctx, const char *exchange, const char *routing_key, json_t *body)
{
	char id[37];
	char *text = NULL;
	PGresult *res;
	rt *r = ctx->rt;
	int rc = -1;

	if (!body || sq_uuid_v4(id) || !(text = json_dumps(body, JSON_COMPACT))) {
		snprintf(ctx->reason, sizeof ctx->reason, "cannot build the %s message", routing_key);
		goto out;
	}
	if (r->buffering) { /* inserted with the batch's other messages just before its commit */
		if (out_push(r, exchange, routing_key, id, text)) {
			snprintf(ctx->reason, sizeof ctx->reason, "out of memory");
			goto out;
		}
		text = NULL;
		rc = 0;
		goto out;
	}
	const char *params[] = { exchange, routing_key, id, text };
	res = sq_query(ctx, r->sql_outbox_ins, 4, params);
	if (!res)
		goto out;
	left_add(r, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	rc = 0;
out:
	free(text);
	json_decref(body);
	return rc;
}

int sq_emit_event(sq_ctx *ctx, const char *routing_key, json_t *body)
{
	return emit(ctx, SQ_EXCHANGE_EVENTS, routing_key, body);
}

int sq_emit_command(sq_ctx *ctx, const char *routing_key, json_t *body)
{
	return emit(ctx, SQ_EXCHANGE_COMMANDS, routing_key, body);
}

sq_outcome sq_retry(sq_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->reason, sizeof ctx->reason, fmt, ap);
	va_end(ap);
	return SQ_RETRY;
}

sq_outcome sq_reject(sq_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->reason, sizeof ctx->reason, fmt, ap);
	va_end(ap);
	return SQ_REJECT;
}

/* Undoes the message in hand: what it emitted, and its statements if any was
 * sent (then the savepoint is its own). */
static int undo_message(rt *r, sq_err *e)
{
	out_truncate(r, r->msg_mark);
	if (r->pending_sp)
		return 0; /* none of its statements reached the database */
	return sq_pg_exec(r->pg, "ROLLBACK TO SAVEPOINT m", e);
}

int sq_ctx_undo(sq_ctx *ctx)
{
	sq_err e;

	if (!ctx->rt->buffering) {
		snprintf(ctx->reason, sizeof ctx->reason, "sq_ctx_undo outside a message's handler");
		return -1;
	}
	if (undo_message(ctx->rt, &e)) {
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
		return -1;
	}
	return 0;
}

sq_outcome sq_ctx_fail(sq_ctx *ctx)
{
	if (!ctx->reason[0])
		snprintf(ctx->reason, sizeof ctx->reason, "handler failed");
	return SQ_RETRY;
}

static int ctx_exec(sq_ctx *ctx, const char *sql)
{
	sq_err e;
	if (send_pending(ctx->rt, NULL, &e) || sq_pg_ensure(ctx->rt->pg, &e) || sq_pg_exec(ctx->rt->pg, sql, &e)) {
		snprintf(ctx->reason, sizeof ctx->reason, "database: %s", e.msg);
		return -1;
	}
	return ahead_was_duplicate(ctx) ? -1 : 0;
}

int sq_ctx_begin(sq_ctx *ctx) { return ctx_exec(ctx, "BEGIN"); }
int sq_ctx_commit(sq_ctx *ctx) { return ctx_exec(ctx, "COMMIT"); }
void sq_ctx_rollback(sq_ctx *ctx) { (void)ctx_exec(ctx, "ROLLBACK"); }

#ifdef SQ_TEST_HOOKS
void sq_crash_point(const char *name)
{
	const char *at = getenv("SHOPQ_CRASH_AT");
	if (at && strcmp(at, name) == 0) {
		sq_log_warn("crash point %s reached: aborting (test build)", name);
		abort();
	}
}
#endif

/* ------------------------------------------------------------ set-up */

static char *xasprintf(const char *fmt, const char *schema)
{
	char *s = NULL;
	if (asprintf(&s, fmt, schema, schema) < 0)
		return NULL;
	return s;
}

static int rt_build_sql(rt *r)
{
	const char *s = r->d->db_schema;
	r->sql_inbox_many = xasprintf("INSERT INTO %s.inbox (message_id, queue) SELECT m, $2 FROM unnest($1::text[]) AS m ON CONFLICT DO NOTHING RETURNING message_id", s);
	r->sql_inbox_del = xasprintf("DELETE FROM %s.inbox WHERE message_id = ANY ($1::text[])", s);
	/* bounded batches along the handled_at index, so a large backlog never holds a long transaction */
	r->sql_inbox_prune = xasprintf("DELETE FROM %s.inbox WHERE message_id IN (SELECT message_id FROM %s.inbox WHERE handled_at < now() - make_interval(days => $1) ORDER BY handled_at LIMIT 5000)", s);
	r->sql_attempt_prune = xasprintf("DELETE FROM %s.attempts WHERE message_id IN (SELECT message_id FROM %s.attempts WHERE last_at < now() - make_interval(days => $1) LIMIT 5000)", s);
	r->sql_attempt_inc = xasprintf("INSERT INTO %s.attempts AS a (message_id, n) VALUES ($1, 1) ON CONFLICT (message_id) DO UPDATE SET n = a.n + 1, last_at = now() RETURNING n", s);
	r->sql_attempt_del = xasprintf("DELETE FROM %s.attempts WHERE message_id = $1", s);
	r->sql_outbox_ins = xasprintf("INSERT INTO %s.outbox (exchange, routing_key, message_id, body) VALUES ($1, $2, $3, $4) RETURNING id", s);
	r->sql_outbox_ins_many = xasprintf("INSERT INTO %s.outbox (exchange, routing_key, message_id, body) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) RETURNING id", s);
	/* rows older than $2 seconds (younger ones are normally being published by
	 * the process that wrote them) or ours left there ($4), except ours published
	 * and awaiting deletion ($3) */
	r->sql_outbox_sel = xasprintf("SELECT id, exchange, routing_key, message_id, body FROM %s.outbox WHERE (created_at <= now() - make_interval(secs => $2) OR id = ANY ($4::bigint[])) AND id <> ALL ($3::bigint[]) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", s);
	r->sql_outbox_del = xasprintf("DELETE FROM %s.outbox WHERE id = ANY($1::bigint[])", s);
	return (r->sql_inbox_many && r->sql_inbox_del && r->sql_inbox_prune && r->sql_attempt_prune && r->sql_attempt_inc && r->sql_attempt_del && r->sql_outbox_ins &&
		r->sql_outbox_ins_many && r->sql_outbox_sel && r->sql_outbox_del) ? 0 : -1;
}

static void rt_free_sql(rt *r)
{
	free(r->sql_inbox_many);
	free(r->sql_inbox_prune);
	free(r->sql_attempt_prune);
	free(r->sql_inbox_del);
	free(r->sql_attempt_inc);
	free(r->sql_attempt_del);
	free(r->sql_outbox_ins);
	free(r->sql_outbox_ins_many);
	free(r->sql_outbox_sel);
	free(r->sql_outbox_del);
}

static void disconnect(rt *r)
{
	sq_amqp_close(r->cons);
	sq_amqp_close(r->pub);
	r->cons = r->pub = NULL;
}

static int declare_topology(rt *r, sq_err *err)
{
	const char *qt = r->cfg.amqp_queue_type;
	const char *q = r->d->queue;

	if (sq_amqp_declare_exchange(r->pub, SQ_EXCHANGE_COMMANDS, "topic", err) ||
	    sq_amqp_declare_exchange(r->pub, SQ_EXCHANGE_EVENTS, "topic", err) ||
	    sq_amqp_declare_queue(r->pub, q, qt, 0, NULL, err) ||
	    sq_amqp_declare_queue(r->pub, r->dead_q, qt, 0, NULL, err))
		return -1;
	for (int i = 0; i < r->cfg.retry.ntiers; i++)
		if (sq_amqp_declare_queue(r->pub, r->retry_q[i], qt, r->cfg.retry.delays_s[i] * 1000, q, err))
			return -1;
	for (const sq_route *rt_ = r->d->routes; rt_->routing_key; rt_++)
		if (sq_amqp_bind(r->pub, q, rt_->from_events ? SQ_EXCHANGE_EVENTS : SQ_EXCHANGE_COMMANDS,
				 rt_->routing_key, err))
			return -1;
	return 0;
}

static int connect_all(rt *r, sq_err *err)
{
	r->pub = sq_amqp_connect(r->cfg.amqp_uri, 0, 1, err);
	if (!r->pub)
		return -1;
	if (declare_topology(r, err))
		goto fail;
	sq_amqp_allow_unrouted(r->pub, SQ_EXCHANGE_EVENTS); /* commands, retries, dead letters must reach a queue */
	r->cons = sq_amqp_connect(r->cfg.amqp_uri, r->cfg.amqp_heartbeat_s, 0, err);
	if (!r->cons)
		goto fail;
	if (sq_amqp_consume(r->cons, r->d->queue, r->cfg.amqp_prefetch, err))
		goto fail;
	return 0;
fail:
	disconnect(r);
	return -1;
}

/* Sleeps ms in slices, returning early on a stop request. */
static void nap(long ms)
{
	while (ms > 0 && !sq_signal_stop()) {
		long s = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, s * 1000000L };
		nanosleep(&ts, NULL);
		ms -= s;
		sq_sd_watchdog();
	}
}

static double rnd01(void)
{
	unsigned int v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		return 0.5;
	return (double)v / 4294967295.0;
}

/* ------------------------------------------------------------ envelope */

static int header_int(const amqp_basic_properties_t *p, const char *name, int dflt)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return dflt;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		if (e->key.len != strlen(name) || memcmp(e->key.bytes, name, e->key.len) != 0)
			continue;
		switch (e->value.kind) {
		case AMQP_FIELD_KIND_I8: return e->value.value.i8;
		case AMQP_FIELD_KIND_U8: return e->value.value.u8;
		case AMQP_FIELD_KIND_I16: return e->value.value.i16;
		case AMQP_FIELD_KIND_U16: return e->value.value.u16;
		case AMQP_FIELD_KIND_I32: return e->value.value.i32;
		case AMQP_FIELD_KIND_U32: return (int)e->value.value.u32;
		case AMQP_FIELD_KIND_I64: return (int)e->value.value.i64;
		case AMQP_FIELD_KIND_U64: return (int)e->value.value.u64;
		default: return dflt;
		}
	}
	return dflt;
}

static int header_str(const amqp_basic_properties_t *p, const char *name, char *out, size_t outlen)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return -1;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		if (e->key.len == strlen(name) && memcmp(e->key.bytes, name, e->key.len) == 0 &&
		    (e->value.kind == AMQP_FIELD_KIND_UTF8 || e->value.kind == AMQP_FIELD_KIND_BYTES)) {
			snprintf(out, outlen, "%.*s", (int)e->value.value.bytes.len,
				 (const char *)e->value.value.bytes.bytes);
			return 0;
		}
	}
	return -1;
}

static void bytes_to_str(amqp_bytes_t b, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s", (int)b.len, b.bytes ? (const char *)b.bytes : "");
}

static void check_item(rt *r, item *it)
{
	const amqp_basic_properties_t *p = &it->env.message.properties;
	char ctype[128] = "";

	it->attempt = header_int(p, "x-shopq-attempt", 1);
	if (it->attempt < 1)
		it->attempt = 1;
	it->redelivered = it->env.redelivered;
	/* retries come back through the default exchange: the original key rides in a header */
	if (header_str(p, "x-shopq-routing-key", it->routing_key, sizeof it->routing_key))
		bytes_to_str(it->env.routing_key, it->routing_key, sizeof it->routing_key);
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		bytes_to_str(p->message_id, it->message_id, sizeof it->message_id);
	if (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
		bytes_to_str(p->content_type, ctype, sizeof ctype);

	it->body = sq_envelope_parse(it->env.message.body.bytes, it->env.message.body.len, ctype,
				     (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && p->message_id.len <= 200
					     ? it->message_id : (p->message_id.len > 200 ? "x" : NULL),
				     it->reason, sizeof it->reason);
	if (it->body && p->message_id.len > 200) {
		snprintf(it->reason, sizeof it->reason, "message_id is longer than 200 bytes");
		json_decref(it->body);
		it->body = NULL;
	}
	if (!it->body)
		goto reject;
	for (const sq_route *rt_ = r->d->routes; rt_->routing_key; rt_++)
		if (strcmp(rt_->routing_key, it->routing_key) == 0)
			it->route = rt_;
	if (!it->route) {
		snprintf(it->reason, sizeof it->reason, "no handler for routing key \"%.100s\" on %s",
			 it->routing_key, r->d->queue);
		goto reject;
	}
	if (sq_schema_validate(it->body, it->route->fields, it->route->check, it->reason, sizeof it->reason))
		goto reject;
	return;
reject:
	it->outcome = SQ_REJECT;
	it->decided = 1;
}

/* ------------------------------------------------------------ transaction */

static void fail_tx(item *items, int n, const char *why)
{
	for (int i = 0; i < n; i++) {
		if (items[i].decided)
			continue;
		if (items[i].outcome == SQ_OK || items[i].outcome == SQ_RETRY) {
			items[i].outcome = SQ_RETRY;
			snprintf(items[i].reason, sizeof items[i].reason, "%s", why);
		}
	}
}

static const char SQL_SAVEPOINT[] = "SAVEPOINT m";
static const char SQL_RELEASE[] = "RELEASE SAVEPOINT m";

/* The statements that open the transaction ride along with the first message's:
 * the deletion of rows already published and confirmed. */
static int add_sent_delete(rt *r, sq_pg_step *st, int k, const char **param)
{
	if (!r->sent_ids.len || !(*param = id_array(&r->sent_param, &r->sent_ids)))
		return k; /* out of memory: the sweep publishes them again, deduplicated */
	st[k++] = (sq_pg_step){ .sql = r->sql_outbox_del, .nparams = 1, .params = param };
	return k;
}

/* Builds the four array parameters of the multi-row outbox insert. */
static int out_arrays(rt *r, sq_buf a[4])
{
	for (int i = r->ncommitted; i < r->nout; i++) {
		sq_buf_array_add(&a[0], r->out[i].exchange);
		sq_buf_array_add(&a[1], r->out[i].routing_key);
		sq_buf_array_add(&a[2], r->out[i].message_id);
		sq_buf_array_add(&a[3], r->out[i].body);
	}
	for (int k = 0; k < 4; k++) {
		sq_buf_array_close(&a[k]);
		if (a[k].oom)
			return -1;
	}
	return 0;
}

static void mark_fresh(item *items, int n, PGresult *res, int *order);

/* Sends the pending steps (the batch's opening, the message's savepoint) with
 * the statement then (its result kept there) or alone, before a statement
 * that bypasses sq_query. The inbox's answer, when it came with them, marks
 * the fresh messages. */
static int send_pending(rt *r, sq_pg_step *then, sq_err *e)
{
	sq_pg_step st[8];
	int k = r->npending, rc;

	if (!k)
		return 0;
	memcpy(st, r->pending, (size_t)k * sizeof st[0]);
	if (then)
		st[k++] = *then;
	r->npending = 0;
	if (r->pending_sp)
		r->savepoint_open = 1;
	r->pending_sp = 0;
	rc = sq_pg_pipeline(r->pg, st, k, e);
	if (r->open_at >= 0) {
		PGresult *res = st[r->open_at].result;
		r->open_at = -1;
		if (res) {
			mark_fresh(r->items, r->nitems, res, r->by_id);
			PQclear(res);
		} else {
			r->open_failed = 1;
			r->open_err = *e;
		}
	}
	if (then)
		then->result = st[k - 1].result;
	return rc;
}

/* Commits the batch: removes the inbox rows of messages that failed (their
 * work was rolled back), inserts the batch's messages into the outbox,
 * commits; one round trip. */
static int commit_tx(rt *r, sq_buf *failed, sq_err *e)
{
	sq_buf a[4] = { { 0 } };
	const char *ap[4], *fp[1];
	sq_pg_step st[3];
	int k = 0, rc = -1, ins = -1;

	r->npending = r->pending_sp = 0; /* a savepoint not yet sent is not needed: COMMIT ends them all */
	if (failed->len) {
		fp[0] = sq_buf_array_close(failed);
		st[k++] = (sq_pg_step){ .sql = r->sql_inbox_del, .nparams = 1, .params = fp };
	}
	if (r->nout > r->ncommitted) {
		if (out_arrays(r, a)) {
			sq_err_set(e, "out of memory");
			goto out;
		}
		for (int i = 0; i < 4; i++)
			ap[i] = a[i].data;
		ins = k;
		st[k++] = (sq_pg_step){ .sql = r->sql_outbox_ins_many, .nparams = 4, .params = ap, .keep = 1 };
	}
	st[k++] = (sq_pg_step){ .sql = sq_pg_sql_commit };
	if (failed->oom) {
		sq_err_set(e, "out of memory");
		goto out;
	}
	if (sq_pg_pipeline(r->pg, st, k, e))
		goto out;
	if (ins >= 0) {
		PGresult *res = st[ins].result;
		for (int i = 0; i < PQntuples(res); i++)
			id_list_add(&r->committed_ids, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
		PQclear(res);
	}
	r->ncommitted = r->nout;
	rc = 0;
out:
	for (int i = 0; i < 4; i++)
		sq_buf_free(&a[i]);
	return rc;
}

/* Orders items by message id, copies of an id by their place in the batch. */
static int by_message_id(const void *a, const void *b, void *arg)
{
	const item *items = arg;
	int x = *(const int *)a, y = *(const int *)b, c = strcmp(items[x].message_id, items[y].message_id);
	return c ? c : (x > y) - (x < y);
}

/* The inbox rows just inserted (res) are the fresh messages: of the batch's
 * copies of an id, the first one. Sorted and searched, not compared pairwise:
 * a batch may hold a thousand messages. order: n ints of scratch. */
static void mark_fresh(item *items, int n, PGresult *res, int *order)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		if (!items[i].decided) {
			items[i].fresh = 0;
			order[m++] = i;
		}
	qsort_r(order, (size_t)m, sizeof *order, by_message_id, items);
	for (int t = 0; t < PQntuples(res); t++) {
		const char *id = PQgetvalue(res, t, 0);
		int lo = 0, hi = m; /* the first of order[] whose id is not below id */
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;
			if (strcmp(items[order[mid]].message_id, id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < m && strcmp(items[order[lo]].message_id, id) == 0)
			items[order[lo]].fresh = 1;
	}
}

/* Queues the opening of the batch's transaction: BEGIN, the deletion of sent
 * outbox rows, and every message's inbox row at once. It rides with the first
 * handler statement; the inbox's answer marks the messages handled before. */
static int queue_open(rt *r, item *items, int n, sq_err *e)
{
	int k = 0;

	sq_buf_reset(&r->open_ids);
	for (int i = 0; i < n; i++)
		if (!items[i].decided)
			sq_buf_array_add(&r->open_ids, items[i].message_id);
	r->open_params[0] = sq_buf_array_close(&r->open_ids);
	r->open_params[1] = r->d->queue;
	if (r->open_ids.oom)
		return sq_err_set(e, "out of memory");
	r->pending[k++] = (sq_pg_step){ .sql = sq_pg_sql_begin };
	k = add_sent_delete(r, r->pending, k, &r->del_param);
	r->open_at = k;
	r->pending[k++] = (sq_pg_step){ .sql = r->sql_inbox_many, .nparams = 2, .params = r->open_params,
					 .keep = SQ_PG_KEEP_ALWAYS };
	r->npending = k;
	r->items = items;
	r->nitems = n;
	return 0;
}

/* Runs the handlers of items[0..n) in one transaction, a savepoint each. The
 * runtime's own statements travel in pipelines with the handlers': BEGIN, the
 * deletion of sent outbox rows and the inbox rows of all the messages with the
 * first handler's first statement (that handler runs ahead of the inbox's
 * answer, and is undone when it says the message was handled before); each
 * message's RELEASE and SAVEPOINT with its handler's first statement; the
 * outbox rows and COMMIT in one at the end. Unless the daemon's handlers are
 * sql_first, or for a redelivered message (run alone), the opening goes alone
 * and the handlers wait for the inbox's answer. */
static void run_tx(rt *r, item *items, int n)
{
	sq_err e;
	sq_ctx ctx = { .rt = r };
	char why[600];
	int live = 0;
	sq_buf failed = { 0 }; /* message ids whose inbox rows go: their work was undone */

	for (int i = 0; i < n; i++)
		live += !items[i].decided;
	if (!live)
		return;
	for (int i = 0; i < n; i++)
		if (!items[i].decided)
			items[i].outcome = SQ_RETRY;
	if (sq_pg_ensure(r->pg, &e)) {
		snprintf(why, sizeof why, "database unavailable: %s", e.msg);
		fail_tx(items, n, why);
		return;
	}
	r->savepoint_open = r->npending = r->pending_sp = r->open_failed = 0;
	r->spec = r->open_at = -1;
	if (queue_open(r, items, n, &e))
		goto tx_failed;
	for (int i = 0; i < n && r->spec < 0; i++)
		if (!items[i].decided)
			r->spec = i;
	if (!r->d->sql_first || items[r->spec].redelivered) {
		r->spec = -1;
		if (send_pending(r, NULL, &e))
			goto tx_failed;
	} else {
		items[r->spec].fresh = 1; /* until the inbox answers */
	}
	r->buffering = 1;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->decided)
			continue;
		if (!it->fresh) {
			it->outcome = SQ_OK; /* handled before: nothing to do again */
			snprintf(it->reason, sizeof it->reason, "duplicate");
			continue;
		}
		if (!r->pending_sp) { /* sent with the handler's first statement */
			if (r->savepoint_open)
				r->pending[r->npending++] = (sq_pg_step){ .sql = SQL_RELEASE };
			r->pending[r->npending++] = (sq_pg_step){ .sql = SQL_SAVEPOINT };
			r->pending_sp = 1;
		}
		sq_msg msg = { r->d->queue, it->routing_key, it->message_id, it->body, it->attempt };
		r->msg_mark = r->nout;
		ctx.reason[0] = '\0';
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		it->outcome = it->route->handle(&ctx, &msg);
		if (sq_metrics_enabled()) {
			char labels[320];
			clock_gettime(CLOCK_MONOTONIC, &t1);
			snprintf(labels, sizeof labels, "queue=\"%s\",routing_key=\"%.100s\"", r->d->queue,
				 it->routing_key);
			sq_metrics_observe("shopq_handler_seconds", labels,
					   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		}
		snprintf(it->reason, sizeof it->reason, "%s", ctx.reason);
		if (i == r->spec) { /* it ran ahead of the inbox's answer: have it now */
			if (r->open_at >= 0)
				(void)send_pending(r, NULL, &e);
			r->spec = -1;
			if (r->open_failed) {
				e = r->open_err;
				goto tx_failed;
			}
			if (!it->fresh) { /* handled before: nothing to do again */
				if (undo_message(r, &e))
					goto tx_failed;
				it->outcome = SQ_OK;
				snprintf(it->reason, sizeof it->reason, "duplicate");
				continue;
			}
		}
		if (it->outcome == SQ_OK && it->redelivered) {
			const char *ap[] = { it->message_id };
			PGresult *res = sq_query(&ctx, r->sql_attempt_del, 1, ap);
			if (!res) {
				snprintf(e.msg, sizeof e.msg, "%.500s", ctx.reason);
				goto tx_failed;
			}
			PQclear(res);
		}
		if (it->outcome != SQ_OK) {
			sq_buf_array_add(&failed, it->message_id);
			if (undo_message(r, &e))
				goto tx_failed;
		}
		if (it->outcome == SQ_REJECT)
			it->decided = 1;
	}
	r->buffering = 0;
	if (commit_tx(r, &failed, &e)) {
		snprintf(why, sizeof why, "commit failed: %s", e.msg);
		fail_tx(items, n, why);
		out_truncate(r, r->ncommitted);
		r->outbox_pending = 1; /* the commit may have happened: the sweep publishes what it left */
		sq_buf_free(&failed);
		return;
	}
	sq_buf_reset(&r->sent_ids); /* deleted by that transaction */
	sq_buf_free(&failed);
	sq_crash_point("after_commit");
	return;
tx_failed:
	r->buffering = 0;
	r->npending = r->pending_sp = 0;
	r->spec = r->open_at = -1;
	snprintf(why, sizeof why, "database: %s", e.msg);
	(void)sq_pg_exec(r->pg, "ROLLBACK", &e);
	out_truncate(r, r->ncommitted);
	sq_buf_free(&failed);
	fail_tx(items, n, why);
}

/* A redelivered message may be the one that killed us: count handling attempts
 * in PostgreSQL and dead-letter it past the limit. */
static void count_poison(rt *r, item *it)
{
	sq_err e;
	PGresult *res;
	const char *p[] = { it->message_id };

	if (sq_pg_ensure(r->pg, &e) || !(res = sq_pg_query(r->pg, r->sql_attempt_inc, 1, p, &e))) {
		it->outcome = SQ_RETRY;
		it->decided = 1;
		snprintf(it->reason, sizeof it->reason, "database unavailable: %s", e.msg);
		return;
	}
	int n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (n > r->cfg.poison_limit) {
		it->outcome = SQ_REJECT;
		it->decided = 1;
		snprintf(it->reason, sizeof it->reason,
			 "delivered %d times without an outcome: the daemon crashed or hung while handling it",
			 n - 1);
	}
}

/* ------------------------------------------------------------ settle */

static int publish_copy(rt *r, item *it, const char *queue, int attempt, int final_attempts, sq_err *err)
{
	amqp_basic_properties_t p = it->env.message.properties;
	const amqp_table_t *old = (p._flags & AMQP_BASIC_HEADERS_FLAG) ? &p.headers : NULL;
	int nold = old ? old->num_entries : 0;
	amqp_table_entry_t *e = calloc((size_t)nold + 6, sizeof *e);
	int n = 0, rc;

	if (!e)
		return sq_err_set(err, "out of memory");
	for (int i = 0; i < nold; i++) {
		amqp_bytes_t k = old->entries[i].key;
		if (k.len >= 8 && memcmp(k.bytes, "x-shopq-", 8) == 0)
			continue;
		e[n++] = old->entries[i];
	}
	e[n].key = amqp_cstring_bytes("x-shopq-routing-key");
	e[n].value.kind = AMQP_FIELD_KIND_UTF8;
	e[n++].value.value.bytes = amqp_cstring_bytes(it->routing_key);
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

/* Retries and dead letters go out with confirms; then the batch is acked at once. */
static void count_outcome(rt *r, const char *outcome)
{
	char labels[200];
	if (!sq_metrics_enabled())
		return;
	snprintf(labels, sizeof labels, "queue=\"%s\",outcome=\"%s\"", r->d->queue, outcome);
	sq_metrics_inc("shopq_messages_total", labels, 1);
}

/* Forgets the batch's messages (published, or left in the outbox for the sweep). */
static void committed_forget(rt *r)
{
	out_truncate(r, 0);
	r->ncommitted = 0;
	sq_buf_reset(&r->committed_ids);
}

/* Publishes the messages the batch committed, straight from memory. */
static int publish_committed(rt *r, sq_err *err)
{
	for (int i = 0; i < r->ncommitted; i++) {
		out_msg *m = &r->out[i];
		if (sq_amqp_publish(r->pub, m->exchange, m->routing_key, m->message_id, NULL, m->body,
				    strlen(m->body), err))
			return -1;
	}
	if (sq_metrics_enabled() && r->ncommitted) {
		char labels[200];
		snprintf(labels, sizeof labels, "queue=\"%s\"", r->d->queue);
		sq_metrics_inc("shopq_outbox_published_total", labels, r->ncommitted);
	}
	return 0;
}

/* The committed messages are confirmed: their rows go with the next transaction. */
static void committed_sent(rt *r)
{
	id_list_add(&r->sent_ids, r->committed_ids.data, r->committed_ids.len);
	if (r->sent_ids.oom) { /* left to the sweep, published again: consumers deduplicate */
		sq_buf_reset(&r->sent_ids);
		r->outbox_pending = 1;
	}
	committed_forget(r);
}

static int settle(rt *r, item *items, int n, sq_err *err)
{
	if (publish_committed(r, err))
		return -1;
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		const char *mid = it->message_id[0] ? it->message_id : "(none)";
		if (it->outcome == SQ_OK) {
			count_outcome(r, strcmp(it->reason, "duplicate") == 0 ? "duplicate" : "ok");
			continue;
		}
		if (it->outcome == SQ_RETRY) {
			int tier = sq_retry_tier(&r->cfg.retry, it->attempt);
			if (tier >= 0) {
				sq_log_info("queue=%s message_id=%s attempt=%d: retry in %d s: %s", r->d->queue, mid,
					    it->attempt, r->cfg.retry.delays_s[tier], it->reason);
				if (publish_copy(r, it, r->retry_q[tier], it->attempt + 1, 0, err))
					return -1;
				count_outcome(r, "retried");
				continue;
			}
			char last[sizeof it->reason];
			memcpy(last, it->reason, sizeof last);
			snprintf(it->reason, sizeof it->reason, "gave up after %d attempts: %.700s", it->attempt, last);
		}
		sq_log_warn("queue=%s message_id=%s attempt=%d: dead-lettered: %s", r->d->queue, mid, it->attempt,
			    it->reason);
		if (publish_copy(r, it, r->dead_q, it->attempt, it->attempt, err))
			return -1;
		count_outcome(r, "dead_lettered");
	}
	int rc = sq_amqp_wait_confirms(r->pub, r->cfg.amqp_confirm_timeout_ms, err);
	if (rc)
		return rc;
	sq_crash_point("outbox_before_delete");
	committed_sent(r);
	return sq_amqp_ack(r->cons, items[n - 1].env.delivery_tag, 1, err);
}

/* ------------------------------------------------------------ outbox */

/* Deletes the sent rows when no batch came to carry the deletion: not
 * durable (a row that comes back is published again and deduplicated). */
static int delete_sent(rt *r, sq_err *err)
{
	const char *p[1];
	int rc;

	if (!r->sent_ids.len)
		return 0;
	if (!(p[0] = id_array(&r->sent_param, &r->sent_ids)))
		rc = sq_err_set(err, "out of memory");
	else
		rc = sq_pg_exec_async(r->pg, r->sql_outbox_del, 1, p, err);
	sq_buf_reset(&r->sent_ids); /* deleted, or left to the sweep (published again, deduplicated) */
	return rc;
}

/* The sweep: publishes rows left in the outbox: ours that a broker outage or
 * a tick left (at once), and anyone's older than SWEEP_MIN_AGE_S (a crash
 * between commit and publish), never ours awaiting deletion. 0, -1 (the
 * database: later), -2 (the broker connection broke) or SQ_AMQP_UNROUTED (a
 * command found no queue: the rows stay). */
static int flush_outbox(rt *r, sq_err *err)
{
	char lim[16], age[16];
	int more = 1, broken = -2;
	const char *lp[] = { lim, age, id_array(&r->sent_param, &r->sent_ids), id_array(&r->left_param, &r->left_ids) };

	snprintf(lim, sizeof lim, "%d", r->cfg.outbox_window);
	snprintf(age, sizeof age, "%d", SWEEP_MIN_AGE_S);
	if (!lp[2] || !lp[3])
		return sq_err_set(err, "out of memory");
	while (more && !(r->outbox_pending = 0)) {
		PGresult *res;
		sq_buf ids = { 0 };
		if (sq_pg_ensure(r->pg, err) || sq_pg_exec(r->pg, "BEGIN", err))
			goto retry_later;
		if (!(res = sq_pg_query(r->pg, r->sql_outbox_sel, 4, lp, err))) {
			(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
			goto retry_later;
		}
		int rows = PQntuples(res);
		more = rows == r->cfg.outbox_window;
		if (sq_metrics_enabled()) {
			char labels[200];
			snprintf(labels, sizeof labels, "queue=\"%s\"", r->d->queue);
			sq_metrics_set("shopq_outbox_backlog", labels, rows);
			sq_metrics_inc("shopq_outbox_published_total", labels, rows);
		}
		for (int i = 0; i < rows; i++) {
			const char *body = PQgetvalue(res, i, 4);
			if (sq_amqp_publish(r->pub, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
					    NULL, body, strlen(body), err))
				goto amqp_failed;
			sq_buf_array_add(&ids, PQgetvalue(res, i, 0));
		}
		PQclear(res);
		res = NULL;
		if (!rows) {
			(void)sq_pg_exec(r->pg, "COMMIT", NULL);
			break;
		}
		if ((broken = sq_amqp_wait_confirms(r->pub, r->cfg.amqp_confirm_timeout_ms, err)))
			goto amqp_failed;
		sq_crash_point("outbox_before_delete");
		const char *dp[] = { sq_buf_array_close(&ids) };
		res = ids.oom ? NULL : sq_pg_query(r->pg, r->sql_outbox_del, 1, dp, err);
		sq_buf_free(&ids);
		if (!res || (PQclear(res), sq_pg_exec(r->pg, "COMMIT", err))) {
			(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
			goto retry_later; /* published but not deleted: sent again later, deduplicated by message_id */
		}
		continue;
amqp_failed:
		PQclear(res);
		sq_buf_free(&ids);
		(void)sq_pg_exec(r->pg, "ROLLBACK", NULL);
		r->outbox_pending = 1;
		return broken == SQ_AMQP_UNROUTED ? broken : -2; /* else the broker connection is broken */
	}
	sq_buf_reset(&r->left_ids); /* published (or gone: published by another process) */
	return 0;
retry_later:
	r->outbox_pending = 1; /* left_ids kept for the next sweep */
	return -1;
}

/* Forgets handled message ids (and attempt counts) older than
 * runtime.inbox_keep_days, a bounded batch at a time; returns the rows deleted
 * (-1 on errors). A message redelivered after that long is handled again. */
static int prune_inbox(rt *r, sq_err *err)
{
	char days[16];
	const char *p[] = { days };
	PGresult *res;
	int n = 0;

	snprintf(days, sizeof days, "%d", r->cfg.inbox_keep_days);
	if (sq_pg_ensure(r->pg, err))
		return -1;
	if (!(res = sq_pg_query(r->pg, r->sql_inbox_prune, 1, p, err)))
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (!(res = sq_pg_query(r->pg, r->sql_attempt_prune, 1, p, err)))
		return -1;
	n += atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}

/* ------------------------------------------------------------ the loop */

/* A message found no queue (its consumer never ran, or a binding is gone):
 * nothing is lost (the rows stay in the outbox, an unacked batch comes back)
 * but trying again at once would spin: back off. */
static void unrouted_pause(int *n, const char *why)
{
	long ms = sq_backoff_ms((*n)++, 1000, 30000, rnd01());
	sq_log_err("amqp: %s: kept in the outbox, sent again in %ld ms", why, ms);
	nap(ms);
}

/* Runs the sweep; 1 when the loop must start over (the broker connection
 * broke, or a message found no queue and the loop backed off). */
static int sweep(rt *r, int *unrouted_n)
{
	sq_err e;
	int rc = flush_outbox(r, &e);

	if (rc == SQ_AMQP_UNROUTED) {
		unrouted_pause(unrouted_n, e.msg);
		return 1;
	}
	if (rc == -2) {
		sq_log_err("amqp: outbox: %s; reconnecting", e.msg);
		disconnect(r);
		return 1;
	}
	if (rc == 0)
		*unrouted_n = 0;
	return 0;
}

static void reload(rt *r)
{
	sq_config fresh;
	sq_err e;

	sq_sd_reloading();
	if (sq_config_load(&fresh, r->cfg.path, &e)) {
		sq_log_err("reload: keeping the running configuration: %s", e.msg);
	} else {
		sq_log_set_level(sq_log_level_parse(fresh.log_level));
		sq_log_notice("reload: log level %s", fresh.log_level);
		sq_config_free(&fresh);
	}
	sq_sd_ready("reloaded");
}

static int collect(rt *r, item *items, int max, int wait_ms, sq_err *err)
{
	int n = 0, got;

	got = sq_amqp_next(r->cons, wait_ms, &items[0].env, err);
	if (got <= 0)
		return got;
	n = 1;
	while (n < max && (got = sq_amqp_next(r->cons, 0, &items[n].env, err)) == 1)
		n++;
	return got < 0 ? -(n + 1) : n; /* broken after n: handle none, reconnect */
}

static void free_items(item *items, int n)
{
	for (int i = 0; i < n; i++) {
		json_decref(items[i].body);
		amqp_destroy_envelope(&items[i].env);
	}
}

/* Calls each prepare hook once per batch with the well-formed messages of its
 * routes, in batch order: a hook several routes share gets all of theirs. A
 * redelivered message is left out: it may be the one that killed us, and it
 * runs alone after its poison count. */
static void prepare_routes(rt *r, item *items, int n)
{
	sq_msg *msgs = NULL;
	sq_ctx ctx = { .rt = r };

	for (const sq_route *ro = r->d->routes; ro->routing_key; ro++) {
		int k = 0, seen = 0;
		if (!ro->prepare)
			continue;
		for (const sq_route *p = r->d->routes; p < ro; p++)
			seen |= p->prepare == ro->prepare;
		if (seen)
			continue;
		if (!msgs)
			msgs = calloc((size_t)n, sizeof *msgs);
		for (int i = 0; msgs && i < n; i++)
			if (!items[i].decided && !items[i].redelivered && items[i].route->prepare == ro->prepare)
				msgs[k++] = (sq_msg){ r->d->queue, items[i].routing_key, items[i].message_id,
						      items[i].body, items[i].attempt };
		ro->prepare(&ctx, msgs, k); /* even with none: what it kept of the last batch is stale */
	}
	free(msgs);
}

static int handle_batch(rt *r, item *items, int n, sq_err *err)
{
	int start = 0;

	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		it->body = NULL;
		it->route = NULL;
		it->decided = 0;
		it->outcome = SQ_OK;
		it->reason[0] = it->message_id[0] = '\0';
		check_item(r, it);
	}
	prepare_routes(r, items, n);
	/* fresh deliveries share one transaction; a redelivered one runs alone */
	for (int i = 0; i <= n; i++) {
		if (i < n && !(items[i].redelivered && !items[i].decided))
			continue;
		run_tx(r, items + start, i - start);
		if (i < n) {
			count_poison(r, &items[i]);
			run_tx(r, items + i, 1);
		}
		start = i + 1;
	}
	int rc = settle(r, items, n, err);
	if (rc) {
		left_add(r, r->committed_ids.data, r->committed_ids.len); /* published after reconnecting */
		committed_forget(r);
	}
	return rc;
}

static void loop(rt *r)
{
	item *items = calloc((size_t)r->cfg.batch_size, sizeof *items);
	int backoff_n = 0, ready_sent = 0, waiting = 0, unrouted_n = 0;
	time_t last_tick = 0, next_prune = 0;
	sq_err e;

	r->by_id = calloc((size_t)r->cfg.batch_size, sizeof *r->by_id);
	if (!items || !r->by_id) {
		sq_log_err("out of memory");
		goto out;
	}
	while (!sq_signal_stop()) {
		if (!r->cons) {
			if (connect_all(r, &e)) {
				long ms = sq_backoff_ms(backoff_n++, 200, 30000, rnd01());
				sq_log_err("amqp: %s; retrying in %ld ms", e.msg, ms);
				sq_sd_status("waiting for RabbitMQ");
				nap(ms);
				continue;
			}
			if (backoff_n)
				sq_log_notice("amqp: connected again after %d attempts", backoff_n);
			if (ready_sent && sq_metrics_enabled()) {
				char labels[200];
				snprintf(labels, sizeof labels, "queue=\"%s\"", r->d->queue);
				sq_metrics_inc("shopq_amqp_reconnects_total", labels, 1);
			}
			backoff_n = 0;
			if (!ready_sent) {
				char status[200];
				snprintf(status, sizeof status, "consuming %s", r->d->queue);
				sq_sd_ready(status);
				sq_log_notice("consuming %s (prefetch %d, batch %d)", r->d->queue, r->cfg.amqp_prefetch,
					      r->cfg.batch_size);
				ready_sent = 1;
			} else {
				sq_sd_status("consuming");
			}
			r->outbox_pending = 1;
		}
		sq_sd_watchdog();
		if (sq_signal_take_reload())
			reload(r);
		if (r->d->available && !r->d->available(r->state, &e)) {
			if (!waiting) {
				sq_log_warn("%s: taking no messages until it answers", e.msg);
				sq_sd_status("waiting for a dependency");
				waiting = 1;
			}
			nap(1000);
			continue;
		}
		if (waiting) {
			sq_log_notice("the dependency answers again: consuming %s", r->d->queue);
			sq_sd_status("consuming");
			waiting = 0;
		}
		/* with sent rows to delete, wait briefly: the next batch carries the deletion */
		int n = collect(r, items, r->cfg.batch_size, r->sent_ids.len ? SENT_DELETE_WAIT_MS : IDLE_WAIT_MS, &e);
		if (n < 0) {
			free_items(items, -n - 1);
			sq_log_err("amqp: %s; reconnecting", e.msg);
			disconnect(r);
			continue;
		}
		if (n > 0) {
			int rc = handle_batch(r, items, n, &e);
			free_items(items, n);
			if (rc == SQ_AMQP_UNROUTED)
				unrouted_pause(&unrouted_n, e.msg);
			else if (rc)
				sq_log_err("amqp: %s; reconnecting (unacked messages come back)", e.msg);
			if (rc) {
				disconnect(r); /* the batch comes back: its effects are in, its messages in the outbox */
				continue;
			}
		}
		if (n == 0 && r->sent_ids.len && delete_sent(r, &e))
			sq_log_warn("outbox: deleting published rows: %s (they are published again later)", e.msg);
		time_t now = time(NULL);
		if ((r->outbox_pending || now != last_tick) && sweep(r, &unrouted_n))
			continue;
		if (now >= next_prune) {
			int pruned = prune_inbox(r, &e);
			if (pruned < 0)
				sq_log_warn("inbox: pruning old message ids: %s", e.msg);
			else if (pruned > 0)
				sq_log_info("inbox: forgot %d message ids older than %d days", pruned, r->cfg.inbox_keep_days);
			next_prune = now + (pruned >= 5000 ? 1 : PRUNE_EVERY_S);
		}
		if (r->d->tick && now != last_tick) {
			sq_ctx ctx = { .rt = r };
			r->d->tick(&ctx);
			if (r->outbox_pending && sweep(r, &unrouted_n))
				continue;
		}
		last_tick = now;
	}
	sq_sd_stopping();
	if (delete_sent(r, &e)) /* a clean stop leaves no published row behind */
		sq_log_warn("outbox: deleting published rows at stop: %s (they are published again later)", e.msg);
out:
	free(r->by_id);
	r->by_id = NULL;
	free(items);
}

static void usage(const char *prog, FILE *out)
{
	fprintf(out,
		"usage: %s [--config PATH] [--check-config] [--version]\n"
		"  --config PATH    configuration file (default %s)\n"
		"  --check-config   validate the configuration, print the problem with file:line, exit\n"
		"  --version        print the version and exit\n"
		"Runs in the foreground and logs to stderr; SIGTERM/SIGINT stop after the message in\n"
		"hand, SIGHUP re-reads the log level.\n",
		prog, SQ_DEFAULT_CONFIG);
}

int sq_daemon_main(int argc, char **argv, const sq_daemon *d)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = SQ_DEFAULT_CONFIG;
	int check = 0, c, rc = 1;
	char prog[64];
	rt r;
	sq_err e;

	snprintf(prog, sizeof prog, "shopq-%s", d->name);
	sq_log_set_ident(d->name);
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'V': printf("%s %s\n", prog, SQ_VERSION); return 0;
		case 'h': usage(prog, stdout); return 0;
		default: usage(prog, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		return 2;
	}
	memset(&r, 0, sizeof r);
	r.d = d;
	r.spec = r.open_at = -1;
	if (sq_config_load(&r.cfg, path, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	if (d->check && d->check(&r.cfg, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		sq_config_free(&r.cfg);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		sq_config_free(&r.cfg);
		return 0;
	}
	sq_log_set_level(sq_log_level_parse(r.cfg.log_level));
	{
		char uri[512], conninfo[512];
		sq_log_mask_secret(r.cfg.amqp_uri, uri, sizeof uri);
		sq_log_mask_secret(sq_config_conninfo(&r.cfg, d->db_section), conninfo, sizeof conninfo);
		sq_log_notice("starting: broker %s, database %s", uri, conninfo);
	}
	snprintf(r.dead_q, sizeof r.dead_q, "%s.dead", d->queue);
	for (int i = 0; i < r.cfg.retry.ntiers; i++)
		snprintf(r.retry_q[i], sizeof r.retry_q[i], "%s.retry.%ds", d->queue, r.cfg.retry.delays_s[i]);
	if (rt_build_sql(&r) || !(r.pg = sq_pg_new(sq_config_conninfo(&r.cfg, d->db_section)))) {
		sq_log_err("out of memory");
		goto out;
	}
	if (d->start && d->start(&r.state, &r.cfg, &e)) {
		sq_log_err("start: %s", e.msg);
		goto out;
	}
	const char *mport = getenv("SHOPQ_METRICS_PORT");
	if (sq_metrics_start(mport ? atoi(mport) : r.cfg.metrics_port, &e))
		sq_log_warn("%s; running without metrics", e.msg);
	sq_signals_install();

	loop(&r);
	sq_metrics_stop();
	sq_log_notice("stopped");
	rc = 0;
	if (d->stop)
		d->stop(r.state);
out:
	disconnect(&r);
	sq_pg_free(r.pg);
	rt_free_sql(&r);
	out_truncate(&r, 0);
	free(r.out);
	sq_buf_free(&r.committed_ids);
	sq_buf_free(&r.sent_ids);
	sq_buf_free(&r.left_ids);
	sq_buf_free(&r.sent_param);
	sq_buf_free(&r.left_param);
	sq_buf_free(&r.open_ids);
	sq_config_free(&r.cfg);
	return rc;
}
