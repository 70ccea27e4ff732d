/* SPDX-License-Identifier: MIT
 * Units on this agent: start, stop, poll, and their records on disk.
 *
 * Record of a unit: STATE/runs/JOB-UNIT-GEN-NODE/ with item.json (the start item, written
 * before any rank starts) and one folder per rank, rankN (N = the global rank, see
 * sys/proc.h for its files). Once the controller has acknowledged the exits, item.json
 * becomes acked.json; once the unit is over it moves to STATE/done/ (records.c). The
 * record's existence is what says "this was started": a start item for a unit that has a
 * record is never started again.
 *
 * The rank environment is the agent's own environment, the spec's env, and the variables
 * torchrun and MPI launchers expect (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
 * LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK, CUDA_VISIBLE_DEVICES) plus GANTRY_* names.
 *
 * A rank's stdout and stderr go to its record (rankN/stdout, rankN/stderr: `gantry logs`),
 * or, when the job has `output` / `error` patterns (core/logpath.h, sbatch's --output and
 * --error), to the files they name for that rank, opened with the job's identity. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/logpath.h"
#include "sys/clock.h"
#include "sys/readfile.h"
#include "util/strbuf.h"
#include "util/vec.h"

extern char **environ;

static int write_text(const char *path, const char *text) {
    char tmp[1024];
    if (!agent_path(tmp, sizeof tmp, "%s.tmp", path))
        return 0;
    /* No fsync: the record guards against an agent restart (the page cache has it); after
     * a machine crash no rank survives anyway, and the controller's journal is what
     * decides. */
    return gt_file_write_atomic(tmp, path, text, strlen(text)) == 0;
}

/* A new unit of start message m, which it takes (*m is zeroed). NULL when out of memory
 * (m is freed then). */
static a_unit *unit_new(agent *a, gt_proto_start *m) {
    a_unit *u = calloc(1, sizeof *u);
    if (!u || !(u->ranks = calloc(m->nranks, sizeof *u->ranks)) ||
        !gt_vec_reserve((void **)&a->units, &a->cap, a->nunits + 1, sizeof *a->units)) {
        if (u)
            free(u->ranks);
        free(u);
        gt_proto_start_free(m);
        return NULL;
    }
    u->start = *m;
    memset(m, 0, sizeof *m);
    const gt_proto_start *s = &u->start;
    u->job = s->job;
    u->unit = s->unit;
    u->gen = s->gen;
    snprintf(u->node, sizeof u->node, "%s", s->node);
    agent_path(u->dir, sizeof u->dir, "%s/runs/%u-%u-%u-%s", a->o.state_dir, u->job, u->unit,
               u->gen, u->node);
    u->nranks = (int)s->nranks;
    u->started_ms = agent_clock(a);
    u->end_ms = a->o.emulate && s->launch.duration_ms >= 0 ? u->started_ms + s->launch.duration_ms
                                                           : INT64_MAX;
    u->limit_ms = s->launch.time_limit_ms > 0 ? u->started_ms + s->launch.time_limit_ms : INT64_MAX;
    u->grace_ms = s->launch.grace_ms >= 0 ? s->launch.grace_ms : 10000;
    a->units[a->nunits++] = u;
    agent_unit_index_add(a, u);
    return u;
}

/* ---- environment ---- */

typedef struct {
    char **v;
    size_t n, cap;
} envv;

static void env_set(envv *e, const char *k, const char *val) {
    size_t kl = strlen(k);
    for (size_t i = 0; i < e->n; i++)
        if (!strncmp(e->v[i], k, kl) && e->v[i][kl] == '=') {
            free(e->v[i]);
            e->v[i] = NULL;
            if (asprintf(&e->v[i], "%s=%s", k, val) < 0)
                e->v[i] = strdup("GANTRY_ENV_OOM=1");
            return;
        }
    if (!gt_vec_reserve((void **)&e->v, &e->cap, e->n + 2, sizeof *e->v))
        return;
    if (asprintf(&e->v[e->n], "%s=%s", k, val) >= 0)
        e->v[++e->n] = NULL;
}

