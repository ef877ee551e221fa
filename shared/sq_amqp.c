// SPDX-License-Identifier: MIT
// sq_amqp.c -- rabbitmq-c wrapped once: reply classification without exit(),
// declares, consume with timeout, confirm tracking by delivery tag.
#include "sq_amqp.h"

#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define CHAN 1

struct sq_amqp {
	amqp_connection_state_t conn;
	int confirm;
	uint64_t next_tag;  /* tag the next publish gets */
	uint64_t acked_upto; /* every tag <= this is confirmed */
	int nacked;
	/* publishes are mandatory except to this exchange (a message no queue
	 * takes comes back as basic.return and fails the confirm wait) */
	char unrouted_ok[128];
	int unrouted_all;
	int returned; /* messages returned since the last confirm wait */
	char returned_what[400];
	int corked; /* publishes held back in the kernel until the confirm wait */
	/* tags above acked_upto confirmed out of order (rare): a small bitmap window */
	unsigned char *window;
	size_t window_cap;
};

/* A batch of publishes leaves in full segments rather than a packet each:
 * TCP_CORK from the first publish until the confirm wait (best effort). */
static void cork(sq_amqp *a, int on)
{
	int fd = amqp_get_sockfd(a->conn);
	if (a->corked == on || fd < 0)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0)
		a->corked = on;
}

static int reply_err(amqp_rpc_reply_t r, const char *what, sq_err *err)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return 0;
	case AMQP_RESPONSE_NONE:
		return sq_err_set(err, "%s: missing RPC reply", what);
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		return sq_err_set(err, "%s: %s", what, amqp_error_string2(r.library_error));
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			amqp_connection_close_t *m = r.reply.decoded;
			return sq_err_set(err, "%s: server closed the connection: %u %.*s", what, m->reply_code,
					  (int)m->reply_text.len, (char *)m->reply_text.bytes);
		}
		if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_t *m = r.reply.decoded;
			return sq_err_set(err, "%s: server closed the channel: %u %.*s", what, m->reply_code,
					  (int)m->reply_text.len, (char *)m->reply_text.bytes);
		}
		return sq_err_set(err, "%s: server error, method 0x%08X", what, r.reply.id);
	}
	return sq_err_set(err, "%s: unknown reply", what);
}

static int status_err(int status, const char *what, sq_err *err)
{
	if (status >= 0)
		return 0;
	return sq_err_set(err, "%s: %s", what, amqp_error_string2(status));
}

sq_amqp *sq_amqp_connect(const char *uri, int heartbeat_s, int confirm, sq_err *err)
{
	struct amqp_connection_info ci;
	char *copy = strdup(uri);
	sq_amqp *a = calloc(1, sizeof *a);
	amqp_socket_t *sock;
	struct timeval tv = { 5, 0 };
	int st;

	if (!copy || !a) {
		sq_err_set(err, "out of memory");
		goto fail;
	}
	amqp_default_connection_info(&ci);
	if (amqp_parse_url(copy, &ci) != AMQP_STATUS_OK) {
		sq_err_set(err, "amqp.uri is not a valid AMQP URI");
		goto fail;
	}
	a->conn = amqp_new_connection();
	if (!a->conn || !(sock = amqp_tcp_socket_new(a->conn))) {
		sq_err_set(err, "out of memory");
		goto fail;
	}
	st = amqp_socket_open_noblock(sock, ci.host, ci.port, &tv);
	if (st != AMQP_STATUS_OK) {
		sq_err_set(err, "connect to %s:%d: %s", ci.host, ci.port, amqp_error_string2(st));
		goto fail;
	}
	amqp_set_handshake_timeout(a->conn, &tv);
	amqp_set_rpc_timeout(a->conn, &(struct timeval){ 30, 0 });
	if (reply_err(amqp_login(a->conn, ci.vhost, 0, 131072, heartbeat_s, AMQP_SASL_METHOD_PLAIN, ci.user,
				 ci.password),
		      "login", err))
		goto fail;
	amqp_channel_open(a->conn, CHAN);
	if (reply_err(amqp_get_rpc_reply(a->conn), "channel.open", err))
		goto fail;
	if (confirm) {
		amqp_confirm_select(a->conn, CHAN);
		if (reply_err(amqp_get_rpc_reply(a->conn), "confirm.select", err))
			goto fail;
		a->confirm = 1;
	}
	a->next_tag = 1;
	free(copy);
	return a;
fail:
	free(copy);
	sq_amqp_close(a);
	return NULL;
}

