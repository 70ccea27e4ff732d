/* SPDX-License-Identifier: MIT
 * Internal representation shared by the scheduler's files (sched.c, queue.c, units.c,
 * resv.c, preempt.c, pass.c). Not a public header: only src/core includes it.
 *
 * Indices, not pointers, link everything (pools grow by realloc). GT_NONE ends a list. */
#ifndef GT_CORE_SCHED_INT_H
#define GT_CORE_SCHED_INT_H

#include "core/frag.h"
#include "core/sched.h"

typedef struct {
    uint8_t state, kind, prio, in_queue, held;
    uint32_t tenant;
    gt_shape shape;
    uint32_t shape_id;
    uint32_t nunits, min_units;
    uint32_t pending, running, done, failed;
    gt_time submit, first_start, end, estimate;
    gt_time preempt_retry; /* no preemption attempt before this time */
    uint32_t restarts, preemptions;
    uint32_t max_restarts, retries; /* failed units started again (spec.max_restarts) */
    uint32_t qlist, qprev, qnext;   /* queue links while pending > 0 */
    uint32_t run_head;              /* running units, linked by unit.jnext */
    uint32_t next_index;            /* unit indices never used yet start here */
    uint32_t free_index;            /* indices of requeued units (list in sched.ridx) */
    uint32_t spare_under; /* a gang that lost a node: the subtree it ran in, tried first when
                             it starts again (hot spares); GT_NONE */
    /* deps.c: its dependencies, deps[dep_base .. dep_base + ndeps); dep_wait while they are
     * not met (it is not queued); dep_broken: the one that never can be (GT_NONE) */
    uint32_t dep_base, dep_broken;
    uint8_t ndeps, dep_wait;
    uint32_t max_running; /* a task array's cap on units running at once (0: none) */
    uint32_t dropped;     /* units that will never run: cancelled (the job, or tasks by range)
                             or whose aftercorr task cannot succeed (state DROPPED) */
    /* tasks.c: a task array's tasks, sched.tstate[tbase .. tbase + nunits) (kind tasks;
     * other kinds: CORE_NO_TASKS) */
    uint64_t tbase;
    uint32_t backing;   /* pending tasks waiting out their retry back-off (in sched.retry) */
    uint32_t unready;   /* pending tasks whose aftercorr task has not succeeded yet */
    uint32_t corr;      /* the array whose task i its task i waits for (aftercorr), GT_NONE */
    uint8_t corr_dep;   /* which of its dependencies that is */
    gt_time backoff_ms; /* a failed task's first retry waits this long (doubling each time) */
} job_t;

#define CORE_NO_TASKS UINT64_MAX

typedef struct {
    uint32_t job;
    uint8_t type; /* gt_dep_type */
} dep_t;

typedef struct {
    uint32_t job, gen;
    uint32_t index;     /* 0 .. job's units-1 (gt_decision.index) */
    uint32_t slot_head; /* slots, linked by slot.unext */
    uint32_t jprev, jnext;
    uint32_t heap_pos;
    uint8_t running, borrowed, prio, span_level;
    uint32_t mark; /* == sched.mark_no while collected by preemption */
    int32_t gpus;  /* GPUs held by the unit */
    int64_t cpus;
    gt_time start, est_end;
} unit_t;

typedef struct {
    gt_slot s;
    uint32_t unit;
    uint32_t unext;        /* next slot of the same unit (also the free list) */
    uint32_t nprev, nnext; /* slots on the same node */
} slot_t;

typedef struct {
    gt_tenant_conf conf;
    int64_t gpus_held, cpus_held;
    double usage; /* decayed GPU-ms */
    gt_time usage_at;
    double fs;            /* fair-share factor at the last pass */
    uint64_t capped_pass; /* pass in which it reached its limit: skip its queue */
} tenant_t;

/* replicas.c: what a service's replica remembers across its runs (the notes are there) */
typedef struct {
    uint32_t restarts, streak, window;
    uint32_t last_node; /* vertex of its last run's first slot, GT_NONE */
    gt_time started, last_fail, not_before;
} rep_t;

