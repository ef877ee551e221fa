// SPDX-License-Identifier: MIT
// test_redis.c -- sq_redis without a Redis server: options from the config,
// a refused connection, a peer that never answers (timeout), and the short
// backoff that makes further calls (single or pipelined) fail at once instead
// of waiting again.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sq_redis.h"

/* A local TCP socket on a free port: listening (accepts, never answers) or not (refuses). */
static int local_socket(int do_listen, int *ret_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_opts_from_config(void **state)
{
	(void)state;
	char path[64];
	sq_config c;
	sq_err e;
	sq_redis_opts o;
	snprintf(path, sizeof path, "/tmp/sq-test-redis-%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("amqp: { uri = \"amqp://guest:guest@127.0.0.1:5672\"; };\npostgres: { conninfo = \"dbname=x\"; };\n"
	      "redis: { host = \"redis.internal\"; port = 6380; password = \"pw\"; db = 4; timeout_ms = 250; };\n",
	      f);
	fclose(f);
	if (sq_config_load(&c, path, &e))
		fail_msg("%s", e.msg);
	unlink(path);
	sq_redis_opts_from_config(&o, &c);
	assert_string_equal(o.host, "redis.internal");
	assert_int_equal(o.port, 6380);
	assert_string_equal(o.password, "pw");
	assert_null(o.username);
	assert_int_equal(o.db, 4);
	assert_int_equal(o.connect_timeout_ms, 1000);
	assert_int_equal(o.command_timeout_ms, 250);
	sq_config_free(&c);
	sq_redis_free(NULL);
}

static void test_refused_then_backoff(void **state)
{
	(void)state;
	int port, fd = local_socket(0, &port);
	sq_redis_opts o = { .host = "127.0.0.1", .port = port, .password = "", .connect_timeout_ms = 500 };
	sq_redis *r = sq_redis_new(&o);
	redisReply *rep = (redisReply *)1;
	sq_err e;

	assert_non_null(r);
	assert_int_equal(sq_redis_command(r, &rep, &e, "PING"), SQ_REDIS_EIO);
	assert_null(rep);
	assert_non_null(strstr(e.msg, "Connection refused"));
	assert_false(sq_redis_is_connected(r));
	/* at once again: no new attempt, the last reason */
	long long t0 = now_ms();
	assert_int_equal(sq_redis_connect(r, &e), SQ_REDIS_EIO);
	assert_non_null(strstr(e.msg, "next attempt in"));
	assert_non_null(strstr(e.msg, "Connection refused"));
	sq_redis_script s;
	sq_redis_script_init(&s, "return 1");
	const char *argv[] = { "k" };
	assert_int_equal(sq_redis_evalsha(r, &s, 1, 1, argv, NULL, &rep, &e), SQ_REDIS_EIO);
	assert_null(rep);
	sq_redis_call calls[2] = { { .nkeys = 1, .argc = 1, .argv = argv, .reply = (redisReply *)1 },
				   { .nkeys = 1, .argc = 1, .argv = argv, .reply = (redisReply *)1 } };
	assert_int_equal(sq_redis_evalsha_many(r, &s, calls, 2, &e), SQ_REDIS_EIO);
	assert_null(calls[0].reply); /* no reply, nothing to free */
	assert_null(calls[1].reply);
	sq_redis_calls_clear(calls, 2);
	assert_true(now_ms() - t0 < 50);
	sq_redis_free(r);
	close(fd);
}

static void test_silent_peer_times_out(void **state)
{
	(void)state;
	int port, fd = local_socket(1, &port);
	sq_redis_opts o = { .host = "127.0.0.1", .port = port, .password = "secret-pw", .db = 3,
			    .connect_timeout_ms = 500, .command_timeout_ms = 100 };
	sq_redis *r = sq_redis_new(&o);
	sq_err e;

	long long t0 = now_ms();
	assert_int_equal(sq_redis_connect(r, &e), SQ_REDIS_EIO);
	long long took = now_ms() - t0;
	assert_true(took >= 90 && took < 1000);
	assert_non_null(strstr(e.msg, "AUTH: "));
	assert_null(strstr(e.msg, "secret-pw")); /* never the password */
	t0 = now_ms();
	assert_int_equal(sq_redis_connect(r, &e), SQ_REDIS_EIO); /* backing off: no second wait */
	assert_true(now_ms() - t0 < 50);
	sq_redis_free(r);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_from_config),
		cmocka_unit_test(test_refused_then_backoff),
		cmocka_unit_test(test_silent_peer_times_out),
	};
	return cmocka_run_group_tests_name("redis", tests, NULL, NULL);
}
