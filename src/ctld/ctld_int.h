/* SPDX-License-Identifier: MIT
 * gantryd internals, shared by its files. Who touches what:
 *
 *   HTTP threads (a pool; sys/http_server.h): parse and validate a request, authenticate,
 *     then hand it to the state thread (ctld_call_later) and return: the state thread
 *     answers it after the commit, so no HTTP thread waits for a commit. Heartbeats and
 *     assignment long-polls touch only an agent's own lock-protected fields.
 *   The state thread (state.c): the only one that reads or writes the scheduler, the job
 *     and run records and the node table. It takes every queued request in a batch,
 *     applies each (apply.c), journals the mutations, runs a scheduling pass, commits the
 *     journal, and only then answers the batch and hands assignments to agents.
 *
 * The parts, each in its own header with the rule of who may touch it: auth.h (tokens),
 * runs.h (jobs and runs: state thread), agents.h (agents: their locks), request.h
 * (requests and the routes), snapshot.h (snapshots and the writer thread's mailbox),
 * metrics.h, logproxy.h (the log proxy's threads). This file holds the controller itself,
 * struct gt_ctld, whose fields are grouped by owner below. */
#ifndef GT_CTLD_INT_H
#define GT_CTLD_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/sched.h"
#include "ctld/agents.h"
#include "ctld/auth.h"
#include "ctld/ctld.h"
#include "ctld/events.h"
#include "ctld/logproxy.h"
#include "ctld/metrics.h"
#include "ctld/request.h"
#include "ctld/runs.h"
#include "ctld/service.h"
#include "ctld/snapshot.h"
#include "proto/proto.h"
#include "sys/clock.h"
#include "sys/http_server.h"
#include "sys/journal.h"
#include "util/strbuf.h"
#include "util/u64map.h"

/* The controller's time: milliseconds since 2025-01-01T00:00:00Z (the core bounds times
 * to ten years); the API shows Unix seconds. */
#define CTLD_EPOCH_MS 1735689600000LL
/* POST /v1/jobs/ID/cancel {"tasks": ...}: at most this many ranges at once */
#define CTLD_MAX_TASK_RANGES 64
#define CTLD_NOW() (gt_clock_wall_ms() - CTLD_EPOCH_MS)

/* A node's state is the fleet's own (the scheduler keeps it); no copy here. */
static inline gt_node_state ctld_node_state(const gt_ctld *c, uint32_t v);

/* ---- the controller ---- */
struct gt_ctld {
    gt_config *cfg;
    gt_server_conf server; /* the config's server section, with the command line's overrides */
    gt_policy policy;
    gt_sched *sched;
    gt_journal *journal;
    gt_http_server *http;
    ctld_tokens tokens;
    int quiet;
    int nosync;      /* tests and benchmarks: no fsync of the journal and snapshot files */
    int accept_loss; /* --accept-loss-after given (damage.c) */
    int64_t accept_loss_after; /* its SEQ */
    int lock_fd;               /* flock on DATA_DIR/lock */
    int notified;              /* told systemd READY=1 (sys/notify.h): STOPPING=1 at the stop */

    /* state thread only */
    ctld_job *jobs;
    uint32_t njobs, jobs_cap;
    gt_u64map runs;        /* (job << 32 | unit) -> index of its latest run in jobs[job].runs */
    gt_u64map idem;        /* idem.c: hash of (tenant, Idempotency-Key) -> job */
    int32_t *node_agent;   /* per topo vertex: index into agents, -1 */
    char **node_reason;    /* per topo vertex: why it was drained (owned), NULL */
    char **node_health;    /* per topo vertex (health.c): "" healthy, else why not; NULL: no
                            * report yet (memory only) */
    char **node_gpu_note;  /* per topo vertex (agents.c): why some of its GPUs are off, as its
                            * agent said at registration (owned; memory only), NULL */
    char **slot_as;        /* per topo vertex (pools.c): the name a pool slot's agent joined
                            * as (owned; NULL: free or not a slot) */
    uint8_t *slot_leaving; /* per topo vertex: removing it (gantry node remove) */
    uint32_t nleaving;     /* slots leaving: the pools' round looks only while some are */
    int64_t last_t;        /* time of the last journaled op (time never goes back) */
    int replaying;         /* applying the journal: no side effects on agents */
    int dirty;             /* something changed since the last pass */
    int64_t next_pass;     /* monotonic ms of the next periodic pass */

    /* agents: the array grows under agents_mu; entries are never freed while running */
    pthread_mutex_t agents_mu;
    ctld_agent **agents;
    uint32_t nagents, agents_cap;
    gt_u64map sessions; /* session -> index in agents (random, from getrandom) */

    /* request queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ctld_req *qhead, *qtail;
    int stopping;
    _Atomic int stop_flag; /* set from a signal handler */
    int failed;            /* the journal failed: the state thread exited */
    pthread_t thread;
    int thread_started;
    _Atomic int64_t journal_seq;