/* A job's service part, parallel to jobs[] (rep_base GT_NONE: not a service). */
typedef struct {
    uint32_t rep_base;  /* its replicas: reps[rep_base .. rep_base + nunits) */
    uint32_t max_fails; /* failures within window_ms beyond which it is degraded */
    uint32_t desired;   /* replicas it should run: the pass starts no more (gt_sched_scale) */
    uint32_t max;       /* replicas.max: the most it wants (the rest of nunits: spare slots) */
    uint32_t surge;     /* replicas it may run beyond desired now (a rolling update) */
    gt_time backoff_ms, window_ms;
    uint64_t backoff_pass; /* the pass that found every pending replica backing off */
    /* gt_sched_pair: replica i starts inside the level-`level` subtree of replica
     * (i / per) * anchor_per of service `anchor` (GT_NONE: unpaired) */
    uint32_t anchor, per, anchor_per;
    int32_t level;
    uint64_t paired_pass; /* the pass in which a replica waited for its set's room */
    uint32_t hint;        /* the index core_rep_place_paired placed: core_rep_pick takes it */
} svc_t;

/* The fragmentation model forgets a request after this many later ones (half-life). */
#define CORE_FRAG_HALF_LIFE 4096

#define CORE_BACKOFF_MAX_MS (5 * 60 * 1000)

typedef struct {
    gt_shape shape;
    uint32_t refs; /* queued jobs with this shape */
    uint64_t failed_pass;
} shape_t;

typedef struct {
    uint32_t *v;
    size_t n, cap;
} u32vec;

struct gt_sched {
    gt_config *cfg;
    gt_topo *topo;
    gt_policy pol;
    gt_place_scratch ps;

    job_t *jobs;
    uint32_t njobs, jobs_cap;
    svc_t *svc; /* per job (replicas.c) */
    uint32_t svc_cap;
    rep_t *reps;
    uint32_t nreps, reps_cap;
    unit_t *units;
    uint32_t nunits, units_cap, unit_free;
    slot_t *slots;
    uint32_t nslots, slots_cap, slot_free;
    uint32_t *node_slots; /* per vertex: head of its slot list */

    tenant_t *tenants;
    uint32_t ntenants, tenants_cap;
    /* Queues: FIFO uses list 0; FAIRSHARE uses tenant * GT_NPRIO + prio. */
    uint32_t *qhead, *qtail;
    uint32_t nlists;

    shape_t *shapes;
    uint32_t nshapes, shapes_cap;
    uint32_t *shape_hash;
    uint32_t shape_hash_cap;
    uint32_t live_shapes, live_gpu_shapes; /* shapes with refs > 0 */
    uint32_t failed_shapes, failed_gpu_shapes;
    uint64_t pass_no;
    int pass_limit;     /* gt_sched_set_pass_limit: -1 the config's */
    int pass_truncated; /* the last pass stopped at its limit (not in snapshots: a pass's) */
    uint64_t check_no;  /* mutating calls seen by CORE_CHECK (debug builds) */

    uint32_t *heap; /* running units by est_end */
    uint32_t heap_n, heap_cap;

    gt_decision *dec;
    size_t ndec, dec_cap;
    gt_slot *slot_buf; /* placement output and unit_slots() copy */
    uint32_t slot_buf_cap;
    u32vec tmp, tmp2; /* scratch: reservation frontier; pass cursors */
    u32vec pcand;     /* scratch: preemption candidates */
    /* Indices of requeued units waiting to start again: per-job lists (job.free_index)
     * in one pool, free entries linked from ridx_free. */
    struct ridx {
        uint32_t index, next;
    } * ridx;
    uint32_t nridx, ridx_cap, ridx_free;
    u32vec qorder; /* scratch: tenants by fair share, for the pass cursor */
    struct victim *vic;
    size_t vic_cap;
    uint32_t mark_no;

    dep_t *deps; /* deps.c: every job's dependencies, and the jobs waiting on theirs */
    uint32_t ndeps, deps_cap;
    u32vec dep_wait;
    u32vec dep_settled; /* the jobs the last core_deps_update settled (not in snapshots) */

    gt_frag_model frag; /* the workload as placement scores fragmentation (core/frag.h) */

    /* tasks.c: every task array's tasks, a uint16_t each (state, restarts); the failed
     * tasks waiting out their back-off, a heap by time; the arrays following another's
     * tasks (aftercorr) while they live */
    uint16_t *tstate;
    size_t ntstate, tstate_cap;
    struct core_retry {
        gt_time at;
        uint32_t job, index;
    } * retry;
    uint32_t nretry, retry_cap;
    u32vec corr_jobs;
    u32vec followers; /* arrays whose tasks a cascade dropped (not in snapshots) */

