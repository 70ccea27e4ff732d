/* SPDX-License-Identifier: MIT */
#include "sim/simq.h"
#include "util/vec.h"

#include <stdlib.h>

static int less(const simq_ev *a, const simq_ev *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int sim_q_push(simq *q, gt_time t, uint8_t type, uint32_t job, uint32_t unit, uint32_t gen) {
    if (!gt_vec_reserve((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v))
        return 0;
    simq_ev e = {t, q->seq++, job, unit, gen, type};
    size_t i = q->n++;
    while (i > 0 && less(&e, &q->v[(i - 1) / 2])) {
        q->v[i] = q->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->v[i] = e;
    return 1;
}

int sim_q_pop(simq *q, simq_ev *e) {
    if (!q->n)
        return 0;
    *e = q->v[0];
    simq_ev last = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= q->n)
            break;
        if (l + 1 < q->n && less(&q->v[l + 1], &q->v[l]))
            m = l + 1;
        if (!less(&q->v[m], &last))
            break;
        q->v[i] = q->v[m];
        i = m;
    }
    if (q->n)
        q->v[i] = last;
    return 1;
}

gt_time sim_q_peek(const simq *q) {
    return q->n ? q->v[0].t : GT_TIME_NEVER;
}

void sim_q_free(simq *q) {
    free(q->v);
    q->v = NULL;
    q->n = q->cap = 0;
}
