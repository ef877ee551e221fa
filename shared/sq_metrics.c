// SPDX-License-Identifier: MIT
// sq_metrics.c -- a small metrics registry behind one mutex, rendered as the
// Prometheus text format and served by libmicrohttpd's own thread. The
// library is loaded (dlopen) only when metrics are turned on: its constructor
// initialises GnuTLS, resident pages a daemon with metrics off (the default)
// would carry for nothing.
#include "sq_metrics.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 256
#define NBUCKETS 12

enum kind { COUNTER, GAUGE, HISTOGRAM };

static const double bucket_le[NBUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					    0.05,   0.1,   0.25,   0.5,   1.0,  10.0 };

typedef struct series {
	char name[64];
	char labels[160];
	enum kind kind;
	double value; /* counter/gauge; histogram: sum */
	unsigned long long count;
	unsigned long long buckets[NBUCKETS];
} series;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series table[MAX_SERIES];
static int nseries;
static struct MHD_Daemon *httpd;
static int enabled;

int sq_metrics_enabled(void) { return enabled; }

/* Finds or adds a series; called with the lock held. */
static series *find(const char *name, const char *labels, enum kind kind)
{
	for (int i = 0; i < nseries; i++)
		if (strcmp(table[i].name, name) == 0 && strcmp(table[i].labels, labels) == 0)
			return &table[i];
	if (nseries == MAX_SERIES)
		return NULL;
	series *s = &table[nseries++];
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->labels, sizeof s->labels, "%s", labels);
	s->kind = kind;
	return s;
}

static void update(const char *name, const char *labels, enum kind kind, double v)
{
	series *s;

	if (!enabled)
		return;
	pthread_mutex_lock(&lock);
	if ((s = find(name, labels ? labels : "", kind))) {
		if (kind == COUNTER)
			s->value += v;
		else if (kind == GAUGE)
			s->value = v;
		else {
			s->value += v;
			s->count++;
			for (int i = 0; i < NBUCKETS; i++)
				if (v <= bucket_le[i])
					s->buckets[i]++;
		}
	}
	pthread_mutex_unlock(&lock);
}

/* appends s to out[*len] within outlen - 1 bytes */
static void put(char *out, size_t outlen, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (n > outlen - 1 - *len)
		n = outlen - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
}

void sq_metrics_labels(char *out, size_t outlen, const char *queue, const char *key, const char *value)
{
	size_t len = 0;

	if (outlen == 0)
		return;
	put(out, outlen, &len, "queue=\"");
	put(out, outlen, &len, queue);
	put(out, outlen, &len, "\"");
	if (key) {
		put(out, outlen, &len, ",");
		put(out, outlen, &len, key);
		put(out, outlen, &len, "=\"");
		put(out, outlen, &len, value);
		put(out, outlen, &len, "\"");
	}
	out[len] = '\0';
}

void sq_metrics_inc(const char *name, const char *labels, double v) { update(name, labels, COUNTER, v); }
void sq_metrics_set(const char *name, const char *labels, double v) { update(name, labels, GAUGE, v); }
void sq_metrics_observe(const char *name, const char *labels, double s) { update(name, labels, HISTOGRAM, s); }

static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return 0;
		}
		size_t ncap = *cap * 2 + (size_t)n;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
}

char *sq_metrics_render(void)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	const char *sep;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nseries; i++) {
		series *s = &table[i];
		int first = 1;
		for (int j = 0; j < i; j++)
			first &= strcmp(table[j].name, s->name) != 0;
		if (first)
			appendf(&buf, &len, &cap, "# TYPE %s %s\n", s->name,
				s->kind == COUNTER ? "counter" : s->kind == GAUGE ? "gauge" : "histogram");
		if (s->kind != HISTOGRAM) {
			appendf(&buf, &len, &cap, "%s{%s} %.17g\n", s->name, s->labels, s->value);
			continue;
		}
		sep = s->labels[0] ? "," : "";
		for (int b = 0; b < NBUCKETS; b++)
			appendf(&buf, &len, &cap, "%s_bucket{%s%sle=\"%g\"} %llu\n", s->name, s->labels, sep,
				bucket_le[b], s->buckets[b]);
		appendf(&buf, &len, &cap, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", s->name, s->labels, sep, s->count);
		appendf(&buf, &len, &cap, "%s_sum{%s} %.17g\n%s_count{%s} %llu\n", s->name, s->labels, s->value,
			s->name, s->labels, s->count);
	}
	pthread_mutex_unlock(&lock);
	return buf;
}

#ifndef SQ_MHD_SONAME
#define SQ_MHD_SONAME "libmicrohttpd.so.12"
#endif

/* libmicrohttpd's calls made here, found in the library once it is loaded */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

/* Loads libmicrohttpd once (it stays loaded: its thread may run) and finds its calls. */
static int mhd_load(sq_err *err)
{
	static const char *const names[] = { "MHD_start_daemon", "MHD_stop_daemon", "MHD_create_response_from_buffer",
					     "MHD_add_response_header", "MHD_queue_response", "MHD_destroy_response" };
	void *const slots[] = { &mhd.start_daemon, &mhd.stop_daemon, &mhd.create_response_from_buffer,
				&mhd.add_response_header, &mhd.queue_response, &mhd.destroy_response };
	static void *lib;

	if (!lib && !(lib = dlopen(SQ_MHD_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return sq_err_set(err, "metrics: cannot load %s: %s", SQ_MHD_SONAME, dlerror());
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		void *sym = dlsym(lib, names[i]);
		if (!sym)
			return sq_err_set(err, "metrics: %s has no %s", SQ_MHD_SONAME, names[i]);
		memcpy(slots[i], &sym, sizeof sym); /* POSIX: dlsym's pointer is the function's */
	}
	return 0;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			     const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	int found = strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0;
	char *text = found ? sq_metrics_render() : NULL;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)con_cls;
	if (!text) {
		static const char nf[] = "not found: try GET /metrics\n";
		resp = mhd.create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
		rc = mhd.queue_response(c, MHD_HTTP_NOT_FOUND, resp);
	} else {
		resp = mhd.create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		mhd.add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
		rc = mhd.queue_response(c, MHD_HTTP_OK, resp);
	}
	mhd.destroy_response(resp);
	return rc;
}

int sq_metrics_start(int port, sq_err *err)
{
	struct sockaddr_in sa;

	if (port <= 0)
		return 0;
	if (mhd_load(err))
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000001); /* loopback only */
	enabled = 1;
	httpd = mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
				 serve, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (!httpd) {
		enabled = 0;
		return sq_err_set(err, "metrics: cannot listen on 127.0.0.1:%d", port);
	}
	return 0;
}

void sq_metrics_stop(void)
{
	if (httpd)
		mhd.stop_daemon(httpd);
	httpd = NULL;
	enabled = 0;
}
