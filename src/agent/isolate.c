/* SPDX-License-Identifier: MIT
 * What keeps a unit's ranks apart from other jobs on this node:
 *  - its cgroup (sys/cgroup.h): CPU quota for the unit's cores, a CPU set of that many
 *    cores picked for it alone, its memory limit, its pids limit, and (v1) no access to
 *    the node's other GPUs' device nodes;
 *  - its identity: ranks run as the job's user (the item's `user`, else the agent's
 *    --job-user), never as root, when the agent runs as root. An agent that is not root
 *    runs ranks as itself and refuses a job naming another user.
 * A unit whose cgroup or identity cannot be set up does not start: every rank ends at once
 * with a CANNOT_START reason. When the unit's ranks have all ended, what is left in its
 * cgroup is killed and the cgroup removed. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "util/crc32.h"

#define NVIDIA_MAJOR 195

void agent_isolate_setup(agent *a) {
    a->is_root = geteuid() == 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && c < AGENT_MAX_CPUS; c++)
            a->core_ok[c] = (unsigned char)CPU_ISSET(c, &set);
    gt_error err = {0};
    char what[128];
    if (a->o.emulate || a->o.no_cgroups || !a->is_root) {
        a->cg_on = 0;
        agent_log(a, "isolation: no cgroups (%s)",
                  a->o.emulate      ? "emulated nodes"
                  : a->o.no_cgroups ? "--no-cgroups"
                                    : "the agent is not root");
    } else if (gt_cg_detect(&a->cg, a->o.cgroup_mounts, a->o.cgroup_parent, &err)) {
        a->cg_on = 0;
        agent_log_at(a, GT_LOG_WARNING, "isolation: no cgroups: %s", err.msg);
    } else {
        a->cg_on = gt_cg_any(&a->cg);
        agent_log(a, "isolation: cgroups %s", gt_cg_describe(&a->cg, what, sizeof what));
    }
    if (!a->o.emulate)
        agent_log(a, "ranks run as %s",
                  a->is_root ? "the job's user (never root)" : "this agent's user");
}

/* ---- identity ---- */

static int lookup(const char *name, struct passwd *pw, char *buf, size_t len) {
    struct passwd *res = NULL;
    char *end;
    long id = strtol(name, &end, 10);
    if (*name && !*end && id >= 0)
        getpwuid_r((uid_t)id, pw, buf, len, &res);
    else
        getpwnam_r(name, pw, buf, len, &res);
    return res != NULL;
}

static int identity(agent *a, a_unit *u, char *why, size_t len) {
    const char *named = u->start.launch.user;
    if (!a->is_root) {
        if (!named)
            return 1;
        struct passwd pw;
        char buf[4096];
        if (lookup(named, &pw, buf, sizeof buf) && pw.pw_uid == geteuid())
            return 1;
        snprintf(why, len,
                 "CANNOT_START: the agent on %s runs as uid %u and cannot run a job as user '%s'",
                 u->node, (unsigned)geteuid(), named);
        return 0;
    }
    const char *name = named ? named : a->o.job_user;
    struct passwd pw;
    char buf[4096];
    if (!lookup(name, &pw, buf, sizeof buf)) {
        snprintf(why, len, "CANNOT_START: user '%s' does not exist on node %s", name, u->node);
        return 0;
    }
    if (pw.pw_uid == 0 || pw.pw_gid == 0) {
        snprintf(why, len, "CANNOT_START: jobs never run as root or group root (user '%s')", name);
        return 0;
    }
    u->set_ids = 1;
    u->uid = pw.pw_uid;
    u->gid = pw.pw_gid;
    u->ngroups = (int)(sizeof u->groups / sizeof u->groups[0]);
    if (getgrouplist(pw.pw_name, pw.pw_gid, u->groups, &u->ngroups) < 0)
        u->ngroups = 1, u->groups[0] = pw.pw_gid; /* too many: the primary group only */
    for (int i = 0; i < u->ngroups; i++)
        if (u->groups[i] == 0) {
            snprintf(why, len, "CANNOT_START: user '%s' is in group root", name);
            return 0;
        }
    return 1;
}

/* ---- cores ---- */

static void isolate_mark_cores(agent *a, const char *list, int used);

/* Take `want` free cores for the unit, lowest first, as a cpuset list ("0-3,8"). 0 when
 * there are not that many free (the unit then has a quota but no CPU set). */
