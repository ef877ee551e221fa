// SPDX-License-Identifier: MIT
// sq_log.h -- logging to stderr with sd-daemon priority prefixes (<3>..<7>) so
// journald keeps the level; one line per event; secrets masked.
#ifndef SQ_LOG_H
#define SQ_LOG_H

#include <stddef.h>

enum sq_log_level { SQ_LOG_ERR = 3, SQ_LOG_WARNING = 4, SQ_LOG_NOTICE = 5, SQ_LOG_INFO = 6, SQ_LOG_DEBUG = 7 };

void sq_log_set_level(int level);
int sq_log_get_level(void);
/* "error", "warning", "notice", "info", "debug" -> level; -1 if unknown. */
int sq_log_level_parse(const char *name);
void sq_log_set_ident(const char *ident);

void sq_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* From sq_log_hold on, lines are kept back (written early only when 32 KiB
 * pile up) until sq_log_release writes them in one go (keep) or drops them:
 * for work that may be undone and done again. For a single-threaded logger:
 * the daemon loop's thread, while no other thread logs. */
void sq_log_hold(void);
void sq_log_release(int keep);

#define sq_log_err(...) sq_log(SQ_LOG_ERR, __VA_ARGS__)
#define sq_log_warn(...) sq_log(SQ_LOG_WARNING, __VA_ARGS__)
#define sq_log_notice(...) sq_log(SQ_LOG_NOTICE, __VA_ARGS__)
#define sq_log_info(...) sq_log(SQ_LOG_INFO, __VA_ARGS__)
#define sq_log_debug(...) sq_log(SQ_LOG_DEBUG, __VA_ARGS__)

/* Copies a URI or libpq conninfo into out with any password replaced by "***"
 * (amqp://user:secret@host -> amqp://user:***@host; password=x -> password=***). */
void sq_log_mask_secret(const char *in, char *out, size_t outlen);

#endif
