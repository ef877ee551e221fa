// SPDX-License-Identifier: MIT
// sq_batch.c -- the runtime's batching rule (see sq_batch.h).
#include "sq_batch.h"

long sq_batch_wait_us(int n, long since_first_us, long linger_us, long gap_us)
{
	long left = linger_us > since_first_us ? linger_us - since_first_us : 0;
	long gap = n >= 2 && gap_us > 0 ? gap_us : 0;

	return left > gap ? left : gap;
}