static void env_setn(envv *e, const char *k, long long x) {
    char b[32];
    snprintf(b, sizeof b, "%lld", x);
    env_set(e, k, b);
}

static void env_free(envv *e) {
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i]);
    free(e->v);
}

/* PORT and GANTRY_PORT: the first port; GANTRY_PORTS: all, "http=20001,metrics=20002";
 * GANTRY_PORT_<NAME>: each by name (upper case, '-' as '_'). */
static void port_env(envv *e, const a_unit *u) {
    if (!u->nports)
        return;
    char list[GT_PROTO_MAX_PORTS * 24], key[40];
    env_setn(e, "PORT", u->ports[0].port);
    env_setn(e, "GANTRY_PORT", u->ports[0].port);
    agent_ports_list(u, list, sizeof list);
    env_set(e, "GANTRY_PORTS", list);
    for (uint32_t i = 0; i < u->nports; i++) {
        int n = snprintf(key, sizeof key, "GANTRY_PORT_%s", u->ports[i].name);
        for (int k = 12; k < n; k++)
            key[k] =
                key[k] == '-' ? '_' : (char)(key[k] >= 'a' && key[k] <= 'z' ? key[k] - 32 : key[k]);
        env_setn(e, key, u->ports[i].port);
    }
}

/* A share of one GPU (mps.c says what each variable is for). */
static void share_env(envv *e, const gt_proto_start *s, const char *mps_dir) {
    if (!s->gpu_milli && !s->gpu_memory_mb)
        return;
    char v[4300];
    if (s->gpu_milli)
        env_setn(e, "GANTRY_GPU_MILLI", s->gpu_milli);
    if (s->gpu_memory_mb)
        env_setn(e, "GANTRY_GPU_MEMORY_MB", s->gpu_memory_mb);
    env_set(e, "GANTRY_GPU_SHARING", mps_dir[0] ? "mps" : "accounted");
    if (!mps_dir[0])
        return;
    snprintf(v, sizeof v, "%s/pipe", mps_dir);
    env_set(e, "CUDA_MPS_PIPE_DIRECTORY", v);
    snprintf(v, sizeof v, "%s/log", mps_dir);
    env_set(e, "CUDA_MPS_LOG_DIRECTORY", v);
    if (s->gpu_milli > 1 || !s->gpu_memory_mb) /* 1 with memory: a share of memory only */
        env_setn(e, "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", (s->gpu_milli + 9) / 10);
    if (s->gpu_memory_mb) {
        snprintf(v, sizeof v, "0=%lldM", (long long)s->gpu_memory_mb);
        env_set(e, "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", v);
    }
}

