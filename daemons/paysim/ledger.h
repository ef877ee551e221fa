// SPDX-License-Identifier: MIT
// ledger.h -- paysim's ledger: every payment intent and refund it created, their ids
// ("pi_<tag>_<n>", "re_<tag>_<n>") and JSON renderings. Not thread safe.
#ifndef PAYSIM_LEDGER_H
#define PAYSIM_LEDGER_H

#include <jansson.h>
#include <stddef.h>

#define LEDGER_ID_MAX 48

typedef enum {
	LEDGER_PI_SUCCEEDED,
	LEDGER_PI_PROCESSING,
	LEDGER_PI_REQUIRES_PAYMENT_METHOD
} ledger_pi_status;

typedef struct {
	char id[LEDGER_ID_MAX];
	long long amount, amount_refunded;
	char currency[4];
	const char *payment_method; /* static string */
	char *order_id;             /* NULL when not given */
	char *idem_key;             /* NULL when none */
	ledger_pi_status status;
	int declined;           /* last_payment_error is card_declined */
	long long created;      /* unix seconds */
	long long settle_at_ms; /* when a processing intent settles */
} ledger_intent;

typedef struct {
	char id[LEDGER_ID_MAX];
	size_t intent; /* index into intents */
	long long amount;
	char *idem_key;
	long long created;
} ledger_refund;

typedef struct {
	unsigned char is_refund;
	size_t index;
} ledger_row;

typedef struct {
	char tag[24]; /* per process start, lowercase hex */
	ledger_intent *intents;
	size_t n_intents, cap_intents;
	unsigned long long pi_counter, pi_base; /* intent n lives at index n - pi_base - 1 */
	ledger_refund *refunds;
	size_t n_refunds, cap_refunds;
	unsigned long long re_counter, re_base;
	ledger_row *rows; /* creation order of intents and refunds */
	size_t n_rows, cap_rows;
} ledger;

/* Zeroes the ledger and sets its id tag. */
void ledger_init(ledger *l, const char *tag);
/* Frees every record; counters keep running so ids never repeat. */
void ledger_clear(ledger *l);
void ledger_free(ledger *l);

/* Appends a zeroed intent with a fresh id. Returns its index, or -1 when out of
 * memory. order_id/idem_key are copied (may be NULL). */
long ledger_add_intent(ledger *l, const char *order_id, const char *idem_key);
/* Appends a refund with a fresh id. Returns its index or -1 when out of memory. */
long ledger_add_refund(ledger *l, size_t intent, long long amount, const char *idem_key);
/* Index of the intent with this id, or -1. */
long ledger_find_intent(const ledger *l, const char *id);

const char *ledger_status_str(ledger_pi_status s);
/* New JSON renderings (NULL when out of memory). */
json_t *ledger_intent_json(const ledger *l, size_t i);
json_t *ledger_refund_json(const ledger *l, size_t i);
json_t *ledger_charges_json(const ledger *l);

#endif
