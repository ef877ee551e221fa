// SPDX-License-Identifier: MIT
// routes.c -- the routing keys shopq-scheduler consumes (job.run),
// each with its message's schema, check and handler; the fuzz target
// tests/fuzz/fuzz_messages.c reads them too.
#include "sched.h"

const sq_route sched_routes[] = {
	{ "job.run", 0, sched_job_run_fields, NULL, sched_handle_job_run, NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL },
};
