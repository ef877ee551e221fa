// SPDX-License-Identifier: MIT
// idem.h -- paysim's idempotency store: Idempotency-Key -> request fingerprint,
// attempt count and saved response. Not thread safe (paysim's mutex guards it).
#ifndef PAYSIM_IDEM_H
#define PAYSIM_IDEM_H

#include <stddef.h>

typedef struct {
	char *key;
	char *fingerprint; /* canonical method, path and sorted params */
	unsigned attempts; /* finished attempts, saved or not */
	int has_response;
	int status; /* saved HTTP status, when has_response */
	char *body; /* saved response body, when has_response */
} idem_entry;

typedef struct {
	idem_entry **slots; /* open addressing, linear probing */
	size_t cap, count;  /* cap is 0 or a power of two */
} idem_store;

/* The entry for key, or NULL. */
idem_entry *idem_find(idem_store *s, const char *key);
/* Adds a new entry (key must not be present). NULL when out of memory. */
idem_entry *idem_insert(idem_store *s, const char *key, const char *fingerprint);
/* Saves the response for replays. 0 ok, -1 out of memory (entry unchanged). */
int idem_save(idem_entry *e, int status, const char *body);
/* Removes and frees every entry; the store stays usable. */
void idem_clear(idem_store *s);
/* idem_clear() and frees the table. */
void idem_free(idem_store *s);

#endif
