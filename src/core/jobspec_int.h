/* SPDX-License-Identifier: MIT
 * Between the job spec's files (jobspec.c, jobspec_serve.c). Not a public header. */
#ifndef GT_CORE_JOBSPEC_INT_H
#define GT_CORE_JOBSPEC_INT_H

#include "core/jobspec.h"

struct json_t;

/* Check a spec's service fields ("ports", "readiness", "liveness", and that the restart_*
 * fields come only with kind serve) in the document root, s being what the rest of it
 * parsed to. Errors name the field. */
gt_err core_jobspec_check_serve(const struct json_t *root, const gt_jobspec *s, const char *where,
                                gt_error *err);

/* A name of jobspec_serve.c's and jobspec_roles.c's (ports, roles): a lowercase letter,
 * then lowercase letters, digits or '-'; 1..max bytes. */
int core_jobspec_name_ok(const char *s, size_t max);

/* Parse "TYPE:JOB[:JOB...][,TYPE:JOB...]" into s's dependencies (jobspec_deps.c); errors
 * name "depends_on". */
gt_err core_jobspec_parse_deps(const char *text, gt_jobspec *s, const char *where, gt_error *err);

/* Check the marker "role" that gt_jobspec_roles writes into each role's document
 * (jobspec_roles.c). */
gt_err core_jobspec_check_role(const struct json_t *root, const gt_jobspec *s, const char *where,
                               gt_error *err);

#endif
