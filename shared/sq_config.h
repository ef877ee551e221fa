// SPDX-License-Identifier: MIT
// sq_config.h -- the configuration: one table of keys (type, bounds, default,
// secret, reloadable), loaded from a libconfig file and validated with file:line.
#ifndef SQ_CONFIG_H
#define SQ_CONFIG_H

#include <libconfig.h>

#include "sq_err.h"
#include "sq_retry.h"

#define SQ_DEFAULT_CONFIG "/etc/shopq/shopq.conf"
#define SQ_STREAM_LINGER_US 5000 /* runtime.stream_linger_us by default */

typedef struct sq_config {
	char *path;
	config_t raw; /* kept for module-specific lookups (jobs, templates) */

	/* amqp */
	char *amqp_uri;
	int amqp_prefetch;
	char *amqp_queue_type; /* "quorum" or "classic" */
	int amqp_heartbeat_s;
	int amqp_confirm_timeout_ms;
	/* postgres */
	char *pg_conninfo;
	/* redis */
	char *redis_host;
	int redis_port;
	char *redis_password;
	int redis_db;
	char *redis_username;
	int redis_connect_timeout_ms;
	int redis_timeout_ms;
	/* payments */
	char *gateway_url;
	char *api_key;
	char *webhook_secret;
	int gateway_timeout_ms;
	int webhook_tolerance_s;
	/* log */
	char *log_level;
	/* runtime */
	int batch_size;
	int batch_linger_ms; /* how long a batch may wait to fill after its first delivery */
	int stream_linger_us; /* how long a batch of two or more may wait after its first delivery */
	sq_retry_policy retry;
	int poison_limit;
	int outbox_window;
	int inbox_keep_days; /* inbox and attempts rows older than this are pruned */
	int max_retry_span_s;
	/* orders */
	int reservation_timeout_s;
	/* notify */
	int notify_stream_cap;
	int notify_dedup_window_s;
	int notify_max_body;
	/* metrics */
	int metrics_port;
	/* scheduler */
	char *sched_timezone;
	int sched_lease_s;
	int sched_batch_size;
	int sched_runs_keep_days; /* finished job runs older than this are pruned */
} sq_config;

/* Loads and validates path. On failure returns -1 with "file:line: problem"
 * in err, and cfg holds nothing to free. */
int sq_config_load(sq_config *cfg, const char *path, sq_err *err);
void sq_config_free(sq_config *cfg);

/* The conninfo a daemon uses: "<section>.conninfo" when set (e.g. a per-module
 * role), else postgres.conninfo. */
const char *sq_config_conninfo(const sq_config *cfg, const char *section);

/* Reads a module-specific string, e.g. "notify.templates.order_shipped.title". */
const char *sq_config_string(const sq_config *cfg, const char *path, const char *dflt);
int sq_config_int(const sq_config *cfg, const char *path, int dflt);

/* For the docs check: every key of the table, one per call (NULL at the end). */
const char *sq_config_key_name(int i);

#endif
