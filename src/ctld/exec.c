/* SPDX-License-Identifier: MIT
 * The state thread's handling of each request kind: one function per kind, in a table.
 * Readers render from the live state; writers go through ctld_do (apply + journal). A
 * user token sees only its tenant's jobs: others' are answered 404, as if absent. */
#include <stdlib.h>
#include <string.h>

#include "core/workflow.h"
#include "ctld/ctld_int.h"
#include "proto/json.h"
#include "sys/clock.h"
#include "util/strbuf.h"
#include "util/utf8.h"

void ctld_answer_json(ctld_req *r, int status, json_t *v) {
    r->status = status;
    r->out = v ? gt_json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!r->out) {
        r->status = 503;
        r->out = strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    }
}

char *ctld_error_body(gt_err code, const char *where, const char *msg) {
    char w[160], m[300];
    snprintf(w, sizeof w, "%s", where ? where : "");
    snprintf(m, sizeof m, "%s", msg && *msg ? msg : gt_err_msg(code));
    json_t *o = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", gt_err_name(code), "message",
                          gt_utf8_clean(m), "where", gt_utf8_clean(w));
    char *s = o ? gt_json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

void ctld_answer_err(ctld_req *r, const gt_error *e) {
    r->status = gt_err_http(e->code);
    r->out = ctld_error_body(e->code, e->where, e->msg);
    if (!r->out) {
        r->status = 503;
        r->out = strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
    }
}

static void answer_fail(ctld_req *r, gt_err code, const char *where, const char *msg) {
    gt_error e;
    gt_fail(&e, code, where, "%s", msg);
    ctld_answer_err(r, &e);
}

int ctld_job_visible(gt_ctld *c, const ctld_principal *who, uint32_t id) {
    gt_job_info ji;
    if (id >= c->njobs || !gt_sched_job(c->sched, id, &ji))
        return 0;
    if (!who || who->role == ROLE_ADMIN)
        return 1;
    gt_tenant_info ti;
    return gt_sched_tenant(c->sched, ji.tenant, &ti) && !strcmp(ti.name, who->tenant);
}

static void x_submit(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e = {0};
    if (r->group && r->idem[0]) {
        answer_fail(r, GT_E_INVALID, "Idempotency-Key",
                    "a service of several roles takes no Idempotency-Key yet");
        return;
    }
    if (r->group) {
        size_t n = json_array_size(json_object_get(r->body, "roles"));
        if (ctld_submit_group(c, t, r->body, &e))
            ctld_answer_err(r, &e);
        else
            ctld_answer_json(r, 201, ctld_job_json(c, c->njobs - (uint32_t)n));
        return;
    }
    for (int i = 0; i < r->spec.ndeps; i++) /* only on jobs the caller may see */
        if (!ctld_job_visible(c, r->who, r->spec.dep_job[i])) {
            char msg[80];
            snprintf(msg, sizeof msg, "no job %u to depend on", r->spec.dep_job[i]);
            answer_fail(r, GT_E_NOT_FOUND, "depends_on", msg);
            return;
        }
    uint32_t again = r->idem[0] ? ctld_idem_find(c, r->spec.tenant, r->idem) : GT_NONE;
    if (again != GT_NONE) { /* a retry: the job it made, when it asked for the same */
        if (c->jobs[again].idem_doc != ctld_idem_doc_hash(r->doc))
            answer_fail(r, GT_E_EXISTS, "Idempotency-Key",
                        "this key was used for another job (its spec differs)");
        else
            ctld_answer_json(r, 200, ctld_job_json(c, again));
        return;
    }
    if (ctld_submit(c, t, &r->doc, &r->spec, &e)) {
        ctld_answer_err(r, &e);
        return;
    }
    uint32_t id = c->njobs - 1;
    if (r->idem[0]) { /* journaled in this round: it commits with the submission */
        json_t *b = json_pack("{s:I, s:s}", "job", (json_int_t)id, "key", r->idem);
        gt_err ie = b ? ctld_do(c, t, "idem", b, &e) : GT_E_NOMEM;
        json_decref(b);
        if (ie)
            ctld_log_at(c, GT_LOG_WARNING, "job %u: its Idempotency-Key was not kept: %s", id,
                        e.msg);
    }
    ctld_answer_json(r, 201, ctld_job_json(c, id));
}

/* A workflow: planned with the ids its jobs get (the next ones), its jobs' dependencies
 * on earlier jobs only on jobs the caller may see, then submitted at once (apply.c's
 * submit_many: all or nothing). The answer: the jobs in the order submitted and each
 * step's job id. */
