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
 * Runs. Each START decision makes a run record: where a unit's ranks are (its slots) and
 * how many have exited. A run ends when every rank exited, when one rank failed (the
 * others are stopped), or when the scheduler stops the unit (STOP decision). */
#ifndef GT_CTLD_INT_H
#define GT_CTLD_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/sched.h"
#include "ctld/ctld.h"
#include "proto/proto.h"
#include "sys/clock.h"
#include "sys/http_server.h"
#include "sys/journal.h"
#include "util/strbuf.h"
#include "util/u64map.h"

/* The controller's time: milliseconds since 2025-01-01T00:00:00Z (the core bounds times
 * to ten years); the API shows Unix seconds. */
#define CTLD_EPOCH_MS 1735689600000LL
#define CTLD_NOW() (gt_clock_wall_ms() - CTLD_EPOCH_MS)

/* ---- auth (auth.c) ---- */
typedef enum { ROLE_USER = 0, ROLE_ADMIN, ROLE_NODE } ctld_role;
typedef struct {
    char token[128];
    char tenant[48];
    char user[33]; /* "" or the Unix user its jobs run as */
    int role;
} ctld_principal;
typedef struct {
    ctld_principal *v;
    size_t n;
} ctld_tokens;

/* Parse a tokens file ("TOKEN TENANT ROLE" lines, '#' comments). where names the file. */
gt_err ctld_tokens_parse(const char *text, size_t len, const char *where, ctld_tokens *out,
                         gt_error *err);
const ctld_principal *ctld_tokens_find(const ctld_tokens *t, const char *token);
void ctld_tokens_free(ctld_tokens *t);
/* Load server.tokens, or create DATA_DIR/tokens (+ admin.token, node.token) if unset. */
gt_err ctld_tokens_load(const gt_server_conf *sc, ctld_tokens *out, gt_error *err);
const char *ctld_role_name(int role);

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
    uint32_t started; /* ranks the agents reported running (not journaled, not snapshot) */
    uint8_t state, failed;
    int32_t exit_code, signal, fail_rank;
    char *reason; /* owned; why it failed, or NULL */
    int64_t start_ms, end_ms;
} ctld_run;

/* Allocate r's four per-slot arrays as one block (freed with free(r->nodes)). */
int ctld_run_slots_alloc(ctld_run *r, uint32_t n);

typedef struct {
    char *doc;               /* the accepted spec as compact JSON (owned) */
    gt_proto_launch *launch; /* what its ranks run, decoded from doc at its first start and
                              * kept while the job may start again (owned; NULL) */
    ctld_run *runs;
    uint32_t nruns, cap;
} ctld_job;

/* ---- agents (agents.c) ---- */
typedef struct ctld_item {
    uint64_t seq;
    char *json; /* one assignment item {"op": "start"|"stop", ...} (owned) */
    struct ctld_item *next;
} ctld_item;

typedef struct {
    char id[64], url[160], host[64];
    uint64_t session;
    _Atomic int64_t last_seen; /* monotonic ms of the last heartbeat or call */
    uint32_t *nodes;           /* topo vertices it serves (state thread) */
    uint32_t nnodes;
    int alive; /* state thread: its nodes are up */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t seq; /* last item's seq (mu) */
    ctld_item *head, *tail;
    int gone; /* superseded or the controller stops (mu): pollers return */
    /* The parked long-poll (mu): answered when items come, the agent goes, or at its
     * deadline (ctld_agents_check). At most one per agent. */
    gt_http_later *waiter;
    uint64_t waiter_since;
    int64_t waiter_deadline; /* monotonic ms */
} ctld_agent;

/* A node's state is the fleet's own (the scheduler keeps it); no copy here. */
static inline gt_node_state ctld_node_state(const gt_ctld *c, uint32_t v);

/* ---- requests: one kind per API route (routes.def) ---- */
typedef enum {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP) REQ_##KIND,
#include "ctld/routes.def"
#undef CTLD_ROUTE
    REQ__COUNT
} ctld_req_kind;

