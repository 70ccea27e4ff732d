/* SPDX-License-Identifier: MIT
 * Deterministic pseudo-random numbers (xoshiro256**, seeded by splitmix64). The state is
 * the caller's: no globals, so the same seed always gives the same sequence. */
#ifndef GT_UTIL_RNG_H
#define GT_UTIL_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} gt_rng;

void gt_rng_seed(gt_rng *r, uint64_t seed);
uint64_t gt_rng_next(gt_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t gt_rng_below(gt_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double gt_rng_unit(gt_rng *r);
/* Exponential with the given mean. */
double gt_rng_exp(gt_rng *r, double mean);
/* Log-normal: exp(N(mu, sigma)). */
double gt_rng_lognormal(gt_rng *r, double mu, double sigma);

#endif
