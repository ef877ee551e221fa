// SPDX-License-Identifier: MIT
// test_webhook.c -- unit tests for sq_webhook: signing against independently
// computed HMACs, rotation, malformed headers, tolerance, tampering, wrong secrets.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sq_webhook.h"

#define SECRET "whsec_test_secret"
#define OLD_SECRET "whsec_old_secret"
#define T 1700000000LL
#define BODY "{\"id\":\"evt_test\",\"object\":\"event\"}"

/* Computed outside this code base:
 *   printf '%s' '1700000000.{"id":"evt_test","object":"event"}' \
 *     | openssl dgst -sha256 -hmac 'whsec_test_secret'
 * (and cross-checked with Python's hmac module). */
#define SIG_BODY "8042376f6ca064adbe037642a718227dfd59047137eb49497a54c49eb0cfb724"
/*   printf '%s' '1700000000.' | openssl dgst -sha256 -hmac 'whsec_test_secret' */
#define SIG_EMPTY "316b9ab98c15bfa039d243f3196acee619cf29749a91a634e6a8154e2f7b6727"
/*   same body, -hmac 'whsec_old_secret' */
#define SIG_OLD "a1dd24cd166a5ec1b320e88ebfc7df18408a2dc13ab12ccf1d9e392d099b1dc1"

static sq_sig_result verify(const char *header, long long now)
{
	return sq_webhook_verify(header, SECRET, BODY, strlen(BODY), now, 300, NULL);
}

static void test_sign_known_vector(void **state)
{
	char hex[65];
	(void)state;
	sq_webhook_sign_hex(SECRET, T, BODY, strlen(BODY), hex);
	assert_string_equal(hex, SIG_BODY);
	sq_webhook_sign_hex(SECRET, T, NULL, 0, hex);
	assert_string_equal(hex, SIG_EMPTY);
	sq_webhook_sign_hex(OLD_SECRET, T, BODY, strlen(BODY), hex);
	assert_string_equal(hex, SIG_OLD);
}

static void test_sign_refuses_empty_secret(void **state)
{
	char hex[65] = "x";
	char hdr[100] = "x";
	(void)state;
	sq_webhook_sign_hex("", T, BODY, strlen(BODY), hex);
	assert_string_equal(hex, "");
	sq_webhook_sign_hex(NULL, T, BODY, strlen(BODY), hex);
	assert_string_equal(hex, "");
	sq_webhook_header("", T, BODY, strlen(BODY), hdr, sizeof hdr);
	assert_string_equal(hdr, "");
	assert_int_equal(
	    sq_webhook_verify("t=1700000000,v1=" SIG_BODY, "", BODY, strlen(BODY), T, 300, NULL),
	    SQ_SIG_MISMATCH);
}

static void test_header_format_and_roundtrip(void **state)
{
	char hdr[100];
	long long t = 0;
	(void)state;
	sq_webhook_header(SECRET, T, BODY, strlen(BODY), hdr, sizeof hdr);
	assert_string_equal(hdr, "t=1700000000,v1=" SIG_BODY);
	assert_int_equal(sq_webhook_verify(hdr, SECRET, BODY, strlen(BODY), T, 300, &t), SQ_SIG_OK);
	assert_int_equal(t, T);
	/* too small a buffer never yields a truncated header */
	sq_webhook_header(SECRET, T, BODY, strlen(BODY), hdr, 20);
	assert_string_equal(hdr, "");
}

static void test_rotation_two_v1(void **state)
{
	(void)state;
	assert_int_equal(verify("t=1700000000,v1=" SIG_OLD ",v1=" SIG_BODY, T), SQ_SIG_OK);
	assert_int_equal(verify("t=1700000000,v1=" SIG_BODY ",v1=" SIG_OLD, T), SQ_SIG_OK);
	/* verifying with the old secret also works while both are sent */
	assert_int_equal(sq_webhook_verify("t=1700000000,v1=" SIG_OLD ",v1=" SIG_BODY, OLD_SECRET,
	                                   BODY, strlen(BODY), T, 300, NULL),
	                 SQ_SIG_OK);
	assert_int_equal(verify("t=1700000000,v1=" SIG_OLD ",v1=" SIG_OLD, T), SQ_SIG_MISMATCH);
}

