/* SPDX-License-Identifier: MIT */
#include "util/vec.h"

#include <stdint.h>
#include <stdlib.h>

int gt_vec_reserve(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return 1;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return 0;
        n *= 2;
    }
    if (size && n > SIZE_MAX / size)
        return 0;
    void *p = realloc(*items, n * size);
    if (!p)
        return 0;
    *items = p;
    *cap = n;
    return 1;
}
