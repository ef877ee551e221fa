// SPDX-License-Identifier: MIT
// payments.h -- shopq-payments: the daemon state (provider client, a side
// autocommit connection), the provider answers, webhook events, the one arbiter
// that moves a payment, and the handlers of the payment.* commands.
#ifndef PAYMENTS_H
#define PAYMENTS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "sq_err.h"
#include "sq_form.h"
#include "sq_pg.h"
#include "sq_runtime.h"

#define PAYMENTS_KEY_MAX 160
#define PAYMENTS_ID_MAX 128
#define PAYMENTS_CODE_MAX 64
#define PAYMENTS_MSG_MAX 256

/* ------------------------------------------------------------ text (fmt.c) */

/* "pm_card_visa" -> "pm_card_v…": never more than 3/4 of a token, at most 9
 * bytes of it, then an ellipsis. out needs len >= 16. */
void payments_mask_token(const char *token, char *out, size_t outlen);
/* Replaces every occurrence of token in text (a NUL-terminated string in a
 * buffer of cap bytes) by its mask: provider messages may quote the token. */
void payments_scrub_token(char *text, size_t cap, const char *token);
/* RFC 3339 date-time ("2026-11-24T10:00:00Z", fractions and +hh:mm offsets
 * allowed) -> unix seconds. 0 or -1 when not such a time. */
int payments_rfc3339_parse(const char *s, long long *ret);
/* Unix seconds -> "2026-11-24T10:00:00Z" into out[32]. */
void payments_rfc3339_format(long long t, char out[32]);
/* "shopq-charge-<order_id>" / "shopq-refund-<order_id>". */
void payments_charge_key(long long order_id, char out[PAYMENTS_KEY_MAX]);
void payments_refund_key(long long order_id, char out[PAYMENTS_KEY_MAX]);
/* 1 when s is a provider object id we may put in a URL path ([A-Za-z0-9_], 1..100). */
int payments_valid_object_id(const char *s);

/* ------------------------------------------------------------ provider (provider.c) */

typedef enum {
	PAYMENTS_ANS_NONE,     /* no answer: refused, reset, timed out */
	PAYMENTS_ANS_OK,       /* 2xx with an object (intent or refund) */
	PAYMENTS_ANS_DECLINED, /* 402: the card was declined */
	PAYMENTS_ANS_RETRY,    /* 429, 5xx, 401/403/408/409, or a 2xx we cannot read: passing */
	PAYMENTS_ANS_REFUSED,  /* any other 4xx: the provider refuses this request for good */
} payments_ans_kind;

typedef struct payments_answer {
	payments_ans_kind kind;
	long http_status;             /* 0 when no answer */
	char id[PAYMENTS_ID_MAX];     /* the intent's or refund's id */
	char status[32];              /* intent or refund status */
	char intent_id[PAYMENTS_ID_MAX]; /* refund: its payment_intent; decline: error.payment_intent.id */
	char code[PAYMENTS_CODE_MAX]; /* error.code or last_payment_error.code */
	char message[PAYMENTS_MSG_MAX];
	long long amount;             /* the object's amount (-1 when absent) */
	long retry_after_s;           /* -1 when absent */
	char reason[400];             /* words for logs and retries */
} payments_answer;

/* Classifies an HTTP answer (status 0: none, with transport words in body). */
void payments_answer_parse(payments_answer *a, long status, const char *body, const char *retry_after,
			   long long now_s);
/* What an intent status means for the payment: "succeeded", "processing",
 * "failed", or NULL for a status we do not know. */
const char *payments_intent_target(const char *intent_status);
/* The charge request's form body (fields sorted the same way every time, so a
 * replay carries identical parameters). 0 or -1 when out of memory. */
int payments_charge_form(sq_buf *b, long long amount_cents, const char *currency, const char *payment_method,
			 long long order_id);

typedef struct payments_provider payments_provider;
payments_provider *payments_provider_new(const char *gateway_url, const char *api_key, long timeout_ms,
					 sq_err *err);
