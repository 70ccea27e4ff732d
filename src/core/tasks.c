/* SPDX-License-Identifier: MIT
 * A task array's tasks one by one (kind tasks). Each task has a uint16_t in sched.tstate:
 *
 *   bits 0-1  OPEN (pending or running), OK, FAILED (no restart left), CANCELLED
 *   bit  2    BACKING: failed, waiting out its back-off in sched.retry
 *   bits 4-15 its restarts so far (spec.max_restarts is each task's own budget)
 *
 * A pending task is in one of four places: never started (index >= next_index; the
 * cancelled ones there are skipped), the job's list of indices to start again (requeued,
 * restarted, released by aftercorr), the retry heap (backing off), or nowhere yet: its
 * aftercorr task has not succeeded (unready). The pass starts only the first two
 * (core_tasks_startable); the others wait with reason backoff or dependency.
 *
 * aftercorr (Slurm's): task i of B waits for task i of A, an array of the same size. When
 * A's task i succeeds, B's task i is released (its index joins B's list); when it fails
 * for good, is cancelled, or A ends without it, B's task i is dropped (counted cancelled,
 * B says which dependency). B's release list is seeded at submit from A's tasks so far.
 * The arrays that follow another live in sched.corr_jobs: a task's end looks through
 * that list (short: the arrays with aftercorr that have not ended). */
#include <assert.h>
#include <string.h>

#include "core/sched_int.h"
#include "util/vec.h"

enum { T_OPEN = 0, T_OK, T_FAILED, T_CANCELLED };
#define T_STATE 3u
#define T_BACKING 4u
#define T_SHIFT 4
#define T_COUNT_MAX 4095u

static uint16_t *tsk(gt_sched *s, const job_t *jb, uint32_t i) {
    return &s->tstate[jb->tbase + i];
}

static unsigned tstate_of(const gt_sched *s, const job_t *jb, uint32_t i) {
    return s->tstate[jb->tbase + i] & T_STATE;
}

static void set_state(gt_sched *s, const job_t *jb, uint32_t i, unsigned st) {
    uint16_t *t = tsk(s, jb, i);
    *t = (uint16_t)((*t & ~(T_STATE | T_BACKING)) | st);
}

static int alive(const job_t *jb) {
    return jb->state < GT_JOB_COMPLETED;
}

/* Pending task i of job j will not run: counted dropped; a follower drops its own. */
static void follow(gt_sched *s, uint32_t a, uint32_t i, int ok, gt_time now);

static void drop_task(gt_sched *s, uint32_t j, uint32_t i, gt_time now) {
    job_t *jb = &s->jobs[j];
    set_state(s, jb, i, T_CANCELLED);
    core_unit_drop_one(s, jb);
    follow(s, j, i, 0, now);
}

/* Pending task i of job j may start now: its index joins the list (dropped on OOM rather
 * than lost: it is counted, never stuck). 0 when it was dropped. */
static int release(gt_sched *s, uint32_t j, uint32_t i, gt_time now) {
    if (core_index_give(s, &s->jobs[j], i))
        return 1;
    drop_task(s, j, i, now);
    return 0;
}

void core_index_return(gt_sched *s, uint32_t j, uint32_t index, gt_time now) {
    job_t *jb = &s->jobs[j];
    if (jb->tbase == CORE_NO_TASKS)
        core_index_give(s, jb, index);
    else
        release(s, j, index, now); /* (the caller settles the job) */
}

static void follow(gt_sched *s, uint32_t a, uint32_t i, int ok, gt_time now) {
    for (size_t k = 0; k < s->corr_jobs.n; k++) {
        uint32_t b = s->corr_jobs.v[k];
        job_t *jb = &s->jobs[b];
        if (jb->corr != a || !alive(jb) || tstate_of(s, jb, i) != T_OPEN)
            continue;
        jb->unready--;
        if (ok && release(s, b, i, now))
            continue;
        if (!ok) {
            jb->dep_broken = jb->corr_dep;
            drop_task(s, b, i, now);
        }
        core_job_requeue_or_finish(s, b, now);
        core_tasks_note_ended(s, b);
    }
}

