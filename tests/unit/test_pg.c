// SPDX-License-Identifier: MIT
// test_pg.c -- unit tests for sq_pg_connectdb's defaults: GSSAPI encryption is
// off unless the connection string asks for it, and every other setting is the
// string's own. No server: the connection targets a socket directory that does
// not exist, and libpq still reports the options it would have used.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sq_pg.h"

#define NOWHERE "host=/nonexistent/shopq-test port=1 connect_timeout=1 dbname=shopq_x user=u_x"

/* the value libpq settled on for keyword in conn, or "" */
static const char *option(PGconn *conn, const char *keyword)
{
	static char value[128];
	PQconninfoOption *opts = PQconninfo(conn);
	value[0] = '\0';
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, keyword) && o->val)
			snprintf(value, sizeof value, "%s", o->val);
	PQconninfoFree(opts);
	return value;
}

static void test_gssenc_off_by_default(void **state)
{
	(void)state;
	PGconn *c = sq_pg_connectdb(NOWHERE);
	assert_non_null(c);
	assert_int_not_equal(PQstatus(c), CONNECTION_OK);
	assert_string_equal(option(c, "gssencmode"), "disable");
	assert_string_equal(option(c, "dbname"), "shopq_x");
	assert_string_equal(option(c, "user"), "u_x");
	assert_string_equal(option(c, "host"), "/nonexistent/shopq-test");
	PQfinish(c);
}

static void test_string_overrides_default(void **state)
{
	(void)state;
	PGconn *c = sq_pg_connectdb(NOWHERE " gssencmode=prefer");
	assert_string_equal(option(c, "gssencmode"), "prefer");
	PQfinish(c);
	c = sq_pg_connectdb("postgresql://u_y@/shopq_y?host=/nonexistent/shopq-test&port=1&gssencmode=prefer");
	assert_string_equal(option(c, "gssencmode"), "prefer");
	assert_string_equal(option(c, "dbname"), "shopq_y");
	PQfinish(c);
}

static void test_bad_string_is_an_error(void **state)
{
	(void)state;
	PGconn *c = sq_pg_connectdb("host=/nonexistent/shopq-test nosuchkeyword=1");
	assert_non_null(c);
	assert_int_equal(PQstatus(c), CONNECTION_BAD);
	assert_non_null(strstr(PQerrorMessage(c), "nosuchkeyword"));
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gssenc_off_by_default),
		cmocka_unit_test(test_string_overrides_default),
		cmocka_unit_test(test_bad_string_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
