// SPDX-License-Identifier: MIT
// sq_sql_files.h -- the SQL files built into the binaries (migrations and sample
// data), generated from shared/migrations and shared/sample by scripts/embed-sql.
#ifndef SQ_SQL_FILES_H
#define SQ_SQL_FILES_H

struct sq_sql_file {
	const char *dir;  /* "migrations" or "sample" */
	const char *name; /* "001_roles_schemas.sql" */
	const char *text;
};

extern const struct sq_sql_file sq_sql_files[]; /* ends with a NULL name */

#endif
