// SPDX-License-Identifier: MIT
// fuzz_cron.c -- libFuzzer target: cron expressions from arbitrary bytes; a
// parsed one is evaluated forwards and backwards.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sq_cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char expr[256], err[256];
	sq_cron c;

	if (size >= sizeof expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (sq_cron_parse(expr, &c, err, sizeof err) == 0) {
		(void)sq_cron_next(&c, 1764000000, NULL);
		(void)sq_cron_prev(&c, 1764000000, NULL);
	}
	return 0;
}
