// SPDX-License-Identifier: MIT
// sq_err.c -- filling a struct sq_err.
#include "sq_err.h"

#include <stdarg.h>
#include <stdio.h>

int sq_err_set(sq_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}
