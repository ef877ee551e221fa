// SPDX-License-Identifier: MIT
// sq_config.c -- one table of configuration keys, loaded with libconfig; errors
// carry file:line; secrets may come from <key>_file or $CREDENTIALS_DIRECTORY.
#include "sq_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq_log.h"

enum key_type { K_STR, K_INT, K_SECRET, K_INTLIST };
enum { F_REQUIRED = 1 };

typedef struct key_def {
	const char *path;
	enum key_type type;
	size_t offset;
	const char *dflt_str;
	int dflt_int, min, max;
	int flags;
	const char *const *choices; /* allowed strings, NULL-terminated */
} key_def;

static const char *const queue_types[] = { "quorum", "classic", NULL };
static const char *const log_levels[] = { "error", "warning", "notice", "info", "debug", NULL };

#define OFF(f) offsetof(sq_config, f)
static const key_def keys[] = {
	{ "amqp.uri", K_STR, OFF(amqp_uri), NULL, 0, 0, 0, F_REQUIRED, NULL },
	{ "amqp.prefetch", K_INT, OFF(amqp_prefetch), NULL, 50, 1, 65535, 0, NULL },
	{ "amqp.queue_type", K_STR, OFF(amqp_queue_type), "quorum", 0, 0, 0, 0, queue_types },
	{ "amqp.heartbeat", K_INT, OFF(amqp_heartbeat_s), NULL, 30, 0, 600, 0, NULL },
	{ "amqp.confirm_timeout_ms", K_INT, OFF(amqp_confirm_timeout_ms), NULL, 30000, 100, 600000, 0, NULL },
	{ "postgres.conninfo", K_STR, OFF(pg_conninfo), NULL, 0, 0, 0, F_REQUIRED, NULL },
	{ "redis.host", K_STR, OFF(redis_host), "127.0.0.1", 0, 0, 0, 0, NULL },
	{ "redis.port", K_INT, OFF(redis_port), NULL, 6379, 1, 65535, 0, NULL },
	{ "redis.password", K_SECRET, OFF(redis_password), NULL, 0, 0, 0, 0, NULL },
	{ "redis.db", K_INT, OFF(redis_db), NULL, 0, 0, 15, 0, NULL },
	{ "redis.username", K_STR, OFF(redis_username), "", 0, 0, 0, 0, NULL },
	{ "redis.connect_timeout_ms", K_INT, OFF(redis_connect_timeout_ms), NULL, 1000, 10, 60000, 0, NULL },
	{ "redis.timeout_ms", K_INT, OFF(redis_timeout_ms), NULL, 2000, 10, 60000, 0, NULL },
	{ "payments.gateway_url", K_STR, OFF(gateway_url), "http://127.0.0.1:12111", 0, 0, 0, 0, NULL },
	{ "payments.api_key", K_SECRET, OFF(api_key), NULL, 0, 0, 0, 0, NULL },
	{ "payments.webhook_secret", K_SECRET, OFF(webhook_secret), NULL, 0, 0, 0, 0, NULL },
	{ "payments.timeout_ms", K_INT, OFF(gateway_timeout_ms), NULL, 5000, 100, 120000, 0, NULL },
	{ "payments.webhook_tolerance", K_INT, OFF(webhook_tolerance_s), NULL, 300, 1, 86400, 0, NULL },
	{ "log.level", K_STR, OFF(log_level), "info", 0, 0, 0, 0, log_levels },
	{ "runtime.batch_size", K_INT, OFF(batch_size), NULL, 50, 1, 1000, 0, NULL },
	{ "runtime.batch_linger_ms", K_INT, OFF(batch_linger_ms), NULL, 0, 0, 1000, 0, NULL },
	{ "runtime.stream_linger_us", K_INT, OFF(stream_linger_us), NULL, SQ_STREAM_LINGER_US, 0, 1000000, 0, NULL },
	{ "runtime.retry_delays", K_INTLIST, OFF(retry), NULL, 0, 1, 86400, 0, NULL },
	{ "runtime.poison_limit", K_INT, OFF(poison_limit), NULL, 5, 1, 1000, 0, NULL },
	{ "runtime.outbox_window", K_INT, OFF(outbox_window), NULL, 500, 1, 100000, 0, NULL },
	{ "runtime.inbox_keep_days", K_INT, OFF(inbox_keep_days), NULL, 7, 1, 3650, 0, NULL },
	{ "runtime.max_retry_span", K_INT, OFF(max_retry_span_s), NULL, 86400, 1, 604800, 0, NULL },
	{ "orders.reservation_timeout", K_INT, OFF(reservation_timeout_s), NULL, 900, 1, 604800, 0, NULL },
	{ "notify.stream_cap", K_INT, OFF(notify_stream_cap), NULL, 500, 10, 1000000, 0, NULL },
	{ "notify.dedup_window", K_INT, OFF(notify_dedup_window_s), NULL, 604800, 60, 31536000, 0, NULL },
	{ "notify.max_body", K_INT, OFF(notify_max_body), NULL, 4096, 1, 65536, 0, NULL },
	{ "metrics.port", K_INT, OFF(metrics_port), NULL, 0, 0, 65535, 0, NULL },
	{ "scheduler.timezone", K_STR, OFF(sched_timezone), "UTC", 0, 0, 0, 0, NULL },
	{ "scheduler.lease", K_INT, OFF(sched_lease_s), NULL, 60, 2, 86400, 0, NULL },
	{ "scheduler.batch_size", K_INT, OFF(sched_batch_size), NULL, 1000, 1, 1000000, 0, NULL },
	{ "scheduler.runs_keep_days", K_INT, OFF(sched_runs_keep_days), NULL, 30, 1, 3650, 0, NULL },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const int default_delays[] = { 1, 5, 30, 120, 600 };

const char *sq_config_key_name(int i)
{
	return (i >= 0 && (size_t)i < NKEYS) ? keys[i].path : NULL;
}

/* Line of the setting, or of its nearest existing parent group, for messages. */
static int line_of(config_t *raw, const char *path)
{
	char buf[128];
	config_setting_t *s = config_lookup(raw, path);
	char *dot;

	if (s)
		return (int)config_setting_source_line(s);
	snprintf(buf, sizeof buf, "%s", path);
	while ((dot = strrchr(buf, '.'))) {
		*dot = '\0';
		if ((s = config_lookup(raw, buf)))
			return (int)config_setting_source_line(s);
	}
	return 1;
}

static int read_secret_file(const char *file, char **out, sq_err *err, const char *cfgpath, int line,
			    const char *key)
{
	char path[1024];
	const char *credir = getenv("CREDENTIALS_DIRECTORY");
	FILE *f;
	char buf[4096];
	size_t n;

	if (file[0] != '/' && credir)
		snprintf(path, sizeof path, "%s/%s", credir, file);
	else
		snprintf(path, sizeof path, "%s", file);
	f = fopen(path, "r");
	if (!f)
		return sq_err_set(err, "%s:%d: %s_file: cannot read %s", cfgpath, line, key, path);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0)
		return sq_err_set(err, "%s:%d: %s_file: %s is empty", cfgpath, line, key, path);
	*out = strdup(buf);
	return *out ? 0 : sq_err_set(err, "out of memory");
}

