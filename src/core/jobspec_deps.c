/* SPDX-License-Identifier: MIT
 * A job spec's dependencies, in Slurm's --dependency syntax:
 *
 *   "depends_on": "afterok:12:13,afterany:14"
 *
 * a comma-separated list of TYPE:JOB[:JOB...], at most GT_SPEC_MAX_DEPS jobs in all; at
 * most one aftercorr (task i waits for task i of that array), and only in a task array.
 * Parsed into (job, type) pairs in their order, and rendered back the same way, one pair
 * per item, so that parsing the rendering gives the same pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobspec_int.h"

static const char *const names[] = {"after", "afterok", "afternotok", "afterany", "aftercorr"};
#define NTYPES ((int)(sizeof names / sizeof names[0]))

const char *gt_dep_type_name(int t) {
    return t >= 0 && t < NTYPES ? names[t] : "";
}

static gt_err bad(const char *where, gt_error *err, const char *text) {
    return gt_fail(err, GT_E_INVALID, where,
                   "depends_on: expected TYPE:JOB[:JOB...][,TYPE:JOB...] with TYPE one of after, "
                   "afterok, afternotok, afterany, aftercorr, got '%.64s'",
                   text);
}

gt_err core_jobspec_parse_deps(const char *text, gt_jobspec *s, const char *where, gt_error *err) {
    s->ndeps = 0;
    const char *p = text;
    if (!*p)
        return bad(where, err, text);
    while (*p) {
        const char *colon = strchr(p, ':');
        int type = -1;
        for (int t = 0; colon && t < NTYPES; t++)
            if ((size_t)(colon - p) == strlen(names[t]) && !strncmp(p, names[t], strlen(names[t])))
                type = t;
        if (type < 0)
            return bad(where, err, text);
        p = colon;
        while (*p == ':') {
            p++;
            if (*p < '0' || *p > '9')
                return bad(where, err, text);
            char *end;
            unsigned long long id = strtoull(p, &end, 10);
            if (id >= 0xffffffffULL || end - p > 10)
                return gt_fail(err, GT_E_RANGE, where, "depends_on: job id %.12s is too large", p);
            if (s->ndeps == GT_SPEC_MAX_DEPS)
                return gt_fail(err, GT_E_LIMIT, where, "depends_on: at most %d jobs",
                               GT_SPEC_MAX_DEPS);
            s->dep_job[s->ndeps] = (uint32_t)id;
            s->dep_type[s->ndeps++] = (uint8_t)type;
            p = end;
        }
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return bad(where, err, text);
    }
    return GT_E_OK;
}

void gt_jobspec_deps_str(const gt_jobspec *s, char *buf, size_t len) {
    size_t o = 0;
    if (len)
        buf[0] = 0;
    for (int i = 0; i < s->ndeps && o < len; i++) {
        int n = snprintf(buf + o, len - o, "%s%s:%u", i ? "," : "",
                         gt_dep_type_name(s->dep_type[i]), s->dep_job[i]);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}
