/* SPDX-License-Identifier: MIT
 * Handling secrets (tokens, keys): comparisons whose time does not depend on where two
 * values first differ, and wiping a buffer so that the compiler cannot drop the stores.
 * Pure; thread-safe. */
#ifndef GT_UTIL_SECRET_H
#define GT_UTIL_SECRET_H

#include <stddef.h>

/* 1 when a[0..n) equals b[0..n); reads all n bytes of both whatever they hold. */
int gt_secret_memeq(const void *a, const void *b, size_t n);
/* 1 when the strings are equal (NULL equals nothing). The time depends on the lengths
 * only (a token's length is no secret: tokens of one kind have one length). */
int gt_secret_streq(const char *a, const char *b);
/* Zero p[0..n) (not optimised away). Accepts NULL. */
void gt_secret_wipe(void *p, size_t n);

#endif
