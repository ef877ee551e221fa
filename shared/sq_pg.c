// SPDX-License-Identifier: MIT
// sq_pg.c -- the libpq connection: lazy connect (with session settings), loss
// detection, a small cache of prepared statements keyed by the SQL text's
// address (each prepared again as its uses double), pipelines of several
// statements in one round trip, and one-statement transactions committed
// without waiting for the WAL flush.
#include "sq_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREPARED 256
/* A statement is prepared again after this many uses, and again each time its
 * uses double: PostgreSQL keeps a statement's generic plan until the
 * table is analyzed, so a plan made while a new table held a few rows (a
 * sequential scan) would otherwise outlive the table's growth. */
#define FIRST_REPLAN 128u

struct sq_pg {
	char *conninfo;
	const char *session_sql; /* run after each connect (SET ...), or NULL */
	PGconn *conn;
	const char *prepared[MAX_PREPARED];
	unsigned uses[MAX_PREPARED]; /* executions on this connection */
	int nprepared;
	char sqlstate[6];
};

sq_pg *sq_pg_new(const char *conninfo)
{
	sq_pg *pg = calloc(1, sizeof *pg);
	if (!pg)
		return NULL;
	pg->conninfo = strdup(conninfo);
	if (!pg->conninfo) {
		free(pg);
		return NULL;
	}
	return pg;
}

static void drop(sq_pg *pg)
{
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
	pg->nprepared = 0;
}

void sq_pg_free(sq_pg *pg)
{
	if (!pg)
		return;
	drop(pg);
	free(pg->conninfo);
	free(pg);
}

PGconn *sq_pg_connectdb(const char *conninfo)
{
	/* Keywords before the expanded dbname are defaults the connection string
	 * overrides (libpq processes the arrays in order). GSSAPI encryption is off
	 * unless asked for: probing for a Kerberos credential cache at each connect
	 * costs a daemon about 0.6 MiB of resident Kerberos pages and a lookup. */
	static const char *const keys[] = { "gssencmode", "dbname", NULL };
	const char *values[] = { "disable", conninfo, NULL };
	return PQconnectdbParams(keys, values, 1);
}

PGconn *sq_pg_conn(sq_pg *pg) { return pg->conn; }
const char *sq_pg_last_sqlstate(const sq_pg *pg) { return pg->sqlstate; }

int sq_pg_ensure(sq_pg *pg, sq_err *err)
{
	char msg[256];
	size_t n;

	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	drop(pg);
	pg->conn = sq_pg_connectdb(pg->conninfo);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg->conn));
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		drop(pg);
		snprintf(pg->sqlstate, sizeof pg->sqlstate, "08006");
		return sq_err_set(err, "database connection failed: %s", msg);
	}
	if (pg->session_sql) {
		PGresult *r = PQexec(pg->conn, pg->session_sql);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			sq_err_set(err, "database session settings: %s", PQerrorMessage(pg->conn));
		PQclear(r);
		if (!ok) {
			drop(pg);
			return -1;
		}
	}
	return 0;
}

void sq_pg_set_session(sq_pg *pg, const char *sql) { pg->session_sql = sql; }

static int result_err(sq_pg *pg, PGresult *r, sq_err *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (PQstatus(pg->conn) != CONNECTION_OK) {
		snprintf(pg->sqlstate, sizeof pg->sqlstate, "08006");
		sq_err_set(err, "database connection lost: %s", PQerrorMessage(pg->conn));
		drop(pg);
		return -1;
	}
	snprintf(pg->sqlstate, sizeof pg->sqlstate, "%s", state ? state : "XX000");
	return sq_err_set(err, "%s: %s", pg->sqlstate, msg ? msg : PQerrorMessage(pg->conn));
}

