// SPDX-License-Identifier: MIT
// paysim.h -- shopq-paysim, a local Stripe-style payment provider simulator: the
// pure provider logic (paysim.c, idem.c, ledger.c) and its libmicrohttpd front end
// (http.c) share this interface.
#ifndef PAYSIM_H
#define PAYSIM_H

#include <stddef.h>

#include "sq_form.h"

typedef struct paysim paysim;

/* Publishes a payment.webhook command; returns 0 on success. Called from
 * paysim_tick() only, never from HTTP threads. */
typedef int (*paysim_webhook_fn)(void *ud, const char *routing_key, const char *json_body);

/* api_key and webhook_secret are copied (both must be non-empty). fn may be NULL
 * (webhooks are then not generated). NULL on bad arguments or out of memory. */
paysim *paysim_new(const char *api_key, const char *webhook_secret, paysim_webhook_fn fn, void *ud);

/* Starts the HTTP server (libmicrohttpd, thread per connection) on bind_host
 * (numeric IPv4/IPv6 address or host name) and port (0 picks a free port, see
 * paysim_http_port()). 0 ok; -1 with a message in err. Only once per paysim. */
int paysim_http_start(paysim *p, const char *bind_host, int port, char *err, size_t errlen);

/* The bound TCP port once paysim_http_start() succeeded, else 0. */
int paysim_http_port(paysim *p);

/* Called by main every ~100 ms with the wall clock (CLOCK_REALTIME) in ms:
 * settles due processing intents and delivers queued webhooks through the
 * callback (a failed delivery stays queued, in order, for the next tick). */
void paysim_tick(paysim *p, long long now_ms);

/* Stops the HTTP server (if started) and frees everything. NULL is fine. */
void paysim_free(paysim *p);

/* ---- transport-independent request handling (used by http.c and tests) ---- */

/* Handles one request. method "GET"/"POST"; path without query string; auth is
 * the Authorization header value, idem_key the Idempotency-Key header value (both
 * may be NULL); body/len the form-urlencoded request body. Appends the JSON
 * answer to out and sets *ret_status; retry_after (size ralen, may be NULL) gets
 * the Retry-After header value or "". Thread safe.
 * Returns 0, or -1 when out of memory (nothing sensible was produced). */
int paysim_handle(paysim *p, const char *method, const char *path, const char *auth,
                  const char *idem_key, const char *body, size_t len, sq_buf *out, int *ret_status,
                  char *retry_after, size_t ralen);

/* Latency (ms) the transport must add before answering a request for path:
 * the chaos delay_ms for /v1/ paths, 0 otherwise. Thread safe. */
long long paysim_delay_ms(paysim *p, const char *path);
/* Around a delayed answer's wait: counts the answers waiting at once (the
 * most since reset is in GET /__paysim/mode as delayed_at_once_max). */
void paysim_delay_begin(paysim *p);
void paysim_delay_end(paysim *p);

/* For http.c: hands the running server to paysim so paysim_free() stops it. */
void paysim_attach_http(paysim *p, void *http, void (*stop)(void *http), int port);

#endif
