/* SPDX-License-Identifier: MIT
 * xoshiro256** (Blackman & Vigna) with splitmix64 seeding. */
#include "util/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void gt_rng_seed(gt_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

uint64_t gt_rng_next(gt_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t gt_rng_below(gt_rng *r, uint64_t n) {
    /* Lemire-style rejection keeps the distribution exact. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = gt_rng_next(r);
    while (x >= limit);
    return x % n;
}

double gt_rng_unit(gt_rng *r) {
    return (double)(gt_rng_next(r) >> 11) * 0x1.0p-53;
}

double gt_rng_exp(gt_rng *r, double mean) {
    return -mean * log1p(-gt_rng_unit(r));
}

double gt_rng_lognormal(gt_rng *r, double mu, double sigma) {
    /* Box-Muller; one of the pair is discarded to keep the state simple. */
    double u1 = gt_rng_unit(r), u2 = gt_rng_unit(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    double n = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return exp(mu + sigma * n);
}
