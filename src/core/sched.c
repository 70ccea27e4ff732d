/* SPDX-License-Identifier: MIT
 * The scheduler's lifecycle, events and read access. The pass itself is in pass.c, queue
 * order in queue.c, running units in units.c, reservations in resv.c, preemption in
 * preempt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/vec.h"

static const gt_policy policies[] = {
    {"fifo", GT_ORDER_FIFO, 0, 0, GT_PLACE_FIRSTFIT},
    {"fifo-bf", GT_ORDER_FIFO, 1, 0, GT_PLACE_FIRSTFIT},
    {"gantry", GT_ORDER_FAIRSHARE, 1, 1, GT_PLACE_BESTFIT},
    {"gantry-firstfit", GT_ORDER_FAIRSHARE, 1, 1, GT_PLACE_FIRSTFIT},
    {"gantry-nopreempt", GT_ORDER_FAIRSHARE, 1, 0, GT_PLACE_BESTFIT},
};

int gt_policy_by_name(const char *name, gt_policy *out) {
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        if (!strcmp(policies[i].name, name)) {
            *out = policies[i];
            return 1;
        }
    return 0;
}

const char *gt_policy_names(void) {
    return "fifo, fifo-bf, gantry, gantry-firstfit, gantry-nopreempt";
}

/* ---- shapes: identical requests share an id so a pass can skip ones that failed ---- */