static int load_key(sq_config *cfg, const key_def *k, sq_err *err)
{
	config_setting_t *s = config_lookup(&cfg->raw, k->path);
	void *field = (char *)cfg + k->offset;
	int line = line_of(&cfg->raw, k->path);
	const char *name = strrchr(k->path, '.') + 1;

	if (!s && (k->flags & F_REQUIRED))
		return sq_err_set(err, "%s:%d: required key %s is missing", cfg->path, line, k->path);

	switch (k->type) {
	case K_STR:
	case K_SECRET: {
		char **dst = field;
		const char *v = k->dflt_str;
		if (s) {
			if (config_setting_type(s) != CONFIG_TYPE_STRING)
				return sq_err_set(err, "%s:%d: %s must be a string", cfg->path, line, k->path);
			v = config_setting_get_string(s);
		} else if (k->type == K_SECRET) {
			char fpath[160];
			const char *credir = getenv("CREDENTIALS_DIRECTORY");
			snprintf(fpath, sizeof fpath, "%s_file", k->path);
			config_setting_t *fs = config_lookup(&cfg->raw, fpath);
			if (fs) {
				if (config_setting_type(fs) != CONFIG_TYPE_STRING)
					return sq_err_set(err, "%s:%d: %s must be a string", cfg->path,
							  (int)config_setting_source_line(fs), fpath);
				return read_secret_file(config_setting_get_string(fs), dst, err, cfg->path,
							(int)config_setting_source_line(fs), name);
			}
			if (credir) {
				char cpath[1024];
				FILE *f;
				snprintf(cpath, sizeof cpath, "%s/%s", credir, name);
				if ((f = fopen(cpath, "r"))) {
					fclose(f);
					return read_secret_file(cpath, dst, err, cfg->path, line, name);
				}
			}
		}
		if (v && k->choices) {
			int ok = 0;
			for (const char *const *c = k->choices; *c; c++)
				ok |= strcmp(*c, v) == 0;
			if (!ok)
				return sq_err_set(err, "%s:%d: %s is \"%s\", not one of the allowed values",
						  cfg->path, line, k->path, v);
		}
		*dst = v ? strdup(v) : NULL;
		if (v && !*dst)
			return sq_err_set(err, "out of memory");
		return 0;
	}
	case K_INT: {
		int *dst = field;
		int v = k->dflt_int;
		if (s) {
			if (config_setting_type(s) != CONFIG_TYPE_INT)
				return sq_err_set(err, "%s:%d: %s must be an integer", cfg->path, line, k->path);
			v = config_setting_get_int(s);
		}
		if (v < k->min || v > k->max)
			return sq_err_set(err, "%s:%d: %s = %d is out of range %d..%d", cfg->path, line,
					  k->path, v, k->min, k->max);
		*dst = v;
		return 0;
	}
	case K_INTLIST: {
		sq_retry_policy *p = field;
		if (!s) {
			p->ntiers = (int)(sizeof default_delays / sizeof default_delays[0]);
			memcpy(p->delays_s, default_delays, sizeof default_delays);
			return 0;
		}
		if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
			return sq_err_set(err, "%s:%d: %s must be an array of seconds", cfg->path, line, k->path);
		int n = config_setting_length(s);
		if (n < 1 || n > SQ_RETRY_MAX_TIERS)
			return sq_err_set(err, "%s:%d: %s must have 1..%d delays", cfg->path, line, k->path,
					  SQ_RETRY_MAX_TIERS);
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_INT)
				return sq_err_set(err, "%s:%d: %s[%d] must be an integer", cfg->path, line,
						  k->path, i);
			int v = config_setting_get_int(e);
			if (v < k->min || v > k->max)
				return sq_err_set(err, "%s:%d: %s[%d] = %d is out of range %d..%d", cfg->path,
						  line, k->path, i, v, k->min, k->max);
			p->delays_s[i] = v;
		}
		p->ntiers = n;
		return 0;
	}
	}
	return 0;
}

