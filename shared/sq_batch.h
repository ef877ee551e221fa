// SPDX-License-Identifier: MIT
// sq_batch.h -- how long a batch waits for its next delivery, as a plain
// function: the runtime's batching rule, apart from the broker.
#ifndef SQ_BATCH_H
#define SQ_BATCH_H

/* Microseconds to wait for delivery n + 1 of a batch that holds n (n >= 1),
 * its first taken since_first_us ago. A lone delivery waits for nothing: a
 * trickle is handled at once. Once two came together (a stream), the batch
 * waits for more until stream_us after its first, so that under load one
 * commit covers many deliveries and no batch is held longer than that.
 * linger_us (0: off) keeps any batch open that long after its first. */
long sq_batch_wait_us(int n, long since_first_us, long linger_us, long stream_us);

#endif
