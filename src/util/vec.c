/* SPDX-License-Identifier: MIT
 * Growable arrays (see vec.h). */
#include "util/vec.h"

#include <stdlib.h>

size_t gt_vec_grow_cap(size_t cap, size_t need, size_t first, size_t max) {
    if (need > max)
        return 0;
    size_t n = cap ? cap : first ? first : 1;
    while (n < need)
        n = n > max / 2 ? max : n * 2;
    return n;
}

int gt_vec_resize(void **items, size_t n, size_t size) {
    if (n == 0 || (size && n > SIZE_MAX / size))
        return 0;
    void *p = realloc(*items, n * size);
    if (!p)
        return 0;
    *items = p;
    return 1;
}

int gt_vec_reserve_from(void **items, size_t *cap, size_t need, size_t size, size_t first) {
    if (need <= *cap)
        return 1;
    size_t n = gt_vec_grow_cap(*cap, need, first, SIZE_MAX);
    if (!n || !gt_vec_resize(items, n, size))
        return 0;
    *cap = n;
    return 1;
}

int gt_vec_reserve(void **items, size_t *cap, size_t need, size_t size) {
    return gt_vec_reserve_from(items, cap, need, size, 16);
}

int gt_vec_reserve32(void **items, uint32_t *cap, size_t need, size_t size, uint32_t first) {
    if (need <= *cap)
        return 1;
    size_t n = gt_vec_grow_cap(*cap, need, first, UINT32_MAX);
    if (!n || !gt_vec_resize(items, n, size))
        return 0;
    *cap = (uint32_t)n;
    return 1;
}
