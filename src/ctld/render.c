/* SPDX-License-Identifier: MIT
 * JSON views of jobs and nodes for the API (state thread). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"

static const char *const state_names[GT_JOB__NSTATES] = {"pending", "running", "completed",
                                                         "failed", "cancelled"};

const char *ctld_job_state_name(int s) {
    return s >= 0 && s < GT_JOB__NSTATES ? state_names[s] : "unknown";
}

json_t *ctld_time_json(int64_t ms) {
    return ms > 0 && ms != GT_TIME_NEVER ? json_real((double)(ms + CTLD_EPOCH_MS) / 1000.0)
                                         : json_null();
}

static json_t *gpus_of(uint32_t mask) {
    json_t *a = json_array();
    for (int b = 0; b < 32; b++)
        if (mask >> b & 1)
            json_array_append_new(a, json_integer(b));
    return a;
}

/* A job of shares of one GPU: how much of its GPU each unit has, and whether the nodes its
 * running units are on enforce it (their agents run CUDA MPS); null for whole GPUs. */
static json_t *share_json(gt_ctld *c, uint32_t id, const gt_shape *sh) {
    if (sh->gpu_milli <= 0)
        return json_null();
    int enforced = 1, running = 0;
    const ctld_job *j = &c->jobs[id];
    for (uint32_t i = 0; i < j->nruns; i++) {
        const ctld_run *r = &j->runs[i];
        if (r->state != RUN_ACTIVE)
            continue;
        for (uint32_t k = 0; k < r->nslots; k++) {
            int32_t ai = c->node_agent[r->nodes[k]];
            running = 1;
            enforced &= ai >= 0 && c->agents[ai]->mps;
        }
    }
    int mem_only = sh->gpu_milli == 1 && sh->gpu_mem > 0; /* core/sched.c accounts it as 1 */
    return json_pack("{s:o, s:I, s:o}", "milli",
                     mem_only ? json_null() : json_integer(sh->gpu_milli), "memory_mb",
                     (json_int_t)sh->gpu_mem, "enforced",
                     running ? json_boolean(enforced) : json_null());
}

json_t *ctld_run_json(gt_ctld *c, const ctld_run *r) {
    const gt_topo *t = gt_sched_topo(c->sched);
    json_t *nodes = json_array();
    for (uint32_t i = 0; i < r->nslots; i++)
        json_array_append_new(nodes,
                              json_pack("{s:s, s:o, s:i, s:i}", "node",
                                        gt_topo_name(t, r->nodes[i]), "gpus", gpus_of(r->masks[i]),
                                        "cpus", (int)r->cpus[i], "ranks", (int)r->nranks[i]));
    static const char *const st[] = {"running", "done", "stopped"};
    json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:I, s:I, s:I}", "unit",
                          (json_int_t)r->unit, "gen", (json_int_t)r->gen, "state", st[r->state],
                          "nodes", nodes, "start_time", ctld_time_json(r->start_ms), "end_time",
                          ctld_time_json(r->end_ms), "ranks", (json_int_t)r->ranks, "ranks_started",
                          (json_int_t)r->started, "ranks_exited", (json_int_t)r->exited);
    if (r->failed)
        json_object_set_new(o, "failure",
                            json_pack("{s:i, s:i, s:i, s:s}", "rank", r->fail_rank, "exit_code",
                                      r->exit_code, "signal", r->signal, "reason",
                                      r->reason ? r->reason : ""));
    return o;
}

/* The latest run of each unit, at most `max` of them (a task array can have millions). */
static json_t *placement_json(gt_ctld *c, uint32_t id, size_t max) {
    json_t *a = json_array();
    const ctld_job *j = &c->jobs[id];
    for (uint32_t i = j->nruns; i-- > 0 && json_array_size(a) < max;) {
        const ctld_run *r = &j->runs[i];
        if (ctld_run_find(c, id, r->unit) == r)
            json_array_insert_new(a, 0, ctld_run_json(c, r));
    }
    return a;
}

