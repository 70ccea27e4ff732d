/* SPDX-License-Identifier: MIT
 * Run one rank (one process tree) of a job on this node, so that an agent that is killed and
 * restarted can re-adopt ranks still running and learn how the others ended.
 *
 * Each rank has a record directory (`dir`) and a supervisor, the "shim": the gantry-shim
 * executable (or, without one, a fork of the agent) in its own session that starts the
 * rank's main process (the "child"), waits for it and writes how it ended. The child leads
 * its own process group, so the whole tree is signalled with kill(-pid); the shim is outside
 * that group and ignores SIGTERM, SIGINT, SIGHUP and SIGPIPE, so it outlives both the job's
 * signals and the agent.
 *
 * The record directory (mode 0700), all files 0600:
 *   pid     "PID\nSHIMPID STARTTIME BOOTID\n": the child's pid = its process group, then
 *           the shim's identity; exists once gt_proc_spawn returns (`head -n1 pid` in a
 *           script). Records of older agents have the shim's line in a file `shim`.
 *   stdout  the child's fd 1 (append)
 *   stderr  the child's fd 2 (append)
 *   reason  one line, only when the child could not start ("exec foo: No such file...");
 *           written by the shim before `pid`
 *   exit    "EXIT_CODE SIGNAL\n" (one of them 0), written last, once the child is gone
 * pid and exit are written atomically (tmp file + rename).
 *
 * A rank ends when its child ends: the shim then SIGKILLs what is left of the child's group
 * and reaps it (it is the tree's subreaper) before writing `exit`, so a rank seen ended
 * holds no process of its group any more.
 *
 * Not thread-safe: one gt_proc is driven by one thread. gt_proc_spawn spawns or forks; a
 * forked shim and the child only make async-signal-safe calls, so the agent may have other
 * threads. */
#ifndef GT_SYS_PROC_H
#define GT_SYS_PROC_H

#include <sys/types.h>

#include "util/error.h"
#include "util/time.h"

/* File names inside a record directory (for the agent's log endpoint and tests). */
#define GT_PROC_PID "pid"
#define GT_PROC_EXIT "exit"
#define GT_PROC_STDOUT "stdout"
#define GT_PROC_STDERR "stderr"
#define GT_PROC_REASON "reason"

/* What to run. Everything is borrowed for the duration of gt_proc_spawn only. */
typedef struct {
    const char *const *argv; /* NULL-terminated, argv[0] non-empty; a name without '/' is
                                looked up on envp's PATH (default "/usr/local/bin:/usr/bin:
                                /bin"), relative to workdir, as execvp does */
    const char *const *envp; /* the complete environment, NULL-terminated; NULL: the
                                agent's own environment */
    const char *workdir;     /* NULL: the agent's working directory */
    const char *dir;         /* the rank's record directory; created (mkdir -p, 0700) */
    /* Files for the child's stdout and stderr (appended to, made 0644 when new) instead of
     * the record's, opened once it has the job's identity and is in workdir, so it writes
     * only where the job's user may: NULL, the record's stdout / stderr. */
    const char *stdout_path, *stderr_path;
    /* Identity (set_ids = 1): the child takes these groups, gid and uid after joining its
     * cgroups and before entering workdir, so workdir and the command are checked with the
     * job's own rights. The caller resolves names and refuses what it must (root). */
    int set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups; /* supplementary groups, ngroups of them (0: none) */
    int ngroups;
    /* cgroup.procs files the child joins (writes "0" to) first; NULL-terminated; NULL:
     * none. At most 8. */
    const char *const *cgroups;
    /* The gantry-shim executable that supervises the rank; NULL: a fork of the caller does.
     * Spawning it copies nothing of the caller (much cheaper for a big agent). */
    const char *shim;
} gt_proc_spec;

/* How a rank ended. Exactly one of exit_code and signal is non-zero, or both are 0 for a
 * clean exit. A rank whose supervisor died without writing `exit` reports signal SIGKILL
 * and reason "lost: the rank's supervisor died". */
typedef struct {
    int exit_code;
    int signal;
    char reason[256]; /* "" or the one line of `dir/reason` (why it could not start) */
} gt_proc_status;

/* One rank. Owned by the caller (usually a struct member); fields are read-only outside
 * proc.c. poll, signal, stop and tick take only a gt_proc filled by a successful
 * gt_proc_spawn or gt_proc_adopt. Release with gt_proc_free. */
typedef struct {
    char *dir;                     /* owned copy of the record directory */
    pid_t pid;                     /* the child = its process-group id */
    pid_t shim;                    /* the supervisor; 0 when unknown */
    unsigned long long shim_start; /* its start time (clock ticks after boot); 0: unknown */
    int shim_ours;                 /* 1: our child, not yet reaped */
    int stale;                     /* record from an earlier boot: nothing of it is alive */
    int ended;                     /* 1: the end was seen; st is valid */
    gt_proc_status st;
    int stopping;    /* gt_proc_stop was called */
    int killed;      /* the SIGKILL of the stop was sent */
    gt_time kill_at; /* when tick sends SIGKILL; GT_TIME_NEVER when no stop is under way */
} gt_proc;

