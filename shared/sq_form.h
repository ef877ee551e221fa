// SPDX-License-Identifier: MIT
// sq_form.h -- application/x-www-form-urlencoded encoding (WHATWG rules) and
// decoding, plus the small growable byte buffer sq_buf the encoder writes into.
#ifndef SQ_FORM_H
#define SQ_FORM_H

#include <stddef.h>

/* Growable buffer. Zero-initialise ({0}) before use. After any successful
 * append, data is NUL-terminated (the NUL is not counted in len). */
typedef struct {
	char *data;
	size_t len, cap;
} sq_buf;

/* Appends len raw bytes. 0 ok, -1 out of memory (buffer unchanged). */
int sq_buf_append(sq_buf *b, const char *data, size_t len);
/* Appends a NUL-terminated string. 0 ok, -1 out of memory (buffer unchanged). */
int sq_buf_append_str(sq_buf *b, const char *s);
/* Frees the storage and zeroes the struct (safe on a zeroed buffer). */
void sq_buf_free(sq_buf *b);

/* Appends "key=value" percent-encoded per WHATWG form rules (ASCII alnum and
 * *-._ kept, space as '+', every other byte %XX uppercase), preceded by '&'
 * when the buffer is not empty. A NULL value is encoded as "".
 * 0 ok, -1 out of memory or NULL key (buffer unchanged). */
int sq_form_add(sq_buf *b, const char *key, const char *value);

/* Decodes a form body: for each '&'-separated pair calls cb(key, value, ud) with
 * decoded NUL-terminated strings ('+' is a space, a pair without '=' has value "",
 * empty pairs are skipped). Returns 0; -1 on a malformed %-escape, a byte that
 * decodes to NUL (raw or %00) or out of memory; or the first non-zero value
 * returned by cb, which stops the parse. */
int sq_form_parse(const char *body, size_t len,
                  int (*cb)(const char *key, const char *value, void *ud), void *ud);

#endif
