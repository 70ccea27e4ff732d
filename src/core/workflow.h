/* SPDX-License-Identifier: MIT
 * A workflow: named steps, each a job spec, with dependencies between them, submitted at
 * once (all or nothing). The document:
 *
 *   {"name": "rag",                       (optional; a step's job is named "rag.STEP")
 *    "steps": {"embed": {JOB SPEC},
 *              "index": {JOB SPEC, "depends_on": "afterok:embed"},
 *              "eval":  {JOB SPEC, "depends_on": "afterok:index,afterany:12"}}}
 *
 * A step's depends_on is the job spec's (Slurm's TYPE:JOB[:JOB...],...) where a JOB may
 * also be the name of another step. Step names start with a letter (so they never look
 * like a job id) and hold letters, digits, '_' and '-', at most 63 bytes.
 *
 * Pure: JSON in, JSON out; no I/O. */
#ifndef GT_CORE_WORKFLOW_H
#define GT_CORE_WORKFLOW_H

#include <jansson.h>
#include <stdint.h>

#include "util/error.h"

#define GT_WORKFLOW_MAX_STEPS 64

/* `head` for a check of the workflow alone (no job ids known): any job id passes. */
#define GT_WORKFLOW_ANY_HEAD 0xffffff00u

/* The jobs of workflow `body` in an order where every step comes after the steps it
 * depends on (among those free to go, the order written), the first to get job id `head`,
 * the next head + 1, and so on. `head` is also the number of jobs that exist: a JOB given
 * as a number must be below it (GT_E_NOT_FOUND). Out: *docs (new) holds each step's job spec with
 * its step references in depends_on replaced by those ids, and its name set as above unless it has
 * one; *names (new) the step names in the same order. Each document is checked with the
 * job spec parser, and errors are located in the step ("steps.index"). A
 * dependency cycle is refused with the cycle named ("a -> b -> a"), an unknown step with the
 * steps there are. On error nothing is returned. */
gt_err gt_workflow_plan(const json_t *body, uint32_t head, json_t **docs, json_t **names,
                        gt_error *err);

/* The fuzzers' check (tests/fuzz/fuzz_workflow.c, tests/unit/test_fuzz_corpus.c): len bytes
 * as a workflow are refused with a message, or planned into 1 to 64 job documents, one per
 * step, each a valid job spec that depends only on jobs before the workflow or on its own
 * earlier steps. 0 when that holds, else -1 with why. */
int gt_workflow_fuzz_check(const char *data, size_t len, char *why, size_t size);

#endif
