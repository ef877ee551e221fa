// SPDX-License-Identifier: MIT
// sq_loop.c -- the daemon loop, written once: options and configuration,
// connect and declare, take a batch of deliveries, check them, run the prepare
// hooks, handle them in one transaction (sq_tx.c), settle them (sq_settle.c);
// the outbox sweep, inbox pruning, ticks, signals, sd_notify and reconnects
// with backoff.

#include "sq_rt.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sq_batch.h"
#include "sq_log.h"
#include "sq_metrics.h"
#include "sq_sd.h"
#include "sq_signal.h"
#include "sq_version.h"

#define IDLE_WAIT_MS 1000
#define SENT_DELETE_WAIT_MS 20
#define INFLIGHT_MAX 32 /* batches whose confirms may be outstanding */
#define PRUNE_EVERY_S 60 /* how often old inbox rows are looked for */

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
	sq_rt_inflight_lost(r); /* their confirms will never come: the sweep sends them again */
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
	int rc = sq_rt_take_confirms(r, 1, &e); /* the sweep's own wait would take them unnoticed */

	if (rc == -1)
		rc = -2;
	if (!rc)
		rc = sq_rt_flush_outbox(r, &e);

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

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000000 + (t.tv_nsec - t0->tv_nsec) / 1000;
}

/* Takes up to max deliveries: waits wait_ms for the first, then as long as
 * sq_batch_wait_us says for each next (runtime.stream_linger_us from the first
 * once two came together, runtime.batch_linger_ms in any case). */
static int collect(rt *r, item *items, int max, int wait_ms, sq_err *err)
{
	int n = 0, got;
	struct timespec t0;

	got = sq_amqp_next(r->cons, wait_ms, &items[0].env, err);
	if (got <= 0)
		return got;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = 1;
	while (n < max) {
		long wait = sq_batch_wait_us(n, elapsed_us(&t0), r->cfg.batch_linger_ms * 1000L, r->cfg.stream_linger_us);
		if ((got = sq_amqp_next_us(r->cons, wait, &items[n].env, err)) != 1)
			break;
		n++;
		/* test builds: the connection taken as broken after a batch's first two fresh deliveries */
		if (n == 2 && !items[0].env.redelivered && !items[1].env.redelivered && sq_fault_point("collect-break")) {
			got = sq_err_set(err, "fault collect-break: the connection taken as broken mid-collect (test build)");
			break;
		}
	}
	return got < 0 ? -(n + 1) : n; /* broken after n: handle none, reconnect */
}

/* Frees the batch's bodies, memos and envelopes. A body is set only once the batch
 * was checked (handle_batch): cleared here, a batch that broke off while it
 * was collected never frees the last batch's bodies a second time. */
