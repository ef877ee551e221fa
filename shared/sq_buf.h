// SPDX-License-Identifier: MIT
// sq_buf.h -- a growable byte buffer (HTTP bodies, form encoding, templates,
// PostgreSQL array literals). A failed allocation is remembered in oom: later
// appends do nothing, so a builder may check once at the end.
#ifndef SQ_BUF_H
#define SQ_BUF_H

#include <stddef.h>

/* Zero-initialise ({0}) before use. After any successful append, data is
 * NUL-terminated (the NUL is not counted in len). */
typedef struct {
	char *data;
	size_t len, cap;
	int oom;
} sq_buf;

/* Makes room for extra more bytes plus a NUL (for writing in place at
 * data + len). 0 ok, -1 out of memory. */
int sq_buf_reserve(sq_buf *b, size_t extra);
/* Appends len raw bytes. 0 ok, -1 out of memory (buffer unchanged, oom set). */
int sq_buf_append(sq_buf *b, const char *data, size_t len);
/* Appends a NUL-terminated string. 0 ok, -1 out of memory or NULL s. */
int sq_buf_append_str(sq_buf *b, const char *s);
/* Empties the buffer (and clears oom), keeping its storage. */
void sq_buf_reset(sq_buf *b);
/* Frees the storage and zeroes the struct (safe on a zeroed buffer). */
void sq_buf_free(sq_buf *b);
/* Appends s as an element of a PostgreSQL array literal: "{" before the first
 * element, "," between; sq_buf_array_close adds the "}" ("{}" when empty) and
 * returns the literal. */
void sq_buf_array_add(sq_buf *b, const char *s);
/* Appends a comma-separated list ("7" or "7,8", len bytes) to one, with a
 * comma between them when both have elements. */
void sq_buf_list_add(sq_buf *b, const char *list, size_t len);
const char *sq_buf_array_close(sq_buf *b);

#endif
