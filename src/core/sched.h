/* SPDX-License-Identifier: MIT
 * The scheduler: jobs, their units, per-tenant queues, and the scheduling pass. Pure: time
 * is an argument, every decision is returned as data, no I/O, no clock, no globals.
 *
 * A job is made of *units*, each an all-or-nothing gang of `shape.nodes` nodes:
 *   train  1 unit (the whole gang)
 *   serve  replicas_max units; replicas_min of them start together, the rest as room allows
 *   tasks  `tasks` single-node units, started independently
 *
 * Job lifecycle (state, event) -> state:
 *
 *     PENDING --start(first unit)--> RUNNING --all units done--> COMPLETED | FAILED
 *        ^                             |  |
 *        +---- preempt / node down ----+  +--cancel / job_end--> CANCELLED | COMPLETED
 *   (a train gang or a serve job below its minimum goes back to PENDING as a whole;
 *    a task or a surplus replica goes back alone)
 *
 * A pass (gt_sched_pass) walks the queue in order -- priority class, then fair share across
 * tenants, then submission time -- and starts what fits. With backfill, the first job that
 * does not fit gets a reservation (EASY): later jobs may start only if they end (by their
 * estimate) before it, or use only what the reservation does not need. With preemption,
 * that job may evict lower-priority work, or work that borrows beyond its tenant's quota
 * when its own tenant is within quota, choosing the subtree where that costs the least
 * lost work -- unless its reservation says running work frees the room within 30 minutes. Fair
 * share: each tenant's usage U decays with half-life H, dU/dt = gpus_held(t) - U ln2 / H, and its
 * factor is F = 2^(-(U/sum U) / (share/sum share)); higher F goes first.
 *
 * Memory: units and slots come from pools that grow and are reused (no per-decision
 * allocation once warm). Decisions returned are valid until the next call. */
#ifndef GT_CORE_SCHED_H
#define GT_CORE_SCHED_H

#include "core/config.h"
#include "core/jobspec.h"
#include "core/place.h"
#include "core/topo.h"

typedef enum {
    GT_JOB_PENDING = 0,
    GT_JOB_RUNNING,
    GT_JOB_COMPLETED,
    GT_JOB_FAILED,
    GT_JOB_CANCELLED,
    GT_JOB__NSTATES
} gt_job_state;

typedef enum { GT_ORDER_FIFO = 0, GT_ORDER_FAIRSHARE } gt_order;

typedef struct {
    char name[24];
    gt_order order; /* FIFO: submission order only; FAIRSHARE: priority, fair share, time */
    int backfill;
    int preempt;
    gt_place_mode placement;
} gt_policy;

/* Named policies: "fifo", "fifo-bf", "gantry" (default), "gantry-firstfit",
 * "gantry-nopreempt". Returns 0 if the name is unknown. */
int gt_policy_by_name(const char *name, gt_policy *out);
/* Comma-separated list of the names above (static string). */
const char *gt_policy_names(void);

typedef enum {
    GT_DEC_START = 0, /* unit started: launch it */
    GT_DEC_STOP,      /* unit stopped by the scheduler: kill it (it was preempted or lost) */
} gt_decision_type;

typedef enum {
    GT_WHY_NONE = 0,
    GT_WHY_PREEMPTED,
    GT_WHY_NODE_DOWN,
    GT_WHY_CANCELLED,
    GT_WHY_ENDED,    /* the job ended (serve job_end) */
    GT_WHY_GANG,     /* a sibling of the gang was lost */
    GT_WHY_SCALED,   /* a service's replicas were scaled down (gt_sched_scale) */
    GT_WHY_REPLACED, /* a service's replica makes way for a new version (gt_sched_replace) */
} gt_reason;

typedef struct {
    uint8_t type;       /* gt_decision_type */
    uint8_t reason;     /* gt_reason */
    uint8_t span_level; /* START: level of the placement's span */
    uint32_t job;
    uint32_t unit;  /* the unit's handle: pass it back to gt_sched_unit_done/_slots */
    uint32_t gen;   /* unit generation: events for a stale (gen-mismatched) unit are ignored */
    uint32_t index; /* which of the job's units this is, 0 .. units-1: the task number of a
                       task array, the replica number of a service, 0 for a gang. A unit
                       that is requeued starts again with the same index. */
} gt_decision;

