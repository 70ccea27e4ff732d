/* SPDX-License-Identifier: MIT
 * The controller <-> agent protocol: every message gantryd and gantry-agent exchange, as C
 * structs, with one encoder (encode.c: struct -> JSON text) and one decoder (decode.c:
 * JSON text -> struct) for each. Nothing else builds or reads these messages by key.
 *
 * Messages (HTTP bodies, JSON objects; docs/api.md shows each):
 *
 *   agent -> gantryd                          gantryd -> agent
 *   POST /v1/agent/register  gt_proto_register      gt_proto_welcome (the full set of items)
 *   POST /v1/agent/heartbeat gt_proto_heartbeat     {} (404: register again)
 *   GET  /v1/agent/assignments?agent&session&seq    gt_proto_batch (items after seq)
 *   POST /v1/agent/events    gt_proto_events        {}
 *   POST /v1/agent/health    gt_proto_health        {}
 *
 *   An item is a start (gt_proto_start: run one unit's ranks on one node) or a stop
 *   (gt_proto_stop). An event says a rank started or ranks exited (gt_proto_event).
 *
 * Versions. GT_PROTO_VERSION is the version this build speaks; it accepts peers from
 * GT_PROTO_MIN up to its own. The agent sends its version in the registration ("proto");
 * the controller answers with the version both will speak (the lower of the two) or, when
 * the agent's is outside [GT_PROTO_MIN, GT_PROTO_VERSION], with 409 `proto_version`
 * naming both versions and which side to upgrade. An agent that gets a welcome with a
 * version above its own (a newer controller that does not know it) refuses it the same
 * way. A message without "proto" is version 1 (builds before the field: they speak the
 * same JSON). Version 2 added the ready, unready and metric events: an agent sends them only
 * when both speak 2 (a version 1 controller would refuse the whole report); the launch's
 * ports and probes are fields a version 1 agent ignores. Within a version, decoders ignore fields
 * they do not know and every field added later has a default, so adding a field needs no new
 * version; changing what an existing field means, or removing one, does.
 *
 * Decoding is strict about what it reads: wrong types, negative or out-of-range numbers
 * and missing required fields are errors whose `where` names the field
 * ("items[3].ranks[0].gpus[1]"). Ownership: a decoded message owns every string and array
 * it points to (free it with its _free function, which accepts a zeroed or already freed
 * message); the encoders only read the message they are given, so a sender may fill one
 * with borrowed pointers (gantryd points launch at the job's own gt_proto_launch). */
#ifndef GT_PROTO_PROTO_H
#define GT_PROTO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GT_PROTO_VERSION 2
#define GT_PROTO_MIN 1
#define GT_PROTO_MAX_RANKS 1024 /* ranks of one unit on one node */
#define GT_PROTO_MAX_GPUS 64    /* GPU indices on one node: 0..63 */

/* ---- what to run: the same for every unit and node of a job ---- */

typedef struct {
    char *key, *value;
} gt_proto_env;

/* A health check the agent runs against a replica (readiness: may it take traffic;
 * liveness: is it alive, else restart it). Exactly one of http and command. */
typedef enum {
    GT_PROTO_PROBE_NONE = 0,
    GT_PROTO_PROBE_HTTP,
    GT_PROTO_PROBE_COMMAND
} gt_proto_probe_kind;

typedef struct {
    gt_proto_probe_kind kind;
    char *path;  /* http: GET this path ("/ready") */
    char *port;  /* http: the name of one of the launch's ports */
    char **argv; /* command: run it; exit 0 passes */
    uint32_t argc;
    int64_t period_ms, timeout_ms; /* defaults 10 s, 1 s */
    int64_t initial_delay_ms;      /* default 0 */
    uint32_t failure_threshold;    /* failures in a row that fail it (default 3) */
    uint32_t success_threshold;    /* passes in a row that pass it again (default 1) */
} gt_proto_probe;

#define GT_PROTO_MAX_PORTS 16 /* named ports of one replica */

/* Autoscaling: the agent reads `metric` from each replica (GET path on the port named
 * `port`, Prometheus text, the sum of the metric's samples) every period_ms; gantryd keeps
 * ceil(sum over replicas / target) replicas, changing the count only after it has wanted
 * more for up_ms, or fewer for down_ms. metric NULL: no autoscaling. */
