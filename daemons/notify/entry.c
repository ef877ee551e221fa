// SPDX-License-Identifier: MIT
// entry.c -- turns a notification.send command or a domain event into the
// notification entry stored in Redis; pure functions, no I/O.
#include "entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq_json.h"
#include "templates.h"

static const char *const types[] = { "marketing", "order", "payment", "account", "system", NULL };
static int check_max_body = 4096;

int notify_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

int notify_type_allowed(const char *type)
{
	for (const char *const *t = types; type && *t; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}

void notify_check_set_max_body(int max_body) { check_max_body = max_body; }

static int blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

int notify_check_send(const json_t *body, char *err, size_t errlen)
{
	const char *type = json_string_value(json_object_get(body, "type"));
	const json_t *text = json_object_get(body, "body");

	if (!notify_type_allowed(type)) {
		snprintf(err, errlen, "type \"%.40s\" is not one of %s", type ? type : "", NOTIFY_TYPES);
		return -1;
	}
	if (blank(json_string_value(json_object_get(body, "title")))) {
		snprintf(err, errlen, "title is empty");
		return -1;
	}
	if (json_string_length(text) > (size_t)check_max_body) {
		snprintf(err, errlen, "body is %zu bytes, over notify.max_body (%d)", json_string_length(text),
			 check_max_body);
		return -1;
	}
	return 0;
}

static int finish(notify_entry *e, time_t now)
{
	if (!e->title || !e->body || !e->data || notify_rfc3339(now, e->created_at, sizeof e->created_at)) {
		notify_entry_free(e);
		return -1;
	}
	return 0;
}

int notify_entry_from_send(notify_entry *e, const json_t *body, const char *message_id, time_t now)
{
	const json_t *data = json_object_get(body, "data");

	memset(e, 0, sizeof *e);
	e->user_id = json_integer_value(json_object_get(body, "user_id"));
	e->id = message_id;
	e->type = json_string_value(json_object_get(body, "type"));
	e->title = strdup(json_string_value(json_object_get(body, "title")));
	e->body = strdup(json_string_value(json_object_get(body, "body")));
	e->data = json_is_object(data) ? sq_json_dump(data) : strdup("{}");
	return finish(e, now);
}

int notify_entry_from_event(notify_entry *e, const sq_config *cfg, const char *routing_key,
			    const json_t *body, const char *message_id, time_t now, size_t max_body)
{
	const notify_event_def *def = notify_event_find(routing_key);

	memset(e, 0, sizeof *e);
	if (!def)
		return -1;
	e->user_id = json_integer_value(json_object_get(body, "user_id"));
	e->id = message_id;
	e->type = def->type;
	snprintf(e->event_key, sizeof e->event_key, "%s:%lld", routing_key,
		 (long long)json_integer_value(json_object_get(body, "order_id")));
	e->title = notify_render(notify_template(cfg, def, "title"), body, NOTIFY_TITLE_MAX);
	e->body = notify_render(notify_template(cfg, def, "body"), body, max_body);
	e->data = sq_json_dump(body);
	return finish(e, now);
}

int notify_entry_from_message(notify_entry *e, const sq_config *cfg, const char *routing_key,
			      const json_t *body, const char *message_id, time_t now, size_t max_body)
{
	if (routing_key && strcmp(routing_key, "notification.send") == 0)
		return notify_entry_from_send(e, body, message_id, now);
	return notify_entry_from_event(e, cfg, routing_key, body, message_id, now, max_body);
}

void notify_entry_free(notify_entry *e)
{
	if (!e)
		return;
	free(e->title);
	free(e->body);
	free(e->data);
	e->title = e->body = e->data = NULL;
}
