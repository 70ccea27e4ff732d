/* SPDX-License-Identifier: MIT
 * gantry-agent, the node daemon, as a library (main.c adds the command line).
 *
 * One agent serves one node (its own machine) or, with `emulate`, many nodes of a cluster
 * config whose units "run" for their duration_s without processes. It registers, keeps a
 * session alive with heartbeats, long-polls assignments, runs ranks (sys/proc.h), and
 * reports exits. Its state folder holds one record per unit it ever started, so a
 * restarted agent re-adopts running ranks, reports exits it has not reported, and never
 * starts a (job, unit, gen) twice. */
#ifndef GT_AGENT_AGENT_H
#define GT_AGENT_AGENT_H

#include <stdint.h>

typedef struct {
    const char *server;    /* "http://127.0.0.1:7070" */
    const char *token;     /* node token */
    const char *node;      /* this node's name (one-node mode) */
    const char *state_dir; /* records and logs */
    const char *listen;    /* logs endpoint "ADDR:PORT" (port 0: any) */
    const char *advertise; /* host the controller and peers reach us at; NULL: listen's */
    int fake_gpus;         /* GPUs to report when NVML sees none */
    const char *fake_model;
    int cpus;          /* 0: discover */
    int64_t memory_mb; /* 0: discover */
    int emulate;       /* > 0: emulate this many nodes of emulate_config's fleet */
    const char *emulate_config;
    int quiet;
    const char *job_user;      /* runs jobs that name no user (agent as root); "nobody" */
    int no_cgroups;            /* 1: no cgroups even as root */
    const char *cgroup_parent; /* folder for units under each hierarchy; NULL: "gantry" */
    const char *cgroup_mounts; /* mount table to detect hierarchies from; NULL: the real one */
    /* rank supervisor program; NULL: gantry-shim beside this program; "none": a fork of the
     * agent (sys/proc.h) */
    const char *shim;
    int64_t keep_logs_s;     /* how long done/ keeps a finished unit's record and logs */
    int ports_lo, ports_hi;  /* TCP ports given to units (0: 20000-29999) */
    const char *health_cmd;  /* the node's health check (sh -c), NULL: none */
    int health_every_s;      /* how often it runs (0: 30 s) */
    int port_grace_s;        /* a replica's first port unlistened this long is reported (0: 30) */
    const char *pool;        /* join this node pool of the config (gantryd binds a slot) */
    const char *mps_control; /* nvidia-cuda-mps-control to run; NULL: on PATH; "none" */
} gt_agent_opts;

/* Run until SIGINT/SIGTERM (gt_agent_stop). Returns a process exit code. */
int gt_agent_main(const gt_agent_opts *o);
void gt_agent_stop(void); /* async-signal-safe */

#endif
