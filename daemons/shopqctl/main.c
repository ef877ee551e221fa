// SPDX-License-Identifier: MIT
// main.c -- shopqctl, the operators' tool: parses global options, loads the
// config and dispatches to one command per file.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "sq_version.h"

int ctl_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("shopqctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

sq_pg *ctl_pg(ctl *c)
{
	sq_err e;
	sq_pg *pg = sq_pg_new(sq_config_conninfo(&c->cfg, NULL));
	if (!pg || sq_pg_ensure(pg, &e)) {
		ctl_fail("%s", pg ? e.msg : "out of memory");
		sq_pg_free(pg);
		return NULL;
	}
	return pg;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: shopqctl [--config PATH] COMMAND [ARGS]\n"
		     "commands:\n"
		     "  migrate                      bring the database to the current schema\n"
		     "  sample [--scale N]           load the sample catalog (N: large data for benchmarks)\n"
		     "  publish [--message-id ID] [--events] ROUTING_KEY JSON\n"
		     "                               publish a persistent JSON message, wait for the confirm\n"
		     "  status [--json]              queues (ready, consumers, dead letters) and jobs' last runs\n"
		     "  dlq list QUEUE               dead letters of QUEUE: message id, attempts, age, reason\n"
		     "  dlq replay QUEUE [--id ID | --reason TEXT] [--dry-run] [--rate N]\n"
		     "                               republish dead letters to QUEUE (recorded, confirmed)\n"
		     "  audit [--no-provider]        check the cross-module invariants (stock, payments, outboxes)\n"
		     "  job list                     each job's schedule, last run (outcome, rows, duration), next run\n"
		     "  job run NAME [--wait] [--timeout S]\n"
		     "                               run a job now (job.run); --wait follows it to its outcome\n"
		     "  report top-selling|recent-orders|products [--limit N]\n"
		     "                               the top sellers, the newest orders, products with brand etc.\n"
		     "options: --config PATH (default %s), --version, --help\n",
		SQ_DEFAULT_CONFIG);
}

static const struct {
	const char *name;
	int (*fn)(ctl *, int, char **);
} commands[] = {
	{ "migrate", ctl_migrate },
	{ "publish", ctl_publish },
	{ "sample", ctl_sample },
	{ "status", ctl_status },
	{ "dlq", ctl_dlq },
	{ "audit", ctl_audit },
	{ "job", ctl_job },
	{ "report", ctl_report },
};

int main(int argc, char **argv)
{
	ctl c = { .config_path = SQ_DEFAULT_CONFIG };
	sq_err e;
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			c.config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("shopqctl %s\n", SQ_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			return ctl_fail("unknown option %s (see shopqctl --help)", argv[i]);
		}
	}
	if (i >= argc)
		return ctl_fail("no command given (see shopqctl --help)");
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		if (sq_config_load(&c.cfg, c.config_path, &e))
			return ctl_fail("%s", e.msg);
		rc = commands[k].fn(&c, argc - i - 1, argv + i + 1);
		sq_config_free(&c.cfg);
		return rc;
	}
	return ctl_fail("unknown command \"%s\" (see shopqctl --help)", argv[i]);
}
