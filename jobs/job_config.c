// SPDX-License-Identifier: MIT
// job_config.c -- reads and checks scheduler.jobs.<name>.{schedule,enabled}
// and scheduler.timezone, pointing at the file and line of any mistake.
#include "job_config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Line of path, or of its nearest existing parent, or 1. */
static int line_of(const sq_config *cfg, const char *path)
{
	char buf[256];
	char *dot;
	config_setting_t *s;

	snprintf(buf, sizeof buf, "%s", path);
	for (;;) {
		if ((s = config_lookup(&cfg->raw, buf)))
			return (int)config_setting_source_line(s);
		if (!(dot = strrchr(buf, '.')))
			return 1;
		*dot = '\0';
	}
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

static int check_group(const sq_config *cfg, config_setting_t *g, const job_def *d, sq_err *err)
{
	for (unsigned k = 0; k < (unsigned)config_setting_length(g); k++) {
		config_setting_t *s = config_setting_get_elem(g, k);
		const char *name = config_setting_name(s);
		if (!name || strcmp(name, "schedule") == 0 || strcmp(name, "enabled") == 0 ||
		    has_word(d->options, name))
			continue;
		return sq_err_set(err, "%s:%d: scheduler.jobs.%s.%s: no such setting (a job has schedule, enabled%s%s)",
				  cfg->path, (int)config_setting_source_line(s), d->name, name,
				  d->options[0] ? ", " : "", d->options);
	}
	return 0;
}

static int load_one(const sq_config *cfg, const job_def *d, job_conf *jc, int strict, sq_err *err)
{
	char path[160], why[200];
	config_setting_t *s;

	memset(jc, 0, sizeof *jc);
	jc->def = d;
	jc->enabled = 1;
	snprintf(path, sizeof path, "scheduler.jobs.%s", d->name);
	if ((s = config_lookup(&cfg->raw, path))) {
		if (!config_setting_is_group(s))
			return sq_err_set(err, "%s:%d: %s must be a group { schedule = \"...\"; enabled = true; }",
					  cfg->path, line_of(cfg, path), path);
		if (strict && check_group(cfg, s, d, err))
			return -1;
	}
	snprintf(path, sizeof path, "scheduler.jobs.%s.enabled", d->name);
	if ((s = config_lookup(&cfg->raw, path))) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return sq_err_set(err, "%s:%d: %s must be true or false", cfg->path, line_of(cfg, path), path);
		jc->enabled = config_setting_get_bool(s);
	}
	snprintf(path, sizeof path, "scheduler.jobs.%s.schedule", d->name);
	const char *expr = d->default_schedule;
	if ((s = config_lookup(&cfg->raw, path))) {
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return sq_err_set(err, "%s:%d: %s must be a string", cfg->path, line_of(cfg, path), path);
		expr = config_setting_get_string(s);
	}
	if (strlen(expr) >= sizeof jc->schedule)
		return sq_err_set(err, "%s:%d: %s is too long", cfg->path, line_of(cfg, path), path);
	snprintf(jc->schedule, sizeof jc->schedule, "%s", expr);
	if (sq_cron_parse(expr, &jc->cron, why, sizeof why))
		return sq_err_set(err, "%s:%d: %s = \"%s\": %s", cfg->path, line_of(cfg, path), path, expr, why);
	if (sq_cron_next(&jc->cron, (long long)time(NULL), cfg->sched_timezone) < 0)
		return sq_err_set(err, "%s:%d: %s = \"%s\" never fires", cfg->path, line_of(cfg, path), path, expr);
	return 0;
}

static int check_unknown_jobs(const sq_config *cfg, sq_err *err)
{
	config_setting_t *g = config_lookup(&cfg->raw, "scheduler.jobs");
	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return sq_err_set(err, "%s:%d: scheduler.jobs must be a group of jobs", cfg->path,
				  line_of(cfg, "scheduler.jobs"));
	for (unsigned k = 0; k < (unsigned)config_setting_length(g); k++) {
		config_setting_t *s = config_setting_get_elem(g, k);
		if (!job_find(config_setting_name(s)))
			return sq_err_set(err, "%s:%d: scheduler.jobs.%s: no such job (jobs: %s)", cfg->path,
					  (int)config_setting_source_line(s), config_setting_name(s), job_names());
	}
	return 0;
}

int job_config_load(const sq_config *cfg, job_conf *out, int max, int strict, sq_err *err)
{
	const job_def *d;
	int n = 0;

	if (!sq_cron_tz_valid(cfg->sched_timezone))
		return sq_err_set(err, "%s:%d: scheduler.timezone = \"%s\" is not a known time zone", cfg->path,
				  line_of(cfg, "scheduler.timezone"), cfg->sched_timezone);
	if (strict && check_unknown_jobs(cfg, err))
		return -1;
	for (int i = 0; (d = job_at(i)) && n < max; i++)
		if (load_one(cfg, d, &out[n++], strict, err))
			return -1;
	return n;
}
