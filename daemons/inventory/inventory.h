// SPDX-License-Identifier: MIT
// inventory.h -- the pieces of shopq-inventory: message shapes, event bodies,
// and one handler per command (reserve, release, commit, restock).
#ifndef INVENTORY_H
#define INVENTORY_H

#include "sq_runtime.h"

/* ---- schema.c: message shapes (pure) */
extern const sq_field inventory_reserve_fields[];
extern const sq_field inventory_release_fields[];
extern const sq_field inventory_commit_fields[];
extern const sq_field inventory_restock_fields[];

/* ---- event.c */
/* A new event body {order_id, [user_id,] occurred_at}: user_id is echoed from
 * the command when it carried one (inventory does not know users). */
json_t *inventory_event_body(const json_t *command);
/* An integer field of a message body (0 when absent). */
long long inventory_field_ll(const json_t *body, const char *name);

/* ---- handlers */
sq_outcome inventory_handle_reserve(sq_ctx *ctx, const sq_msg *msg); /* reserve.c */
void inventory_reserve_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome inventory_handle_release(sq_ctx *ctx, const sq_msg *msg); /* release.c */
void inventory_release_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome inventory_handle_commit(sq_ctx *ctx, const sq_msg *msg);  /* release.c */
void inventory_commit_first(sq_ctx *ctx, const sq_msg *msg, sq_first *f);
sq_outcome inventory_handle_restock(sq_ctx *ctx, const sq_msg *msg); /* restock.c */

/* the routing keys the daemon consumes, with their schemas and handlers (routes.c) */
extern const sq_route inventory_routes[];

#endif
