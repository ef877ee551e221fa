// SPDX-License-Identifier: MIT
// sq_runtime.h -- what a daemon is to the shared runtime: a queue, its routes
// (routing key -> schema + handler) and optional start/stop/tick hooks. The
// runtime does the rest: consume, check, handle in a transaction, commit,
// publish the outbox, ack / retry / dead-letter.
#ifndef SQ_RUNTIME_H
#define SQ_RUNTIME_H

#include <jansson.h>
#include <libpq-fe.h>

#include "sq_config.h"
#include "sq_envelope.h"

typedef enum { SQ_OK = 0, SQ_RETRY, SQ_REJECT } sq_outcome;

typedef struct sq_ctx sq_ctx;

typedef struct sq_msg {
	const char *queue;
	const char *routing_key;
	const char *message_id;
	json_t *body; /* a validated object; borrowed */
	int attempt;  /* 1 on the first delivery */
} sq_msg;

typedef sq_outcome (*sq_handler_fn)(sq_ctx *ctx, const sq_msg *msg);

/* The statement a handler always sends first, decided by its message alone
 * and what its route's prepare hook kept for the batch (see sq_route.first).
 * params point into the message's body, into num, or into what f owns. */
#define SQ_FIRST_MAX_PARAMS 12
#define SQ_FIRST_MAX_NUMS 6 /* parameters set by sq_first_ll: params[0 .. 6) */
typedef struct sq_first {
	const char *sql; /* NULL: this message's first statement is not known ahead */
	int nparams;
	const char *params[SQ_FIRST_MAX_PARAMS];
	char num[SQ_FIRST_MAX_NUMS][24];
	char key[64]; /* what the message is about ("order 7"): one per batch goes ahead */
	char *text;   /* what sq_first_text or sq_first_strings gave f to own */
} sq_first;

/* Sets params[i] to v in decimal (kept in num[i]; i < SQ_FIRST_MAX_NUMS, else
 * f->sql is cleared: the first statement is not known then). */
void sq_first_ll(sq_first *f, int i, long long v);
/* Sets params[i] to text (malloc'd: f owns it). NULL (out of memory) clears
 * f->sql: the first statement is not known then. */
void sq_first_text(sq_first *f, int i, char *text);
/* Sets params[0 .. n) to copies of vals (NULL stays NULL) that f owns, in one
 * block, and nparams to n; instead of sq_first_text. 0, or -1 (out of memory,
 * or n too many) with f->sql cleared. */
int sq_first_strings(sq_first *f, int n, const char *const *vals);
/* Frees what f owns (sq_query_first does, and the runtime for the firsts it
 * asks routes for). */
void sq_first_free(sq_first *f);
/* The common case: sql taking one id ($1), keyed "WHAT ID" ("order 7"). */
void sq_first_id(sq_first *f, const char *sql, const char *what, long long id);
/* The handler's side: runs f's statement (sq_query), then frees what f owns.
 * NULL with the reason kept in ctx as sq_query, also when f's statement could
 * not be built (out of memory). */
PGresult *sq_query_first(sq_ctx *ctx, sq_first *f);

