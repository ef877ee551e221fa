// SPDX-License-Identifier: MIT
// money.c -- money between PostgreSQL's numeric(12,2) text and integer cents,
// exactly (no floating point).
#include <limits.h>
#include <stdio.h>

#include "orders.h"

int orders_cents_parse(const char *s, long long *ret_cents)
{
	long long units = 0, frac = 0;
	int neg = 0, digits = 0, fdigits = 0;

	if (!s)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (units > (LLONG_MAX / 100 - 9) / 10)
			return -1; /* would overflow once in cents */
		units = units * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits >= 2) {
				if (*s != '0')
					return -1; /* a fraction of a cent */
				continue;
			}
			frac = frac * 10 + (*s - '0');
		}
		if (fdigits == 1)
			frac *= 10;
	}
	if (*s != '\0' || (digits == 0 && fdigits == 0))
		return -1;
	*ret_cents = neg ? -(units * 100 + frac) : units * 100 + frac;
	return 0;
}

int orders_cents_format(long long cents, char *buf, size_t len)
{
	unsigned long long u = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
	return snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "", u / 100, u % 100);
}