typedef struct {
    char *metric, *port, *path; /* port: the launch's first port when absent; path /metrics */
    double target;
    int64_t period_ms, up_ms, down_ms; /* defaults 1 s, 30 s, 600 s */
} gt_proto_scale;

typedef struct {
    char *name, *tenant, *kind; /* kind: "train", "serve" or "tasks"; never NULL */
    char **argv;                /* argc strings; argc 0: the job has no command */
    uint32_t argc;
    gt_proto_env *env; /* the spec's env, in its order */
    uint32_t nenv;
    char *workdir, *user;  /* NULL: not set */
    char *output, *error;  /* file patterns (core/logpath.h) for stdout, stderr; NULL: not set */
    int64_t grace_ms;      /* -1: not set (the stop's grace, else 10 s) */
    int64_t duration_ms;   /* -1: not set; only emulated agents use it */
    int64_t time_limit_ms; /* 0: none */
    int64_t memory_mb;     /* 0: no limit */
    int64_t pids_max;      /* 0: no limit */
    /* "progress": a unit whose file (NULL: the agent's own) was not touched for progress_ms
     * is stopped as hung; 0: not watched */
    char *progress_file;
    int64_t progress_ms;
    /* The ports the agent gives each replica on its node, by name ("http", "metrics"); a
     * serve job without "ports" gets one, "http". */
    char **ports;
    uint32_t nports;
    gt_proto_probe readiness, liveness; /* kind NONE: no probe */
    gt_proto_scale scale;
} gt_proto_launch;

/* ---- items: gantryd -> agent ---- */

typedef struct {
    uint32_t rank, local_rank; /* global rank; index among the unit's ranks on this node */
    uint64_t gpus;             /* mask of node GPU indices (CUDA_VISIBLE_DEVICES) */
    int32_t cpus;              /* cores for this rank (OMP_NUM_THREADS) */
} gt_proto_rank;

typedef struct {
    char *host;
    uint32_t slots; /* ranks on that node */
} gt_proto_host;

/* Start one unit's ranks on one node. */
typedef struct {
    uint32_t job, unit, gen;
    char *node;
    uint32_t world_size, local_world_size, node_rank, nnodes;
    char *master_addr;
    uint32_t master_port;
    int32_t cpus;      /* cores of the unit on this node */
    uint32_t restarts; /* GANTRY_RESTART_COUNT */
    /* A share of its one GPU (the rank's gpus mask): thousandths 1..999 and MiB of the
     * GPU's memory (0: none asked); gpu_milli 0: the GPUs are whole. A share asked by memory
     * only is accounted as 1 thousandth and has no compute limit. */
    int32_t gpu_milli;
    int64_t gpu_memory_mb;
    gt_proto_rank *ranks;
    uint32_t nranks;        /* 1..GT_PROTO_MAX_RANKS */
    gt_proto_host *hosts;   /* every node of the unit in node-rank order (MPI hostfile) */
    uint32_t nhosts;        /* 0: no hostfile */
    gt_proto_launch launch; /* decoded: owned; encoded: read only */
    /* encoding only: the launch's fields as gt_proto_launch_fields wrote them, or NULL
     * (then written from `launch`): an array's tasks share one launch, written once */
    const char *launch_fields;
} gt_proto_start;

/* Stop one unit's ranks on one node. */
typedef struct {
    uint32_t job, unit, gen;
    char *node;
    char *reason;     /* "preempted", "cancelled", "gang", ...; never NULL once decoded */
    int64_t grace_ms; /* -1: not set (the job's own grace applies) */
} gt_proto_stop;

typedef enum { GT_PROTO_ITEM_START = 1, GT_PROTO_ITEM_STOP } gt_proto_item_kind;

typedef struct {
    gt_proto_item_kind kind;
    union {
        gt_proto_start start;
        gt_proto_stop stop;
    };
} gt_proto_item;

/* ---- registration, heartbeat, poll ---- */

