// SPDX-License-Identifier: MIT
// main.c -- sq-rssfloor, the benchmark's memory floor: a program that links
// only libpq (as Debian builds it), connects, runs one query and prints its
// peak RSS (VmHWM, KiB). Every daemon needs at least this much before any
// shopq code runs; scripts/bench prints the daemons' peak RSS beside it.
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char line[256];
	long hwm = -1;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: sq-rssfloor CONNINFO\n");
		return 2;
	}
	PGconn *conn = PQconnectdb(argv[1]);
	PGresult *r = PQstatus(conn) == CONNECTION_OK ? PQexec(conn, "SELECT 1") : NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sq-rssfloor: %s", PQerrorMessage(conn));
		PQclear(r);
		PQfinish(conn);
		return 1;
	}
	PQclear(r);
	if (!(f = fopen("/proc/self/status", "r"))) {
		PQfinish(conn);
		return 1;
	}
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
			break;
	fclose(f);
	PQfinish(conn);
	printf("%ld\n", hwm);
	return hwm < 0;
}
