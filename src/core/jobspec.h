/* SPDX-License-Identifier: MIT
 * The job spec: the public contract that the CLI, the API, simulator traces and the journal
 * all speak. One JSON document per job (see docs/job-spec.md):
 *
 *   {"name": "llm", "tenant": "research", "kind": "train", "priority": "high",
 *    "gpus": 64, "gpus_per_node": 4, "gpu_model": "GB200", "cpus": 16, "memory_mb": 65536,
 *    "within": "domain", "time_limit_s": 7200, "estimate_s": 3600, "duration_s": 3000}
 *
 * kind    train: one gang of `gpus` GPUs (all ranks start together or none do)
 *         serve: replicas.min .. replicas.max replicas, each a gang of `gpus` GPUs
 *         tasks: an array of `tasks` independent tasks, each with `gpus` (0 or more) GPUs
 * cpus and memory_mb are per node for train/serve, per task for tasks.
 * A serve replica or a task may ask for a share of one GPU instead of whole ones:
 * "gpu_milli": 1..999 thousandths of it (or "gpus": 0.25), and/or "gpu_memory_mb" of its
 * memory; "gpu_model" may be a set, "V100M16|V100M32".
 * duration_s is the run time the simulator plays; real runs ignore it.
 *
 * gt_jobspec is plain data (no pointers) so it can be copied and stored freely. */
#ifndef GT_CORE_JOBSPEC_H
#define GT_CORE_JOBSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/time.h" /* gt_time: milliseconds on a clock chosen by the caller */

typedef enum { GT_KIND_TRAIN = 0, GT_KIND_SERVE, GT_KIND_TASKS, GT_KIND__COUNT } gt_kind;
typedef enum { GT_PRIO_LOW = 0, GT_PRIO_NORMAL, GT_PRIO_HIGH, GT_PRIO_CRITICAL } gt_prio;

/* Limits that keep every value far from overflow; exceeding one is a GT_E_RANGE. */
#define GT_SPEC_MAX_GPUS 1048576
#define GT_SPEC_MAX_TASKS 10000000
#define GT_SPEC_MAX_REPLICAS 100000
#define GT_SPEC_MAX_CPUS 1048576
#define GT_SPEC_MAX_MEM_MB (1LL << 40)
#define GT_SPEC_GPU_MILLI 1000   /* a whole GPU in the thousandths that shares ask for */
#define GT_SPEC_MAX_PIDS 4194304 /* the kernel's pid_max ceiling */
#define GT_SPEC_MAX_RESTARTS 1000
#define GT_SPEC_MAX_TIME_S (10LL * 365 * 24 * 3600)

/* Dependencies on other jobs (Slurm's): start only after each job has started or ended
 * (after), completed (afterok), failed or been cancelled (afternotok), ended in any way
 * (afterany). */
/* aftercorr: task i of this array waits for task i of the other (an array of the same
 * size) to succeed (Slurm's --dependency=aftercorr) */
typedef enum {
    GT_DEP_AFTER = 0,
    GT_DEP_AFTEROK,
    GT_DEP_AFTERNOTOK,
    GT_DEP_AFTERANY,
    GT_DEP_AFTERCORR
} gt_dep_type;
#define GT_SPEC_MAX_DEPS 8

