// SPDX-License-Identifier: MIT
// sq_fault.c -- the test builds' fault points: crash points that abort the
// daemon where $SHOPQ_CRASH_AT says, and fault points that make it act as if
// a fault happened where $SHOPQ_FAULT_AT says. Compiled out of the programs.
#include "sq_runtime.h"

#include <stdlib.h>
#include <string.h>

#include "sq_log.h"

#ifdef SQ_TEST_HOOKS
void sq_crash_point(const char *name)
{
	const char *at = getenv("SHOPQ_CRASH_AT");
	if (at && strcmp(at, name) == 0) {
		sq_log_release(1);
		sq_log_warn("crash point %s reached: aborting (test build)", name);
		abort();
	}
}

/* Every second time, so that what the fault put back (redelivered messages)
 * is handled once in between before the point fires again. */
int sq_fault_point(const char *name)
{
	static long reached, fired;
	const char *at = getenv("SHOPQ_FAULT_AT");
	const char *times = getenv("SHOPQ_FAULT_TIMES");
	long limit = times ? strtol(times, NULL, 10) : 1;

	if (!at || strcmp(at, name) != 0 || fired >= limit || ++reached % 2)
		return 0;
	fired++;
	sq_log_warn("fault point %s reached (%ld of %ld): acting on it (test build)", name, fired, limit);
	return 1;
}
#endif