typedef struct {
    char *name;
    int32_t gpus, cpus;
    int64_t memory_mb;
    char *gpu_model; /* "" when the node has no GPUs */
    char *pool;      /* a node pool to join (NULL: a node of the config's fleet by name) */
    uint8_t mps;     /* its agent runs a CUDA MPS control daemon: shares of a GPU are enforced */
} gt_proto_node;

/* A node that joined a pool: the name it asked with and the pool slot it is now. */
typedef struct {
    char *from, *to;
} gt_proto_rename;

typedef struct {
    uint32_t proto; /* the agent's GT_PROTO_VERSION (1 when absent) */
    char *agent;    /* the agent's id */
    char *url;      /* where its logs endpoint answers ("" if none) */
    gt_proto_node *nodes;
    uint32_t nnodes; /* at least 1 */
} gt_proto_register;

/* The answer to a registration: a session and everything that should run on its nodes. */
typedef struct {
    uint32_t proto; /* the version both speak (1 when absent) */
    uint64_t session;
    int32_t heartbeat_s;
    int32_t lease_s; /* fencing: an agent that has not heard from the controller this long
                        stops its units (they are about to start elsewhere); 0: never */
    uint64_t seq;    /* poll from here */
    gt_proto_item *items;
    size_t nitems;
    gt_proto_rename *renames; /* nodes that joined a pool: their names from now on */
    size_t nrenames;
    char *logs_key; /* the token the controller fetches logs with (NULL: its node token; an
                       agent given one serves logs to that key alone) */
} gt_proto_welcome;

typedef struct {
    char *agent;
    uint64_t session;
} gt_proto_heartbeat;

/* The answer to a poll: the items after the poll's seq, and the last seq. */
typedef struct {
    uint64_t seq;
    gt_proto_item *items;
    size_t nitems;
} gt_proto_batch;

/* ---- events: agent -> gantryd ---- */

/* started: a rank runs (its unit's ports with it); exited: ranks ended; ready / unready:
 * the unit's readiness probe passed / failed (a unit without one is ready once started).
 * After a registration the agent sends ready again for every ready unit: the controller
 * keeps readiness in memory only. */
typedef enum {
    GT_PROTO_EV_STARTED = 1,
    GT_PROTO_EV_EXITED,
    GT_PROTO_EV_READY,
    GT_PROTO_EV_UNREADY,
    GT_PROTO_EV_METRIC, /* the unit's scale metric: value (or reason when it could not) */
    GT_PROTO_EV_PORT,   /* a replica without a readiness probe: reason why nothing listens on
                           its first port ("" once something does) */
} gt_proto_event_kind;

typedef struct {
    char *name;
    uint32_t port;
} gt_proto_port;

typedef struct {
    gt_proto_event_kind kind;
    uint32_t job, unit, gen, rank;
    char *node;
    int64_t pid;          /* started */
    int32_t exit_code;    /* exited */
    int32_t signal;       /* exited */
    char *reason;         /* exited: why ("TIMEOUT: ...", ""); unready: the probe's failure;
                             port: what is wrong with its port; never NULL once decoded */
    uint32_t ranks;       /* exited: ranks this event stands for (all ended well), >= 1 */
    gt_proto_port *ports; /* started: the unit's ports on its node (owned) */
    uint32_t nports;
    double value; /* metric: >= 0; -1 when it could not be read (reason says why) */
} gt_proto_event;

typedef struct {
    char *agent;
    uint64_t session;
    gt_proto_event *events;
    size_t nevents;
} gt_proto_events;

/* ---- node health: agent -> gantryd ---- */

/* A node's health check verdict (gantry-agent --health-cmd): a node that fails it is drained
 * with the reason, and put back in service when it passes again. An agent reports a
 * node's verdict when it changes, and every verdict after it registers. */
typedef struct {
    char *node;
    int healthy;
    char *reason; /* why not ("" when healthy); never NULL once decoded */
} gt_proto_node_health;

typedef struct {
    char *agent;
    uint64_t session;
    gt_proto_node_health *nodes;
    uint32_t nnodes; /* at least 1 */
} gt_proto_health;

/* ---- encoding (encode.c) ----
 * Each returns compact JSON text (malloc'd; the caller frees), or NULL when out of memory.
 * The message is only read. */