static void rank_env(envv *e, const agent *a, const gt_proto_start *s, const gt_proto_rank *rank,
                     const char *hostfile, const char *progress) {
    for (char **p = environ; *p; p++) {
        char *eq = strchr(*p, '=');
        if (eq && strncmp(*p, "GANTRY_", 7)) {
            char k[256];
            snprintf(k, sizeof k, "%.*s", (int)(eq - *p), *p);
            env_set(e, k, eq + 1);
        }
    }
    const gt_proto_launch *l = &s->launch;
    for (uint32_t i = 0; i < l->nenv; i++)
        env_set(e, l->env[i].key, l->env[i].value);
    char gpus[64 * 40] = "";
    size_t len = 0;
    for (int b = 0; b < GT_PROTO_MAX_GPUS; b++)
        if (rank->gpus >> b & 1) {
            const char *uuid = b < 64 ? a->gpu_uuid[b] : "";
            len += uuid[0] ? (size_t)snprintf(gpus + len, len < sizeof gpus ? sizeof gpus - len : 0,
                                              "%s%s", len ? "," : "", uuid)
                           : (size_t)snprintf(gpus + len, len < sizeof gpus ? sizeof gpus - len : 0,
                                              "%s%d", len ? "," : "", b);
        }
    env_set(e, "CUDA_VISIBLE_DEVICES", gpus);
    env_set(e, "CUDA_DEVICE_ORDER", "PCI_BUS_ID"); /* CUDA's numbers = NVML's = ours */
    env_set(e, "MASTER_ADDR", s->master_addr);
    env_setn(e, "MASTER_PORT", s->master_port);
    env_setn(e, "WORLD_SIZE", s->world_size);
    env_setn(e, "RANK", rank->rank);
    env_setn(e, "LOCAL_RANK", rank->local_rank);
    env_setn(e, "LOCAL_WORLD_SIZE", s->local_world_size);
    env_setn(e, "NODE_RANK", s->node_rank);
    env_setn(e, "OMP_NUM_THREADS", rank->cpus > 0 ? rank->cpus : 1);
    env_setn(e, "GANTRY_JOB_ID", s->job);
    env_setn(e, "GANTRY_UNIT", s->unit);
    env_setn(e, "GANTRY_RESTART_COUNT", s->restarts);
    env_setn(e, "GANTRY_RANK", rank->rank);
    env_setn(e, "GANTRY_WORLD_SIZE", s->world_size);
    env_setn(e, "GANTRY_NNODES", s->nnodes);
    env_set(e, "GANTRY_NODE", s->node);
    if (s->nhosts)
        env_set(e, "GANTRY_HOSTFILE", hostfile);
    if (progress[0])
        env_set(e, "GANTRY_PROGRESS_FILE", progress);
    env_set(e, "GANTRY_JOB_NAME", l->name);
    if (!strcmp(l->kind, "tasks"))
        env_setn(e, "GANTRY_TASK_ID", s->unit);
}

/* ---- start ---- */

/* A rank's --output / --error file (core/logpath.h): the pattern for this rank, taken from
 * the job's workdir when relative; NULL when the job names none or it does not fit. */
static const char *log_file(const char *pat, const a_unit *u, const gt_proto_rank *rank, char *out,
                            size_t size) {
    char path[GT_LOG_PATTERN_MAX];
    const char *wd = u->start.launch.workdir;
    if (!pat ||
        gt_log_pattern_expand(pat, u->start.job, rank->rank, u->start.unit, path, sizeof path))
        return NULL;
    int n = path[0] == '/' || !wd ? snprintf(out, size, "%s", path)
                                  : snprintf(out, size, "%s/%s", wd, path);
    return n > 0 && (size_t)n < size ? out : NULL;
}

static void rank_failed(a_rank *r, const char *why) {
    agent_rank_to(r, AGENT_RANK_ENDED);
    r->st.exit_code = 127;
    snprintf(r->st.reason, sizeof r->st.reason, "%s", why);
}