const char *ctld_job_failure(gt_ctld *c, uint32_t id, char *buf, size_t len) {
    gt_job_info ji;
    if (c->jobs[id].failure)
        return c->jobs[id].failure;
    if (!gt_sched_job(c->sched, id, &ji) || ji.dep_broken == GT_NONE)
        return NULL;
    gt_job_info dj;
    gt_sched_job(c->sched, ji.dep_broken, &dj);
    if (ji.dep_broken_type == GT_DEP_AFTERCORR)
        snprintf(buf, len,
                 "tasks whose task in job %u did not succeed will not run (aftercorr:%u; job %u "
                 "%s)",
                 ji.dep_broken, ji.dep_broken, ji.dep_broken, ctld_job_state_name((int)dj.state));
    else
        snprintf(buf, len, "its dependency %s:%u can never be met: job %u %s",
                 gt_dep_type_name(ji.dep_broken_type), ji.dep_broken, ji.dep_broken,
                 ctld_job_state_name((int)dj.state));
    return buf;
}

json_t *ctld_job_json(gt_ctld *c, uint32_t id) {
    gt_job_info ji;
    if (id >= c->njobs || !gt_sched_job(c->sched, id, &ji))
        return NULL;
    gt_tenant_info ti;
    gt_sched_tenant(c->sched, ji.tenant, &ti);
    json_t *spec = json_loads(c->jobs[id].doc, 0, NULL);
    const char *name = json_string_value(json_object_get(spec, "name"));
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:o, s:o, s:o}", "id", (json_int_t)id,
        "name", name ? name : "", "tenant", ti.name, "kind", gt_kind_name(ji.kind), "priority",
        gt_prio_name(ji.prio), "state", ctld_job_state_name((int)ji.state), "held", ji.held,
        "restarts", (json_int_t)ji.restarts, "preemptions", (json_int_t)ji.preemptions,
        "submit_time", ctld_time_json(ji.submit), "start_time", ctld_time_json(ji.first_start),
        "end_time", ctld_time_json(ji.state >= GT_JOB_COMPLETED ? ji.end : 0));
    json_t *units =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)ji.units, "pending",
                  (json_int_t)ji.units_pending, "running", (json_int_t)ji.units_running, "done",
                  (json_int_t)ji.units_done, "failed", (json_int_t)ji.units_failed, "cancelled",
                  (json_int_t)ji.units_cancelled);
    if (ji.kind == GT_KIND_TASKS) { /* of the pending: why some cannot start yet */
        json_object_set_new(units, "backoff", json_integer(ji.tasks_backoff));
        json_object_set_new(units, "waiting", json_integer(ji.tasks_unready));
    }
    json_object_set_new(o, "units", units);
    json_int_t per_unit = (json_int_t)ji.shape.nodes * ji.shape.gpus_per_node;
    json_object_set_new(o, "gpus", json_integer(per_unit * (json_int_t)ji.units));
    json_object_set_new(o, "gpus_per_unit", json_integer(per_unit));
    json_object_set_new(o, "gpu_share", share_json(c, id, &ji.shape));
    const char *user = json_string_value(json_object_get(spec, "user"));
    json_object_set_new(o, "user", user ? json_string(user) : json_null());
    json_object_set_new(o, "reason",
                        ji.wait ? json_string(gt_wait_reason_name(ji.wait)) : json_null());
    json_object_set_new(o, "version", json_integer(c->jobs[id].version));
    char why[200];
    const char *failure = ctld_job_failure(c, id, why, sizeof why);
    json_object_set_new(o, "failure", failure ? json_string(failure) : json_null());
    if (ji.kind == GT_KIND_SERVE)
        json_object_set_new(o, "group", ctld_role_json(c, id));
    json_t *svc = ctld_service_json(c, id);
    if (svc)
        json_object_set_new(o, "service", svc);
    json_object_set_new(o, "placement", placement_json(c, id, 64));
    json_object_set_new(o, "spec", spec ? spec : json_null());
    return o;
}

