// SPDX-License-Identifier: MIT
// due.c -- when a job is due: the latest fire time not after now, once.
#include "sched.h"

long long sched_due(const sq_cron *c, const char *tz, long long now, long long last_slot)
{
	long long slot = sq_cron_prev(c, now, tz);
	return slot >= 0 && slot > last_slot ? slot : -1;
}