int sq_pg_exec(sq_pg *pg, const char *sql, sq_err *err)
{
	PGresult *r;
	int rc = 0;

	if (!pg->conn)
		return sq_err_set(err, "database connection lost");
	r = PQexec(pg->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = result_err(pg, r, err);
	PQclear(r);
	return rc;
}

/* Prepares sql as statement idx ("sq<idx>"), first dropping the one it had
 * (again: 1). A failure after the old one is gone drops the connection, so
 * that the cache never names a statement the server lacks. */
static int prepare(sq_pg *pg, int idx, const char *sql, int nparams, int again, sq_err *err)
{
	char name[16], dealloc[32];
	PGresult *r;
	int ok;

	snprintf(name, sizeof name, "sq%d", idx);
	if (again) {
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", name);
		r = PQexec(pg->conn, dealloc);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			result_err(pg, r, err);
		PQclear(r);
		if (!ok)
			return -1;
	}
	r = PQprepare(pg->conn, name, sql, nparams, NULL);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		result_err(pg, r, err);
	PQclear(r);
	if (!ok && again && pg->conn)
		drop(pg);
	return ok ? 0 : -1;
}

/* The index of sql's prepared statement on this connection, preparing it the
 * first time (and again as its use doubles); -2 when the cache is full (run
 * unprepared), -1 on errors. */
static int prepared_index(sq_pg *pg, const char *sql, int nparams, sq_err *err)
{
	int i;

	for (i = 0; i < pg->nprepared && pg->prepared[i] != sql; i++)
		;
	if (i < pg->nprepared) {
		unsigned n = ++pg->uses[i];
		if (n >= FIRST_REPLAN && (n & (n - 1)) == 0 && prepare(pg, i, sql, nparams, 1, err))
			return -1; /* a power of two from FIRST_REPLAN on: prepared again */
		return i;
	}
	if (pg->nprepared >= MAX_PREPARED)
		return -2;
	if (prepare(pg, i, sql, nparams, 0, err))
		return -1;
	pg->prepared[i] = sql;
	pg->uses[i] = 0;
	return pg->nprepared++;
}

static int ok_status(const PGresult *r)
{
	return PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
}

PGresult *sq_pg_query(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err)
{
	char name[16];
	PGresult *r;
	int idx;

	if (!pg->conn) {
		sq_err_set(err, "database connection lost");
		return NULL;
	}
	if ((idx = prepared_index(pg, sql, nparams, err)) == -1)
		return NULL;
	if (idx < 0) {
		r = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	} else {
		snprintf(name, sizeof name, "sq%d", idx);
		r = PQexecPrepared(pg->conn, name, nparams, params, NULL, NULL, 0);
	}
	if (!ok_status(r)) {
		result_err(pg, r, err);
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Reads the results of steps[0..n) and the closing sync. A failed step
 * aborts the rest (PGRES_PIPELINE_ABORTED); its error is the one returned. */
static int pipeline_read(sq_pg *pg, sq_pg_step *steps, int n, sq_err *err)
{
	int rc = 0;
	PGresult *r;

	for (int i = 0; i < n; i++) {
		r = PQgetResult(pg->conn);
		if (!r)
			return -2;
		if (ok_status(r) && steps[i].keep) {
			steps[i].result = r;
		} else {
			if (PQresultStatus(r) == PGRES_FATAL_ERROR && rc == 0)
				rc = result_err(pg, r, err);
			PQclear(r);
			if (!pg->conn)
				return -1;
		}
		while ((r = PQgetResult(pg->conn)) != NULL) /* the end of this step's results */
			PQclear(r);
	}
	r = PQgetResult(pg->conn);
	if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return -2;
	}
	PQclear(r);
	return rc;
}

int sq_pg_pipeline(sq_pg *pg, sq_pg_step *steps, int n, sq_err *err)
{
	char name[16];
	int rc;

	for (int i = 0; i < n; i++)
		steps[i].result = NULL;
	if (!pg->conn)
		return sq_err_set(err, "database connection lost");
	for (int i = 0; i < n; i++) /* prepared before the pipeline starts */
		if ((steps[i].prepared = prepared_index(pg, steps[i].sql, steps[i].nparams, err)) == -1)
			return -1;
	if (!PQenterPipelineMode(pg->conn))
		return result_err(pg, NULL, err);
	for (int i = 0; i < n; i++) {
		int sent;
		if (steps[i].prepared >= 0) {
			snprintf(name, sizeof name, "sq%d", steps[i].prepared);
			sent = PQsendQueryPrepared(pg->conn, name, steps[i].nparams, steps[i].params, NULL, NULL, 0);
		} else {
			sent = PQsendQueryParams(pg->conn, steps[i].sql, steps[i].nparams, NULL, steps[i].params, NULL,
						 NULL, 0);
		}
		if (!sent)
			goto broken;
	}
	if (!PQpipelineSync(pg->conn))
		goto broken;
	rc = pipeline_read(pg, steps, n, err);
	if (rc == -2 || (pg->conn && !PQexitPipelineMode(pg->conn)))
		goto broken;
	if (rc) {
		for (int i = 0; i < n; i++) {
			if (steps[i].keep == SQ_PG_KEEP_ALWAYS)
				continue; /* it ran before the failed step */
			PQclear(steps[i].result);
			steps[i].result = NULL;
		}
	}
	return rc;
broken: /* the protocol state is unknown: start over with a new connection */
	for (int i = 0; i < n; i++) {
		PQclear(steps[i].result);
		steps[i].result = NULL;
	}
	if (pg->conn) {
		sq_err_set(err, "database pipeline failed: %s", PQerrorMessage(pg->conn));
		drop(pg);
	}
	snprintf(pg->sqlstate, sizeof pg->sqlstate, "08006");
	return -1;
}

const char sq_pg_sql_begin[] = "BEGIN";
const char sq_pg_sql_commit[] = "COMMIT";
static const char SQL_ASYNC[] = "SET LOCAL synchronous_commit TO off";

int sq_pg_exec_async(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err)
{
	sq_pg_step st[] = {
		{ .sql = sq_pg_sql_begin },
		{ .sql = SQL_ASYNC },
		{ .sql = sql, .nparams = nparams, .params = params },
		{ .sql = sq_pg_sql_commit },
	};

	if (sq_pg_ensure(pg, err))
		return -1;
	if (sq_pg_pipeline(pg, st, 4, err)) {
		if (pg->conn)
			(void)sq_pg_exec(pg, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}
