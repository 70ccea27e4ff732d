/* SPDX-License-Identifier: MIT
 * GET /v1/jobs/ID/units: a job's units one page at a time, optionally only those in some
 * states, so that every failed task of a large array can be found (the job's own JSON
 * shows only its latest runs). A unit's state comes from its latest run record (a record
 * per unit index, reused when the unit starts again): running, done or failed; a stopped
 * run means the unit waits to start again (pending) while the job is active, and stopped
 * once the job has ended; a unit with no record never started (pending, or stopped). A
 * task array's task says more (gt_sched_task): a cancelled task is stopped, and a failed
 * one with restarts left is pending (backing off, perhaps) until it runs again.
 * A page walks unit indices from `after` + 1 and stops at `limit` matches, or after
 * SCAN_MAX indices (a filter that matches few units of a huge array must not hold the
 * state thread): `next` is then the last index looked at, and the page may be short or
 * empty while more pages follow. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

static const char *const unit_state_names[] = {"pending", "running", "done", "failed", "stopped"};
#define NSTATES (int)(sizeof unit_state_names / sizeof unit_state_names[0])
#define SCAN_MAX 100000

int ctld_unit_states_parse(const char *list) {
    int mask = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        int k = 0;
        while (k < NSTATES &&
               (strlen(unit_state_names[k]) != n || strncmp(p, unit_state_names[k], n)))
            k++;
        if (k == NSTATES)
            return -1;
        mask |= 1 << k;
        p += n + (p[n] == ',');
    }
    return mask;
}

static int unit_state(const ctld_run *r, int job_over, const gt_task_info *task) {
    if (task && task->state == GT_TASK_CANCELLED)
        return CTLD_UNIT_STOPPED;
    if (!r)
        return job_over ? CTLD_UNIT_STOPPED : CTLD_UNIT_PENDING;
    if (r->state == RUN_ACTIVE)
        return CTLD_UNIT_RUNNING;
    if (task && task->state == GT_TASK_OPEN && !job_over)
        return CTLD_UNIT_PENDING; /* it failed and starts again */
    if (r->state == RUN_DONE)
        return r->failed ? CTLD_UNIT_FAILED : CTLD_UNIT_DONE;
    return job_over ? CTLD_UNIT_STOPPED : CTLD_UNIT_PENDING;
}

static json_t *unit_json(gt_ctld *c, uint32_t unit, const ctld_run *r, int st) {
    json_t *o = r ? ctld_run_json(c, r) : json_pack("{s:I}", "unit", (json_int_t)unit);
    if (o) {
        json_object_set_new(o, "state", json_string(unit_state_names[st]));
        json_object_set_new(o, "restarts", json_integer(r && r->starts ? r->starts - 1 : 0));
    }
    return o;
}

void ctld_exec_units(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    gt_job_info ji;
    if (!ctld_job_visible(c, r->who, r->id) || !gt_sched_job(c->sched, r->id, &ji)) {
        gt_error e;
        gt_fail(&e, GT_E_NOT_FOUND, "id", "no such job");
        ctld_answer_err(r, &e);
        return;
    }
    int states = (int)json_integer_value(json_object_get(r->body, "states"));
    json_int_t limit = json_integer_value(json_object_get(r->body, "limit"));
    json_int_t after = json_integer_value(json_object_get(r->body, "after"));
    int over = ji.state >= GT_JOB_COMPLETED;
    json_t *units = json_array();
    uint32_t u = (uint32_t)(after + 1), last = 0, scanned = 0;
    int more = 0;
    for (; u < ji.units && units; u++) {
        if (scanned++ == SCAN_MAX) { /* enough for one page: the next one goes on from here */
            more = 1;
            break;
        }
        last = u;
        const ctld_run *run = ctld_run_find(c, r->id, u);
        gt_task_info ti;
        int st = unit_state(run, over, gt_sched_task(c->sched, r->id, u, &ti) ? &ti : NULL);
        if (states && !(states >> st & 1))
            continue;
        if ((json_int_t)json_array_size(units) == limit) {
            more = 1;
            last = u - 1;
            break;
        }
        json_array_append_new(units, unit_json(c, u, run, st));
    }
    ctld_answer_json(r, 200,
                     json_pack("{s:I, s:I, s:o, s:o}", "job", (json_int_t)r->id, "total",
                               (json_int_t)ji.units, "units", units ? units : json_array(), "next",
                               more ? json_integer(last) : json_null()));
}
