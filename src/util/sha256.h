/* SPDX-License-Identifier: MIT
 * SHA-256 (FIPS 180-4), for the controller's stored credentials (ctld/auth.c): small and
 * plain, not fast (a few hundred bytes a call). Pure: no I/O, no globals; thread-safe. */
#ifndef GT_UTIL_SHA256_H
#define GT_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define GT_SHA256_LEN 32

typedef struct {
    uint32_t h[8];
    uint64_t bytes; /* fed so far */
    uint8_t buf[64];
    size_t nbuf;
} gt_sha256_ctx;

void gt_sha256_init(gt_sha256_ctx *s);
void gt_sha256_update(gt_sha256_ctx *s, const void *data, size_t len);
/* The digest into out; s must be initialised again before another use. */
void gt_sha256_final(gt_sha256_ctx *s, uint8_t out[GT_SHA256_LEN]);
/* The digest of data[0..len) in one call. */
void gt_sha256(const void *data, size_t len, uint8_t out[GT_SHA256_LEN]);
/* The digest as 64 lowercase hex digits and a NUL. */
void gt_sha256_hex(const uint8_t d[GT_SHA256_LEN], char out[2 * GT_SHA256_LEN + 1]);

#endif
