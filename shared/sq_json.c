// SPDX-License-Identifier: MIT
// sq_json.c -- compact JSON text without json_dumps's growing buffer and copy:
// json_dumpb into a stack buffer, then one allocation of the exact size (a
// text longer than the buffer is dumped again into its own allocation).
#include "sq_json.h"

#include <stdlib.h>
#include <string.h>

char *sq_json_dump(const json_t *v)
{
	char stack[2048], *text;
	size_t n;

	if (!v)
		return NULL;
	n = json_dumpb(v, stack, sizeof stack, JSON_COMPACT);
	if (n == 0) /* an error, or v is neither object nor array (as json_dumps) */
		return NULL;
	if (!(text = malloc(n + 1)))
		return NULL;
	if (n <= sizeof stack)
		memcpy(text, stack, n);
	else if (json_dumpb(v, text, n, JSON_COMPACT) != n) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}
