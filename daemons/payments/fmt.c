// SPDX-License-Identifier: MIT
// fmt.c -- the payments daemon's pure text helpers: token masking, RFC 3339
// times, idempotency keys and provider id checks.
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "payments.h"

void payments_mask_token(const char *token, char *out, size_t outlen)
{
	size_t len = token ? strlen(token) : 0, keep = len * 3 / 4, i;

	if (outlen == 0)
		return;
	if (keep > 9)
		keep = 9;
	for (i = 0; i < keep; i++) {
		char c = token[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			break;
	}
	snprintf(out, outlen, "%.*s\xe2\x80\xa6", (int)i, token ? token : "");
}

void payments_scrub_token(char *text, size_t cap, const char *token)
{
	char masked[32], out[1024];
	const char *p, *hit;
	size_t tl = token ? strlen(token) : 0, o = 0;

	if (!text || cap == 0 || tl == 0 || !strstr(text, token))
		return;
	payments_mask_token(token, masked, sizeof masked);
	out[0] = '\0';
	for (p = text; o < sizeof out && (hit = strstr(p, token)); p = hit + tl)
		o += (size_t)snprintf(out + o, sizeof out - o, "%.*s%s", (int)(hit - p), p, masked);
	if (o < sizeof out)
		snprintf(out + o, sizeof out - o, "%s", p);
	snprintf(text, cap, "%s", out);
}

static int digits(const char *s, int n, int *ret)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

int payments_rfc3339_parse(const char *s, long long *ret)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && !digits(p + 1, 2, &oh) && p[3] == ':' &&
		   !digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return -1;
	}
	*ret = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	return 0;
}

void payments_rfc3339_format(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

void payments_charge_key(long long order_id, char out[PAYMENTS_KEY_MAX])
{
	snprintf(out, PAYMENTS_KEY_MAX, "shopq-charge-%lld", order_id);
}

void payments_refund_key(long long order_id, char out[PAYMENTS_KEY_MAX])
{
	snprintf(out, PAYMENTS_KEY_MAX, "shopq-refund-%lld", order_id);
}

int payments_valid_object_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 100)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}
