/* SPDX-License-Identifier: MIT
 * A service of several roles (state thread only). The submission (core/jobspec_roles.c)
 * becomes one service job per role, submitted together as jobs head .. head + n - 1 (op
 * "submit_group", apply.c); each job's document carries its marker "role", from which the
 * fields here are read again after a restart:
 *
 *   - with a ratio and `within`, role i > 0 is paired with the head (core gt_sched_pair):
 *     each set's replicas start inside one subtree of that level;
 *   - the head's endpoints are every role's, each with its role; its watch version is the
 *     sum of the roles' versions (each change raises one of them, so the sum too);
 *   - cancelling any role cancels them all (apply.c);
 *   - with a ratio the roles scale as sets (autoscale.c, core gt_autoscale_sets). */
#include <string.h>

#include "ctld/ctld_int.h"

void ctld_role_init(gt_ctld *c, uint32_t job) {
    ctld_job *jb = &c->jobs[job];
    json_t *doc = json_loads(jb->doc, 0, NULL);
    json_t *m = json_object_get(doc, "role");
    if (m) { /* checked when it was submitted (core_jobspec_check_role) */
        jb->role_index = (uint8_t)json_integer_value(json_object_get(m, "index"));
        jb->nroles = (uint8_t)json_integer_value(json_object_get(m, "of"));
        jb->per = (uint32_t)json_integer_value(json_object_get(m, "per"));
        snprintf(jb->role, sizeof jb->role, "%s", json_string_value(json_object_get(m, "name")));
    }
    json_decref(doc);
}

uint32_t ctld_role_head(const gt_ctld *c, uint32_t job) {
    return c->jobs[job].nroles ? job - c->jobs[job].role_index : job;
}

uint32_t ctld_role_count(const gt_ctld *c, uint32_t job) {
    return c->jobs[job].nroles ? c->jobs[job].nroles : 1;
}

gt_err ctld_role_pair(gt_ctld *c, uint32_t job, gt_error *err) {
    const ctld_job *jb = &c->jobs[job];
    if (!jb->nroles || !jb->role_index || !jb->per)
        return GT_E_OK;
    json_t *doc = json_loads(jb->doc, 0, NULL);
    const char *within = json_string_value(json_object_get(json_object_get(doc, "role"), "within"));
    json_int_t anchor_per =
        json_integer_value(json_object_get(json_object_get(doc, "role"), "anchor_per"));
    gt_err e = GT_E_OK;
    if (within && *within)
        e = gt_sched_pair(c->sched, job, ctld_role_head(c, job), within, jb->per,
                          (uint32_t)anchor_per, err);
    json_decref(doc);
    return e;
}

uint64_t ctld_role_ep_version(const gt_ctld *c, uint32_t job) {
    if (!c->jobs[job].nroles || c->jobs[job].role_index)
        return c->jobs[job].ep_version;
    uint64_t v = 0;
    for (uint32_t i = 0; i < c->jobs[job].nroles; i++)
        v += c->jobs[job + i].ep_version;
    return v;
}

json_t *ctld_role_endpoints(gt_ctld *c, uint32_t job, uint32_t *ready) {
    const ctld_job *jb = &c->jobs[job];
    if (!jb->nroles || jb->role_index)
        return ctld_endpoints_json(c, job, ready);
    json_t *all = json_array();
    *ready = 0;
    for (uint32_t i = 0; i < jb->nroles; i++) {
        uint32_t n = 0;
        json_t *a = ctld_endpoints_json(c, job + i, &n);
        json_array_extend(all, a);
        json_decref(a);
        *ready += n;
    }
    return all;
}

json_t *ctld_role_json(gt_ctld *c, uint32_t job) {
    const ctld_job *jb = &c->jobs[job];
    if (!jb->nroles)
        return json_null();
    uint32_t head = ctld_role_head(c, job);
    json_t *roles = json_object();
    for (uint32_t i = 0; roles && i < jb->nroles; i++)
        json_object_set_new(roles, c->jobs[head + i].role, json_integer(head + i));
    return json_pack("{s:s, s:I, s:o, s:I}", "role", jb->role, "head", (json_int_t)head, "roles",
                     roles ? roles : json_object(), "per", (json_int_t)jb->per);
}
