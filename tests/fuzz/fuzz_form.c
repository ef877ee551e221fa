// SPDX-License-Identifier: MIT
// fuzz_form.c -- libFuzzer target: form decoding of arbitrary bytes, and
// re-encoding of every decoded pair.
#include <stddef.h>
#include <stdint.h>

#include "sq_form.h"

static int reencode(const char *key, const char *value, void *ud)
{
	return sq_form_add(ud, key, value) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sq_buf b = { 0 };
	(void)sq_form_parse((const char *)data, size, reencode, &b);
	sq_buf_free(&b);
	return 0;
}