/* Replicas that must start together (serve replicas.min) are capped at this. */
#define GT_MAX_MIN_REPLICAS 64

typedef struct gt_sched gt_sched;

/* A new scheduler over `cfg` (borrowed: the fleet in cfg->topo is mutated and must outlive
 * the scheduler). NULL on OOM. */
gt_sched *gt_sched_new(gt_config *cfg, const gt_policy *policy);
void gt_sched_free(gt_sched *s);

/* Accept a job. Returns its id (dense, from 0) or GT_NONE with err filled: an invalid spec,
 * an unknown GPU model or level, a shape the fleet can never hold (GT_E_IMPOSSIBLE). */
uint32_t gt_sched_submit(gt_sched *s, const gt_jobspec *spec, gt_time now, gt_error *err);

/* A job that failed at once without running: its id is taken, like gt_sched_submit's,
 * for a submission that cannot be accepted any more (a journal replayed on a fleet that
 * changed: job ids stay those the journal gave). GT_NONE only when out of memory. */
uint32_t gt_sched_submit_failed(gt_sched *s, const gt_jobspec *spec, gt_time now);

/* Can spec, a task array, follow job `job` (kind, tasks) by aftercorr? GT_E_OK, or
 * GT_E_INVALID naming both sizes (a workflow checks steps not submitted yet). */
gt_err gt_sched_corr_fits(int kind, uint32_t tasks, uint32_t job, const gt_jobspec *spec,
                          gt_error *err);

/* Would gt_sched_submit accept spec now (every check but memory)? GT_E_OK or its error:
 * a group of jobs (a service's roles) is checked whole before any of it is submitted. */
gt_err gt_sched_admit(const gt_sched *s, const gt_jobspec *spec, gt_error *err);

/* Roles of one service placed together, in sets of anchor_per replicas of service `anchor`
 * and `per` of service `job`: replica i of job starts only inside the subtree at level
 * `level` (a level name, e.g. "domain") that holds replica (i / per) * anchor_per of the
 * anchor (the first of its set), and waits (reason topology) while that one does not run
 * or its subtree has no room. A paired job starts its replicas one by one and never
 * preempts for them. GT_E_INVALID: not two services, anchor not submitted before job, or
 * paired itself; an unknown level; GT_E_RANGE: per or anchor_per 0 or too large. */
gt_err gt_sched_pair(gt_sched *s, uint32_t job, uint32_t anchor, const char *level, uint32_t per,
                     uint32_t anchor_per, gt_error *err);

/* The task arrays whose tasks another job's change dropped or released (aftercorr: its
 * task failed, was cancelled, or it ended), perhaps ending them, since the last call; the
 * list is then empty. The caller tells their news (their state may have changed). */
const uint32_t *gt_sched_followers_changed(gt_sched *s, size_t *n);

/* The jobs whose dependencies the last pass settled: queued (met) or cancelled (never
 * met); valid until the next pass. */
const uint32_t *gt_sched_dep_settled(const gt_sched *s, size_t *n);

/* The most decisions a pass makes from now on (0: no limit; -1: the config's
 * sched.max_starts_per_pass). A journal replays each pass with the limit it had. */
void gt_sched_set_pass_limit(gt_sched *s, int max);
/* Whether the last pass stopped at that limit: the next one (at once) goes on where it
 * stopped. */
int gt_sched_pass_truncated(const gt_sched *s);

/* Run one scheduling pass at `now`. Returns the decisions (count in *n). */
const gt_decision *gt_sched_pass(gt_sched *s, gt_time now, size_t *n);

/* A running unit's processes ended. ok=0 marks it failed, unless the job has restarts left
 * (spec.max_restarts; a task array's task has its own budget, and may back off first:
 * spec.restart_backoff_s, doubling per retry of that task): the unit is then pending
 * again, its restart counted. Stale (job, unit, gen) is ignored and returns 0; else 1. */
