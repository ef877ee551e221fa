// SPDX-License-Identifier: MIT
// state.c -- the payments daemon's state: the provider client built once from
// the config, and its side autocommit connection for what must be recorded
// before (or regardless of) the message's transaction: charge attempts, logs.
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "sq_log.h"

/* never wait long on a row the message's own (open) transaction may hold */
static const char SIDE_SESSION[] = "SET lock_timeout = '2s'; SET statement_timeout = '15s'";

int payments_start(void **ret_state, const sq_config *cfg, sq_err *err)
{
	payments_state *st;

	*ret_state = NULL;
	if (!cfg->api_key || !*cfg->api_key)
		return sq_err_set(err, "%s: payments.api_key (or api_key_file) is not set", cfg->path);
	if (!cfg->webhook_secret || !*cfg->webhook_secret)
		return sq_err_set(err, "%s: payments.webhook_secret (or webhook_secret_file) is not set", cfg->path);
	if (!(st = calloc(1, sizeof *st)))
		return sq_err_set(err, "out of memory");
	st->provider = payments_provider_new(cfg->gateway_url, cfg->api_key, cfg->gateway_timeout_ms, err);
	st->side = sq_pg_new(sq_config_conninfo(cfg, "payments_db"));
	st->webhook_secret = strdup(cfg->webhook_secret);
	st->webhook_tolerance_s = cfg->webhook_tolerance_s;
	if (st->side)
		sq_pg_set_session(st->side, SIDE_SESSION);
	if (!st->provider || !st->side || !st->webhook_secret) {
		if (st->provider)
			sq_err_set(err, "out of memory");
		payments_stop(st);
		return -1;
	}
	char shown[512];
	sq_log_mask_secret(cfg->gateway_url, shown, sizeof shown);
	sq_log_notice("payment provider %s (timeout %d ms, webhook tolerance %d s)", shown, cfg->gateway_timeout_ms,
		      cfg->webhook_tolerance_s);
	*ret_state = st;
	return 0;
}

void payments_stop(void *state)
{
	payments_state *st = state;

	if (!st)
		return;
	payments_provider_free(st->provider);
	sq_pg_free(st->side);
	free(st->asked);
	free(st->answers);
	if (st->webhook_secret)
		explicit_bzero(st->webhook_secret, strlen(st->webhook_secret));
	free(st->webhook_secret);
	free(st);
}

PGresult *payments_side_query(payments_state *st, const char *sql, int nparams, const char *const *params,
			      sq_err *err)
{
	/* every side statement may run twice (reads, INSERT .. ON CONFLICT DO NOTHING,
	 * log lines): a connection lost since the last use is re-opened once */
	for (int round = 0; round < 2; round++) {
		PGresult *r;
		sq_err e;
		if (sq_pg_ensure(st->side, &e)) {
			sq_err_set(err, "database (side connection): %s", e.msg);
			return NULL;
		}
		if ((r = sq_pg_query(st->side, sql, nparams, params, &e)))
			return r;
		sq_err_set(err, "database (side connection): %s", e.msg);
		if (sq_pg_conn(st->side)) /* still connected: a statement error */
			return NULL;
	}
	return NULL;
}

void payments_side_log(payments_state *st, const char *payment_id, const char *fmt, ...)
{
	char line[1024];
	const char *lp = line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	payments_side_log_many(st, 1, &payment_id, &lp);
}

static const char SQL_SIDE_LOG_MANY[] =
	"INSERT INTO payments.payment_logs (payment_id, log_message)"
	" SELECT x.payment_id, x.line FROM jsonb_to_recordset($1::jsonb) AS x(payment_id bigint, line text)";

void payments_side_log_many(payments_state *st, int n, const char *const *payment_ids, const char *const *lines)
{
	json_t *rows = json_array();
	char *text = NULL;
	sq_err e;

	if (n <= 0) {
		json_decref(rows);
		return;
	}
	for (int i = 0; rows && i < n; i++)
		if (json_array_append_new(rows, json_pack("{s:s, s:s}", "payment_id", payment_ids[i], "line", lines[i])))
			break;
	if (rows && json_array_size(rows) == (size_t)n && (text = json_dumps(rows, JSON_COMPACT))) {
		const char *p[] = { text };
		if (sq_pg_exec_async(st->side, SQL_SIDE_LOG_MANY, 1, p, &e) == 0 ||
		    (!sq_pg_conn(st->side) && sq_pg_exec_async(st->side, SQL_SIDE_LOG_MANY, 1, p, &e) == 0))
			goto out;
	} else {
		sq_err_set(&e, "out of memory");
	}
	for (int i = 0; i < n; i++)
		sq_log_warn("payment %s: log line not recorded (%s): %s", payment_ids[i], e.msg, lines[i]);
out:
	free(text);
	json_decref(rows);
}