    /* snapshots and compaction (state thread only; snapwriter.c) */
    int64_t snap_seq;     /* entry of the latest snapshot taken (0: none): the next is due
                             server.snapshot_every entries after it */
    int64_t snap_durable; /* entry of the latest snapshot recorded in the journal */
    int snap_busy;        /* one is with the writer and its outcome not collected */
    int snap_deferred;    /* one fell due while busy (logged once) */
    int64_t prune_below;  /* recorded in this round: older files go after the commit */
    int64_t compact_to;   /* compaction deletes entries up to this (a recorded snapshot) */
    int compact_more;     /* entries <= compact_to remain */
    int64_t compact_rows, compact_steps, compact_max_ns; /* this compaction, for its log */
    size_t snap_hint[2]; /* the sizes of the last snapshot's blobs */
    ctld_snapw snapw;

    /* assignment items made by this batch, handed to agents after the commit */
    struct ctld_pend {
        uint32_t node;
        char *json;
    } * pend;
    size_t npend, pend_cap;
    int64_t boot_mono;         /* nodes without an agent this long after start go down */
    int64_t next_agents_check; /* monotonic ms: ctld_agents_check's next walk (state thread) */

    /* parked endpoint watches (service.c), linked by wnext */
    struct ctld_req *ep_watch;
    /* events.c: the ring (CTLD_EVENTS_KEEP, NULL until the first event), the numbers of
     * this run's first event, the oldest kept and the next, and the parked watches */
    struct ctld_event {
        uint64_t seq;
        uint32_t tenant; /* who may see it; UINT32_MAX: everyone */
        uint32_t job;    /* the job it is about, GT_NONE */
        char *text;      /* owned */
    } * ev;
    uint64_t ev_base, ev_first, ev_next;
    int64_t ev_time_ms; /* the time whose text ev_time_text holds */
    char ev_time_text[32];
    struct ctld_req *ev_watch;
    /* service jobs not seen ended yet (service.c: metrics) */
    uint32_t *svc_jobs;
    uint32_t nsvc_jobs, svc_jobs_cap;

    /* active runs per topo vertex (noderuns.c); NULL until first used */
    struct ctld_runvec *node_runs;

    /* observer (benchmarks): called for every run started, also during replay */
    void (*on_start)(void *ctx, uint32_t job, const ctld_run *r);
    void *on_start_ctx;

    ctld_logproxy logproxy;

    ctld_hist pass_hist;
    ctld_hist api_hist[REQ__COUNT];
};

/* ctld.c: the state alone (journal replayed), without threads or HTTP, for benchmarks
 * and tests that drive ctld_do themselves. Free with gt_ctld_free. */
gt_ctld *ctld_open(gt_config *cfg, const gt_server_conf *server, const gt_ctld_opts *opts,
                   gt_error *err);

static inline gt_node_state ctld_node_state(const gt_ctld *c, uint32_t v) {
    return (gt_node_state)gt_sched_topo(c->sched)->n_state[v];
}

/* render.c */
const char *ctld_job_state_name(int s); /* "pending" ... "cancelled" */
json_t *ctld_job_json(gt_ctld *c, uint32_t id);
/* pools.c (its notes are there) */
/* The slot node n (with a pool) registers as: its own slot, the one it was bound to, or a
 * free one; GT_NONE with err when the pool is unknown or full. */
uint32_t ctld_pool_slot(gt_ctld *c, const gt_proto_node *n, const char *where, gt_error *err);
/* Bind slot v to the name `as` (journaled "join") unless it is. */
void ctld_pool_bind(gt_ctld *c, uint32_t v, const char *as, int64_t t);
gt_err ctld_op_join(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
gt_err ctld_op_leaving(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
gt_err ctld_op_leave(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
void ctld_pools_tick(gt_ctld *c, int64_t t);
/* Mark slot v leaving or not (keeps c->nleaving). */
void ctld_slot_leaving(gt_ctld *c, uint32_t v, int leaving);
void ctld_exec_node_remove(gt_ctld *c, ctld_req *r, int64_t t);
json_t *ctld_pool_json(const gt_ctld *c, uint32_t v);

/* Why job id ended without running (a replay the fleet could not hold, a dependency that
 * can never be met), in buf or the job's own text; NULL when it did not. */
const char *ctld_job_failure(gt_ctld *c, uint32_t id, char *buf, size_t len);
/* One run: unit, gen, state (running, done, stopped), nodes, times, ranks, failure. */
json_t *ctld_run_json(gt_ctld *c, const ctld_run *r);
json_t *ctld_node_json(gt_ctld *c, uint32_t v);
/* health.c: POST /v1/agent/health (state thread), and a node's last verdict for its
 * document: {"healthy", "reason"}, or null when none came. */
void ctld_exec_node_health(gt_ctld *c, ctld_req *r, int64_t t);
json_t *ctld_node_health_json(const gt_ctld *c, uint32_t v);
json_t *ctld_time_json(int64_t ms);

/* Damage found at start (damage.c), before the snapshot is chosen: a WAL whose tail SQLite
 * would drop, a snapshot file newer than the journal's end. Without --accept-loss-after
 * each is reported and refused (GT_E_STATE); with it, the loss is accepted: the WAL's
 * tail is given up and every entry, snapshot record and snapshot file after SEQ is dropped
 * (said loudly, entry by entry), and the start goes on. */
gt_err ctld_damage_check(gt_ctld *c, gt_error *err);
/* A bad entry that replay found: log what is wrong and what accepting the loss would drop,
 * and return GT_E_STATE with err a one-line summary. */
gt_err ctld_damage_refuse(gt_ctld *c, const gt_journal_bad *bad, gt_error *err);

#endif
