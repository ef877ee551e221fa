// SPDX-License-Identifier: MIT
// sq_retry.c -- retry tiers and reconnect backoff, pure and unit-tested.
#include "sq_retry.h"

int sq_retry_tier(const sq_retry_policy *p, int attempt)
{
	if (attempt < 1 || attempt > p->ntiers)
		return -1;
	return attempt - 1;
}

int sq_retry_max_attempts(const sq_retry_policy *p) { return p->ntiers + 1; }

long sq_retry_span_s(const sq_retry_policy *p)
{
	long s = 0;
	for (int i = 0; i < p->ntiers; i++)
		s += p->delays_s[i];
	return s;
}

long sq_backoff_ms(int n, long base_ms, long cap_ms, double rnd)
{
	long d = base_ms;

	for (int i = 0; i < n && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (rnd < 0)
		rnd = 0;
	if (rnd > 1)
		rnd = 1;
	return (long)((double)d * (0.5 + rnd / 2.0));
}
