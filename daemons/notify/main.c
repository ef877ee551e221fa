// SPDX-License-Identifier: MIT
// main.c -- shopq-notify: notification.send and the domain events
// order.confirmed, order.shipped, order.cancelled and payment.failed become
// notifications in Redis (section 6 of the contract).
#include <stdlib.h>

#include "entry.h"
#include "handlers.h"
#include "sq_log.h"
#include "sq_redis.h"
#include "store.h"

static int notify_start(void **ret_state, const sq_config *cfg, sq_err *err)
{
	notify_store *s = calloc(1, sizeof *s);
	sq_err e;

	*ret_state = NULL;
	if (!s)
		return sq_err_set(err, "out of memory");
	if (notify_store_init(s, cfg, err)) {
		free(s);
		return -1;
	}
	notify_check_set_max_body(cfg->notify_max_body);
	/* Redis may be down now: messages are retried until it answers */
	if (notify_store_load(s, &e) != SQ_REDIS_OK)
		sq_log_warn("%s; notifications are retried until Redis answers", e.msg);
	else
		sq_log_notice("redis %s:%d db %d: notify script loaded (sha %s)", cfg->redis_host, cfg->redis_port,
			      cfg->redis_db, s->script.sha);
	*ret_state = s;
	return 0;
}

/* Redis answers (connecting and loading the script when the last call lost
 * it): while it does not, the runtime takes no message. */
static int notify_available(void *state, sq_err *err)
{
	notify_store *s = state;

	if (sq_redis_is_connected(s->redis))
		return 1;
	return notify_store_load(s, err) == SQ_REDIS_OK;
}

static void notify_stop(void *state)
{
	notify_store_close(state);
	free(state);
}

int main(int argc, char **argv)
{
	static const sq_daemon d = {
		.name = "notify",
		.queue = "shopq.notify",
		.db_section = "notify",
		.db_schema = "notify",
		.routes = notify_routes,
		.start = notify_start,
		.stop = notify_stop,
		.available = notify_available,
	};
	return sq_daemon_main(argc, argv, &d);
}
