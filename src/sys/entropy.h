/* SPDX-License-Identifier: MIT
 * Random bytes from the kernel (getrandom(2)) for secrets: tokens, salts, agent sessions.
 * Not for simulations (util/rng.h is seeded and repeatable). Thread-safe. */
#ifndef GT_SYS_ENTROPY_H
#define GT_SYS_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with n random bytes; blocks only until the kernel's pool is first seeded.
 * Returns 0, or -1 with errno when the kernel gives none (buf is then zeroed). */
int gt_random_bytes(void *buf, size_t n);
/* n random bytes as 2n lowercase hex digits and a NUL into out (size 2n + 1); 0 or -1. */
int gt_random_hex(char *out, size_t n);

#endif
