// SPDX-License-Identifier: MIT
// sq_pg.h -- one reused libpq connection per daemon: reconnect on loss,
// statements prepared once per connection, errors as values with SQLSTATE.
#ifndef SQ_PG_H
#define SQ_PG_H

#include <libpq-fe.h>

#include "sq_err.h"

typedef struct sq_pg sq_pg;

sq_pg *sq_pg_new(const char *conninfo);
/* PQconnectdb with shopq's defaults under the string's own settings:
 * gssencmode=disable unless the string names gssencmode. */
PGconn *sq_pg_connectdb(const char *conninfo);
void sq_pg_free(sq_pg *pg);
/* SQL run after every (re)connect, e.g. "SET lock_timeout = '2s'" (a stable
 * string: kept by pointer). */
void sq_pg_set_session(sq_pg *pg, const char *sql);
/* Connects if not connected (or after a loss). 0 or -1 with the reason. */
int sq_pg_ensure(sq_pg *pg, sq_err *err);
PGconn *sq_pg_conn(sq_pg *pg);
/* Runs a statement without parameters (BEGIN, COMMIT, SAVEPOINT ...). */
int sq_pg_exec(sq_pg *pg, const char *sql, sq_err *err);
/* Runs sql with text parameters as a prepared statement (prepared the first
 * time this connection sees this sql pointer: pass string literals). Returns
 * the result (PQclear it) or NULL with "SQLSTATE: message" in err. */
PGresult *sq_pg_query(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err);
/* One statement of a pipeline: prepared like sq_pg_query's; its result is
 * kept in result (PQclear it) when keep is set. */
typedef struct sq_pg_step {
	const char *sql;
	int nparams;
	const char *const *params;
	int keep; /* 1: its result is kept in result; SQ_PG_KEEP_ALWAYS: even when a later step fails */
	PGresult *result;
	int prepared; /* internal */
} sq_pg_step;

#define SQ_PG_KEEP_ALWAYS 2

/* Sends steps[0..n) in one round trip (libpq pipeline mode) and reads every
 * result. 0, or -1 with the first failed step's error (the steps after it are
 * not run; no result is kept but those of SQ_PG_KEEP_ALWAYS steps that ran
 * before it). Inside a transaction block a failure leaves the
 * transaction aborted, as with single statements. */
int sq_pg_pipeline(sq_pg *pg, sq_pg_step *steps, int n, sq_err *err);

/* BEGIN and COMMIT as pipeline steps: one text each, so prepared once per
 * connection whoever sends them. */
extern const char sq_pg_sql_begin[];
extern const char sq_pg_sql_commit[];

/* Runs one statement in a transaction of its own committed without waiting
 * for the WAL flush (synchronous_commit off): for facts a PostgreSQL crash may
 * lose without harm (log lines, clean-up). Connects when needed. */
int sq_pg_exec_async(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err);

/* The SQLSTATE of the last failed call ("" if none). */
const char *sq_pg_last_sqlstate(const sq_pg *pg);

#endif