static const char *const node_states[] = {"up", "draining", "down"};

json_t *ctld_node_json(gt_ctld *c, uint32_t v) {
    const gt_topo *t = gt_sched_topo(c->sched);
    char path[512] = "";
    size_t len = 0;
    uint32_t chain[GT_MAX_LEVELS], n = 0;
    for (uint32_t x = v; x != GT_NONE && n < GT_MAX_LEVELS; x = t->parent[x])
        chain[n++] = x;
    while (n-- > 0 && len < sizeof path)
        len += (size_t)snprintf(path + len, sizeof path - len, "%s%s", len ? "/" : "",
                                gt_topo_name(t, chain[n]));
    int32_t ai = c->node_agent[v];
    ctld_agent *a = ai >= 0 ? c->agents[ai] : NULL;
    int st = t->n_state[v];
    json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:s, s:i, s:i, s:I, s:I, s:o}", "name",
                          gt_topo_name(t, v), "path", path, "state", node_states[st < 3 ? st : 2],
                          "alive", a && a->alive, "gpus", (int)t->n_gpus[v], "gpus_free",
                          st == GT_NODE_DOWN ? 0 : __builtin_popcount(t->n_gpu_free_mask[v]),
                          "gpu_model", t->n_gpus[v] ? t->model_names[t->n_model[v]] : "", "cpus",
                          (int)t->n_cpus[v], "cpus_free", (int)t->n_cpus_free[v], "memory_mb",
                          (json_int_t)t->n_mem[v], "memory_free_mb", (json_int_t)t->n_mem_free[v],
                          "agent", a ? json_string(a->id) : json_null());
    const char *why = c->node_reason ? c->node_reason[v] : NULL;
    json_object_set_new(o, "reason", why ? json_string(why) : json_null());
    json_object_set_new(o, "health", ctld_node_health_json(c, v));
    json_object_set_new(o, "pool", ctld_pool_json(c, v));
    json_t *off = json_array();
    for (int g = 0; off && g < t->n_gpus[v] && g < 32; g++)
        if (t->n_gpu_off_mask[v] >> g & 1)
            json_array_append_new(off, json_integer(g));
    json_object_set_new(o, "gpus_off", off ? off : json_array());
    json_t *shares = json_array();
    for (int g = 0; shares && g < t->n_gpus[v]; g++) {
        uint32_t i = t->n_gpu0[v] + (uint32_t)g;
        if (t->gpu_milli[i])
            json_array_append_new(shares, json_pack("{s:i, s:i, s:I}", "gpu", g, "milli_used",
                                                    (int)t->gpu_milli[i], "memory_used_mb",
                                                    (json_int_t)t->gpu_mem_used[i]));
    }
    json_object_set_new(o, "gpu_shares", shares ? shares : json_array());
    json_object_set_new(o, "gpu_sharing",
                        !t->n_gpus[v] || !a ? json_null()
                                            : json_string(a->mps ? "mps" : "accounted"));
    json_object_set_new(o, "gpu_memory_mb",
                        t->n_gpu_mem[v] ? json_integer((json_int_t)t->n_gpu_mem[v]) : json_null());
    const char *note = c->node_gpu_note ? c->node_gpu_note[v] : NULL;
    json_object_set_new(o, "gpus_off_reason",
                        note                   ? json_string(note)
                        : t->n_gpu_off_mask[v] ? json_string("its agent has not said why yet")
                                               : json_null());
    if (a) {
        int64_t ago = gt_clock_mono_ms() - atomic_load(&a->last_seen);
        json_object_set_new(o, "last_heartbeat", ctld_time_json(CTLD_NOW() - (ago > 0 ? ago : 0)));
    } else {
        json_object_set_new(o, "last_heartbeat", json_null());
    }
    return o;
}
