/* SPDX-License-Identifier: MIT
 * Dependencies between jobs (Slurm's --dependency): a job that names some waits, pending
 * with reason "dependency" and out of the queue, until each is met:
 *
 *   after       the other job has started (or ended)
 *   afterok     it completed
 *   afternotok  it failed or was cancelled
 *   afterany    it ended, in any state
 *   aftercorr   task i waits for task i of the other array (tasks.c): the job does not
 *
 * One that can never be met (afterok of a job that failed, afternotok of one that
 * completed) cancels the waiting job, which says which (gt_job_info.dep_broken). Waiting
 * jobs are in a list looked at before each pass (O(waiting x their dependencies)). */
#include "core/sched_int.h"
#include "util/vec.h"

enum { DEP_WAIT, DEP_MET, DEP_NEVER };

static int verdict(const gt_sched *s, const dep_t *d) {
    const job_t *o = &s->jobs[d->job];
    int ended = o->state >= GT_JOB_COMPLETED;
    switch (d->type) {
    case GT_DEP_AFTER:
        return o->first_start >= 0 || ended ? DEP_MET : DEP_WAIT;
    case GT_DEP_AFTEROK:
        return !ended ? DEP_WAIT : o->state == GT_JOB_COMPLETED ? DEP_MET : DEP_NEVER;
    case GT_DEP_AFTERNOTOK:
        return !ended ? DEP_WAIT : o->state == GT_JOB_COMPLETED ? DEP_NEVER : DEP_MET;
    case GT_DEP_AFTERCORR: /* task by task (tasks.c): the job as a whole never waits */
        return DEP_MET;
    default:
        return ended ? DEP_MET : DEP_WAIT;
    }
}

/* DEP_MET when all are, DEP_NEVER (and *broken) when one can never be, else DEP_WAIT. */
static int job_verdict(const gt_sched *s, const job_t *jb, uint32_t *broken) {
    int all = DEP_MET;
    for (uint32_t i = 0; i < jb->ndeps; i++) {
        int v = verdict(s, &s->deps[jb->dep_base + i]);
        if (v == DEP_NEVER) {
            *broken = i;
            return DEP_NEVER;
        }
        if (v == DEP_WAIT)
            all = DEP_WAIT;
    }
    return all;
}

static void cancel(gt_sched *s, uint32_t j, uint32_t broken, gt_time now) {
    job_t *jb = &s->jobs[j];
    jb->dep_wait = 0;
    jb->dep_broken = broken;
    core_q_remove(s, j);
    core_unit_event(s, jb, NULL, CORE_UNIT_DROP);
    core_index_drop_all(s, jb);
    core_job_event(s, jb, CORE_JOB_CANCEL);
    jb->end = now;
    core_tasks_job_ended(s, j, now);
}

/* 1 when job j still waits. */
static int settle(gt_sched *s, uint32_t j, gt_time now) {
    job_t *jb = &s->jobs[j];
    uint32_t broken = GT_NONE;
    if (jb->state >= GT_JOB_COMPLETED) { /* cancelled while it waited */
        jb->dep_wait = 0;
        return 0;
    }
    int v = job_verdict(s, jb, &broken);
    if (v == DEP_WAIT)
        return 1;
    if (v == DEP_NEVER) {
        cancel(s, j, broken, now);
        return 0;
    }
    jb->dep_wait = 0;
    core_q_insert(s, j);
    return 0;
}

int core_deps_init(gt_sched *s, uint32_t j, const gt_jobspec *sp, gt_time now) {
    job_t *jb = &s->jobs[j];
    jb->dep_broken = GT_NONE;
    if (sp->ndeps <= 0)
        return 1;
    if (!core_deps_reserve(s, (uint32_t)sp->ndeps))
        return 0;
    jb->dep_base = s->ndeps;
    jb->ndeps = (uint8_t)sp->ndeps;
    for (int i = 0; i < sp->ndeps; i++)
        s->deps[s->ndeps++] = (dep_t){sp->dep_job[i], sp->dep_type[i]};
    jb->dep_wait = 1;
    core_q_remove(s, j);
    if (!settle(s, j, now))
        return 1;
    s->dep_wait.v[s->dep_wait.n++] = j; /* (room made by core_deps_reserve) */
    return 1;
}

int core_deps_reserve(gt_sched *s, uint32_t n) {
    return n == 0 || (gt_vec_reserve32((void **)&s->deps, &s->deps_cap, (size_t)s->ndeps + n,
                                       sizeof *s->deps, 64) &&
                      gt_vec_reserve((void **)&s->dep_wait.v, &s->dep_wait.cap, s->dep_wait.n + 1,
                                     sizeof *s->dep_wait.v));
}

void core_deps_update(gt_sched *s, gt_time now) {
    size_t w = 0;
    s->dep_settled.n = 0;
    for (size_t i = 0; i < s->dep_wait.n; i++) {
        uint32_t j = s->dep_wait.v[i];
        if (settle(s, j, now))
            s->dep_wait.v[w++] = j;
        else if (gt_vec_reserve((void **)&s->dep_settled.v, &s->dep_settled.cap,
                                s->dep_settled.n + 1, sizeof *s->dep_settled.v))
            s->dep_settled.v[s->dep_settled.n++] = j;
    }
    s->dep_wait.n = w;
}

const uint32_t *gt_sched_dep_settled(const gt_sched *s, size_t *n) {
    *n = s->dep_settled.n;
    return s->dep_settled.v;
}
