// SPDX-License-Identifier: MIT
// orders.h -- the pieces of shopq-orders: the order.place schema, money in
// cents, event bodies, and one handler per command or reply of the order saga.
#ifndef ORDERS_H
#define ORDERS_H

#include <stddef.h>

#include "sq_runtime.h"

/* ---- schema.c: message shapes (pure) */
extern const sq_field orders_place_fields[];
extern const sq_field orders_cancel_fields[];
extern const sq_field orders_ship_fields[];
extern const sq_field orders_ref_fields[]; /* {"order_id"} and anything else */
/* order.place rules beyond the table: exactly one of cart_id or items; currency
 * is three upper-case letters. 0, or -1 with the reason in err. */
int orders_place_check(const json_t *body, char *err, size_t errlen);

/* ---- money.c: numeric(12,2) text <-> integer cents, no floating point (pure) */
/* "12.34", "12.3", "12", "-0.50" -> cents. 0, or -1 if s is not such a number. */
int orders_cents_parse(const char *s, long long *ret_cents);
/* 1234 -> "12.34". Returns snprintf's count (>= len means truncated). */
int orders_cents_format(long long cents, char *buf, size_t len);

/* ---- event.c: what every event and command of the saga carries */
/* Emits event key {order_id, user_id, occurred_at} + the fields of extra
 * (stolen, may be NULL). 0 or -1 (reason kept in ctx). */
int orders_emit_event(sq_ctx *ctx, const char *key, long long order_id, long long user_id, json_t *extra);
/* Commands of the saga to inventory and payments, each {order_id, user_id, ...}. */
int orders_emit_release(sq_ctx *ctx, long long order_id, long long user_id, const char *reason);
int orders_emit_refund(sq_ctx *ctx, long long order_id, long long user_id, const char *reason);
/* An integer field of a message body (0 when absent). */
long long orders_field_ll(const json_t *body, const char *name);
/* Column col of row 0 as a long long. */
long long orders_col_ll(const PGresult *r, int col);

/* ---- handlers */
sq_outcome orders_handle_place(sq_ctx *ctx, const sq_msg *msg);      /* place.c */
void orders_place_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome orders_handle_cancel(sq_ctx *ctx, const sq_msg *msg);     /* cancel.c */
sq_outcome orders_handle_expire(sq_ctx *ctx, const sq_msg *msg);     /* cancel.c */
sq_outcome orders_handle_ship(sq_ctx *ctx, const sq_msg *msg);       /* ship.c */
sq_outcome orders_on_reserved(sq_ctx *ctx, const sq_msg *msg);       /* saga.c */
void orders_reserved_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome orders_on_rejected(sq_ctx *ctx, const sq_msg *msg);       /* saga.c */
void orders_rejected_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome orders_on_paid(sq_ctx *ctx, const sq_msg *msg);           /* payment.c */
void orders_paid_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome orders_on_payment_failed(sq_ctx *ctx, const sq_msg *msg); /* payment.c */
void orders_payment_failed_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome orders_on_refunded(sq_ctx *ctx, const sq_msg *msg);       /* payment.c */
void orders_refunded_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);

/* the routing keys the daemon consumes, with their schemas and handlers (routes.c) */
extern const sq_route orders_routes[];

#endif
