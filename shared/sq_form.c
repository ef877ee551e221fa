// SPDX-License-Identifier: MIT
// sq_form.c -- form-urlencoded encoder/decoder.
#include "sq_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>


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
	if (sq_buf_reserve(b, need) != 0)
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