int gt_sched_unit_done(gt_sched *s, uint32_t job, uint32_t unit, uint32_t gen, gt_time now, int ok);

/* End a whole job now: running units stop (STOP decisions), pending ones are dropped.
 * final: GT_JOB_COMPLETED (a service reaching its end) or GT_JOB_CANCELLED. */
const gt_decision *gt_sched_job_end(gt_sched *s, uint32_t job, gt_job_state final, gt_time now,
                                    size_t *n);

/* Task `index` of task array `job` as its array sees it: GT_TASK_OPEN (pending, backing
 * off or running), GT_TASK_OK, GT_TASK_FAILED (no restart left) or GT_TASK_CANCELLED (by
 * range, or its aftercorr task did not succeed); its restarts and whether it backs off.
 * 0 when job is no task array or index is beyond it. */
enum { GT_TASK_OPEN = 0, GT_TASK_OK, GT_TASK_FAILED, GT_TASK_CANCELLED };
typedef struct {
    int state;
    uint32_t restarts;
    int backoff;
} gt_task_info;
int gt_sched_task(const gt_sched *s, uint32_t job, uint32_t index, gt_task_info *out);

/* Cancel tasks lo..hi (inclusive) of task array `job`: running ones stop (STOP decisions,
 * reason cancelled), pending ones will not run; both count as cancelled (*cancelled: how
 * many changed; tasks already ended or cancelled are left as they are), and the arrays
 * that follow it by aftercorr drop theirs. The job goes on with its other tasks, and ends
 * when they have. NULL with err: GT_E_NOT_FOUND, GT_E_INVALID (not a task array),
 * GT_E_STATE (it ended), GT_E_RANGE (lo > hi, or hi beyond its last task). */
const gt_decision *gt_sched_cancel_tasks(gt_sched *s, uint32_t job, uint32_t lo, uint32_t hi,
                                         gt_time now, uint32_t *cancelled, size_t *n,
                                         gt_error *err);

/* Hold a job: its pending units leave the queue (running ones keep running) until
 * gt_sched_release. GT_E_NOT_FOUND for an unknown job, GT_E_STATE for a finished one or
 * one already in that state. */
gt_err gt_sched_hold(gt_sched *s, uint32_t job, gt_error *err);
gt_err gt_sched_release(gt_sched *s, uint32_t job, gt_error *err);

/* Node state change. DOWN stops every unit on the node and requeues it (a gang as a whole).
 * DRAINING keeps running work, places nothing new. UP makes it schedulable again. */
const gt_decision *gt_sched_node_state(gt_sched *s, uint32_t node, gt_node_state st, gt_time now,
                                       size_t *n);

/* GPUs `off` (a mask of the node's GPU indices) of a node are not to be used: missing or
 * unhealthy. Nothing new is placed on them; work that holds one keeps it until it ends,
 * and it does not come free then. 0 puts every GPU back in use. GT_E_NOT_FOUND for a
 * vertex that is not a node. */
gt_err gt_sched_node_gpus_off(gt_sched *s, uint32_t node, uint32_t off, gt_error *err);

/* ---- snapshots ---- */

/* Append the scheduler's whole mutable state -- jobs, units, queues, tenants' usage,
 * shapes, and the fleet's free resources -- to out as bytes (snapshot.c documents the
 * format). The scheduler is not changed. out->oom is set if memory ran out. */
struct gt_sb;
void gt_sched_save(const gt_sched *s, struct gt_sb *out);

/* Restore a saved state into s, which must be fresh from gt_sched_new on the same config
 * and policy (the snapshot records the fleet's size and the policy and is refused if they
 * differ). Afterwards s behaves exactly as the saved scheduler did: the same calls give
 * the same decisions. GT_E_PARSE for a damaged snapshot, GT_E_INVALID for another fleet or
 * policy, GT_E_NOMEM; on error s must be freed. */
gt_err gt_sched_load(gt_sched *s, const void *data, size_t len, gt_error *err);

