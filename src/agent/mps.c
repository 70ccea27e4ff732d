/* SPDX-License-Identifier: MIT
 * CUDA MPS for shares of a GPU (issue: fractional GPUs).
 *
 * When the node has GPUs and nvidia-cuda-mps-control is found (--mps-control PATH, default:
 * that name on PATH; "none": never), the agent starts one MPS control daemon for the node
 * at setup (`nvidia-cuda-mps-control -d` with CUDA_MPS_PIPE_DIRECTORY and
 * CUDA_MPS_LOG_DIRECTORY in STATE/mps), registers its nodes with mps true, and stops the
 * daemon when it exits (`echo quit | nvidia-cuda-mps-control`). A rank of a share gets its
 * GPU in CUDA_VISIBLE_DEVICES as any rank, GANTRY_GPU_MILLI and GANTRY_GPU_MEMORY_MB, and,
 * under MPS, the daemon's directories and its limits: CUDA_MPS_ACTIVE_THREAD_PERCENTAGE
 * (the share in percent, rounded up) and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT ("0=NM": the
 * share's GPU is device 0 of the rank). Without MPS the share is accounted by gantryd but
 * not enforced (GANTRY_GPU_SHARING says which; the node document's gpu_sharing too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "sys/probe.h"

#define MPS_TIMEOUT_MS 30000

/* The program's path into out (searching PATH for a bare name); 0 when not found. */
static int find_program(const char *name, char *out, size_t len) {
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        int w = snprintf(out, len, "%.*s/%s", (int)n, p, name);
        if (n && w > 0 && (size_t)w < len && access(out, X_OK) == 0)
            return 1;
        p += n + (p[n] == ':');
    }
    return 0;
}

/* Run the control program with the daemon's directories: `-d` starts it, "quit" (fed on
 * its standard input) stops it. 1 when it exited 0. */
static int control(agent *a, const char *what, char *detail, size_t len) {
    char pipe_env[4200], log_env[4200];
    snprintf(pipe_env, sizeof pipe_env, "CUDA_MPS_PIPE_DIRECTORY=%s/pipe", a->mps_dir);
    snprintf(log_env, sizeof log_env, "CUDA_MPS_LOG_DIRECTORY=%s/log", a->mps_dir);
    const char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          pipe_env, log_env, NULL};
    const char *start[] = {a->mps_prog, "-d", NULL};
    const char *quit[] = {"/bin/sh", "-c", "echo quit | \"$0\"", a->mps_prog, NULL};
    gt_probe_cmd c = {
        .argv = strcmp(what, "start") ? quit : start, .envp = envp, .timeout_ms = MPS_TIMEOUT_MS};
    return gt_probe_command(&c, detail, len);
}

int agent_mps_start(agent *a) {
    const char *want = a->o.mps_control ? a->o.mps_control : "nvidia-cuda-mps-control";
    int gpus = 0;
    for (uint32_t i = 0; i < a->reg.nnodes; i++)
        gpus += a->reg.nodes[i].gpus;
    if (a->o.emulate || !gpus || !strcmp(want, "none") ||
        !find_program(want, a->mps_prog, sizeof a->mps_prog)) {
        if (gpus && !a->o.emulate)
            agent_log(a, "no CUDA MPS (%s): shares of a GPU are accounted, not enforced",
                      strcmp(want, "none") ? "nvidia-cuda-mps-control not found"
                                           : "--mps-control none");
        return 1;
    }
    char dir[4200], detail[200];
    int n = snprintf(a->mps_dir, sizeof a->mps_dir, "%s/mps", a->state_dir);
    if (n < 0 || (size_t)n >= sizeof a->mps_dir)
        return 1;
    snprintf(dir, sizeof dir, "%s/pipe", a->mps_dir);
    mkdir(a->mps_dir, 0755);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/log", a->mps_dir);
    mkdir(dir, 0755);
    if (!control(a, "start", detail, sizeof detail)) {
        agent_log_at(a, GT_LOG_WARNING,
                     "%s -d failed (%s): shares of a GPU are accounted, not enforced", a->mps_prog,
                     detail);
        a->mps_dir[0] = 0;
        return 1;
    }
    for (uint32_t i = 0; i < a->reg.nnodes; i++)
        a->reg.nodes[i].mps = 1;
    agent_log(a, "CUDA MPS control daemon started (%s): shares of a GPU are enforced", a->mps_dir);
    return 1;
}

void agent_mps_stop(agent *a) {
    char detail[200];
    if (a->mps_dir[0] && !control(a, "quit", detail, sizeof detail))
        agent_log_at(a, GT_LOG_WARNING, "stopping the CUDA MPS daemon: %s", detail);
}