    gt_sched_stats st;
};

/* deps.c */
/* Job j's dependencies from its spec (ids checked by the caller): it waits on them, is
 * cancelled when one can never be met, or goes on at once when they are; 0 on OOM. */
int core_deps_init(gt_sched *s, uint32_t j, const gt_jobspec *sp, gt_time now);
/* Room for a job with n dependencies (core_deps_init cannot fail then); 0 on OOM. */
int core_deps_reserve(gt_sched *s, uint32_t n);
/* Before a pass: jobs whose dependencies are met are queued, those whose dependencies can
 * never be met are cancelled. */
void core_deps_update(gt_sched *s, gt_time now);

/* tasks.c: a task array's tasks one by one (the notes are there) */
/* Room for a job's tasks from its spec, its aftercorr seed included; 0 on OOM (nothing
 * changed but capacity). */
int core_tasks_reserve(gt_sched *s, const gt_jobspec *sp);
/* Job j's tasks (after core_tasks_reserve; its counts set): every job's task fields;
 * an aftercorr array is seeded from the tasks its array has settled so far. */
void core_tasks_init(gt_sched *s, uint32_t j, const gt_jobspec *sp, gt_time now);
/* Task `index` of job j ended (ok or not): 1 when it may start again at once (a failure
 * with its own restarts left), 2 when it does after its back-off (in sched.retry), 0 when
 * it is over (the arrays that
 * follow it by aftercorr learn). The caller moves the unit. */
int core_task_ended(gt_sched *s, uint32_t j, uint32_t index, int ok, gt_time now);
/* Back-off over at `now`: those tasks may start again (before each pass). */
void core_tasks_due(gt_sched *s, gt_time now);
/* Tasks of job j the pass may start now (pending, not backing off, not waiting for their
 * aftercorr task). */
uint32_t core_tasks_startable(const job_t *jb);
/* The next never-started index of job j that is not cancelled. */
uint32_t core_tasks_next_index(gt_sched *s, job_t *jb);
/* Array j's tasks changed by a cascade (aftercorr): gt_sched_followers_changed lists it. */
void core_tasks_note_ended(gt_sched *s, uint32_t j);
/* Job j ended: its tasks that did not succeed are final (the arrays that follow it drop
 * theirs). */
void core_tasks_job_ended(gt_sched *s, uint32_t j, gt_time now);

/* replicas.c */
/* Room in svc[] for job njobs; 0 on OOM. */
int core_svc_reserve(gt_sched *s);
/* Job j's service part from its spec (its replicas, when a service); 0 on OOM. */
int core_svc_init(gt_sched *s, uint32_t j, const gt_jobspec *sp);
/* Replica `index` of job j, NULL when j is not a service. */
rep_t *core_rep(const gt_sched *s, uint32_t j, uint32_t index);
void core_rep_started(gt_sched *s, uint32_t j, uint32_t index, uint32_t node, gt_time now);
/* It ended on its own (ok or not): counted, and backs off before it starts again. */
void core_rep_ended(gt_sched *s, uint32_t j, uint32_t index, int ok, gt_time now);
/* The scheduler stopped it and requeued it (preemption, node loss): counted only. */
void core_rep_requeued(gt_sched *s, uint32_t j, uint32_t index);
/* An index to start now: a requeued replica whose back-off is over, else a never-started
 * one; GT_NONE when every pending replica backs off. */
uint32_t core_rep_pick(gt_sched *s, job_t *jb, gt_time now);
/* Pending replicas that may start at now; *next_ms (may be NULL): when the next backing-off
 * one may (GT_TIME_NEVER: none backs off). */
uint32_t core_rep_startable(const gt_sched *s, const job_t *jb, gt_time now, gt_time *next_ms);
/* The index core_rep_pick would hand out now, without taking it; GT_NONE. */
uint32_t core_rep_peek(const gt_sched *s, uint32_t j, const job_t *jb, gt_time now);
/* The node the replica core_rep_pick would hand out ran on last, GT_NONE. */
uint32_t core_rep_last_node(const gt_sched *s, uint32_t j, const job_t *jb, gt_time now);
/* A paired job (gt_sched_pair): place, into s->slot_buf, the first pending replica (not
 * backing off) whose set's anchor runs and whose subtree has room; core_rep_pick then
 * hands out that index. 0 when no set has room. */
