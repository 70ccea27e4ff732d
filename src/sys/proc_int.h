/* SPDX-License-Identifier: MIT
 * Internals shared by the two halves of a rank's life (see proc.h and the notes in proc.c):
 * proc.c runs in the agent (spawn, adopt, poll, stop), proc_shim.c runs after fork (the
 * supervisor and the child, async-signal-safe only). */
#ifndef GT_SYS_PROC_INT_H
#define GT_SYS_PROC_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys/proc.h"

#define PROC_MAX_CGROUPS 8

enum {
    F_SHIM,
    F_SHIM_TMP,
    F_PID,
    F_PID_TMP,
    F_EXIT,
    F_EXIT_TMP,
    F_STDOUT,
    F_STDERR,
    F_REASON,
    F__COUNT
};
extern const char *const proc_file_names[F__COUNT];

/* Everything the shim and the child need, prepared before fork (note 2). */
struct launch {
    char path[F__COUNT][PATH_MAX];
    const char *const *argv;
    char *const *envp;
    const char *workdir;
    const char *search;   /* the PATH value to search */
    char *cand;           /* room for any "entry/argv[0]" */
    const char **sh_argv; /* {"/bin/sh", cand, argv[1..], NULL} for ENOEXEC */
    char boot_id[40];
    int max_fd;
    int set_ids; /* drop to uid/gid/groups before workdir and exec */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int ngroups;
    int ncgroups; /* cgroup.procs files the child joins first */
    char cgroup[PROC_MAX_CGROUPS][PATH_MAX];
};

/* What the shim tells the agent: the child's pid, or the step that failed and its errno. */
struct ready {
    int32_t pid, step, err;
};

/* What we use of a /proc/PID/stat line. */
struct pstat {
    char state;               /* field 3: 'Z' zombie, 'X' dead */
    unsigned long long pgrp;  /* field 5 */
    unsigned long long start; /* field 22: clock ticks after boot */
};

/* read(2) until cap bytes or EOF; -1 with errno on error. Async-signal-safe. */
ssize_t proc_read_all(int fd, char *buf, size_t cap);
/* path is "/proc/PID/stat" or "/proc/self/stat"; -1 when it cannot be read. Async-signal-safe. */
int proc_read_pstat(const char *path, struct pstat *ps);
/* The shim's life after fork: never returns. wfd: the pipe its struct ready goes to. */
_Noreturn void proc_shim_main(const struct launch *l, int wfd);

#endif
