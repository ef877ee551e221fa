// SPDX-License-Identifier: MIT
// main.c -- shopq-paysim: loads the config, listens where payments.gateway_url
// points, and relays the simulator's webhooks as payment.webhook commands to
// shopq.commands with publisher confirms (reconnecting when the broker is gone).
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "paysim.h"
#include "sq_amqp.h"
#include "sq_config.h"
#include "sq_log.h"
#include "sq_signal.h"
#include "sq_retry.h"
#include "sq_runtime.h"
#include "sq_sd.h"
#include "sq_uuid.h"
#include "sq_version.h"

#define TICK_MS 100

/* The webhook relay: one publishing connection in confirm mode. */
typedef struct relay {
	const sq_config *cfg;
	sq_amqp *pub;
	int failures;          /* consecutive connect/publish failures */
	long long next_try_ms; /* no reconnect before this (monotonic ms) */
} relay;


/* SIGHUP: the log level is what can be re-read (the port and secrets stay). */
static void reload(const char *path)
{
	sq_config fresh;
	sq_err e;

	if (sq_config_load(&fresh, path, &e)) {
		sq_log_err("reload: keeping the running configuration: %s", e.msg);
		return;
	}
	sq_log_set_level(sq_log_level_parse(fresh.log_level));
	sq_log_notice("reload: log level %s", fresh.log_level);
	sq_config_free(&fresh);
}

static long long clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double rnd01(void)
{
	unsigned int v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		return 0.5;
	return (double)v / 4294967295.0;
}

static void relay_drop(relay *r, const char *why)
{
	long ms = sq_backoff_ms(r->failures++, 200, 10000, rnd01());
	sq_log_err("amqp: %s; webhooks stay queued, reconnecting in %ld ms", why, ms);
	sq_amqp_close(r->pub);
	r->pub = NULL;
	r->next_try_ms = clock_ms(CLOCK_MONOTONIC) + ms;
}

/* paysim_webhook_fn: 0 once the broker confirmed the message, else non-zero
 * (paysim keeps the webhook queued for the next tick). */
static int relay_publish(void *ud, const char *routing_key, const char *json_body)
{
	relay *r = ud;
	char id[37];
	sq_err e;

	if (!r->pub) {
		if (clock_ms(CLOCK_MONOTONIC) < r->next_try_ms)
			return -1;
		r->pub = sq_amqp_connect(r->cfg->amqp_uri, 0, 1, &e);
		if (!r->pub || sq_amqp_declare_exchange(r->pub, SQ_EXCHANGE_COMMANDS, "topic", &e)) {
			relay_drop(r, e.msg);
			return -1;
		}
		if (r->failures)
			sq_log_notice("amqp: connected again after %d attempts", r->failures);
	}
	if (sq_uuid_v4(id)) {
		sq_log_err("no random source for a message_id");
		return -1;
	}
	if (sq_amqp_publish(r->pub, SQ_EXCHANGE_COMMANDS, routing_key, id, NULL, json_body, strlen(json_body), &e) ||
	    sq_amqp_wait_confirms(r->pub, r->cfg->amqp_confirm_timeout_ms, &e)) {
		relay_drop(r, e.msg);
		return -1;
	}
	r->failures = 0;
	sq_log_debug("webhook published as %s (message_id %s)", routing_key, id);
	return 0;
}

/* "http://host:port[/]" -> host and port (80 when absent). 0 or -1 with words. */
static int parse_gateway_url(const char *url, char *host, size_t hostlen, int *port, char *err, size_t errlen)
{
	const char *p, *end, *colon = NULL;
	size_t n;

	if (!url || strncasecmp(url, "http://", 7) != 0) {
		snprintf(err, errlen, "payments.gateway_url \"%s\" must start with http://", url ? url : "");
		return -1;
	}
	p = url + 7;
	end = p + strcspn(p, "/?#");
	if (*end && strcmp(end, "/") != 0) {
		snprintf(err, errlen, "payments.gateway_url \"%s\" must not have a path", url);
		return -1;
	}
	if (*p == '[') { /* [v6]:port */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close) {
			snprintf(err, errlen, "payments.gateway_url \"%s\": unclosed [", url);
			return -1;
		}
		n = (size_t)(close - p - 1);
		if (n == 0 || n >= hostlen)
			goto bad_host;
		memcpy(host, p + 1, n);
		host[n] = '\0';
		if (close + 1 < end && close[1] != ':')
			goto bad_host;
		colon = close + 1 < end ? close + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon ? colon : end) - p);
		if (n == 0 || n >= hostlen)
			goto bad_host;
		memcpy(host, p, n);
		host[n] = '\0';
	}
	*port = 80;
	if (colon) {
		char *stop;
		long v;
		errno = 0;
		v = strtol(colon + 1, &stop, 10);
		if (errno || stop != end || stop == colon + 1 || v < 1 || v > 65535) {
			snprintf(err, errlen, "payments.gateway_url \"%s\": bad port", url);
			return -1;
		}
		*port = (int)v;
	}
	return 0;
bad_host:
	snprintf(err, errlen, "payments.gateway_url \"%s\": bad host", url);
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: shopq-paysim [--config PATH] [--check-config] [--version]\n"
		"  --config PATH    configuration file (default %s)\n"
		"  --check-config   validate the configuration and exit\n"
		"  --version        print the version and exit\n"
		"A local Stripe-style payment provider for demos and tests: listens where\n"
		"payments.gateway_url points and publishes its webhooks as payment.webhook.\n",
		SQ_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = SQ_DEFAULT_CONFIG;
	char host[256], err[512];
	int port, check = 0, c, rc = 1;
	sq_config cfg;
	paysim *p = NULL;
	relay rl = { 0 };
	sq_err e;

	sq_log_set_ident("paysim");
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'V': printf("shopq-paysim %s\n", SQ_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shopq-paysim: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (sq_config_load(&cfg, path, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	if (parse_gateway_url(cfg.gateway_url, host, sizeof host, &port, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", path, err);
		goto out;
	}
	if (!cfg.api_key || !*cfg.api_key || !cfg.webhook_secret || !*cfg.webhook_secret) {
		fprintf(stderr, "%s: payments.api_key and payments.webhook_secret must be set\n", path);
		goto out;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		rc = 0;
		goto out;
	}
	sq_log_set_level(sq_log_level_parse(cfg.log_level));
	rl.cfg = &cfg;
	p = paysim_new(cfg.api_key, cfg.webhook_secret, relay_publish, &rl);
	if (!p) {
		sq_log_err("out of memory");
		goto out;
	}
	sq_signals_install();
	if (paysim_http_start(p, host, port, err, sizeof err)) {
		fprintf(stderr, "shopq-paysim: %s\n", strncmp(err, "paysim: ", 8) ? err : err + 8);
		goto out;
	}
	sq_log_notice("listening on http://%s:%d", host, paysim_http_port(p));
	sq_sd_ready("listening");
	while (!sq_signal_stop()) {
		struct timespec ts = { 0, TICK_MS * 1000000L };
		nanosleep(&ts, NULL);
		sq_sd_watchdog();
		if (sq_signal_take_reload()) {
			reload(path);
		}
		paysim_tick(p, clock_ms(CLOCK_REALTIME));
	}
	sq_sd_stopping();
	sq_log_notice("stopped");
	rc = 0;
out:
	paysim_free(p);
	sq_amqp_close(rl.pub);
	sq_config_free(&cfg);
	return rc;
}
