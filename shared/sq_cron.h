// SPDX-License-Identifier: MIT
// Cron expressions: parsing five-field Vixie-cron expressions, @-macros and the
// "@every" extension into a compact bitset form, and computing next/previous run times.
#ifndef SQ_CRON_H
#define SQ_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed schedule. Either every_seconds > 0 ("@every"; the bitsets are then
 * unused and zero), or the bitsets describe a five-field expression. */
typedef struct sq_cron {
    uint64_t minute;          /* bit n set: minute n matches (0-59) */
    uint32_t hour;            /* bit n: hour n (0-23) */
    uint32_t dom;             /* bit n: day of month n (1-31) */
    uint16_t month;           /* bit n: month n (1-12) */
    uint8_t dow;              /* bit n: day of week n (0-6, 0 = Sunday) */
    bool dom_star;            /* day-of-month field began with '*' */
    bool dow_star;            /* day-of-week field began with '*' */
    long long every_seconds;  /* > 0 for "@every <N>s|m|h" */
} sq_cron;

/* Parses a five-field expression "minute hour day-of-month month day-of-week".
 * Each field is a comma list of items; an item is '*', N or N-M, optionally
 * followed by a step "/S" (N/S means N-max/S). Months accept JAN-DEC, weekdays
 * SUN-SAT (3 letters, any case, also inside ranges); weekday 7 is Sunday, and
 * SUN at the end of a range means 7 (so MON-SUN works). Also accepts
 * @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and the
 * extension "@every <N>s|m|h" (1 second up to 366 days). Day matching
 * follows Vixie cron: if both day fields are restricted (neither starts with
 * '*') a day matches when EITHER matches, otherwise both must match.
 * Returns 0 and fills *out, or returns -1, leaves *out untouched and writes a
 * reason into err (if err != NULL and errlen > 0), e.g.
 * "field 2 (hour): 24 is out of range 0-23" or "expected 5 fields, got 4". */
int sq_cron_parse(const char *expr, sq_cron *out, char *err, size_t errlen);

/* The first time strictly after `after` (unix seconds) at which the schedule
 * fires, or -1 if none within 5 years (e.g. "0 0 30 2 *"), if the time zone
 * is invalid, or on bad arguments.
 *
 * Fields are matched against wall-clock time in zone tz: NULL or "UTC" is
 * UTC (pure arithmetic, thread-safe); anything else is an IANA zone name
 * (e.g. "Europe/Berlin") that is evaluated by temporarily setting the TZ
 * environment variable and calling tzset()/localtime_r(), so calls with a
 * named zone are NOT thread-safe (nor safe against concurrent getenv/setenv)
 * and must be serialised by the caller. Daylight-saving rules: each matching
 * wall-clock minute fires once; wall times repeated by a fall-back transition
 * do not fire a second time, and matching wall times skipped by a
 * spring-forward gap fire once, at the instant the gap ends.
 *
 * For "@every N": the next multiple of N seconds after `after`, counted
 * from the epoch (tz is ignored). */
long long sq_cron_next(const sq_cron *c, long long after, const char *tz);

/* The latest time <= `at` at which the schedule fires (used to catch up the
 * latest missed run), or -1 if none in the 5 years before `at`, if the time
 * zone is invalid, or on bad arguments. Same zone rules as sq_cron_next(). */
long long sq_cron_prev(const sq_cron *c, long long at, const char *tz);

/* True if tz is acceptable to sq_cron_next()/sq_cron_prev(): NULL, "UTC",
 * or the name of a zone file under $TZDIR (default /usr/share/zoneinfo). */
bool sq_cron_tz_valid(const char *tz);

#endif /* SQ_CRON_H */
