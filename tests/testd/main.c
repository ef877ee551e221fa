// SPDX-License-Identifier: MIT
// main.c -- shopq-testd, the tiny daemon the runtime's integration tests drive:
// `test.apply` records one effect row and emits `test.applied` (and, asked to,
// a command), and can be told to fail transiently (in a statement too), fail
// always, sleep, or crash the process; `test.fast` records one the same way
// with its first statement declared (sq_route.first), and can be told to fail
// in that statement or the next, answer a retry, or undo its work.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sq_log.h"
#include "sq_pg.h"
#include "sq_runtime.h"

static const sq_field apply_fields[] = {
	{ "key", SQ_F_STRING, 1, 1, 200 },
	{ "fail_times", SQ_F_INT, 0, 0, 100 },
	{ "fail_always", SQ_F_INT, 0, 0, 1 },
	{ "sleep_ms", SQ_F_INT, 0, 0, 600000 },
	{ "crash", SQ_F_INT, 0, 0, 1 },
	{ "require_flag", SQ_F_STRING, 0, 1, 100 },
	{ "send", SQ_F_STRING, 0, 1, 100 }, /* a command's routing key: sent with the effect */
	{ "fail_sql", SQ_F_INT, 0, 0, 100 }, /* attempts whose first statement fails */
	{ NULL, 0, 0, 0, 0 },
};

static long long opt_int(const json_t *body, const char *name)
{
	return json_integer_value(json_object_get(body, name));
}

static sq_outcome handle_apply(sq_ctx *ctx, const sq_msg *msg)
{
	const char *key = json_string_value(json_object_get(msg->body, "key"));
	long long sleep_ms = opt_int(msg->body, "sleep_ms");
	PGresult *r;

	if (opt_int(msg->body, "crash"))
		abort(); /* a poison message: the process dies while handling it */
	if (msg->attempt <= opt_int(msg->body, "fail_sql")) {
		if ((r = sq_query(ctx, "SELECT 1 / 0", 0, NULL)))
			PQclear(r);
		return sq_ctx_fail(ctx);
	}
	if (opt_int(msg->body, "fail_always"))
		return sq_retry(ctx, "test failure that never passes");
	const char *flag = json_string_value(json_object_get(msg->body, "require_flag"));
	if (flag) {
		long long found_n;
		int found;
		const char *fp[] = { flag };
		if (sq_query_ll(ctx, "SELECT count(*) FROM testd.flags WHERE name = $1", 1, fp, &found_n, &found))
			return sq_ctx_fail(ctx);
		if (!found_n)
			return sq_retry(ctx, "flag %s is not set", flag);
	}
	if (msg->attempt <= opt_int(msg->body, "fail_times"))
		return sq_retry(ctx, "test failure %d of %lld", msg->attempt, opt_int(msg->body, "fail_times"));
	if (sleep_ms > 0) {
		struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	const char *p[] = { msg->message_id, key };
	r = sq_query(ctx, "INSERT INTO testd.effects (message_id, key) VALUES ($1, $2)", 2, p);
	if (!r)
		return sq_ctx_fail(ctx);
	PQclear(r);
	if (sq_emit_event(ctx, "test.applied", json_pack("{s:s}", "key", key)))
		return sq_ctx_fail(ctx);
	const char *send = json_string_value(json_object_get(msg->body, "send"));
	if (send && sq_emit_command(ctx, send, json_pack("{s:s}", "key", key)))
		return sq_ctx_fail(ctx);
	return SQ_OK;
}

static const sq_field fast_fields[] = {
	{ "key", SQ_F_STRING, 1, 1, 200 },
	{ "group", SQ_F_STRING, 0, 1, 60 },   /* what the message is about (its first's key); key if absent */
	{ "fail_first", SQ_F_INT, 0, 0, 100 }, /* attempts whose first statement fails */
	{ "fail_sql", SQ_F_INT, 0, 0, 100 },   /* attempts whose second statement fails */
	{ "fail_times", SQ_F_INT, 0, 0, 100 }, /* attempts answered with a retry */
	{ "undo", SQ_F_INT, 0, 0, 1 },         /* undo the effect (sq_ctx_undo) and answer SQ_OK */
	{ NULL, 0, 0, 0, 0 },
};

static const char SQL_EFFECT[] = "INSERT INTO testd.effects (message_id, key) VALUES ($1, $2)";
static const char SQL_EFFECT_FAILS[] = "SELECT $1::text, $2::text, 1 / 0";

static void fast_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f)
{
	const char *group = json_string_value(json_object_get(msg->body, "group"));

	(void)ctx;
	f->sql = msg->attempt <= opt_int(msg->body, "fail_first") ? SQL_EFFECT_FAILS : SQL_EFFECT;
	f->nparams = 2;
	f->params[0] = msg->message_id;
	f->params[1] = json_string_value(json_object_get(msg->body, "key"));
	snprintf(f->key, sizeof f->key, "%s", group ? group : f->params[1]);
}

static sq_outcome handle_fast(sq_ctx *ctx, const sq_msg *msg)
{
	const char *key = json_string_value(json_object_get(msg->body, "key"));
	sq_first f = { 0 };
	PGresult *r;

	fast_first(ctx, msg, &f);
	if (!(r = sq_query_first(ctx, &f)))
		return sq_ctx_fail(ctx);
	PQclear(r);
	if (msg->attempt <= opt_int(msg->body, "fail_sql")) {
		if ((r = sq_query(ctx, "SELECT 1 / 0", 0, NULL)))
			PQclear(r);
		return sq_ctx_fail(ctx);
	}
	if (msg->attempt <= opt_int(msg->body, "fail_times"))
		return sq_retry(ctx, "test failure %d of %lld", msg->attempt, opt_int(msg->body, "fail_times"));
	if (opt_int(msg->body, "undo")) {
		if (sq_ctx_undo(ctx))
			return sq_ctx_fail(ctx);
		sq_log_info("fast %s undone (attempt %d)", key, msg->attempt);
		return SQ_OK;
	}
	if (sq_emit_event(ctx, "test.applied", json_pack("{s:s}", "key", key)))
		return sq_ctx_fail(ctx);
	sq_log_info("fast %s applied (attempt %d)", key, msg->attempt);
	return SQ_OK;
}

static int testd_start(void **ret_state, const sq_config *cfg, sq_err *err)
{
	PGconn *c = sq_pg_connectdb(sq_config_conninfo(cfg, NULL));
	PGresult *r;
	int rc = 0;

	*ret_state = NULL;
	if (PQstatus(c) != CONNECTION_OK) {
		/* the runtime will retry messages until the database is back */
		PQfinish(c);
		return 0;
	}
	r = PQexec(c, "SET client_min_messages = warning;"
		      "SELECT public.shopq_create_runtime_tables('testd');"
		      "CREATE TABLE IF NOT EXISTS testd.effects (id bigserial PRIMARY KEY,"
		      " message_id text NOT NULL, key text NOT NULL, at timestamptz NOT NULL DEFAULT now());"
		      "CREATE TABLE IF NOT EXISTS testd.flags (name text PRIMARY KEY)");
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = sq_err_set(err, "creating the testd schema: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

static const sq_route routes[] = {
	{ "test.apply", 0, apply_fields, NULL, handle_apply, NULL, NULL },
	{ "test.fast", 0, fast_fields, NULL, handle_fast, NULL, fast_first },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	static sq_daemon d = {
		.name = "testd",
		.queue = "shopq.testd",
		.db_section = "testd",
		.db_schema = "testd",
		.routes = routes,
		.sql_first = 1,
		.start = testd_start,
	};
	return sq_daemon_main(argc, argv, &d);
}