static void x_workflow(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e = {0};
    json_t *docs = NULL, *names = NULL;
    uint32_t head = c->njobs;
    if (gt_workflow_plan(r->body, head, &docs, &names, &e)) {
        ctld_answer_err(r, &e);
        return;
    }
    for (size_t i = 0; i < json_array_size(docs); i++) {
        gt_jobspec sp;
        const char *step = json_string_value(json_array_get(names, i));
        char where[80];
        snprintf(where, sizeof where, "steps.%s", step);
        if (gt_jobspec_from_json(json_array_get(docs, i), where, &sp, &e))
            goto refused; /* planned already: never */
        for (int d = 0; d < sp.ndeps; d++)
            if (sp.dep_job[d] < head && !ctld_job_visible(c, r->who, sp.dep_job[d])) {
                gt_fail(&e, GT_E_NOT_FOUND, where, "depends_on: no job %u to depend on",
                        sp.dep_job[d]);
                goto refused;
            }
    }
    json_t *op = json_pack("{s:o,s:O}", "jobs", docs, "steps", names);
    if (!op || ctld_do(c, t, "submit_many", op, &e)) {
        if (!op)
            gt_fail(&e, GT_E_NOMEM, "body", "out of memory");
        json_decref(op);
        json_decref(names);
        ctld_answer_err(r, &e);
        return;
    }
    json_decref(op);
    json_t *jobs = json_array(), *ids = json_object();
    for (size_t i = 0; i < json_array_size(names); i++) {
        json_array_append_new(jobs, ctld_job_json(c, head + (uint32_t)i));
        json_object_set_new(ids, json_string_value(json_array_get(names, i)),
                            json_integer(head + (json_int_t)i));
    }
    json_decref(names);
    ctld_answer_json(r, 201, json_pack("{s:o,s:o}", "jobs", jobs, "steps", ids));
    return;
refused:
    json_decref(docs);
    json_decref(names);
    ctld_answer_err(r, &e);
}

static void x_job_get(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    if (!ctld_job_visible(c, r->who, r->id))
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
    else
        ctld_answer_json(r, 200, ctld_job_json(c, r->id));
}

static void x_job_op(gt_ctld *c, ctld_req *r, int64_t t, const char *op) {
    gt_error e = {0};
    if (!ctld_job_visible(c, r->who, r->id)) {
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
        return;
    }
    json_t *b = json_pack("{s:I}", "job", (json_int_t)r->id);
    gt_err err = ctld_do(c, t, op, b, &e);
    json_decref(b);
    if (err)
        ctld_answer_err(r, &e);
    else
        ctld_answer_json(r, 200, ctld_job_json(c, r->id));
}

/* A service's replica count by hand: the journal's scale op. */
static void x_scale(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e = {0};
    if (!ctld_job_visible(c, r->who, r->id)) {
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
        return;
    }
    json_t *b = json_pack("{s:I, s:O, s:[]}", "job", (json_int_t)r->id, "replicas",
                          json_object_get(r->body, "replicas"), "order");
    gt_err err = ctld_do(c, t, "scale", b, &e);
    json_decref(b);
    if (err)
        ctld_answer_err(r, &e);
    else
        ctld_answer_json(r, 200, ctld_job_json(c, r->id));
}

/* POST /v1/jobs/ID/wake: a service scaled to zero runs again, at replicas.min or at least
 * one replica (each role in a ratio: its share of one set; every role of the service). A
 * router that finds no endpoint calls it on a request: that request waits the cold start.
 * A service that runs replicas is left as it is. */
static void x_wake(gt_ctld *c, ctld_req *r, int64_t t) {
    gt_error e = {0};
    if (!ctld_job_visible(c, r->who, r->id)) {
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
        return;
    }
    uint32_t head = ctld_role_head(c, r->id), n = ctld_role_count(c, r->id);
    for (uint32_t j = head; j < head + n; j++) {
        gt_service_info si;
        gt_job_info ji;
        if (!gt_sched_service(c->sched, j, t, &si)) {
            answer_fail(r, GT_E_INVALID, "id", "not a service (kind serve): nothing to wake");
            return;
        }
        if (!gt_sched_job(c->sched, j, &ji) || ji.state >= GT_JOB_COMPLETED || si.desired > 0)
            continue;
        uint32_t per = c->jobs[j].per ? c->jobs[j].per : 1;
        json_t *b = json_pack("{s:I, s:I, s:[]}", "job", (json_int_t)j, "replicas",
                              (json_int_t)(si.min > per ? si.min : per), "order");
        gt_err err = ctld_do(c, t, "scale", b, &e);
        json_decref(b);
        if (err) {
            ctld_answer_err(r, &e);
            return;
        }
        ctld_log(c, "job %u: woken from zero replicas", j);
    }
    ctld_answer_json(r, 200, ctld_job_json(c, r->id));
}

