/* SPDX-License-Identifier: MIT
 * Small hand-built fleets for unit tests: `blocks` x `domains` x `nodes` nodes of `gpus`
 * GPUs (model "H100") and `cpus` cores, named b<i>d<j>n<k>, plus `cpu_nodes` CPU-only
 * nodes under their own block "cpu". Returns a config the test frees with gt_config_free. */
#ifndef GT_TEST_FIXTURE_H
#define GT_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static inline gt_config *fixture_fleet(int blocks, int domains, int nodes, int gpus, int cpus,
                                       int cpu_nodes) {
    gt_error err;
    gt_topo *t = gt_topo_new(NULL, 0, "cluster", &err);
    if (!t)
        return NULL;
    gt_node_spec ns = {gpus, "H100", cpus, 1024, 0, 0};
    char name[64];
    for (int b = 0; b < blocks; b++) {
        snprintf(name, sizeof name, "b%d", b);
        uint32_t vb = gt_topo_add(t, 0, 1, name, NULL, &err);
        for (int d = 0; d < domains; d++) {
            snprintf(name, sizeof name, "b%dd%d", b, d);
            uint32_t vd = gt_topo_add(t, vb, 2, name, NULL, &err);
            for (int n = 0; n < nodes; n++) {
                snprintf(name, sizeof name, "b%dd%dn%d", b, d, n);
                gt_topo_add(t, vd, 3, name, &ns, &err);
            }
        }
    }
    if (cpu_nodes > 0) {
        uint32_t vc = gt_topo_add(t, 0, 1, "cpu", NULL, &err);
        gt_node_spec cs = {0, NULL, 32, 1024, 0, 0};
        for (int n = 0; n < cpu_nodes; n++) {
            snprintf(name, sizeof name, "c%d", n);
            gt_topo_add(t, vc, 3, name, &cs, &err);
        }
    }
    if (gt_topo_finalize(t, &err) != GT_E_OK) {
        gt_topo_free(t);
        return NULL;
    }
    gt_config *c = calloc(1, sizeof *c);
    c->topo = t;
    for (int l = 0; l < GT_MAX_LEVELS; l++)
        c->slowdown[l] = 1.0;
    gt_sched_conf_defaults(&c->sched);
    return c;
}

#endif