void sq_amqp_close(sq_amqp *a)
{
	if (!a)
		return;
	if (a->conn) {
		/* best effort: the broker may already be gone */
		cork(a, 0);
		(void)amqp_channel_close(a->conn, CHAN, AMQP_REPLY_SUCCESS);
		(void)amqp_connection_close(a->conn, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(a->conn);
	}
	free(a->window);
	free(a);
}

amqp_connection_state_t sq_amqp_state(sq_amqp *a) { return a->conn; }

int sq_amqp_declare_exchange(sq_amqp *a, const char *name, const char *type, sq_err *err)
{
	amqp_exchange_declare(a->conn, CHAN, amqp_cstring_bytes(name), amqp_cstring_bytes(type), 0, 1, 0, 0,
			      amqp_empty_table);
	return reply_err(amqp_get_rpc_reply(a->conn), name, err);
}

int sq_amqp_declare_queue(sq_amqp *a, const char *name, const char *queue_type, int ttl_ms,
			  const char *dlx_key, sq_err *err)
{
	amqp_table_entry_t e[6];
	int n = 0;
	int quorum = strcmp(queue_type, "quorum") == 0;

	e[n].key = amqp_cstring_bytes("x-queue-type");
	e[n].value.kind = AMQP_FIELD_KIND_UTF8;
	e[n++].value.value.bytes = amqp_cstring_bytes(quorum ? "quorum" : "classic");
	if (ttl_ms > 0) {
		e[n].key = amqp_cstring_bytes("x-message-ttl");
		e[n].value.kind = AMQP_FIELD_KIND_I64;
		e[n++].value.value.i64 = ttl_ms;
	}
	if (dlx_key) {
		e[n].key = amqp_cstring_bytes("x-dead-letter-exchange");
		e[n].value.kind = AMQP_FIELD_KIND_UTF8;
		e[n++].value.value.bytes = amqp_cstring_bytes("");
		e[n].key = amqp_cstring_bytes("x-dead-letter-routing-key");
		e[n].value.kind = AMQP_FIELD_KIND_UTF8;
		e[n++].value.value.bytes = amqp_cstring_bytes(dlx_key);
		if (quorum) {
			/* at-least-once dead-lettering: a retry never vanishes on its way back */
			e[n].key = amqp_cstring_bytes("x-dead-letter-strategy");
			e[n].value.kind = AMQP_FIELD_KIND_UTF8;
			e[n++].value.value.bytes = amqp_cstring_bytes("at-least-once");
			e[n].key = amqp_cstring_bytes("x-overflow");
			e[n].value.kind = AMQP_FIELD_KIND_UTF8;
			e[n++].value.value.bytes = amqp_cstring_bytes("reject-publish");
		}
	}
	amqp_table_t args = { .num_entries = n, .entries = e };
	amqp_queue_declare(a->conn, CHAN, amqp_cstring_bytes(name), 0, 1, 0, 0, args);
	return reply_err(amqp_get_rpc_reply(a->conn), name, err);
}

int sq_amqp_bind(sq_amqp *a, const char *queue, const char *exchange, const char *key, sq_err *err)
{
	amqp_queue_bind(a->conn, CHAN, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange),
			amqp_cstring_bytes(key), amqp_empty_table);
	return reply_err(amqp_get_rpc_reply(a->conn), "queue.bind", err);
}

/* After the server closed the channel (e.g. a passive declare of a missing
 * queue): acknowledge the close and open the channel again. */
static int reopen_channel(sq_amqp *a, amqp_rpc_reply_t r)
{
	if (r.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION || r.reply.id != AMQP_CHANNEL_CLOSE_METHOD)
		return -1;
	amqp_channel_close_ok_t ok = { 0 };
	if (amqp_send_method(a->conn, CHAN, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) != AMQP_STATUS_OK)
		return -1;
	amqp_channel_open(a->conn, CHAN);
	if (amqp_get_rpc_reply(a->conn).reply_type != AMQP_RESPONSE_NORMAL)
		return -1;
	if (a->confirm) {
		amqp_confirm_select(a->conn, CHAN);
		if (amqp_get_rpc_reply(a->conn).reply_type != AMQP_RESPONSE_NORMAL)
			return -1;
		a->next_tag = 1;
		a->acked_upto = 0;
		if (a->window)
			memset(a->window, 0, a->window_cap);
	}
	return 0;
}

