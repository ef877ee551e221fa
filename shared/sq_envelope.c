// SPDX-License-Identifier: MIT
// sq_envelope.c -- envelope and schema checks; pure functions over bytes and JSON.
#include "sq_envelope.h"

#include <stdio.h>
#include <string.h>

#include "sq_uuid.h"

json_t *sq_envelope_parse(const void *body, size_t len, const char *content_type,
			  const char *message_id, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (len > SQ_MAX_BODY) {
		snprintf(err, errlen, "body is %zu bytes, over the 64 KiB limit", len);
		return NULL;
	}
	if (!message_id || !*message_id) {
		snprintf(err, errlen, "message has no message_id property");
		return NULL;
	}
	if (strlen(message_id) > 200) {
		snprintf(err, errlen, "message_id is longer than 200 bytes");
		return NULL;
	}
	if (content_type && *content_type && strncmp(content_type, "application/json", 16) != 0) {
		snprintf(err, errlen, "content_type is \"%.60s\", expected application/json", content_type);
		return NULL;
	}
	if (len == 0) {
		snprintf(err, errlen, "body is empty");
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		snprintf(err, errlen, "body is not JSON: line %d column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "body is a JSON %s, expected an object",
			 json_is_array(root) ? "array" : "scalar");
		json_decref(root);
		return NULL;
	}
	return root;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static int check_int(const char *name, const json_t *v, long long min, long long max, char *err,
		     size_t errlen)
{
	json_int_t n;

	if (!json_is_integer(v)) {
		snprintf(err, errlen, "field %s: expected an integer, got %s", name, json_type_name(v));
		return -1;
	}
	n = json_integer_value(v);
	if (n < min) {
		snprintf(err, errlen, "field %s: %lld is below %lld", name, (long long)n, min);
		return -1;
	}
	if (n > max) {
		snprintf(err, errlen, "field %s: %lld is above %lld", name, (long long)n, max);
		return -1;
	}
	return 0;
}

static int check_items(const sq_field *f, const json_t *v, char *err, size_t errlen)
{
	size_t i;
	json_t *item;
	char name[64];

	if (!json_is_array(v)) {
		snprintf(err, errlen, "field %s: expected an array, got %s", f->name, json_type_name(v));
		return -1;
	}
	if (json_array_size(v) == 0 || (long long)json_array_size(v) > f->max) {
		snprintf(err, errlen, "field %s: expected 1 to %lld items, got %zu", f->name, f->max,
			 json_array_size(v));
		return -1;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_object(item)) {
			snprintf(err, errlen, "field %s[%zu]: expected an object, got %s", f->name, i,
				 json_type_name(item));
			return -1;
		}
		snprintf(name, sizeof name, "%s[%zu].product_id", f->name, i);
		if (check_int(name, json_object_get(item, "product_id") ? json_object_get(item, "product_id")
									 : json_null(),
			      1, 9007199254740991LL, err, errlen))
			return -1;
		snprintf(name, sizeof name, "%s[%zu].quantity", f->name, i);
		if (check_int(name, json_object_get(item, "quantity") ? json_object_get(item, "quantity")
								       : json_null(),
			      1, 1000, err, errlen))
			return -1;
	}
	return 0;
}

int sq_schema_validate(const json_t *body, const sq_field *fields, sq_schema_check_fn check,
		       char *err, size_t errlen)
{
	for (const sq_field *f = fields; f && f->name; f++) {
		const json_t *v = json_object_get(body, f->name);
		size_t len;

		if (!v || json_is_null(v)) {
			if (f->required) {
				snprintf(err, errlen, "field %s is missing", f->name);
				return -1;
			}
			continue;
		}
		switch (f->type) {
		case SQ_F_INT:
			if (check_int(f->name, v, f->min, f->max, err, errlen))
				return -1;
			break;
		case SQ_F_STRING:
		case SQ_F_UUID:
			if (!json_is_string(v)) {
				snprintf(err, errlen, "field %s: expected a string, got %s", f->name,
					 json_type_name(v));
				return -1;
			}
			len = json_string_length(v);
			if (f->type == SQ_F_UUID && !sq_uuid_valid(json_string_value(v))) {
				snprintf(err, errlen, "field %s: expected a UUID", f->name);
				return -1;
			}
			if (f->type == SQ_F_STRING && ((long long)len < f->min || (long long)len > f->max)) {
				snprintf(err, errlen, "field %s: length %zu is outside %lld..%lld", f->name,
					 len, f->min, f->max);
				return -1;
			}
			if (strlen(json_string_value(v)) != len) {
				snprintf(err, errlen, "field %s: contains a NUL character", f->name);
				return -1;
			}
			break;
		case SQ_F_ITEMS:
			if (check_items(f, v, err, errlen))
				return -1;
			break;
		case SQ_F_OBJECT:
			if (!json_is_object(v)) {
				snprintf(err, errlen, "field %s: expected an object, got %s", f->name,
					 json_type_name(v));
				return -1;
			}
			break;
		}
	}
	if (check)
		return check(body, err, errlen);
	return 0;
}