int core_rep_place_paired(gt_sched *s, uint32_t j, gt_time now, uint32_t *span);

/* queue.c */
void core_q_insert(gt_sched *s, uint32_t j);
void core_q_remove(gt_sched *s, uint32_t j);
void core_fs_update(gt_sched *s, gt_time now);
/* Ordered walk: init, then next until GT_NONE. The cursor tolerates removal of the job it
 * just returned. */
typedef struct {
    uint32_t *cur;   /* per tenant cursor (FAIRSHARE) */
    uint32_t fifo;   /* FIFO cursor */
    uint32_t *order; /* tenants by fair-share factor, high first (FAIRSHARE) */
    uint32_t g0, g1; /* order[g0..g1): the tenants with the current (equal) factor */
    int prio;
} q_cursor;
void core_q_cursor_init(gt_sched *s, q_cursor *c);
uint32_t core_q_cursor_next(gt_sched *s, q_cursor *c);

/* unit_lifecycle.c: the unit state machine (its table and diagram are there). A unit in
 * PENDING, DONE, FAILED or DROPPED is a count in its job; a RUNNING one has a record. */
typedef enum {
    CORE_UNIT_PENDING = 0,
    CORE_UNIT_RUNNING,
    CORE_UNIT_DONE,
    CORE_UNIT_FAILED,
    CORE_UNIT_DROPPED,
    CORE_UNIT__NSTATES
} core_unit_state;
typedef enum {
    CORE_UNIT_START = 0, /* placed: PENDING -> RUNNING */
    CORE_UNIT_REQUEUE,   /* stopped by the scheduler: RUNNING -> PENDING */
    CORE_UNIT_RESTART,   /* exited with an error, restarts left: RUNNING -> PENDING */
    CORE_UNIT_EXIT,      /* exited with status 0: RUNNING -> DONE */
    CORE_UNIT_FAIL,      /* exited with an error, no restart left: RUNNING -> FAILED */
    CORE_UNIT_END,       /* its job ended while it ran: RUNNING -> DONE */
    CORE_UNIT_DROP,      /* it will not run (again): PENDING or RUNNING -> DROPPED */
    CORE_UNIT__NEVENTS
} core_unit_ev;
/* The state event ev leads to from state `from` into *to: 1, or 0 when the table does not
 * allow ev in that state. */
int core_unit_transition(uint8_t from, core_unit_ev ev, uint8_t *to);
/* Move one of job jb's units: `un` is the running unit's record (every event but START
 * and DROP of a pending unit), the fresh record to fill (START), or NULL (DROP: every
 * pending unit of the job). Updates the job's counts by state, un->running and
 * st.running_units; nothing else (slots, lists and queues are the caller's). An event the
 * table forbids, or one with no unit in its state, fails an assertion in debug builds and
 * changes nothing in release builds. */
void core_unit_event(gt_sched *s, job_t *jb, unit_t *un, core_unit_ev ev);
/* One pending unit of job jb will not run: PENDING -> DROPPED (a task cancelled alone). */
void core_unit_drop_one(gt_sched *s, job_t *jb);

/* units.c */
int core_dec_push(gt_sched *s, uint8_t type, uint8_t why, uint32_t job, uint32_t unit,
                  uint8_t span_level);
int core_unit_start(gt_sched *s, uint32_t j, const gt_slot *slots, uint32_t span, gt_time now);
void core_unit_stop(gt_sched *s, uint32_t u, uint8_t why, int requeue, gt_time now);
/* Give a running unit's slots back and free its record; ev (a move out of RUNNING:
 * REQUEUE, RESTART, EXIT, FAIL, END or DROP) says where the unit goes. */
void core_unit_release(gt_sched *s, uint32_t u, core_unit_ev ev);
void core_job_requeue_or_finish(gt_sched *s, uint32_t j, gt_time now);
void core_index_drop_all(gt_sched *s, job_t *jb);
/* A requeued unit's index, handed out again first (a restart keeps its task number); 0
 * on OOM (the index is not listed). */
int core_index_give(gt_sched *s, job_t *jb, uint32_t index);
/* core_index_give for a unit that is pending again; when memory runs out a task is
 * dropped (counted cancelled: never lost, never started twice), another unit restarts
 * under a new index. */
