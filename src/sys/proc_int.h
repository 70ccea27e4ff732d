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

enum { F_PID, F_PID_TMP, F_EXIT, F_EXIT_TMP, F_STDOUT, F_STDERR, F_REASON, F__COUNT };
extern const char *const sys_proc_file_names[F__COUNT];

/* Everything the shim and the child need, prepared before fork (note 2). */
struct launch {
    char path[F__COUNT][PATH_MAX];
    const char *const *argv;
    char *const *envp;
    const char *workdir;
    const char *out_file, *err_file; /* spec's stdout_path, stderr_path; NULL: none */
    const char *search;              /* the PATH value to search */
    char *cand;                      /* room for any "entry/argv[0]" */
    const char **sh_argv;            /* {"/bin/sh", cand, argv[1..], NULL} for ENOEXEC */
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

/* Build a launch for spec (borrowed: it must outlive the launch); NULL when out of memory.
 * boot_id: this boot's id ("" or NULL: unknown). Free with sys_proc_launch_free. */
struct launch *sys_proc_launch_new(const gt_proc_spec *spec, const char *boot_id);
void sys_proc_launch_free(struct launch *l);

/* ---- an exec'd shim's launch message (proc_launch.c) ----
 * The agent sends the spec of a spawn to gantry-shim over the socket on the shim's fd
 * PROC_SHIM_FD (never in argv or the shim's environment: the job's environment may hold
 * secrets, and LD_PRELOAD must not reach a process running as root). The shim answers on
 * the same socket with its struct ready. */
#define PROC_SHIM_FD 3
#define PROC_LAUNCH_VERSION "gantry-launch-1"
#define PROC_LAUNCH_MAX (64u << 20) /* the largest message a shim accepts */

/* The message for spec: a 4-byte length, then the body; malloc'd (the caller frees), *len
 * its size in bytes. NULL when out of memory. */
char *sys_proc_launch_encode(const gt_proc_spec *spec, const char *boot_id, size_t *len);

/* A decoded message: spec and boot_id point into the body it was decoded from. */
struct launch_msg {
    gt_proc_spec spec;
    const char *boot_id;
    const char **argv, **envp, **cgroups; /* owned arrays (not their strings) */
    gid_t *groups;
};
/* Decode a message body (len bytes after the length). Every field is checked: GT_E_PARSE
 * naming the byte offset of the bad field, GT_E_NOMEM; *m is then empty. On success free
 * with sys_proc_launch_msg_free; body must outlive *m. */
gt_err sys_proc_launch_decode(char *body, size_t len, struct launch_msg *m, gt_error *err);
void sys_proc_launch_msg_free(struct launch_msg *m);

/* The shim's steps that can fail (struct ready). */
enum { STEP_OK, STEP_FORK, STEP_PID, STEP_LAUNCH, STEP__COUNT };

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
ssize_t sys_proc_read_all(int fd, char *buf, size_t cap);
/* path is "/proc/PID/stat" or "/proc/self/stat"; -1 when it cannot be read. Async-signal-safe. */
int sys_proc_read_pstat(const char *path, struct pstat *ps);
/* The shim's life after fork: never returns. wfd: the pipe its struct ready goes to. */
_Noreturn void sys_proc_shim_main(const struct launch *l, int wfd);

#endif