typedef struct sq_route {
	const char *routing_key;
	int from_events; /* bound on shopq.events instead of shopq.commands */
	const sq_field *fields;
	sq_schema_check_fn check;
	sq_handler_fn handle;
	/* optional: called once per batch before its transaction (n may be 0),
	 * with the route's well-formed messages in batch order (ones handled
	 * before included: it must be idempotent; redelivered ones left out), for
	 * work cheaper done for many at once outside the transaction; routes
	 * sharing one hook get one call with all their messages. It emits
	 * nothing, and the handlers must not count on it */
	void (*prepare)(sq_ctx *ctx, const sq_msg *msgs, int n);
	/* optional: fills in the statement the handler always sends first (it
	 * must call this too, and send that through sq_query_first; called after
	 * the batch's prepare hooks, it may use what they kept), for a
	 * handler whose effects are all in the transaction (no provider, no
	 * Redis). When every message of a batch has one, with distinct keys, all
	 * those statements go with the transaction's opening in one round trip,
	 * and the messages share the transaction without a savepoint each; if
	 * any does not end cleanly (handled before, a statement fails, an answer
	 * other than SQ_OK, sq_ctx_undo), that attempt is rolled back unseen (its
	 * log lines too) and the batch runs one message at a time */
	void (*first)(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
} sq_route;

typedef struct sq_daemon {
	const char *name;       /* "orders": binary shopq-orders */
	const char *queue;      /* "shopq.orders" */
	const char *db_section; /* config section whose conninfo it uses ("orders") */
	const char *db_schema;  /* schema of its inbox/outbox/attempts ("sales") */
	const sq_route *routes; /* terminated by a NULL routing_key */
	/* Every handler sends its first statement before doing anything outside
	 * its transaction (a provider call, Redis, a log line). Then the first
	 * handler of a batch runs ahead of the inbox's answer, its statement
	 * riding with the transaction's opening (one round trip fewer per batch),
	 * and is undone when the inbox says the message was handled before. */
	int sql_first;
	/* optional: module-specific validation (also run by --check-config);
	 * err says "file:line: problem" */
	int (*check)(const sq_config *cfg, sq_err *err);
	/* optional: build the daemon's state once config is loaded */
	int (*start)(void **ret_state, const sq_config *cfg, sq_err *err);
	void (*stop)(void *state);
	/* optional: periodic work (~1 s) outside messages; manages its own transactions */
	void (*tick)(sq_ctx *ctx);
	/* optional: 0 (with why in err) while something the handlers need is
	 * away (notify: Redis); the loop then takes no message, asking again each
	 * second, so an outage longer than the retry delays dead-letters nothing */
	int (*available)(void *state, sq_err *err);
} sq_daemon;

#define SQ_EXCHANGE_COMMANDS "shopq.commands"
#define SQ_EXCHANGE_EVENTS "shopq.events"

/* The whole daemon: arguments, config, signals, sd_notify, the loop. */
int sq_daemon_main(int argc, char **argv, const sq_daemon *d);

/* ---- for handlers ---- */
const sq_config *sq_ctx_config(sq_ctx *ctx);
void *sq_ctx_state(sq_ctx *ctx);
/* The daemon's connection, the message's pending statements sent; NULL when
 * the message turned out to be handled before (its handler must stop). */
PGconn *sq_ctx_pg(sq_ctx *ctx);
/* A prepared query inside the message's transaction; NULL on error with the
 * reason kept in ctx (return sq_ctx_fail(ctx) then), or when the message
 * turned out to be handled before (the runtime then undoes the handler). */
PGresult *sq_query(sq_ctx *ctx, const char *sql, int nparams, const char *const *params);
/* Runs sql and returns the first column of the first row as a long long
 * (*ret_found = 0 when no row). -1 on error (reason kept). */
int sq_query_ll(sq_ctx *ctx, const char *sql, int nparams, const char *const *params, long long *ret,
		int *ret_found);
/* Writes an event (to shopq.events) or a command (to shopq.commands) into the
 * outbox, in the same transaction; published after commit. Steals body. */
int sq_emit_event(sq_ctx *ctx, const char *routing_key, json_t *body);
int sq_emit_command(sq_ctx *ctx, const char *routing_key, json_t *body);
sq_outcome sq_retry(sq_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
sq_outcome sq_reject(sq_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What a route read from the message in hand, kept so that its handler does
 * not read it again after the route's first hook did (a signature checked, a
 * body parsed): sq_ctx_keep_memo gives p (malloc'd, one block) to the runtime,
 * which frees it with the batch's messages (and frees a memo kept before; p
 * is freed at once when no message is in hand); sq_ctx_memo returns it, NULL
 * when none was kept. A memo holds what the message alone says: it stays with
 * the message whichever way its batch runs. */
void sq_ctx_keep_memo(sq_ctx *ctx, void *p);
void *sq_ctx_memo(sq_ctx *ctx);
/* Undoes what the message in hand did so far (its statements and what it
 * emitted), keeping the batch's transaction: for all-or-nothing handlers that
 * then answer otherwise (inventory's out-of-stock). 0, or -1 (reason kept). */
int sq_ctx_undo(sq_ctx *ctx);
/* SQ_RETRY with the reason of the last failed sq_query/sq_emit. */
sq_outcome sq_ctx_fail(sq_ctx *ctx);
/* Outside messages (tick): BEGIN / COMMIT / ROLLBACK of the daemon's connection. */
int sq_ctx_begin(sq_ctx *ctx);
int sq_ctx_commit(sq_ctx *ctx);
void sq_ctx_rollback(sq_ctx *ctx);
const char *sq_ctx_reason(sq_ctx *ctx);

/* Test builds (-DSQ_TEST_HOOKS) abort here when $SHOPQ_CRASH_AT names the point.
 * sq_fault_point answers 1 when $SHOPQ_FAULT_AT names the point, the 2nd, 4th, ...
 * time it is reached, $SHOPQ_FAULT_TIMES times in all (1 unless set); the
 * caller then acts as if the fault happened. Other builds: no-ops, 0. */
#ifdef SQ_TEST_HOOKS
void sq_crash_point(const char *name);
int sq_fault_point(const char *name);
#else
#define sq_crash_point(name) ((void)0)
#define sq_fault_point(name) 0
#endif

#endif