int core_tasks_reserve(gt_sched *s, const gt_jobspec *sp) {
    if (sp->kind != GT_KIND_TASKS)
        return 1;
    int corr = 0;
    for (int i = 0; i < sp->ndeps; i++)
        corr |= sp->dep_type[i] == GT_DEP_AFTERCORR;
    return gt_vec_reserve((void **)&s->tstate, &s->tstate_cap, s->ntstate + (size_t)sp->tasks,
                          sizeof *s->tstate) &&
           (!corr || (gt_vec_reserve((void **)&s->corr_jobs.v, &s->corr_jobs.cap,
                                     s->corr_jobs.n + 1, sizeof *s->corr_jobs.v) &&
                      gt_vec_reserve32((void **)&s->ridx, &s->ridx_cap,
                                       (size_t)s->nridx + (size_t)sp->tasks, sizeof *s->ridx, 64)));
}

void core_tasks_init(gt_sched *s, uint32_t j, const gt_jobspec *sp, gt_time now) {
    job_t *jb = &s->jobs[j];
    jb->corr = GT_NONE;
    jb->tbase = CORE_NO_TASKS;
    if (jb->kind != GT_KIND_TASKS)
        return;
    jb->backoff_ms = sp->restart_backoff_ms;
    jb->tbase = s->ntstate;
    memset(s->tstate + s->ntstate, 0, jb->nunits * sizeof *s->tstate);
    s->ntstate += jb->nunits;
    for (int d = 0; d < sp->ndeps; d++)
        if (sp->dep_type[d] == GT_DEP_AFTERCORR) {
            jb->corr = sp->dep_job[d];
            jb->corr_dep = (uint8_t)d;
        }
    if (jb->corr == GT_NONE || !alive(jb)) /* (its other dependencies may have cancelled it) */
        return;
    /* Nothing starts from next_index: every task waits to be released. */
    s->corr_jobs.v[s->corr_jobs.n++] = j;
    jb->next_index = jb->nunits;
    const job_t *a = &s->jobs[jb->corr];
    for (uint32_t i = jb->nunits; i-- > 0;) { /* the list is LIFO: task 0 comes first */
        unsigned st = tstate_of(s, a, i);
        if (st == T_OK) {
            release(s, j, i, now);
        } else if (st != T_OPEN || !alive(a)) {
            jb->dep_broken = jb->corr_dep;
            set_state(s, jb, i, T_CANCELLED);
            core_unit_drop_one(s, jb);
        } else {
            jb->unready++;
        }
    }
}

static int rless(const struct core_retry *x, const struct core_retry *y) {
    return x->at != y->at     ? x->at < y->at
           : x->job != y->job ? x->job < y->job
                              : x->index < y->index;
}

static void heap_up(gt_sched *s, uint32_t p) {
    struct core_retry e = s->retry[p];
    while (p > 0 && rless(&e, &s->retry[(p - 1) / 2])) {
        s->retry[p] = s->retry[(p - 1) / 2];
        p = (p - 1) / 2;
    }
    s->retry[p] = e;
}

static void heap_pop(gt_sched *s) {
    struct core_retry e = s->retry[--s->nretry];
    uint32_t p = 0;
    for (;;) {
        uint32_t l = 2 * p + 1, m = l;
        if (l >= s->nretry)
            break;
        if (l + 1 < s->nretry && rless(&s->retry[l + 1], &s->retry[l]))
            m = l + 1;
        if (!rless(&s->retry[m], &e))
            break;
        s->retry[p] = s->retry[m];
        p = m;
    }
    if (s->nretry)
        s->retry[p] = e;
}