int sq_config_load(sq_config *cfg, const char *path, sq_err *err)
{
	memset(cfg, 0, sizeof *cfg);
	config_init(&cfg->raw);
	cfg->path = strdup(path);
	if (!cfg->path) {
		config_destroy(&cfg->raw);
		return sq_err_set(err, "out of memory");
	}
	if (!config_read_file(&cfg->raw, path)) {
		if (config_error_type(&cfg->raw) == CONFIG_ERR_FILE_IO)
			sq_err_set(err, "%s: cannot read the file", path);
		else
			sq_err_set(err, "%s:%d: %s", config_error_file(&cfg->raw) ? config_error_file(&cfg->raw) : path,
				   config_error_line(&cfg->raw), config_error_text(&cfg->raw));
		goto fail;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (load_key(cfg, &keys[i], err))
			goto fail;
	if (sq_retry_span_s(&cfg->retry) > cfg->max_retry_span_s) {
		sq_err_set(err, "%s:%d: runtime.retry_delays span %ld s, longer than runtime.max_retry_span (%d s, the provider's idempotency-key lifetime)",
			   cfg->path, line_of(&cfg->raw, "runtime.retry_delays"), sq_retry_span_s(&cfg->retry),
			   cfg->max_retry_span_s);
		goto fail;
	}
	if (strncmp(cfg->amqp_uri, "amqp://", 7) != 0 && strncmp(cfg->amqp_uri, "amqps://", 8) != 0) {
		sq_err_set(err, "%s:%d: amqp.uri must start with amqp:// or amqps://", cfg->path,
			   line_of(&cfg->raw, "amqp.uri"));
		goto fail;
	}
	return 0;
fail:
	sq_config_free(cfg);
	return -1;
}

void sq_config_free(sq_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == K_STR || keys[i].type == K_SECRET) {
			char **p = (char **)((char *)cfg + keys[i].offset);
			free(*p);
			*p = NULL;
		}
	}
	if (cfg->path) {
		config_destroy(&cfg->raw);
		free(cfg->path);
		cfg->path = NULL;
	}
}

const char *sq_config_conninfo(const sq_config *cfg, const char *section)
{
	char path[96];
	const char *v = NULL;

	snprintf(path, sizeof path, "%s.conninfo", section ? section : "postgres");
	if (section && config_lookup_string(&cfg->raw, path, &v) == CONFIG_TRUE && v && *v)
		return v;
	return cfg->pg_conninfo;
}

const char *sq_config_string(const sq_config *cfg, const char *path, const char *dflt)
{
	const char *v = NULL;
	if (config_lookup_string(&cfg->raw, path, &v) == CONFIG_TRUE)
		return v;
	return dflt;
}

int sq_config_int(const sq_config *cfg, const char *path, int dflt)
{
	int v;
	if (config_lookup_int(&cfg->raw, path, &v) == CONFIG_TRUE)
		return v;
	return dflt;
}