static void start_rank(agent *a, a_unit *u, int k) {
    const gt_proto_rank *rank = &u->start.ranks[k];
    const gt_proto_launch *l = &u->start.launch;
    const char **argv = calloc(l->argc + 1, sizeof *argv);
    envv e = {0};
    if (!argv || l->argc == 0) {
        rank_failed(&u->ranks[k], l->argc ? "out of memory" : "the job has no command");
        free(argv);
        return;
    }
    for (uint32_t i = 0; i < l->argc; i++)
        argv[i] = l->argv[i];
    char out[2 * GT_LOG_PATTERN_MAX], errf[2 * GT_LOG_PATTERN_MAX];
    const char *outp = log_file(l->output, u, rank, out, sizeof out);
    const char *errp = log_file(l->error, u, rank, errf, sizeof errf);
    if ((l->output && !outp) || (l->error && !errp)) {
        rank_failed(&u->ranks[k], "the output or error file's name is too long");
        free(argv);
        return;
    }
    char dir[600], hostfile[600];
    agent_path(hostfile, sizeof hostfile, "%s/hostfile", u->dir);
    rank_env(&e, a, &u->start, rank, hostfile, u->progress);
    port_env(&e, u);
    share_env(&e, &u->start, a->mps_dir);
    agent_path(dir, sizeof dir, "%s/rank%u", u->dir, rank->rank);
    char cgpaths[GT_CG_MAX_DIRS][GT_CG_PATH + 208];
    const char *cgroups[GT_CG_MAX_DIRS + 1];
    agent_isolate_join_list(a, u, rank, cgpaths, cgroups);
    gt_proc_spec ps = {.argv = argv,
                       .envp = (const char *const *)e.v,
                       .workdir = l->workdir,
                       .dir = dir,
                       .stdout_path = outp,
                       .stderr_path = errp,
                       .set_ids = u->set_ids,
                       .uid = u->uid,
                       .gid = u->gid,
                       .groups = u->groups,
                       .ngroups = u->ngroups,
                       .cgroups = cgroups,
                       .shim = a->shim[0] ? a->shim : NULL};
    gt_error err = {0};
    if (agent_procs(a)->spawn(&ps, &u->ranks[k].proc, &err)) {
        rank_failed(&u->ranks[k], err.msg);
    } else {
        u->ranks[k].started = 1;
        agent_rank_to(&u->ranks[k], AGENT_RANK_RUNNING);
        agent_events_started(a, u, rank->rank, u->ranks[k].proc.pid);
    }
    env_free(&e);
    free(argv);
}

/* A unit that was stopped (or ended) whose processes or cgroup are not gone yet: the
 * resources the controller gave to a new unit may still be in use. */
static int unit_ended(const a_unit *u) {
    for (int k = 0; k < u->nranks; k++)
        if (!agent_rank_ended(&u->ranks[k]))
            return 0;
    return 1;
}

static int releasing(const a_unit *u) {
    int ended = unit_ended(u);
    return (u->stopping && !ended) || (ended && u->has_cg);
}

static int node_busy(agent *a, const char *node) {
    for (size_t i = 0; i < a->nunits; i++)
        if (!strcmp(a->units[i]->node, node) && releasing(a->units[i]))
            return 1;
    return 0;
}

/* The MPI hostfile: "HOST slots=N" per node in node-rank order, readable by the job. */
static int write_hostfile(a_unit *u, const char *path) {
    gt_sb b;
    gt_sb_init(&b);
    for (uint32_t i = 0; i < u->start.nhosts; i++)
        gt_sb_printf(&b, "%s slots=%u\n", u->start.hosts[i].host, u->start.hosts[i].slots);
    int ok = !b.oom && write_text(path, gt_sb_str(&b));
    gt_sb_free(&b);
    if (ok && u->set_ids && chown(path, u->uid, u->gid) != 0)
        ok = 0;
    return ok;
}

/* The file a unit with "progress" touches: the spec's (from the job's workdir when
 * relative), else one of the agent's in the unit's folder, made for the job's user. 0 when
 * it cannot be. */
static int progress_setup(a_unit *u) {
    const gt_proto_launch *l = &u->start.launch;
    u->progress[0] = 0;
    if (l->progress_ms <= 0)
        return 1;
    int n;
    if (l->progress_file)
        n = l->progress_file[0] == '/' || !l->workdir
                ? snprintf(u->progress, sizeof u->progress, "%s", l->progress_file)
                : snprintf(u->progress, sizeof u->progress, "%s/%s", l->workdir, l->progress_file);
    else
        n = snprintf(u->progress, sizeof u->progress, "%s/progress", u->dir);
    if (n <= 0 || (size_t)n >= sizeof u->progress)
        return 0;
    if (!l->progress_file &&
        (!write_text(u->progress, "") || (u->set_ids && chown(u->progress, u->uid, u->gid))))
        return 0;
    return 1;
}

