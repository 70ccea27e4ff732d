/* SPDX-License-Identifier: MIT
 * Services as the controller sees them (service.c; state thread only): where each
 * replica listens (its ports, journaled by the "ports" op when its agent reports them),
 * whether it is ready (readiness events, journaled as the "ready" op on a change; agents send them
 * again after they register), and the endpoints a router reads, with a long-poll watch.
 *
 * A replica is an endpoint while its run is active, the agent of its first node reported
 * its ports and, when the job has a readiness probe, that probe passes (journaled, like
 * the ports, so a restarted gantryd lists the same endpoints). Each change to a
 * job's endpoints raises its endpoint version (ctld_job.ep_version, memory only: a
 * restarted controller starts again from 1 and a watcher's older number is answered at
 * once). */
#ifndef GT_CTLD_SERVICE_H
#define GT_CTLD_SERVICE_H

#include <jansson.h>
#include <stdint.h>

#include "ctld/request.h"
#include "ctld/runs.h"

/* The "ports" journal op: {"job","unit","gen","node","ports": {"http": 20001, ...}}. */
gt_err ctld_op_ports(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
/* A started event with ports: journal them (once per run and node). */
void ctld_service_started(gt_ctld *c, const gt_proto_event *ev, int64_t t);
/* The "ready" journal op {"job","unit","gen","ready"}, and a ready or unready event (which
 * makes one when readiness changes). */
gt_err ctld_op_ready(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
void ctld_service_ready(gt_ctld *c, const gt_proto_event *ev, int64_t t);
/* A port event: why nothing listens on a replica's first port (memory only: agents say it
 * again after they register); the service is degraded while one is noted. */
void ctld_service_port(gt_ctld *c, const gt_proto_event *ev, int64_t t);
/* A run ended (was active): its replica leaves the endpoints. */
void ctld_service_run_ended(gt_ctld *c, uint32_t job, const ctld_run *r);
/* GET /v1/jobs/{id}/endpoints[?watch=VERSION&timeout_s=N]: with a watch whose version is
 * current, the request is parked until the endpoints change or the timeout passes. */
void ctld_exec_endpoints(gt_ctld *c, ctld_req *r, int64_t t);
/* Each round: answer parked watches whose time is up (all of them when stopping). */
void ctld_endpoints_tick(gt_ctld *c, int64_t now_mono, int stopping);
/* A service's state for the job document (NULL when the job is not a service):
 * {degraded, degraded_reason, restarts, ready, backoff_until, version}. */
json_t *ctld_service_json(gt_ctld *c, uint32_t job);
/* Services known to the metrics: a new service job (apply.c's submit), and the page's
 * lines for the active ones (ended ones leave the list as it is walked). */
void ctld_service_track(gt_ctld *c, uint32_t job);
void ctld_service_metrics(gt_ctld *c, struct gt_sb *sb);
/* 1 when run r of job is one of its endpoints (running, ports known, ready). */
int ctld_run_is_endpoint(gt_ctld *c, uint32_t job, const ctld_run *r);

/* autoscale.c: a metric event; each round's scaling decisions (journaled "scale" ops);
 * the job document's "autoscale" part (null without a "scale"). */
void ctld_service_metric(gt_ctld *c, const gt_proto_event *ev, int64_t t);
void ctld_autoscale_tick(gt_ctld *c, int64_t t);
json_t *ctld_autoscale_json(gt_ctld *c, uint32_t job);

/* rollout.c: the journal ops of rolling updates, each round's steps, and the job
 * document's "rollout" part (null when it was never updated). */
gt_err ctld_op_update(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
gt_err ctld_op_replace(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
gt_err ctld_op_rollout(gt_ctld *c, int64_t t, json_t *body, gt_error *err);
void ctld_rollout_tick(gt_ctld *c, int64_t t);
json_t *ctld_rollout_json(gt_ctld *c, uint32_t job);
/* PATCH /v1/jobs/{id} (exec.c's table). */
void ctld_exec_update(gt_ctld *c, ctld_req *r, int64_t t);

/* How many of the job's replicas are endpoints now (0 once it ended): what
 * ctld_endpoints_json would list, without building the list. */
uint32_t ctld_endpoints_ready(gt_ctld *c, uint32_t job);
/* The job's ready replicas as a JSON array (render.c uses it for gantry show). */
json_t *ctld_endpoints_json(gt_ctld *c, uint32_t job, uint32_t *ready);

/* roles.c: a service of several roles (one job per role; the notes are there). */
/* Read job's role from its document's marker (after a submission or a snapshot). */
void ctld_role_init(gt_ctld *c, uint32_t job);
/* The group's first job (job itself when it has no roles) and its number of roles (1). */
uint32_t ctld_role_head(const gt_ctld *c, uint32_t job);
uint32_t ctld_role_count(const gt_ctld *c, uint32_t job);
/* Pair a role with the head when its group has a ratio and `within` (at submission). */
gt_err ctld_role_pair(gt_ctld *c, uint32_t job, gt_error *err);
/* The endpoints and their watch version: the head's are every role's. */
uint64_t ctld_role_ep_version(const gt_ctld *c, uint32_t job);
json_t *ctld_role_endpoints(gt_ctld *c, uint32_t job, uint32_t *ready);
/* The job document's "group": {role, head, roles: {NAME: ID}, per}; null without roles. */
json_t *ctld_role_json(gt_ctld *c, uint32_t job);

#endif
