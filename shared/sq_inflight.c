// SPDX-License-Identifier: MIT
// sq_inflight.c -- outbox rows awaiting their publisher confirms, by group.
#include "sq_inflight.h"

#include <stdlib.h>
#include <string.h>

int sq_inflight_add(sq_inflight *f, uint64_t last_tag, const char *ids, size_t len)
{
	size_t before = f->ids.len;

	if (!len)
		return 0; /* nothing to confirm */
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 16;
		sq_inflight_group *g = realloc(f->groups, (size_t)cap * sizeof *g);
		if (!g)
			return -1;
		f->groups = g;
		f->cap = cap;
	}
	sq_buf_list_add(&f->ids, ids, len);
	if (f->ids.oom) {
		f->ids.oom = 0;
		f->ids.len = before;
		if (f->ids.data)
			f->ids.data[before] = '\0';
		return -1;
	}
	f->groups[f->n++] = (sq_inflight_group){ last_tag, f->ids.len };
	return 0;
}

int sq_inflight_pop(sq_inflight *f, uint64_t confirmed_upto, sq_buf *to)
{
	int k = 0;

	while (k < f->n && f->groups[k].last_tag <= confirmed_upto)
		k++;
	if (!k)
		return 0;
	size_t end = f->groups[k - 1].end, rest = f->ids.len - end;
	sq_buf_list_add(to, f->ids.data, end);
	if (rest) { /* the next group's ids follow a separator */
		end++;
		rest--;
	}
	if (f->ids.data) {
		memmove(f->ids.data, f->ids.data + end, rest);
		f->ids.data[rest] = '\0';
	}
	f->ids.len = rest;
	for (int i = k; i < f->n; i++)
		f->groups[i - k] = (sq_inflight_group){ f->groups[i].last_tag, f->groups[i].end - end };
	f->n -= k;
	return k;
}

void sq_inflight_drain(sq_inflight *f, sq_buf *to)
{
	sq_buf_list_add(to, f->ids.data, f->ids.len);
	sq_buf_reset(&f->ids);
	f->n = 0;
}

void sq_inflight_free(sq_inflight *f)
{
	sq_buf_free(&f->ids);
	free(f->groups);
	f->groups = NULL;
	f->n = f->cap = 0;
}
