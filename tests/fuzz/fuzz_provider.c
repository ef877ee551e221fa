// SPDX-License-Identifier: MIT
// fuzz_provider.c -- libFuzzer target: what the payment provider sends
// shopq-payments. The first byte picks: an HTTP answer (two bytes of status,
// a Retry-After line, then the body) through payments_answer_parse, or a
// webhook event body through payments_event_parse. Must never crash or leak,
// and every string it fills stays terminated within its field.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payments/payments.h"

#define NOW 1732450000

static char *text(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, data, len);
		s[len] = '\0';
	}
	return s;
}

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void answer(const uint8_t *data, size_t size)
{
	payments_answer a;
	long status;

	if (size < 2)
		return;
	status = (long)((data[0] << 8 | data[1]) % 700);
	data += 2;
	size -= 2;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - data) : 0;
	char *retry_after = text(data, rlen);
	char *body = nl ? text(nl + 1, size - rlen - 1) : text(data, size);

	if (retry_after && body) {
		payments_answer_parse(&a, status, body, retry_after, NOW);
		if (!TERMINATED(a.id) || !TERMINATED(a.status) || !TERMINATED(a.intent_id) || !TERMINATED(a.code) ||
		    !TERMINATED(a.message) || !TERMINATED(a.reason) || (status != 0 && a.kind == PAYMENTS_ANS_NONE))
			abort();
		(void)payments_intent_target(a.status);
	}
	free(retry_after);
	free(body);
}

static void event(const uint8_t *data, size_t size)
{
	payments_event ev;
	char err[256];
	char *body = text(data, size);

	if (body && payments_event_parse(body, &ev, err, sizeof err) == 0 &&
	    (!TERMINATED(ev.id) || !TERMINATED(ev.type) || !TERMINATED(ev.object_id) || !TERMINATED(ev.status) ||
	     !TERMINATED(ev.code) || !TERMINATED(ev.message)))
		abort();
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		event(data + 1, size - 1);
	else
		answer(data + 1, size - 1);
	return 0;
}
