// SPDX-License-Identifier: MIT
// templates.h -- the notifications shopq sends by itself (one per domain event):
// their type, title and body templates (config or defaults), and rendering
// "{field}", "{field|money}" and "{field|words}" from the event body.
#ifndef NOTIFY_TEMPLATES_H
#define NOTIFY_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>

#include "sq_config.h"

typedef struct notify_event_def {
	const char *routing_key; /* "order.confirmed" */
	const char *type;        /* notification type: "order", "payment" */
	const char *title;       /* default templates */
	const char *body;
} notify_event_def;

/* The definition for an event routing key, NULL when shopq sends none for it. */
const notify_event_def *notify_event_find(const char *routing_key);

/* The template for part "title" or "body" of def: the config's
 * notify.templates.<routing key with '_' for '.'>.<part>, else the default. */
const char *notify_template(const sq_config *cfg, const notify_event_def *def, const char *part);

/* Renders tmpl: "{name}" becomes the top-level field name of vars (a string as
 * is, a number in digits, missing or null as nothing), "{name|money}" integer
 * minor units as "12.34", "{name|words}" a string with '_' as ' '; anything
 * else is copied. At most max bytes, cut on a UTF-8 boundary. The result is
 * malloc'd (NULL when out of memory). */
char *notify_render(const char *tmpl, const json_t *vars, size_t max);

#endif
