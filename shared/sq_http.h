// SPDX-License-Identifier: MIT
// sq_http.h -- a small HTTP client on libcurl: one reused easy handle (keep-alive
// connections), a total timeout, GET or form POST with extra headers, and
// several requests sent in parallel; answers carry the status, the body and
// the Retry-After header.
#ifndef SQ_HTTP_H
#define SQ_HTTP_H

#include <stddef.h>

#include "sq_err.h"
#include "sq_form.h"

#define SQ_HTTP_MAX_BODY (1024 * 1024) /* longer answers are a transport error */

typedef struct sq_http sq_http;

typedef struct sq_http_response {
	long status;          /* HTTP status; 0 when there was no answer */
	sq_buf body;          /* the answer's body (NUL-terminated when not empty) */
	char retry_after[64]; /* the Retry-After header's value, "" when absent */
} sq_http_response;

/* A client whose requests give up after timeout_ms (connect included). Not
 * thread safe: one client per thread. NULL on out of memory (words in err). */
sq_http *sq_http_new(long timeout_ms, sq_err *err);
void sq_http_free(sq_http *h);

/* method "GET" or "POST" (body sent as application/x-www-form-urlencoded);
 * headers: NULL-terminated "Name: value" lines, may be NULL. Returns 0 when the
 * server answered (any status, in resp), or -1 when it did not (refused,
 * reset, timed out, answer too long): words in err, *ret_timed_out = 1 for a
 * timeout. resp is reset first; free it with sq_http_response_free. */
int sq_http_request(sq_http *h, const char *method, const char *url, const char *const *headers,
		    const char *body, size_t body_len, sq_http_response *resp, int *ret_timed_out, sq_err *err);
void sq_http_response_free(sq_http_response *resp);

/* Up to this many requests of sq_http_request_many are in flight at once
 * (each in-flight request keeps a handle and a connection, about 40 KiB). */
#define SQ_HTTP_MAX_PARALLEL 16

/* One request of a parallel set: what to send, and what came back. */
typedef struct sq_http_call {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated, may be NULL */
	const char *body;
	size_t body_len;
	sq_http_response resp; /* the answer when answered */
	int answered;          /* 1: the server answered (any status) */
	int timed_out;         /* not answered because of the timeout */
	double seconds;        /* how long it took */
	char err[512];         /* why not answered */
} sq_http_call;

/* Sends the n requests in parallel (at most SQ_HTTP_MAX_PARALLEL at once, each
 * with the client's timeout) and waits for all: each call's outcome as
 * sq_http_request's, in the call. 0, or -1 on out of memory (words in err).
 * Free each call's resp with sq_http_response_free. */
int sq_http_request_many(sq_http *h, sq_http_call *calls, int n, sq_err *err);

/* Connections the client opened so far (requests on a kept-alive connection
 * open none). */
long sq_http_connects(const sq_http *h);

/* Retry-After (RFC 9110): delay-seconds or an HTTP-date. Returns the seconds
 * to wait from now_s (0 for a date in the past), or -1 when value is not one of
 * those forms. */
long sq_http_parse_retry_after(const char *value, long long now_s);

#endif
