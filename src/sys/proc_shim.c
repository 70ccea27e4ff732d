/* SPDX-License-Identifier: MIT
 * A rank's supervisor ("shim") and the child it execs (proc.c's notes 2-4, 6, 7): run by
 * gantry-shim, or by a fork of the agent. Only async-signal-safe calls from here on: in the
 * second case the agent that forked may have threads. */
#define _GNU_SOURCE
#include "sys/proc_int.h"
#include "sys/readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#define GROUP_WAIT_MS 10000 /* the most the shim waits for a killed group to be gone */

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_CLOSE_RANGE 1
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define errdesc strerrordesc_np /* a constant string: safe after fork */
#else
#define errdesc strerror
#endif

const char *const sys_proc_file_names[F__COUNT] = {GT_PROC_PID,   ".pid.tmp",     GT_PROC_EXIT,
                                                   ".exit.tmp",   GT_PROC_STDOUT, GT_PROC_STDERR,
                                                   GT_PROC_REASON};

/* ---- async-signal-safe helpers (used between fork and exec) ------------------------------ */

static size_t fmt_ull(char *out, unsigned long long v) {
    char tmp[24];
    size_t n = 0, i = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        out[i++] = tmp[--n];
    return i;
}

static size_t put_str(char *out, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap)
        out[at++] = *s++;
    return at;
}

ssize_t sys_proc_read_all(int fd, char *buf, size_t cap) {
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int parse_stat(const char *buf, size_t n, struct pstat *ps) {
    size_t i = n;
    while (i > 0 && buf[i - 1] != ')') /* the command name may hold spaces and ')' */
        i--;
    if (i == 0 || i + 2 >= n)
        return -1;
    i++; /* past ") ": field 3 */
    ps->state = buf[i];
    ps->pgrp = ps->start = 0;
    for (int field = 3; field <= 22 && i < n; field++) {
        unsigned long long v = 0;
        for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
            v = v * 10 + (unsigned)(buf[i] - '0');
        if (field == 5)
            ps->pgrp = v;
        if (field == 22) {
            ps->start = v;
            return 0;
        }
        while (i < n && buf[i] != ' ')
            i++;
        while (i < n && buf[i] == ' ')
            i++;
    }
    return -1;
}

int sys_proc_read_pstat(const char *path, struct pstat *ps) {
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = sys_proc_read_all(fd, buf, sizeof buf);
    close(fd);
    return n > 0 ? parse_stat(buf, (size_t)n, ps) : -1;
}

static void close_from(int lo, int max_fd) {
#ifdef HAVE_CLOSE_RANGE
    if (close_range((unsigned)lo, ~0U, 0) == 0)
        return;
#endif
    for (int fd = lo; fd < max_fd; fd++)
        close(fd);
}

/* Close every fd but 0..2 and keep (-1: none). */
static void keep_only(int keep, int max_fd) {
    for (int fd = 3; fd < keep; fd++) /* usually none: keep is a low fd */
        close(fd);
    close_from(keep < 3 ? 3 : keep + 1, max_fd);
}

/* Every signal to its default action, none blocked. The C library's reserved signals
 * (glibc's 32 and 33) are refused by sigaction(); they are set with the system call
 * itself, because glibc's posix_spawn leaves them ignored in the program it starts (the
 * exec'd shim) and ignored signals stay ignored across exec, into the job. */
static void reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, &sa, NULL) == 0 || errno != EINVAL)
            continue;
#if defined(__linux__) && defined(SYS_rt_sigaction)
        /* SIG_DFL, no flags, an empty mask: all zero in every architecture's layout of
         * the kernel's sigaction (handler, flags, restorer, then a mask of _NSIG bits) */
        unsigned long dfl[3 + (_NSIG / 8 + sizeof(long) - 1) / sizeof(long)] = {0};
        syscall(SYS_rt_sigaction, s, dfl, NULL, (size_t)(_NSIG / 8));
#endif
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- the child ------------------------------------------------------------------------- */

/* The write end of the pipe on which the child tells the shim why it could not start
 * (close-on-exec: the shim reads EOF once the command runs). Set by the shim before it
 * starts the child; the shim's own copy is closed once the child has it. */
static int fail_fd = -1;

/* Tell the shim why the child could not start ("WHAT ARG: error") and exit with code. The
 * shim writes it to `reason`: the child may have dropped to an identity that cannot. */
static _Noreturn void child_fail(const struct launch *l, int redirected, const char *what,
                                 const char *arg, int e, int code) {
    char line[512];
    size_t n = put_str(line, 0, sizeof line, what);
    n = put_str(line, n, sizeof line, arg);
    n = put_str(line, n, sizeof line, ": ");
    n = put_str(line, n, sizeof line, errdesc(e) ? errdesc(e) : "unknown error");
    line[n++] = '\n';
    int fd = fail_fd >= 0 ? fail_fd
                          : open(l->path[F_REASON], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        gt_write_all(fd, line, n);
        close(fd);
    }
    if (redirected) { /* also into the rank's stderr log */
        gt_write_all(2, "gantry: ", 8);
        gt_write_all(2, line, n);
    }
    _exit(code);
}

