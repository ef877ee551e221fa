// SPDX-License-Identifier: MIT
// ctl.h -- shared pieces of shopqctl's commands: the loaded config and the
// one-line error convention (non-zero exit, one clear line on stderr).
#ifndef SHOPQCTL_CTL_H
#define SHOPQCTL_CTL_H

#include <stdio.h>

#include "sq_config.h"
#include "sq_pg.h"

typedef struct ctl {
	sq_config cfg;
	const char *config_path;
} ctl;

/* Prints "shopqctl: <message>" on stderr and returns 1 (the exit status). */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Connects to PostgreSQL as the owner (postgres.conninfo) or exits via ctl_fail. */
sq_pg *ctl_pg(ctl *c);

int ctl_migrate(ctl *c, int argc, char **argv);
int ctl_publish(ctl *c, int argc, char **argv);
int ctl_sample(ctl *c, int argc, char **argv);
int ctl_job(ctl *c, int argc, char **argv);
int ctl_report(ctl *c, int argc, char **argv);

/* Prints rows of cells (row-major, ncols each) under head, columns padded to
 * their widest cell; align[c] == 'r' right-aligns column c (align may be NULL). */
void ctl_table_print(FILE *out, int ncols, const char *const *head, const char *align, char **cells, int nrows);
int ctl_status(ctl *c, int argc, char **argv);
int ctl_dlq(ctl *c, int argc, char **argv);
int ctl_audit(ctl *c, int argc, char **argv);

#endif
