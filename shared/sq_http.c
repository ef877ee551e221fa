// SPDX-License-Identifier: MIT
// sq_http.c -- the libcurl client: one easy handle kept for the process (its
// connection cache gives keep-alive), per-request options, body and
// Retry-After capture, and Retry-After parsing.
#include "sq_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sq_http {
	CURL *curl;
	long timeout_ms;
	long connects;
	char errbuf[CURL_ERROR_SIZE];
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

int sq_http_request(sq_http *h, const char *method, const char *url, const char *const *headers,
		    const char *body, size_t body_len, sq_http_response *resp, int *ret_timed_out, sq_err *err)
{
	struct curl_slist *hl = NULL, *tmp;
	sink s = { resp, 0 };
	CURLcode cc;
	long connects = 0;
	int post = strcmp(method, "POST") == 0, rc = -1;

	if (ret_timed_out)
		*ret_timed_out = 0;
	sq_buf_free(&resp->body);
	resp->status = 0;
	resp->retry_after[0] = '\0';
	if (!post && strcmp(method, "GET") != 0)
		return sq_err_set(err, "unsupported HTTP method %s", method);
	for (; headers && *headers; headers++) {
		if (!(tmp = curl_slist_append(hl, *headers)))
			goto oom;
		hl = tmp;
	}
	/* small bodies: no "Expect: 100-continue" round trip */
	if (!(tmp = curl_slist_append(hl, "Expect:")))
		goto oom;
	hl = tmp;

	CURL *c = h->curl;
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(c);
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
		h->connects += connects;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = 0;
	} else if (s.too_long) {
		sq_err_set(err, "answer longer than %d bytes", SQ_HTTP_MAX_BODY);
	} else {
		if (cc == CURLE_OPERATION_TIMEDOUT && ret_timed_out)
			*ret_timed_out = 1;
		sq_err_set(err, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
	}
	/* the handle must not keep pointers into this call's memory */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
	curl_slist_free_all(hl);
	if (rc)
		sq_http_response_free(resp);
	return rc;
oom:
	curl_slist_free_all(hl);
	return sq_err_set(err, "out of memory");
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