int sq_amqp_inspect(sq_amqp *a, const char *queue, uint32_t *ret_messages, uint32_t *ret_consumers,
		    sq_err *err)
{
	amqp_queue_declare_ok_t *ok = amqp_queue_declare(a->conn, CHAN, amqp_cstring_bytes(queue), 1, 0, 0, 0,
							 amqp_empty_table);
	if (!ok) {
		amqp_rpc_reply_t r = amqp_get_rpc_reply(a->conn);
		reply_err(r, queue, err);
		(void)reopen_channel(a, r);
		return -1;
	}
	if (ret_messages)
		*ret_messages = ok->message_count;
	if (ret_consumers)
		*ret_consumers = ok->consumer_count;
	return 0;
}

int sq_amqp_purge(sq_amqp *a, const char *queue, sq_err *err)
{
	amqp_queue_purge(a->conn, CHAN, amqp_cstring_bytes(queue));
	return reply_err(amqp_get_rpc_reply(a->conn), "queue.purge", err);
}

int sq_amqp_consume(sq_amqp *a, const char *queue, int prefetch, sq_err *err)
{
	amqp_basic_qos(a->conn, CHAN, 0, (uint16_t)prefetch, 0);
	if (reply_err(amqp_get_rpc_reply(a->conn), "basic.qos", err))
		return -1;
	amqp_basic_consume(a->conn, CHAN, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0,
			   amqp_empty_table);
	return reply_err(amqp_get_rpc_reply(a->conn), "basic.consume", err);
}

/* A frame that is not a delivery arrived on the consuming connection. */
static int consume_side_frame(sq_amqp *a, sq_err *err)
{
	amqp_frame_t f;
	int st = amqp_simple_wait_frame_noblock(a->conn, &f, &(struct timeval){ 0, 0 });

	if (st == AMQP_STATUS_TIMEOUT)
		return 0;
	if (st != AMQP_STATUS_OK)
		return status_err(st, "reading a frame", err);
	if (f.frame_type != AMQP_FRAME_METHOD)
		return 0;
	switch (f.payload.method.id) {
	case AMQP_CHANNEL_CLOSE_METHOD:
		amqp_send_method(a->conn, CHAN, AMQP_CHANNEL_CLOSE_OK_METHOD, &(amqp_channel_close_ok_t){ 0 });
		return sq_err_set(err, "the broker closed the channel");
	case AMQP_CONNECTION_CLOSE_METHOD:
		amqp_send_method(a->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD,
				 &(amqp_connection_close_ok_t){ 0 });
		return sq_err_set(err, "the broker closed the connection");
	case AMQP_BASIC_CANCEL_METHOD:
		return sq_err_set(err, "the broker cancelled the consumer");
	default:
		return 0;
	}
}

int sq_amqp_next(sq_amqp *a, int timeout_ms, amqp_envelope_t *env, sq_err *err)
{
	return sq_amqp_next_us(a, (long)timeout_ms * 1000, env, err);
}

int sq_amqp_next_us(sq_amqp *a, long timeout_us, amqp_envelope_t *env, sq_err *err)
{
	struct timeval tv = { timeout_us / 1000000, timeout_us % 1000000 };
	amqp_rpc_reply_t r;

	amqp_maybe_release_buffers(a->conn);
	r = amqp_consume_message(a->conn, env, &tv, 0);
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 1;
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return 0;
		if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
			return consume_side_frame(a, err) ? -1 : 0;
	}
	return reply_err(r, "basic.consume", err);
}

int sq_amqp_ack(sq_amqp *a, uint64_t tag, int multiple, sq_err *err)
{
	return status_err(amqp_basic_ack(a->conn, CHAN, tag, multiple), "basic.ack", err);
}

int sq_amqp_get(sq_amqp *a, const char *queue, amqp_message_t *msg, uint64_t *ret_tag, char *ret_key,
		size_t keylen, sq_err *err)
{
	amqp_rpc_reply_t r;

	amqp_maybe_release_buffers(a->conn);
	r = amqp_basic_get(a->conn, CHAN, amqp_cstring_bytes(queue), 0);
	if (reply_err(r, "basic.get", err))
		return -1;
	if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD)
		return 0;
	amqp_basic_get_ok_t *ok = r.reply.decoded;
	*ret_tag = ok->delivery_tag;
	if (ret_key)
		snprintf(ret_key, keylen, "%.*s", (int)ok->routing_key.len, (const char *)ok->routing_key.bytes);
	r = amqp_read_message(a->conn, CHAN, msg, 0);
	return reply_err(r, "basic.get body", err) ? -1 : 1;
}

