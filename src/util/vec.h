/* SPDX-License-Identifier: MIT
 * Growable arrays: one helper for the "realloc and double" step that arrays of any element
 * type need. The array stays the caller's: a pointer, a count and a capacity it keeps in
 * its own struct; gt_vec_reserve only makes room.
 *
 *     if (!gt_vec_reserve((void **)&v->items, &v->cap, v->n + 1, sizeof *v->items))
 *         return oom;
 *     v->items[v->n++] = x;
 *
 * Every function checks for overflow (capacity x element size) and leaves the array and
 * its capacity as they were when it fails: the elements are still there. Arrays that grow
 * together (one capacity for several arrays) take a capacity from gt_vec_grow_cap and
 * resize each array with gt_vec_resize. */
#ifndef GT_UTIL_VEC_H
#define GT_UTIL_VEC_H

#include <stddef.h>
#include <stdint.h>

/* Make room for at least `need` elements of `size` bytes in *items (capacity *cap),
 * doubling from 16. 1 on success; 0 when out of memory or when the size would overflow. */
int gt_vec_reserve(void **items, size_t *cap, size_t need, size_t size);

/* The same, doubling from `first` (> 0) instead of 16: for arrays that are many and mostly
 * small (one per node) or few and large (every job). */
int gt_vec_reserve_from(void **items, size_t *cap, size_t need, size_t size, size_t first);

/* The same for a uint32_t capacity: it never exceeds UINT32_MAX (the last doubling stops
 * there), and a `need` above it fails. */
int gt_vec_reserve32(void **items, uint32_t *cap, size_t need, size_t size, uint32_t first);

/* The capacity an array of capacity `cap` grows to so that it holds `need`: cap (or `first`
 * when cap is 0) doubled until it does, at most `max`. cap itself when it already holds
 * need; 0 when need > max. */
size_t gt_vec_grow_cap(size_t cap, size_t need, size_t first, size_t max);

/* Resize *items to exactly n elements of `size` bytes (n > 0). 1 on success; 0 when out of
 * memory or when n x size would overflow, *items unchanged. */
int gt_vec_resize(void **items, size_t n, size_t size);

#endif
