/* SPDX-License-Identifier: MIT
 * Hardware discovery: hwloc for CPUs and memory, NVML (dlopen'ed) for GPUs.
 *
 * Design notes
 *  1. hwloc's topology is restricted to what this process may use (cgroup cpusets,
 *     affinity), so the PU count is the CPUs the agent can hand out. Memory is the machine's
 *     total (a cgroup memory limit is not seen: override it with opts.memory_mb).
 *  2. NVML is a run-time option: the few entry points are declared here with their ABI (an
 *     int return code, 0 = success; opaque device handles), looked up with dlsym, and the
 *     library is closed again before returning. Any NVML failure means "no real GPUs".
 *  3. Overrides and fakes are applied last, so an override always wins. */
#define _GNU_SOURCE
#include "sys/hw.h"

#include <dlfcn.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NVML_NAME_LEN 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */

#define NVML_MAX_LINKS 18 /* NVML_NVLINK_MAX_LINKS */

typedef struct nvml_device *nvml_device; /* nvmlDevice_t */
typedef struct {
    unsigned long long total, free, used; /* bytes */
} nvml_memory;                            /* nvmlMemory_t */
typedef struct {
    char bus_id_legacy[16];
    unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
    char bus_id[32]; /* "00000000:1A:00.0" */
} nvml_pci;          /* nvmlPciInfo_t */

struct nvml {
    void *lib;
    int (*init)(void);
    int (*shutdown)(void);
    int (*count)(unsigned *);
    int (*handle)(unsigned, nvml_device *);
    int (*name)(nvml_device, char *, unsigned);
    int (*memory)(nvml_device, nvml_memory *);
    /* optional: missing ones leave the fields they fill at their defaults */
    int (*minor)(nvml_device, unsigned *);
    int (*pci)(nvml_device, nvml_pci *);
    int (*link_state)(nvml_device, unsigned, int *);
    int (*link_remote)(nvml_device, unsigned, nvml_pci *);
    int (*uuid)(nvml_device, char *, unsigned);
    int (*mig_mode)(nvml_device, unsigned *, unsigned *);
    int (*mig_max)(nvml_device, unsigned *);
    int (*mig_handle)(nvml_device, unsigned, nvml_device *);
};

void gt_hw_opts_init(gt_hw_opts *o) {
    memset(o, 0, sizeof *o);
}

/* ---- CPUs and memory ------------------------------------------------------------------- */

static void discover_hwloc(gt_hw *hw) {
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return;
    if (hwloc_topology_load(topo) == 0) {
        int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
        hwloc_obj_t root = hwloc_get_root_obj(topo);
        if (pus > 0)
            hw->cpus = pus;
        if (root && root->total_memory > 0)
            hw->memory_mb = (int64_t)(root->total_memory >> 20);
    }
    hwloc_topology_destroy(topo);
}

static void discover_sysconf(gt_hw *hw) {
    if (hw->cpus <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        hw->cpus = n > 0 ? (int)n : 0;
    }
    if (hw->memory_mb <= 0) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        hw->memory_mb = pages > 0 && size > 0 ? (int64_t)pages * size >> 20 : 0;
    }
}

/* ---- GPUs ------------------------------------------------------------------------------ */

/* dlsym into a function pointer without a cast between object and function pointers. */
static int sym(void *lib, const char *name, void *fn_ptr) {
    void *p = dlsym(lib, name);
    if (p)
        memcpy(fn_ptr, &p, sizeof p);
    return p != NULL;
}

static int nvml_open(struct nvml *n, const char *path) {
    memset(n, 0, sizeof *n);
    n->lib = dlopen(path ? path : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!n->lib)
        return 0;
    int ok = sym(n->lib, "nvmlInit_v2", &n->init) && sym(n->lib, "nvmlShutdown", &n->shutdown) &&
             sym(n->lib, "nvmlDeviceGetCount_v2", &n->count) &&
             sym(n->lib, "nvmlDeviceGetHandleByIndex_v2", &n->handle) &&
             sym(n->lib, "nvmlDeviceGetName", &n->name) &&
             sym(n->lib, "nvmlDeviceGetMemoryInfo", &n->memory);
    sym(n->lib, "nvmlDeviceGetMinorNumber", &n->minor);
    sym(n->lib, "nvmlDeviceGetPciInfo_v3", &n->pci);
    sym(n->lib, "nvmlDeviceGetNvLinkState", &n->link_state);
    sym(n->lib, "nvmlDeviceGetNvLinkRemotePciInfo_v2", &n->link_remote);
    sym(n->lib, "nvmlDeviceGetUUID", &n->uuid);
    sym(n->lib, "nvmlDeviceGetMigMode", &n->mig_mode);
    sym(n->lib, "nvmlDeviceGetMaxMigDeviceCount", &n->mig_max);
    sym(n->lib, "nvmlDeviceGetMigDeviceHandleByIndex", &n->mig_handle);
    if (ok && n->init() == 0)
        return 1;
    dlclose(n->lib);
    n->lib = NULL;
    return 0;
}

