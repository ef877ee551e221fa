// SPDX-License-Identifier: MIT
// sq_time.c -- RFC 3339 timestamps for events.
#include "sq_time.h"

#include <stdio.h>
#include <time.h>

void sq_time_now_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}
