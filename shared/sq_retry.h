// SPDX-License-Identifier: MIT
// sq_retry.h -- the retry policy as plain functions: which delay tier an attempt
// waits in, when to give up, and reconnect backoff with jitter.
#ifndef SQ_RETRY_H
#define SQ_RETRY_H

#define SQ_RETRY_MAX_TIERS 16

typedef struct sq_retry_policy {
	int delays_s[SQ_RETRY_MAX_TIERS]; /* wait before attempt 2, 3, ... */
	int ntiers;
} sq_retry_policy;

/* After failed attempt `attempt` (1-based): the tier index (0-based) whose delay
 * to wait before the next attempt, or -1 when no attempt is left (dead-letter). */
int sq_retry_tier(const sq_retry_policy *p, int attempt);
/* Total attempts allowed: ntiers + 1. */
int sq_retry_max_attempts(const sq_retry_policy *p);
/* Total seconds the whole schedule spans. */
long sq_retry_span_s(const sq_retry_policy *p);

/* Exponential backoff with full jitter for reconnects: min(cap, base * 2^n)
 * scaled by a jitter fraction in [0.5, 1.0) from `rnd` (0..1). */
long sq_backoff_ms(int n, long base_ms, long cap_ms, double rnd);

#endif