/* A whole job, or some tasks of an array (prep_cancel made r->body {"tasks": RANGES}). */
static void x_cancel(gt_ctld *c, ctld_req *r, int64_t t) {
    json_t *tasks = json_object_get(r->body, "tasks");
    if (!tasks) {
        x_job_op(c, r, t, "cancel");
        return;
    }
    gt_error e = {0};
    if (!ctld_job_visible(c, r->who, r->id)) {
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
        return;
    }
    json_t *b = json_pack("{s:I, s:O}", "job", (json_int_t)r->id, "tasks", tasks);
    gt_err err = ctld_do(c, t, "cancel_tasks", b, &e);
    json_decref(b);
    if (err)
        ctld_answer_err(r, &e);
    else
        ctld_answer_json(r, 200, ctld_job_json(c, r->id));
}
static void x_hold(gt_ctld *c, ctld_req *r, int64_t t) {
    x_job_op(c, r, t, "hold");
}
static void x_release(gt_ctld *c, ctld_req *r, int64_t t) {
    x_job_op(c, r, t, "release");
}

/* List filters arrive validated in r->body: state, tenant, kind (-1 / "" = any), limit,
 * after (-1 = from the start). */
static int list_match(gt_ctld *c, ctld_req *r, uint32_t id, int st, int kind, const char *ten) {
    gt_job_info ji;
    if (!ctld_job_visible(c, r->who, id) || !gt_sched_job(c->sched, id, &ji))
        return 0;
    if ((st >= 0 && (int)ji.state != st) || (kind >= 0 && (int)ji.kind != kind))
        return 0;
    gt_tenant_info ti;
    return !*ten || (gt_sched_tenant(c->sched, ji.tenant, &ti) && !strcmp(ti.name, ten));
}

static void x_job_list(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    int st = (int)json_integer_value(json_object_get(r->body, "state"));
    int kind = (int)json_integer_value(json_object_get(r->body, "kind"));
    const char *ten = json_string_value(json_object_get(r->body, "tenant"));
    json_int_t limit = json_integer_value(json_object_get(r->body, "limit"));
    json_int_t after = json_integer_value(json_object_get(r->body, "after"));
    json_t *jobs = json_array();
    /* Ascending from after + 1, or (order=desc) descending from after - 1 (the newest
     * when after is absent): `next` is where the following page starts. */
    int desc = json_is_true(json_object_get(r->body, "desc"));
    int64_t id = desc ? (after >= 0 ? after - 1 : (int64_t)c->njobs - 1) : after + 1;
    int64_t step = desc ? -1 : 1, last = 0;
    for (; id >= 0 && id < c->njobs && (json_int_t)json_array_size(jobs) < limit; id += step)
        if (list_match(c, r, (uint32_t)id, st, kind, ten ? ten : ""))
            json_array_append_new(jobs, ctld_job_json(c, (uint32_t)(last = id)));
    int more = 0;
    for (; id >= 0 && id < c->njobs && !more; id += step)
        more = list_match(c, r, (uint32_t)id, st, kind, ten ? ten : "");
    ctld_answer_json(
        r, 200,
        json_pack("{s:o, s:o}", "jobs", jobs, "next", more ? json_integer(last) : json_null()));
}

static uint32_t node_named(gt_ctld *c, const char *name) {
    const gt_topo *t = gt_sched_topo(c->sched);
    uint32_t v = gt_topo_find(t, name);
    return v != GT_NONE && t->level[v] == t->nlevels - 1 ? v : GT_NONE;
}

static void x_node_list(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    const gt_topo *topo = gt_sched_topo(c->sched);
    json_t *a = json_array();
    for (uint32_t v = 0; v < topo->nv; v++)
        if (topo->level[v] == topo->nlevels - 1)
            json_array_append_new(a, ctld_node_json(c, v));
    ctld_answer_json(r, 200, json_pack("{s:o}", "nodes", a));
}