amqp_table_entry_t *sq_amqp_copy_headers(const amqp_basic_properties_t *p, const char *routing_key, int extra,
					 int *ret_n)
{
	const amqp_table_t *old = (p->_flags & AMQP_BASIC_HEADERS_FLAG) ? &p->headers : NULL;
	int nold = old ? old->num_entries : 0, n = 0;
	amqp_table_entry_t *e = calloc((size_t)nold + 1 + (size_t)extra, sizeof *e);

	if (!e)
		return NULL;
	for (int i = 0; i < nold; i++) {
		amqp_bytes_t k = old->entries[i].key;
		if (k.len >= 8 && memcmp(k.bytes, "x-shopq-", 8) == 0)
			continue;
		e[n++] = old->entries[i];
	}
	e[n].key = amqp_cstring_bytes("x-shopq-routing-key");
	e[n].value.kind = AMQP_FIELD_KIND_UTF8;
	e[n++].value.value.bytes = amqp_cstring_bytes(routing_key);
	*ret_n = n;
	return e;
}

int sq_amqp_publish_props(sq_amqp *a, const char *exchange, const char *key,
			  const amqp_basic_properties_t *props, const void *body, size_t len, sq_err *err)
{
	amqp_bytes_t b = { len, (void *)body };
	int mandatory = a->confirm && !a->unrouted_all && strcmp(exchange, a->unrouted_ok) != 0;
	if (a->confirm)
		cork(a, 1);
	int st = amqp_basic_publish(a->conn, CHAN, amqp_cstring_bytes(exchange), amqp_cstring_bytes(key), mandatory,
				    0, props, b);
	if (st != AMQP_STATUS_OK)
		return status_err(st, "basic.publish", err);
	if (a->confirm)
		a->next_tag++;
	return 0;
}

int sq_amqp_publish(sq_amqp *a, const char *exchange, const char *key, const char *message_id,
		    const amqp_table_t *headers, const void *body, size_t len, sq_err *err)
{
	amqp_basic_properties_t p;

	memset(&p, 0, sizeof p);
	p._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
		   AMQP_BASIC_TIMESTAMP_FLAG;
	p.content_type = amqp_cstring_bytes("application/json");
	p.delivery_mode = 2;
	p.message_id = amqp_cstring_bytes(message_id);
	p.timestamp = (uint64_t)time(NULL);
	if (headers) {
		p._flags |= AMQP_BASIC_HEADERS_FLAG;
		p.headers = *headers;
	}
	return sq_amqp_publish_props(a, exchange, key, &p, body, len, err);
}

void sq_amqp_allow_unrouted(sq_amqp *a, const char *exchange)
{
	if (!exchange)
		a->unrouted_all = 1;
	else
		snprintf(a->unrouted_ok, sizeof a->unrouted_ok, "%s", exchange);
}

/* A basic.return: notes what no queue took and reads the returned message
 * (its header and body frames follow the method). */
static int note_return(sq_amqp *a, const amqp_basic_return_t *m, sq_err *err)
{
	amqp_message_t msg;
	amqp_rpc_reply_t r;

	if (!a->returned++)
		snprintf(a->returned_what, sizeof a->returned_what, "no queue took the message '%.*s' sent to %.*s (%.*s)",
			 (int)m->routing_key.len, (const char *)m->routing_key.bytes, (int)m->exchange.len,
			 (const char *)m->exchange.bytes, (int)m->reply_text.len, (const char *)m->reply_text.bytes);
	r = amqp_read_message(a->conn, CHAN, &msg, 0);
	if (reply_err(r, "reading a returned message", err))
		return -1;
	amqp_destroy_message(&msg);
	return 0;
}

int sq_amqp_unconfirmed(const sq_amqp *a)
{
	return a->confirm ? (int)(a->next_tag - 1 - a->acked_upto) : 0;
}

/* Moves acked_upto to `to`, shifting the out-of-order window with it. */
static void advance(sq_amqp *a, uint64_t to)
{
	uint64_t d = to - a->acked_upto;

	if (d >= a->window_cap) {
		if (a->window_cap)
			memset(a->window, 0, a->window_cap);
	} else {
		memmove(a->window, a->window + d, a->window_cap - d);
		memset(a->window + a->window_cap - d, 0, d);
	}
	a->acked_upto = to;
}

/* Records a confirm for tag (and every earlier one when multiple); window[k]
 * set means tag acked_upto + k is confirmed. */
