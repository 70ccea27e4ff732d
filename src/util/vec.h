/* SPDX-License-Identifier: MIT
 * Growable arrays: one helper for the "realloc and double" step that arrays of any element
 * type need. The array stays the caller's: a pointer, a count and a capacity it keeps in
 * its own struct; gt_vec_reserve only makes room.
 *
 *     if (!gt_vec_reserve((void **)&v->items, &v->cap, v->n + 1, sizeof *v->items))
 *         return oom;
 *     v->items[v->n++] = x;
 */
#ifndef GT_UTIL_VEC_H
#define GT_UTIL_VEC_H

#include <stddef.h>

/* Make room for at least `need` elements of `size` bytes in *items (capacity *cap),
 * doubling from 16. 1 on success; 0 when out of memory or when the size would overflow,
 * and then *items and *cap are unchanged (the elements are still there). */
int gt_vec_reserve(void **items, size_t *cap, size_t need, size_t size);

#endif