/* Start a rank: create spec->dir, start the shim, which starts the child. Returns when
 * dir/pid exists, with *out filled (out->pid is the child's pid). A command that cannot be
 * started (missing, not executable, bad workdir, a cgroup or identity that cannot be taken)
 * is NOT an error here: the rank starts and ends at once with exit code 127 (126: not
 * executable) and a reason, seen by gt_proc_poll.
 * Errors: GT_E_INVALID (bad spec), GT_E_EXISTS (dir already holds a record: forget it
 * first), GT_E_IO (mkdir, pipe, fork, a shim that cannot be
 * executed or fails before starting the child), GT_E_NOMEM; *out is then zeroed (safe to free). */
gt_err gt_proc_spawn(const gt_proc_spec *spec, gt_proc *out, gt_error *err);

/* Rebuild a rank from its record directory (after an agent restart). Reads dir/pid and
 * dir/shim; when dir/exit exists the rank is already ended (out->ended, out->st). A record
 * from before a reboot is stale: it reports "lost" and is never signalled.
 * Errors: GT_E_NOT_FOUND (no dir/pid: the spawn never completed), GT_E_PARSE, GT_E_IO,
 * GT_E_NOMEM; *out is then zeroed. */
gt_err gt_proc_adopt(const char *dir, gt_proc *out, gt_error *err);

/* Non-blocking. Returns 1 when the rank has ended (*st filled, also on later calls) and 0
 * while it runs. Reaps the shim when it is our child. If dir/exit is missing but neither
 * the shim nor any process of the child's group is left, the rank is "lost" (see
 * gt_proc_status). st may be NULL. */
int gt_proc_poll(gt_proc *p, gt_proc_status *st);

/* Send sig to the child's whole process group. A group that is already gone (ESRCH) and a
 * rank already seen ended are fine: returns 0. -1 with errno otherwise. */
int gt_proc_signal(gt_proc *p, int sig);

/* Stop without blocking: SIGTERM (then SIGCONT, so a stopped group sees it) to the group now,
 * SIGKILL once grace_ms have passed if the rank has not ended by then. The caller's loop
 * drives it:
 *     gt_proc_stop(p, grace, now);
 *     loop: if (gt_proc_poll(p, &st)) done; else wake at gt_proc_tick(p, now);
 * grace_ms <= 0 sends SIGKILL at once. A second stop keeps the first deadline. Does nothing
 * when the rank has already ended. */
void gt_proc_stop(gt_proc *p, gt_time grace_ms, gt_time now_ms);

/* Send the stop's SIGKILL when its deadline has passed and the rank has not been seen ended
 * (call gt_proc_poll first). Returns when to call tick again: the deadline, or GT_TIME_NEVER
 * when nothing is pending. */
gt_time gt_proc_tick(gt_proc *p, gt_time now_ms);

/* Release what *p owns (not the record directory, not the processes: a running rank keeps
 * running and can be adopted again). When the rank was seen ended, a shim of ours not yet
 * reaped is waited for up to ~50 ms. Accepts NULL and a zeroed gt_proc. */
void gt_proc_free(gt_proc *p);

/* The calls above as a table, so that a caller (the agent) can be driven by a fake twin in
 * tests. gt_proc_real is this file's functions. */
typedef struct {
    gt_err (*spawn)(const gt_proc_spec *spec, gt_proc *out, gt_error *err);
    gt_err (*adopt)(const char *dir, gt_proc *out, gt_error *err);
    int (*poll)(gt_proc *p, gt_proc_status *st);
    void (*stop)(gt_proc *p, gt_time grace_ms, gt_time now_ms);
    gt_time (*tick)(gt_proc *p, gt_time now_ms);
    void (*free)(gt_proc *p);
} gt_proc_ops;

extern const gt_proc_ops gt_proc_real;

/* The fake twin (proc_fake.c): no process at all. spawn creates spec->dir, keeps argv and
 * envp (gt_proc_fake_env reads them back) and gives pids from 1000 up; adopt finds what a
 * spawn of this process made; a rank runs until gt_proc_fake_end ends it or a stop does (it
 * obeys SIGTERM at once unless gt_proc_fake_stubborn was set, then the stop's SIGKILL at
 * the deadline that tick sees). For tests only: not thread safe. */
extern const gt_proc_ops gt_proc_fake;
/* End a fake rank as if it exited with code, or was killed by signal sig. */
void gt_proc_fake_end(gt_proc *p, int code, int sig, const char *reason);
/* The value of `key` in the environment a fake rank was spawned with, NULL if unset. */
const char *gt_proc_fake_env(const gt_proc *p, const char *key);
/* Fake ranks spawned so far (adopted ones not counted), and whether they ignore SIGTERM. */
int gt_proc_fake_spawned(void);
void gt_proc_fake_stubborn(int on);
/* Forget every fake rank (between tests). */
void gt_proc_fake_reset(void);

/* Remove a record directory and everything in it. A missing dir is fine. Removing the record
 * of a running rank does not stop it (the shim then cannot write `exit`). */
gt_err gt_proc_forget(const char *dir, gt_error *err);

#endif
