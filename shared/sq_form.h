// SPDX-License-Identifier: MIT
// sq_form.h -- application/x-www-form-urlencoded encoding (WHATWG rules) and
// decoding; the encoder writes into an sq_buf.
#ifndef SQ_FORM_H
#define SQ_FORM_H

#include <stddef.h>

#include "sq_buf.h"

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