static void free_items(item *items, int n)
{
	for (int i = 0; i < n; i++) {
		json_decref(items[i].body);
		items[i].body = NULL;
		free(items[i].memo);
		items[i].memo = NULL;
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
	uint64_t dead_upto;
	/* the confirms that came meanwhile: their rows' deletion rides with this batch */
	int rc = sq_rt_take_confirms(r, r->inflight.n >= INFLIGHT_MAX, err);

	if (rc)
		return rc; /* the batch is not handled: it comes back after reconnecting */
	for (int i = 0; i < n; i++) {
		item *it = &items[i];
		it->body = NULL;
		it->route = NULL;
		it->decided = 0;
		it->dead_lettered = 0;
		it->outcome = SQ_OK;
		it->reason[0] = it->message_id[0] = '\0';
		sq_rt_check_item(r, it);
	}
	if ((rc = sq_rt_dead_letter_rejected(r, items, n, &dead_upto, err)))
		return rc; /* the batch is not handled: it comes back after reconnecting */
	prepare_routes(r, items, n);
	/* fresh deliveries share one transaction; a redelivered one runs alone */
	for (int i = 0; i <= n; i++) {
		if (i < n && !(items[i].redelivered && !items[i].decided))
			continue;
		sq_rt_run_tx(r, items + start, i - start);
		if (i < n) {
			sq_rt_count_poison(r, &items[i]);
			sq_rt_run_tx(r, items + i, 1);
		}
		start = i + 1;
	}
	rc = sq_rt_settle(r, items, n, dead_upto, err);
	if (rc) {
		sq_rt_left_add(r, r->committed_ids.data, r->committed_ids.len); /* published after reconnecting */
		sq_rt_committed_forget(r);
	}
	return rc;
}

static void loop(rt *r)
{
	item *items = calloc((size_t)r->cfg.batch_size, sizeof *items);
	int backoff_n = 0, ready_sent = 0, waiting = 0, unrouted_n = 0;
	time_t last_tick = 0, next_prune = 0;
	sq_err e;

	/* a batch holds at most prefetch deliveries: the broker sends no more before the ack */
	int batch_max = r->cfg.batch_size < r->cfg.amqp_prefetch ? r->cfg.batch_size : r->cfg.amqp_prefetch;

	r->by_id = calloc((size_t)r->cfg.batch_size, sizeof *r->by_id);
	for (const sq_route *ro = r->d->routes; ro->routing_key && !r->firsts; ro++)
		if (ro->first) {
			r->firsts = calloc((size_t)r->cfg.batch_size, sizeof *r->firsts);
			r->ahead_steps = calloc((size_t)r->cfg.batch_size + 6, sizeof *r->ahead_steps);
			if (!r->ahead_steps) { /* without them no batch goes ahead */
				free(r->firsts);
				r->firsts = NULL;
			}
			break;
		}
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
				sq_metrics_labels(labels, sizeof labels, r->d->queue, NULL, NULL);
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
		int n = collect(r, items, batch_max,
				(r->sent_ids.len || r->inflight.n) ? SENT_DELETE_WAIT_MS : IDLE_WAIT_MS, &e);
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
		if (n == 0 && r->inflight.n) {
			int rc = sq_rt_take_confirms(r, 1, &e);
			if (rc == SQ_AMQP_UNROUTED)
				unrouted_pause(&unrouted_n, e.msg);
			else if (rc)
				sq_log_err("amqp: %s; reconnecting (the outbox keeps what was not confirmed)", e.msg);
			if (rc) {
				disconnect(r);
				continue;
			}
		}
		if (n == 0 && r->sent_ids.len && sq_rt_delete_sent(r, &e))
			sq_log_warn("outbox: deleting published rows: %s (they are published again later)", e.msg);
		time_t now = time(NULL);
		if ((r->outbox_pending || now != last_tick) && sweep(r, &unrouted_n))
			continue;
		if (now >= next_prune) {
			int pruned = sq_rt_prune_inbox(r, &e);
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
	if (r->pub && sq_rt_take_confirms(r, 1, &e))
		sq_log_warn("outbox: confirms at stop: %s (the rows are published again later)", e.msg);
	if (sq_rt_delete_sent(r, &e)) /* a clean stop leaves no published row behind */
		sq_log_warn("outbox: deleting published rows at stop: %s (they are published again later)", e.msg);
out:
	free(r->by_id);
	r->by_id = NULL;
	for (int i = 0; r->firsts && i < r->cfg.batch_size; i++)
		sq_first_free(&r->firsts[i]);
	free(r->firsts);
	free(r->ahead_steps);
	r->firsts = NULL;
	r->ahead_steps = NULL;
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
	r.spec = r.open_at = r.ahead_at = -1;
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
	sq_rt_out_truncate(&r, 0);
	free(r.out);
	sq_buf_free(&r.committed_ids);
	sq_buf_free(&r.sent_ids);
	sq_inflight_free(&r.inflight);
	sq_buf_free(&r.left_ids);
	sq_buf_free(&r.sent_param);
	sq_buf_free(&r.left_param);
	sq_buf_free(&r.open_ids);
	sq_config_free(&r.cfg);
	return rc;
}
