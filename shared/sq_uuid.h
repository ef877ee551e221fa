// SPDX-License-Identifier: MIT
// sq_uuid.h -- random (version 4) UUIDs for message ids.
#ifndef SQ_UUID_H
#define SQ_UUID_H

/* Writes a lower-case UUID v4 and its NUL into out[37]. Returns 0, or -1 if
 * the kernel's random source failed. */
int sq_uuid_v4(char out[37]);
/* 1 if s is a UUID in 8-4-4-4-12 hex form, else 0. */
int sq_uuid_valid(const char *s);

#endif
