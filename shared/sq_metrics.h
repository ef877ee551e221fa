// SPDX-License-Identifier: MIT
// sq_metrics.h -- Prometheus text exposition on a loopback port (libmicrohttpd):
// counters, gauges and fixed-bucket histograms keyed by name and label set.
// Off unless started; every call is a cheap no-op then.
#ifndef SQ_METRICS_H
#define SQ_METRICS_H

#include <stddef.h>

#include "sq_err.h"

/* Serves GET /metrics on 127.0.0.1:port (port 0: metrics stay off). */
int sq_metrics_start(int port, sq_err *err);
void sq_metrics_stop(void);
int sq_metrics_enabled(void);

/* labels is the inside of {...}, e.g. "queue=\"shopq.orders\",outcome=\"ok\"" (may be ""). */
void sq_metrics_inc(const char *name, const char *labels, double v);
void sq_metrics_set(const char *name, const char *labels, double v);
/* Histogram of seconds with buckets from 0.5 ms to 10 s. */
void sq_metrics_observe(const char *name, const char *labels, double seconds);

/* Writes the label set queue="QUEUE" (and ,KEY="VALUE" unless key is NULL)
 * into out, cut to outlen - 1 bytes: the runtime's per-message labels, built
 * without snprintf. */
void sq_metrics_labels(char *out, size_t outlen, const char *queue, const char *key, const char *value);

/* Renders the exposition text into a malloc'ed string (for tests and the server). */
char *sq_metrics_render(void);

#endif