static void note_confirm(sq_amqp *a, uint64_t tag, int multiple)
{
	if (tag <= a->acked_upto)
		return;
	if (multiple) {
		advance(a, tag);
	} else {
		size_t off = (size_t)(tag - a->acked_upto);
		if (off >= a->window_cap) {
			size_t cap = off * 2 + 64;
			unsigned char *w = realloc(a->window, cap);
			if (!w)
				return; /* the wait then times out: treated as not published */
			memset(w + a->window_cap, 0, cap - a->window_cap);
			a->window = w;
			a->window_cap = cap;
		}
		a->window[off] = 1;
	}
	while (a->window_cap > 1 && a->window[1])
		advance(a, a->acked_upto + 1);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Reads confirm frames until every publish up to tag upto is confirmed, or,
 * with wait_ms 0, until no frame is waiting. 0; 1 when the deadline passed
 * first; -1 when the connection broke. */
static int read_confirms(sq_amqp *a, uint64_t upto, int wait_ms, sq_err *err)
{
	long deadline = now_ms() + wait_ms;

	cork(a, 0);
	/* the confirms decoded by earlier reads live in the connection's frame
	 * pool: released here, or a publishing connection grows for ever */
	amqp_maybe_release_buffers(a->conn);
	while (!wait_ms || a->acked_upto < upto) {
		long left = wait_ms ? deadline - now_ms() : 0;
		amqp_frame_t f;
		int st;

		if (wait_ms && left <= 0)
			return 1;
		st = amqp_simple_wait_frame_noblock(a->conn, &f,
						    &(struct timeval){ left / 1000, (left % 1000) * 1000 });
		if (st == AMQP_STATUS_TIMEOUT) {
			if (!wait_ms)
				return 0;
			continue;
		}
		if (st != AMQP_STATUS_OK)
			return status_err(st, "waiting for publisher confirms", err);
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue;
		switch (f.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			amqp_basic_ack_t *m = f.payload.method.decoded;
			note_confirm(a, m->delivery_tag, m->multiple);
			break;
		}
		case AMQP_BASIC_NACK_METHOD: {
			amqp_basic_nack_t *m = f.payload.method.decoded;
			note_confirm(a, m->delivery_tag, m->multiple);
			a->nacked = 1;
			break;
		}
		case AMQP_BASIC_RETURN_METHOD:
			if (note_return(a, f.payload.method.decoded, err))
				return -1;
			break;
		case AMQP_CHANNEL_CLOSE_METHOD:
			return sq_err_set(err, "the broker closed the publishing channel");
		case AMQP_CONNECTION_CLOSE_METHOD:
			return sq_err_set(err, "the broker closed the publishing connection");
		default:
			break;
		}
	}
	return 0;
}

/* Reports (and forgets) a nack or a returned message seen since the last report. */
static int take_refusals(sq_amqp *a, sq_err *err)
{
	if (a->nacked) {
		a->nacked = 0;
		a->returned = 0;
		return sq_err_set(err, "the broker refused a publish (basic.nack)");
	}
	if (a->returned) {
		int n = a->returned;
		a->returned = 0;
		sq_err_set(err, "%s%s", a->returned_what, n > 1 ? ", and more" : "");
		return SQ_AMQP_UNROUTED;
	}
	return 0;
}

int sq_amqp_wait_confirmed(sq_amqp *a, uint64_t upto, int timeout_ms, sq_err *err)
{
	int rc;

	if (!a->confirm)
		return 0;
	if ((rc = read_confirms(a, upto, timeout_ms > 0 ? timeout_ms : 1, err)) < 0)
		return -1;
	if (rc)
		return sq_err_set(err, "no publisher confirm within %d ms", timeout_ms);
	return take_refusals(a, err);
}

int sq_amqp_wait_confirms(sq_amqp *a, int timeout_ms, sq_err *err)
{
	return sq_amqp_wait_confirmed(a, a->next_tag - 1, timeout_ms, err);
}

int sq_amqp_take_confirms(sq_amqp *a, sq_err *err)
{
	if (!a->confirm)
		return 0;
	if (read_confirms(a, 0, 0, err))
		return -1;
	return take_refusals(a, err);
}

uint64_t sq_amqp_last_tag(const sq_amqp *a)
{
	return a->next_tag - 1;
}

uint64_t sq_amqp_confirmed_upto(const sq_amqp *a)
{
	return a->acked_upto;
}

void sq_amqp_flush(sq_amqp *a)
{
	cork(a, 0);
}
