// SPDX-License-Identifier: MIT
// sq_webhook.c -- webhook signature scheme "t=<unix>,v1=<hex HMAC-SHA256>": signing
// with OpenSSL EVP_MAC and strict, constant-time verification of untrusted headers.
#include "sq_webhook.h"
#include "sq_fmt.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#define SIG_HEX_LEN 64
#define T_MAX_DIGITS 18 /* fits in long long without overflow */
#define MAX_V1 16       /* a 1 KiB header cannot hold more than 15 v1 items */

/* HMAC-SHA256(secret, "<t>." + body) into mac[32]; 0 ok, -1 error. */
static int webhook_hmac(const char *secret, long long t, const char *body, size_t body_len,
                        unsigned char mac[32])
{
	char prefix[32];
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC *alg = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len = 0;
	int rc = -1;
	int n;

	if (!secret || !*secret || t < 0 || (!body && body_len > 0))
		goto fail;
	n = snprintf(prefix, sizeof prefix, "%lld.", t);
	if (n < 0 || (size_t)n >= sizeof prefix)
		goto fail;
	alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!alg)
		goto fail;
	ctx = EVP_MAC_CTX_new(alg);
	if (!ctx)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params))
		goto fail;
	if (!EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n))
		goto fail;
	if (body_len > 0 && !EVP_MAC_update(ctx, (const unsigned char *)body, body_len))
		goto fail;
	if (!EVP_MAC_final(ctx, mac, &out_len, 32) || out_len != 32)
		goto fail;
	rc = 0;
fail:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return rc;
}

void sq_webhook_sign_hex(const char *secret, long long t, const char *body, size_t body_len,
                         char out[65])
{
	unsigned char mac[32];

	out[0] = '\0';
	if (webhook_hmac(secret, t, body, body_len, mac) != 0)
		return;
	sq_fmt_hex(out, mac, sizeof mac);
	OPENSSL_cleanse(mac, sizeof mac);
}

void sq_webhook_header(const char *secret, long long t, const char *body, size_t body_len,
                       char *out, size_t out_size)
{
	char sig[65];
	int n;

	if (!out || out_size == 0)
		return;
	out[0] = '\0';
	sq_webhook_sign_hex(secret, t, body, body_len, sig);
	if (sig[0] == '\0')
		return;
	n = snprintf(out, out_size, "t=%lld,v1=%s", t, sig);
	if (n < 0 || (size_t)n >= out_size)
		out[0] = '\0'; /* never hand out a truncated header */
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

typedef struct {
	long long t;
	int have_t;
	const char *v1[MAX_V1];
	int n_v1;
} parsed_header;

/* Parses one trimmed item [s, e). 0 ok, -1 malformed. */
static int parse_item(const char *s, const char *e, parsed_header *ph)
{
	const char *eq = s;
	const char *v;
	size_t klen, vlen;

	while (eq < e && *eq != '=')
		eq++;
	if (eq == e || eq == s)
		return -1;
	for (const char *k = s; k < eq; k++)
		if (!is_key_char(*k))
			return -1;
	klen = (size_t)(eq - s);
	v = eq + 1;
	vlen = (size_t)(e - v);

	if (klen == 1 && s[0] == 't') {
		long long t = 0;
		if (ph->have_t || vlen == 0 || vlen > T_MAX_DIGITS)
			return -1;
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			t = t * 10 + (v[i] - '0');
		}
		ph->t = t;
		ph->have_t = 1;
		return 0;
	}
	if (klen == 2 && s[0] == 'v' && s[1] == '1') {
		if (vlen != SIG_HEX_LEN || ph->n_v1 >= MAX_V1)
			return -1;
		for (size_t i = 0; i < vlen; i++)
			if (!is_lower_hex(v[i]))
				return -1;
		ph->v1[ph->n_v1++] = v;
		return 0;
	}
	return 0; /* unknown scheme (v0=, ...): ignored */
}

static int parse_header(const char *header, parsed_header *ph)
{
	size_t len;
	const char *p, *end;

	memset(ph, 0, sizeof *ph);
	if (!header)
		return -1;
	len = strnlen(header, SQ_WEBHOOK_HEADER_MAX + 1);
	if (len == 0 || len > SQ_WEBHOOK_HEADER_MAX)
		return -1;
	p = header;
	end = header + len;
	while (p <= end) {
		const char *s = p, *e = p;
		while (e < end && *e != ',')
			e++;
		p = e + 1; /* past the comma (or past the end) */
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || parse_item(s, e, ph) != 0)
			return -1;
	}
	return ph->have_t ? 0 : -1;
}

/* |a - b| without signed overflow; t is in [0, 1e18) so it fits. */
static unsigned long long abs_diff(long long a, long long b)
{
	return a >= b ? (unsigned long long)a - (unsigned long long)b
	              : (unsigned long long)b - (unsigned long long)a;
}

sq_sig_result sq_webhook_verify(const char *header, const char *secret, const char *body,
                                size_t body_len, long long now, long long tolerance,
                                long long *ret_t)
{
	parsed_header ph;
	char expected[65];
	int match = 0;

	if (parse_header(header, &ph) != 0)
		return SQ_SIG_MALFORMED;
	if (ret_t)
		*ret_t = ph.t;
	if (ph.n_v1 == 0)
		return SQ_SIG_NO_V1;
	sq_webhook_sign_hex(secret, ph.t, body, body_len, expected);
	if (expected[0] == '\0')
		return SQ_SIG_MISMATCH;
	for (int i = 0; i < ph.n_v1; i++)
		match |= CRYPTO_memcmp(expected, ph.v1[i], SIG_HEX_LEN) == 0;
	OPENSSL_cleanse(expected, sizeof expected);
	if (!match)
		return SQ_SIG_MISMATCH;
	if (tolerance < 0 || abs_diff(now, ph.t) > (unsigned long long)tolerance)
		return SQ_SIG_TOO_OLD;
	return SQ_SIG_OK;
}

const char *sq_sig_result_str(sq_sig_result r)
{
	switch (r) {
	case SQ_SIG_OK:
		return "signature is valid";
	case SQ_SIG_MALFORMED:
		return "signature header is malformed";
	case SQ_SIG_NO_V1:
		return "signature header has no v1 signature";
	case SQ_SIG_MISMATCH:
		return "signature does not match";
	case SQ_SIG_TOO_OLD:
		return "timestamp is outside the tolerance window";
	}
	return "unknown signature result";
}

const char *sq_webhook_describe(sq_sig_result r, long long t, long long now, long long tolerance,
                                char *out, size_t out_size)
{
	if (!out || out_size == 0)
		return "";
	if (r == SQ_SIG_TOO_OLD)
		snprintf(out, out_size,
		         "timestamp is %llu s away from received_at (tolerance %lld s)",
		         abs_diff(now, t), tolerance);
	else
		snprintf(out, out_size, "%s", sq_sig_result_str(r));
	return out;
}
