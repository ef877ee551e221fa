// SPDX-License-Identifier: MIT
// sq_delivery.c -- a delivery checked before any handler: the runtime's
// headers (attempt, original routing key), the envelope (JSON object,
// message_id, content type, size), the route and the command's schema.
#include "sq_rt.h"

#include <stdio.h>
#include <string.h>

#include "sq_envelope.h"

static int header_int(const amqp_basic_properties_t *p, const char *name, int dflt)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return dflt;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		if (e->key.len != strlen(name) || memcmp(e->key.bytes, name, e->key.len) != 0)
			continue;
		switch (e->value.kind) {
		case AMQP_FIELD_KIND_I8: return e->value.value.i8;
		case AMQP_FIELD_KIND_U8: return e->value.value.u8;
		case AMQP_FIELD_KIND_I16: return e->value.value.i16;
		case AMQP_FIELD_KIND_U16: return e->value.value.u16;
		case AMQP_FIELD_KIND_I32: return e->value.value.i32;
		case AMQP_FIELD_KIND_U32: return (int)e->value.value.u32;
		case AMQP_FIELD_KIND_I64: return (int)e->value.value.i64;
		case AMQP_FIELD_KIND_U64: return (int)e->value.value.u64;
		default: return dflt;
		}
	}
	return dflt;
}

/* b as a C string in out (outlen > 0), cut to fit */
static void bytes_to_str(amqp_bytes_t b, char *out, size_t outlen)
{
	size_t n = b.bytes ? b.len : 0;

	if (n >= outlen)
		n = outlen - 1;
	if (n)
		memcpy(out, b.bytes, n);
	out[n] = '\0';
}

static int header_str(const amqp_basic_properties_t *p, const char *name, char *out, size_t outlen)
{
	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return -1;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *e = &p->headers.entries[i];
		if (e->key.len == strlen(name) && memcmp(e->key.bytes, name, e->key.len) == 0 &&
		    (e->value.kind == AMQP_FIELD_KIND_UTF8 || e->value.kind == AMQP_FIELD_KIND_BYTES)) {
			bytes_to_str(e->value.value.bytes, out, outlen);
			return 0;
		}
	}
	return -1;
}

void sq_rt_check_item(rt *r, item *it)
{
	const amqp_basic_properties_t *p = &it->env.message.properties;
	char ctype[128] = "";

	it->attempt = header_int(p, "x-shopq-attempt", 1);
	if (it->attempt < 1)
		it->attempt = 1;
	it->redelivered = it->env.redelivered;
	/* retries come back through the default exchange: the original key rides in a header */
	if (header_str(p, "x-shopq-routing-key", it->routing_key, sizeof it->routing_key))
		bytes_to_str(it->env.routing_key, it->routing_key, sizeof it->routing_key);
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		bytes_to_str(p->message_id, it->message_id, sizeof it->message_id);
	if (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
		bytes_to_str(p->content_type, ctype, sizeof ctype);

	it->body = sq_envelope_parse(it->env.message.body.bytes, it->env.message.body.len, ctype,
				     (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && p->message_id.len <= 200
					     ? it->message_id : (p->message_id.len > 200 ? "x" : NULL),
				     it->reason, sizeof it->reason);
	if (it->body && p->message_id.len > 200) {
		snprintf(it->reason, sizeof it->reason, "message_id is longer than 200 bytes");
		json_decref(it->body);
		it->body = NULL;
	}
	if (!it->body)
		goto reject;
	for (const sq_route *rt_ = r->d->routes; rt_->routing_key; rt_++)
		if (strcmp(rt_->routing_key, it->routing_key) == 0)
			it->route = rt_;
	if (!it->route) {
		snprintf(it->reason, sizeof it->reason, "no handler for routing key \"%.100s\" on %s",
			 it->routing_key, r->d->queue);
		goto reject;
	}
	if (sq_schema_validate(it->body, it->route->fields, it->route->check, it->reason, sizeof it->reason))
		goto reject;
	return;
reject:
	it->outcome = SQ_REJECT;
	it->decided = 1;
}
