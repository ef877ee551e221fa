// SPDX-License-Identifier: MIT
// sq_amqp.h -- RabbitMQ through rabbitmq-c: connect, declare, consume with a
// timeout, ack, and publish with publisher confirms (a window, not one by one).
#ifndef SQ_AMQP_H
#define SQ_AMQP_H

#include <amqp.h>
#include <stddef.h>
#include <stdint.h>

#include "sq_err.h"

typedef struct sq_amqp sq_amqp;

/* Opens a connection and channel 1. confirm != 0 puts the channel in confirm
 * mode (for publishing). */
sq_amqp *sq_amqp_connect(const char *uri, int heartbeat_s, int confirm, sq_err *err);
void sq_amqp_close(sq_amqp *a);

int sq_amqp_declare_exchange(sq_amqp *a, const char *name, const char *type, sq_err *err);
/* Declares a durable queue. queue_type "quorum"/"classic"; ttl_ms > 0 and
 * dlx_key set make a delay queue that dead-letters back to dlx_key. */
int sq_amqp_declare_queue(sq_amqp *a, const char *name, const char *queue_type, int ttl_ms,
			  const char *dlx_key, sq_err *err);
int sq_amqp_bind(sq_amqp *a, const char *queue, const char *exchange, const char *key, sq_err *err);
/* Passive declare: 0 and counts when the queue exists, -1 otherwise (the channel
 * is reopened so the connection stays usable). */
int sq_amqp_inspect(sq_amqp *a, const char *queue, uint32_t *ret_messages, uint32_t *ret_consumers,
		    sq_err *err);
int sq_amqp_purge(sq_amqp *a, const char *queue, sq_err *err);

int sq_amqp_consume(sq_amqp *a, const char *queue, int prefetch, sq_err *err);
/* 1: a delivery in env (free with amqp_destroy_envelope); 0: nothing within
 * timeout_ms; -1: the connection is broken. */
int sq_amqp_next(sq_amqp *a, int timeout_ms, amqp_envelope_t *env, sq_err *err);
/* The same with the timeout in microseconds. */
int sq_amqp_next_us(sq_amqp *a, long timeout_us, amqp_envelope_t *env, sq_err *err);
int sq_amqp_ack(sq_amqp *a, uint64_t tag, int multiple, sq_err *err);
/* basic.get for operator tools: 1 got a message, 0 queue empty, -1 error.
 * ret_key (may be NULL) receives the routing key it was published with. */
int sq_amqp_get(sq_amqp *a, const char *queue, amqp_message_t *msg, uint64_t *ret_tag, char *ret_key,
		size_t keylen, sq_err *err);

/* Publishes one persistent application/json message; the confirm is awaited
 * later by sq_amqp_wait_confirms. headers may be NULL. */
int sq_amqp_publish(sq_amqp *a, const char *exchange, const char *key, const char *message_id,
		    const amqp_table_t *headers, const void *body, size_t len, sq_err *err);
/* Same, with the full property set given (keeps the original properties when
 * retrying or dead-lettering). */
/* The headers of a copy of a message (a retry, a dead letter, a replay):
 * those of p but the x-shopq- ones the runtime writes itself, then
 * x-shopq-routing-key = routing_key, with room for extra more entries. *ret_n
 * counts the entries so far. NULL when out of memory; the caller frees it. */
amqp_table_entry_t *sq_amqp_copy_headers(const amqp_basic_properties_t *p, const char *routing_key, int extra,
					 int *ret_n);
int sq_amqp_publish_props(sq_amqp *a, const char *exchange, const char *key,
			  const amqp_basic_properties_t *props, const void *body, size_t len, sq_err *err);
/* Waits until every publish so far is confirmed. -1 on a nack, a timeout or a
 * broken connection: the caller must treat all of them as not published.
 * SQ_AMQP_UNROUTED when all were confirmed but a mandatory one found no queue
 * (the connection is fine): the caller cannot tell which, and must send them
 * all again later. */
#define SQ_AMQP_UNROUTED (-3)
int sq_amqp_wait_confirms(sq_amqp *a, int timeout_ms, sq_err *err);
/* The same for the publishes up to tag upto only (those after it may still be
 * unconfirmed): returns at once when they are confirmed already. */
int sq_amqp_wait_confirmed(sq_amqp *a, uint64_t upto, int timeout_ms, sq_err *err);
/* Reads the confirms that have already arrived, without waiting: 0, or as
 * sq_amqp_wait_confirms for a nack, a returned message (reported once, as
 * soon as it is seen) or a broken connection. */
int sq_amqp_take_confirms(sq_amqp *a, sq_err *err);
/* The delivery tag of the last publish (0 before any), and the tag up to
 * which every publish is confirmed: a publish with tag <= that one reached
 * the broker, unless a nack or a return was reported. */
uint64_t sq_amqp_last_tag(const sq_amqp *a);
uint64_t sq_amqp_confirmed_upto(const sq_amqp *a);
/* Sends the publishes held back so far without waiting for their confirms. */
void sq_amqp_flush(sq_amqp *a);
/* Confirmed publishes are mandatory (a message no queue is bound for fails the
 * confirm wait instead of vanishing), except those to exchange: events, which
 * anyone may bind to and no one has to (NULL: no publish is mandatory). */
void sq_amqp_allow_unrouted(sq_amqp *a, const char *exchange);
/* Unconfirmed publishes outstanding. */
int sq_amqp_unconfirmed(const sq_amqp *a);

amqp_connection_state_t sq_amqp_state(sq_amqp *a);

#endif
