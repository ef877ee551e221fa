// SPDX-License-Identifier: MIT
// http.c -- libmicrohttpd front end of paysim: collects each request (headers, form
// body), hands it to paysim_handle() and sends the JSON answer (keep-alive, one
// thread per connection).
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "paysim.h"

#define PAYSIM_HTTP_MAX_BODY (64 * 1024)
#define PAYSIM_HTTP_IDLE_TIMEOUT_S 120

typedef struct {
	sq_buf body;
	int too_big;
} paysim_req;

static const char oom_body[] =
    "{\"error\":{\"code\":\"api_error\",\"message\":\"paysim is out of memory\","
    "\"type\":\"api_error\"}}";
static const char too_big_body[] =
    "{\"error\":{\"code\":\"request_too_large\",\"message\":\"The request body is too large.\","
    "\"type\":\"invalid_request_error\"}}";

static void http_sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
	                      .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Queues body (taken when must_free, else static) with status. */
static enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                                 int must_free, const char *retry_after)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(
	    len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
	        MHD_YES ||
	    (retry_after && retry_after[0] &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after) != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls)
{
	paysim *p = cls;
	paysim_req *rq = *con_cls;
	const char *auth, *idem;
	sq_buf out = {0};
	int status = 500;
	char retry_after[16];
	long long delay;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!rq->too_big && *upload_data_size > PAYSIM_HTTP_MAX_BODY - rq->body.len) {
			rq->too_big = 1;
			sq_buf_free(&rq->body);
		}
		if (!rq->too_big && sq_buf_append(&rq->body, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return http_send(c, MHD_HTTP_CONTENT_TOO_LARGE, (char *)too_big_body,
		                 sizeof too_big_body - 1, 0, NULL);

	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	if (paysim_handle(p, method, url, auth, idem, rq->body.data, rq->body.len, &out, &status,
	                  retry_after, sizeof retry_after) != 0) {
		sq_buf_free(&out);
		return http_send(c, MHD_HTTP_INTERNAL_SERVER_ERROR, (char *)oom_body,
		                 sizeof oom_body - 1, 0, NULL);
	}
	delay = paysim_delay_ms(p, url);
	if (delay > 0) { /* only this connection's thread waits */
		paysim_delay_begin(p);
		http_sleep_ms(delay);
		paysim_delay_end(p);
	}
	return http_send(c, (unsigned)status, out.data, out.len, 1, retry_after);
}

static void http_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
	paysim_req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!rq)
		return;
	sq_buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* Library code does not log: MHD's messages are dropped. */
static void http_quiet_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

static void http_stop(void *http)
{
	MHD_stop_daemon(http);
}

int paysim_http_start(paysim *p, const char *bind_host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	char portstr[8];
	unsigned flags;
	int gai, rc = -1;

	if (!err)
		errlen = 0;
	else if (errlen > 0)
		err[0] = '\0';
	if (!p || port < 0 || port > 65535 || paysim_http_port(p) != 0) {
		snprintf(err, errlen, "paysim: bad arguments to paysim_http_start (port %d)", port);
		goto fail;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	gai = getaddrinfo(bind_host && *bind_host ? bind_host : NULL, portstr, &hints, &ai);
	if (gai != 0 || !ai) {
		snprintf(err, errlen, "paysim: cannot resolve bind address '%s': %s",
		         bind_host ? bind_host : "", gai_strerror(gai));
		goto fail;
	}
	flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, http_on_request, p,
	                     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	                     MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, NULL,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PAYSIM_HTTP_IDLE_TIMEOUT_S,
	                     MHD_OPTION_EXTERNAL_LOGGER, http_quiet_logger, NULL,
	                     MHD_OPTION_END);
	if (!d) {
		snprintf(err, errlen, "paysim: cannot listen on %s:%d: %s",
		         bind_host ? bind_host : "*", port,
		         errno ? strerror(errno) : "libmicrohttpd failed to start");
		goto fail;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	paysim_attach_http(p, d, http_stop, info && info->port ? info->port : port);
	d = NULL;
	rc = 0;
fail:
	if (d)
		MHD_stop_daemon(d);
	if (ai)
		freeaddrinfo(ai);
	return rc;
}
