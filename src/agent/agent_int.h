/* SPDX-License-Identifier: MIT
 * gantry-agent internals. Threads: the main loop owns the units; the poller thread
 * long-polls assignments into a queue (mu/cv); the logs server (libmicrohttpd threads)
 * only reads files under the state folder. */
#ifndef GT_AGENT_INT_H
#define GT_AGENT_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "agent/agent.h"
#include "proto/proto.h"
#include "sys/cgroup.h"
#include "sys/http_client.h"
#include "sys/http_server.h"
#include "sys/log.h"
#include "sys/proc.h"

#define AGENT_MAX_CPUS 1024

/* rankstate.c: a rank's lifecycle (the table and its diagram are there) */
typedef enum {
    AGENT_RANK_NEW = 0, /* not started */
    AGENT_RANK_RUNNING, /* its process runs */
    AGENT_RANK_ENDED,   /* its exit status is known */
    AGENT_RANK_QUEUED,  /* its exit event waits for the controller's answer */
    AGENT_RANK_ACKED,   /* the controller journaled its exit */
    AGENT_RANK__N
} agent_rank_state;

typedef struct {
    gt_proc proc;  /* real mode */
    int started;   /* proc is valid (a process was spawned or adopted) */
    uint8_t state; /* agent_rank_state; written by agent_rank_to only */
    int marked;    /* its `reported` file is written (records.c) */
    gt_proc_status st;
} a_rank;

/* 1 when the table lets a rank move from `from` to `to`. */
int agent_rank_can(agent_rank_state from, agent_rank_state to);
/* Move r to `to` (a move the table forbids: an assertion in debug builds, no change in
 * release builds). */
void agent_rank_to(a_rank *r, agent_rank_state to);
static inline int agent_rank_ended(const a_rank *r) {
    return r->state >= AGENT_RANK_ENDED;
}

/* probe.c: a probe's verdict (the diagram is there) */
typedef enum {
    AGENT_PROBE_UNKNOWN = 0,
    AGENT_PROBE_PASSING,
    AGENT_PROBE_FAILING
} agent_probe_state;

typedef struct {
    const gt_proto_probe *cfg; /* the unit's launch; kind NONE: no probe (always passing) */
    agent_probe_state state;
    int64_t next_ms;        /* the next check is due then (agent_now) */
    int out;                /* a check is with a prober thread */
    uint32_t passes, fails; /* in a row */
    uint64_t checks;        /* results seen */
    char detail[200];       /* why the last check failed */
} agent_probe;

void agent_probe_init(agent_probe *p, const gt_proto_probe *cfg, int64_t started_ms);
/* 1 when a check should be handed to a prober now. */
int agent_probe_due(const agent_probe *p, int64_t now);
/* A check's result; 1 when it changed the probe's state. */
int agent_probe_result(agent_probe *p, int ok, const char *detail, int64_t now);

/* A port a unit holds on its node (ports.c). */
typedef struct {
    char name[16];
    uint16_t port;
} a_port;

/* A finished unit's folder in STATE/done/, removed once --keep-logs-s have passed. */
typedef struct {
    int64_t when; /* wall clock seconds: when it finished */
    char *name;   /* JOB-UNIT-GEN-NODE (owned) */
} a_done;