char *gt_proto_start_encode(const gt_proto_start *m);
/* The launch's fields as they appear in a start item: JSON members without the braces
 * ("" for none), for gt_proto_start.launch_fields. */
char *gt_proto_launch_fields(const gt_proto_launch *l);
char *gt_proto_stop_encode(const gt_proto_stop *m);
char *gt_proto_item_encode(const gt_proto_item *m);
char *gt_proto_register_encode(const gt_proto_register *m);
char *gt_proto_heartbeat_encode(const gt_proto_heartbeat *m);
char *gt_proto_events_encode(const gt_proto_events *m);
char *gt_proto_health_encode(const gt_proto_health *m);
/* A welcome or batch whose items are already encoded (items[i] is one item's JSON text):
 * gantryd keeps its queues as text. */
/* The welcome w (its items ignored) with these start items (texts). */
char *gt_proto_welcome_encode(const gt_proto_welcome *w, const char *const *items, size_t nitems);
char *gt_proto_batch_encode(uint64_t seq, const char *const *items, size_t nitems);

/* ---- decoding (decode.c) ----
 * Each parses len bytes of JSON text (need not be NUL-terminated) into *out, which it
 * zeroes first. On error: *out holds nothing (it is freed), err names the field. */
gt_err gt_proto_item_decode(const char *text, size_t len, gt_proto_item *out, gt_error *err);
gt_err gt_proto_register_decode(const char *text, size_t len, gt_proto_register *out,
                                gt_error *err);
gt_err gt_proto_welcome_decode(const char *text, size_t len, gt_proto_welcome *out, gt_error *err);
gt_err gt_proto_heartbeat_decode(const char *text, size_t len, gt_proto_heartbeat *out,
                                 gt_error *err);
gt_err gt_proto_batch_decode(const char *text, size_t len, gt_proto_batch *out, gt_error *err);
gt_err gt_proto_events_decode(const char *text, size_t len, gt_proto_events *out, gt_error *err);
gt_err gt_proto_health_decode(const char *text, size_t len, gt_proto_health *out, gt_error *err);
/* The launch fields of a JSON object (a start item, or a job spec: gantryd decodes the
 * accepted spec of a job once and points every start of it at the result). Other fields
 * are ignored. */
gt_err gt_proto_launch_decode(const char *text, size_t len, gt_proto_launch *out, gt_error *err);

/* 0 when a peer speaking `theirs` can talk to this build; else GT_E_PROTO_VERSION with err
 * naming both versions and which side is too old (`who`: "agent" or "gantryd", the peer). */
gt_err gt_proto_check_version(uint32_t theirs, const char *who, gt_error *err);

/* ---- ownership and comparison (msg.c) ---- */
void gt_proto_launch_free(gt_proto_launch *m);
void gt_proto_start_free(gt_proto_start *m);
void gt_proto_stop_free(gt_proto_stop *m);
void gt_proto_item_free(gt_proto_item *m);
void gt_proto_register_free(gt_proto_register *m);
void gt_proto_welcome_free(gt_proto_welcome *m);
void gt_proto_heartbeat_free(gt_proto_heartbeat *m);
void gt_proto_batch_free(gt_proto_batch *m);
void gt_proto_events_free(gt_proto_events *m);
void gt_proto_health_free(gt_proto_health *m);

/* A deep copy of m into *out (which then owns everything); GT_E_NOMEM leaves *out zeroed. */
gt_err gt_proto_start_copy(const gt_proto_start *m, gt_proto_start *out);

/* Field-by-field equality (round-trip tests and the fuzz harness). */
int gt_proto_launch_equal(const gt_proto_launch *a, const gt_proto_launch *b);
int gt_proto_item_equal(const gt_proto_item *a, const gt_proto_item *b);
int gt_proto_register_equal(const gt_proto_register *a, const gt_proto_register *b);
int gt_proto_events_equal(const gt_proto_events *a, const gt_proto_events *b);
int gt_proto_health_equal(const gt_proto_health *a, const gt_proto_health *b);

/* True when both name the same unit on the same node (job, unit, gen, node). */
int gt_proto_same_unit(uint32_t job, uint32_t unit, uint32_t gen, const char *node,
                       const gt_proto_start *m);

#endif