static int take_cores(agent *a, a_unit *u, int want) {
    int got = 0;
    for (int c = 0; c < AGENT_MAX_CPUS && got < want; c++)
        got += a->core_ok[c] && !a->core_used[c];
    if (want <= 0 || got < want)
        return 0;
    char list[AGENT_MAX_CPUS * 5 + 1] = ""; /* at most 5 characters a core: "1022," */
    size_t at = 0;
    got = 0;
    for (int c = 0; c < AGENT_MAX_CPUS && got < want; c++) {
        if (!a->core_ok[c] || a->core_used[c])
            continue;
        a->core_used[c] = 1;
        int run = c;
        while (run + 1 < AGENT_MAX_CPUS && got + (run - c) + 1 < want && a->core_ok[run + 1] &&
               !a->core_used[run + 1])
            a->core_used[++run] = 1;
        got += run - c + 1;
        int n = run > c ? snprintf(list + at, sizeof list - at, "%s%d-%d", at ? "," : "", c, run)
                        : snprintf(list + at, sizeof list - at, "%s%d", at ? "," : "", c);
        at += n > 0 && (size_t)n < sizeof list - at ? (size_t)n : 0;
        c = run;
    }
    if (!(u->cpuset = strdup(list))) {
        isolate_mark_cores(a, list, 0); /* out of memory: a quota but no CPU set */
        return 0;
    }
    return 1;
}

/* Mark the cores of a cpuset list as used (1) or free (0). */
static void isolate_mark_cores(agent *a, const char *list, int used) {
    for (const char *p = list; p && *p;) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            break;
        if (*end == '-')
            hi = strtol(end + 1, &end, 10);
        for (long c = lo; c <= hi && c >= 0 && c < AGENT_MAX_CPUS; c++)
            a->core_used[c] = (unsigned char)used;
        p = *end == ',' ? end + 1 : NULL;
    }
}

/* ---- the unit's cgroup ---- */

/* The device minors of this node's GPUs outside mask, into minor[]; returns how many. */
static int gpus_outside(const agent *a, uint64_t mask, int *minor) {
    int n = 0;
    for (int k = 0; k < a->ngpus && k < 64; k++)
        if (!(mask >> k & 1))
            minor[n++] = a->gpu_minor[k];
    return n;
}

/* The GPUs of this node the unit's ranks do not hold. */
static int others_gpus(agent *a, a_unit *u, int *minor) {
    uint64_t mine = 0;
    for (uint32_t i = 0; i < u->start.nranks; i++)
        mine |= u->start.ranks[i].gpus;
    return gpus_outside(a, mine, minor);
}

/* A unit's cgroup name: its record name and the agent's own tag, a hash of its state
 * folder (the same after a restart: adoption finds it). Two agents on one machine with the
 * same --cgroup-parent (two clusters with a node "local": the demo run twice in a row, an
 * agent still stopping while the next starts) never share a unit's cgroup, so neither
 * kills what is left in the other's. */
static void cg_name(const agent *a, const char *name, char *out, size_t len) {
    uint32_t tag = gt_crc32(0, a->state_dir, strlen(a->state_dir));
    snprintf(out, len, "%s.%08x", name, tag);
}

int agent_isolate_unit(agent *a, a_unit *u, const char *name, char *why, size_t len) {
    if (!identity(a, u, why, len))
        return 0;
    if (!a->cg_on)
        return 1;
    gt_error err = {0};
    if (!(u->cg = calloc(1, sizeof *u->cg))) {
        snprintf(why, len, "CANNOT_START: out of memory");
        return 0;
    }
    char cgname[300];
    cg_name(a, name, cgname, sizeof cgname);
    if (gt_cg_unit_of(&a->cg, cgname, u->cg, &err)) {
        snprintf(why, len, "CANNOT_START: %s", err.msg);
        return 0;
    }
    int64_t cpus = u->start.cpus > 0 ? u->start.cpus : 0;
    gt_cg_limits l = {0};
    int deny[64];
    l.cpu_millis = cpus * 1000;
    if (a->cg.where[GT_CG_CPUSET] && take_cores(a, u, (int)cpus)) {
        l.cpuset = u->cpuset;
        char path[700];
        agent_path(path, sizeof path, "%s/cpuset", u->dir);
        FILE *f = fopen(path, "we");
        if (f) { /* for adoption after a restart: these cores stay taken */
            fprintf(f, "%s\n", u->cpuset);
            fclose(f);
        }
    }
    l.memory = u->start.launch.memory_mb * 1024 * 1024;
    l.pids = u->start.launch.pids_max;
    l.dev_major = NVIDIA_MAJOR;
    l.deny_minor = deny;
    l.ndeny = others_gpus(a, u, deny);
    u->has_cg = 1;
    if (gt_cg_create(&a->cg, u->cg, &l, &err)) {
        snprintf(why, len, "CANNOT_START: cgroup: %s", err.msg);
        return 0;
    }
    return 1;
}

