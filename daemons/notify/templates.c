// SPDX-License-Identifier: MIT
// templates.c -- default titles and bodies of event notifications, their
// config overrides, and the small "{field|filter}" renderer.
#include "templates.h"
#include "sq_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const notify_event_def events[] = {
	{ "order.confirmed", "order", "Your order #{order_id} is confirmed",
	  "Thank you! We received your payment of {total|money} {currency} and are preparing order #{order_id}." },
	{ "order.shipped", "order", "Your order #{order_id} has shipped",
	  "Order #{order_id} is on its way with {carrier}. Tracking number: {tracking_number}." },
	{ "order.cancelled", "order", "Your order #{order_id} was cancelled",
	  "Order #{order_id} was cancelled ({reason|words}). Anything you paid for it is refunded." },
	{ "payment.failed", "payment", "Payment for order #{order_id} failed",
	  "We could not charge your payment method for order #{order_id}: {message}" },
	{ NULL, NULL, NULL, NULL },
};

const notify_event_def *notify_event_find(const char *routing_key)
{
	for (const notify_event_def *d = events; routing_key && d->routing_key; d++)
		if (strcmp(d->routing_key, routing_key) == 0)
			return d;
	return NULL;
}

const char *notify_template(const sq_config *cfg, const notify_event_def *def, const char *part)
{
	char name[100], path[160];
	const char *dflt = strcmp(part, "title") == 0 ? def->title : def->body;
	size_t i;

	/* libconfig names cannot hold '.': order.confirmed -> order_confirmed */
	for (i = 0; def->routing_key[i] && i < sizeof name - 1; i++)
		name[i] = def->routing_key[i] == '.' ? '_' : def->routing_key[i];
	name[i] = '\0';
	snprintf(path, sizeof path, "notify.templates.%s.%s", name, part);
	return cfg ? sq_config_string(cfg, path, dflt) : dflt;
}

/* ---- a growable string */
static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void put_value(sq_buf *b, const json_t *v, const char *filter, size_t flen)
{
	char num[48];

	if (!v || json_is_null(v))
		return;
	if (json_is_integer(v)) {
		long long n = json_integer_value(v);
		if (flen == 5 && memcmp(filter, "money", 5) == 0) {
			unsigned long long a = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
			snprintf(num, sizeof num, "%s%llu.%02llu", n < 0 ? "-" : "", a / 100, a % 100);
		} else {
			snprintf(num, sizeof num, "%lld", n);
		}
		sq_buf_append_str(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof num, "%g", json_real_value(v));
		sq_buf_append_str(b, num);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (flen == 5 && memcmp(filter, "words", 5) == 0) {
			for (size_t i = 0; i < n; i++)
				sq_buf_append(b, s[i] == '_' ? " " : s + i, 1);
		} else {
			sq_buf_append(b, s, n);
		}
	} else if (json_is_boolean(v)) {
		sq_buf_append_str(b, json_is_true(v) ? "true" : "false");
	} else {
		char *text = json_dumps(v, JSON_COMPACT);
		if (!text) {
			b->oom = 1;
			return;
		}
		sq_buf_append_str(b, text);
		free(text);
	}
}

char *notify_render(const char *tmpl, const json_t *vars, size_t max)
{
	sq_buf b = { 0 };

	sq_buf_append_str(&b, ""); /* an empty template renders as "" */
	for (const char *p = tmpl; *p;) {
		if (*p == '{') {
			const char *name = p + 1, *q = name, *filter = NULL;
			size_t nlen, flen = 0;
			while (is_name_char(*q))
				q++;
			nlen = (size_t)(q - name);
			if (*q == '|') {
				filter = ++q;
				while (is_name_char(*q))
					q++;
				flen = (size_t)(q - filter);
			}
			if (*q == '}' && nlen > 0 && nlen < 64 && (!filter || flen > 0)) {
				char key[64];
				memcpy(key, name, nlen);
				key[nlen] = '\0';
				put_value(&b, json_object_get(vars, key), filter, flen);
				p = q + 1;
				continue;
			}
		}
		sq_buf_append(&b, p, 1);
		p++;
	}
	if (b.oom) {
		free(b.data);
		return NULL;
	}
	if (b.len > max) {
		size_t cut = max;
		/* never end inside a multi-byte character */
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
			cut--;
		b.data[cut] = '\0';
	}
	return b.data;
}
