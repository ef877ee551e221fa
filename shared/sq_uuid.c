// SPDX-License-Identifier: MIT
// sq_uuid.c -- random (version 4) UUIDs from getrandom(2), drawn from a
// per-thread pool refilled 256 UUIDs at a time (emptied in a forked child), and
// their syntax check.
#include "sq_uuid.h"
#include "sq_fmt.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

static _Thread_local unsigned char pool[4096];
static _Thread_local size_t pool_left;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_pool(void) { pool_left = 0; } /* a child must not repeat its parent's UUIDs */
static void register_atfork(void) { (void)pthread_atfork(NULL, NULL, forget_pool); }

int sq_uuid_v4(char out[37])
{
	unsigned char b[16];

	(void)pthread_once(&atfork_once, register_atfork);
	if (pool_left < sizeof b) {
		if (getrandom(pool, sizeof pool, 0) != (ssize_t)sizeof pool)
			return -1;
		pool_left = sizeof pool;
	}
	memcpy(b, pool + sizeof pool - pool_left, sizeof b);
	pool_left -= sizeof b;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	/* 8-4-4-4-12: each group's NUL is overwritten by the dash after it */
	sq_fmt_hex(out, b, 4);
	out[8] = '-';
	sq_fmt_hex(out + 9, b + 4, 2);
	out[13] = '-';
	sq_fmt_hex(out + 14, b + 6, 2);
	out[18] = '-';
	sq_fmt_hex(out + 19, b + 8, 2);
	out[23] = '-';
	sq_fmt_hex(out + 24, b + 10, 6);
	return 0;
}

int sq_uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}
