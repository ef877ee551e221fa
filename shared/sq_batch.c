// SPDX-License-Identifier: MIT
// sq_batch.c -- the runtime's batching rule (see sq_batch.h).
#include "sq_batch.h"

long sq_batch_wait_us(int n, long since_first_us, long linger_us, long stream_us)
{
	long until = n >= 2 && stream_us > linger_us ? stream_us : linger_us;

	return until > since_first_us ? until - since_first_us : 0;
}
