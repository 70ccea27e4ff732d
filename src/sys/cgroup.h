/* SPDX-License-Identifier: MIT
 * Control groups for the units an agent runs: one cgroup per unit on a node, holding all
 * of its ranks, with the unit's CPU quota and CPU set, memory limit, pids limit and (v1)
 * the GPU device nodes it may not open.
 *
 * Both hierarchies are supported, detected at start from the mount table, controller by
 * controller: a controller mounted as a legacy (v1) hierarchy is used there ("hybrid"
 * machines mount cpu, memory and pids as v1 next to an empty cgroup2); otherwise the
 * unified (v2) hierarchy is used when its cgroup.controllers offers it. Device rules need
 * the v1 `devices` controller (v2 does it with BPF programs, which we do not load).
 *
 * Layout: MOUNT/PARENT/NAME in every hierarchy used (PARENT is "gantry" by default, NAME
 * the unit's "JOB-UNIT-GEN-NODE"). The fake twin is the same code on a plain folder: a
 * mounts table that names temp folders, where control files are ordinary files (tests).
 *
 * Not thread-safe; plain data, no ownership: every struct can be copied. */
#ifndef GT_SYS_CGROUP_H
#define GT_SYS_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

typedef enum {
    GT_CG_CPU,
    GT_CG_CPUSET,
    GT_CG_MEMORY,
    GT_CG_PIDS,
    GT_CG_DEVICES,
    GT_CG__N
} gt_cg_ctl;

#define GT_CG_PATH 256
#define GT_CG_MAX_DIRS GT_CG__N /* one folder per hierarchy in use */

typedef struct {
    int where[GT_CG__N];           /* 0: not available, 1: v1, 2: v2 */
    char v1[GT_CG__N][GT_CG_PATH]; /* the v1 mount holding each controller */
    char v2[GT_CG_PATH];           /* the cgroup2 mount, "" when none */
    char parent[64];               /* folder under each mount for all units */
} gt_cg_sys;

/* Find the hierarchies. mounts: a mount table in /proc/self/mounts' format (NULL: that
 * file); parent: the folder for our units (NULL: "gantry"; a name, no '/'). A machine
 * without any usable controller is not an error: every where[] is 0 (gt_cg_any says so).
 * Errors: GT_E_IO (the table cannot be read), GT_E_INVALID (bad parent). */
gt_err gt_cg_detect(gt_cg_sys *cg, const char *mounts, const char *parent, gt_error *err);

/* 1 when at least one controller is available. */
int gt_cg_any(const gt_cg_sys *cg);

/* "v1: cpu cpuset memory pids devices" / "v2: cpu memory pids" / "v1: memory; v2: pids" /
 * "none" into buf (NUL-terminated, truncated to len). Returns buf. */
const char *gt_cg_describe(const gt_cg_sys *cg, char *buf, size_t len);

/* What one unit may use on this node. Zero fields set no limit. */
typedef struct {
    int64_t cpu_millis;    /* CPU quota: 1000 per core */
    const char *cpuset;    /* CPUs it may run on ("0-3,8"), NULL: any */
    int64_t memory;        /* bytes (swap included where the kernel accounts it) */
    int64_t pids;          /* most processes and threads */
    int dev_major;         /* devices (v1): char major of the GPU nodes (195 for NVIDIA) */
    const int *deny_minor; /* ... and the minors this unit may not open */
    int ndeny;
} gt_cg_limits;

/* One unit's cgroup: its folder in each hierarchy. */
typedef struct {
    int n;
    char dir[GT_CG_MAX_DIRS][GT_CG_PATH + 192];
    int v2[GT_CG_MAX_DIRS]; /* 1: dir is in the unified hierarchy */
} gt_cg_unit;

/* Name the unit's cgroup (no system call): for adopting a unit after a restart, or before
 * gt_cg_create. name: one path component. Errors: GT_E_INVALID (bad or too long name). */
gt_err gt_cg_unit_of(const gt_cg_sys *cg, const char *name, gt_cg_unit *out, gt_error *err);

/* Create the unit's folders (and PARENT the first time, enabling controllers there for v2
 * and copying the CPU set for v1 cpuset) and write the limits. A folder that exists is reused and
 * its limits rewritten. Errors: GT_E_IO naming the file that could not be written. */
gt_err gt_cg_create(const gt_cg_sys *cg, const gt_cg_unit *u, const gt_cg_limits *l, gt_error *err);

/* A rank's own device rules (v1 devices only): the folder rankK under the unit's devices
 * folder, which also denies char devices major:deny_minor[..] (its siblings' GPUs). Writes
 * the cgroup.procs file the rank joins instead of the unit's devices one into procs.
 * Returns 0 and writes nothing when the devices controller is not v1. Errors: GT_E_IO. */
int gt_cg_rank_devices(const gt_cg_sys *cg, const gt_cg_unit *u, int rank, int major,
                       const int *deny_minor, int ndeny, char *procs, size_t len, gt_error *err);

/* The files a process joins the unit through by writing "0" (itself) to each:
 * DIR/cgroup.procs, into paths[0..GT_CG_MAX_DIRS). Returns how many. */
int gt_cg_procs_files(const gt_cg_unit *u, char (*paths)[GT_CG_PATH + 208]);

/* How many times the kernel's OOM killer killed a process of the unit (memory.oom_control
 * oom_kill for v1, memory.events oom_kill for v2); 0 when not known. */
int64_t gt_cg_oom_kills(const gt_cg_unit *u);

/* Processes left in the unit (the sum over its folders; a folder that is gone counts 0). */
int gt_cg_count(const gt_cg_unit *u);

/* SIGKILL every process of the unit (cgroup.kill where the kernel has it, else each pid
 * listed). Returns how many were signalled (cgroup.kill counts 1). */
int gt_cg_kill(const gt_cg_unit *u);

/* Remove the unit's folders (rank folders inside them first). A folder already gone is
 * fine. Errors: GT_E_STATE when processes are left (kill them and try again), GT_E_IO. */
gt_err gt_cg_remove(const gt_cg_unit *u, gt_error *err);

#endif
