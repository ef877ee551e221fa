// SPDX-License-Identifier: MIT
// sq_inflight.h -- outbox rows published but not yet confirmed, in groups
// (one per batch) keyed by the delivery tag of the group's last publish. The
// runtime acks a batch without waiting for its confirms; as the confirmed tag
// advances, whole groups move to the list of rows to delete.
#ifndef SQ_INFLIGHT_H
#define SQ_INFLIGHT_H

#include <stdint.h>

#include "sq_buf.h"

typedef struct sq_inflight_group {
	uint64_t last_tag;
	size_t end; /* where the group's ids end in ids */
} sq_inflight_group;

/* Zero-initialise ({0}) before use. */
typedef struct {
	sq_inflight_group *groups; /* oldest first */
	int n, cap;
	sq_buf ids; /* all groups' outbox ids, comma-separated ("7,8,9") */
} sq_inflight;

/* Adds a group: ids ("7" or "7,8", len bytes) published up to tag last_tag.
 * 0, or -1 out of memory (nothing added). An empty list adds nothing. */
int sq_inflight_add(sq_inflight *f, uint64_t last_tag, const char *ids, size_t len);
/* Moves the ids of every group whose last tag is <= confirmed_upto (oldest
 * first, stopping at the first that is not) to the comma-separated list to.
 * Returns how many groups moved. */
int sq_inflight_pop(sq_inflight *f, uint64_t confirmed_upto, sq_buf *to);
/* Moves every group's ids to to (their confirms will never come). */
void sq_inflight_drain(sq_inflight *f, sq_buf *to);
void sq_inflight_free(sq_inflight *f);

#endif
