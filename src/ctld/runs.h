/* SPDX-License-Identifier: MIT
 * Jobs and their runs, as the controller keeps them beside the core (apply.c, items.c,
 * noderuns.c). State thread only: no lock guards them.
 *
 * Runs. Each START decision makes a run record: where a unit's ranks are (its slots) and
 * how many have exited. A run ends when every rank exited, when one rank failed (the
 * others are stopped), or when the scheduler stops the unit (STOP decision). */
#ifndef GT_CTLD_RUNS_H
#define GT_CTLD_RUNS_H

#include <jansson.h>
#include <stdint.h>

#include "core/autoscale.h"
#include "core/jobspec.h"
#include "ctld/ctld.h"
#include "proto/proto.h"
#include "util/error.h"

/* ---- runs and jobs (apply.c) ---- */
enum { RUN_ACTIVE = 0, RUN_DONE, RUN_STOPPED };
typedef struct {
    uint32_t unit;   /* the unit's index in its job (task number, replica number, 0) */
    uint32_t gen;    /* the start's generation (unique with handle) */
    uint32_t handle; /* the core's handle for the unit (gt_decision.unit) */
    uint32_t nslots;
    uint32_t *nodes;  /* topo vertex per slot (owned) */
    uint32_t *masks;  /* GPU mask per slot (owned) */
    int32_t *cpus;    /* cores per slot (owned) */
    uint16_t *nranks; /* ranks per slot (owned) */
    uint32_t ranks, exited;
    uint32_t starts;  /* how often this unit (index) started: its record is reused, and
                       * starts - 1 is the unit's own restart count (GANTRY_RESTART_COUNT) */
    uint32_t started; /* ranks the agents reported running (not journaled, not snapshot) */
    uint8_t state, failed;
    int32_t exit_code, signal, fail_rank;
    char *reason; /* owned; why it failed, or NULL */
    int64_t start_ms, end_ms;
    /* service.c: slot i's ports at ports[i * nports], in the launch's order, 0 until its
     * agent reports them (owned; NULL when the job has no ports) */
    uint16_t *ports;
    uint8_t nports;
    uint8_t ready;       /* its first node's readiness probe passes (journaled: op "ready") */
    int64_t ready_ms;    /* when it became ready, or its ports became known */
    uint32_t version;    /* rollout.c: the job's spec version it started with */
    int64_t drain_until; /* rollout.c: out of the endpoints, replaced then (0: no) */
    uint8_t leaving;     /* rollout.c: ... or, beyond the count at the end, stopped then */
    char *port_note;     /* service.c: why nothing listens on its port (owned; NULL: fine) */
    double metric;       /* autoscale.c: its scale metric's latest value (-1: not read) */
    int64_t metric_at;   /* ... reported then (0: never) */
} ctld_run;

/* Allocate r's four per-slot arrays as one block (freed with free(r->nodes)). */
int ctld_run_slots_alloc(ctld_run *r, uint32_t n);

typedef struct {
    char *doc;               /* the accepted spec as compact JSON (owned) */
    gt_proto_launch *launch; /* what its ranks run, decoded from doc at its first start and
                              * kept while the job may start again (owned; NULL) */
    char *launch_fields;     /* ... and its members as every start item writes them (owned) */
    ctld_run *runs;
    uint32_t nruns, cap;
    uint64_t ep_version; /* service.c: raised by each change of its endpoints; from 1 */
    /* rollout.c: its spec's version (from 1; each update takes the next number), the one
     * before and its document (owned, NULL), and the rollout going on */
    uint32_t version, next_version, prev_version;
    char *prev_doc;
    uint8_t rolling;
    char roll_state[16]; /* "rolling", "rolling back", "done", "rolled back"; "" never */
    int64_t roll_started, roll_deadline;
    /* autoscale.c (memory only): the load last seen, and the windows running now */
    char *scale_err; /* the last reason a replica's metric could not be read (owned) */
    double scale_sum;
    uint32_t scale_reporting;
    gt_autoscale_state scale_state;
    uint8_t ev_state;  /* events.c: its state last told (state + 1; 0: never) */
    char *failure;     /* why it failed without running (a replay the fleet could no longer
                       hold; owned; NULL) */
    char *idem_key;    /* idem.c: the Idempotency-Key it was submitted with (owned; NULL) */
    uint64_t idem_doc; /* ... and the hash of the document it was submitted with */
    /* roles.c: one role of a service of several (nroles 0: none): its index in the group
     * (the head is job - role_index), its replicas per set (0: no ratio), its name */
    uint8_t role_index, nroles;
    uint32_t per;
    char role[24];
} ctld_job;