/* One unit's ranks on one node. */
typedef struct {
    uint32_t job, unit, gen;
    char node[128];
    char dir[512];        /* STATE/runs/JOB-UNIT-GEN-NODE */
    gt_proto_start start; /* the start item (owned) */
    int nranks;
    a_rank *ranks;
    int64_t started_ms, end_ms; /* emulated: when it "exits" (INT64_MAX: never) */
    int64_t limit_ms;           /* time limit deadline, INT64_MAX: none */
    int stopping, timed_out, oom;
    int kept; /* agent_units_reconcile: the controller's full set names it */
    /* units.c: the progress file (spec "progress"; "" when not watched), the next look at
     * it, and whether the unit was stopped as hung */
    char progress[700];
    int64_t progress_next;
    int hung;
    int64_t grace_ms;
    /* isolate.c */
    int set_ids; /* run ranks as uid/gid/groups */
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
    int has_cg;     /* cg exists and must be removed when the unit ends */
    gt_cg_unit *cg; /* owned; NULL without cgroups */
    /* ports.c: its ports on its node, in launch.ports order */
    a_port ports[GT_PROTO_MAX_PORTS];
    uint32_t nports;
    /* prober.c: probes[0] readiness, probes[1] liveness */
    agent_probe probes[2];
    int ready_sent;      /* readiness told to the controller: 0 none, 1 ready, 2 unready */
    int64_t metric_next; /* its scale metric is read next then (agent_now) */
    int metric_out;      /* a read is with a prober thread */
    int live_failed;     /* stopped because its liveness probe failed */
    int fenced;          /* stopped because the controller was out of reach (agent.c) */
    /* prober.c: a replica without a readiness probe should listen on its first port: when
     * to look next, and whether the controller was told that nothing does */
    int64_t port_next;
    int port_noted;
    /* the cores it holds alone ("0-3,8"; malloc'd, NULL when none: a unit is kept small,
     * an emulating agent holds a hundred thousand) */
    char *cpuset;
} a_unit;

/* metrics.c: what /metrics and /healthz show */
typedef struct {
    uint32_t units_running, units_stopping, ranks_running, units_ready, ports_silent;
    uint32_t fenced_total, hung_total;
    int healthy; /* the health check's last verdict; -1: none */
    int registered;
} agent_stats;

typedef struct {
    gt_agent_opts o;
    char id[96], url[160];
    gt_proto_register reg; /* what it registers: its id, url and nodes (owned) */
    gt_http_client *http;
    uint64_t session;
    int heartbeat_s;       /* mu */
    int64_t refused_until; /* no registration before (agent_now ms): refused for good */

    a_unit **units;
    size_t nunits, cap;
    a_unit **uidx; /* unitindex.c: units by (job, unit, gen, node); NULL: none (a scan) */
    size_t uidx_cap;
    gt_proto_events ev; /* events not yet acknowledged (events.c); ev.events owned */
    size_t ev_cap;
    gt_proto_start *deferred; /* start items waiting for a stopped unit on their node to be
                               * gone (owned) */
    size_t ndeferred, deferred_cap;
    a_done *done; /* records.c: finished units, oldest first from done_head */
    size_t ndone, done_cap, done_head;

    char shim[4096];      /* the gantry-shim that supervises ranks; "": a fork of the agent */
    char state_dir[4096]; /* --state-dir made absolute (o.state_dir points here): every
                           * path handed to a job (GANTRY_HOSTFILE) is absolute */
    char mps_prog[4096];  /* mps.c: nvidia-cuda-mps-control, found */
    char mps_dir[4160];   /* mps.c: the MPS daemon's folder ("": no MPS) */

    /* isolate.c */
    int is_root, cg_on;
    gt_cg_sys cg;
    unsigned char core_ok[AGENT_MAX_CPUS], core_used[AGENT_MAX_CPUS];
    int ngpus;
    int gpu_minor[64]; /* device minor of each GPU (/dev/nvidiaN) */
    /* MIG instances (sys/hw.h): ranks get them by UUID in CUDA_VISIBLE_DEVICES ("": by index) */
    char gpu_uuid[64][96];

    pthread_mutex_t mu;
    pthread_cond_t cv;
    gt_proto_item *queue;     /* items from the poller, owned (mu) */
    size_t nqueue, queue_cap; /* mu */
    uint64_t seq;             /* last seq seen (mu) */
    uint64_t psession;        /* session the poller uses; 0: wait (mu) */
    char logs_key[72];        /* the controller's token for our logs ("": the node token) (mu) */
    int need_register;        /* mu */
    int stop;                 /* mu */
    volatile int abort_poll;  /* set on stop: the poller's call returns at once */
    pthread_t poller, heartbeat, reaper, health;
    int health_started;
    int reaper_started;
    int notified; /* told systemd READY=1 at the first registration (sys/notify.h) */
    int kick;     /* mu: a rank's supervisor ended (SIGCHLD), or a probe ended: tick now */
    /* Fencing (agent.c): the controller's lease (0: none) and when it last answered
     * anything (mu); fenced: this agent stopped its units for want of it */
    int64_t lease_ms, contact_ms;
    int fenced;
    agent_stats stats;   /* metrics.c: the main loop's counts for the server's threads (mu) */
    char pool_node[128]; /* agent.c: the pool slot it is bound to ("" none yet) */
    uint32_t proto;      /* the protocol version the controller and this agent speak */
    /* prober.c: checks waiting for a prober thread (pmu, pcv) and checks done (mu) */
    pthread_mutex_t pmu;
    pthread_cond_t pcv;
    struct a_check *todo, *done_checks;
    int pstop; /* pmu */
    pthread_t probers[4];
    int nprobers;
    gt_http_server *logs;
    /* How units run and what time it is: the system's (gt_proc_real, agent_now) unless a
     * test put in fakes (gt_proc_fake, its own clock). Read through agent_procs/agent_clock. */
    const gt_proc_ops *procs;
    int64_t (*clock)(void);
} agent;