void payments_provider_free(payments_provider *p);
void payments_provider_charge(payments_provider *p, const char *idem_key, long long amount_cents,
			      const char *currency, const char *payment_method, long long order_id,
			      payments_answer *a);
/* One charge of a parallel set. */
typedef struct payments_charge_req {
	const char *key; /* the Idempotency-Key */
	long long amount_cents;
	const char *currency;
	const char *payment_method; /* the token's value */
	long long order_id;
} payments_charge_req;
/* The n charges sent at once (in parallel, each with the timeout): each
 * answer as payments_provider_charge's. */
void payments_provider_charge_many(payments_provider *p, const payments_charge_req *reqs, int n,
				   payments_answer *answers);
void payments_provider_get_intent(payments_provider *p, const char *intent_id, payments_answer *a);
void payments_provider_refund(payments_provider *p, const char *idem_key, const char *intent_id,
			      payments_answer *a);
long payments_provider_connects(const payments_provider *p);

/* ------------------------------------------------------------ webhook events (event.c) */

typedef struct payments_event {
	char id[256];
	char type[128];
	char object_id[PAYMENTS_ID_MAX]; /* the payment intent the event is about */
	char status[32];
	long long order_id; /* metadata.order_id, 0 when absent */
	char code[PAYMENTS_CODE_MAX];
	char message[PAYMENTS_MSG_MAX];
	long long amount_refunded; /* -1 when absent */
	long long created;
} payments_event;

/* Parses a provider event. 0, or -1 with what is wrong in err. */
int payments_event_parse(const char *body, payments_event *ev, char *err, size_t errlen);

/* ------------------------------------------------------------ state (state.c) */

/* A charge the batch's prepare asked the provider about, for its handler. */
typedef struct payments_asked {
	long long order_id;
	char payment_id[24];
	char key[PAYMENTS_KEY_MAX];
} payments_asked;

typedef struct payments_state {
	payments_provider *provider;
	sq_pg *side; /* autocommit, for facts that must outlive the message's transaction */
	payments_asked *asked; /* this batch's charges asked in parallel by payments_prepare_charges */
	payments_answer *answers; /* their answers, asked[i]'s in answers[i] */
	int nasked;
	char *webhook_secret;
	int webhook_tolerance_s;
} payments_state;

int payments_start(void **ret_state, const sq_config *cfg, sq_err *err);
void payments_stop(void *state);
/* A parameterised statement on the side connection (connected on demand, with
 * a short lock_timeout so it never waits long for a row the message's own
 * transaction holds). NULL with words in err. */
PGresult *payments_side_query(payments_state *st, const char *sql, int nparams, const char *const *params,
			      sq_err *err);
/* Appends a line to payments.payment_logs on the side connection (best effort;
 * committed without waiting for the WAL flush: a daemon crash keeps it, only a
 * PostgreSQL crash in the next moment could lose it). */