typedef struct ctld_req {
    ctld_req_kind kind;
    const ctld_principal *who;
    uint32_t id;           /* job id */
    char name[128];        /* node name */
    json_t *body;          /* parsed body or query (owned: freed by whoever frees the request) */
    gt_proto_register reg; /* REQ_AGENT_REGISTER: the decoded body (owned, as body) */
    gt_proto_events evs;   /* REQ_AGENT_EVENTS: the decoded body (owned, as body) */
    gt_jobspec spec;       /* REQ_SUBMIT: parsed and validated */
    int status;            /* answer: HTTP status */
    char *out;             /* answer: body (malloc'd), moved into the HTTP response */
    const char *ctype;     /* answer: content type (static); NULL: JSON */
    int done;
    pthread_cond_t cv;
    struct ctld_req *next;
    /* ctld_call_later: the HTTP answer the state thread gives (then frees the request),
     * and what the API latency histogram needs */
    gt_http_later *later;
    int64_t t0_ns;
    int hist;
} ctld_req;

/* ---- snapshots ----
 * snapshot.c builds one (on the state thread: the only stall) and loads one; snapwriter.c
 * writes it to DATA_DIR/snapshot-SEQ on the writer thread, records it in the journal and
 * compacts the journal in steps; restore.c picks the one to start from. */
typedef struct {
    int64_t seq;      /* the state right after this journal entry */
    gt_sb core, rec;  /* gt_sched_save's blob and the controller's records (owned) */
    int64_t build_ns; /* time the state thread spent building them */
} ctld_snap;

/* The writer thread's mailbox; every field under mu. At most one snapshot is handed over
 * at a time (the state thread waits for its outcome before it builds another), so memory
 * holds at most one copy of the state besides the live one. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast on every change */
    pthread_t thread;
    int started, stop;
    int has_job;         /* job is handed over and not written yet */
    ctld_snap job;       /* owned by the writer while has_job */
    int64_t done_seq;    /* written durably, not recorded in the journal yet (0: none) */
    int64_t failed_seq;  /* could not be written (0: none) */
    int64_t prune_below; /* delete the files of snapshots before this entry (0: nothing) */
} ctld_snapw;

/* ---- metrics (metrics.c) ---- */
#define HIST_BUCKETS 14
typedef struct {
    _Atomic uint64_t count, sum_ns, bucket[HIST_BUCKETS];
} ctld_hist;
void ctld_hist_observe(ctld_hist *h, int64_t ns);
/* Append a Prometheus histogram named `name` with extra labels (may be ""). */
void ctld_hist_render(const ctld_hist *h, const char *name, const char *labels, void *sb);

/* ---- the controller ---- */
/* The log proxy's threads and the fetches waiting for them (logproxy.c). */
#define CTLD_LOG_THREADS 8
#define CTLD_LOG_AGENTS 64 /* agents with fetches in flight or backing off (> threads) */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ctld_logfetch *head, *tail; /* mu */
    int waiting;                       /* mu */
    int stop;                          /* mu */
    pthread_t threads[CTLD_LOG_THREADS];
    int nthreads; /* started; 0: fetches are made on the caller's thread */
    int started;  /* mu and cv exist */
    struct ctld_logagent {
        char *base;            /* the agent's address, http://HOST:PORT (owned); NULL: free */
        int inflight;          /* fetches from it under way */
        int64_t off_until;     /* monotonic ms: no fetch from it before (it timed out) */
    } agents[CTLD_LOG_AGENTS]; /* mu */
} ctld_logproxy;

struct gt_ctld {
    gt_config *cfg;
    gt_policy policy;
    gt_sched *sched;
    gt_journal *journal;
    gt_http_server *http;
    ctld_tokens tokens;
    char node_token[128]; /* the first node token: the controller calls agents with it */
    int quiet;
    int nosync;  /* tests and benchmarks: no fsync of the journal and snapshot files */
    int lock_fd; /* flock on DATA_DIR/lock */

