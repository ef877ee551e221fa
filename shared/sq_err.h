// SPDX-License-Identifier: MIT
// sq_err.h -- errors as values: library code fills a struct sq_err with words,
// the caller that handles the error logs it once.
#ifndef SQ_ERR_H
#define SQ_ERR_H

#include <stddef.h>

typedef struct sq_err {
	char msg[512];
} sq_err;

/* Formats the reason into e (e may be NULL). Always returns -1 so callers can
 * write `return sq_err_set(e, "...")`. */
int sq_err_set(sq_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