void core_index_return(gt_sched *s, uint32_t j, uint32_t index, gt_time now);
/* Room for n more decisions; 0 on OOM. */
int core_dec_reserve(gt_sched *s, size_t n);
int core_pools_reserve(gt_sched *s, uint32_t units, uint32_t slots);
void core_heap_fix(gt_sched *s, uint32_t pos);
int64_t core_unit_gpus_of(const job_t *jb);

/* sched.c: double the tenant arrays and their queue lists (0 on OOM, nothing changed) */
int core_sched_tenants_grow(gt_sched *s);

/* shapes (sched.c) */
void core_shape_ref(gt_sched *s, uint32_t id, int delta);
int core_shape_failed(const gt_sched *s, uint32_t id);
void core_shape_mark_failed(gt_sched *s, uint32_t id);

/* resv.c: EASY reservation for a blocked job */
typedef struct {
    int active;   /* a job holds the reservation */
    int computed; /* shadow and extra are known (computed on first use) */
    uint32_t head;
    int gpu;   /* reserved resource: GPUs (1) or CPU cores (0) */
    int model; /* -1: any */
    gt_time shadow;
    int64_t extra;
} resv_t;
/* Make job j the holder; the shadow is computed when a later job first asks. */
void core_resv_hold(resv_t *r, uint32_t j);
/* Compute the shadow now if it is not known yet. */
void core_resv_ensure(gt_sched *s, resv_t *r, gt_time now);
/* May a unit of job j start now without delaying the reservation? If so, *use_extra is
 * what it takes from `extra`; the caller subtracts it once the unit has started. */
int core_resv_allows(gt_sched *s, resv_t *r, uint32_t j, gt_time now, int64_t *use_extra);

/* preempt.c */
int core_preempt_for(gt_sched *s, uint32_t j, gt_time now);

/* pass.c */
int core_try_start(gt_sched *s, uint32_t j, gt_time now, resv_t *r);

/* After a mutating gt_sched_* call, debug and test builds (GT_CHECK_INVARIANTS) run
 * gt_sched_check and assert it passes: after each of the first 256 calls, then at powers of
 * two (a check is O(everything), and tests drive millions of calls). */
#ifdef GT_CHECK_INVARIANTS
void core_check_after(gt_sched *s);
#define CORE_CHECK(s) core_check_after(s)
#else
#define CORE_CHECK(s) ((void)0)
#endif

/* lifecycle.c: the job state machine (its table and diagram are there). */
typedef enum {
    CORE_JOB_START = 0, /* a unit started */
    CORE_JOB_RUN,       /* units settled: some running */
    CORE_JOB_WAIT,      /* units settled: none running, some pending */
    CORE_JOB_DONE,      /* units settled: all done, none failed */
    CORE_JOB_FAIL,      /* units settled: all done, some failed */
    CORE_JOB_CANCEL,    /* cancelled */
    CORE_JOB_END,       /* ended from outside (a service's end) */
    CORE_JOB__NEVENTS
} core_job_ev;
/* The state event ev leads to from state `from` into *to: 1, or 0 when the table does not
 * allow ev in that state. */
int core_job_transition(uint8_t from, core_job_ev ev, uint8_t *to);
/* Apply ev to the job (every state change goes through here, so that the counts by
 * state stay right). An event the table forbids fails an assertion in debug builds and
 * changes nothing in release builds. */
void core_job_event(gt_sched *s, job_t *jb, core_job_ev ev);

/* node_lifecycle.c: the node state machine (its table and diagram are there). */
typedef enum {
    CORE_NODE_UP = 0, /* -> UP: its agent registered, or resumed */
    CORE_NODE_DRAIN,  /* -> DRAINING: drained */
    CORE_NODE_DOWN,   /* -> DOWN: lost */
    CORE_NODE__NEVENTS
} core_node_ev;
/* The state event ev leads to from state `from` into *to: 1, or 0 when the table does not
 * allow ev in that state (or either is out of range). */
int core_node_transition(uint8_t from, core_node_ev ev, uint8_t *to);
/* The event that leads toward state st (CORE_NODE__NEVENTS for a state out of range). */
core_node_ev core_node_ev_toward(gt_node_state st);
/* Apply ev to node `node` (a node vertex): the table's check, then gt_topo_set_state. An
 * event the table forbids fails an assertion in debug builds and changes nothing in
 * release builds. */
void core_node_event(gt_sched *s, uint32_t node, core_node_ev ev);

#endif
