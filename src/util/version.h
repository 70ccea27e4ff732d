/* SPDX-License-Identifier: MIT
 * gantry's version, one for every program: the project's VERSION in CMakeLists.txt (its
 * one definition), and the git commit the build came from, both written into a header
 * at build time (cmake/version.cmake). `--version` of gantry, gantryd, gantry-agent and
 * gantry-sim prints gt_version_line. */
#ifndef GT_UTIL_VERSION_H
#define GT_UTIL_VERSION_H

#include <stddef.h>

/* "0.1.0"; a static string. */
const char *gt_version(void);
/* The git commit, 12 hex digits, with "-dirty" when tracked files differed from it; ""
 * when unknown (no git, not a checkout). A static string. */
const char *gt_version_commit(void);
/* "PROG VERSION (commit COMMIT)\n", or "PROG VERSION\n" without a commit, into buf (always
 * NUL-terminated); returns buf. */
const char *gt_version_line(const char *prog, char *buf, size_t len);

#endif
