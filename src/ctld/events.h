/* SPDX-License-Identifier: MIT
 * What happens in the cluster, as events a client can follow (events.c; state thread):
 *
 *   GET /v1/events?since=SEQ[&wait=S][&limit=N][&job=ID]
 *   -> {"events": [{"seq", "time", "type", ...}], "next": SEQ, "lost": N}
 *
 * Types: "job" (a job's state changed: submitted as pending, running, pending again,
 * completed, failed, cancelled; with `from` and, for a failure, `failure`), "unit_started",
 * "unit_ended" (done, failed with its exit and reason, or stopped by the scheduler with
 * why: preempted, node_down, scaled, ...), "node" (up, draining, down, with a reason),
 * "node_gpus" (GPUs off), "scaled" (a service's count), "rollout" (a rolling update's
 * state). Each has a sequence number that only grows, also across restarts (it starts at
 * the start's wall-clock time in microseconds); the last CTLD_EVENTS_KEEP are kept in
 * memory (not in the journal: a restart starts with none). An answer with events after
 * `since` comes at once; with none and `wait`, it waits up to that many seconds for one.
 * `lost` counts the events after `since` that left memory before they were asked for.
 * `next` is the number of the last event looked at (the latest when there were no more), so
 * `since` beyond every event's asks for the latest number.
 * A caller sees its tenant's job events and every node's. */
#ifndef GT_CTLD_EVENTS_H
#define GT_CTLD_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "ctld/request.h"

#define CTLD_EVENTS_KEEP 100000

struct gt_ctld;

/* Record an event of `type` with `fields` (taken; may be NULL) about `job` (GT_NONE: a
 * node's): nothing while replaying the journal. */
void ctld_event(struct gt_ctld *c, int64_t t, const char *type, uint32_t job, json_t *fields);
/* How a unit ended: stopped by the scheduler (why: "preempted", ...) or on its own (its
 * exit, and the agent's reason or NULL). */
typedef struct {
    const char *why;
    int exit_code, signal;
    const char *reason;
} ctld_unit_end;
/* "unit_started" (its nodes, topology vertices) and "unit_ended" (state "stopped" with
 * how->why, or "done"/"failed" with the exit): the same events ctld_event would record,
 * written without building values (two a task). Nothing while replaying. */
void ctld_event_unit_started(struct gt_ctld *c, int64_t t, uint32_t job, uint32_t unit,
                             uint32_t gen, const uint32_t *nodes, uint32_t nnodes);
void ctld_event_unit_ended(struct gt_ctld *c, int64_t t, uint32_t job, uint32_t unit, uint32_t gen,
                           const char *state, const ctld_unit_end *how);
/* A job's state as the core has it now, recorded as a "job" event when it changed. */
void ctld_event_job(struct gt_ctld *c, uint32_t job, int64_t t);
/* GET /v1/events. */
void ctld_exec_event_list(struct gt_ctld *c, ctld_req *r, int64_t t);
/* Each round: answer parked watches that have events or whose time is up (all when
 * stopping). */
void ctld_events_tick(struct gt_ctld *c, int64_t now_mono, int stopping);
void ctld_events_free(struct gt_ctld *c);

#endif
