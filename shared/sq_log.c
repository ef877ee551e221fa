// SPDX-License-Identifier: MIT
// sq_log.c -- the stderr logger: priority prefix, ident, one write per line,
// or lines held back and then written together or dropped.
#include "sq_log.h"

#include <libpq-fe.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int log_level = SQ_LOG_INFO;
static const char *log_ident = "shopq";
static pid_t log_pid; /* read once: the daemons do not fork */
static int holding;
static char held[32768]; /* lines held back: written when full or released */
static size_t held_len;

void sq_log_set_level(int level) { log_level = level; }
int sq_log_get_level(void) { return log_level; }
void sq_log_set_ident(const char *ident) { log_ident = ident; }

int sq_log_level_parse(const char *name)
{
	static const struct { const char *name; int level; } names[] = {
		{ "error", SQ_LOG_ERR }, { "warning", SQ_LOG_WARNING }, { "notice", SQ_LOG_NOTICE },
		{ "info", SQ_LOG_INFO }, { "debug", SQ_LOG_DEBUG },
	};
	for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].level;
	return -1;
}

void sq_log(int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	if (!log_pid)
		log_pid = getpid();
	n = snprintf(line, sizeof line, "<%d>%s[%d]: ", level, log_ident, (int)log_pid);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (holding) {
		if (held_len + (size_t)n > sizeof held) {
			(void)!write(STDERR_FILENO, held, held_len);
			held_len = 0;
		}
		memcpy(held + held_len, line, (size_t)n);
		held_len += (size_t)n;
		return;
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void sq_log_hold(void) { holding = 1; }

void sq_log_release(int keep)
{
	if (keep && held_len)
		(void)!write(STDERR_FILENO, held, held_len);
	held_len = 0;
	holding = 0;
}

static size_t o_len(const char *s) { return strlen(s); }

void sq_log_mask_secret(const char *in, char *out, size_t outlen)
{
	const char *scheme, *at, *colon;

	if (!outlen)
		return;
	out[0] = '\0';
	if (!in)
		return;
	scheme = strstr(in, "://");
	if (scheme) {
		/* URI: user:password@host */
		at = strchr(scheme + 3, '@');
		colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
		if (colon)
			snprintf(out, outlen, "%.*s:***%s", (int)(colon - in), in, at);
		else
			snprintf(out, outlen, "%s", in);
		return;
	}
	/* conninfo: let libpq parse it, then print every set option, the password masked */
	PQconninfoOption *opts = PQconninfoParse(in, NULL);
	if (!opts) {
		/* unparsable: keep only what comes before any password */
		const char *pw = strstr(in, "password");
		snprintf(out, outlen, "%.*s%s", pw ? (int)(pw - in) : (int)strlen(in), in, pw ? "password=***" : "");
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword && o < opts + 64; o++) {
		if (!o->val)
			continue;
		int secret = strcmp(o->keyword, "password") == 0;
		int n = snprintf(out + o_len(out), outlen - o_len(out), "%s%s=%s", out[0] ? " " : "", o->keyword,
				 secret ? "***" : o->val);
		if (n < 0 || o_len(out) + 1 >= outlen)
			break;
	}
	PQconninfoFree(opts);
}