/* Set the unit up (its record, cgroup and identity) and start its ranks. */
static void start_unit(agent *a, a_unit *u) {
    char path[700], why[400] = "", *text = gt_proto_start_encode(&u->start);
    mkdir(u->dir, 0711); /* the job may read its hostfile, not list the folder */
    agent_path(path, sizeof path, "%s/item.json", u->dir);
    const char *name = strrchr(u->dir, '/') + 1;
    if (!text || !write_text(path, text))
        snprintf(why, sizeof why, "CANNOT_START: cannot write the unit's record");
    else if (!agent_isolate_unit(a, u, name, why, sizeof why))
        ;
    else if (agent_path(path, sizeof path, "%s/hostfile", u->dir), !write_hostfile(u, path))
        snprintf(why, sizeof why, "CANNOT_START: cannot write the hostfile");
    else if (!agent_ports_assign(a, u, why, sizeof why))
        ;
    else if (!agent_ports_save(u))
        snprintf(why, sizeof why, "CANNOT_START: cannot write the unit's ports");
    else if (!progress_setup(u))
        snprintf(why, sizeof why, "CANNOT_START: cannot make the unit's progress file");
    free(text);
    int64_t now = agent_clock(a);
    agent_probe_init(&u->probes[0], &u->start.launch.readiness, now);
    agent_probe_init(&u->probes[1], &u->start.launch.liveness, now);
    for (int k = 0; k < u->nranks; k++) {
        if (why[0])
            rank_failed(&u->ranks[k], why);
        else
            start_rank(a, u, k);
    }
    if (why[0])
        agent_log_at(a, GT_LOG_WARNING, "job %u unit %u on %s: %s", u->job, u->unit, u->node, why);
}

/* Keep m (taken) until the node is free of stopped units. */
static void defer(agent *a, gt_proto_start *m) {
    for (size_t i = 0; i < a->ndeferred; i++)
        if (gt_proto_same_unit(m->job, m->unit, m->gen, m->node, &a->deferred[i])) {
            gt_proto_start_free(m);
            return;
        }
    if (!gt_vec_reserve((void **)&a->deferred, &a->deferred_cap, a->ndeferred + 1,
                        sizeof *a->deferred)) {
        agent_log_at(a, GT_LOG_ERR, "out of memory: job %u unit %u cannot wait for its node",
                     m->job, m->unit);
        gt_proto_start_free(m);
        return;
    }
    a->deferred[a->ndeferred++] = *m;
    memset(m, 0, sizeof *m);
}

void agent_unit_start(agent *a, gt_proto_start *m) {
    uint32_t job = m->job, unit = m->unit, gen = m->gen;
    char node[128];
    snprintf(node, sizeof node, "%s", m->node);
    if (agent_unit_find(a, job, unit, gen, node)) {
        gt_proto_start_free(m);
        return;
    }
    if (!a->o.emulate && node_busy(a, node)) {
        defer(a, m);
        agent_log(a, "job %u unit %u waits: a stopped unit on %s still has processes", job, unit,
                  node);
        return;
    }
    char name[200];
    snprintf(name, sizeof name, "%u-%u-%u-%s", job, unit, gen, node);
    if (agent_records_started(a, name)) {
        gt_proto_start_free(m);
        return; /* started before (its record is there): never twice */
    }
    a_unit *u = unit_new(a, m);
    if (!u) {
        agent_log_at(a, GT_LOG_ERR, "cannot start job %u unit %u: out of memory", job, unit);
        return;
    }
    if (a->o.emulate)
        return;
    start_unit(a, u);
    agent_log(a, "started job %u unit %u gen %u on %s (%d rank(s))", job, unit, gen, node,
              u->nranks);
}

void agent_unit_stop(agent *a, a_unit *u, int64_t grace_ms) {
    int64_t now = agent_clock(a);
    if (!u->stopping)
        u->stopping = 1;
    for (int k = 0; k < u->nranks; k++) {
        a_rank *r = &u->ranks[k];
        if (agent_rank_ended(r))
            continue;
        if (a->o.emulate || !r->started) {
            agent_rank_to(r, AGENT_RANK_ENDED);
            r->st.signal = SIGTERM;
        } else {
            agent_procs(a)->stop(&r->proc, grace_ms, now);
        }
    }
}

/* ---- poll ---- */

