/* SPDX-License-Identifier: MIT
 * One rank of a job: a supervisor ("shim") per rank and a record directory, so that ranks
 * outlive the agent and a restarted agent learns what became of them. See proc.h for the
 * files of a record.
 *
 *   agent ──spawn gantry-shim──▶ shim (setsid; ignores TERM/INT/HUP/PIPE) ──vfork──▶ child ─exec▶
 *     ── socket: the launch ──▶      (or a fork of the agent, note 7)          (own group)
 *     ◀── socket: {pid} once dir/pid exists     waits; writes dir/exit; _exit(0)
 *
 * Design notes
 *  1. The record is the truth, not the process table: a rank has ended iff dir/exit exists
 *     (or it is "lost", note 5). Files are written in the order pid, exit, each with
 *     tmp + rename, so a reader never sees half a file and `exit` implies `pid`.
 *  2. The shim may be a fork of a possibly multi-threaded agent (note 7), and the child
 *     shares the shim's memory until it execs (clone(CLONE_VM|CLONE_VFORK), proc_shim.c): between
 *     fork and exec both make only async-signal-safe calls (no malloc, no stdio, no getenv).
 *     Paths, the PATH search buffer and the /bin/sh fallback argv are prepared by the agent
 *     before fork (struct launch). execvpe is not used: glibc's searches the agent's PATH,
 *     not the child's; exec_search() (proc_shim.c) reproduces execvp's rules on envp's PATH.
 *  3. Both the shim and the child call setpgid(child, child) so the group exists before the
 *     pid is reported: a signal sent right after spawn reaches the whole tree.
 *  4. The shim is the subreaper of the tree (PR_SET_CHILD_SUBREAPER): the job's orphans come
 *     to it and it reaps them as they end. When the child ends, the shim sees it with
 *     WNOWAIT (the zombie keeps the group id from being reused), SIGKILLs what is left of
 *     the group (a rank's stragglers would hold its GPUs), reaps the child and the group
 *     (waiting at most GROUP_WAIT_MS), then writes `exit`. Once `exit` is seen the group is
 *     gone and is never signalled again. Processes that left the group (setsid daemons)
 *     are not followed.
 *  5. Liveness after a restart: the shim's identity is (pid, start time from /proc) plus the
 *     boot id, all in the second line of dir/pid (an older agent's records: dir/shim). A record
 * from another boot is stale (nothing of it can be alive); a shim gone without `exit` with no
 * process left in the child's group (zombies do not count) is "lost" (SIGKILL). The shim is checked
 * before `exit` is read, so a shim that wrote `exit` and died in between is not mistaken for a lost
 * one.
 *  6. The shim closes every fd but its report pipe (it must not keep the agent's listening
 *     socket or journal open for the life of the job) and points 0..2 at /dev/null; the
 *     child opens its own stdio (the rank's log files) and closes everything above 2 but
 *     the close-on-exec pipe on which it tells the shim why it could not start.
 *  7. Two ways to start the shim, the same shim after that (sys_proc_shim_main). With
 *     spec->shim, the agent posix_spawns that executable (gantry-shim: clone(CLONE_VM|
 *     CLONE_VFORK) + exec, nothing of the agent is copied) with a clean environment and
 *     sends it the launch over a socket (proc_launch.c): no page table of the agent is
 *     copied, and no copy of it faults its pages in or tears them down when the shim
 *     ends, which was most of the CPU a rank's start cost. Without it, the agent forks and
 *     the fork runs the shim. */
#define _GNU_SOURCE
#include "sys/proc_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#define LOST_REASON "lost: the rank's supervisor died"
#define SHIM_ANSWER_S 30 /* the most an exec'd shim may take to read its launch and answer */

static const char *const step_names[STEP__COUNT] = {
    [STEP_FORK] = "fork", [STEP_PID] = "write pid record", [STEP_LAUNCH] = "read the launch"};

static int zombie(const struct pstat *ps) {
    return ps->state == 'Z' || ps->state == 'X';
}

/* ---- the agent's side: spawn ----------------------------------------------------------- */

/* mkdir -p dir (0700). Returns 1 when dir itself was just made (so it is empty), 0 when it
 * was there already, -1 with errno on error. The usual case, a new folder in one that
 * exists, is one mkdir. */
