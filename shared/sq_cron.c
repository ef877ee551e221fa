// SPDX-License-Identifier: MIT
// Cron expression parser and next/previous run-time calculator (Vixie cron
// semantics plus "@every"); see sq_cron.h for the accepted syntax and the
// time-zone and daylight-saving rules.
#include "sq_cron.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* How far next()/prev() search, in days of wall-clock time ("5 years"). */
#define SPAN_DAYS (5 * 365 + 2)
/* Accepted range of timestamps, keeps all arithmetic far from overflow. */
#define TIME_LIMIT 1000000000000LL
/* Longest "@every" interval. */
#define EVERY_MAX (366LL * 86400)
/* Longest token quoted in an error message. */
#define TOKEN_SHOW 24

/* ------------------------------------------------------------------ */
/* Error reporting                                                      */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

typedef struct field_spec {
    const char *name;
    int min;                  /* smallest value accepted */
    int max;                  /* largest value accepted (7 for day of week) */
    int star_max;             /* upper end of '*' and of "N/S" */
    const char *const *names; /* 3-letter names, or NULL */
    int name_base;            /* value of names[0] */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const field_spec specs[5] = {
    {"minute", 0, 59, 59, NULL, 0},
    {"hour", 0, 23, 23, NULL, 0},
    {"day of month", 1, 31, 31, NULL, 0},
    {"month", 1, 12, 12, month_names, 1},
    {"day of week", 0, 7, 6, dow_names, 0},
};

typedef struct field_ctx {
    const char *s;  /* field text (not NUL-terminated at n) */
    size_t n;       /* its length */
    size_t pos;     /* cursor */
    int index;      /* 0-based field number */
    const field_spec *spec;
    char *err;
    size_t errlen;
} field_ctx;

static int field_fail(field_ctx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int field_fail(field_ctx *f, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(f->err, f->errlen, "field %d (%s): %s", f->index + 1, f->spec->name, msg);
}

static int show_len(size_t n)
{
    return n > TOKEN_SHOW ? TOKEN_SHOW : (int)n;
}

/* Describes the character at the cursor for an error message. */
static int fail_char(field_ctx *f)
{
    unsigned char ch = (unsigned char)f->s[f->pos];
    if (isprint(ch))
        return field_fail(f, "unexpected character '%c' in \"%.*s\"", ch, show_len(f->n), f->s);
    return field_fail(f, "unexpected byte 0x%02x", ch);
}

/* Reads a number or a name at the cursor into *val. range_end: the value is
 * the upper end of a range (where SUN means 7). */
static int parse_value(field_ctx *f, bool range_end, int *val)
{
    const field_spec *sp = f->spec;
    size_t start = f->pos;

    if (f->pos >= f->n || f->s[f->pos] == ',')
        return field_fail(f, "missing number in \"%.*s\"", show_len(f->n), f->s);

    if (isdigit((unsigned char)f->s[f->pos])) {
        long v = 0;
        while (f->pos < f->n && isdigit((unsigned char)f->s[f->pos])) {
            if (v < 1000000)
                v = v * 10 + (f->s[f->pos] - '0');
            f->pos++;
        }
        if (v < sp->min || v > sp->max)
            return field_fail(f, "%.*s is out of range %d-%d", show_len(f->pos - start),
                              f->s + start, sp->min, sp->max);
        *val = (int)v;
        return 0;
    }

    if (isalpha((unsigned char)f->s[f->pos])) {
        while (f->pos < f->n && isalpha((unsigned char)f->s[f->pos]))
            f->pos++;
        size_t len = f->pos - start;
        if (sp->names == NULL)
            return field_fail(f, "\"%.*s\" is not a number", show_len(len), f->s + start);
        int count = sp->names == month_names ? 12 : 7;
        for (int i = 0; len == 3 && i < count; i++) {
            if (strncasecmp(f->s + start, sp->names[i], 3) == 0) {
                *val = i + sp->name_base;
                if (sp->names == dow_names && *val == 0 && range_end)
                    *val = 7;
                return 0;
            }
        }
        return field_fail(f, "unknown name \"%.*s\" (expected %s)", show_len(len), f->s + start,
                          sp->names == month_names ? "JAN-DEC" : "SUN-SAT");
    }

    return fail_char(f);
}

/* Parses one list item ('*', N, N-M, each optionally "/S") and sets its bits. */
static int parse_item(field_ctx *f, uint64_t *bits)
{
    const field_spec *sp = f->spec;
    int lo, hi;
    bool single = false;

    if (f->s[f->pos] == '*') {
        lo = sp->min;
        hi = sp->star_max;
        f->pos++;
    } else {
        if (parse_value(f, false, &lo) != 0)
            return -1;
        if (f->pos < f->n && f->s[f->pos] == '-') {
            f->pos++;
            if (parse_value(f, true, &hi) != 0)
                return -1;
            if (lo > hi)
                return field_fail(f, "range %d-%d is reversed (start is after end)", lo, hi);
        } else {
            hi = lo;
            single = true;
        }
    }

    int step = 1;
    if (f->pos < f->n && f->s[f->pos] == '/') {
        f->pos++;
        size_t start = f->pos;
        long v = 0;
        while (f->pos < f->n && isdigit((unsigned char)f->s[f->pos])) {
            if (v < 1000000)
                v = v * 10 + (f->s[f->pos] - '0');
            f->pos++;
        }
        if (f->pos == start) {
            if (f->pos >= f->n || f->s[f->pos] == ',')
                return field_fail(f, "missing step after '/' in \"%.*s\"", show_len(f->n), f->s);
            return fail_char(f);
        }
        int span = sp->star_max - sp->min + 1;
        if (v < 1 || v > span)
            return field_fail(f, "step %.*s is out of range 1-%d", show_len(f->pos - start),
                              f->s + start, span);
        step = (int)v;
        if (single)
            hi = sp->star_max;
    }

    for (int v = lo; v <= hi; v += step)
        *bits |= (uint64_t)1 << v;
    return 0;
}

static int parse_field(field_ctx *f, uint64_t *bits)
{
    *bits = 0;
    for (;;) {
        if (f->pos >= f->n || f->s[f->pos] == ',')
            return field_fail(f, "empty element in list \"%.*s\"", show_len(f->n), f->s);
        if (parse_item(f, bits) != 0)
            return -1;
        if (f->pos >= f->n)
            break;
        if (f->s[f->pos] != ',')
            return fail_char(f);
        f->pos++;
    }
    if (f->spec->max == 7 && (*bits & ((uint64_t)1 << 7)))
        *bits = (*bits & ~((uint64_t)1 << 7)) | 1; /* 7 is Sunday */
    return 0;
}

static const char *skip_space(const char *p)
{
    while (*p != '\0' && isspace((unsigned char)*p))
        p++;
    return p;
}

static const char *skip_token(const char *p)
{
    while (*p != '\0' && !isspace((unsigned char)*p))
        p++;
    return p;
}

static int parse_fields(const char *p, sq_cron *out, char *err, size_t errlen)
{
    const char *tok[5];
    size_t len[5];
    int count = 0;

    for (const char *q = p; *q != '\0'; q = skip_space(q)) {
        const char *end = skip_token(q);
        if (count < 5) {
            tok[count] = q;
            len[count] = (size_t)(end - q);
        }
        count++;
        q = end;
    }
    if (count != 5)
        return fail(err, errlen, "expected 5 fields, got %d", count);

    uint64_t bits[5];
    for (int i = 0; i < 5; i++) {
        field_ctx f = {tok[i], len[i], 0, i, &specs[i], err, errlen};
        if (parse_field(&f, &bits[i]) != 0)
            return -1;
    }

    memset(out, 0, sizeof *out);
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint16_t)bits[3];
    out->dow = (uint8_t)bits[4];
    out->dom_star = tok[2][0] == '*';
    out->dow_star = tok[4][0] == '*';
    return 0;
}

static int parse_every(const char *p, sq_cron *out, char *err, size_t errlen)
{
    p = skip_space(p);
    if (*p == '\0')
        return fail(err, errlen, "@every needs an interval such as 30s, 5m or 1h");
    const char *end = skip_token(p);
    int len = show_len((size_t)(end - p));
    if (*skip_space(end) != '\0')
        return fail(err, errlen, "unexpected text after @every %.*s", len, p);

    const char *q = p;
    long long n = 0;
    int digits = 0;
    while (isdigit((unsigned char)*q)) {
        if (++digits > 9)
            return fail(err, errlen, "@every interval %.*s is too long (max 366 days)", len, p);
        n = n * 10 + (*q - '0');
        q++;
    }
    long long unit = 0;
    if (digits > 0 && q + 1 == end) {
        switch (*q) {
        case 's': case 'S': unit = 1; break;
        case 'm': case 'M': unit = 60; break;
        case 'h': case 'H': unit = 3600; break;
        default: break;
        }
    }
    if (unit == 0)
        return fail(err, errlen,
                    "@every interval \"%.*s\" is not a number followed by s, m or h", len, p);
    if (n == 0)
        return fail(err, errlen, "@every interval must be greater than zero");
    if (n * unit > EVERY_MAX)
        return fail(err, errlen, "@every interval %.*s is too long (max 366 days)", len, p);

    memset(out, 0, sizeof *out);
    out->every_seconds = n * unit;
    return 0;
}

static const struct {
    const char *name;
    const char *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

static int parse_macro(const char *p, sq_cron *out, char *err, size_t errlen)
{
    const char *end = skip_token(p);
    size_t len = (size_t)(end - p);

    if (len == 6 && strncasecmp(p, "@every", 6) == 0)
        return parse_every(end, out, err, errlen);
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
        if (strlen(macros[i].name) == len && strncasecmp(p, macros[i].name, len) == 0) {
            if (*skip_space(end) != '\0')
                return fail(err, errlen, "unexpected text after %s", macros[i].name);
            return parse_fields(macros[i].expr, out, err, errlen);
        }
    }
    if (len == 7 && strncasecmp(p, "@reboot", 7) == 0)
        return fail(err, errlen, "@reboot is not supported");
    return fail(err, errlen, "unknown macro \"%.*s\"", show_len(len), p);
}

int sq_cron_parse(const char *expr, sq_cron *out, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (expr == NULL || out == NULL)
        return fail(err, errlen, "no expression given");

    const char *p = skip_space(expr);
    if (*p == '\0')
        return fail(err, errlen, "empty expression");

    sq_cron tmp;
    int rc = *p == '@' ? parse_macro(p, &tmp, err, errlen) : parse_fields(p, &tmp, err, errlen);
    if (rc != 0)
        return -1;
    *out = tmp;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Calendar arithmetic (proleptic Gregorian, no time zones)             */

static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Days since 1970-01-01 (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = floor_div(y, 400);
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
    z += 719468;
    long long era = floor_div(z, 146097);
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(long long y, int m)
{
    static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m];
}

/* A wall-clock minute. */
typedef struct wall {
    long long y;
    int mo, d, h, mi;
} wall;

static wall wall_from_secs(long long s)
{
    wall w;
    long long days = floor_div(s, 86400);
    long long rem = s - days * 86400;
    civil_from_days(days, &w.y, &w.mo, &w.d);
    w.h = (int)(rem / 3600);
    w.mi = (int)(rem % 3600 / 60);
    return w;
}

static long long wall_days(const wall *w)
{
    return days_from_civil(w->y, w->mo, w->d);
}

static long long wall_to_secs(const wall *w)
{
    return wall_days(w) * 86400 + w->h * 3600 + w->mi * 60;
}

static void next_day(wall *w)
{
    w->h = 0;
    w->mi = 0;
    if (++w->d > days_in_month(w->y, w->mo)) {
        w->d = 1;
        if (++w->mo > 12) {
            w->mo = 1;
            w->y++;
        }
    }
}

static void prev_day(wall *w)
{
    w->h = 23;
    w->mi = 59;
    if (--w->d < 1) {
        if (--w->mo < 1) {
            w->mo = 12;
            w->y--;
        }
        w->d = days_in_month(w->y, w->mo);
    }
}

static int next_bit(uint64_t bits, int from, int max)
{
    for (int i = from; i <= max; i++)
        if ((bits >> i) & 1)
            return i;
    return -1;
}

static int prev_bit(uint64_t bits, int from, int min)
{
    for (int i = from; i >= min; i--)
        if ((bits >> i) & 1)
            return i;
    return -1;
}

static bool day_matches(const sq_cron *c, const wall *w)
{
    long long days = wall_days(w);
    int wd = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    bool dm = (c->dom >> w->d) & 1;
    bool wm = (c->dow >> wd) & 1;
    if (c->dom_star || c->dow_star)
        return dm && wm;
    return dm || wm;
}

/* Moves *w forward to the first matching wall-clock minute >= *w; false if
 * that would be on a day after limit_day. */
static bool wall_next(const sq_cron *c, wall *w, long long limit_day)
{
    for (;;) {
        if (wall_days(w) > limit_day)
            return false;
        int m = next_bit(c->month, w->mo, 12);
        if (m < 0) {
            w->y++;
            w->mo = 1;
            w->d = 1;
            w->h = w->mi = 0;
            continue;
        }
        if (m != w->mo) {
            w->mo = m;
            w->d = 1;
            w->h = w->mi = 0;
            continue;
        }
        if (!day_matches(c, w)) {
            next_day(w);
            continue;
        }
        int h = next_bit(c->hour, w->h, 23);
        if (h < 0) {
            next_day(w);
            continue;
        }
        if (h != w->h) {
            w->h = h;
            w->mi = 0;
        }
        int mi = next_bit(c->minute, w->mi, 59);
        if (mi < 0) {
            w->mi = 0;
            if (++w->h == 24)
                next_day(w);
            continue;
        }
        w->mi = mi;
        return true;
    }
}

/* Moves *w back to the last matching wall-clock minute <= *w; false if that
 * would be on a day before limit_day. */
static bool wall_prev(const sq_cron *c, wall *w, long long limit_day)
{
    for (;;) {
        if (wall_days(w) < limit_day)
            return false;
        int m = prev_bit(c->month, w->mo, 1);
        if (m < 0) {
            w->y--;
            w->mo = 12;
            w->d = 31;
            w->h = 23;
            w->mi = 59;
            continue;
        }
        if (m != w->mo) {
            w->mo = m;
            w->d = days_in_month(w->y, m);
            w->h = 23;
            w->mi = 59;
            continue;
        }
        if (!day_matches(c, w)) {
            prev_day(w);
            continue;
        }
        int h = prev_bit(c->hour, w->h, 0);
        if (h < 0) {
            prev_day(w);
            continue;
        }
        if (h != w->h) {
            w->h = h;
            w->mi = 59;
        }
        int mi = prev_bit(c->minute, w->mi, 0);
        if (mi < 0) {
            w->mi = 59;
            if (--w->h < 0)
                prev_day(w);
            continue;
        }
        w->mi = mi;
        return true;
    }
}

/* ------------------------------------------------------------------ */
/* Time zones                                                           */

bool sq_cron_tz_valid(const char *tz)
{
    if (tz == NULL || strcmp(tz, "UTC") == 0)
        return true;
    if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL)
        return false;
    for (const char *p = tz; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("/_-+", *p) == NULL)
            return false;

    const char *dir = getenv("TZDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/zoneinfo";
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, tz);
    if (n < 0 || (size_t)n >= sizeof path)
        return false;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return false;
    char magic[4];
    bool ok = fread(magic, 1, sizeof magic, fp) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
    fclose(fp);
    return ok;
}

typedef struct tz_guard {
    bool utc;      /* pure UTC arithmetic, TZ untouched */
    bool switched; /* TZ was changed and must be restored */
    char *old;     /* previous TZ value, or NULL if it was unset */
} tz_guard;

static int tz_enter(tz_guard *g, const char *tz)
{
    memset(g, 0, sizeof *g);
    if (tz == NULL || strcmp(tz, "UTC") == 0) {
        g->utc = true;
        return 0;
    }
    if (!sq_cron_tz_valid(tz))
        return -1;
    const char *cur = getenv("TZ");
    if (cur != NULL && strcmp(cur, tz) == 0) {
        tzset();
        return 0;
    }
    if (cur != NULL && (g->old = strdup(cur)) == NULL)
        return -1;
    if (setenv("TZ", tz, 1) != 0) {
        free(g->old);
        return -1;
    }
    g->switched = true;
    tzset();
    return 0;
}

static void tz_leave(tz_guard *g)
{
    if (!g->switched)
        return;
    if (g->old != NULL)
        setenv("TZ", g->old, 1);
    else
        unsetenv("TZ");
    free(g->old);
    tzset();
}

/* UTC offset (seconds east) in effect at instant t. */
static bool zone_offset(bool utc, long long t, long long *off)
{
    if (utc) {
        *off = 0;
        return true;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (localtime_r(&tt, &tm) == NULL)
        return false;
    *off = tm.tm_gmtoff;
    return true;
}

/* The instants whose local wall-clock time is W (seconds, as if UTC), in
 * ascending order: usually one, two in a fall-back overlap, none in a
 * spring-forward gap, in which case *in_gap is set and *gap_end is the first
 * instant after the gap. Assumes at most one transition within a day of W.
 * Returns the count, or -1 on failure. */
static int wall_instants(bool utc, long long W, long long inst[2], bool *in_gap,
                         long long *gap_end)
{
    *in_gap = false;
    if (utc) {
        inst[0] = W;
        return 1;
    }
    long long oa, ob;
    if (!zone_offset(false, W - 86400, &oa) || !zone_offset(false, W + 86400, &ob))
        return -1;
    long long cand[2] = {W - oa, W - ob};
    int n = 0;
    for (int i = 0; i < (oa == ob ? 1 : 2); i++) {
        long long o;
        if (!zone_offset(false, cand[i], &o))
            return -1;
        if (cand[i] + o == W)
            inst[n++] = cand[i];
    }
    if (n == 2 && inst[0] > inst[1]) {
        long long t = inst[0];
        inst[0] = inst[1];
        inst[1] = t;
    }
    if (n == 0 && ob > oa) {
        /* W lies in a gap: the transition is in (W - ob, W - oa]. */
        long long lo = W - ob, hi = W - oa;
        while (hi - lo > 1) {
            long long mid = lo + (hi - lo) / 2, o;
            if (!zone_offset(false, mid, &o))
                return -1;
            if (o == oa)
                lo = mid;
            else
                hi = mid;
        }
        *in_gap = true;
        *gap_end = hi;
    }
    return n;
}

static bool cron_ok(const sq_cron *c)
{
    return (c->minute & ((1ULL << 60) - 1)) != 0 && (c->hour & ((1UL << 24) - 1)) != 0 &&
           (c->dom & 0xFFFFFFFEu) != 0 && (c->month & 0x1FFE) != 0 && (c->dow & 0x7F) != 0;
}

static long long next_in_zone(const sq_cron *c, long long after, bool utc)
{
    long long off;
    if (!zone_offset(utc, after, &off))
        return -1;
    wall w = wall_from_secs(floor_div(after + off, 60) * 60 + 60);
    long long limit_day = wall_days(&w) + SPAN_DAYS;

    while (wall_next(c, &w, limit_day)) {
        long long W = wall_to_secs(&w), inst[2], gap_end = 0;
        bool in_gap;
        int n = wall_instants(utc, W, inst, &in_gap, &gap_end);
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++)
            if (inst[i] > after)
                return inst[i];
        if (in_gap && gap_end > after)
            return gap_end;
        w = wall_from_secs(W + 60);
    }
    return -1;
}

static long long prev_in_zone(const sq_cron *c, long long at, bool utc)
{
    long long off;
    if (!zone_offset(utc, at, &off))
        return -1;
    wall w = wall_from_secs(floor_div(at + off, 60) * 60);
    long long limit_day = wall_days(&w) - SPAN_DAYS;

    while (wall_prev(c, &w, limit_day)) {
        long long W = wall_to_secs(&w), inst[2], gap_end = 0;
        bool in_gap;
        int n = wall_instants(utc, W, inst, &in_gap, &gap_end);
        if (n < 0)
            return -1;
        for (int i = n - 1; i >= 0; i--)
            if (inst[i] <= at)
                return inst[i];
        if (in_gap && gap_end <= at)
            return gap_end;
        w = wall_from_secs(W - 60);
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Public next/prev                                                     */

long long sq_cron_next(const sq_cron *c, long long after, const char *tz)
{
    if (c == NULL || after < -TIME_LIMIT || after > TIME_LIMIT)
        return -1;
    if (c->every_seconds != 0) {
        if (c->every_seconds < 0 || c->every_seconds > EVERY_MAX)
            return -1;
        return (floor_div(after, c->every_seconds) + 1) * c->every_seconds;
    }
    if (!cron_ok(c))
        return -1;
    tz_guard g;
    if (tz_enter(&g, tz) != 0)
        return -1;
    long long r = next_in_zone(c, after, g.utc);
    tz_leave(&g);
    return r;
}

long long sq_cron_prev(const sq_cron *c, long long at, const char *tz)
{
    if (c == NULL || at < -TIME_LIMIT || at > TIME_LIMIT)
        return -1;
    if (c->every_seconds != 0) {
        if (c->every_seconds < 0 || c->every_seconds > EVERY_MAX)
            return -1;
        return floor_div(at, c->every_seconds) * c->every_seconds;
    }
    if (!cron_ok(c))
        return -1;
    tz_guard g;
    if (tz_enter(&g, tz) != 0)
        return -1;
    long long r = prev_in_zone(c, at, g.utc);
    tz_leave(&g);
    return r;
}
