// SPDX-License-Identifier: MIT
// fuzz_envelope.c -- libFuzzer target: any bytes through the envelope checks and
// the order.place-shaped schema validation; must never crash or leak.
#include <stddef.h>
#include <stdint.h>

#include "sq_envelope.h"

static const sq_field fields[] = {
	{ "checkout_id", SQ_F_UUID, 1, 0, 0 },
	{ "user_id", SQ_F_INT, 1, 1, 9007199254740991LL },
	{ "items", SQ_F_ITEMS, 0, 0, 100 },
	{ "title", SQ_F_STRING, 0, 1, 200 },
	{ "data", SQ_F_OBJECT, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	json_t *j = sq_envelope_parse(data, size, "application/json", "fuzz", err, sizeof err);
	if (j) {
		(void)sq_schema_validate(j, fields, NULL, err, sizeof err);
		json_decref(j);
	}
	return 0;
}
