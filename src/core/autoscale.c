/* SPDX-License-Identifier: MIT
 * The autoscaling rule (autoscale.h). */
#include "core/autoscale.h"

#include <math.h>

uint32_t gt_autoscale_want(const gt_autoscale_conf *c, double sum) {
    double w = c->target > 0 ? ceil(sum / c->target - 1e-9) : c->max;
    if (!(w >= c->min)) /* also NaN */
        return c->min;
    return w > c->max ? c->max : (uint32_t)w;
}

uint32_t gt_autoscale_step(const gt_autoscale_conf *c, gt_autoscale_state *st, double sum,
                           uint32_t reporting, uint32_t current, gt_time now) {
    if (reporting == 0) {
        st->up_on = st->down_on = 0;
        st->want = current;
        return current;
    }
    uint32_t want = gt_autoscale_want(c, sum);
    st->want = want;
    if (want > current) {
        st->down_on = 0;
        if (!st->up_on || want < st->up_want)
            st->up_want = want;
        if (!st->up_on)
            st->up_on = 1, st->up_since = now;
        if (now - st->up_since >= c->up_ms) {
            st->up_on = 0;
            return st->up_want;
        }
    } else if (want < current) {
        st->up_on = 0;
        if (!st->down_on || want > st->down_want)
            st->down_want = want;
        if (!st->down_on)
            st->down_on = 1, st->down_since = now;
        if (now - st->down_since >= c->down_ms) {
            st->down_on = 0;
            return st->down_want;
        }
    } else {
        st->up_on = st->down_on = 0;
    }
    return current;
}

uint32_t gt_autoscale_sets(const uint32_t *want, const uint32_t *per, size_t n, uint32_t sets_min,
                           uint32_t sets_max, uint32_t *out) {
    uint32_t sets = sets_min;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = per[i] ? per[i] : 1, need = want[i] / p + (want[i] % p != 0);
        if (need > sets)
            sets = need;
    }
    if (sets > sets_max)
        sets = sets_max;
    for (size_t i = 0; i < n; i++)
        out[i] = sets * (per[i] ? per[i] : 1);
    return sets;
}