/* Why a rank ended, for people and scripts: a stable cause first (TIMEOUT, OUT_OF_MEMORY,
 * CANNOT_START), then the details. "" for a plain exit code or signal. */
static void exit_reason(const a_unit *u, const a_rank *r, char *out, size_t len) {
    if (u->fenced)
        snprintf(out, len, "FENCED: its node lost the controller for longer than its lease");
    else if (u->hung)
        snprintf(out, len, "HUNG: no progress for %g s (%.300s was not touched)",
                 (double)u->start.launch.progress_ms / 1000.0, u->progress);
    else if (u->live_failed)
        snprintf(out, len, "LIVENESS: its liveness probe failed %u time(s) in a row: %s",
                 u->probes[1].fails, u->probes[1].detail);
    else if (u->timed_out)
        snprintf(out, len, "TIMEOUT: ran past its time limit of %g s",
                 (double)u->start.launch.time_limit_ms / 1000.0);
    else if (u->oom)
        snprintf(out, len, "OUT_OF_MEMORY: went over its memory limit of %lld MiB on %s",
                 (long long)u->start.launch.memory_mb, u->node);
    else if (r->st.reason[0] && strncmp(r->st.reason, "CANNOT_START: ", 14) &&
             strncmp(r->st.reason, "lost: ", 6))
        snprintf(out, len, "CANNOT_START: %s", r->st.reason);
    else
        snprintf(out, len, "%s", r->st.reason);
}

/* One exit event for rank k, standing for `count` ranks of this unit on this node. */
static void queue_exit(agent *a, a_unit *u, int k, int count) {
    char reason[400];
    exit_reason(u, &u->ranks[k], reason, sizeof reason);
    agent_events_exited(a, u, u->start.ranks[k].rank, &u->ranks[k].st, reason, count);
}

static int rank_failed_run(const a_rank *r) {
    return r->st.exit_code != 0 || r->st.signal != 0;
}

/* Report exits: one event for all of the unit's ranks on this node once they have all
 * ended well (a node of 8 ranks makes one journal entry, not 8); a failure at once, rank
 * by rank, so the controller can stop the rest of the gang. */
static void report_exits(agent *a, a_unit *u) {
    int unreported = 0, all_ended = 1, bad = u->timed_out, first = -1;
    for (int k = 0; k < u->nranks; k++) {
        a_rank *r = &u->ranks[k];
        all_ended &= agent_rank_ended(r);
        if (r->state == AGENT_RANK_ENDED) {
            unreported++;
            bad |= rank_failed_run(r);
            first = first < 0 ? k : first;
        }
    }
    if (!unreported || (!bad && !all_ended))
        return;
    if (bad && !u->oom && agent_isolate_oom(u))
        u->oom = 1;
    for (int k = 0; k < u->nranks; k++) {
        a_rank *r = &u->ranks[k];
        if (r->state != AGENT_RANK_ENDED)
            continue;
        if (bad)
            queue_exit(a, u, k, 1);
        agent_rank_to(r, AGENT_RANK_QUEUED);
    }
    if (!bad)
        queue_exit(a, u, first, unreported);
}

/* A unit with "progress" whose file was not touched for its timeout (counted from its
 * start while the file is older or missing) is hung: stopped with its grace, a failure. A
 * look a second. */
static void watch_progress(agent *a, a_unit *u, int64_t now) {
    int64_t limit = u->start.launch.progress_ms;
    if (!u->progress[0] || u->stopping || now < u->progress_next || a->o.emulate)
        return;
    u->progress_next = now + 1000;
    if (now - u->started_ms < limit)
        return;
    struct stat st;
    int64_t idle_ms = stat(u->progress, &st)
                          ? INT64_MAX
                          : gt_clock_wall_ms() -
                                ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    if (idle_ms < limit)
        return;
    u->hung = 1;
    pthread_mutex_lock(&a->mu);
    a->stats.hung_total++;
    pthread_mutex_unlock(&a->mu);
    agent_log_at(a, GT_LOG_WARNING,
                 "job %u unit %u on %s: hung: %s not touched for %g s; stopping it", u->job,
                 u->unit, u->node, u->progress, (double)limit / 1000.0);
    agent_unit_stop(a, u, u->grace_ms);
}

