// SPDX-License-Identifier: MIT
// sq_webhook.h -- payment provider webhook signatures (Stripe style): header
// "t=<unix>,v1=<hex>" where hex = HMAC-SHA256(secret, "<t>.<body>"); signing and
// strict verification.
#ifndef SQ_WEBHOOK_H
#define SQ_WEBHOOK_H

#include <stddef.h>

#define SQ_WEBHOOK_HEADER_MAX 1024 /* longer signature headers are rejected as malformed */

typedef enum {
	SQ_SIG_OK = 0,
	SQ_SIG_MALFORMED, /* NULL/empty/too long, bad item, no or bad t=, bad v1= value */
	SQ_SIG_NO_V1,     /* well formed, but carries no v1= signature */
	SQ_SIG_MISMATCH,  /* no v1 matches (also: empty secret, crypto failure) */
	SQ_SIG_TOO_OLD    /* signature matches, but |now - t| > tolerance */
} sq_sig_result;

/* Hex HMAC-SHA256(secret, "<t>.<body>") into out (64 lowercase hex + NUL).
 * On failure (NULL/empty secret, t < 0, crypto error) out is set to "". */
void sq_webhook_sign_hex(const char *secret, long long t, const char *body, size_t body_len,
                         char out[65]);

/* Builds "t=<t>,v1=<hex>" into out (size >= 100). On signing failure it
 * writes "" (a header that never verifies). */
void sq_webhook_header(const char *secret, long long t, const char *body, size_t body_len,
                       char *out, size_t out_size);

/* Parses the header, checks that some v1 matches in constant time
 * (CRYPTO_memcmp) and then that |now - t| <= tolerance (a negative tolerance
 * rejects everything as too old). Header items are comma separated key=value,
 * spaces around items are allowed, unknown keys (v0=, ...) are ignored; t must be
 * 1..18 digits and appear once; every v1 must be exactly 64 lowercase hex chars.
 * Sets *ret_t (if ret_t is not NULL) whenever the header parsed, i.e. for
 * every result except SQ_SIG_MALFORMED. */
sq_sig_result sq_webhook_verify(const char *header, const char *secret, const char *body,
                                size_t body_len, long long now, long long tolerance,
                                long long *ret_t);

/* Static words for a result, e.g. "signature does not match". */
const char *sq_sig_result_str(sq_sig_result r);

/* Like sq_sig_result_str() but with the numbers for SQ_SIG_TOO_OLD, e.g.
 * "timestamp is 301 s away from received_at (tolerance 300 s)". Returns out. */
const char *sq_webhook_describe(sq_sig_result r, long long t, long long now, long long tolerance,
                                char *out, size_t out_size);

#endif
