// SPDX-License-Identifier: MIT
// sq_buf.c -- the growable byte buffer, and PostgreSQL array literals built in it.
#include "sq_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int sq_buf_reserve(sq_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - 1 - b->len)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int sq_buf_append(sq_buf *b, const char *data, size_t len)
{
	if (!b || b->oom || (!data && len > 0))
		return -1;
	if (sq_buf_reserve(b, len) != 0) {
		b->oom = 1;
		return -1;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sq_buf_append_str(sq_buf *b, const char *s)
{
	if (!s)
		return -1;
	return sq_buf_append(b, s, strlen(s));
}

void sq_buf_free(sq_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void sq_buf_reset(sq_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sq_buf_list_add(sq_buf *b, const char *list, size_t len)
{
	if (!len)
		return;
	if (b->len)
		(void)sq_buf_append(b, ",", 1);
	(void)sq_buf_append(b, list, len);
}

void sq_buf_array_add(sq_buf *b, const char *s)
{
	(void)sq_buf_append(b, b->len ? ",\"" : "{\"", 2);
	for (const char *p = s; *p;) {
		size_t run = strcspn(p, "\"\\");
		(void)sq_buf_append(b, p, run);
		p += run;
		if (*p) {
			char esc[2] = { '\\', *p++ };
			(void)sq_buf_append(b, esc, 2);
		}
	}
	(void)sq_buf_append(b, "\"", 1);
}

const char *sq_buf_array_close(sq_buf *b)
{
	(void)sq_buf_append(b, b->len ? "}" : "{}", b->len ? 1 : 2);
	return b->data;
}