static int mkdir_p(const char *dir) {
    if (mkdir(dir, 0700) == 0)
        return 1;
    if (errno != ENOENT && errno != EEXIST)
        return -1;
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return errno = ENAMETOOLONG, -1;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        int made = mkdir(buf, 0700) == 0;
        if (!made && errno != EEXIST)
            return -1;
        buf[i] = c;
        if (made && i == n)
            return 1;
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
}

/* This boot's id ("" when unknown): read once, it does not change while we run. */
static char boot_id_buf[40];
static pthread_once_t boot_id_once = PTHREAD_ONCE_INIT;

static void read_boot_id_once(void) {
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char *b = boot_id_buf;
    ssize_t n = sys_proc_read_all(fd, b, sizeof boot_id_buf - 1);
    close(fd);
    n = n < 0 ? 0 : n;
    while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' '))
        n--;
    b[n] = 0;
}

static const char *this_boot(void) {
    pthread_once(&boot_id_once, read_boot_id_once);
    return boot_id_buf;
}

static gt_err check_spec(const gt_proc_spec *spec, gt_error *err) {
    if (!spec || !spec->dir || !spec->dir[0])
        return gt_fail(err, GT_E_INVALID, "proc", "a record directory is required");
    if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
        return gt_fail(err, GT_E_INVALID, spec->dir, "command: an empty argv");
    size_t ncg = 0;
    while (spec->cgroups && spec->cgroups[ncg])
        if (strlen(spec->cgroups[ncg++]) >= PATH_MAX)
            return gt_fail(err, GT_E_INVALID, spec->dir, "cgroup: path too long");
    if (ncg > PROC_MAX_CGROUPS)
        return gt_fail(err, GT_E_INVALID, spec->dir, "more than %d cgroups", PROC_MAX_CGROUPS);
    if (spec->set_ids && (spec->ngroups < 0 || (spec->ngroups > 0 && !spec->groups)))
        return gt_fail(err, GT_E_INVALID, spec->dir, "bad supplementary groups");
    if (strlen(spec->dir) + 16 >= PATH_MAX)
        return gt_fail(err, GT_E_INVALID, "proc", "record directory: path too long");
    int made = mkdir_p(spec->dir);
    if (made < 0)
        return gt_fail(err, GT_E_IO, spec->dir, "mkdir: %s", strerror(errno));
    if (made) /* a new, empty folder: no record in it */
        return GT_E_OK;
    char path[PATH_MAX];
    const char *const records[] = {GT_PROC_PID, GT_PROC_EXIT};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", spec->dir, records[i]);
        if (access(path, F_OK) == 0)
            return gt_fail(err, GT_E_EXISTS, spec->dir, "already holds a rank's record");
    }
    return GT_E_OK;
}

/* The shim's report; r->step = -1 when it died before sending one. */
static void read_ready(int rfd, struct ready *r) {
    ssize_t n = sys_proc_read_all(rfd, (char *)r, sizeof *r);
    if (n != (ssize_t)sizeof *r) {
        r->step = -1;
        r->err = n < 0 ? errno : EPIPE;
    }
}

/* After the shim is started: its report on fd, then the shim is reaped on failure. */
static gt_err shim_ready(pid_t shim, int fd, const char *dir, gt_proc *out, gt_error *err) {
    struct ready r;
    read_ready(fd, &r);
    close(fd);
    if (r.step != 0) {
        if (r.step < 0) /* no answer: dead, or not a shim at all */
            kill(shim, SIGKILL);
        while (waitpid(shim, NULL, 0) < 0 && errno == EINTR)
            ;
        const char *step =
            r.step > 0 && r.step < STEP__COUNT ? step_names[r.step] : "supervisor died";
        return gt_fail(err, GT_E_IO, dir, "spawn: %s: %s", step, strerror(r.err));
    }
    out->pid = r.pid;
    out->shim = shim;
    out->shim_ours = 1;
    return GT_E_OK;
}

