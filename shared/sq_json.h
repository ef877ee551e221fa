// SPDX-License-Identifier: MIT
// sq_json.h -- the compact JSON text of a value in one exact allocation, for
// the messages and statement parameters written per message (a text past 2 KiB
// is dumped twice: a batch's arrays keep json_dumps).
#ifndef SQ_JSON_H
#define SQ_JSON_H

#include <jansson.h>

/* The compact text of v (as json_dumps(v, JSON_COMPACT)), malloc'ed; NULL if
 * v is NULL or memory ran out. */
char *sq_json_dump(const json_t *v);

#endif