    /* state thread only */
    ctld_job *jobs;
    uint32_t njobs, jobs_cap;
    gt_u64map runs;      /* (job << 32 | unit) -> index of its latest run in jobs[job].runs */
    int32_t *node_agent; /* per topo vertex: index into agents, -1 */
    int64_t last_t;      /* time of the last journaled op (time never goes back) */
    int replaying;       /* applying the journal: no side effects on agents */
    int dirty;           /* something changed since the last pass */
    int64_t next_pass;   /* monotonic ms of the next periodic pass */

    /* agents: the array grows under agents_mu; entries are never freed while running */
    pthread_mutex_t agents_mu;
    ctld_agent **agents;
    uint32_t nagents, agents_cap;
    uint64_t session_base;

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
gt_ctld *ctld_open(gt_config *cfg, const gt_ctld_opts *opts, gt_error *err);

/* snapshot.c: build a snapshot of the state after the last committed entry (state thread,
 * between batches); out owns the blobs (ctld_snap_free) and is empty on error. Load one
 * into a fresh controller (ctld_open, before replay); an error leaves the state
 * half-loaded: the caller gives up. Log the line that says what one cost. */
gt_err ctld_snapshot_build(gt_ctld *c, ctld_snap *out, gt_error *err);
void ctld_snap_free(ctld_snap *s);
gt_err ctld_snapshot_load(gt_ctld *c, const void *core, size_t core_len, const void *rec,
                          size_t rec_len, gt_error *err);
void ctld_snap_log(const gt_ctld *c, const ctld_snap *s, int64_t write_ns, const char *how);

/* snapwriter.c. Start / stop the writer thread (with the state thread). The state thread
 * calls, each round: ctld_snapshot_round inside its transaction (records a snapshot the
 * writer finished, deletes one step of covered entries), ctld_snapshot_committed after
 * the commit (older files can go), ctld_snapshot_due after answering (builds and hands
 * over a snapshot when one is due and the writer is free).
 * ctld_snapshot_sync: everything at once on the calling thread, for the clean stop and for
 * benchmarks without threads: waits for a write in flight and records it, then writes a
 * snapshot of the current state if the journal went further, and deletes the older files;
 * compact = 1 also deletes every covered entry (else the next rounds or start do). On
 * error (the file's or the journal's, err says which) the journal still has everything. */
int ctld_snapw_start(gt_ctld *c, gt_error *err);
void ctld_snapw_stop(gt_ctld *c);
gt_err ctld_snapshot_round(gt_ctld *c, gt_error *err);
void ctld_snapshot_committed(gt_ctld *c);
void ctld_snapshot_due(gt_ctld *c);
gt_err ctld_snapshot_sync(gt_ctld *c, int compact, gt_error *err);

/* restore.c: at start, before replay: load the newest recorded snapshot whose file
 * verifies and that the journal can be replayed from (older ones, then an older build's
 * snapshot kept in journal.db, then the whole journal are the fallbacks, each logged).
 * *after gets its entry (0: replay everything). Fails when no fallback is complete. */
gt_err ctld_snapshot_restore(gt_ctld *c, int64_t *after, gt_error *err);

static inline gt_node_state ctld_node_state(const gt_ctld *c, uint32_t v) {
    return (gt_node_state)gt_sched_topo(c->sched)->n_state[v];
}

/* state.c */
/* Queue r for the state thread and wait for its answer. */
void ctld_call(gt_ctld *c, ctld_req *r);
/* Queue r (malloc'd, r->later set) for the state thread, which answers the HTTP request
 * and frees r (its body and out too); returns at once. */
void ctld_call_later(gt_ctld *c, ctld_req *r);
/* Free what a request owns besides itself and its answer: body, reg, evs. */
void ctld_req_release(ctld_req *r);
int ctld_state_start(gt_ctld *c, gt_error *err);
void ctld_state_stop(gt_ctld *c);
void ctld_log(const gt_ctld *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* apply.c: mutations, shared by live requests and journal replay. Each takes the op's
 * time `t`; decisions update runs and, unless replaying, agents' queues. */
gt_err ctld_apply(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err);
/* Apply and journal one op (live path). */
gt_err ctld_do(gt_ctld *c, int64_t t, const char *op, json_t *body, gt_error *err);
void ctld_pass(gt_ctld *c, int64_t t);
ctld_run *ctld_run_find(gt_ctld *c, uint32_t job, uint32_t unit);
void ctld_jobs_free(gt_ctld *c);
/* The JSON item that tells an agent to start this run's ranks on `slot`. */
char *ctld_start_item(gt_ctld *c, uint32_t job, const ctld_run *r, uint32_t slot);
/* The job's launch (decoded from its spec at the first call, then kept); NULL only when
 * out of memory. ctld_job_launch_drop frees it once the job can no longer start. */
const gt_proto_launch *ctld_job_launch(gt_ctld *c, uint32_t job);
void ctld_job_launch_drop(gt_ctld *c, uint32_t job);

/* agents.c */
/* Queue an item for the agent of `node` (takes json); agents see it after ctld_agents_flush,
 * which the state thread calls once the batch is committed. */
void ctld_agent_push(gt_ctld *c, uint32_t node, char *json);
void ctld_agents_flush(gt_ctld *c);
/* HTTP-thread side: heartbeat and long-poll (no state-thread round trip). */
void ctld_agent_heartbeat(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);
void ctld_agent_poll(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);
void ctld_agents_check(gt_ctld *c, int64_t now_mono, int64_t t);
void ctld_exec_register(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_events(gt_ctld *c, ctld_req *r, int64_t t);
ctld_agent *ctld_agent_by_session(gt_ctld *c, const char *id, uint64_t session);
void ctld_agents_free(gt_ctld *c);
void ctld_agents_wake_all(gt_ctld *c);

/* exec.c: the state thread's answer to each read or write request */
void ctld_exec(gt_ctld *c, ctld_req *r, int64_t t);
/* Fill r's answer with an error / a JSON value (steals v). */
void ctld_answer_err(ctld_req *r, const gt_error *e);
void ctld_answer_json(ctld_req *r, int status, json_t *v);

/* metrics.c: cluster summary, health, Prometheus page (state thread) */
void ctld_exec_cluster(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_health(gt_ctld *c, ctld_req *r, int64_t t);
void ctld_exec_metrics(gt_ctld *c, ctld_req *r, int64_t t);
/* exec.c: where a rank's logs are (state thread) */
void ctld_exec_logsrc(gt_ctld *c, ctld_req *r, int64_t t);

/* request.c (HTTP threads): body and request validation, the log proxy */
gt_err ctld_parse_body(const gt_http_req *req, json_t **out, gt_error *err);
gt_err ctld_prepare(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_error *err);
void ctld_logs(gt_ctld *c, ctld_req *r, const gt_http_req *req, gt_http_resp *resp);

/* logproxy.c: fetch a rank's logs from its agent (url: the agent's /logs/... address) on
 * the proxy's threads and answer req from there (deferred); resp is left untouched then.
 * Where the request cannot be deferred, or before start, it is fetched and answered here.
 * ended: the rank has ended, so X-Gantry-Done can say 1 once everything is read. */
void ctld_logproxy_fetch(gt_ctld *c, const gt_http_req *req, const char *url, int ended,
                         gt_http_resp *resp);
int ctld_logproxy_start(gt_ctld *c, gt_error *err);
/* Answers what still waits with 503 and joins the threads (a fetch in flight ends first);
 * requests that come later are answered 503. Free after the HTTP server has stopped. */
void ctld_logproxy_stop(gt_ctld *c);
void ctld_logproxy_free(gt_ctld *c);

/* The error document {"error": {"code", "message", "where"}} (malloc'd; NULL on OOM).
 * message and where may quote user input: they are made valid UTF-8 text. */
char *ctld_error_body(gt_err code, const char *where, const char *msg);

/* render.c */
const char *ctld_job_state_name(int s); /* "pending" ... "cancelled" */
json_t *ctld_job_json(gt_ctld *c, uint32_t id);
json_t *ctld_node_json(gt_ctld *c, uint32_t v);
json_t *ctld_time_json(int64_t ms);

/* routes.c: route names by request kind, for the API latency metric */
extern const char *const ctld_route_names[REQ__COUNT];
void ctld_http_handler(void *ctx, const gt_http_req *req, gt_http_resp *resp);

#endif