static gt_err fork_shim(const struct launch *l, const char *dir, gt_proc *out, gt_error *err) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return gt_fail(err, GT_E_IO, dir, "pipe: %s", strerror(errno));
    pid_t shim = fork();
    if (shim < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return gt_fail(err, GT_E_IO, dir, "fork: %s", strerror(e));
    }
    if (shim == 0) {
        close(fds[0]);
        sys_proc_shim_main(l, fds[1]);
    }
    close(fds[1]);
    return shim_ready(shim, fds[0], dir, out, err);
}

static int send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* posix_spawn spec->shim with one end of a socket pair as its fd PROC_SHIM_FD, then send it
 * the launch (note 7). */
static gt_err exec_shim(const gt_proc_spec *spec, const char *boot_id, gt_proc *out,
                        gt_error *err) {
    size_t len;
    char *msg = sys_proc_launch_encode(spec, boot_id, &len);
    int sv[2];
    if (!msg)
        return gt_fail(err, GT_E_NOMEM, spec->dir, "spawn: out of memory");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        free(msg);
        return gt_fail(err, GT_E_IO, spec->dir, "socketpair: %s", strerror(errno));
    }
    if (sv[1] == PROC_SHIM_FD) { /* dup2 onto itself would keep its close-on-exec flag */
        int high = fcntl(sv[1], F_DUPFD_CLOEXEC, PROC_SHIM_FD + 1);
        close(sv[1]);
        sv[1] = high;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    sigemptyset(&none);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int rc = sv[1] < 0 ? errno : posix_spawn_file_actions_adddup2(&fa, sv[1], PROC_SHIM_FD);
    char *const argv[] = {"gantry-shim", (char *)spec->dir, NULL};
    char *const envp[] = {NULL};
    pid_t shim = -1;
    if (rc == 0)
        rc = posix_spawn(&shim, spec->shim, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (sv[1] >= 0)
        close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        free(msg);
        return gt_fail(err, GT_E_IO, spec->dir, "spawn %s: %s", spec->shim, strerror(rc));
    }
    /* A program that is not a gantry-shim may neither read nor answer: give up then. */
    struct timeval tv = {SHIM_ANSWER_S, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send_all(sv[0], msg, len); /* a shim that died says so in shim_ready */
    free(msg);
    return shim_ready(shim, sv[0], spec->dir, out, err);
}

static void proc_init(gt_proc *p) {
    memset(p, 0, sizeof *p);
    p->kill_at = GT_TIME_NEVER;
}

gt_err gt_proc_spawn(const gt_proc_spec *spec, gt_proc *out, gt_error *err) {
    proc_init(out);
    gt_err rc = check_spec(spec, err);
    if (rc != GT_E_OK)
        return rc;
    const char *boot_id = this_boot();
    char *dir = strdup(spec->dir);
    if (!dir)
        return gt_fail(err, GT_E_NOMEM, spec->dir, "spawn: out of memory");
    if (spec->shim) {
        rc = exec_shim(spec, boot_id, out, err);
    } else {
        struct launch *l = sys_proc_launch_new(spec, boot_id);
        rc = l ? fork_shim(l, spec->dir, out, err)
               : gt_fail(err, GT_E_NOMEM, spec->dir, "spawn: out of memory");
        sys_proc_launch_free(l);
    }
    if (rc != GT_E_OK) {
        free(dir);
        proc_init(out);
        return rc;
    }
    out->dir = dir;
    return GT_E_OK;
}

/* ---- reading a record ------------------------------------------------------------------ */

/* dir/name into buf as a NUL-terminated string (trailing newline dropped). Returns its
 * length, or -1 with errno (ENOENT: no such file). */
static ssize_t read_record(const char *dir, const char *name, char *buf, size_t cap) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return errno = ENAMETOOLONG, -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = sys_proc_read_all(fd, buf, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return errno = e, -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = 0;
    return n;
}

static void set_end(gt_proc *p, int code, int sig, const char *reason) {
    p->ended = 1;
    p->st.exit_code = code;
    p->st.signal = sig;
    snprintf(p->st.reason, sizeof p->st.reason, "%s", reason);
}

/* 1 when dir/exit was read (the end is set), 0 when there is none yet. An unreadable
 * record ends the rank as lost. */
static int read_exit(gt_proc *p) {
    char buf[64], reason[sizeof p->st.reason];
    int code, sig, used = 0;
    if (read_record(p->dir, GT_PROC_EXIT, buf, sizeof buf) < 0) {
        if (errno == ENOENT)
            return 0;
        set_end(p, 0, SIGKILL, "lost: the exit record cannot be read");
        return 1;
    }
    if (sscanf(buf, "%d %d%n", &code, &sig, &used) != 2 || buf[used] || code < 0 || sig < 0 ||
        code > 255 || sig >= 128) {
        set_end(p, 0, SIGKILL, "lost: the exit record is malformed");
        return 1;
    }
    if (read_record(p->dir, GT_PROC_REASON, reason, sizeof reason) < 0)
        reason[0] = 0;
    set_end(p, code, sig, reason);
    return 1;
}

static int parse_pid(const char *s, pid_t *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || (*end && *end != ' ') || v <= 0 || v > INT32_MAX)
        return -1;
    *out = (pid_t)v;
    return 0;
}

