// SPDX-License-Identifier: MIT
// fuzz_webhook.c -- libFuzzer target: the webhook signature header parser and
// verifier with arbitrary headers and bodies (first line = header).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sq_webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *header = malloc(hlen + 1);
	long long t = 0;

	if (!header)
		return 0;
	memcpy(header, data, hlen);
	header[hlen] = '\0';
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t blen = nl ? size - hlen - 1 : 0;
	(void)sq_webhook_verify(header, "whsec_fuzz", body, blen, 1732450000, 300, &t);
	free(header);
	return 0;
}
