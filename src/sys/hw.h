/* SPDX-License-Identifier: MIT
 * This node's hardware, as the agent reports it when it registers: CPUs and memory from
 * hwloc, GPUs from NVML. NVML is loaded at run time (dlopen "libnvidia-ml.so.1"), so the
 * build does not depend on it; where it is missing or sees no GPU, the node reports
 * `fake_gpus` fake GPUs (the fake twin used by tests and emulated nodes).
 *
 * GPUs are in NVML's index order, which is PCI bus order; ranks are given GPUs by these
 * indices with CUDA_DEVICE_ORDER=PCI_BUS_ID, so that CUDA numbers them the same way.
 *
 * A GPU in MIG mode is replaced by its MIG instances, each a schedulable device of its own
 * whose model is the GPU's first word and the instance's profile ("H100-3g.40gb" for NVML's
 * "NVIDIA H100 80GB HBM3 MIG 3g.40gb", a name a cluster config takes as it is); ranks are
 * given them by UUID ("MIG-..."), which CUDA_VISIBLE_DEVICES takes. */
#ifndef GT_SYS_HW_H
#define GT_SYS_HW_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GT_HW_MAX_GPUS 64

typedef struct {
    int cpus;                   /* 0: discover (hwloc PUs this process may use) */
    int64_t memory_mb;          /* 0: discover (hwloc's machine memory, else sysconf) */
    int no_nvml;                /* 1: do not try NVML (tests) */
    const char *nvml_lib;       /* NULL: "libnvidia-ml.so.1" */
    int fake_gpus;              /* GPUs to report without NVML, 0..GT_HW_MAX_GPUS */
    const char *fake_model;     /* their model; NULL: "fake" */
    int64_t fake_gpu_memory_mb; /* memory of each */
} gt_hw_opts;

typedef struct {
    char name[96]; /* NVML's name ("NVIDIA H100 80GB HBM3") or the fake model */
    int64_t memory_mb;
    int minor;             /* device minor: /dev/nvidiaMINOR (fake GPUs: their index) */
    char bus_id[32];       /* PCI address as NVML writes it ("00000000:1A:00.0"); "" if unknown */
    int nvlinks;           /* active NVLinks */
    uint64_t nvlink_peers; /* bit j: an active NVLink leads to GPU j of this node */
    int mig;               /* a MIG instance of physical GPU `parent` */
    int parent;
    char uuid[96]; /* NVML's UUID ("GPU-..." or "MIG-..."); "" if unknown */
} gt_hw_gpu;

typedef struct {
    int cpus;
    int64_t memory_mb;
    int gpus;
    char gpu_model[32]; /* GPU 0's name without a leading "NVIDIA " ("H100 80GB HBM3"),
                           truncated; "" without GPUs */
    int nvml;           /* 1: the GPUs are real (NVML), 0: fake or none */
    gt_hw_gpu gpu[GT_HW_MAX_GPUS];
} gt_hw;

/* All zero: discover everything, no fake GPUs. */
void gt_hw_opts_init(gt_hw_opts *o);

/* Fill *out (plain data, no ownership). o may be NULL (defaults). NVML errors are not
 * errors: the node then has fake GPUs. More than GT_HW_MAX_GPUS real GPUs: the first 64.
 * Errors: GT_E_RANGE (an option out of range), GT_E_IO (neither hwloc nor sysconf could
 * tell the CPUs or the memory); *out is then zeroed. */
gt_err gt_hw_discover(const gt_hw_opts *o, gt_hw *out, gt_error *err);

#define GT_HOST_NAME_MAX 64
/* This machine's name as a node, the same for gantryd's embedded config and gantry-agent's
 * default --node: GANTRY_NODE when set and not empty, else the host name up to its first
 * '.' (as Slurm names nodes), else "local"; characters other than letters, digits, '.', '_'
 * and '-' become '_'; written into buf (size bytes, at most
 * GT_HOST_NAME_MAX used). Returns buf. */
const char *gt_host_node_name(char *buf, size_t size);

#endif