/* An fd of path that is not 0, 1 or 2, so that the dup2s below cannot clobber each other. */
static int open_high(const char *path, int flags, mode_t mode) {
    int fd = open(path, flags | O_CLOEXEC, mode);
    if (fd >= 0 && fd < 3) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = high;
    }
    return fd;
}

static void redirect(const struct launch *l) {
    int in = open_high("/dev/null", O_RDONLY, 0);
    if (in < 0)
        child_fail(l, 0, "stdin ", "/dev/null", errno, 127);
    int out = open_high(l->path[F_STDOUT], O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out < 0)
        child_fail(l, 0, "stdout ", l->path[F_STDOUT], errno, 127);
    int err = open_high(l->path[F_STDERR], O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (err < 0)
        child_fail(l, 0, "stderr ", l->path[F_STDERR], errno, 127);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        child_fail(l, 0, "redirect ", "stdio", errno, 127);
    keep_only(fail_fd, l->max_fd);
}

/* The job's own stdout / stderr files, opened with its identity (after child_enter) so
 * that it writes only where its user may. */
static void redirect_files(const struct launch *l) {
    const char *files[2] = {l->out_file, l->err_file};
    const char *what[2] = {"stdout ", "stderr "};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        int fd = open_high(files[i], O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            child_fail(l, 1, what[i], files[i], errno, 127);
        if (dup2(fd, i + 1) < 0)
            child_fail(l, 1, "redirect ", files[i], errno, 127);
        close(fd);
    }
}

static void exec_sh(const struct launch *l, const char *file) {
    l->sh_argv[1] = file;
    execve("/bin/sh", (char *const *)l->sh_argv, l->envp);
}

/* execvp's rules on l->search: returns the errno to report. */
static int exec_search(const struct launch *l) {
    const char *name = l->argv[0];
    char *const *argv = (char *const *)l->argv;
    if (strchr(name, '/')) {
        execve(name, argv, l->envp);
        if (errno == ENOEXEC)
            exec_sh(l, name);
        return errno;
    }
    size_t nlen = strlen(name);
    int eacces = 0;
    for (const char *s = l->search, *end;; s = end + 1) {
        end = strchr(s, ':');
        size_t dlen = end ? (size_t)(end - s) : strlen(s);
        memcpy(l->cand, s, dlen); /* an empty entry is the working directory */
        size_t at = dlen;
        if (dlen > 0)
            l->cand[at++] = '/';
        memcpy(l->cand + at, name, nlen + 1);
        execve(l->cand, argv, l->envp);
        int e = errno;
        if (e == ENOEXEC) {
            exec_sh(l, l->cand);
            return errno;
        }
        if (e == EACCES)
            eacces = 1;
        else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT)
            return e;
        if (!end)
            break;
    }
    return eacces ? EACCES : ENOENT;
}

/* Join the rank's cgroups, then drop to the job's identity. */
static void child_enter(const struct launch *l) {
    for (int i = 0; i < l->ncgroups; i++) {
        int fd = open(l->cgroup[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || gt_write_all(fd, "0", 1) != 0)
            child_fail(l, 1, "join cgroup ", l->cgroup[i], errno, 127);
        close(fd);
    }
    if (!l->set_ids)
        return;
    if (setgroups((size_t)l->ngroups, l->groups) != 0)
        child_fail(l, 1, "setgroups ", "", errno, 127);
    if (setgid(l->gid) != 0)
        child_fail(l, 1, "setgid ", "", errno, 127);
    if (setuid(l->uid) != 0)
        child_fail(l, 1, "setuid ", "", errno, 127);
}

static _Noreturn void child_main(const struct launch *l) {
    setpgid(0, 0);
    reset_signals();
    redirect(l);
    child_enter(l);
    if (l->workdir && chdir(l->workdir) != 0)
        child_fail(l, 1, "workdir ", l->workdir, errno, 127);
    redirect_files(l);
    int e = exec_search(l);
    child_fail(l, 1, "exec ", l->argv[0], e, e == EACCES ? 126 : 127);
}

/* ---- the shim -------------------------------------------------------------------------- */

static void shim_signals(void) {
    reset_signals();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    const int ignored[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &sa, NULL);
}

/* "CHILD\nSHIM START BOOTID\n" (proc.h). */
static int write_pid_record(const struct launch *l, pid_t pid) {
    char buf[160];
    size_t n = fmt_ull(buf, (unsigned long long)pid);
    buf[n++] = '\n';
    n += fmt_ull(buf + n, (unsigned long long)getpid());
    buf[n++] = ' ';
    struct pstat self;
    n += fmt_ull(buf + n, sys_proc_read_pstat("/proc/self/stat", &self) == 0 ? self.start : 0);
    buf[n++] = ' ';
    n = put_str(buf, n, sizeof buf - 1, l->boot_id[0] ? l->boot_id : "-");
    buf[n++] = '\n';
    return gt_file_write_atomic(l->path[F_PID_TMP], l->path[F_PID], buf, n);
}

/* After the child is started: what it said on the failure pipe (nothing once its command
 * runs: the pipe closes on exec) goes to `reason`. */
static void collect_reason(const struct launch *l, int rfd) {
    char line[512];
    ssize_t n = sys_proc_read_all(rfd, line, sizeof line);
    close(rfd);
    if (n <= 0)
        return;
    int fd = open(l->path[F_REASON], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        gt_write_all(fd, line, (size_t)n);
        close(fd);
    }
}

/* Wait until the child has ended, leaving it unreaped; meanwhile reap the orphans of its
 * tree that come to the shim (it is their subreaper). */
static void wait_main(pid_t child) {
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) != 0) {
            if (errno == EINTR)
                continue;
            return; /* ECHILD: cannot happen while the child is unreaped */
        }
        if (si.si_pid == child)
            return;
        waitpid(si.si_pid, NULL, 0);
    }
}