static uint64_t shape_hash(const gt_shape *sh) {
    const int64_t f[] = {sh->nodes,        sh->gpus_per_node, sh->cpus_per_node,
                         sh->mem_per_node, sh->model,         sh->max_level,
                         sh->models,       sh->gpu_milli,     sh->gpu_mem};
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        h = (h ^ (uint64_t)f[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static int shape_eq(const gt_shape *a, const gt_shape *b) {
    return a->nodes == b->nodes && a->gpus_per_node == b->gpus_per_node &&
           a->cpus_per_node == b->cpus_per_node && a->mem_per_node == b->mem_per_node &&
           a->model == b->model && a->max_level == b->max_level && a->models == b->models &&
           a->gpu_milli == b->gpu_milli && a->gpu_mem == b->gpu_mem;
}

static int shape_rehash(gt_sched *s, uint32_t cap) {
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return 0;
    for (uint32_t i = 0; i < s->nshapes; i++) {
        uint32_t at = (uint32_t)shape_hash(&s->shapes[i].shape) & (cap - 1);
        while (h[at])
            at = (at + 1) & (cap - 1);
        h[at] = i + 1;
    }
    free(s->shape_hash);
    s->shape_hash = h;
    s->shape_hash_cap = cap;
    return 1;
}

static uint32_t shape_intern(gt_sched *s, const gt_shape *sh) {
    uint32_t cap = s->shape_hash_cap;
    for (uint32_t at = (uint32_t)shape_hash(sh) & (cap - 1); s->shape_hash[at];
         at = (at + 1) & (cap - 1))
        if (shape_eq(&s->shapes[s->shape_hash[at] - 1].shape, sh))
            return s->shape_hash[at] - 1;
    if (!gt_vec_reserve32((void **)&s->shapes, &s->shapes_cap, (size_t)s->nshapes + 1,
                          sizeof *s->shapes, 64))
        return GT_NONE;
    shape_t *x = &s->shapes[s->nshapes++];
    memset(x, 0, sizeof *x);
    x->shape = *sh;
    if (s->nshapes * 2 > s->shape_hash_cap)
        return shape_rehash(s, s->shape_hash_cap * 2) ? s->nshapes - 1 : GT_NONE;
    uint32_t at = (uint32_t)shape_hash(sh) & (s->shape_hash_cap - 1);
    while (s->shape_hash[at])
        at = (at + 1) & (s->shape_hash_cap - 1);
    s->shape_hash[at] = s->nshapes;
    return s->nshapes - 1;
}

void core_shape_ref(gt_sched *s, uint32_t id, int delta) {
    shape_t *x = &s->shapes[id];
    int gpu = x->shape.gpus_per_node > 0;
    int failed = x->failed_pass == s->pass_no;
    if (x->refs == 0 && delta > 0) {
        s->live_shapes++;
        s->live_gpu_shapes += gpu;
        s->failed_shapes += failed;
        s->failed_gpu_shapes += failed && gpu;
    }
    x->refs = (uint32_t)((int64_t)x->refs + delta);
    if (x->refs == 0) {
        s->live_shapes--;
        s->live_gpu_shapes -= gpu;
        s->failed_shapes -= failed;
        s->failed_gpu_shapes -= failed && gpu;
    }
}

int core_shape_failed(const gt_sched *s, uint32_t id) {
    return s->shapes[id].failed_pass == s->pass_no;
}

void core_shape_mark_failed(gt_sched *s, uint32_t id) {
    shape_t *x = &s->shapes[id];
    if (x->failed_pass == s->pass_no)
        return;
    x->failed_pass = s->pass_no;
    if (x->refs) {
        s->failed_shapes++;
        s->failed_gpu_shapes += x->shape.gpus_per_node > 0;
    }
}

/* ---- lifecycle ---- */

/* Room for twice as many tenants and their queue lists (new lists start empty). */
int core_sched_tenants_grow(gt_sched *s) {
    size_t cap = gt_vec_grow_cap(s->tenants_cap, (size_t)s->tenants_cap + 1, 16, UINT32_MAX);
    if (!cap || !gt_vec_resize((void **)&s->tenants, cap, sizeof *s->tenants) ||
        !gt_vec_resize((void **)&s->qhead, cap * GT_NPRIO, sizeof *s->qhead) ||
        !gt_vec_resize((void **)&s->qtail, cap * GT_NPRIO, sizeof *s->qtail) ||
        !gt_vec_resize((void **)&s->tmp2.v, cap, sizeof *s->tmp2.v) ||
        !gt_vec_resize((void **)&s->qorder.v, cap, sizeof *s->qorder.v))
        return 0;
    s->qorder.cap = cap;
    for (size_t l = (size_t)s->tenants_cap * GT_NPRIO; l < cap * GT_NPRIO; l++)
        s->qhead[l] = s->qtail[l] = GT_NONE;
    s->tmp2.cap = cap;
    s->tenants_cap = (uint32_t)cap;
    return 1;
}

static uint32_t tenant_add(gt_sched *s, const gt_tenant_conf *c) {
    if (s->ntenants == s->tenants_cap && !core_sched_tenants_grow(s))
        return GT_NONE;
    uint32_t i = s->ntenants++;
    tenant_t *t = &s->tenants[i];
    memset(t, 0, sizeof *t);
    t->conf = *c;
    if (t->conf.share <= 0)
        t->conf.share = 1;
    s->nlists = s->ntenants * GT_NPRIO;
    return i;
}

static uint32_t tenant_find(const gt_sched *s, const char *name) {
    for (uint32_t i = 0; i < s->ntenants; i++)
        if (!strcmp(s->tenants[i].conf.name, name))
            return i;
    return GT_NONE;
}

gt_sched *gt_sched_new(gt_config *cfg, const gt_policy *policy) {
    gt_sched *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->pass_limit = -1;
    s->topo = cfg->topo;
    s->pol = *policy;
    s->unit_free = s->slot_free = s->ridx_free = GT_NONE;
    s->shapes_cap = 64;
    s->shapes = malloc(s->shapes_cap * sizeof *s->shapes);
    s->shape_hash = calloc(256, sizeof *s->shape_hash);
    s->shape_hash_cap = 256;
    s->node_slots = malloc(s->topo->nv * sizeof *s->node_slots);
    s->slot_buf_cap = s->topo->nnodes + 64;
    s->slot_buf = malloc(s->slot_buf_cap * sizeof *s->slot_buf);
    int ok = s->shapes && s->shape_hash && s->node_slots && s->slot_buf &&
             core_sched_tenants_grow(s) && gt_place_scratch_init(&s->ps, s->topo) == GT_E_OK;
    gt_frag_init(&s->frag, CORE_FRAG_HALF_LIFE);
    if (ok && s->pol.placement == GT_PLACE_BESTFIT)
        s->ps.frag = &s->frag;
    for (int i = 0; ok && i < cfg->ntenants; i++)
        ok = tenant_add(s, &cfg->tenants[i]) != GT_NONE;
    if (!ok) {
        gt_sched_free(s);
        return NULL;
    }
    for (uint32_t v = 0; v < s->topo->nv; v++)
        s->node_slots[v] = GT_NONE;
    return s;
}

void gt_sched_free(gt_sched *s) {
    if (!s)
        return;
    gt_place_scratch_free(&s->ps);
    void *p[] = {s->jobs,        s->units,      s->slots,         s->node_slots, s->tenants,
                 s->qhead,       s->qtail,      s->shapes,        s->shape_hash, s->heap,
                 s->dec,         s->slot_buf,   s->tmp.v,         s->tmp2.v,     s->pcand.v,
                 s->vic,         s->qorder.v,   s->ridx,          s->svc,        s->reps,
                 s->deps,        s->dep_wait.v, s->dep_settled.v, s->tstate,     s->retry,
                 s->corr_jobs.v, s->followers.v};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        free(p[i]);
    free(s);
}

/* ---- submit ---- */

static int32_t auto_per_node(const gt_topo *t, int32_t gpus, int model) {
    int32_t size = model >= 0 ? t->model_max_gpus[model] : (int32_t)t->max_node_gpus;
    if (size <= 0 || gpus <= size)
        return gpus;
    for (int32_t p = size; p > 1; p--)
        if (gpus % p == 0)
            return p;
    return 1;
}

/* gpu_model: one model, or a set "A|B" (names the fleet lacks are left out; one it has is
 * enough). A set of one is that model. */
static gt_err models_of(const gt_topo *t, const char *spec, gt_shape *sh, gt_error *err) {
    if (!strchr(spec, '|')) {
        if ((sh->model = gt_topo_model_index(t, spec)) < 0)
            return gt_fail(err, GT_E_IMPOSSIBLE, "gpu_model", "no node has GPU model '%s'", spec);
        return GT_E_OK;
    }
    char name[sizeof((gt_jobspec *)0)->gpu_model];
    for (const char *p = spec;;) {
        size_t n = strcspn(p, "|");
        if (n == 0 || n >= sizeof name)
            return gt_fail(err, GT_E_INVALID, "gpu_model", "'%s': an empty model in the set", spec);
        memcpy(name, p, n);
        name[n] = 0;
        int i = gt_topo_model_index(t, name);
        if (i >= 0)
            sh->models |= 1u << i;
        if (!p[n])
            break;
        p += n + 1;
    }
    if (!sh->models)
        return gt_fail(err, GT_E_IMPOSSIBLE, "gpu_model", "no node has any GPU model of '%s'",
                       spec);
    if (!(sh->models & (sh->models - 1))) { /* one model of the set is in the fleet */
        sh->model = __builtin_ctz(sh->models);
        sh->models = 0;
    }
    return GT_E_OK;
}

static gt_err shape_of(const gt_sched *s, const gt_jobspec *sp, gt_shape *sh, gt_error *err) {
    const gt_topo *t = s->topo;
    memset(sh, 0, sizeof *sh);
    sh->model = -1;
    gt_err e;
    if (sp->gpu_model[0] && (e = models_of(t, sp->gpu_model, sh, err)))
        return e;
    if (sp->gpu_milli || sp->gpu_memory_mb) {
        sh->gpu_milli = sp->gpu_milli ? sp->gpu_milli : 1;
        sh->gpu_mem = sp->gpu_memory_mb;
        if (sh->gpu_mem > t->max_gpu_mem)
            return gt_fail(err, GT_E_IMPOSSIBLE, "gpu_memory_mb",
                           "%lld MiB: no GPU of this fleet has that much memory%s",
                           (long long)sh->gpu_mem,
                           t->max_gpu_mem ? "" : " (no node says its GPUs' memory)");
    }
    if (sp->within[0] && (sh->max_level = gt_topo_level_index(t, sp->within)) < 0)
        return gt_fail(err, GT_E_INVALID, "within", "the fleet has no level '%s'", sp->within);
    int32_t ppn = sp->gpus_per_node ? sp->gpus_per_node : auto_per_node(t, sp->gpus, sh->model);
    if (sp->kind == GT_KIND_TASKS)
        ppn = sp->gpus;
    sh->gpus_per_node = ppn;
    sh->nodes = ppn > 0 ? sp->gpus / ppn : 1;
    sh->cpus_per_node = sp->cpus > 0 ? sp->cpus : (ppn > 0 ? ppn : 1);
    sh->mem_per_node = sp->memory_mb;
    if (!gt_place_possible(t, sh))
        return gt_fail(err, GT_E_IMPOSSIBLE, "resources",
                       "%d node(s) x %d GPU(s), %d core(s), %lld MiB%s%s: no part of this fleet "
                       "can ever hold it",
                       sh->nodes, ppn, sh->cpus_per_node, (long long)sh->mem_per_node,
                       sp->within[0] ? " within one " : "", sp->within);
    return GT_E_OK;
}

static int jobs_reserve(gt_sched *s) {
    return gt_vec_reserve32((void **)&s->jobs, &s->jobs_cap, (size_t)s->njobs + 1, sizeof *s->jobs,
                            1024);
}

static uint32_t tenant_for(gt_sched *s, const char *name) {
    uint32_t t = tenant_find(s, name);
    if (t != GT_NONE)
        return t;
    gt_tenant_conf c = {.share = 1};
    snprintf(c.name, sizeof c.name, "%s", name);
    return tenant_add(s, &c);
}

static gt_err admit(const gt_sched *s, const gt_jobspec *sp, gt_shape *sh, gt_error *err) {
    gt_err e = gt_jobspec_validate(sp, "job", err);
    if (e || (e = shape_of(s, sp, sh, err)))
        return e;
    uint32_t min = sp->kind == GT_KIND_SERVE ? (uint32_t)sp->replicas_min : 1;
    if (min > GT_MAX_MIN_REPLICAS || (uint64_t)min * (uint32_t)sh->nodes > s->slot_buf_cap)
        return gt_fail(err, GT_E_LIMIT, "replicas",
                       "replicas.min must be at most %d and fit the fleet", GT_MAX_MIN_REPLICAS);
    for (int i = 0; i < sp->ndeps; i++) {
        uint32_t d = sp->dep_job[i];
        if (d >= s->njobs)
            return gt_fail(err, GT_E_NOT_FOUND, "depends_on", "no job %u to depend on", d);
        /* (a task array that failed without running, at replay, has no tasks to follow) */
        int kind = s->jobs[d].tbase == CORE_NO_TASKS ? -1 : s->jobs[d].kind;
        if (sp->dep_type[i] == GT_DEP_AFTERCORR &&
            (e = gt_sched_corr_fits(kind, s->jobs[d].nunits, d, sp, err)))
            return e;
    }
    uint32_t tn = tenant_find(s, sp->tenant);
    int64_t at_once = (int64_t)sh->nodes * sh->gpus_per_node * min,
            cap = tn == GT_NONE ? 0 : s->tenants[tn].conf.limit_gpus;
    if (cap > 0 && at_once > cap)
        return gt_fail(err, GT_E_IMPOSSIBLE, "gpus",
                       "needs %lld GPUs at once; tenant '%s' is capped at %lld", (long long)at_once,
                       sp->tenant, (long long)cap);
    return GT_E_OK;
}

gt_err gt_sched_corr_fits(int kind, uint32_t tasks, uint32_t job, const gt_jobspec *sp,
                          gt_error *err) {
    if (kind != GT_KIND_TASKS || tasks != (uint32_t)sp->tasks)
        return gt_fail(err, GT_E_INVALID, "depends_on",
                       "aftercorr:%u: task i waits for task i of an array of the same size; job "
                       "%u is %s of %u, this one has %d tasks",
                       job, job, kind == GT_KIND_TASKS ? "an array" : "not a task array",
                       kind == GT_KIND_TASKS ? tasks : 0, sp->tasks);
    return GT_E_OK;
}

gt_err gt_sched_admit(const gt_sched *s, const gt_jobspec *sp, gt_error *err) {
    gt_shape sh;
    return admit(s, sp, &sh, err);
}

uint32_t gt_sched_submit_failed(gt_sched *s, const gt_jobspec *sp, gt_time now) {
    gt_shape sh;
    gt_error ignore;
    if (shape_of(s, sp, &sh, &ignore)) { /* a shape this fleet cannot even name */
        memset(&sh, 0, sizeof sh);
        sh.nodes = 1;
        sh.model = -1;
    }
    gt_jobspec plain = *sp;
    plain.kind = GT_KIND_TRAIN; /* no replicas to keep */
    uint32_t tn = tenant_for(s, sp->tenant);
    if (tn == GT_NONE || !jobs_reserve(s) || !core_svc_reserve(s) ||
        !core_svc_init(s, s->njobs, &plain))
        return GT_NONE;
    uint32_t j = s->njobs++;
    job_t *jb = &s->jobs[j];
    memset(jb, 0, sizeof *jb);
    jb->state = GT_JOB_FAILED; /* born failed: it never runs */
    jb->kind = (uint8_t)(sp->kind < GT_KIND__COUNT ? sp->kind : GT_KIND_TRAIN);
    s->st.jobs[GT_JOB_FAILED][jb->kind]++;
    jb->prio = (uint8_t)(sp->priority >= 0 && sp->priority <= GT_PRIO_CRITICAL ? sp->priority : 0);
    jb->tenant = tn;
    jb->shape = sh;
    jb->shape_id = GT_NONE;
    jb->nunits = jb->done = jb->failed = 1;
    jb->min_units = 1;
    jb->submit = jb->end = now;
    jb->first_start = -1;
    jb->run_head = jb->qprev = jb->qnext = jb->free_index = jb->spare_under = GT_NONE;
    jb->dep_broken = jb->corr = GT_NONE;
    jb->tbase = CORE_NO_TASKS;
    CORE_CHECK(s);
    return j;
}

gt_err gt_sched_reshape(gt_sched *s, uint32_t job, const gt_jobspec *sp, gt_error *err) {
    if (job >= s->njobs || s->svc[job].rep_base == GT_NONE || sp->kind != GT_KIND_SERVE)
        return gt_fail(err, GT_E_INVALID, "job", "job %u is not a service (kind serve)", job);
    job_t *jb = &s->jobs[job];
    if (jb->state >= GT_JOB_COMPLETED)
        return gt_fail(err, GT_E_STATE, "job", "job %u has ended", job);
    gt_shape sh;
    gt_err e = admit(s, sp, &sh, err);
    if (e)
        return e;
    if (sh.nodes != jb->shape.nodes)
        return gt_fail(err, GT_E_INVALID, "gpus",
                       "a replica keeps its number of nodes (%d) in an update; this one needs %d",
                       jb->shape.nodes, sh.nodes);
    uint32_t id = shape_intern(s, &sh);
    if (id == GT_NONE)
        return gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
    int queued = jb->in_queue;
    if (queued)
        core_q_remove(s, job);
    jb->shape = sh;
    jb->shape_id = id;
    if (queued)
        core_q_insert(s, job);
    CORE_CHECK(s);
    return GT_E_OK;
}

uint32_t gt_sched_submit(gt_sched *s, const gt_jobspec *sp, gt_time now, gt_error *err) {
    gt_shape sh;
    if (admit(s, sp, &sh, err) != GT_E_OK)
        return GT_NONE;
    uint32_t nunits =
        sp->kind == GT_KIND_TRAIN ? 1
        : sp->kind == GT_KIND_SERVE
            ? (uint32_t)sp->replicas_max + (uint32_t)(sp->max_surge ? sp->max_surge : 1)
            : (uint32_t)sp->tasks;
    uint32_t min = sp->kind == GT_KIND_SERVE ? (uint32_t)sp->replicas_min : 1;
    uint32_t tn = tenant_for(s, sp->tenant), shape = shape_intern(s, &sh);
    if (tn == GT_NONE || shape == GT_NONE || !jobs_reserve(s) || !core_svc_reserve(s) ||
        !core_deps_reserve(s, (uint32_t)(sp->ndeps > 0 ? sp->ndeps : 0)) ||
        !core_tasks_reserve(s, sp) || !core_svc_init(s, s->njobs, sp)) {
        gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        return GT_NONE;
    }
    uint32_t j = s->njobs++;
    job_t *jb = &s->jobs[j];
    memset(jb, 0, sizeof *jb);
    jb->state = GT_JOB_PENDING;
    jb->kind = (uint8_t)sp->kind;
    s->st.jobs[GT_JOB_PENDING][jb->kind]++;
    jb->prio = (uint8_t)sp->priority;
    jb->tenant = tn;
    jb->shape = sh;
    jb->shape_id = shape;
    gt_frag_observe(&s->frag, &sh, (double)nunits * sh.nodes);
    jb->nunits = jb->pending = nunits;
    jb->min_units = min;
    jb->submit = now;
    jb->first_start = jb->end = -1;
    jb->estimate = sp->estimate_ms ? sp->estimate_ms : sp->time_limit_ms;
    jb->max_restarts = (uint32_t)sp->max_restarts;
    jb->max_running = (uint32_t)sp->max_running;
    jb->run_head = jb->qprev = jb->qnext = jb->free_index = jb->spare_under = GT_NONE;
    core_q_insert(s, j);
    core_deps_init(s, j, sp, now);  /* (room reserved above) */
    core_tasks_init(s, j, sp, now); /* (likewise) */
    if (s->jobs[j].pending == 0)    /* an aftercorr array none of whose tasks can run */
        core_job_requeue_or_finish(s, j, now);
    CORE_CHECK(s);
    return j;
}

/* ---- events ---- */

static unit_t *live_unit(const gt_sched *s, uint32_t job, uint32_t unit, uint32_t gen) {
    if (job >= s->njobs || unit >= s->nunits)
        return NULL;
    unit_t *u = &s->units[unit];
    return u->running && u->job == job && u->gen == gen ? u : NULL;
}

int gt_sched_unit_done(gt_sched *s, uint32_t job, uint32_t unit, uint32_t gen, gt_time now,
                       int ok) {
    unit_t *un = live_unit(s, job, unit, gen);
    if (!un)
        return 0;
    uint32_t index = un->index;
    job_t *jb = &s->jobs[job];
    /* A service's replica always starts again (replicas.c); another unit when it failed
     * and the job has restarts left. */
    int serve = jb->kind == GT_KIND_SERVE;
    /* a task has its own budget, and may back off first (tasks.c): 2 */
    int restart = serve                        ? 1
                  : jb->tbase != CORE_NO_TASKS ? core_task_ended(s, job, index, ok, now)
                                               : !ok && jb->retries < jb->max_restarts;
    core_unit_release(s, unit, restart ? CORE_UNIT_RESTART : ok ? CORE_UNIT_EXIT : CORE_UNIT_FAIL);
    if (serve)
        core_rep_ended(s, job, index, ok, now);
    if (restart) {
        jb->retries += !serve;
        if (restart == 1)
            core_index_return(s, job, index, now);
        jb->restarts++;
        s->st.requeues++;
    }
    core_job_requeue_or_finish(s, job, now);
    CORE_CHECK(s);
    return 1;
}

const gt_decision *gt_sched_job_end(gt_sched *s, uint32_t job, gt_job_state final, gt_time now,
                                    size_t *n) {
    s->ndec = 0;
    *n = 0;
    if (job >= s->njobs || s->jobs[job].state >= GT_JOB_COMPLETED)
        return s->dec;
    job_t *jb = &s->jobs[job];
    uint8_t why = final == GT_JOB_CANCELLED ? GT_WHY_CANCELLED : GT_WHY_ENDED;
    while (jb->run_head != GT_NONE) {
        core_dec_push(s, GT_DEC_STOP, why, job, jb->run_head, 0);
        core_unit_release(s, jb->run_head, CORE_UNIT_END);
    }
    core_q_remove(s, job);
    core_unit_event(s, jb, NULL, CORE_UNIT_DROP);
    core_index_drop_all(s, jb);
    core_job_event(s, jb, final == GT_JOB_CANCELLED ? CORE_JOB_CANCEL : CORE_JOB_END);
    jb->end = now;
    core_tasks_job_ended(s, job, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}

static gt_err hold_state(gt_sched *s, uint32_t job, int held, gt_error *err) {
    if (job >= s->njobs)
        return gt_fail(err, GT_E_NOT_FOUND, "job", "no job %u", job);
    job_t *jb = &s->jobs[job];
    if (jb->state >= GT_JOB_COMPLETED)
        return gt_fail(err, GT_E_STATE, "job", "job %u has finished", job);
    if (jb->held == held)
        return gt_fail(err, GT_E_STATE, "job", "job %u is %s held", job, held ? "already" : "not");
    jb->held = (uint8_t)held;
    if (held)
        core_q_remove(s, job);
    else if (jb->pending > 0)
        core_q_insert(s, job);
    CORE_CHECK(s);
    return GT_E_OK;
}

gt_err gt_sched_hold(gt_sched *s, uint32_t job, gt_error *err) {
    return hold_state(s, job, 1, err);
}

gt_err gt_sched_release(gt_sched *s, uint32_t job, gt_error *err) {
    return hold_state(s, job, 0, err);
}

const gt_decision *gt_sched_node_state(gt_sched *s, uint32_t node, gt_node_state st, gt_time now,
                                       size_t *n) {
    s->ndec = 0;
    *n = 0;
    if (node >= s->topo->nv || !gt_topo_is_node(s->topo, node))
        return s->dec;
    core_node_event(s, node, core_node_ev_toward(st));
    if (st == GT_NODE_DOWN)
        while (s->node_slots[node] != GT_NONE)
            core_unit_stop(s, s->slots[s->node_slots[node]].unit, GT_WHY_NODE_DOWN, 1, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}

gt_err gt_sched_node_gpus_off(gt_sched *s, uint32_t node, uint32_t off, gt_error *err) {
    if (node >= s->topo->nv || !gt_topo_is_node(s->topo, node))
        return gt_fail(err, GT_E_NOT_FOUND, "node", "no such node");
    uint32_t held = 0;
    for (uint32_t si = s->node_slots[node]; si != GT_NONE; si = s->slots[si].nnext)
        held |= s->slots[si].s.mask;
    gt_topo_gpus_off(s->topo, node, off, held);
    CORE_CHECK(s);
    return GT_E_OK;
}

/* ---- read access ---- */

uint32_t gt_sched_njobs(const gt_sched *s) {
    return s->njobs;
}

const char *gt_wait_reason_name(gt_wait_reason r) {
    static const char *const names[GT_WAIT__COUNT] = {
        "", "priority", "held", "quota", "resources", "topology", "backoff", "idle", "dependency"};
    return r < GT_WAIT__COUNT ? names[r] : "";
}

/* A failed shape with a `within` level that the fleet as a whole could hold: enough nodes
 * with its GPUs free, by the O(1) counts (up to GT_BINS GPUs a node; any model). */
static int within_blocks(const gt_sched *s, const gt_shape *sh) {
    return sh->max_level > 0 && sh->model < 0 && sh->gpus_per_node > 0 &&
           sh->gpus_per_node <= GT_BINS &&
           gt_topo_cap(s->topo, 0, sh->gpus_per_node) >= (uint32_t)sh->nodes;
}

/* Why a pending job waits: the marks of the last pass (its tenant capped, its shape failed),
 * so pass 0 (none yet) reads as priority. */
static gt_wait_reason wait_reason(const gt_sched *s, const job_t *jb) {
    if (jb->state != GT_JOB_PENDING)
        return GT_WAIT_NONE;
    if (jb->held)
        return GT_WAIT_HELD;
    if (jb->dep_wait)
        return GT_WAIT_DEPENDENCY;
    if (jb->tbase != CORE_NO_TASKS && core_tasks_startable(jb) == 0)
        return jb->unready ? GT_WAIT_DEPENDENCY : GT_WAIT_BACKOFF; /* tasks.c */
    if (s->svc[jb - s->jobs].rep_base != GT_NONE && s->svc[jb - s->jobs].desired == 0)
        return GT_WAIT_IDLE;
    if (s->pass_no == 0)
        return GT_WAIT_PRIORITY;
    if (s->tenants[jb->tenant].capped_pass == s->pass_no)
        return GT_WAIT_QUOTA;
    if (s->svc[jb - s->jobs].backoff_pass == s->pass_no)
        return GT_WAIT_BACKOFF;
    if (s->svc[jb - s->jobs].paired_pass == s->pass_no)
        return GT_WAIT_TOPOLOGY;
    if (core_shape_failed(s, jb->shape_id))
        return within_blocks(s, &jb->shape) ? GT_WAIT_TOPOLOGY : GT_WAIT_RESOURCES;
    return GT_WAIT_PRIORITY;
}

int gt_sched_job(const gt_sched *s, uint32_t job, gt_job_info *o) {
    if (job >= s->njobs)
        return 0;
    const job_t *jb = &s->jobs[job];
    o->state = (gt_job_state)jb->state;
    o->kind = (gt_kind)jb->kind;
    o->prio = jb->prio;
    o->tenant = jb->tenant;
    o->shape = jb->shape;
    o->units = jb->nunits;
    o->units_pending = jb->pending;
    o->units_running = jb->running;
    o->units_done = jb->done;
    o->units_failed = jb->failed;
    o->units_cancelled = jb->dropped;
    o->tasks_backoff = jb->backing;
    o->tasks_unready = jb->unready;
    o->submit = jb->submit;
    o->first_start = jb->first_start;
    o->end = jb->end;
    o->held = jb->held;
    o->restarts = jb->restarts;
    o->preemptions = jb->preemptions;
    o->wait = wait_reason(s, jb);
    o->dep_broken = GT_NONE;
    if (jb->dep_broken != GT_NONE && jb->dep_broken < jb->ndeps) {
        o->dep_broken = s->deps[jb->dep_base + jb->dep_broken].job;
        o->dep_broken_type = s->deps[jb->dep_base + jb->dep_broken].type;
    }
    if (s->svc[job].rep_base != GT_NONE) { /* a service's spare slots are not its units */
        uint32_t in_use = jb->running + jb->done, max = s->svc[job].max;
        o->units = max > in_use ? max : in_use;
        o->units_pending = jb->state < GT_JOB_COMPLETED ? o->units - in_use : 0;
    }
    return 1;
}

const gt_slot *gt_sched_unit_slots(const gt_sched *s, uint32_t job, uint32_t unit, uint32_t gen,
                                   uint32_t *nslots) {
    const unit_t *u = live_unit(s, job, unit, gen);
    if (!u)
        return NULL;
    uint32_t n = 0;
    for (uint32_t si = u->slot_head; si != GT_NONE; si = s->slots[si].unext)
        s->slot_buf[n++] = s->slots[si].s;
    *nslots = n;
    return s->slot_buf;
}

uint32_t gt_sched_ntenants(const gt_sched *s) {
    return s->ntenants;
}

int gt_sched_tenant(const gt_sched *s, uint32_t tenant, gt_tenant_info *o) {
    if (tenant >= s->ntenants)
        return 0;
    const tenant_t *t = &s->tenants[tenant];
    o->name = t->conf.name;
    o->quota_gpus = t->conf.quota_gpus;
    o->limit_gpus = t->conf.limit_gpus;
    o->share = t->conf.share;
    o->gpus_held = t->gpus_held;
    o->cpus_held = t->cpus_held;
    o->usage = t->usage;
    o->fairshare = t->fs;
    return 1;
}

const gt_topo *gt_sched_topo(const gt_sched *s) {
    return s->topo;
}

void gt_sched_get_stats(const gt_sched *s, gt_sched_stats *out) {
    *out = s->st;
}
