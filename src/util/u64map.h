/* SPDX-License-Identifier: MIT
 * A hash map from 64-bit keys to 32-bit values (open addressing, linear probing). Keys
 * are any value but UINT64_MAX (the empty marker). Grows by doubling; no removal. */
#ifndef GT_UTIL_U64MAP_H
#define GT_UTIL_U64MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t *keys;
    uint32_t *vals;
    size_t n, cap; /* cap: 0 or a power of two */
} gt_u64map;

/* Set key to val (replacing). 0 on OOM (map unchanged), else 1. */
int gt_u64map_put(gt_u64map *m, uint64_t key, uint32_t val);
/* The value of key, or UINT32_MAX if absent. */
uint32_t gt_u64map_get(const gt_u64map *m, uint64_t key);
void gt_u64map_free(gt_u64map *m);

#endif
