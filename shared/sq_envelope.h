// SPDX-License-Identifier: MIT
// sq_envelope.h -- the checks every message passes before any handler sees it:
// size, content type, message_id, UTF-8 JSON object, and the command's schema.
#ifndef SQ_ENVELOPE_H
#define SQ_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>

#define SQ_MAX_BODY (64 * 1024)

typedef enum {
	SQ_F_INT,    /* JSON integer within [min, max] */
	SQ_F_STRING, /* string, length within [min, max] bytes */
	SQ_F_UUID,   /* string in UUID form */
	SQ_F_ITEMS,  /* non-empty array (<= max) of {"product_id": int >= 1, "quantity": 1..1000} */
	SQ_F_OBJECT, /* JSON object */
} sq_field_type;

typedef struct sq_field {
	const char *name;
	sq_field_type type;
	int required;
	long long min, max;
} sq_field;

/* Extra rules a schema table cannot say (e.g. "exactly one of a or b").
 * Returns 0, or -1 with the reason in err. */
typedef int (*sq_schema_check_fn)(const json_t *body, char *err, size_t errlen);

/* The broker-level checks: returns the parsed object (caller owns it) or NULL
 * with the reason in err, e.g. "body is not JSON: line 1 column 7: ...". */
json_t *sq_envelope_parse(const void *body, size_t len, const char *content_type,
			  const char *message_id, char *err, size_t errlen);

/* Checks body against fields (terminated by a NULL name) and then check().
 * Returns 0, or -1 with the reason in err, e.g. "field quantity: 0 is below 1". */
int sq_schema_validate(const json_t *body, const sq_field *fields, sq_schema_check_fn check,
		       char *err, size_t errlen);

#endif
