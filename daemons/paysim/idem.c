// SPDX-License-Identifier: MIT
// idem.c -- hash map of paysim's Idempotency-Key entries (open addressing, FNV-1a).
#include "idem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t idem_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void entry_free(idem_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->fingerprint);
	free(e->body);
	free(e);
}

idem_entry *idem_find(idem_store *s, const char *key)
{
	size_t i;

	if (s->cap == 0)
		return NULL;
	for (i = (size_t)idem_hash(key) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slots[i]->key, key) == 0)
			return s->slots[i];
	return NULL;
}

static void slot_put(idem_entry **slots, size_t cap, idem_entry *e)
{
	size_t i = (size_t)idem_hash(e->key) & (cap - 1);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = e;
}

/* Keeps the load factor at or below 1/2. 0 ok, -1 out of memory. */
static int idem_grow(idem_store *s)
{
	size_t cap;
	idem_entry **slots;

	if ((s->count + 1) * 2 <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 1024;
	if (cap > SIZE_MAX / sizeof *slots)
		return -1;
	slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			slot_put(slots, cap, s->slots[i]);
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

idem_entry *idem_insert(idem_store *s, const char *key, const char *fingerprint)
{
	idem_entry *e = NULL;

	if (idem_grow(s) != 0)
		goto fail;
	e = calloc(1, sizeof *e);
	if (!e)
		goto fail;
	e->key = strdup(key);
	e->fingerprint = strdup(fingerprint);
	if (!e->key || !e->fingerprint)
		goto fail;
	slot_put(s->slots, s->cap, e);
	s->count++;
	return e;
fail:
	entry_free(e);
	return NULL;
}

int idem_save(idem_entry *e, int status, const char *body)
{
	char *copy = strdup(body);

	if (!copy)
		return -1;
	free(e->body);
	e->body = copy;
	e->status = status;
	e->has_response = 1;
	return 0;
}

void idem_clear(idem_store *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		entry_free(s->slots[i]);
		s->slots[i] = NULL;
	}
	s->count = 0;
}

void idem_free(idem_store *s)
{
	idem_clear(s);
	free(s->slots);
	s->slots = NULL;
	s->cap = 0;
}
