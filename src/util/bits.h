/* SPDX-License-Identifier: MIT
 * Bit helpers. gt_popcount32 is branch-free SWAR: the x86-64 baseline has no popcnt
 * instruction, and __builtin_popcount would call into libgcc on every use. */
#ifndef GT_UTIL_BITS_H
#define GT_UTIL_BITS_H

#include <stdint.h>

static inline int gt_popcount32(uint32_t x) {
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
}

#endif