/* ---- active runs by node (noderuns.c; state thread) ---- */
typedef struct {
    uint32_t job, run; /* c->jobs[job].runs[run] */
} ctld_runref;
typedef struct ctld_runvec {
    ctld_runref *v;
    uint32_t n, cap;
} ctld_runvec;
void ctld_noderuns_add(gt_ctld *c, uint32_t job, uint32_t run);    /* it became active */
void ctld_noderuns_remove(gt_ctld *c, uint32_t job, uint32_t run); /* it is no more */
/* The active runs with a slot on node (built on first use). */
const ctld_runvec *ctld_noderuns_of(gt_ctld *c, uint32_t node);
void ctld_noderuns_free(gt_ctld *c);

/* apply.c: mutations, shared by live requests and journal replay. Each takes the op's
 * time `t`; decisions update runs and, unless replaying, agents' queues. */
gt_err ctld_apply(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err);
/* Apply and journal one op (live path). */
gt_err ctld_do(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err);
/* A live submission: the spec parsed and its document written on the HTTP thread. Applied
 * and journaled as ctld_do's "submit" would (the journal gets *doc's text); takes *doc
 * (NULL afterwards) on success. */
gt_err ctld_submit(gt_ctld *c, int64_t t, char **doc, const gt_jobspec *spec, gt_error *err);
/* A live submission of a service of several roles: {"roles": [DOC, ...]}, each DOC one
 * role's document (gt_jobspec_roles); all submitted or none; journaled as one
 * "submit_group". The roles are jobs c->njobs - n .. c->njobs - 1 afterwards. */
gt_err ctld_submit_group(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
/* One rank's exit, or `ranks` of them (all well) of one unit on one node. */
typedef struct {
    uint32_t job, unit, gen;
    int32_t rank, code, sig, ranks;
    int failed;         /* an exit code, a signal, or an end the agent caused */
    const char *reason; /* borrowed; NULL or "" for none */
} ctld_exit;
/* The exits of an agent's report (live path), applied in order and journaled as one
 * "exits" entry whose text is written here, not built as JSON values (tens of thousands
 * a second under a task array). An exit of a job that is not there is skipped. */
gt_err ctld_exits(gt_ctld *c, int64_t t, const ctld_exit *x, size_t n, gt_error *err);
void ctld_pass(gt_ctld *c, int64_t t);

/* idem.c: idempotent submissions (the notes are there). The job submitted with `key` in
 * `tenant`, or GT_NONE; record job's key (0 on OOM). */
uint32_t ctld_idem_find(gt_ctld *c, const char *tenant, const char *key);
int ctld_idem_put(gt_ctld *c, uint32_t job, const char *key, uint64_t doc_hash);
/* The hash of a submitted document that a retry's must match. */
uint64_t ctld_idem_doc_hash(const char *doc);
void ctld_idem_free(gt_ctld *c);
/* Apply the core's decisions: runs start or stop (and, live, agents hear of it). */
void ctld_decisions(gt_ctld *c, const gt_decision *d, size_t n, int64_t t);
ctld_run *ctld_run_find(gt_ctld *c, uint32_t job, uint32_t unit);
void ctld_jobs_free(gt_ctld *c);
/* The JSON item that tells an agent to start this run's ranks on `slot`. */
char *ctld_start_item(gt_ctld *c, uint32_t job, const ctld_run *r, uint32_t slot);
/* The job's launch (decoded from its spec at the first call, then kept); NULL only when
 * out of memory. ctld_job_launch_drop frees it once the job can no longer start. */
const gt_proto_launch *ctld_job_launch(gt_ctld *c, uint32_t job);
void ctld_job_launch_drop(gt_ctld *c, uint32_t job);

#endif
