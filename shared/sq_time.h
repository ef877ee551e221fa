// SPDX-License-Identifier: MIT
// sq_time.h -- timestamps in the form events carry: RFC 3339, UTC.
#ifndef SQ_TIME_H
#define SQ_TIME_H

/* The current time as "2026-11-25T10:00:00.123Z" (millisecond precision). */
void sq_time_now_rfc3339(char out[32]);

#endif
