// SPDX-License-Identifier: MIT
// sq_form.c -- form-urlencoded encoder/decoder and the sq_buf growable buffer.
#include "sq_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for extra more bytes plus a NUL. 0 ok, -1 out of memory. */
static int buf_reserve(sq_buf *b, size_t extra)
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
	if (!b || (!data && len > 0) || buf_reserve(b, len) != 0)
		return -1;
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

static int form_keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '*' || c == '-' || c == '.' || c == '_';
}

static size_t encoded_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += (form_keep((unsigned char)*s) || *s == ' ') ? 1 : 3;
	return n;
}

static char *encode_into(char *dst, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (form_keep(c)) {
			*dst++ = (char)c;
		} else if (c == ' ') {
			*dst++ = '+';
		} else {
			*dst++ = '%';
			*dst++ = hex[c >> 4];
			*dst++ = hex[c & 0x0f];
		}
	}
	return dst;
}

int sq_form_add(sq_buf *b, const char *key, const char *value)
{
	size_t klen, vlen, need;
	char *w;

	if (!b || !key)
		return -1;
	if (!value)
		value = "";
	klen = encoded_len(key);
	vlen = encoded_len(value);
	/* each encoded length is at most 3 * strlen, far from SIZE_MAX */
	need = (b->len > 0 ? 1 : 0) + klen + 1 + vlen;
	if (buf_reserve(b, need) != 0)
		return -1;
	w = b->data + b->len;
	if (b->len > 0)
		*w++ = '&';
	w = encode_into(w, key);
	*w++ = '=';
	w = encode_into(w, value);
	b->len += need;
	b->data[b->len] = '\0';
	return 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [s, e) into dst (NUL-terminated). Returns a pointer past the NUL,
 * or NULL on a malformed escape or a NUL byte. */
static char *decode_into(char *dst, const char *s, const char *e)
{
	while (s < e) {
		char c = *s;
		if (c == '%') {
			int hi, lo;
			if (e - s < 3)
				return NULL;
			hi = hex_val(s[1]);
			lo = hex_val(s[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*dst++ = (char)(hi * 16 + lo);
			s += 3;
			continue;
		}
		if (c == '\0')
			return NULL;
		*dst++ = c == '+' ? ' ' : c;
		s++;
	}
	*dst++ = '\0';
	return dst;
}

int sq_form_parse(const char *body, size_t len,
                  int (*cb)(const char *key, const char *value, void *ud), void *ud)
{
	const char *p, *end;
	char *scratch = NULL;
	int rc = -1;

	if ((!body && len > 0) || !cb || len > SIZE_MAX - 2)
		goto fail;
	if (len == 0)
		return 0;
	/* a pair's decoded key and value never exceed its encoded length + 2 NULs */
	scratch = malloc(len + 2);
	if (!scratch)
		goto fail;
	p = body;
	end = body + len;
	while (p < end) {
		const char *s = p, *e = p, *eq;
		char *key, *val;
		int r;

		while (e < end && *e != '&')
			e++;
		p = e < end ? e + 1 : end;
		if (s == e)
			continue;
		eq = s;
		while (eq < e && *eq != '=')
			eq++;
		key = scratch;
		val = decode_into(key, s, eq);
		if (!val)
			goto fail;
		if (!decode_into(val, eq < e ? eq + 1 : e, e))
			goto fail;
		r = cb(key, val, ud);
		if (r != 0) {
			rc = r;
			goto fail;
		}
	}
	rc = 0;
fail:
	free(scratch);
	return rc;
}
