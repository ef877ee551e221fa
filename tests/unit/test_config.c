// SPDX-License-Identifier: MIT
// test_config.c -- config validation without any server: file:line for each
// kind of mistake, defaults, secrets from files, the example config accepted
// and naming every key of the table.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sq_config.h"

static char path[64];

static void write_conf(const char *text)
{
	snprintf(path, sizeof path, "/tmp/sq-test-config-%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect_error(const char *text, int line, const char *want)
{
	sq_config c;
	sq_err e = { "" };
	char prefix[96];
	write_conf(text);
	assert_int_equal(sq_config_load(&c, path, &e), -1);
	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, want))
		fail_msg("got \"%s\", want prefix \"%s\" and \"%s\"", e.msg, prefix, want);
	unlink(path);
}

#define BASE "amqp: { uri = \"amqp://guest:guest@127.0.0.1:5672\"; };\npostgres: { conninfo = \"dbname=x\"; };\n"

static void test_errors(void **state)
{
	(void)state;
	expect_error(BASE "log: { level = \"info\" }\nbroken = ;\n", 4, "syntax error");
	expect_error("postgres: { conninfo = \"dbname=x\"; };\n", 1, "required key amqp.uri is missing");
	expect_error(BASE "\namqp2: {};\nruntime: {\n batch_size = \"big\";\n};\n", 6, "runtime.batch_size must be an integer");
	expect_error(BASE "runtime: {\n batch_size = 5000;\n};\n", 4, "out of range 1..1000");
	expect_error(BASE "amqp_x: 1;\nlog: { level = \"loud\"; };\n", 4, "not one of the allowed values");
	expect_error(BASE "runtime: {\n retry_delays = [60, 86400];\n};\n", 4, "longer than runtime.max_retry_span");
	expect_error(BASE "payments: {\n api_key_file = \"/nonexistent/key\";\n};\n", 4, "cannot read /nonexistent/key");
	expect_error("amqp: { uri = \"http://x\"; };\npostgres: { conninfo = \"x\"; };\n", 1, "must start with amqp://");
}

static void test_defaults_and_secrets(void **state)
{
	(void)state;
	sq_config c;
	sq_err e;
	char keyfile[64], text[512];
	snprintf(keyfile, sizeof keyfile, "/tmp/sq-test-key-%d", (int)getpid());
	FILE *f = fopen(keyfile, "w");
	fputs("sk_test_secret\n", f);
	fclose(f);
	snprintf(text, sizeof text, BASE "payments: { api_key_file = \"%s\"; };\norders: { conninfo = \"user=o\"; };\n", keyfile);
	write_conf(text);
	assert_int_equal(sq_config_load(&c, path, &e), 0);
	assert_string_equal(c.api_key, "sk_test_secret");
	assert_int_equal(c.amqp_prefetch, 50);
	assert_int_equal(c.stream_linger_us, 5000); /* the README's default */
	assert_string_equal(c.amqp_queue_type, "quorum");
	assert_int_equal(c.retry.ntiers, 5);
	assert_string_equal(sq_config_conninfo(&c, "orders"), "user=o");
	assert_string_equal(sq_config_conninfo(&c, "inventory"), "dbname=x");
	sq_config_free(&c);
	unlink(path);
	unlink(keyfile);
}

static void test_example_names_every_key(void **state)
{
	(void)state;
	sq_config c;
	sq_err e;
	const char *example = getenv("SQ_EXAMPLE_CONFIG") ? getenv("SQ_EXAMPLE_CONFIG") : "config/shopq.conf.example";
	if (sq_config_load(&c, example, &e))
		fail_msg("%s", e.msg);
	for (int i = 0; sq_config_key_name(i); i++) {
		const char *k = sq_config_key_name(i);
		/* a secret may be documented as <key> or <key>_file */
		if (!config_lookup(&c.raw, k))
			fail_msg("config/shopq.conf.example does not name %s", k);
	}
	sq_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_defaults_and_secrets),
		cmocka_unit_test(test_example_names_every_key),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
