// SPDX-License-Identifier: MIT
// migrate.c -- `shopqctl migrate`: applies the embedded migrations in order,
// each in its own transaction, recorded in public.shopq_migrations, under an
// advisory lock so concurrent runs never interleave; safe to run twice.
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sq_sql_files.h"

#define MIGRATE_LOCK "SELECT pg_advisory_lock(7305880000001)"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(7305880000001)"

int ctl_migrate(ctl *c, int argc, char **argv)
{
	sq_err e;
	sq_pg *pg;
	int applied = 0, current = 0, rc = 1;

	(void)argv;
	if (argc != 0)
		return ctl_fail("migrate takes no arguments");
	if (!(pg = ctl_pg(c)))
		return 1;
	if (sq_pg_exec(pg, "SET client_min_messages = warning", &e) || sq_pg_exec(pg, MIGRATE_LOCK, &e) ||
	    sq_pg_exec(pg, "CREATE TABLE IF NOT EXISTS public.shopq_migrations ("
			   "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
		       &e)) {
		ctl_fail("migrate: %s", e.msg);
		goto out;
	}
	for (const struct sq_sql_file *f = sq_sql_files; f->name; f++) {
		if (strcmp(f->dir, "migrations") != 0)
			continue;
		const char *p[] = { f->name };
		PGresult *r = sq_pg_query(pg, "SELECT 1 FROM public.shopq_migrations WHERE name = $1", 1, p, &e);
		if (!r) {
			ctl_fail("migrate: %s", e.msg);
			goto out;
		}
		int done = PQntuples(r) > 0;
		PQclear(r);
		if (done) {
			current++;
			continue;
		}
		if (sq_pg_exec(pg, "BEGIN", &e) || sq_pg_exec(pg, f->text, &e)) {
			(void)sq_pg_exec(pg, "ROLLBACK", NULL);
			ctl_fail("migrate: %s: %s", f->name, e.msg);
			goto out;
		}
		r = sq_pg_query(pg, "INSERT INTO public.shopq_migrations (name) VALUES ($1)", 1, p, &e);
		if (!r || (PQclear(r), sq_pg_exec(pg, "COMMIT", &e))) {
			(void)sq_pg_exec(pg, "ROLLBACK", NULL);
			ctl_fail("migrate: %s: %s", f->name, e.msg);
			goto out;
		}
		applied++;
	}
	printf("migrate: %d applied, %d already current\n", applied, current);
	rc = 0;
out:
	(void)sq_pg_exec(pg, MIGRATE_UNLOCK, NULL);
	sq_pg_free(pg);
	return rc;
}