/* End the child's group (note 4) and return the child's wait status once the group is
 * empty, or after GROUP_WAIT_MS (a process stuck in the kernel cannot be waited for). */
static int end_child(pid_t child) {
    wait_main(child);
    kill(-child, SIGKILL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    for (int ms = 0; ms < GROUP_WAIT_MS; ms += 10) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (kill(-child, 0) != 0 && errno == ESRCH)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    }
    return status;
}

static int write_exit_record(const struct launch *l, int status) {
    char buf[64];
    unsigned code = WIFEXITED(status) ? (unsigned)WEXITSTATUS(status) : 0;
    unsigned sig = WIFSIGNALED(status) ? (unsigned)WTERMSIG(status) : 0;
    size_t n = fmt_ull(buf, code);
    buf[n++] = ' ';
    n += fmt_ull(buf + n, sig);
    buf[n++] = '\n';
    return gt_file_write_atomic(l->path[F_EXIT_TMP], l->path[F_EXIT], buf, n);
}

#define CHILD_STACK (256 * 1024)

static int child_entry(void *arg) {
    child_main(arg);
}

/* Start the child with every signal blocked until it has reset the shim's dispositions: a
 * SIGTERM sent meanwhile stays pending (blocked signals are never discarded) instead of
 * being lost to the shim's SIG_IGN.
 *
 * The child shares the shim's memory until it execs (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does; the shim waits meanwhile): where the shim is a fork of the agent,
 * copying its page tables a second time, only for exec to throw them away, was most of
 * the CPU a rank's start costs. The child only makes async-signal-safe calls and writes
 * nothing the shim reads. Plain fork() when the stack cannot be mapped. */
static pid_t fork_child(const struct launch *l) {
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t child;
#ifdef __linux__
    char *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack != MAP_FAILED) {
        child =
            clone(child_entry, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)l);
        int e = errno;
        munmap(stack, CHILD_STACK);
        errno = e;
    } else
#endif
    {
        child = fork();
        if (child == 0)
            child_main(l);
    }
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return child;
}

_Noreturn void sys_proc_shim_main(const struct launch *l, int wfd) {
    setsid();
#ifdef __linux__
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); /* the tree's orphans come to us */
#endif
    shim_signals();
    keep_only(wfd, l->max_fd);
    /* Let go of the agent's stdio: a pipe reading the agent's output must not stay open
     * as long as ranks run. The child sets up its own. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    struct ready r = {0, STEP_OK, 0};
    int fail[2] = {-1, -1};
    if (pipe2(fail, O_CLOEXEC) == 0)
        fail_fd = fail[1]; /* else the child writes `reason` itself, where it still can */
    pid_t child = fork_child(l);
    r.err = child < 0 ? errno : 0;
    if (fail_fd >= 0)
        close(fail_fd);
    fail_fd = -1;
    if (child < 0) {
        r.step = STEP_FORK;
        if (fail[0] >= 0)
            close(fail[0]);
    } else {
        setpgid(child, child); /* EACCES once the child has exec'd: it did it itself */
        if (fail[0] >= 0)
            collect_reason(l, fail[0]);
        if (write_pid_record(l, child) != 0) {
            r.step = STEP_PID;
            r.err = errno;
            kill(child, SIGKILL); /* nobody could stop a rank without a pid record */
            end_child(child);
        }
    }
    r.pid = r.step ? 0 : child;
    gt_write_all(wfd, &r, sizeof r); /* the agent may be gone: SIGPIPE is ignored */
    close(wfd);
    if (r.step)
        _exit(1);
    _exit(write_exit_record(l, end_child(child)) == 0 ? 0 : 1);
}