/* The shim's line of the pid record: "PID START BOOTID" (NULL: none, read dir/shim). A
 * missing or odd line leaves the shim unknown. */
static void read_shim(gt_proc *p, const char *line) {
    char buf[128], boot[40];
    const char *now = this_boot();
    unsigned long long start;
    int pid;
    if (!line) /* a record of an older agent: the shim's line in its own file */
        line = read_record(p->dir, "shim", buf, sizeof buf) < 0 ? "" : buf;
    if (sscanf(line, "%d %llu %39s", &pid, &start, boot) != 3 || pid <= 0)
        return;
    if (now[0] && strcmp(boot, "-") != 0 && strcmp(boot, now) != 0) {
        p->stale = 1; /* another boot: its processes are all gone */
        return;
    }
    p->shim = pid;
    p->shim_start = start;
}

gt_err gt_proc_adopt(const char *dir, gt_proc *out, gt_error *err) {
    proc_init(out);
    char buf[192];
    if (!dir || !dir[0])
        return gt_fail(err, GT_E_INVALID, "proc", "a record directory is required");
    if (read_record(dir, GT_PROC_PID, buf, sizeof buf) < 0) {
        if (errno == ENOENT)
            return gt_fail(err, GT_E_NOT_FOUND, dir, "no pid record: the rank never started");
        return gt_fail(err, GT_E_IO, dir, "pid record: %s", strerror(errno));
    }
    char *shim_line = strchr(buf, '\n');
    if (shim_line)
        *shim_line++ = 0;
    if (parse_pid(buf, &out->pid) != 0)
        return gt_fail(err, GT_E_PARSE, dir, "pid record: not a pid: \"%.40s\"", buf);
    if (!(out->dir = strdup(dir))) {
        proc_init(out);
        return gt_fail(err, GT_E_NOMEM, dir, "adopt: out of memory");
    }
    read_shim(out, shim_line);
    if (!read_exit(out) && out->stale)
        set_end(out, 0, SIGKILL, LOST_REASON);
    return GT_E_OK;
}

/* ---- liveness -------------------------------------------------------------------------- */

static int read_pid_stat(pid_t pid, struct pstat *ps) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return sys_proc_read_pstat(path, ps);
}

static int have_procfs(void) {
    return access("/proc/self/stat", F_OK) == 0;
}

/* 1 when pid is a live (not zombie) process whose start time is `start` (0: any). */
static int proc_alive(pid_t pid, unsigned long long start) {
    struct pstat ps;
    if (read_pid_stat(pid, &ps) != 0)
        return have_procfs() ? 0 : kill(pid, 0) == 0 || errno == EPERM;
    return !zombie(&ps) && (start == 0 || ps.start == start);
}

/* pid is the process whose start time is `start` (known), dead or alive: safe to reap. */
static int same_process(pid_t pid, unsigned long long start) {
    struct pstat ps;
    return start != 0 && read_pid_stat(pid, &ps) == 0 && ps.start == start;
}

/* 1 while the shim lives. Reaps it when it is our child (also an adopted one: another
 * gt_proc of this process forked it). Once it is dead, p->shim = 0. */