void payments_side_log(payments_state *st, const char *payment_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The n lines (each for its payment) in one statement, best effort as
 * payments_side_log (which writes its one line through it). */
void payments_side_log_many(payments_state *st, int n, const char *const *payment_ids, const char *const *lines);

/* ------------------------------------------------------------ the arbiter (settle.c) */

typedef struct payments_move {
	const char *to;           /* "processing", "succeeded", "failed" or "refunded" */
	const char *payment_id;   /* match by our id, or */
	const char *reference_id; /* by the provider's intent id, or */
	long long order_id;       /* by order when no reference is recorded yet (0: not) */
	const char *code, *message; /* response_code/message to record (may be NULL) */
	const char *refund_id;    /* to "refunded": the provider's refund id (may be NULL) */
	long long refund_amount;  /* to "refunded": cents refunded (-1: the payment's amount) */
	const char *via;          /* for the log: "charge answer", "webhook evt_…", "reconcile" */
} payments_move;

/* The one place a payment changes state: a conditional UPDATE from the states
 * the target may be reached from; only the caller whose UPDATE moved the row
 * emits the event (payment.succeeded / failed / refunded), in the same
 * transaction. *ret_moved = 1 when it moved. -1 on a database error. */
int payments_settle(sq_ctx *ctx, const payments_move *m, int *ret_moved);
/* The same for a webhook's move, its event (id, type) recorded in the same
 * statement: the payment moves only when the event is new (*ret_fresh). */
int payments_settle_event(sq_ctx *ctx, const payments_move *m, const char *event_id, const char *event_type,
			  int *ret_moved, int *ret_fresh);
/* payments_settle_event's statement and parameters as a first statement
 * (f->sql left NULL when the move runs none). */
void payments_settle_event_first(const payments_move *m, const char *event_id, const char *event_type, sq_first *f);
/* A charge's payment as its transaction sees it, with its token's value (the
 * order's id as the statement's last parameter, appended). */
#define PAYMENTS_CHARGE_ROW_SQL                                                                            \
	"SELECT p.id, p.status, p.idempotency_key, (p.amount * 100)::bigint, p.currency, t.value"             \
	" FROM payments.payment p LEFT JOIN payments.tokens t ON t.id = p.token_id WHERE p.order_id = "
/* A charge answer's move as the charge's first statement: the order's payment
 * (PAYMENTS_CHARGE_ROW_SQL's columns, no row when there is none) and, in
 * columns 6 on (NULL when nothing moved), the move as payments_settle makes
 * it, made only when the payment is m->payment_id with idempotency key key,
 * still unknown or pending, with its token: when its handler would apply the
 * answer (f->sql left NULL when the move runs none). */
void payments_settle_charge_first(const payments_move *m, long long order_id, const char *key, sq_first *f);
/* What payments_settle does once its statement ran, for the rows r moved (settle's
 * columns from col on, NULL when nothing moved): logs, emits. -1 on an error. */
int payments_settled(sq_ctx *ctx, const payments_move *m, PGresult *r, int col, int *ret_moved);

/* ------------------------------------------------------------ handlers */

/* The provider's answer to a charge (first call, retry or reconcile replay)
 * applied to payment payment_id through the arbiter. 0 when applied (moved or
 * nothing to move), 1 for a passing failure (a.reason says why; ask again
 * later), -1 on a database error. */
int payments_apply_charge_answer(sq_ctx *ctx, const char *payment_id, const payments_answer *a, const char *via);
/* One charge request with the payment's key and stored parameters; its
 * outcome goes to payment_logs (token masked). */
void payments_charge_ask(payments_state *st, const char *payment_id, const char *key, long long amount,
			 const char *currency, const char *token, long long order_id, const char *what,
			 payments_answer *a);
/* Asks the provider about one unsettled payment (GET the intent, or replay the
 * charge with its key when no intent id is known) and settles it through the
 * arbiter: what payment.reconcile does per row. 0 when asked, 1 when the
 * provider could not be asked (stop the batch), -1 on a database error. */
int payments_reconcile_one(sq_ctx *ctx, const char *payment_id);

sq_outcome payments_handle_charge(sq_ctx *ctx, const sq_msg *msg);
/* Its first statement: the order's payment row, with the settle of the answer
 * the batch's prepare got for it, if any. */
void payments_charge_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
/* payment.charge's prepare hook: records the batch's attempts with one commit. */
void payments_prepare_charges(sq_ctx *ctx, const sq_msg *msgs, int n);
sq_outcome payments_handle_refund(sq_ctx *ctx, const sq_msg *msg);
sq_outcome payments_handle_reconcile(sq_ctx *ctx, const sq_msg *msg);
sq_outcome payments_handle_webhook(sq_ctx *ctx, const sq_msg *msg);
/* Its first statement, for a webhook that passes its checks (none otherwise:
 * the handler rejects it). */
void payments_webhook_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);

/* the routing keys the daemon consumes, with their schemas and handlers (routes.c) */
extern const sq_route payments_routes[];

#endif
