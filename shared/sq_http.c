// SPDX-License-Identifier: MIT
// sq_http.c -- the libcurl client: one easy handle kept for the process (its
// connection cache gives keep-alive), a multi handle with a pool of easy
// handles for requests sent in parallel, per-request options, body and
// Retry-After capture, and Retry-After parsing.
#include "sq_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sq_http {
	CURL *curl;   /* the one-at-a-time requests' */
	CURLM *multi; /* the parallel requests', with their handles */
	CURL *pool[SQ_HTTP_MAX_PARALLEL];
	int npool;
	long timeout_ms;
	long connects;
};

typedef struct {
	sq_http_response *resp;
	int too_long;
} sink;

static int global_ready;

sq_http *sq_http_new(long timeout_ms, sq_err *err)
{
	sq_http *h;

	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			sq_err_set(err, "libcurl failed to initialise");
			return NULL;
		}
		global_ready = 1;
	}
	h = calloc(1, sizeof *h);
	if (!h || !(h->curl = curl_easy_init())) {
		free(h);
		sq_err_set(err, "out of memory");
		return NULL;
	}
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	return h;
}

void sq_http_free(sq_http *h)
{
	if (!h)
		return;
	for (int k = 0; k < h->npool; k++)
		curl_easy_cleanup(h->pool[k]);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	curl_easy_cleanup(h->curl);
	free(h);
}

long sq_http_connects(const sq_http *h) { return h ? h->connects : 0; }

void sq_http_response_free(sq_http_response *resp)
{
	if (!resp)
		return;
	sq_buf_free(&resp->body);
	resp->status = 0;
	resp->retry_after[0] = '\0';
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	sink *s = ud;
	size_t n = size * nmemb;

	if (s->resp->body.len + n > SQ_HTTP_MAX_BODY) {
		s->too_long = 1;
		return 0; /* aborts the transfer */
	}
	return sq_buf_append(&s->resp->body, data, n) ? 0 : n;
}

/* Keeps the value of the last Retry-After header line. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	static const char name[] = "retry-after:";
	sink *s = ud;
	size_t n = size * nmemb, k = sizeof name - 1;

	if (n > k && strncasecmp(data, name, k) == 0) {
		const char *v = data + k;
		size_t vl = n - k;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (vl >= sizeof s->resp->retry_after)
			vl = sizeof s->resp->retry_after - 1;
		memcpy(s->resp->retry_after, v, vl);
		s->resp->retry_after[vl] = '\0';
	}
	return n;
}

/* One request's own state: what its easy handle points into until it ends. */
typedef struct pending {
	struct curl_slist *headers;
	sink sink;
	char errbuf[CURL_ERROR_SIZE];
} pending;

/* Sets c up for one request; 0, or -1 on out of memory or an unsupported method. */
static int setup(sq_http *h, CURL *c, pending *pd, const char *method, const char *url,
		 const char *const *headers, const char *body, size_t body_len, sq_http_response *resp, sq_err *err)
{
	struct curl_slist *tmp;
	int post = strcmp(method, "POST") == 0;

	sq_buf_free(&resp->body);
	resp->status = 0;
	resp->retry_after[0] = '\0';
	pd->headers = NULL;
	pd->sink = (sink){ resp, 0 };
	pd->errbuf[0] = '\0';
	if (!post && strcmp(method, "GET") != 0)
		return sq_err_set(err, "unsupported HTTP method %s", method);
	for (; headers && *headers; headers++) {
		if (!(tmp = curl_slist_append(pd->headers, *headers)))
			goto oom;
		pd->headers = tmp;
	}
	/* small bodies: no "Expect: 100-continue" round trip */
	if (!(tmp = curl_slist_append(pd->headers, "Expect:")))
		goto oom;
	pd->headers = tmp;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, pd->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, pd->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &pd->sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &pd->sink);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	return 0;
oom:
	curl_slist_free_all(pd->headers);
	pd->headers = NULL;
	return sq_err_set(err, "out of memory");
}

/* Ends one request whose transfer finished with cc: its outcome into resp, the
 * handle cleared of pointers into the request's memory. 0 when answered. */
static int finish(sq_http *h, CURL *c, pending *pd, CURLcode cc, sq_http_response *resp, int *ret_timed_out,
		  sq_err *err)
{
	long connects = 0;
	int rc = -1;

	if (ret_timed_out)
		*ret_timed_out = 0;
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
		h->connects += connects;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = 0;
	} else if (pd->sink.too_long) {
		sq_err_set(err, "answer longer than %d bytes", SQ_HTTP_MAX_BODY);
	} else {
		if (cc == CURLE_OPERATION_TIMEDOUT && ret_timed_out)
			*ret_timed_out = 1;
		sq_err_set(err, "%s", pd->errbuf[0] ? pd->errbuf : curl_easy_strerror(cc));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(pd->headers);
	pd->headers = NULL;
	if (rc)
		sq_http_response_free(resp);
	return rc;
}

int sq_http_request(sq_http *h, const char *method, const char *url, const char *const *headers,
		    const char *body, size_t body_len, sq_http_response *resp, int *ret_timed_out, sq_err *err)
{
	pending pd;

	if (ret_timed_out)
		*ret_timed_out = 0;
	if (setup(h, h->curl, &pd, method, url, headers, body, body_len, resp, err))
		return -1;
	return finish(h, h->curl, &pd, curl_easy_perform(h->curl), resp, ret_timed_out, err);
}