static inline const gt_proc_ops *agent_procs(const agent *a) {
    return a->procs ? a->procs : &gt_proc_real;
}

void *agent_poller_main(void *arg);    /* the poller thread */
void *agent_heartbeat_main(void *arg); /* the heartbeat thread */
void *agent_health_main(void *arg);    /* health.c: the node health check's thread */
/* mps.c: start the node's CUDA MPS control daemon when there is one (marks the registered
 * nodes mps); stop it at exit. 0 only on a setup error. */
int agent_mps_start(agent *a);
void agent_mps_stop(agent *a);
/* Wait on a->cv (a->mu held) at most ms milliseconds. */
void agent_timed_wait(agent *a, int64_t ms);
/* The SIGCHLD thread: waits for the signal (blocked in every other thread) and wakes the
 * main loop, which reaps; it reaps nothing itself. */
void *agent_reaper_main(void *arg);
/* One line of the agent's log (sys/log.h), nothing with --quiet: agent_log at info level,
 * agent_log_at at another (GT_LOG_WARNING, GT_LOG_ERR). */
void agent_log(const agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void agent_log_at(const agent *a, gt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t agent_now(void);
/* The units' clock (monotonic ms): agent_now unless a test set a->clock. */
int64_t agent_clock(const agent *a);
int64_t agent_wall_s(void); /* the wall clock, seconds since the epoch */
/* printf into a path buffer; 0 if it did not fit (the path is then unusable). */
int agent_path(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* records.c: a unit's record once its ranks have ended (see there) */
/* 1 when unit NAME (JOB-UNIT-GEN-NODE) has a record in runs/ or done/: it was started. */
int agent_records_started(const agent *a, const char *name);
/* The folder of rank `rank` of unit NAME, in runs/ or done/, into out; 0 if there is none. */
int agent_records_rank_dir(const agent *a, const char *name, unsigned rank, char *out, size_t size);
/* The controller acknowledged exits of u's ranks (reported == 1): make it durable. */
void agent_records_acked(agent *a, a_unit *u);
/* u is over (every exit acknowledged, no cgroup left): move its record to done/. */
void agent_records_finish(agent *a, a_unit *u);
void agent_records_load(agent *a);   /* at start: what done/ holds, for expiry */
void agent_records_expire(agent *a); /* remove what is older than --keep-logs-s (a few a round) */
void agent_records_free(agent *a);

/* events.c: what the agent tells the controller about ranks (sent by send_events) */
void agent_events_started(agent *a, const a_unit *u, uint32_t rank, int64_t pid);
void agent_events_exited(agent *a, const a_unit *u, uint32_t rank, const gt_proc_status *st,
                         const char *reason, int ranks);
/* Why nothing listens on the unit's first port ("": something does now). */
void agent_events_port(agent *a, const a_unit *u, const char *why);
/* The unit's readiness probe passed (ready 1) or failed (0, detail why). */
void agent_events_ready(agent *a, const a_unit *u, int ready, const char *detail);
/* The unit's scale metric: value >= 0, or -1 and why it could not be read. */
void agent_events_metric(agent *a, const a_unit *u, double value, const char *why);
/* POST the queued events; returns the HTTP status (0: no answer). 200 clears them; on
 * anything else they stay queued for the next try (404: the session is gone). */
int agent_events_send(agent *a, long timeout_ms);
void agent_events_free(agent *a);

/* units.c */
/* unitindex.c: the unit (job, unit, gen) on node, or NULL; in O(1) while the index holds
 * every unit, which agent_unit_index_add keeps for each unit added to a->units and
 * agent_unit_index_rebuild restores after units are removed. Out of memory leaves no index
 * (lookups scan a->units). */
a_unit *agent_unit_find(agent *a, uint32_t job, uint32_t unit, uint32_t gen, const char *node);
void agent_unit_index_add(agent *a, a_unit *u);
void agent_unit_index_rebuild(agent *a);
void agent_unit_index_free(agent *a);
/* Start the unit m names; takes *m (it is moved into the unit or the deferred list, or
 * freed) and leaves it zeroed. Ignores a unit it already has or had. */
void agent_unit_start(agent *a, gt_proto_start *m);
void agent_unit_stop(agent *a, a_unit *u, int64_t grace_ms);
/* Poll ranks, enforce time limits and stops; queue exit events; remove the cgroups of
 * units that have ended. */
void agent_units_tick(agent *a);
/* Start the start items that waited for their node to be free, where it now is. */
void agent_units_start_deferred(agent *a);
/* Reload records from the state folder (real mode). */
void agent_units_adopt(agent *a);
/* Forget a start item still waiting (deferred) for the unit that `stop` names. */
void agent_units_drop_deferred(agent *a, const gt_proto_stop *stop);
/* Full set from a registration: stop what is not in it, start what is new (takes the
 * items' start messages). */
void agent_units_reconcile(agent *a, gt_proto_item *items, size_t n);
/* 1 while a unit whose ranks have all ended still has its cgroup. */
int agent_units_releasing(agent *a);
/* Forget units whose every rank ended and was reported. */
void agent_units_gc(agent *a);
void agent_units_free(agent *a);

/* ports.c */
/* Give u the ports its launch names on its node: the lowest in --ports that no unit of
 * the node still holds and (real mode) nothing listens on. 0 with why when none is left. */
int agent_ports_assign(agent *a, a_unit *u, char *why, size_t len);
/* The unit record's ports file (STATE/runs/NAME/ports): write after assigning, read when
 * adopting; 0 on failure. */
int agent_ports_save(const a_unit *u);
int agent_ports_load(a_unit *u);
/* "http=20001,metrics=20002" into out. */
void agent_ports_list(const a_unit *u, char *out, size_t size);

/* prober.c: probes run on a few threads; the main loop hands checks out and takes the
 * results back (agent_probes_tick), so unit state stays the main loop's. */
int agent_probers_start(agent *a);
void agent_probers_stop(agent *a);
/* Results in, due checks out; a failed liveness probe stops its unit, a readiness change
 * becomes an event. */
void agent_probes_tick(agent *a);
/* After a registration: tell the new session which units are ready. */
void agent_probes_resend(agent *a);

/* isolate.c */
void agent_isolate_setup(agent *a);
/* Identity and cgroup of a unit about to start (name: its record name). 0 with why filled
 * ("CANNOT_START: ...") when it must not start. */
int agent_isolate_unit(agent *a, a_unit *u, const char *name, char *why, size_t len);
/* The cgroup of a unit adopted after a restart (its cores are marked used again). */
void agent_isolate_adopt(agent *a, a_unit *u, const char *name);
/* NULL-terminated list of the cgroup.procs files a rank joins (paths: room for them). */
void agent_isolate_join_list(agent *a, a_unit *u, const gt_proto_rank *rank,
                             char (*paths)[GT_CG_PATH + 208], const char **list);
int agent_isolate_oom(a_unit *u); /* 1: the kernel's OOM killer struck in the unit */
/* Kill what is left of the unit's cgroup and remove it; 1 when it is gone (or never was),
 * 0 to try again later. */
int agent_isolate_end(agent *a, a_unit *u);
void agent_isolate_free(a_unit *u);

/* logs.c */
void agent_logs_handler(void *ctx, const gt_http_req *req, gt_http_resp *resp);
/* metrics.c: copy the counts (main loop, each round); answer /metrics and /healthz (the
 * server's threads): 1 when it was one of them. */
void agent_stats_update(agent *a);
int agent_metrics_handler(agent *a, const gt_http_req *req, gt_http_resp *resp);

#endif
