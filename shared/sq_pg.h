// SPDX-License-Identifier: MIT
// sq_pg.h -- one reused libpq connection per daemon: reconnect on loss,
// statements prepared once per connection, errors as values with SQLSTATE.
#ifndef SQ_PG_H
#define SQ_PG_H

#include <libpq-fe.h>

#include "sq_err.h"

typedef struct sq_pg sq_pg;

sq_pg *sq_pg_new(const char *conninfo);
void sq_pg_free(sq_pg *pg);
/* Connects if not connected (or after a loss). 0 or -1 with the reason. */
int sq_pg_ensure(sq_pg *pg, sq_err *err);
PGconn *sq_pg_conn(sq_pg *pg);
/* Runs a statement without parameters (BEGIN, COMMIT, SAVEPOINT ...). */
int sq_pg_exec(sq_pg *pg, const char *sql, sq_err *err);
/* Runs sql with text parameters as a prepared statement (prepared the first
 * time this connection sees this sql pointer: pass string literals). Returns
 * the result (PQclear it) or NULL with "SQLSTATE: message" in err. */
PGresult *sq_pg_query(sq_pg *pg, const char *sql, int nparams, const char *const *params, sq_err *err);
/* The SQLSTATE of the last failed call ("" if none). */
const char *sq_pg_last_sqlstate(const sq_pg *pg);

#endif