static void tick_unit(agent *a, a_unit *u, int64_t now) {
    if (now >= u->limit_ms && !u->stopping) {
        u->timed_out = 1;
        agent_unit_stop(a, u, u->grace_ms);
    }
    watch_progress(a, u, now);
    for (int k = 0; k < u->nranks; k++) {
        a_rank *r = &u->ranks[k];
        if (!agent_rank_ended(r) && a->o.emulate && now >= u->end_ms)
            agent_rank_to(r, AGENT_RANK_ENDED);
        if (!agent_rank_ended(r) && r->started) {
            if (agent_procs(a)->poll(&r->proc, &r->st))
                agent_rank_to(r, AGENT_RANK_ENDED);
            else
                agent_procs(a)->tick(&r->proc, now);
        }
    }
    report_exits(a, u);
}

void agent_units_tick(agent *a) {
    int64_t now = agent_clock(a);
    for (size_t i = 0; i < a->nunits; i++)
        tick_unit(a, a->units[i], now);
    for (size_t i = 0; i < a->nunits; i++)
        if (a->units[i]->has_cg && unit_ended(a->units[i]))
            agent_isolate_end(a, a->units[i]);
}

void agent_units_start_deferred(agent *a) {
    if (!a->ndeferred)
        return;
    gt_proto_start *d = a->deferred;
    size_t n = a->ndeferred;
    a->deferred = NULL;
    a->ndeferred = a->deferred_cap = 0;
    for (size_t i = 0; i < n; i++)
        agent_unit_start(a, &d[i]);
    free(d);
}

int agent_units_releasing(agent *a) {
    for (size_t i = 0; i < a->nunits; i++)
        if (a->units[i]->has_cg && unit_ended(a->units[i]))
            return 1;
    return 0;
}

void agent_units_gc(agent *a) {
    size_t w = 0;
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        int all = !u->has_cg;
        for (int k = 0; k < u->nranks && all; k++)
            all = u->ranks[k].state == AGENT_RANK_ACKED;
        if (!all) {
            a->units[w++] = u;
            continue;
        }
        agent_records_finish(a, u);
        for (int k = 0; k < u->nranks; k++)
            if (u->ranks[k].started)
                agent_procs(a)->free(&u->ranks[k].proc);
        gt_proto_start_free(&u->start);
        agent_isolate_free(u);
        free(u->ranks);
        free(u);
    }
    if (w != a->nunits) {
        a->nunits = w;
        agent_unit_index_rebuild(a);
    }
}

static void drop_deferred(agent *a) {
    for (size_t i = 0; i < a->ndeferred; i++)
        gt_proto_start_free(&a->deferred[i]);
    free(a->deferred);
    a->deferred = NULL;
    a->ndeferred = a->deferred_cap = 0;
}

void agent_units_free(agent *a) {
    for (size_t i = 0; i < a->nunits; i++) {
        a_unit *u = a->units[i];
        for (int k = 0; k < u->nranks; k++)
            if (u->ranks[k].started)
                agent_procs(a)->free(&u->ranks[k].proc);
        gt_proto_start_free(&u->start);
        agent_isolate_free(u);
        free(u->ranks);
        free(u);
    }
    free(a->units);
    a->units = NULL;
    a->nunits = a->cap = 0;
    agent_unit_index_free(a);
    drop_deferred(a);
}

/* ---- records after a restart ---- */

/* The start item in a unit's record (item.json, or acked.json once every exit was
 * acknowledged), into *m; 0 when there is none that decodes (logged). */
