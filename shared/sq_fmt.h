// SPDX-License-Identifier: MIT
// sq_fmt.h -- integers in decimal and bytes in hex, written by hand for the
// per-message paths (statement parameters, message ids, signatures), where
// snprintf costs some hundreds of instructions a number.
#ifndef SQ_FMT_H
#define SQ_FMT_H

#include <stddef.h>

#define SQ_FMT_LL_MAX 21 /* "-9223372036854775808" and its NUL */

/* Writes v in decimal and a NUL into out (SQ_FMT_LL_MAX bytes); returns the
 * number of digits and sign written. */
size_t sq_fmt_ll(char out[SQ_FMT_LL_MAX], long long v);
/* Writes the n bytes of in as 2n lower-case hex digits into out, and a NUL. */
void sq_fmt_hex(char *out, const unsigned char *in, size_t n);

#endif
