// SPDX-License-Identifier: MIT
// sq_rt.h -- the runtime's private parts, shared by its files and no one
// else: the daemon in hand (rt), a delivery of the batch (item), the messages
// a batch emits. sq_loop.c runs the loop; sq_delivery.c checks a delivery;
// sq_ctx.c is the handlers' API; sq_tx.c runs a batch in one transaction,
// sq_ahead.c the same with the batch's first statements sent together;
// sq_outbox.c keeps and publishes what it emits; sq_settle.c acks, retries
// and dead-letters.
#ifndef SQ_RT_H
#define SQ_RT_H

#include <amqp.h>

#include "sq_amqp.h"
#include "sq_buf.h"
#include "sq_inflight.h"
#include "sq_pg.h"
#include "sq_runtime.h"

typedef struct sq_rt_item item;

/* An event or command emitted by a handler of the running batch. */
typedef struct out_msg {
	const char *exchange; /* static */
	char *routing_key;
	char message_id[37];
	char *body;
} out_msg;

typedef struct rt {
	const sq_daemon *d;
	sq_config cfg;
	void *state;
	sq_pg *pg;
	sq_amqp *cons; /* consuming connection (deliveries, acks) */
	sq_amqp *pub;  /* publishing connection (confirm mode) */
	char dead_q[160];
	char retry_q[SQ_RETRY_MAX_TIERS][160];
	/* the runtime's SQL for the daemon's schema (stable pointers: prepared once) */
	char *sql_inbox_many, *sql_inbox_del, *sql_inbox_prune, *sql_attempt_prune, *sql_attempt_inc, *sql_attempt_del, *sql_outbox_ins, *sql_outbox_ins_many,
		*sql_outbox_sel, *sql_outbox_del;
	int outbox_pending; /* rows may wait in the outbox: sweep it now */
	/* outbox ids, comma-separated ("7,8"): */
	sq_buf left_ids; /* rows this process knows it left there (swept at any age) */
	/* Messages the running batch emitted: out[0..ncommitted) are committed (their
	 * ids in committed_ids) and published right after the commit; the rest are
	 * still in the open transaction. */
	out_msg *out;
	int nout, ncommitted, out_cap, buffering;
	sq_buf committed_ids;
	sq_buf sent_ids; /* published and confirmed: deleted with the next transaction */
	sq_inflight inflight; /* batches published and acked, their confirms not read yet */
	sq_buf sent_param, left_param; /* those lists as array literals ("{7,8}") */
	/* Steps sent with the next handler statement: the batch's opening (BEGIN,
	 * the deletion of sent rows, the inbox rows) with the first message's, and
	 * the savepoint of the message in hand (pending_sp). */
	sq_pg_step pending[6];
	int npending, pending_sp, savepoint_open;
	sq_buf open_ids;             /* the inbox rows' message ids, as an array literal */
	const char *open_params[2], *del_param;
	int open_at;                 /* pending[] index of the inbox insert; -1 once answered */
	int open_failed;             /* the opening failed (why in open_err): the whole transaction goes */
	sq_err open_err;
	item *items;                 /* the transaction's messages, marked fresh by the inbox's answer */
	int nitems;
	int spec;                    /* the message whose handler runs before that answer, or -1 */
	int msg_mark;                /* out[] when the message in hand started */
	int *by_id;                  /* mark_fresh's scratch, batch_size long: indices sorted by message id */
	/* sq_ahead.c: the batch's first statements, sent together (batch_size
	 * long, allocated when a route has `first`); the message in hand, -1
	 * outside that path; set when its run cannot stand (rolled back) */
	sq_first *firsts;
	sq_pg_step *ahead_steps; /* their pipeline: the opening (pending[]) and one each */
	int ahead_at, ahead_broken;
	item *in_hand; /* the message whose first hook or handler runs (its memo), or NULL */
} rt;

struct sq_ctx {
	rt *rt;
	char reason[768];
};

struct sq_rt_item {
	amqp_envelope_t env;
	json_t *body;
	char message_id[201];
	char routing_key[256];
	const sq_route *route;
	int attempt;
	int redelivered;
	sq_outcome outcome;
	int decided; /* outcome final before the transaction (envelope reject) */
	int dead_lettered; /* rejected and dead-lettered before the transaction ran */
	int fresh;   /* not in the inbox yet: its handler runs */
	PGresult *ahead; /* the result of its first statement, sent ahead, until the handler takes it */
	void *memo;      /* what its route read from it (sq_ctx_keep_memo), freed with the batch */
	char reason[768];
};

/* sq_delivery.c: reads a delivery's headers, parses and validates its body
 * and finds its route; a delivery that fails is decided (SQ_REJECT, reason). */
void sq_rt_check_item(rt *r, item *it);

/* sq_ctx.c: undoes the message in hand (what it emitted, its statements). */
int sq_rt_undo_message(rt *r, sq_err *e);

/* sq_tx.c */
int sq_rt_send_pending(rt *r, sq_pg_step *then, sq_err *e);
void sq_rt_run_tx(rt *r, item *items, int n);
int sq_rt_queue_open(rt *r, item *items, int n, sq_err *e);
void sq_rt_mark_fresh(item *items, int n, PGresult *res, int *order);
void sq_rt_run_handler(rt *r, sq_ctx *ctx, item *it);
int sq_rt_finish_tx(rt *r, item *items, int n, sq_buf *failed);

/* sq_ahead.c: 0 when it ran the batch (committed, or failed as a whole), 1
 * when the batch is to run one message at a time (nothing of it left). */
int sq_rt_run_ahead(rt *r, item *items, int n);
PGresult *sq_rt_take_ahead(rt *r, sq_ctx *ctx, const char *sql, int nparams, const char *const *params);
void sq_rt_count_poison(rt *r, item *it);
int sq_rt_prune_inbox(rt *r, sq_err *err);

/* sq_outbox.c */
void sq_rt_out_truncate(rt *r, int n);
const char *sq_rt_ids_array(sq_buf *scratch, const sq_buf *list);
void sq_rt_left_add(rt *r, const char *ids, size_t len);
void sq_rt_committed_forget(rt *r);
int sq_rt_publish_committed(rt *r, sq_err *err);
void sq_rt_inflight_add(rt *r);
int sq_rt_take_confirms(rt *r, int wait, sq_err *err);
int sq_rt_await_confirmed(rt *r, uint64_t upto, sq_err *err);
void sq_rt_inflight_lost(rt *r);
int sq_rt_delete_sent(rt *r, sq_err *err);
int sq_rt_flush_outbox(rt *r, sq_err *err);

/* sq_settle.c: the batch's rejected deliveries dead-lettered at once (*upto:
 * the last one's publish tag, or 0), then the batch settled after its
 * transactions, waiting only for the confirms of what exists nowhere else */
int sq_rt_dead_letter_rejected(rt *r, item *items, int n, uint64_t *upto, sq_err *err);
int sq_rt_settle(rt *r, item *items, int n, uint64_t dead_upto, sq_err *err);

#endif
