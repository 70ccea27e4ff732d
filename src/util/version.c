/* SPDX-License-Identifier: MIT
 * gantry's version (see version.h). util/version_gen.h is generated in the build tree. */
#include "util/version.h"

#include <stdio.h>

#include "util/version_gen.h"

const char *gt_version(void) {
    return GT_VERSION;
}

const char *gt_version_commit(void) {
    return GT_GIT_COMMIT;
}

const char *gt_version_line(const char *prog, char *buf, size_t len) {
    if (GT_GIT_COMMIT[0])
        snprintf(buf, len, "%s %s (commit %s)\n", prog, GT_VERSION, GT_GIT_COMMIT);
    else
        snprintf(buf, len, "%s %s\n", prog, GT_VERSION);
    return buf;
}
