// SPDX-License-Identifier: MIT
// report.c -- `shopqctl report top-selling | recent-orders | products`: one
// indexed query each, printed as an aligned table; and the table printer the
// other commands share.
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void ctl_table_print(FILE *out, int ncols, const char *const *head, const char *align, char **cells, int nrows)
{
	size_t w[32] = { 0 };

	if (ncols > 32)
		ncols = 32;
	for (int c = 0; c < ncols; c++)
		w[c] = strlen(head[c]);
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c] ? cells[r * ncols + c] : "";
			if (strlen(v) > w[c])
				w[c] = strlen(v);
		}
	for (int r = -1; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			const char *v = r < 0 ? head[c] : cells[r * ncols + c] ? cells[r * ncols + c] : "";
			int last = c == ncols - 1;
			if (align && align[c] == 'r')
				fprintf(out, "%*s%s", (int)w[c], v, last ? "" : "  ");
			else if (last)
				fputs(v, out);
			else
				fprintf(out, "%-*s  ", (int)w[c], v);
		}
		fputc('\n', out);
	}
}

/* Prints a result set: column names upper-cased as the header, numbers right-aligned. */
static void print_result(PGresult *r)
{
	int nc = PQnfields(r), nr = PQntuples(r);
	char **cells = calloc((size_t)(nc * nr) + 1, sizeof *cells);
	char head[32][64], align[33] = "";
	const char *hp[32];

	if (!cells || nc > 32) {
		free(cells);
		return;
	}
	for (int c = 0; c < nc; c++) {
		Oid t = PQftype(r, c);
		snprintf(head[c], sizeof head[c], "%s", PQfname(r, c));
		for (char *p = head[c]; *p; p++)
			*p = (char)(*p == '_' ? ' ' : (*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
		hp[c] = head[c];
		align[c] = (t == 20 || t == 21 || t == 23 || t == 1700) ? 'r' : 'l'; /* int8, int2, int4, numeric */
	}
	for (int i = 0; i < nr; i++)
		for (int c = 0; c < nc; c++)
			cells[i * nc + c] = PQgetvalue(r, i, c);
	ctl_table_print(stdout, nc, hp, align, cells, nr);
	free(cells);
}

/* top_selling_products_total_idx (total_quantity_sold DESC, product_id) */
static const char SQL_TOP_SELLING[] =
	"SELECT product_id, name, total_quantity_sold AS sold FROM reports.top_selling_products"
	" ORDER BY total_quantity_sold DESC, product_id LIMIT $1";
/* orders_created_at_idx (created_at DESC) */
static const char SQL_RECENT_ORDERS[] =
	"SELECT id AS order_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS created_utc,"
	" user_id, order_status AS status, payment_status AS payment, total, currency"
	" FROM sales.orders ORDER BY created_at DESC LIMIT $1";
/* products_pkey in order, then one primary-key lookup per brand, category, supplier */
static const char SQL_PRODUCTS[] =
	"SELECT p.id AS product_id, p.name, p.price, b.name AS brand, c.name AS category, s.name AS supplier"
	" FROM catalog.products p"
	" LEFT JOIN catalog.brands b ON b.id = p.brand_id"
	" LEFT JOIN catalog.categories c ON c.id = p.category_id"
	" LEFT JOIN catalog.suppliers s ON s.id = p.supplier_id"
	" ORDER BY p.id LIMIT $1";

static const struct {
	const char *name;
	const char *sql;
	long dflt;
} reports[] = {
	{ "top-selling", SQL_TOP_SELLING, 10 },
	{ "recent-orders", SQL_RECENT_ORDERS, 100 },
	{ "products", SQL_PRODUCTS, 100 },
};

int ctl_report(ctl *c, int argc, char **argv)
{
	const char *usage = "usage: shopqctl report top-selling|recent-orders|products [--limit N] [--explain]";
	int explain = argc > 1 && strcmp(argv[argc - 1], "--explain") == 0;
	char lim[24];
	const char *p[] = { lim };
	long limit;
	sq_pg *pg;
	sq_err e;
	PGresult *r;

	if (explain)
		argc--;
	if (argc < 1)
		return ctl_fail("%s", usage);
	for (size_t k = 0; k < sizeof reports / sizeof reports[0]; k++) {
		if (strcmp(argv[0], reports[k].name) != 0)
			continue;
		limit = reports[k].dflt;
		if (argc == 3 && strcmp(argv[1], "--limit") == 0) {
			char *end;
			limit = strtol(argv[2], &end, 10);
			if (*end || end == argv[2] || limit < 1 || limit > 100000)
				return ctl_fail("report: --limit takes a whole number from 1 to 100000");
		} else if (argc != 1) {
			return ctl_fail("%s", usage);
		}
		snprintf(lim, sizeof lim, "%ld", limit);
		if (!(pg = ctl_pg(c)))
			return 1;
		if (explain) {
			/* the plan the report runs with, for operators checking its indexes */
			char sql[2048];
			snprintf(sql, sizeof sql, "EXPLAIN %s", reports[k].sql);
			r = PQexecParams(sq_pg_conn(pg), sql, 1, NULL, p, NULL, NULL, 0);
			int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
			for (int i = 0; ok && i < PQntuples(r); i++)
				puts(PQgetvalue(r, i, 0));
			if (!ok)
				ctl_fail("report %s: %s", reports[k].name, PQerrorMessage(sq_pg_conn(pg)));
			PQclear(r);
			sq_pg_free(pg);
			return ok ? 0 : 1;
		}
		if (!(r = sq_pg_query(pg, reports[k].sql, 1, p, &e))) {
			sq_pg_free(pg);
			return ctl_fail("report %s: %s", reports[k].name, e.msg);
		}
		print_result(r);
		PQclear(r);
		sq_pg_free(pg);
		return 0;
	}
	return ctl_fail("report: no report \"%s\" (%s)", argv[0], usage + 7);
}
