/* SPDX-License-Identifier: MIT
 * The embedded default config: a one-node cluster of this machine (90% of its memory,
 * whole GiB, so the agent's own reading of it is never below the config's), the node named
 * as gantry-agent names itself by default (gt_host_node_name: GANTRY_NODE, else the short
 * host name). */
#include <stdio.h>
#include <stdlib.h>

#include "ctld/ctld.h"
#include "sys/hw.h"

char *gt_ctld_default_config(void) {
    /* The agent discovers its node the same way (sys/hw.h), so the two agree. */
    gt_hw_opts o;
    gt_hw_opts_init(&o);
    o.no_nvml = 1;
    gt_hw hw;
    long cpus = 0;
    long long mem = 0;
    if (gt_hw_discover(&o, &hw, NULL) == GT_E_OK)
        cpus = hw.cpus, mem = hw.memory_mb;
    if (cpus < 1)
        cpus = 1;
    if (mem < 1)
        mem = 1024;
    char node[GT_HOST_NAME_MAX];
    gt_host_node_name(node, sizeof node);
    char *s = malloc(1024);
    if (s)
        snprintf(s, 1024,
                 "# gantryd's embedded default: this machine as a one-node cluster.\n"
                 "levels: [cluster, node]\n"
                 "root: cluster\n"
                 "tenants:\n  - {name: default, quota_gpus: 0, share: 1}\n"
                 "server: {listen: \"127.0.0.1:7070\", data_dir: gantry-data}\n"
                 "fleet:\n"
                 "  - {name: \"%s\", gpus: 4, gpu_model: fake, cpus: %ld, memory_gb: %lld}\n",
                 node, cpus, mem * 9 / 10 / 1024 > 0 ? mem * 9 / 10 / 1024 : 1);
    return s;
}
