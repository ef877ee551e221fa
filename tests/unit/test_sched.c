// SPDX-License-Identifier: MIT
// test_sched.c -- the scheduler's pure parts without any server: when a job is
// due (and the catch-up of only the latest missed slot), the job registry, and
// the jobs' config (defaults, overrides, mistakes reported with file:line).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../daemons/scheduler/sched.h"

static sq_cron cron(const char *expr)
{
	sq_cron c;
	char why[160];
	if (sq_cron_parse(expr, &c, why, sizeof why))
		fail_msg("%s: %s", expr, why);
	return c;
}

/* 2026-03-15T10:30:00Z, a Sunday */
#define T0 1773570600LL

static void test_due_every(void **state)
{
	(void)state;
	sq_cron c = cron("@every 5s");
	/* first tick after start (last -1): the current slot */
	assert_int_equal(sched_due(&c, "UTC", 1000, -1), 1000);
	assert_int_equal(sched_due(&c, "UTC", 1003, -1), 1000);
	/* handled: nothing until the next slot */
	assert_int_equal(sched_due(&c, "UTC", 1000, 1000), -1);
	assert_int_equal(sched_due(&c, "UTC", 1004, 1000), -1);
	assert_int_equal(sched_due(&c, "UTC", 1005, 1000), 1005);
	/* down for a while: only the latest missed slot, once */
	assert_int_equal(sched_due(&c, "UTC", 1032, 1000), 1030);
	assert_int_equal(sched_due(&c, "UTC", 1033, 1030), -1);
}

static void test_due_cron(void **state)
{
	(void)state;
	sq_cron c = cron("*/5 * * * *");
	assert_int_equal(sched_due(&c, "UTC", T0, -1), T0);
	assert_int_equal(sched_due(&c, "UTC", T0 + 299, T0), -1);
	assert_int_equal(sched_due(&c, "UTC", T0 + 300, T0), T0 + 300);
	/* a scheduler down for two hours catches up 12:25 only */
	assert_int_equal(sched_due(&c, "UTC", T0 + 7200 + 299, T0), T0 + 7200 + 0);
	/* daily at 02:00 in Berlin (UTC+1 in March before the switch): 01:00Z */
	sq_cron d = cron("0 2 * * *");
	assert_int_equal(sched_due(&d, "Europe/Berlin", T0, -1), T0 - 10 * 3600 - 30 * 60 + 1 * 3600);
	/* a schedule that never fires is never due */
	sq_cron never = cron("0 0 30 2 *");
	assert_int_equal(sched_due(&never, "UTC", T0, -1), -1);
}

static void test_registry(void **state)
{
	(void)state;
	static const char *const want[][2] = {
		{ "refresh_top_selling", "*/5 * * * *" },
		{ "expire_auth_sessions", "* * * * *" },
		{ "release_expired_reservations", "* * * * *" },
		{ "reconcile_payments", "*/5 * * * *" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const job_def *d = job_find(want[i][0]);
		assert_non_null(d);
		assert_string_equal(d->name, want[i][0]);
		assert_string_equal(d->default_schedule, want[i][1]);
		assert_non_null(d->run);
		assert_ptr_equal(job_at((int)i), d);
		assert_non_null(strstr(job_names(), want[i][0]));
	}
	assert_null(job_find("no_such_job"));
	assert_null(job_find(NULL));
	assert_null(job_find(""));
	assert_null(job_at(-1));
	/* the test-only job exists in test builds only, whatever the environment */
	setenv("SHOPQ_SCHEDULER_TEST_JOBS", "1", 1);
	assert_null(job_find("sleep_test"));
	assert_null(job_at(4));
	unsetenv("SHOPQ_SCHEDULER_TEST_JOBS");
}

static char path[64];

static int load(const char *text, job_conf *jc, int strict, sq_err *e)
{
	sq_config c;
	int n;
	snprintf(path, sizeof path, "/tmp/sq-test-sched-%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("amqp: { uri = \"amqp://guest:guest@127.0.0.1:5672\"; };\npostgres: { conninfo = \"dbname=x\"; };\n", f);
	fputs(text, f);
	fclose(f);
	if (sq_config_load(&c, path, e)) {
		unlink(path);
		return -2;
	}
	n = job_config_load(&c, jc, JOB_MAX, strict, e);
	sq_config_free(&c);
	unlink(path);
	return n;
}

static void expect_error(const char *text, int strict, int line, const char *words)
{
	job_conf jc[JOB_MAX];
	sq_err e = { "" };
	char prefix[96];
	assert_int_equal(load(text, jc, strict, &e), -1);
	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, words))
		fail_msg("got \"%s\", want prefix \"%s\" and \"%s\"", e.msg, prefix, words);
}

static void test_config(void **state)
{
	(void)state;
	job_conf jc[JOB_MAX];
	sq_err e;

	/* defaults: every job, enabled, with the contract's schedule */
	assert_int_equal(load("", jc, 1, &e), 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(jc[i].schedule, job_at(i)->default_schedule);
		assert_true(jc[i].enabled);
	}
	/* overrides */
	assert_int_equal(load("scheduler: { timezone = \"Europe/Berlin\";\n"
			      "  jobs: { expire_auth_sessions: { schedule = \"@every 5s\"; };\n"
			      "          reconcile_payments: { enabled = false; }; }; };\n",
			      jc, 1, &e), 4);
	assert_string_equal(jc[1].schedule, "@every 5s");
	assert_int_equal(jc[1].cron.every_seconds, 5);
	assert_true(jc[1].enabled);
	assert_false(jc[3].enabled);
	assert_string_equal(jc[3].schedule, "*/5 * * * *");
	/* mistakes, each at its line */
	expect_error("scheduler: {\n jobs: {\n  refresh_top_selling: {\n   schedule = \"61 * * * *\";\n }; }; };\n", 1,
		     6, "scheduler.jobs.refresh_top_selling.schedule = \"61 * * * *\": field 1 (minute)");
	expect_error("scheduler: { jobs: {\n expire_auth_sessions: { schedule = \"* * *\"; }; }; };\n", 1, 4,
		     "expected 5 fields");
	expect_error("scheduler: { jobs: {\n reconcile_payments: {\n  enabled = \"no\"; }; }; };\n", 1, 5,
		     "scheduler.jobs.reconcile_payments.enabled must be true or false");
	expect_error("scheduler: { jobs: { reconcile_payments: {\n schedule = 5; }; }; };\n", 1, 4,
		     "must be a string");
	expect_error("scheduler: { jobs: { reconcile_payments: { schedule = \"0 0 30 2 *\"; }; }; };\n", 0, 3,
		     "never fires");
	expect_error("scheduler: {\n timezone = \"Mars/Olympus\"; };\n", 0, 4, "not a known time zone");
	expect_error("scheduler: { jobs: {\n\n refresh_top_seling: { enabled = false; }; }; };\n", 1, 5,
		     "scheduler.jobs.refresh_top_seling: no such job");
	expect_error("scheduler: { jobs: { reconcile_payments: {\n enable = false; }; }; };\n", 1, 4,
		     "scheduler.jobs.reconcile_payments.enable: no such setting");
	/* tools (not strict) tolerate jobs they do not know, e.g. a test build's */
	assert_int_equal(load("scheduler: { jobs: { sleep_test: { sleep_ms = 5; }; }; };\n", jc, 0, &e), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_every),
		cmocka_unit_test(test_due_cron),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
