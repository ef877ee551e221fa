// SPDX-License-Identifier: MIT
// sq_pg.c -- the libpq connection: lazy connect, loss detection, a small cache
// of prepared statements keyed by the SQL text's address.
#include "sq_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREPARED 256

struct sq_pg {
	char *conninfo;
	PGconn *conn;
	const char *prepared[MAX_PREPARED];
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

PGconn *sq_pg_conn(sq_pg *pg) { return pg->conn; }
const char *sq_pg_last_sqlstate(const sq_pg *pg) { return pg->sqlstate; }

int sq_pg_ensure(sq_pg *pg, sq_err *err)
{
	char msg[256];
	size_t n;

	if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	drop(pg);
	pg->conn = PQconnectdb(pg->conninfo);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg->conn));
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		drop(pg);
		snprintf(pg->sqlstate, sizeof pg->sqlstate, "08006");
		return sq_err_set(err, "database connection failed: %s", msg);
	}
	return 0;
}

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

PGresult *sq_pg_query(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err)
{
	char name[16];
	int idx = -1;
	PGresult *r;

	if (!pg->conn) {
		sq_err_set(err, "database connection lost");
		return NULL;
	}
	for (int i = 0; i < pg->nprepared; i++)
		if (pg->prepared[i] == sql) {
			idx = i;
			break;
		}
	if (idx < 0 && pg->nprepared < MAX_PREPARED) {
		idx = pg->nprepared;
		snprintf(name, sizeof name, "sq%d", idx);
		r = PQprepare(pg->conn, name, sql, nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			result_err(pg, r, err);
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		pg->prepared[pg->nprepared++] = sql;
	}
	if (idx < 0) {
		r = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	} else {
		snprintf(name, sizeof name, "sq%d", idx);
		r = PQexecPrepared(pg->conn, name, nparams, params, NULL, NULL, 0);
	}
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		result_err(pg, r, err);
		PQclear(r);
		return NULL;
	}
	return r;
}