static int shim_check(gt_proc *p) {
    if (p->shim <= 0)
        return 0;
    if (p->shim_ours || same_process(p->shim, p->shim_start)) {
        pid_t r = waitpid(p->shim, NULL, WNOHANG);
        if (r == p->shim) {
            p->shim = 0;
            p->shim_ours = 0;
            return 0;
        }
        if (r == 0)
            return 1;
        p->shim_ours = 0; /* ECHILD: not ours, or SIGCHLD is ignored */
    }
    if (!proc_alive(p->shim, p->shim_start)) {
        p->shim = 0;
        return 0;
    }
    return 1;
}

/* 1 while the group has a process that is not a zombie. kill(-pgid, 0) alone is not
 * enough: an orphan whose supervisor died may stay a zombie for good where init does not
 * reap (some containers). Scans /proc, but only for ranks whose shim is gone. */
static int group_alive(pid_t pgid) {
    struct pstat ps;
    if (pgid <= 0 || (kill(-pgid, 0) != 0 && errno == ESRCH))
        return 0;
    if (!have_procfs())
        return 1;
    if (read_pid_stat(pgid, &ps) == 0 && ps.pgrp == (unsigned long long)pgid && !zombie(&ps))
        return 1; /* the leader itself */
    DIR *d = opendir("/proc");
    if (!d)
        return 1;
    int alive = 0;
    for (struct dirent *e; !alive && (e = readdir(d));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        alive = *end == 0 && pid > 0 && read_pid_stat((pid_t)pid, &ps) == 0 &&
                ps.pgrp == (unsigned long long)pgid && !zombie(&ps);
    }
    closedir(d);
    return alive;
}

int gt_proc_poll(gt_proc *p, gt_proc_status *st) {
    int shim_alive = shim_check(p); /* before reading exit: note 5 */
    if (!p->ended && !read_exit(p) && (p->stale || (!shim_alive && !group_alive(p->pid))))
        set_end(p, 0, SIGKILL, LOST_REASON);
    if (p->ended && st)
        *st = p->st;
    return p->ended;
}

/* ---- signals and stop ------------------------------------------------------------------ */

int gt_proc_signal(gt_proc *p, int sig) {
    if (p->ended || p->stale || p->pid <= 0)
        return 0; /* the group is gone; its id may belong to someone else now */
    if (kill(-p->pid, sig) != 0 && errno != ESRCH)
        return -1;
    return 0;
}

void gt_proc_stop(gt_proc *p, gt_time grace_ms, gt_time now_ms) {
    if (p->ended || p->stopping)
        return;
    p->stopping = 1;
    if (grace_ms <= 0) {
        gt_proc_signal(p, SIGKILL);
        p->killed = 1;
        return;
    }
    gt_proc_signal(p, SIGTERM);
    gt_proc_signal(p, SIGCONT);
    p->kill_at = now_ms + grace_ms;
}

gt_time gt_proc_tick(gt_proc *p, gt_time now_ms) {
    if (!p->stopping || p->killed || p->ended)
        return GT_TIME_NEVER;
    if (now_ms < p->kill_at)
        return p->kill_at;
    gt_proc_signal(p, SIGKILL);
    p->killed = 1;
    p->kill_at = GT_TIME_NEVER;
    return GT_TIME_NEVER;
}

/* ---- cleanup --------------------------------------------------------------------------- */

void gt_proc_free(gt_proc *p) {
    if (!p)
        return;
    /* A shim that wrote `exit` is about to _exit: give it a moment to be reaped. */
    for (int i = 0; p->ended && p->shim_ours && p->shim > 0 && i < 50; i++) {
        pid_t r = waitpid(p->shim, NULL, WNOHANG);
        if (r != 0)
            break;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    free(p->dir);
    proc_init(p);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : errno;
}

gt_err gt_proc_forget(const char *dir, gt_error *err) {
    if (!dir || !dir[0])
        return gt_fail(err, GT_E_INVALID, "proc", "a record directory is required");
    int rc = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == 0 || (rc < 0 && errno == ENOENT))
        return GT_E_OK;
    return gt_fail(err, GT_E_IO, dir, "remove: %s", strerror(rc > 0 ? rc : errno));
}

const gt_proc_ops gt_proc_real = {gt_proc_spawn, gt_proc_adopt, gt_proc_poll,
                                  gt_proc_stop,  gt_proc_tick,  gt_proc_free};