int core_task_ended(gt_sched *s, uint32_t j, uint32_t index, int ok, gt_time now) {
    job_t *jb = &s->jobs[j];
    uint16_t *t = tsk(s, jb, index);
    uint32_t n = (uint32_t)*t >> T_SHIFT;
    if (!ok && n < jb->max_restarts && n < T_COUNT_MAX) {
        *t = (uint16_t)((n + 1) << T_SHIFT | T_OPEN);
        if (jb->backoff_ms <= 0)
            return 1;
        /* back-off doubles with each retry of this task, up to CORE_BACKOFF_MAX_MS */
        gt_time wait = jb->backoff_ms;
        for (uint32_t k = 0; k < n && wait < CORE_BACKOFF_MAX_MS; k++)
            wait *= 2;
        if (wait > CORE_BACKOFF_MAX_MS)
            wait = CORE_BACKOFF_MAX_MS;
        if (!gt_vec_reserve32((void **)&s->retry, &s->retry_cap, (size_t)s->nretry + 1,
                              sizeof *s->retry, 64))
            return 1; /* no room to wait: it starts again at once */
        s->retry[s->nretry] = (struct core_retry){now + wait, j, index};
        heap_up(s, s->nretry++);
        *t |= T_BACKING;
        jb->backing++;
        return 2;
    }
    set_state(s, jb, index, ok ? T_OK : T_FAILED);
    follow(s, j, index, ok, now);
    return 0;
}

/* The arrays that ended leave the list (before a pass, when nothing walks it). */
static void corr_compact(gt_sched *s) {
    size_t w = 0;
    for (size_t k = 0; k < s->corr_jobs.n; k++)
        if (alive(&s->jobs[s->corr_jobs.v[k]]))
            s->corr_jobs.v[w++] = s->corr_jobs.v[k];
    s->corr_jobs.n = w;
}

void core_tasks_due(gt_sched *s, gt_time now) {
    corr_compact(s);
    while (s->nretry && s->retry[0].at <= now) {
        struct core_retry e = s->retry[0];
        heap_pop(s);
        job_t *jb = &s->jobs[e.job];
        if (!alive(jb) || !(*tsk(s, jb, e.index) & T_BACKING))
            continue; /* ended or cancelled meanwhile */
        *tsk(s, jb, e.index) &= (uint16_t)~T_BACKING;
        jb->backing--;
        release(s, e.job, e.index, now);
        core_job_requeue_or_finish(s, e.job, now);
    }
}

uint32_t core_tasks_startable(const job_t *jb) {
    return jb->tbase == CORE_NO_TASKS ? jb->pending : jb->pending - jb->backing - jb->unready;
}

uint32_t core_tasks_next_index(gt_sched *s, job_t *jb) {
    if (jb->tbase != CORE_NO_TASKS)
        while (jb->next_index < jb->nunits && tstate_of(s, jb, jb->next_index) == T_CANCELLED)
            jb->next_index++;
    assert(jb->tbase == CORE_NO_TASKS || jb->next_index < jb->nunits);
    return jb->next_index++;
}

/* (The list is not compacted here: a task's end may walk it while this runs.) */
void core_tasks_job_ended(gt_sched *s, uint32_t a, gt_time now) {
    job_t *ja = &s->jobs[a];
    ja->backing = ja->unready = 0; /* (nothing is pending any more) */
    if (ja->tbase == CORE_NO_TASKS)
        return;
    for (size_t k = 0; k < s->corr_jobs.n; k++) {
        uint32_t b = s->corr_jobs.v[k];
        job_t *jb = &s->jobs[b];
        if (jb->corr != a || !alive(jb) || !jb->unready)
            continue;
        for (uint32_t i = 0; i < jb->nunits; i++)
            if (tstate_of(s, ja, i) != T_OK && tstate_of(s, jb, i) == T_OPEN) {
                jb->unready--;
                jb->dep_broken = jb->corr_dep;
                drop_task(s, b, i, now);
            }
        core_job_requeue_or_finish(s, b, now);
        core_tasks_note_ended(s, b);
    }
}

void core_tasks_note_ended(gt_sched *s, uint32_t j) {
    if (gt_vec_reserve((void **)&s->followers.v, &s->followers.cap, s->followers.n + 1,
                       sizeof *s->followers.v))
        s->followers.v[s->followers.n++] = j;
}