static void test_unknown_schemes_ignored(void **state)
{
	(void)state;
	assert_int_equal(verify("t=1700000000,v0=whatever,v1=" SIG_BODY, T), SQ_SIG_OK);
	assert_int_equal(verify("v1=" SIG_BODY ",t=1700000000", T), SQ_SIG_OK);
	assert_int_equal(verify("t=1700000000, v1=" SIG_BODY, T), SQ_SIG_OK);
	assert_int_equal(verify("t=1700000000,v0=" SIG_BODY, T), SQ_SIG_NO_V1);
}

static void test_malformed(void **state)
{
	static char huge[4096];
	long long t = 42;
	(void)state;
	assert_int_equal(verify(NULL, T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("", T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("v1=" SIG_BODY, T), SQ_SIG_MALFORMED);        /* no t */
	assert_int_equal(verify("t=,v1=" SIG_BODY, T), SQ_SIG_MALFORMED);     /* empty t */
	assert_int_equal(verify("t=17e8,v1=" SIG_BODY, T), SQ_SIG_MALFORMED); /* non digit t */
	assert_int_equal(verify("t=-1700000000,v1=" SIG_BODY, T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1234567890123456789,v1=" SIG_BODY, T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1,t=1700000000,v1=" SIG_BODY, T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,v1=" SIG_BODY ",", T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,,v1=" SIG_BODY, T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,v1", T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,=abc", T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("1700000000", T), SQ_SIG_MALFORMED);
	/* short, long, non-hex and uppercase signatures */
	assert_int_equal(verify("t=1700000000,v1=8042376f", T), SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,v1=" SIG_BODY "00", T), SQ_SIG_MALFORMED);
	assert_int_equal(
	    verify(
	        "t=1700000000,v1=zz42376f6ca064adbe037642a718227dfd59047137eb49497a54c49eb0cfb724",
	        T),
	    SQ_SIG_MALFORMED);
	assert_int_equal(
	    verify(
	        "t=1700000000,v1=8042376F6CA064ADBE037642A718227DFD59047137EB49497A54C49EB0CFB724",
	        T),
	    SQ_SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,v1=", T), SQ_SIG_MALFORMED);
	/* over 1 KiB */
	memset(huge, 0, sizeof huge);
	strcpy(huge, "t=1700000000,v1=" SIG_BODY ",v0=");
	memset(huge + strlen(huge), 'a', 2000);
	assert_int_equal(verify(huge, T), SQ_SIG_MALFORMED);
	/* ret_t is untouched on malformed input */
	assert_int_equal(sq_webhook_verify("t=x", SECRET, BODY, strlen(BODY), T, 300, &t),
	                 SQ_SIG_MALFORMED);
	assert_int_equal(t, 42);
}

static void test_no_v1(void **state)
{
	long long t = 0;
	(void)state;
	assert_int_equal(sq_webhook_verify("t=1700000000", SECRET, BODY, strlen(BODY), T, 300, &t),
	                 SQ_SIG_NO_V1);
	assert_int_equal(t, T);
}

static void test_tolerance(void **state)
{
	const char *hdr = "t=1700000000,v1=" SIG_BODY;
	(void)state;
	assert_int_equal(verify(hdr, T + 300), SQ_SIG_OK);
	assert_int_equal(verify(hdr, T - 300), SQ_SIG_OK);
	assert_int_equal(verify(hdr, T + 301), SQ_SIG_TOO_OLD);
	assert_int_equal(verify(hdr, T - 301), SQ_SIG_TOO_OLD);
	/* extreme clocks do not overflow */
	assert_int_equal(verify(hdr, INT64_MIN), SQ_SIG_TOO_OLD);
	assert_int_equal(verify(hdr, INT64_MAX), SQ_SIG_TOO_OLD);
	assert_int_equal(sq_webhook_verify(hdr, SECRET, BODY, strlen(BODY), T, -1, NULL),
	                 SQ_SIG_TOO_OLD);
	assert_int_equal(sq_webhook_verify(hdr, SECRET, BODY, strlen(BODY), T, 0, NULL), SQ_SIG_OK);
}

static void test_tampered_and_wrong_secret(void **state)
{
	const char *hdr = "t=1700000000,v1=" SIG_BODY;
	const char *tampered = "{\"id\":\"evt_test\",\"object\":\"evenT\"}";
	(void)state;
	assert_int_equal(sq_webhook_verify(hdr, SECRET, tampered, strlen(tampered), T, 300, NULL),
	                 SQ_SIG_MISMATCH);
	assert_int_equal(sq_webhook_verify(hdr, SECRET, BODY, strlen(BODY) - 1, T, 300, NULL),
	                 SQ_SIG_MISMATCH);
	assert_int_equal(sq_webhook_verify(hdr, "whsec_wrong", BODY, strlen(BODY), T, 300, NULL),
	                 SQ_SIG_MISMATCH);
	/* a different t changes the signed payload */
	assert_int_equal(verify("t=1700000001,v1=" SIG_BODY, T), SQ_SIG_MISMATCH);
	/* mismatch wins over a stale timestamp */
	assert_int_equal(verify("t=1600000000,v1=" SIG_BODY, T), SQ_SIG_MISMATCH);
}

static void test_result_words(void **state)
{
	char buf[128];
	(void)state;
	assert_string_equal(sq_sig_result_str(SQ_SIG_MALFORMED), "signature header is malformed");
	assert_string_equal(sq_sig_result_str(SQ_SIG_MISMATCH), "signature does not match");
	assert_non_null(sq_sig_result_str(SQ_SIG_OK));
	assert_non_null(sq_sig_result_str(SQ_SIG_NO_V1));
	assert_non_null(sq_sig_result_str((sq_sig_result)99));
	assert_string_equal(sq_webhook_describe(SQ_SIG_TOO_OLD, T, T + 301, 300, buf, sizeof buf),
	                    "timestamp is 301 s away from received_at (tolerance 300 s)");
	assert_string_equal(sq_webhook_describe(SQ_SIG_MISMATCH, T, T, 300, buf, sizeof buf),
	                    "signature does not match");
}

/* Cheap deterministic fuzz: random bytes and mutations of a valid header. */
static void test_fuzz_no_crash(void **state)
{
	char buf[1200];
	const char *valid = "t=1700000000,v0=ab,v1=" SIG_BODY ",v1=" SIG_OLD;
	uint32_t x = 12345;
	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n;
		x = x * 1103515245u + 12345u;
		if (round % 2) {
			n = (x >> 8) % (sizeof buf - 1);
			for (size_t i = 0; i < n; i++) {
				x = x * 1103515245u + 12345u;
				buf[i] = (char)(",=tv01af \t9x"[(x >> 16) % 12]);
			}
		} else {
			n = strlen(valid);
			memcpy(buf, valid, n);
			for (int k = 0; k < 3; k++) {
				x = x * 1103515245u + 12345u;
				buf[(x >> 8) % n] =
				    (char)((x >> 20) & 0xff ? (x >> 20) & 0xff : 'x');
			}
		}
		buf[n] = '\0';
		sq_sig_result r = verify(buf, T);
		assert_true(r >= SQ_SIG_OK && r <= SQ_SIG_TOO_OLD);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_known_vector),
	    cmocka_unit_test(test_sign_refuses_empty_secret),
	    cmocka_unit_test(test_header_format_and_roundtrip),
	    cmocka_unit_test(test_rotation_two_v1),
	    cmocka_unit_test(test_unknown_schemes_ignored),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_no_v1),
	    cmocka_unit_test(test_tolerance),
	    cmocka_unit_test(test_tampered_and_wrong_secret),
	    cmocka_unit_test(test_result_words),
	    cmocka_unit_test(test_fuzz_no_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