/* src into dst[cap], truncated, always terminated. */
static void copy_str(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    n = n < cap ? n : cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void model_of(const char *name, char *out, size_t cap) {
    if (strncmp(name, "NVIDIA ", 7) == 0)
        name += 7;
    copy_str(out, cap, name);
}

/* Minor number and PCI address of GPU i (defaults: i and ""). */
static void device_ids(const struct nvml *n, nvml_device dev, int i, gt_hw_gpu *g) {
    unsigned minor = 0;
    nvml_pci pci;
    g->minor = n->minor && n->minor(dev, &minor) == 0 && minor < 1u << 20 ? (int)minor : i;
    memset(&pci, 0, sizeof pci);
    if (n->pci && n->pci(dev, &pci) == 0) {
        pci.bus_id[sizeof pci.bus_id - 1] = 0;
        copy_str(g->bus_id, sizeof g->bus_id, pci.bus_id);
    }
}

/* NVLink peers: for each active link, the GPU whose PCI address is at its other end. */
static void nvlink_peers(const struct nvml *n, nvml_device *devs, gt_hw *hw) {
    if (!n->link_state || !n->link_remote)
        return;
    for (int i = 0; i < hw->gpus; i++)
        for (unsigned l = 0; l < NVML_MAX_LINKS; l++) {
            int on = 0;
            nvml_pci remote;
            memset(&remote, 0, sizeof remote);
            if (n->link_state(devs[i], l, &on) != 0 || !on ||
                n->link_remote(devs[i], l, &remote) != 0)
                continue;
            remote.bus_id[sizeof remote.bus_id - 1] = 0;
            hw->gpu[i].nvlinks++;
            for (int j = 0; j < hw->gpus; j++)
                if (j != i && hw->gpu[j].bus_id[0] && !strcasecmp(hw->gpu[j].bus_id, remote.bus_id))
                    hw->gpu[i].nvlink_peers |= 1ULL << j;
        }
}

/* One device (a GPU or a MIG instance) into g: 1, or 0 when NVML failed on it. */
static int device(const struct nvml *n, nvml_device dev, int i, gt_hw_gpu *g) {
    nvml_memory mem;
    char name[NVML_NAME_LEN] = "";
    if (n->name(dev, name, sizeof name) != 0 || n->memory(dev, &mem) != 0)
        return 0;
    copy_str(g->name, sizeof g->name, name);
    g->memory_mb = (int64_t)(mem.total >> 20);
    device_ids(n, dev, i, g);
    if (n->uuid && n->uuid(dev, name, sizeof name) == 0)
        copy_str(g->uuid, sizeof g->uuid, name);
    return 1;
}

/* The MIG instances of GPU `parent` (in MIG mode) in place of it, from hw->gpu[*got] on;
 * 1, or 0 when NVML failed on one. A GPU not in MIG mode (or an NVML without MIG) adds
 * nothing and returns 1 with *found 0. */
static int mig_instances(const struct nvml *n, nvml_device dev, int parent, gt_hw *hw, int *got,
                         int *found) {
    unsigned cur = 0, pend = 0, max = 0;
    *found = 0;
    if (!n->mig_mode || !n->mig_max || !n->mig_handle || n->mig_mode(dev, &cur, &pend) != 0 ||
        cur != 1 || n->mig_max(dev, &max) != 0)
        return 1;
    gt_hw_gpu whole = hw->gpu[*got];
    for (unsigned k = 0; k < max && *got < GT_HW_MAX_GPUS; k++) {
        nvml_device mig;
        if (n->mig_handle(dev, k, &mig) != 0)
            continue; /* no instance at this index */
        gt_hw_gpu *g = &hw->gpu[*got];
        memset(g, 0, sizeof *g);
        if (!device(n, mig, *got, g))
            return 0;
        g->mig = 1;
        g->parent = parent;
        g->minor = whole.minor;
        copy_str(g->bus_id, sizeof g->bus_id, whole.bus_id);
        (*got)++;
        (*found)++;
    }
    return 1;
}

/* A MIG instance's model: the GPU's first word and the profile, a name a cluster config
 * takes as it is: "H100 80GB HBM3 MIG 3g.40gb" -> "H100-3g.40gb" (in place). */
static void mig_model(char *model) {
    char *m = strstr(model, " MIG ");
    if (m) {
        size_t first = strcspn(model, " ");
        model[first] = '-';
        memmove(model + first + 1, m + 5, strlen(m + 5) + 1);
    }
}

/* Real GPUs into hw (all or none); returns how many. */
static int discover_nvml(gt_hw *hw, const char *path) {
    struct nvml n;
    unsigned count = 0;
    if (!nvml_open(&n, path))
        return 0;
    int got = 0, ok = 1, migs = 0;
    nvml_device devs[GT_HW_MAX_GPUS];
    if (n.count(&count) == 0) {
        for (unsigned i = 0; i < count && got < GT_HW_MAX_GPUS && ok; i++) {
            nvml_device dev;
            int found = 0;
            ok = n.handle(i, &dev) == 0 && device(&n, dev, got, &hw->gpu[got]);
            if (ok) {
                devs[got] = dev;
                ok = mig_instances(&n, dev, (int)i, hw, &got, &found);
                migs += found;
                if (!found)
                    got++;
            }
        }
        if (!ok) {
            got = 0; /* a device failed: trust none of them */
            memset(hw->gpu, 0, sizeof hw->gpu);
        }
    }
    if (migs) /* NVLinks join physical GPUs, not instances */
        memset(devs, 0, sizeof devs);
    hw->gpus = got;
    if (!migs)
        nvlink_peers(&n, devs, hw);
    n.shutdown();
    dlclose(n.lib);
    hw->gpus = got;
    hw->nvml = got > 0;
    if (got > 0) {
        char m[NVML_NAME_LEN];
        model_of(hw->gpu[0].name, m, sizeof m);
        mig_model(m);
        copy_str(hw->gpu_model, sizeof hw->gpu_model, m);
    }
    return got;
}

static void fake_gpus(gt_hw *hw, const gt_hw_opts *o) {
    const char *model = o->fake_model && o->fake_model[0] ? o->fake_model : "fake";
    hw->gpus = o->fake_gpus;
    hw->nvml = 0;
    for (int i = 0; i < hw->gpus; i++) {
        copy_str(hw->gpu[i].name, sizeof hw->gpu[i].name, model);
        hw->gpu[i].memory_mb = o->fake_gpu_memory_mb;
        hw->gpu[i].minor = i;
    }
    copy_str(hw->gpu_model, sizeof hw->gpu_model, hw->gpus > 0 ? model : "");
}

/* ---- together -------------------------------------------------------------------------- */

static gt_err check_opts(const gt_hw_opts *o, gt_error *err) {
    if (o->cpus < 0)
        return gt_fail(err, GT_E_RANGE, "hw", "cpus: %d is negative", o->cpus);
    if (o->memory_mb < 0)
        return gt_fail(err, GT_E_RANGE, "hw", "memory_mb: %lld is negative",
                       (long long)o->memory_mb);
    if (o->fake_gpus < 0 || o->fake_gpus > GT_HW_MAX_GPUS)
        return gt_fail(err, GT_E_RANGE, "hw", "fake_gpus: %d is not in 0..%d", o->fake_gpus,
                       GT_HW_MAX_GPUS);
    if (o->fake_gpu_memory_mb < 0)
        return gt_fail(err, GT_E_RANGE, "hw", "fake_gpu_memory_mb: %lld is negative",
                       (long long)o->fake_gpu_memory_mb);
    return GT_E_OK;
}

gt_err gt_hw_discover(const gt_hw_opts *o, gt_hw *out, gt_error *err) {
    gt_hw_opts defaults;
    if (!o) {
        gt_hw_opts_init(&defaults);
        o = &defaults;
    }
    memset(out, 0, sizeof *out);
    gt_err rc = check_opts(o, err);
    if (rc != GT_E_OK)
        return rc;
    if (o->cpus == 0 || o->memory_mb == 0) {
        discover_hwloc(out);
        discover_sysconf(out);
    }
    if (o->cpus > 0)
        out->cpus = o->cpus;
    if (o->memory_mb > 0)
        out->memory_mb = o->memory_mb;
    if (out->cpus <= 0 || out->memory_mb <= 0) {
        const char *what = out->cpus <= 0 ? "CPUs" : "memory";
        memset(out, 0, sizeof *out);
        return gt_fail(err, GT_E_IO, "hw", "cannot tell this node's %s", what);
    }
    if (o->no_nvml || discover_nvml(out, o->nvml_lib) == 0)
        fake_gpus(out, o);
    return GT_E_OK;
}

const char *gt_host_node_name(char *buf, size_t size) {
    char host[GT_HOST_NAME_MAX + 1] = "";
    const char *env = getenv("GANTRY_NODE");
    if (env && *env)
        snprintf(host, sizeof host, "%s", env);
    else if (gethostname(host, sizeof host - 1) == 0)
        host[strcspn(host, ".")] = 0;
    for (char *p = host; *p; p++) /* a name the config's YAML takes as it is */
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            *p = '_';
    snprintf(buf, size, "%s", host[0] ? host : "local");
    return buf;
}