/* Whether a snapshot can be loaded into s: its format, fleet (every node's name, place and
 * resources, as the config gives them) and policy, from its header alone; s is not
 * changed. GT_E_PARSE (another format), GT_E_INVALID (another fleet or policy). */
gt_err gt_sched_snapshot_check(const gt_sched *s, const void *data, size_t len, gt_error *err);

/* ---- read access ---- */

/* Why a pending job waits, as the last pass saw it (squeue's REASON). */
typedef enum {
    GT_WAIT_NONE = 0,   /* not pending */
    GT_WAIT_PRIORITY,   /* behind other jobs: not reached yet, or no pass since it came */
    GT_WAIT_HELD,       /* gt_sched_hold */
    GT_WAIT_QUOTA,      /* its tenant was at its GPU limit (limit_gpus) */
    GT_WAIT_RESOURCES,  /* its shape fit nowhere */
    GT_WAIT_TOPOLOGY,   /* its shape fit nowhere within one `within` subtree, though the
                           fleet has enough nodes with its GPUs free */
    GT_WAIT_BACKOFF,    /* a service whose replicas wait out their restart back-off */
    GT_WAIT_IDLE,       /* a service scaled to zero (replicas.min 0): it runs nothing */
    GT_WAIT_DEPENDENCY, /* its dependencies (spec depends_on) are not met yet */
    GT_WAIT__COUNT
} gt_wait_reason;

/* "priority", "held", "quota", "resources", "topology"; "" for GT_WAIT_NONE. */
const char *gt_wait_reason_name(gt_wait_reason r);

typedef struct {
    gt_job_state state;
    gt_kind kind;
    int prio;
    uint32_t tenant;
    gt_shape shape;
    uint32_t units, units_pending, units_running, units_done, units_failed;
    uint32_t units_cancelled; /* will never run: the job or these tasks were cancelled, or
                                 their aftercorr task cannot succeed; pending + running +
                                 done + cancelled == units */
    uint32_t tasks_backoff;   /* of the pending: tasks waiting out their retry back-off */
    uint32_t tasks_unready;   /* ... tasks whose aftercorr task has not succeeded yet */
    gt_time submit, first_start, end;
    int held;             /* gt_sched_hold: pending units wait for gt_sched_release */
    uint32_t restarts;    /* units requeued: preemption, node loss, a failure with restarts left */
    uint32_t preemptions; /* units preempted */
    gt_wait_reason wait;  /* why it is pending: O(1), read from marks the last pass left */
    uint32_t dep_broken;  /* cancelled because this job's dependency can never be met: which
                             job (GT_NONE: not so) */
    uint8_t dep_broken_type; /* ... and which kind of dependency (gt_dep_type) */
} gt_job_info;

int gt_sched_job(const gt_sched *s, uint32_t job, gt_job_info *out);
uint32_t gt_sched_njobs(const gt_sched *s);
/* The slots of a running unit (valid until the next mutating call); NULL if not running. */
const gt_slot *gt_sched_unit_slots(const gt_sched *s, uint32_t job, uint32_t unit, uint32_t gen,
                                   uint32_t *nslots);

/* A service (kind serve): its replicas restart on their own (replicas.c). */
typedef struct {
    uint32_t restarts;       /* replica starts after the first, every replica */
    int degraded;            /* a replica failed more than max_restarts times in a window */
    uint32_t worst;          /* the replica that failed most in its window, GT_NONE */
    uint32_t worst_failures; /* its failures in the window */
    uint32_t max_restarts;   /* the limit (spec.max_restarts, else 5) */
    gt_time window_ms;       /* the window (spec.restart_window_s, else 10 minutes) */
    gt_time backoff_until;   /* every pending replica backs off until then; 0: none does */
    uint32_t desired;        /* replicas it should run (gt_sched_scale) */
    uint32_t min, max;       /* its replicas.min and .max */
} gt_service_info;

/* 0 when job is not a service. */
int gt_sched_service(const gt_sched *s, uint32_t job, gt_time now, gt_service_info *out);

