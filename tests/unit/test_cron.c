// SPDX-License-Identifier: MIT
// Unit tests for shared/sq_cron.c: parsing, rejection of invalid expressions,
// and next/prev run times (UTC and named zones), checked against hand-computed tables.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../shared/sq_cron.h"

/* Base time of most table rows: a Sunday. */
#define B "2026-03-15T10:30:00Z"

/* Parses "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM" into
 * unix seconds; NULL means -1 ("no run"). Aborts the test on bad input. */
static long long iso(const char *s)
{
    if (s == NULL)
        return -1;
    struct tm tm = {0};
    char zone[8] = "";
    int n = 0;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%7s%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, zone, &n) != 7 ||
        s[n] != '\0')
        fail_msg("bad ISO time in test table: %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long t = (long long)timegm(&tm);
    if (strcmp(zone, "Z") == 0)
        return t;
    int oh, om;
    if ((zone[0] != '+' && zone[0] != '-') || sscanf(zone + 1, "%d:%d", &oh, &om) != 2)
        fail_msg("bad zone in test table: %s", s);
    long long off = oh * 3600LL + om * 60LL;
    return zone[0] == '+' ? t - off : t + off;
}

static void fmt_time(long long t, char *buf, size_t len)
{
    if (t == -1) {
        snprintf(buf, len, "-1");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct run_case {
    const char *expr;
    const char *tz;     /* NULL = UTC */
    const char *base;   /* `after` for next(), `at` for prev() */
    const char *expect; /* NULL = -1 */
} run_case;

/* ------------------------------------------------------------------ */

static const run_case next_cases[] = {
    /* minute field */
    {"* * * * *", NULL, B, "2026-03-15T10:31:00Z"},
    {"* * * * *", NULL, "2026-03-15T10:30:45Z", "2026-03-15T10:31:00Z"},
    {"*/5 * * * *", NULL, B, "2026-03-15T10:35:00Z"},
    {"30 * * * *", NULL, B, "2026-03-15T11:30:00Z"},
    {"0 * * * *", NULL, B, "2026-03-15T11:00:00Z"},
    {"15,45 * * * *", NULL, B, "2026-03-15T10:45:00Z"},
    {"10-20 * * * *", NULL, B, "2026-03-15T11:10:00Z"},
    {"10-50/10 * * * *", NULL, B, "2026-03-15T10:40:00Z"},
    {"5/15 * * * *", NULL, B, "2026-03-15T10:35:00Z"},
    {"0-5,58 * * * *", NULL, "2026-03-15T10:58:00Z", "2026-03-15T11:00:00Z"},
    /* hour field */
    {"0 0 * * *", NULL, B, "2026-03-16T00:00:00Z"},
    {"0 12 * * *", NULL, B, "2026-03-15T12:00:00Z"},
    {"0 9-17 * * *", NULL, B, "2026-03-15T11:00:00Z"},
    {"0 */6 * * *", NULL, B, "2026-03-15T12:00:00Z"},
    {"59 23 * * *", NULL, B, "2026-03-15T23:59:00Z"},
    {"23 0-20/2 * * *", NULL, B, "2026-03-15T12:23:00Z"},
    {"* 11 * * *", NULL, B, "2026-03-15T11:00:00Z"},
    {"30 10 * * *", NULL, B, "2026-03-16T10:30:00Z"},
    /* day of month, month ends, leap days */
    {"0 0 1 * *", NULL, B, "2026-04-01T00:00:00Z"},
    {"0 0 15 * *", NULL, B, "2026-04-15T00:00:00Z"},
    {"30 10 15 * *", NULL, B, "2026-04-15T10:30:00Z"},
    {"0 4 8-14 * *", NULL, B, "2026-04-08T04:00:00Z"},
    {"0 0 31 * *", NULL, B, "2026-03-31T00:00:00Z"},
    {"0 0 31 * *", NULL, "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"},
    {"0 0 31 * *", NULL, "2026-07-31T12:00:00Z", "2026-08-31T00:00:00Z"},
    {"0 0 30 * *", NULL, "2027-01-31T00:00:00Z", "2027-03-30T00:00:00Z"},
    {"0 0 29 * *", NULL, "2028-01-30T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"0 0 29 * *", NULL, "2027-01-30T00:00:00Z", "2027-03-29T00:00:00Z"},
    {"0 0 29 2 *", NULL, B, "2028-02-29T00:00:00Z"},
    {"0 0 29 2 *", NULL, "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
    {"0 0 30 2 *", NULL, B, NULL},
    {"0 0 31 4 *", NULL, B, NULL},
    {"0 0 31 9,11 *", NULL, B, NULL},
    /* month field and names */
    {"1 2 3 4 *", NULL, B, "2026-04-03T02:01:00Z"},
    {"0 0 * JAN *", NULL, B, "2027-01-01T00:00:00Z"},
    {"0 0 1 jun,dec *", NULL, B, "2026-06-01T00:00:00Z"},
    {"0 0 1 MAR-May *", NULL, B, "2026-04-01T00:00:00Z"},
    {"0 0,12 1 */2 *", NULL, B, "2026-05-01T00:00:00Z"},
    {"0 0 1 jan-dec/3 *", NULL, B, "2026-04-01T00:00:00Z"},
    {"0 0 31 12 *", NULL, B, "2026-12-31T00:00:00Z"},
    /* year rollover */
    {"0 0 1 1 *", NULL, B, "2027-01-01T00:00:00Z"},
    {"0 0 1 1 *", NULL, "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
    {"*/10 * * * *", NULL, "2026-12-31T23:55:00Z", "2027-01-01T00:00:00Z"},
    {"0 0 * 2 *", NULL, "2026-02-28T00:00:00Z", "2027-02-01T00:00:00Z"},
    /* day of week, names, 7 = Sunday */
    {"0 0 * * MON", NULL, B, "2026-03-16T00:00:00Z"},
    {"0 9 * * mon-fri", NULL, B, "2026-03-16T09:00:00Z"},
    {"0 9 * * 1-5", NULL, B, "2026-03-16T09:00:00Z"},
    {"0 22 * * 1-5", NULL, B, "2026-03-16T22:00:00Z"},
    {"0 0 * * 7", NULL, B, "2026-03-22T00:00:00Z"},
    {"0 0 * * 0", NULL, B, "2026-03-22T00:00:00Z"},
    {"0 0 * * Sun", NULL, B, "2026-03-22T00:00:00Z"},
    {"5 4 * * sun", NULL, B, "2026-03-22T04:05:00Z"},
    {"0 0 * * 5-7", NULL, B, "2026-03-20T00:00:00Z"},
    {"0 0 * * sat", NULL, B, "2026-03-21T00:00:00Z"},
    {"0 0 * * 6,0", NULL, B, "2026-03-21T00:00:00Z"},
    {"0 0 * * MON-SUN", NULL, B, "2026-03-16T00:00:00Z"},
    {"0 0 * * fri-sun", NULL, "2026-03-16T00:00:00Z", "2026-03-20T00:00:00Z"},
    {"0 0 * * */3", NULL, B, "2026-03-18T00:00:00Z"},
    {"*/15 9-17 * * mon-fri", NULL, "2026-03-20T17:50:00Z", "2026-03-23T09:00:00Z"},
    /* DOM/DOW: both restricted -> OR; a field starting with '*' -> AND */
    {"0 0 13 * 5", NULL, B, "2026-03-20T00:00:00Z"},
    {"0 0 13 * 5", NULL, "2026-03-20T12:00:00Z", "2026-03-27T00:00:00Z"},
    {"0 0 1 * 5", NULL, "2026-03-28T00:00:00Z", "2026-04-01T00:00:00Z"},
    {"0 0 1,15 * 3", NULL, B, "2026-03-18T00:00:00Z"},
    {"0 0 1-7 * 1", NULL, B, "2026-03-16T00:00:00Z"},
    {"0 0 29 2 1", NULL, B, "2027-02-01T00:00:00Z"},
    {"0 0 */2 * 1", NULL, B, "2026-03-23T00:00:00Z"},
    {"0 0 1 * */2", NULL, B, "2026-08-01T00:00:00Z"},
    {"0 0 * * 1", NULL, B, "2026-03-16T00:00:00Z"},
    /* macros */
    {"@hourly", NULL, B, "2026-03-15T11:00:00Z"},
    {"@daily", NULL, B, "2026-03-16T00:00:00Z"},
    {"@midnight", NULL, B, "2026-03-16T00:00:00Z"},
    {"@weekly", NULL, B, "2026-03-22T00:00:00Z"},
    {"@monthly", NULL, B, "2026-04-01T00:00:00Z"},
    {"@yearly", NULL, B, "2027-01-01T00:00:00Z"},
    {"@annually", NULL, B, "2027-01-01T00:00:00Z"},
    {"@every 30s", NULL, B, "2026-03-15T10:30:30Z"},
    {"@every 30s", NULL, "2026-03-15T10:30:29Z", "2026-03-15T10:30:30Z"},
    {"@every 5m", NULL, "2026-03-15T10:31:10Z", "2026-03-15T10:35:00Z"},
    {"@every 1h", NULL, B, "2026-03-15T11:00:00Z"},
    {"@every 7m", NULL, B, "2026-03-15T10:36:00Z"},
    {"@every 30s", NULL, "1969-12-31T23:59:15Z", "1969-12-31T23:59:30Z"},
    /* before the epoch */
    {"0 0 1 1 *", NULL, "1969-06-01T00:00:00Z", "1970-01-01T00:00:00Z"},
    {"0 0 * * *", NULL, "1960-02-28T12:00:00Z", "1960-02-29T00:00:00Z"},
    /* named zones (fixed, far from DST changes) */
    {"0 9 * * *", "America/New_York", B, "2026-03-15T09:00:00-04:00"},
    {"0 0 * * *", "Europe/Berlin", B, "2026-03-16T00:00:00+01:00"},
    {"0 0 * * *", "Etc/UTC", B, "2026-03-16T00:00:00Z"},
    {"0 0 * * *", "UTC", B, "2026-03-16T00:00:00Z"},
    {"0 0 * * *", "Mars/Olympus_Mons", B, NULL},
    /* spring forward in New York, 2026-03-08 02:00 EST -> 03:00 EDT:
     * wall times in the gap fire once, when the gap ends */
    {"30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", "2026-03-08T03:00:00-04:00"},
    {"30 2 * * *", "America/New_York", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"},
    {"*/15 * * * *", "America/New_York", "2026-03-08T01:50:00-05:00", "2026-03-08T03:00:00-04:00"},
    {"*/15 * * * *", "America/New_York", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"},
    {"0 3 * * *", "America/New_York", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    /* fall back in New York, 2026-11-01 02:00 EDT -> 01:00 EST:
     * repeated wall times fire only once */
    {"30 1 * * *", "America/New_York", "2026-11-01T00:00:00-04:00", "2026-11-01T01:30:00-04:00"},
    {"30 1 * * *", "America/New_York", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
    {"0 * * * *", "America/New_York", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00"},
    {"30 1 * * *", "America/New_York", "2026-11-01T01:10:00-05:00", "2026-11-01T01:30:00-05:00"},
    /* Lord Howe Island shifts by 30 minutes: 2026-10-04 02:00 -> 02:30 */
    {"15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00"},
};

static const run_case prev_cases[] = {
    {"0 * * * *", NULL, B, "2026-03-15T10:00:00Z"},
    {"30 10 * * *", NULL, B, B},
    {"30 10 * * *", NULL, "2026-03-15T10:29:59Z", "2026-03-14T10:30:00Z"},
    {"*/15 * * * *", NULL, "2026-03-15T10:44:59Z", "2026-03-15T10:30:00Z"},
    {"0 0 * * *", NULL, B, "2026-03-15T00:00:00Z"},
    {"0 9 * * mon-fri", NULL, B, "2026-03-13T09:00:00Z"},
    {"0 0 1 * *", NULL, B, "2026-03-01T00:00:00Z"},
    {"0 0 31 * *", NULL, "2026-05-15T00:00:00Z", "2026-03-31T00:00:00Z"},
    {"0 0 29 2 *", NULL, B, "2024-02-29T00:00:00Z"},
    {"0 0 29 2 *", NULL, "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"0 0 30 2 *", NULL, B, NULL},
    {"0 0 1 1 *", NULL, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
    {"0 0 1 1 *", NULL, "2025-12-31T23:59:59Z", "2025-01-01T00:00:00Z"},
    {"59 23 31 12 *", NULL, B, "2025-12-31T23:59:00Z"},
    {"0 0 13 * 5", NULL, "2026-03-12T00:00:00Z", "2026-03-06T00:00:00Z"},
    {"0 0 13 * 5", NULL, "2026-03-14T00:00:00Z", "2026-03-13T00:00:00Z"},
    {"@weekly", NULL, B, "2026-03-15T00:00:00Z"},
    {"@yearly", NULL, B, "2026-01-01T00:00:00Z"},
    {"@hourly", NULL, "2026-03-15T10:59:59Z", "2026-03-15T10:00:00Z"},
    {"@every 5m", NULL, "2026-03-15T10:33:20Z", "2026-03-15T10:30:00Z"},
    {"@every 30s", NULL, B, B},
    {"0 9 * * *", "America/New_York", B, "2026-03-14T09:00:00-04:00"},
    {"30 2 * * *", "America/New_York", "2026-03-08T04:00:00-04:00", "2026-03-08T03:00:00-04:00"},
    {"30 1 * * *", "America/New_York", "2026-11-01T01:40:00-05:00", "2026-11-01T01:30:00-05:00"},
    {"0 0 * * *", "Mars/Olympus_Mons", B, NULL},
};

/* Catch-up scenario: the scheduler was down over the run at 09:00 Friday;
 * prev(now) finds it, and next(now) gives the one after. */
static void test_catch_up(void **state)
{
    (void)state;
    sq_cron c;
    char err[128];
    assert_int_equal(sq_cron_parse("0 9 * * 1-5", &c, err, sizeof err), 0);
    long long last_run = iso("2026-03-12T09:00:00Z");
    long long now = iso("2026-03-14T08:00:00Z"); /* Saturday */
    long long missed = sq_cron_prev(&c, now, NULL);
    assert_int_equal(missed, iso("2026-03-13T09:00:00Z"));
    assert_true(missed > last_run);
    assert_int_equal(sq_cron_next(&c, now, NULL), iso("2026-03-16T09:00:00Z"));
    /* nothing missed when the last run is the latest due one */
    assert_int_equal(sq_cron_prev(&c, iso("2026-03-13T09:00:00Z") + 3599, NULL),
                     iso("2026-03-13T09:00:00Z"));
}

static int zones_available(void)
{
    return sq_cron_tz_valid("America/New_York") && sq_cron_tz_valid("Europe/Berlin") &&
           sq_cron_tz_valid("Australia/Lord_Howe");
}

static void run_table(const run_case *cases, size_t count, bool prev)
{
    int failures = 0, skipped = 0;
    for (size_t i = 0; i < count; i++) {
        const run_case *rc = &cases[i];
        if (rc->tz != NULL && strcmp(rc->tz, "UTC") != 0 && rc->expect != NULL &&
            !zones_available()) {
            skipped++;
            continue;
        }
        sq_cron c;
        char err[128];
        if (sq_cron_parse(rc->expr, &c, err, sizeof err) != 0) {
            print_error("case %zu \"%s\": parse failed: %s\n", i, rc->expr, err);
            failures++;
            continue;
        }
        long long base = iso(rc->base), want = iso(rc->expect);
        long long got = prev ? sq_cron_prev(&c, base, rc->tz) : sq_cron_next(&c, base, rc->tz);
        if (got != want) {
            char g[40], w[40];
            fmt_time(got, g, sizeof g);
            fmt_time(want, w, sizeof w);
            print_error("case %zu: %s(\"%s\", %s, tz=%s) = %s, want %s\n", i,
                        prev ? "prev" : "next", rc->expr, rc->base, rc->tz ? rc->tz : "NULL", g,
                        w);
            failures++;
        }
    }
    if (skipped > 0)
        print_message("skipped %d named-zone cases: tzdata not installed\n", skipped);
    if (failures > 0)
        fail_msg("%d of %zu cases failed", failures, count);
}

static void test_next_table(void **state)
{
    (void)state;
    run_table(next_cases, sizeof next_cases / sizeof next_cases[0], false);
}

static void test_prev_table(void **state)
{
    (void)state;
    run_table(prev_cases, sizeof prev_cases / sizeof prev_cases[0], true);
}

/* next() and prev() agree: prev(next(t)) == next(t), and nothing matches
 * between t and next(t). */
static void test_next_prev_consistent(void **state)
{
    (void)state;
    static const char *const exprs[] = {"*/7 3-5 * * *", "0 0 13 * 5", "15 10 1,15 * *",
                                        "0 12 */3 * mon", "@monthly", "59 23 28-31 2 *"};
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        sq_cron c;
        assert_int_equal(sq_cron_parse(exprs[i], &c, NULL, 0), 0);
        long long t = iso(B);
        for (int k = 0; k < 200; k++) {
            long long n = sq_cron_next(&c, t, NULL);
            assert_true(n > t);
            assert_int_equal(sq_cron_prev(&c, n, NULL), n);
            assert_int_equal(sq_cron_prev(&c, n - 1, NULL) < n, 1);
            assert_true(sq_cron_prev(&c, n - 1, NULL) <= t);
            t = n;
        }
    }
}

/* ------------------------------------------------------------------ */

typedef struct bad_case {
    const char *expr;
    const char *reason; /* expected substring of the error */
} bad_case;

static const bad_case bad_cases[] = {
    {"60 * * * *", "field 1 (minute): 60 is out of range 0-59"},
    {"* 24 * * *", "field 2 (hour): 24 is out of range 0-23"},
    {"* * 0 * *", "field 3 (day of month): 0 is out of range 1-31"},
    {"* * 32 * *", "32 is out of range 1-31"},
    {"* * * 13 *", "field 4 (month): 13 is out of range 1-12"},
    {"* * * 0 *", "0 is out of range 1-12"},
    {"* * * * 8", "field 5 (day of week): 8 is out of range 0-7"},
    {"99999999999 * * * *", "99999999999 is out of range 0-59"},
    {"*/0 * * * *", "step 0 is out of range 1-60"},
    {"* * * * */8", "step 8 is out of range 1-7"},
    {"*/ * * * *", "missing step after '/'"},
    {"1-5/x * * * *", "unexpected character 'x'"},
    {"5-2 * * * *", "range 5-2 is reversed"},
    {"* * * * FRI-MON", "range 5-1 is reversed"},
    {"* * * dec-jan *", "range 12-1 is reversed"},
    {"* * * *", "expected 5 fields, got 4"},
    {"* * * * * *", "expected 5 fields, got 6"},
    {"0 0 * * * /bin/true", "expected 5 fields, got 6"},
    {"hello", "expected 5 fields, got 1"},
    {"a b c d e", "field 1 (minute): \"a\" is not a number"},
    {"", "empty expression"},
    {"  \t ", "empty expression"},
    {"1,,2 * * * *", "empty element in list"},
    {"1,2, * * * *", "empty element in list"},
    {",1 * * * *", "empty element in list"},
    {"* * * FOO *", "unknown name \"FOO\""},
    {"* * * JANUARY *", "unknown name \"JANUARY\""},
    {"* * * * MON-", "missing number"},
    {"-5 * * * *", "unexpected character '-'"},
    {"*-5 * * * *", "unexpected character '-'"},
    {"5x * * * *", "unexpected character 'x'"},
    {"* * * * 1#2", "unexpected character '#'"},
    {"@every 0s", "greater than zero"},
    {"@every", "@every needs an interval"},
    {"@every   ", "@every needs an interval"},
    {"@every 5", "not a number followed by s, m or h"},
    {"@every 5d", "not a number followed by s, m or h"},
    {"@every -5s", "not a number followed by s, m or h"},
    {"@every 1h30m", "not a number followed by s, m or h"},
    {"@every 9000h", "too long"},
    {"@every 30s now", "unexpected text after @every 30s"},
    {"@foo", "unknown macro \"@foo\""},
    {"@reboot", "@reboot is not supported"},
    {"@daily 0", "unexpected text after @daily"},
};

static void test_invalid(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *bc = &bad_cases[i];
        sq_cron c;
        memset(&c, 0xAB, sizeof c);
        sq_cron before;
        memcpy(&before, &c, sizeof c);
        char err[160] = "untouched";
        int rc = sq_cron_parse(bc->expr, &c, err, sizeof err);
        if (rc != -1 || strstr(err, bc->reason) == NULL ||
            memcmp(&c, &before, sizeof c) != 0) {
            print_error("case %zu \"%s\": rc=%d err=\"%s\", want reason containing \"%s\"\n", i,
                        bc->expr, rc, err, bc->reason);
            failures++;
        }
    }
    if (failures > 0)
        fail_msg("%d invalid expressions not rejected as expected", failures);
}

static void test_invalid_args(void **state)
{
    (void)state;
    sq_cron c;
    char err[64];
    assert_int_equal(sq_cron_parse(NULL, &c, err, sizeof err), -1);
    assert_string_equal(err, "no expression given");
    assert_int_equal(sq_cron_parse("* * * * *", NULL, err, sizeof err), -1);
    /* err may be NULL or tiny */
    assert_int_equal(sq_cron_parse("61 * * * *", &c, NULL, 0), -1);
    char tiny[8];
    assert_int_equal(sq_cron_parse("61 * * * *", &c, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(strncmp(tiny, "field 1", 7), 0);
    /* success clears err */
    strcpy(err, "stale");
    assert_int_equal(sq_cron_parse("* * * * *", &c, err, sizeof err), 0);
    assert_string_equal(err, "");
    /* next/prev refuse NULL and empty schedules */
    assert_int_equal(sq_cron_next(NULL, 0, NULL), -1);
    assert_int_equal(sq_cron_prev(NULL, 0, NULL), -1);
    sq_cron zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(sq_cron_next(&zero, 0, NULL), -1);
    assert_int_equal(sq_cron_prev(&zero, 0, NULL), -1);
}

static void test_parse_struct(void **state)
{
    (void)state;
    sq_cron c;
    char err[128];

    assert_int_equal(sq_cron_parse("*/15 0,12 1-3 JAN,jul 7", &c, err, sizeof err), 0);
    assert_true(c.minute == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)));
    assert_int_equal(c.hour, (1u << 0) | (1u << 12));
    assert_int_equal(c.dom, (1u << 1) | (1u << 2) | (1u << 3));
    assert_int_equal(c.month, (1u << 1) | (1u << 7));
    assert_int_equal(c.dow, 1u); /* 7 folded into Sunday */
    assert_false(c.dom_star);
    assert_false(c.dow_star);
    assert_int_equal(c.every_seconds, 0);

    assert_int_equal(sq_cron_parse("  0 0 */2 * 1-5  ", &c, err, sizeof err), 0);
    assert_true(c.dom_star); /* starts with '*', like Vixie cron */
    assert_false(c.dow_star);
    assert_int_equal(c.dow, 0x3E);

    assert_int_equal(sq_cron_parse("* * * * 5-7", &c, err, sizeof err), 0);
    assert_int_equal(c.dow, (1u << 0) | (1u << 5) | (1u << 6));
    assert_true(c.dom_star && !c.dow_star);

    assert_int_equal(sq_cron_parse("* * * * *", &c, err, sizeof err), 0);
    assert_true(c.minute == (1ULL << 60) - 1);
    assert_int_equal(c.hour, (1u << 24) - 1);
    assert_int_equal(c.dom, 0xFFFFFFFEu);
    assert_int_equal(c.month, 0x1FFE);
    assert_int_equal(c.dow, 0x7F);

    assert_int_equal(sq_cron_parse("@HOURLY", &c, err, sizeof err), 0);
    assert_true(c.minute == 1);
    assert_int_equal(c.hour, (1u << 24) - 1);

    assert_int_equal(sq_cron_parse("@every 30s", &c, err, sizeof err), 0);
    assert_int_equal(c.every_seconds, 30);
    assert_int_equal(sq_cron_parse("@every 5m", &c, err, sizeof err), 0);
    assert_int_equal(c.every_seconds, 300);
    assert_int_equal(sq_cron_parse("@every\t2H", &c, err, sizeof err), 0);
    assert_int_equal(c.every_seconds, 7200);
    assert_int_equal(sq_cron_parse("@every 8784h", &c, err, sizeof err), 0);
    assert_int_equal(c.every_seconds, 8784LL * 3600);
}

static void test_tz(void **state)
{
    (void)state;
    assert_true(sq_cron_tz_valid(NULL));
    assert_true(sq_cron_tz_valid("UTC"));
    assert_false(sq_cron_tz_valid(""));
    assert_false(sq_cron_tz_valid("Mars/Olympus_Mons"));
    assert_false(sq_cron_tz_valid("../../etc/passwd"));
    assert_false(sq_cron_tz_valid("/etc/localtime"));
    if (!zones_available())
        skip();
    assert_true(sq_cron_tz_valid("Europe/Berlin"));
    assert_false(sq_cron_tz_valid("Europe")); /* a directory */
    assert_false(sq_cron_tz_valid("zone.tab")); /* not a TZif file */

    /* the caller's TZ is restored, whether it was set or not */
    sq_cron c;
    assert_int_equal(sq_cron_parse("0 0 * * *", &c, NULL, 0), 0);
    assert_int_equal(setenv("TZ", "Asia/Tokyo", 1), 0);
    assert_int_equal(sq_cron_next(&c, iso(B), "Europe/Berlin"), iso("2026-03-16T00:00:00+01:00"));
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    assert_int_equal(sq_cron_next(&c, iso(B), "Asia/Tokyo"), iso("2026-03-16T00:00:00+09:00"));
    assert_string_equal(getenv("TZ"), "Asia/Tokyo");
    assert_int_equal(unsetenv("TZ"), 0);
    assert_int_equal(sq_cron_prev(&c, iso(B), "Europe/Berlin"), iso("2026-03-15T00:00:00+01:00"));
    assert_null(getenv("TZ"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_struct),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_invalid_args),
        cmocka_unit_test(test_next_table),
        cmocka_unit_test(test_prev_table),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_next_prev_consistent),
        cmocka_unit_test(test_tz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
