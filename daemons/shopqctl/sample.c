// SPDX-License-Identifier: MIT
// sample.c -- `shopqctl sample [--scale N]`: loads the sample catalog, users,
// addresses and payment tokens (idempotent); --scale N adds large set-based
// data for benchmarks.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sq_sql_files.h"

static int run_file(sq_pg *pg, const char *name)
{
	sq_err e;
	for (const struct sq_sql_file *f = sq_sql_files; f->name; f++) {
		if (strcmp(f->dir, "sample") != 0 || strcmp(f->name, name) != 0)
			continue;
		if (sq_pg_exec(pg, "BEGIN", &e) || sq_pg_exec(pg, f->text, &e) || sq_pg_exec(pg, "COMMIT", &e)) {
			(void)sq_pg_exec(pg, "ROLLBACK", NULL);
			return ctl_fail("sample: %s: %s", name, e.msg);
		}
		return 0;
	}
	return ctl_fail("sample: %s is not built in", name);
}

int ctl_sample(ctl *c, int argc, char **argv)
{
	long scale = 0;
	sq_pg *pg;
	int rc;
	sq_err e;

	if (argc == 2 && strcmp(argv[0], "--scale") == 0) {
		char *end;
		scale = strtol(argv[1], &end, 10);
		if (*end || scale < 1 || scale > 100)
			return ctl_fail("sample: --scale takes a whole number from 1 to 100");
	} else if (argc != 0) {
		return ctl_fail("usage: shopqctl sample [--scale N]");
	}
	if (!(pg = ctl_pg(c)))
		return 1;
	rc = run_file(pg, "sample.sql");
	if (!rc && scale) {
		char set[64];
		snprintf(set, sizeof set, "SET shopq.scale = %ld", scale);
		rc = sq_pg_exec(pg, set, &e) ? ctl_fail("sample: %s", e.msg) : run_file(pg, "scale.sql");
	}
	if (!rc)
		printf(scale ? "sample: loaded (scale %ld)\n" : "sample: loaded\n", scale);
	sq_pg_free(pg);
	return rc;
}