static int read_record(agent *a, const char *name, gt_proto_start *m, int *acked) {
    char path[700];
    gt_error err = {0};
    size_t len = 0;
    char *text = NULL;
    *acked = 0;
    if (agent_path(path, sizeof path, "%s/runs/%s/item.json", a->o.state_dir, name))
        text = gt_file_read(path, 64 << 20, &len, &err);
    if (!text && agent_path(path, sizeof path, "%s/runs/%s/acked.json", a->o.state_dir, name))
        *acked = (text = gt_file_read(path, 64 << 20, &len, &err)) != NULL;
    gt_proto_item it = {0};
    if (!text || gt_proto_item_decode(text, len, &it, &err) || it.kind != GT_PROTO_ITEM_START) {
        if (text)
            agent_log_at(a, GT_LOG_WARNING, "%s: not a start item (%s: %s); not adopted", path,
                         err.where, err.msg[0] ? err.msg : "a stop");
        gt_proto_item_free(&it);
        free(text);
        return 0;
    }
    free(text);
    *m = it.start;
    return 1;
}

static void adopt_unit(agent *a, const char *name) {
    gt_proto_start m;
    int acked; /* every exit acknowledged: only its cgroup may be left to remove */
    a_unit *u = read_record(a, name, &m, &acked) ? unit_new(a, &m) : NULL;
    if (!u)
        return;
    agent_isolate_adopt(a, u, name);
    agent_ports_load(u);
    agent_probe_init(&u->probes[0], &u->start.launch.readiness, agent_clock(a));
    agent_probe_init(&u->probes[1], &u->start.launch.liveness, agent_clock(a));
    for (int k = 0; k < u->nranks; k++) {
        char dir[700], rep[720];
        agent_path(dir, sizeof dir, "%s/rank%u", u->dir, u->start.ranks[k].rank);
        agent_path(rep, sizeof rep, "%s/reported", dir);
        gt_error err;
        a_rank *r = &u->ranks[k];
        if (agent_procs(a)->adopt(dir, &r->proc, &err) == GT_E_OK) {
            r->started = 1;
            agent_rank_to(r, AGENT_RANK_RUNNING);
        } else {
            rank_failed(r, "lost: the rank never started");
        }
        if (acked || access(rep, F_OK) == 0) {
            agent_rank_to(r, AGENT_RANK_ACKED);
            r->marked = 1;
        }
    }
}

void agent_units_adopt(agent *a) {
    char path[600];
    agent_path(path, sizeof path, "%s/runs", a->o.state_dir);
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.')
            adopt_unit(a, de->d_name);
    closedir(d);
    agent_units_gc(a);
    if (a->nunits)
        agent_log(a, "adopted %zu unit(s) from %s", a->nunits, path);
}

void agent_units_drop_deferred(agent *a, const gt_proto_stop *stop) {
    size_t w = 0;
    for (size_t i = 0; i < a->ndeferred; i++) {
        if (gt_proto_same_unit(stop->job, stop->unit, stop->gen, stop->node, &a->deferred[i]))
            gt_proto_start_free(&a->deferred[i]);
        else
            a->deferred[w++] = a->deferred[i];
    }
    a->ndeferred = w;
}

void agent_units_reconcile(agent *a, gt_proto_item *items, size_t n) {
    drop_deferred(a); /* the full set names again what must still start */
    for (size_t i = 0; i < a->nunits; i++)
        a->units[i]->kept = 0;
    for (size_t k = 0; k < n; k++) { /* through the index: an emulating agent has 100,000 */
        const gt_proto_start *s = &items[k].start;
        a_unit *u = items[k].kind == GT_PROTO_ITEM_START && s->node
                        ? agent_unit_find(a, s->job, s->unit, s->gen, s->node)
                        : NULL;
        if (u)
            u->kept = 1;
    }
    for (size_t i = 0; i < a->nunits; i++)
        if (!a->units[i]->kept && !a->units[i]->stopping)
            agent_unit_stop(a, a->units[i], a->units[i]->grace_ms);
    for (size_t k = 0; k < n; k++)
        if (items[k].kind == GT_PROTO_ITEM_START)
            agent_unit_start(a, &items[k].start);
}