/* The handles of the parallel requests (kept: the multi handle's connection
 * cache keeps their connections alive between batches). */
static int grow_pool(sq_http *h, int n)
{
	if (!h->multi && !(h->multi = curl_multi_init()))
		return -1;
	while (h->npool < n && h->npool < SQ_HTTP_MAX_PARALLEL) {
		if (!(h->pool[h->npool] = curl_easy_init()))
			return h->npool > 0 ? 0 : -1;
		/* requests and answers are small: a 4 KiB receive buffer instead of
		 * 16, the smallest upload buffer (16 KiB) instead of 64 */
		curl_easy_setopt(h->pool[h->npool], CURLOPT_BUFFERSIZE, 4096L);
		curl_easy_setopt(h->pool[h->npool], CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
		h->npool++;
	}
	return 0;
}

int sq_http_request_many(sq_http *h, sq_http_call *calls, int n, sq_err *err)
{
	pending pd[SQ_HTTP_MAX_PARALLEL];
	int slot_call[SQ_HTTP_MAX_PARALLEL];
	int next = 0, running = 0, done = 0;

	for (int i = 0; i < n; i++) {
		calls[i].answered = 0;
		calls[i].timed_out = 0;
		calls[i].seconds = 0;
		calls[i].err[0] = '\0';
	}
	if (n <= 0)
		return 0;
	if (grow_pool(h, n))
		return sq_err_set(err, "out of memory");
	for (int k = 0; k < h->npool; k++)
		slot_call[k] = -1;
	while (done < n) {
		/* every free handle takes the next request */
		for (int k = 0; k < h->npool && next < n; k++) {
			sq_err e;
			if (slot_call[k] >= 0)
				continue;
			sq_http_call *c = &calls[next];
			if (setup(h, h->pool[k], &pd[k], c->method, c->url, c->headers, c->body, c->body_len, &c->resp,
				  &e) ||
			    curl_multi_add_handle(h->multi, h->pool[k]) != CURLM_OK) {
				snprintf(c->err, sizeof c->err, "%s", pd[k].headers ? "curl_multi_add_handle failed" : e.msg);
				curl_slist_free_all(pd[k].headers);
				pd[k].headers = NULL;
				next++, done++;
				continue;
			}
			slot_call[k] = next++;
			running++;
		}
		if (running == 0)
			continue;
		int still = 0;
		if (curl_multi_perform(h->multi, &still) != CURLM_OK ||
		    (still > 0 && curl_multi_poll(h->multi, NULL, 0, 1000, NULL) != CURLM_OK))
			break;
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(h->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			for (int k = 0; k < h->npool; k++) {
				if (h->pool[k] != m->easy_handle || slot_call[k] < 0)
					continue;
				sq_http_call *c = &calls[slot_call[k]];
				sq_err e;
				CURLcode cc = m->data.result;
				curl_multi_remove_handle(h->multi, h->pool[k]);
				if (curl_easy_getinfo(h->pool[k], CURLINFO_TOTAL_TIME, &c->seconds) != CURLE_OK)
					c->seconds = 0;
				c->answered = finish(h, h->pool[k], &pd[k], cc, &c->resp, &c->timed_out, &e) == 0;
				if (!c->answered)
					snprintf(c->err, sizeof c->err, "%s", e.msg);
				slot_call[k] = -1;
				running--, done++;
				break;
			}
		}
	}
	/* a multi error: what is still running ends unanswered */
	for (int k = 0; k < h->npool; k++) {
		if (slot_call[k] < 0)
			continue;
		sq_http_call *c = &calls[slot_call[k]];
		sq_err e;
		curl_multi_remove_handle(h->multi, h->pool[k]);
		finish(h, h->pool[k], &pd[k], CURLE_SEND_ERROR, &c->resp, &c->timed_out, &e);
		snprintf(c->err, sizeof c->err, "the transfer was abandoned");
		c->answered = 0;
		done++;
	}
	for (; next < n; next++)
		snprintf(calls[next].err, sizeof calls[next].err, "the transfer was abandoned");
	return 0;
}

long sq_http_parse_retry_after(const char *value, long long now_s)
{
	const char *p = value;
	size_t n;
	long long v = 0;
	time_t t;

	if (!p)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -1;
	if (isdigit((unsigned char)p[0])) {
		for (size_t i = 0; i < n; i++) {
			if (!isdigit((unsigned char)p[i]))
				return -1;
			if (v < 100000000000LL)
				v = v * 10 + (p[i] - '0');
		}
		return v > 0x7fffffffL ? 0x7fffffffL : (long)v;
	}
	/* an HTTP-date: "Sun, 06 Nov 1994 08:49:37 GMT" (curl also reads the obsolete forms) */
	char buf[64];
	if (n >= sizeof buf || !isalpha((unsigned char)p[0]))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	if ((long long)t <= now_s)
		return 0;
	return (long long)t - now_s > 0x7fffffffLL ? 0x7fffffffL : (long)((long long)t - now_s);
}