/* Rolling updates. A service has max_surge spare replica slots beyond replicas.max:
 * gt_sched_surge lets it run up to `extra` (at most max_surge) replicas beyond the wanted
 * count, so that a new version's replica starts before an old one stops; back to 0, the
 * replicas beyond the count stop (highest index first). gt_sched_replace stops replica
 * `index` and makes it pending again (no back-off, no restart counted), for the pass to
 * start it again with the job's new launch. Errors as gt_sched_scale's (GT_E_STATE also
 * for a replica that is not running). */
const gt_decision *gt_sched_surge(gt_sched *s, uint32_t job, uint32_t extra, gt_time now, size_t *n,
                                  gt_error *err);
const gt_decision *gt_sched_replace(gt_sched *s, uint32_t job, uint32_t index, gt_time now,
                                    size_t *n, gt_error *err);

/* Set how many replicas of service `job` should run: `replicas`, kept within
 * replicas.min .. replicas.max (a new service wants replicas.max). Fewer than run now:
 * running replicas stop (STOP decisions, reason GT_WHY_SCALED; they go back to pending,
 * with no back-off and no restart counted), first those in order[0..norder) (replica
 * indices, e.g. least loaded first), then the highest index; more: the pass starts them
 * as room allows. GT_E_INVALID for a job that is not a service, GT_E_STATE for one that ended
 * (decisions: none). */
const gt_decision *gt_sched_scale(gt_sched *s, uint32_t job, uint32_t replicas,
                                  const uint32_t *order, size_t norder, gt_time now, size_t *n,
                                  gt_error *err);

/* A service's replicas take a new shape (a rolling update that changes gpus, gpus_per_node,
 * cpus, memory_mb or gpu_model): replicas started from now on get it, running ones keep
 * theirs until they are replaced. The other fields of sp are not read. GT_E_INVALID: not
 * a service, or a replica would need another number of nodes; GT_E_STATE: it ended; the
 * errors of gt_sched_admit (a shape the fleet can never hold). */
gt_err gt_sched_reshape(gt_sched *s, uint32_t job, const gt_jobspec *spec, gt_error *err);

typedef struct {
    uint32_t restarts;    /* how often it started again */
    uint32_t failures;    /* its failures within the window of each other */
    gt_time last_failure; /* when it last ended on its own */
    gt_time not_before;   /* it backs off until then */
} gt_replica_info;

/* Replica `index` of a service; 0 when job is not a service or index is out of range. */
int gt_sched_replica(const gt_sched *s, uint32_t job, uint32_t index, gt_replica_info *out);

typedef struct {
    const char *name;
    int64_t quota_gpus, limit_gpus;
    double share;
    int64_t gpus_held, cpus_held;
    double usage;     /* decayed GPU-ms */
    double fairshare; /* factor at the last pass */
} gt_tenant_info;

uint32_t gt_sched_ntenants(const gt_sched *s);
int gt_sched_tenant(const gt_sched *s, uint32_t tenant, gt_tenant_info *out);
const gt_topo *gt_sched_topo(const gt_sched *s);

typedef struct {
    uint64_t passes, starts, stops, preemptions, requeues;
    uint64_t jobs_examined; /* queue entries looked at by passes */
    uint32_t pending_jobs, running_units;
    uint32_t jobs[GT_JOB__NSTATES][GT_KIND__COUNT]; /* jobs by state and kind */
    int last_pass_gpu_blocked; /* the last pass left a GPU job unplaced and no GPU shape fit */
} gt_sched_stats;

void gt_sched_get_stats(const gt_sched *s, gt_sched_stats *out);

/* Check every invariant: the fleet's (gt_topo_check), no GPU held twice, each running
 * unit's slots match the fleet, tenants' held counts add up, queue membership matches
 * job states, each job's units by state agree with its state, unit records, the heap and
 * the queue lists are linked right (sched_check.c lists them). O(everything): for tests
 * and debug builds. */
gt_err gt_sched_check(const gt_sched *s, gt_error *err);

#endif