static void x_node_get(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    uint32_t v = node_named(c, r->name);
    if (v == GT_NONE)
        answer_fail(r, GT_E_NOT_FOUND, "name", "no such node");
    else
        ctld_answer_json(r, 200, ctld_node_json(c, v));
}

static void x_node_op(gt_ctld *c, ctld_req *r, int64_t t, const char *op) {
    uint32_t v = node_named(c, r->name);
    gt_error e = {0};
    if (v == GT_NONE) {
        answer_fail(r, GT_E_NOT_FOUND, "name", "no such node");
        return;
    }
    if (ctld_node_state(c, v) == GT_NODE_DOWN) {
        answer_fail(r, GT_E_STATE, "name", "the node is down (its agent is not connected)");
        return;
    }
    json_t *b = json_pack("{s:s}", "node", r->name);
    const char *why = json_string_value(json_object_get(r->body, "reason"));
    if (b && why && !strcmp(op, "drain"))
        json_object_set_new(b, "reason", json_string(why));
    if (ctld_do(c, t, op, b, &e))
        ctld_answer_err(r, &e);
    else
        ctld_answer_json(r, 200, ctld_node_json(c, v));
    json_decref(b);
}

static void x_drain(gt_ctld *c, ctld_req *r, int64_t t) {
    x_node_op(c, r, t, "drain");
}
static void x_resume(gt_ctld *c, ctld_req *r, int64_t t) {
    x_node_op(c, r, t, "resume");
}

static void x_tenants(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    json_t *a = json_array();
    for (uint32_t i = 0; i < gt_sched_ntenants(c->sched); i++) {
        gt_tenant_info ti;
        if (!gt_sched_tenant(c->sched, i, &ti))
            continue;
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:f, s:I, s:I, s:f, s:f}", "name",
                                           ti.name, "quota_gpus", (json_int_t)ti.quota_gpus,
                                           "limit_gpus", (json_int_t)ti.limit_gpus, "share",
                                           ti.share, "gpus_held", (json_int_t)ti.gpus_held,
                                           "cpus_held", (json_int_t)ti.cpus_held, "usage_gpu_hours",
                                           ti.usage / 3.6e6, "fairshare", ti.fairshare));
    }
    ctld_answer_json(r, 200, json_pack("{s:o}", "tenants", a));
}

/* The token's tenant, role and Unix user (null when it is bound to none). */
typedef void (*exec_fn)(gt_ctld *c, ctld_req *r, int64_t t);

static const exec_fn exec_table[REQ__COUNT] = {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP) [REQ_##KIND] = EXEC,
#include "ctld/routes.def"
#undef CTLD_ROUTE
};

void ctld_exec(gt_ctld *c, ctld_req *r, int64_t t) {
    exec_table[r->kind](c, r, t);
}

/* Where the logs of (job, unit, rank) are: the agent of the node that ran the rank. */
void ctld_exec_logsrc(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    int unit = (int)json_integer_value(json_object_get(r->body, "unit"));
    int rank = (int)json_integer_value(json_object_get(r->body, "rank"));
    if (!ctld_job_visible(c, r->who, r->id)) {
        answer_fail(r, GT_E_NOT_FOUND, "id", "no such job");
        return;
    }
    ctld_run *run = ctld_run_find(c, r->id, (uint32_t)unit);
    if (!run) {
        answer_fail(r, GT_E_NOT_FOUND, "unit", "that unit has not started yet");
        return;
    }
    uint32_t slot = 0, base = 0;
    while (slot < run->nslots && base + run->nranks[slot] <= (uint32_t)rank)
        base += run->nranks[slot++];
    if (slot == run->nslots) {
        answer_fail(r, GT_E_NOT_FOUND, "rank", "no such rank in this unit");
        return;
    }
    int32_t ai = c->node_agent[run->nodes[slot]];
    gt_job_info ji;
    gt_sched_job(c->sched, r->id, &ji);
    /* internal (ctld_logs reads it): key is the agent's logs_key, never shown to users */
    ctld_answer_json(r, 200,
                     json_pack("{s:s, s:s, s:I, s:b, s:s}", "url",
                               ai >= 0 ? c->agents[ai]->url : "", "key",
                               ai >= 0 ? c->agents[ai]->logs_key : "", "gen", (json_int_t)run->gen,
                               "ended", run->state != RUN_ACTIVE, "node",
                               gt_topo_name(gt_sched_topo(c->sched), run->nodes[slot])));
}