typedef struct {
    char id[64];     /* external id (trace job_id); may be empty */
    char name[64];   /* may be empty */
    char tenant[48]; /* never empty after parsing: defaults to "default" */
    gt_kind kind;
    int priority;          /* gt_prio */
    int32_t gpus;          /* train: total; serve: per replica; tasks: per task */
    int32_t gpus_per_node; /* 0: chosen by the scheduler */
    int32_t cpus;          /* per node (train/serve) or per task; 0: default 1 per GPU, min 1 */
    int64_t memory_mb;     /* per node or per task; 0: no memory request */
    char gpu_model[32];    /* empty: any model; "A|B": any of these */
    int32_t gpu_milli;     /* 1..999: a share of one GPU (gpus is then 1); 0: whole GPUs */
    int64_t gpu_memory_mb; /* a share's memory on its GPU; 0: none asked */
    char within[24];       /* empty: no constraint; else a level name ("node", "domain", ...) */
    int32_t replicas_min, replicas_max; /* serve */
    int32_t tasks;                      /* tasks: array size */
    int32_t max_running;                /* tasks: at most this many run at once; 0: no cap */
    int32_t max_restarts;  /* a failed unit is started again up to this many times; 0: never */
    gt_time submit_ms;     /* traces: submission time; API sets it on receipt */
    gt_time time_limit_ms; /* 0: none */
    gt_time estimate_ms;   /* 0: use time_limit_ms, else unknown */
    gt_time duration_ms;   /* simulator: actual run time (per task for tasks); 0: unknown */
    /* serve: a replica that ends is always started again, after a back-off that starts at
     * restart_backoff_ms (0: 1 s) and doubles with each failure in a row up to 5 minutes;
     * one that fails more than max_restarts times (0: 5) within restart_window_ms (0: 10
     * minutes) makes the service degraded. */
    gt_time restart_backoff_ms, restart_window_ms;
    /* serve: replicas a rolling update may run beyond the wanted count (0: 1); the core
     * keeps that many spare replica slots */
    int32_t max_surge;
    /* "depends_on": "afterok:12:13,afterany:14" -- ndeps (job, type) pairs in that order */
    int32_t ndeps;
    uint32_t dep_job[GT_SPEC_MAX_DEPS];
    uint8_t dep_type[GT_SPEC_MAX_DEPS];
} gt_jobspec;

/* Defaults for an empty spec: tenant "default", kind train, priority normal, 1 unit. */
void gt_jobspec_init(gt_jobspec *s);

/* Check the cross-field rules (positive sizes, replicas min <= max, gpus_per_node divides
 * gpus for train, ...). `where` prefixes error locations ("jobs.json", "trace.csv:12"). */
gt_err gt_jobspec_validate(const gt_jobspec *s, const char *where, gt_error *err);

/* Parse one JSON document (len bytes, need not be NUL-terminated). Unknown fields, wrong
 * types, out-of-range values are errors naming the field. On success *out is filled. */
gt_err gt_jobspec_parse_json(const char *text, size_t len, const char *where, gt_jobspec *out,
                             gt_error *err);

/* The same for a document already parsed (a jansson object; json_t is struct json_t):
 * gantryd parses a request's body once and reads the spec from it. */
struct json_t;
gt_err gt_jobspec_from_json(const struct json_t *root, const char *where, gt_jobspec *out,
                            gt_error *err);

/* A service of several roles (a document with "roles"; jobspec_roles.c documents it):
 * *out is a new JSON array with one job document per role, each checked as a spec (errors
 * name the role: "roles[1] (decode): gpus: ..."); NULL and GT_E_OK for a document without
 * "roles". Nothing else about the document is checked: its roles' documents are. */
gt_err gt_jobspec_roles(const struct json_t *root, const char *where, struct json_t **out,
                        gt_error *err);

/* Render a spec as one line of JSON into buf (NUL-terminated, truncated to len). Parsing
 * the result gives back an equal spec. Returns the length it needed. */
size_t gt_jobspec_to_json(const gt_jobspec *s, char *buf, size_t len);

/* Field-by-field equality (the struct has padding, so never memcmp it whole). Strings are
 * compared as whole arrays: specs from gt_jobspec_init/parse have zeros after the NUL.
 * compare_names = 0 ignores `name` (CSV traces have no column for it). */
int gt_jobspec_equal(const gt_jobspec *a, const gt_jobspec *b, int compare_names);

/* "after", "afterok", "afternotok", "afterany"; "" for another value. */
const char *gt_dep_type_name(int t);
/* Render s's dependencies as "afterok:12,afterany:14" into buf (NUL-terminated,
 * truncated to len); "" when it has none. */
void gt_jobspec_deps_str(const gt_jobspec *s, char *buf, size_t len);

const char *gt_kind_name(gt_kind k);
int gt_kind_parse(const char *s); /* -1 if unknown */
const char *gt_prio_name(int p);
int gt_prio_parse(const char *s); /* name or digit 0..3; -1 if unknown */

#endif
