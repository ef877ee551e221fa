// SPDX-License-Identifier: MIT
// sq_fmt.c -- decimal and hex formatting without snprintf (see sq_fmt.h).
#include "sq_fmt.h"

size_t sq_fmt_ll(char out[SQ_FMT_LL_MAX], long long v)
{
	char digits[SQ_FMT_LL_MAX];
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 0, len = 0;

	do {
		digits[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = digits[--n];
	out[len] = '\0';
	return len;
}

void sq_fmt_hex(char *out, const unsigned char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}