/* The cgroup.procs files a rank joins, NULL-terminated, into paths/list: the unit's, but
 * for v1 devices its own rank folder, which also denies its siblings' GPUs (so each rank
 * can open only its own). */
void agent_isolate_join_list(agent *a, a_unit *u, const gt_proto_rank *rank,
                             char (*paths)[GT_CG_PATH + 208], const char **list) {
    int n = u->has_cg ? gt_cg_procs_files(u->cg, paths) : 0;
    for (int i = 0; i < n; i++)
        list[i] = paths[i];
    list[n] = NULL;
    if (!n || a->cg.where[GT_CG_DEVICES] != 1 || !a->ngpus)
        return;
    int deny[64], nd = gpus_outside(a, rank->gpus, deny);
    char procs[GT_CG_PATH + 208], devdir[GT_CG_PATH + 208];
    gt_error err = {0};
    int rk = (int)rank->rank;
    if (gt_cg_rank_devices(&a->cg, u->cg, rk, NVIDIA_MAJOR, deny, nd, procs, sizeof procs, &err) <=
        0) {
        if (err.msg[0])
            agent_log_at(a, GT_LOG_WARNING,
                         "job %u unit %u rank %d: %s (the unit's device rules apply)", u->job,
                         u->unit, rk, err.msg);
        return;
    }
    /* the rank's folder replaces the unit's devices folder in the list */
    snprintf(devdir, sizeof devdir, "%s", procs);
    *strrchr(devdir, '/') = 0;
    *strrchr(devdir, '/') = 0;
    for (int k = 0; k < n; k++) {
        size_t dl = strlen(devdir);
        if (!strncmp(paths[k], devdir, dl) && !strcmp(paths[k] + dl, "/cgroup.procs"))
            snprintf(paths[k], sizeof paths[k], "%s", procs);
    }
}

int agent_isolate_oom(a_unit *u) {
    return u->has_cg && gt_cg_oom_kills(u->cg) > 0;
}

int agent_isolate_end(agent *a, a_unit *u) {
    if (!u->has_cg)
        return 1;
    gt_error err = {0};
    if (gt_cg_count(u->cg) > 0) {
        gt_cg_kill(u->cg);
        return 0; /* try again on the next tick, once they are gone */
    }
    if (gt_cg_remove(u->cg, &err)) {
        agent_log_at(a, GT_LOG_WARNING, "cgroup of job %u unit %u: %s", u->job, u->unit, err.msg);
        if (err.code == GT_E_STATE)
            return 0;
    }
    isolate_mark_cores(a, u->cpuset, 0);
    free(u->cpuset);
    u->cpuset = NULL;
    u->has_cg = 0;
    return 1;
}

void agent_isolate_adopt(agent *a, a_unit *u, const char *name) {
    if (!a->cg_on || !(u->cg = calloc(1, sizeof *u->cg)))
        return;
    gt_error err = {0};
    char cgname[300];
    cg_name(a, name, cgname, sizeof cgname);
    if (gt_cg_unit_of(&a->cg, cgname, u->cg, &err)) {
        free(u->cg);
        u->cg = NULL;
        return;
    }
    u->has_cg = 1;
    char path[700];
    agent_path(path, sizeof path, "%s/cpuset", u->dir);
    FILE *f = fopen(path, "re");
    if (f) {
        char list[AGENT_MAX_CPUS * 5 + 2];
        if (fgets(list, sizeof list, f)) {
            list[strcspn(list, "\n")] = 0;
            u->cpuset = strdup(list);
        }
        fclose(f);
        isolate_mark_cores(a, u->cpuset, 1);
    }
}

void agent_isolate_free(a_unit *u) {
    free(u->cg);
    u->cg = NULL;
    free(u->cpuset);
    u->cpuset = NULL;
}
