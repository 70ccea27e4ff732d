/* SPDX-License-Identifier: MIT */
#include "util/u64map.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX

static size_t slot_of(uint64_t k, size_t cap) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

static int grow(gt_u64map *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = malloc(cap * sizeof *keys);
    uint32_t *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return 0;
    }
    memset(keys, 0xff, cap * sizeof *keys);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == EMPTY)
            continue;
        size_t j = slot_of(m->keys[i], cap);
        while (keys[j] != EMPTY)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 1;
}

int gt_u64map_put(gt_u64map *m, uint64_t key, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap && !grow(m))
        return 0;
    size_t j = slot_of(key, m->cap);
    while (m->keys[j] != EMPTY && m->keys[j] != key)
        j = (j + 1) & (m->cap - 1);
    if (m->keys[j] == EMPTY)
        m->n++;
    m->keys[j] = key;
    m->vals[j] = val;
    return 1;
}

uint32_t gt_u64map_get(const gt_u64map *m, uint64_t key) {
    if (!m->cap)
        return UINT32_MAX;
    size_t j = slot_of(key, m->cap);
    for (; m->keys[j] != EMPTY; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == key)
            return m->vals[j];
    return UINT32_MAX;
}

void gt_u64map_free(gt_u64map *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
