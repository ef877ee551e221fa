// SPDX-License-Identifier: MIT
// entry.h -- one notification as it goes into Redis (the contract's fields id,
// type, title, body, data, created_at), built from a notification.send command
// or a domain event; the allowed types and the notification.send check.
#ifndef NOTIFY_ENTRY_H
#define NOTIFY_ENTRY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "sq_config.h"

#define NOTIFY_TITLE_MAX 256
#define NOTIFY_TYPES "marketing, order, payment, account, system"

typedef struct notify_entry {
	long long user_id;
	const char *id;   /* the message_id of the command or event (borrowed) */
	const char *type; /* borrowed */
	char *title;      /* owned */
	char *body;       /* owned */
	char *data;       /* owned: JSON text */
	char created_at[32];
	char event_key[300]; /* "order.confirmed:123" for an event, "" for a command */
} notify_entry;

/* "2026-11-25T10:00:00Z". Returns 0, or -1 when len is too small. */
int notify_rfc3339(time_t t, char *buf, size_t len);

/* Whether type is one of NOTIFY_TYPES. */
int notify_type_allowed(const char *type);

/* The notification.send check callback (after the schema's fields): an
 * allowed type, a title that is not blank, a body within the configured
 * notify.max_body (set once at start with notify_check_set_max_body, as the
 * runtime's check callbacks receive no config). */
int notify_check_send(const json_t *body, char *err, size_t errlen);
void notify_check_set_max_body(int max_body);

/* Build e from a validated notification.send body; -1 only when out of memory. */
int notify_entry_from_send(notify_entry *e, const json_t *body, const char *message_id, time_t now);
/* Build e from a validated event body (order_id, user_id, ...): type and
 * templates from notify_event_find(); data is the event body. -1 when shopq
 * sends no notification for routing_key or when out of memory. */
int notify_entry_from_event(notify_entry *e, const sq_config *cfg, const char *routing_key,
			    const json_t *body, const char *message_id, time_t now, size_t max_body);
/* Either of the above by routing key: notification.send is a command, any other
 * key an event. */
int notify_entry_from_message(notify_entry *e, const sq_config *cfg, const char *routing_key,
			      const json_t *body, const char *message_id, time_t now, size_t max_body);
void notify_entry_free(notify_entry *e); /* frees what e owns; accepts NULL */

#endif
