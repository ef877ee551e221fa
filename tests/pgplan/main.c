// SPDX-License-Identifier: MIT
// main.c -- sq-pgplan, a test driver for sq_pg's prepared statements: it
// prepares a three-way OR lookup (the shape of payments' settle) while its
// table holds ten rows (analyzed, as autovacuum does a young table), grows the
// table a thousandfold without another ANALYZE (autovacuum off for it), runs
// the statement on, and prints the plan the connection's prepared statement
// has at each end ("small: ..." and
// "grown: ...", the plan's first node). A plan made for ten rows and kept is a
// sequential scan of the whole grown table.
#include <stdio.h>
#include <string.h>

#include "sq_pg.h"

#define TABLE "sq_pgplan_t"
static const char SQL_LOOKUP[] = "SELECT id FROM " TABLE " WHERE id = $1::bigint OR ref = $2 OR grp = $3::bigint";

/* the first line of EXPLAIN EXECUTE of the connection's first statement */
static int print_plan(sq_pg *pg, const char *label)
{
	PGresult *r = PQexec(sq_pg_conn(pg), "EXPLAIN (COSTS OFF) EXECUTE sq0 ('5', 'r5', '5')");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
		fprintf(stderr, "sq-pgplan: explain: %s", PQerrorMessage(sq_pg_conn(pg)));
		PQclear(r);
		return -1;
	}
	printf("%s: %s\n", label, PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* runs the lookup n times through sq_pg_query */
static int lookups(sq_pg *pg, int n, sq_err *err)
{
	const char *p[] = { "5", "r5", "5" };
	for (int i = 0; i < n; i++) {
		PGresult *r = sq_pg_query(pg, SQL_LOOKUP, 3, p, err);
		if (!r)
			return -1;
		PQclear(r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	sq_err err = { 0 };
	sq_pg *pg;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: sq-pgplan CONNINFO\n");
		return 2;
	}
	if (!(pg = sq_pg_new(argv[1])))
		return 1;
	if (sq_pg_ensure(pg, &err) ||
	    sq_pg_exec(pg, "SET client_min_messages = warning", &err) ||
	    sq_pg_exec(pg, "DROP TABLE IF EXISTS " TABLE, &err) ||
	    sq_pg_exec(pg, "CREATE TABLE " TABLE " (id bigint PRIMARY KEY, ref text, grp bigint)"
			   " WITH (autovacuum_enabled = false)", &err) ||
	    sq_pg_exec(pg, "CREATE INDEX ON " TABLE " (ref)", &err) ||
	    sq_pg_exec(pg, "CREATE INDEX ON " TABLE " (grp)", &err) ||
	    sq_pg_exec(pg, "INSERT INTO " TABLE " SELECT g, 'r' || g, g FROM generate_series(1, 10) g", &err) ||
	    sq_pg_exec(pg, "ANALYZE " TABLE, &err) ||
	    lookups(pg, 20, &err))
		goto out;
	if (print_plan(pg, "small"))
		goto out;
	if (sq_pg_exec(pg, "INSERT INTO " TABLE " SELECT g, 'r' || g, g FROM generate_series(11, 10000) g", &err) ||
	    lookups(pg, 300, &err))
		goto out;
	if (print_plan(pg, "grown"))
		goto out;
	rc = sq_pg_exec(pg, "DROP TABLE " TABLE, &err) ? 1 : 0;
out:
	if (rc && err.msg[0])
		fprintf(stderr, "sq-pgplan: %s\n", err.msg);
	sq_pg_free(pg);
	return rc;
}