const uint32_t *gt_sched_followers_changed(gt_sched *s, size_t *n) {
    *n = s->followers.n;
    s->followers.n = 0; /* (the array stays valid until the next change) */
    return s->followers.v;
}

int gt_sched_task(const gt_sched *s, uint32_t job, uint32_t index, gt_task_info *out) {
    if (job >= s->njobs || s->jobs[job].tbase == CORE_NO_TASKS || index >= s->jobs[job].nunits)
        return 0;
    uint16_t t = s->tstate[s->jobs[job].tbase + index];
    out->state = t & T_STATE; /* (T_OPEN .. T_CANCELLED are GT_TASK_OPEN .. _CANCELLED) */
    out->restarts = (uint32_t)t >> T_SHIFT;
    out->backoff = (t & T_BACKING) != 0;
    return 1;
}

/* Take the cancelled indices out of job j's list of indices to start again. */
static void unlist_cancelled(gt_sched *s, job_t *jb) {
    uint32_t *link = &jb->free_index;
    while (*link != GT_NONE) {
        uint32_t e = *link;
        if (tstate_of(s, jb, s->ridx[e].index) == T_CANCELLED) {
            *link = s->ridx[e].next;
            s->ridx[e].next = s->ridx_free;
            s->ridx_free = e;
        } else {
            link = &s->ridx[e].next;
        }
    }
}

const gt_decision *gt_sched_cancel_tasks(gt_sched *s, uint32_t job, uint32_t lo, uint32_t hi,
                                         gt_time now, uint32_t *cancelled, size_t *n,
                                         gt_error *err) {
    s->ndec = 0;
    *n = 0;
    *cancelled = 0;
    if (job >= s->njobs) {
        gt_fail(err, GT_E_NOT_FOUND, "job", "no job %u", job);
        return NULL;
    }
    job_t *jb = &s->jobs[job];
    if (jb->tbase == CORE_NO_TASKS) {
        gt_fail(err, GT_E_INVALID, "tasks", "job %u is not a task array (kind tasks)", job);
        return NULL;
    }
    if (!alive(jb)) {
        gt_fail(err, GT_E_STATE, "job", "job %u has ended", job);
        return NULL;
    }
    if (lo > hi || hi >= jb->nunits) {
        gt_fail(err, GT_E_RANGE, "tasks", "tasks %u-%u: job %u has tasks 0-%u", lo, hi, job,
                jb->nunits - 1);
        return NULL;
    }
    size_t stops = 0;
    for (uint32_t u = jb->run_head; u != GT_NONE; u = s->units[u].jnext)
        stops += s->units[u].index >= lo && s->units[u].index <= hi;
    if (!core_dec_reserve(s, stops)) { /* before anything changes */
        gt_fail(err, GT_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    for (uint32_t u = jb->run_head, next; u != GT_NONE; u = next) {
        next = s->units[u].jnext;
        uint32_t i = s->units[u].index;
        if (i < lo || i > hi)
            continue;
        core_dec_push(s, GT_DEC_STOP, GT_WHY_CANCELLED, job, u, 0); /* (room made above) */
        core_unit_release(s, u, CORE_UNIT_DROP);
        set_state(s, jb, i, T_CANCELLED);
        (*cancelled)++;
        follow(s, job, i, 0, now);
        jb = &s->jobs[job];
    }
    for (uint32_t i = lo; i <= hi; i++) {
        uint16_t t = *tsk(s, jb, i);
        if ((t & T_STATE) != T_OPEN)
            continue;
        if (t & T_BACKING)
            jb->backing--;
        else if (jb->corr != GT_NONE && tstate_of(s, &s->jobs[jb->corr], i) != T_OK)
            jb->unready--;
        drop_task(s, job, i, now);
        (*cancelled)++;
    }
    unlist_cancelled(s, jb);
    core_job_requeue_or_finish(s, job, now);
    CORE_CHECK(s);
    *n = s->ndec;
    return s->dec;
}
