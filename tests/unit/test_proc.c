/* SPDX-License-Identifier: MIT
 * sys/proc: ranks run as real processes under a shim. Exit codes, signals, logs, start
 * failures, environment and working directory, fd and signal hygiene, stop with a grace
 * period, the whole tree ending, adoption of a record by a second handle, lost ranks. All
 * of it twice: with the exec'd gantry-shim, and with a fork of this process as the shim.
 * Then what only the exec'd shim does: a clean environment, nothing of the job's in its
 * command line, and a clear refusal of a bad launch or of being run by hand. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/proc.h"
#include "sys/proc_int.h"

static const char *const base_env[] = {"PATH=/usr/bin:/bin", NULL};

/* The shim of the group of tests being run: GANTRY_SHIM (the build's gantry-shim) or NULL
 * (a fork of this process). */
static const char *shim_path;

static gt_time now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gt_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL);
}

/* A fresh temporary directory per test: *state. */
static int setup(void **state) {
    char *dir = malloc(PATH_MAX);
    snprintf(dir, PATH_MAX, "%s/gt_proc_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int teardown(void **state) {
    gt_error err;
    int rc = gt_proc_forget(*state, &err) == GT_E_OK ? 0 : -1;
    struct stat st;
    if (stat(*state, &st) == 0)
        rc = -1; /* forget must remove it */
    free(*state);
    return rc;
}

/* "<tmp>/<sub>" */
static const char *sub(void **state, const char *name) {
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", (char *)*state, name);
    return path;
}

static void spawn_ok(void **state, const char *rec, const char *const *argv,
                     const char *const *envp, const char *workdir, gt_proc *p) {
    gt_error err;
    gt_proc_spec spec = {.argv = argv,
                         .envp = envp ? envp : base_env,
                         .workdir = workdir,
                         .dir = sub(state, rec),
                         .shim = shim_path};
    if (gt_proc_spawn(&spec, p, &err) != GT_E_OK)
        fail_msg("spawn: %s: %s", err.where, err.msg);
    assert_true(p->pid > 0);
}

static void spawn_sh(void **state, const char *rec, const char *script, gt_proc *p) {
    const char *argv[] = {"sh", "-c", script, NULL};
    spawn_ok(state, rec, argv, NULL, NULL, p);
}

/* Poll until the rank ends; fails the test after timeout_ms. */
static void wait_end(gt_proc *p, gt_proc_status *st, int timeout_ms) {
    gt_time end = now_ms() + timeout_ms;
    while (!gt_proc_poll(p, st)) {
        if (now_ms() > end)
            fail_msg("rank %d did not end within %d ms", (int)p->pid, timeout_ms);
        sleep_ms(5);
    }
}

/* dir/name's contents (static buffer), "" when missing. */
static const char *slurp(const char *dir, const char *name) {
    static char buf[4096];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

/* Wait until the rank's stdout contains "ready" (its traps are set). */
static void wait_ready(gt_proc *p) {
    gt_time end = now_ms() + 2000;
    while (!strstr(slurp(p->dir, GT_PROC_STDOUT), "ready")) {
        if (now_ms() > end)
            fail_msg("rank %d never said ready", (int)p->pid);
        sleep_ms(5);
    }
}

static int group_gone(pid_t pgid, int timeout_ms) {
    gt_time end = now_ms() + timeout_ms;
    while (!(kill(-pgid, 0) == -1 && errno == ESRCH)) {
        if (now_ms() > end)
            return 0;
        sleep_ms(5);
    }
    return 1;
}

/* ---- how ranks end --------------------------------------------------------------------- */

static void test_exit_code_and_logs(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "echo out; echo err >&2; exit 3", &p);
    char pid[32];
    snprintf(pid, sizeof pid, "%d\n%d ", (int)p.pid, (int)p.shim);
    const char *rec = slurp(p.dir, GT_PROC_PID); /* there when spawn returns */
    if (strncmp(rec, pid, strlen(pid)))
        fail_msg("pid record \"%s\" does not start with \"%s\"", rec, pid);
    assert_int_equal(access(sub(state, "r/shim"), F_OK), -1);   /* all of it in `pid` */
    assert_int_equal(access(sub(state, "r/reason"), F_OK), -1); /* only on failure */
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 3);
    assert_int_equal(st.signal, 0);
    assert_string_equal(st.reason, "");
    assert_string_equal(slurp(p.dir, GT_PROC_STDOUT), "out\n");
    assert_string_equal(slurp(p.dir, GT_PROC_STDERR), "err\n");
    assert_string_equal(slurp(p.dir, GT_PROC_EXIT), "3 0\n");
    assert_int_equal(gt_proc_poll(&p, &st), 1); /* stays ended */
    assert_int_equal(st.exit_code, 3);
    gt_proc_free(&p);
    gt_proc_free(NULL);
}

static void test_killed_by_signal(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "kill -9 $$", &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.signal, 9);
    assert_int_equal(st.exit_code, 0);
    gt_proc_free(&p);
    /* a signal sent as soon as spawn returns reaches the rank's group */
    spawn_sh(state, "r2", "sleep 30", &p);
    assert_int_equal(gt_proc_signal(&p, SIGUSR1), 0);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.signal, SIGUSR1);
    assert_int_equal(gt_proc_signal(&p, SIGUSR1), 0); /* ended: a no-op */
    gt_proc_free(&p);
}

static void test_missing_command(void **state) {
    gt_proc p;
    gt_proc_status st;
    const char *argv[] = {"gantry-no-such-cmd", "x", NULL};
    spawn_ok(state, "r", argv, NULL, NULL, &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 127);
    assert_int_equal(st.signal, 0);
    assert_string_equal(st.reason, "exec gantry-no-such-cmd: No such file or directory");
    assert_non_null(strstr(slurp(p.dir, GT_PROC_STDERR), "gantry-no-such-cmd"));
    gt_proc_free(&p);
}

static void test_bad_workdir(void **state) {
    gt_proc p;
    gt_proc_status st;
    const char *argv[] = {"true", NULL};
    spawn_ok(state, "r", argv, NULL, "/nonexistent/gantry-wd", &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 127);
    assert_string_equal(st.reason, "workdir /nonexistent/gantry-wd: No such file or directory");
    gt_proc_free(&p);
}

static void test_not_executable(void **state) {
    gt_proc p;
    gt_proc_status st;
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s", sub(state, "noexec"));
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    fclose(f);
    chmod(file, 0600);
    const char *argv[] = {file, NULL};
    spawn_ok(state, "r", argv, NULL, NULL, &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 126);
    assert_non_null(strstr(st.reason, "Permission denied"));
    gt_proc_free(&p);
    /* found on PATH but not executable: 126 too, even when later entries lack it */
    char path_env[PATH_MAX + 32];
    snprintf(path_env, sizeof path_env, "PATH=%s:/usr/bin:/bin", (char *)*state);
    const char *env[] = {path_env, NULL};
    const char *by_name[] = {"noexec", NULL};
    spawn_ok(state, "r2", by_name, env, NULL, &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 126);
    assert_string_equal(st.reason, "exec noexec: Permission denied");
    gt_proc_free(&p);
}

static void test_script_without_shebang(void **state) {
    gt_proc p;
    gt_proc_status st;
    char bin[PATH_MAX], path_env[PATH_MAX + 64];
    snprintf(bin, sizeof bin, "%s", sub(state, "bin"));
    mkdir(bin, 0700);
    char file[PATH_MAX + 16];
    snprintf(file, sizeof file, "%s/myscript", bin);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("echo from-script \"$1\"\nexit 4\n", f); /* ENOEXEC: run by /bin/sh */
    fclose(f);
    chmod(file, 0700);
    snprintf(path_env, sizeof path_env, "PATH=/nonexistent:%s:/usr/bin:/bin", bin);
    const char *env[] = {path_env, NULL};
    const char *argv[] = {"myscript", "arg1", NULL};
    spawn_ok(state, "r", argv, env, NULL, &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 4);
    assert_string_equal(slurp(p.dir, GT_PROC_STDOUT), "from-script arg1\n");
    gt_proc_free(&p);
}

static void test_env_and_workdir(void **state) {
    gt_proc p;
    gt_proc_status st;
    char wd[PATH_MAX], real[PATH_MAX], want[2 * PATH_MAX];
    snprintf(wd, sizeof wd, "%s", sub(state, "wd"));
    assert_int_equal(mkdir(wd, 0700), 0);
    assert_non_null(realpath(wd, real));
    const char *env[] = {"FOO=bar-42", "PATH=/usr/bin:/bin", NULL};
    const char *argv[] = {"sh", "-c", "echo $FOO; pwd; echo \"${HOME-unset}\"", NULL};
    spawn_ok(state, "r", argv, env, wd, &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 0);
    snprintf(want, sizeof want, "bar-42\n%s\nunset\n", real); /* only envp is seen */
    assert_string_equal(slurp(p.dir, GT_PROC_STDOUT), want);
    gt_proc_free(&p);
}

/* ---- hygiene --------------------------------------------------------------------------- */

static void test_fds_and_signals_not_inherited(void **state) {
    gt_proc p;
    gt_proc_status st;
    int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 100), 100);
    close(fd);
    sigset_t blk, old;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, &old);
    struct sigaction ign = {.sa_handler = SIG_IGN}, prev;
    sigaction(SIGUSR2, &ign, &prev);
    spawn_sh(state, "r",
             "[ -e /proc/$$/fd/100 ] && echo leaked || echo clean; "
             "exec grep -E '^Sig(Blk|Ign)' /proc/self/status",
             &p);
    char shim_fd[64];
    snprintf(shim_fd, sizeof shim_fd, "/proc/%d/fd/100", (int)p.shim);
    int shim_has = access(shim_fd, F_OK) == 0;
    pid_t shim = p.shim, shim_sid = getsid(shim);
    sigaction(SIGUSR2, &prev, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(100);
    wait_end(&p, &st, 2000);
    assert_false(shim_has);           /* the shim keeps none of the agent's fds */
    assert_int_equal(shim_sid, shim); /* its own session */
    assert_string_equal(slurp(p.dir, GT_PROC_STDOUT),
                        "clean\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    gt_proc_free(&p);
}

/* ---- stop ------------------------------------------------------------------------------ */

/* Drive stop: poll, tick, sleep. Returns the ms it took to end. */
static gt_time drive_stop(gt_proc *p, gt_time grace, gt_proc_status *st) {
    gt_time start = now_ms();
    gt_proc_stop(p, grace, start);
    while (!gt_proc_poll(p, st)) {
        gt_time now = now_ms();
        if (now - start > 3000)
            fail_msg("rank %d did not stop", (int)p->pid);
        gt_time next = gt_proc_tick(p, now);
        assert_true(next == GT_TIME_NEVER || (next > now && next <= start + grace));
        sleep_ms(5);
    }
    return now_ms() - start;
}

static void test_stop_graceful(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done",
             &p);
    wait_ready(&p);
    gt_time took = drive_stop(&p, 5000, &st);
    assert_true(took < 5000);
    assert_int_equal(p.killed, 0);
    assert_int_equal(st.exit_code, 0);
    assert_int_equal(st.signal, 0);
    assert_non_null(strstr(slurp(p.dir, GT_PROC_STDOUT), "bye"));
    assert_int_equal(gt_proc_tick(&p, now_ms() + 10000), GT_TIME_NEVER); /* ended: no kill */
    gt_proc_free(&p);
}

static void test_stop_right_after_spawn(void **state) {
    gt_proc p;
    gt_proc_status st;
    const char *argv[] = {"sleep", "30", NULL};
    for (int i = 0; i < 10; i++) { /* TERM may come before the child resets its signals */
        char rec[16];
        snprintf(rec, sizeof rec, "r%d", i);
        spawn_ok(state, rec, argv, NULL, NULL, &p);
        assert_true(drive_stop(&p, 5000, &st) < 5000);
        assert_int_equal(st.signal, SIGTERM);
        gt_proc_free(&p);
    }
}

static void test_stop_a_stopped_rank(void **state) {
    gt_proc p;
    gt_proc_status st;
    const char *argv[] = {"sleep", "30", NULL};
    spawn_ok(state, "r", argv, NULL, NULL, &p);
    assert_int_equal(gt_proc_signal(&p, SIGSTOP), 0);
    int stopped = 0;
    for (int i = 0; i < 400 && !stopped; i++) { /* until /proc says 'T' */
        char stat[64], line[256] = "";
        snprintf(stat, sizeof stat, "/proc/%d/stat", (int)p.pid);
        FILE *f = fopen(stat, "r");
        if (f && fgets(line, sizeof line, f))
            stopped = strstr(line, ") T ") != NULL;
        if (f)
            fclose(f);
        sleep_ms(5);
    }
    assert_true(stopped);
    assert_true(drive_stop(&p, 5000, &st) < 5000); /* SIGTERM, then SIGCONT */
    assert_int_equal(st.signal, SIGTERM);
    gt_proc_free(&p);
}

static void test_stop_kills_after_grace(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "trap '' TERM; echo ready; sleep 30", &p);
    wait_ready(&p);
    gt_time start = now_ms();
    gt_proc_stop(&p, 200, start);
    assert_int_equal(gt_proc_tick(&p, start + 10), start + 200);
    sleep_ms(50);
    assert_int_equal(gt_proc_poll(&p, &st), 0); /* TERM is ignored: still running */
    assert_int_equal(kill(p.shim, 0), 0);       /* the shim is not in the group */
    gt_time took = drive_stop(&p, 200, &st);    /* a second stop keeps the deadline */
    assert_true(now_ms() - start >= 200);
    assert_true(took < 2000);
    assert_int_equal(p.killed, 1);
    assert_int_equal(st.signal, SIGKILL);
    gt_proc_free(&p);
}

static void test_stop_ends_the_whole_tree(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "sleep 30 & sleep 30 & echo ready; wait", &p);
    wait_ready(&p);
    assert_int_equal(kill(-p.pid, 0), 0);
    drive_stop(&p, 1000, &st);
    assert_int_equal(st.signal, SIGTERM);
    assert_true(group_gone(p.pid, 3000));
    gt_proc_free(&p);
}

static void test_stragglers_die_with_the_rank(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "sleep 30 & echo ready; exit 0", &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 0);
    assert_true(group_gone(p.pid, 3000));
    gt_proc_free(&p);
}

static void test_stop_without_grace(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "trap '' TERM; echo ready; sleep 30", &p);
    wait_ready(&p);
    gt_time took = drive_stop(&p, 0, &st);
    assert_true(took < 1000);
    assert_int_equal(st.signal, SIGKILL);
    gt_proc_free(&p);
}

/* ---- records --------------------------------------------------------------------------- */

static void test_adopt_sees_the_end(void **state) {
    gt_proc p, q;
    gt_proc_status st;
    gt_error err;
    spawn_sh(state, "r", "echo ready; sleep 0.4; exit 5", &p);
    assert_int_equal(gt_proc_adopt(p.dir, &q, &err), GT_E_OK);
    assert_int_equal(q.pid, p.pid);
    assert_int_equal(q.shim, p.shim);
    assert_int_equal(q.shim_ours, 0);
    assert_true(q.shim_start > 0);
    assert_int_equal(gt_proc_poll(&q, &st), 0);
    wait_end(&q, &st, 2000);
    assert_int_equal(st.exit_code, 5);
    /* the shim is reaped by one handle or the other */
    gt_time end = now_ms() + 2000;
    while (!(kill(p.shim, 0) == -1 && errno == ESRCH)) {
        assert_true(now_ms() < end);
        gt_proc_poll(&q, NULL);
        sleep_ms(5);
    }
    assert_int_equal(gt_proc_poll(&p, &st), 1);
    assert_int_equal(st.exit_code, 5);
    gt_proc_free(&q);
    gt_proc_free(&p);
    /* adopting an ended record: ended at once */
    assert_int_equal(gt_proc_adopt(sub(state, "r"), &q, &err), GT_E_OK);
    assert_int_equal(q.ended, 1);
    assert_int_equal(gt_proc_poll(&q, &st), 1);
    assert_int_equal(st.exit_code, 5);
    gt_proc_free(&q);
}

/* A record of an older agent (the shim's line in its own file `shim`) is adopted too. */
static void test_adopt_an_older_record(void **state) {
    gt_proc p, q;
    gt_proc_status st;
    gt_error err;
    spawn_sh(state, "r", "echo ready; sleep 30", &p);
    char rec[256], path[PATH_MAX];
    snprintf(rec, sizeof rec, "%s", slurp(p.dir, GT_PROC_PID));
    char *nl = strchr(rec, '\n');
    assert_non_null(nl);
    *nl = 0;
    FILE *f = fopen(sub(state, "r/shim"), "w");
    fputs(nl + 1, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s", p.dir, GT_PROC_PID);
    f = fopen(path, "w");
    fprintf(f, "%s\n", rec);
    fclose(f);
    assert_int_equal(gt_proc_adopt(p.dir, &q, &err), GT_E_OK);
    assert_int_equal(q.pid, p.pid);
    assert_int_equal(q.shim, p.shim);
    assert_true(q.shim_start > 0);
    assert_int_equal(gt_proc_poll(&q, &st), 0);
    gt_proc_stop(&q, 0, now_ms());
    wait_end(&q, &st, 2000);
    assert_int_equal(st.signal, SIGKILL);
    gt_proc_free(&q);
    wait_end(&p, &st, 2000);
    gt_proc_free(&p);
}

static void test_lost_supervisor(void **state) {
    gt_proc p;
    gt_proc_status st;
    spawn_sh(state, "r", "echo ready; sleep 30", &p);
    wait_ready(&p);
    assert_int_equal(kill(p.shim, SIGKILL), 0);
    sleep_ms(50);
    assert_int_equal(gt_proc_poll(&p, &st), 0); /* orphaned but its group still runs */
    assert_int_equal(p.shim, 0);
    assert_int_equal(gt_proc_signal(&p, SIGKILL), 0);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.signal, SIGKILL);
    assert_string_equal(st.reason, "lost: the rank's supervisor died");
    assert_string_equal(slurp(p.dir, GT_PROC_EXIT), "");
    gt_proc_free(&p);
}

static void test_record_errors(void **state) {
    gt_proc p, q;
    gt_proc_status st;
    gt_error err;
    assert_int_equal(gt_proc_adopt(sub(state, "none"), &q, &err), GT_E_NOT_FOUND);
    assert_null(q.dir);
    gt_proc_free(&q);
    spawn_sh(state, "r", "exit 0", &p);
    const char *argv[] = {"true", NULL};
    gt_proc_spec spec = {.argv = argv, .envp = base_env, .dir = sub(state, "r"), .shim = shim_path};
    assert_int_equal(gt_proc_spawn(&spec, &q, &err), GT_E_EXISTS);
    spec.argv = (const char *const[]){NULL};
    assert_int_equal(gt_proc_spawn(&spec, &q, &err), GT_E_INVALID);
    wait_end(&p, &st, 2000);
    gt_proc_free(&p);
    /* forget, then the same directory takes a new rank; nested dirs are created */
    assert_int_equal(gt_proc_forget(sub(state, "r"), &err), GT_E_OK);
    assert_int_equal(gt_proc_forget(sub(state, "r"), &err), GT_E_OK); /* already gone */
    spawn_sh(state, "r/a/b", "exit 7", &p);
    wait_end(&p, &st, 2000);
    assert_int_equal(st.exit_code, 7);
    struct stat sb;
    assert_int_equal(stat(p.dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    gt_proc_free(&p);
}

/* ---- only the exec'd shim ------------------------------------------------------------- */

/* /proc/PID/FILE into buf with its NULs turned to '\n'; its length. */
static size_t proc_file(pid_t pid, const char *file, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        buf[i] = buf[i] ? buf[i] : '\n';
    buf[n] = 0;
    return n;
}

static void test_shim_keeps_the_job_private(void **state) {
    const char *env[] = {"PATH=/usr/bin:/bin", "SECRET=hunter2", "LD_PRELOAD=/nonexistent.so",
                         NULL};
    const char *argv[] = {"sh", "-c", "echo \"$SECRET\"; echo ready; sleep 30", NULL};
    gt_proc p;
    gt_proc_status st;
    spawn_ok(state, "r", argv, env, NULL, &p);
    wait_ready(&p);
    char buf[4096];
    assert_int_equal(proc_file(p.shim, "environ", buf, sizeof buf), 0);
    proc_file(p.shim, "cmdline", buf, sizeof buf);
    assert_non_null(strstr(buf, "gantry-shim"));
    assert_null(strstr(buf, "hunter2"));
    assert_non_null(strstr(slurp(p.dir, GT_PROC_STDOUT), "hunter2")); /* the job has it */
    gt_proc_stop(&p, 0, now_ms());
    wait_end(&p, &st, 2000);
    gt_proc_free(&p);
}

/* Run the shim with `msg` (len bytes) on its socket; returns its report. */
static struct ready shim_with(const char *msg, size_t len, int *status) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], PROC_SHIM_FD);
    char *const argv[] = {"gantry-shim", NULL}, *const envp[] = {NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, shim_path, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (len)
        assert_int_equal(write(sv[0], msg, len), (ssize_t)len);
    shutdown(sv[0], SHUT_WR);
    struct ready r = {0, 0, 0};
    assert_int_equal(read(sv[0], &r, sizeof r), (ssize_t)sizeof r);
    close(sv[0]);
    assert_int_equal(waitpid(pid, status, 0), pid);
    return r;
}

static void test_shim_refuses_a_bad_launch(void **state) {
    (void)state;
    int status;
    struct ready r = shim_with("", 0, &status); /* nothing at all */
    assert_int_equal(r.step, STEP_LAUNCH);
    assert_int_equal(WEXITSTATUS(status), 1);
    char msg[64] = {0};
    uint32_t n = 20;
    memcpy(msg, &n, 4);
    memcpy(msg + 4, "v=gantry-launch-1\0x", 20); /* a bad field, no record made */
    r = shim_with(msg, 24, &status);
    assert_int_equal(r.step, STEP_LAUNCH);
    assert_int_equal(r.err, EPROTO);
    n = 1u << 30; /* too long */
    memcpy(msg, &n, 4);
    r = shim_with(msg, 4, &status);
    assert_int_equal(r.step, STEP_LAUNCH);
    /* and by hand, without the agent's socket, it says what it is */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s' 3>&- 2>/dev/null", shim_path);
    status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_exit_code_and_logs),
        T(test_killed_by_signal),
        T(test_missing_command),
        T(test_bad_workdir),
        T(test_not_executable),
        T(test_script_without_shebang),
        T(test_env_and_workdir),
        T(test_fds_and_signals_not_inherited),
        T(test_stop_graceful),
        T(test_stop_right_after_spawn),
        T(test_stop_a_stopped_rank),
        T(test_stop_kills_after_grace),
        T(test_stop_ends_the_whole_tree),
        T(test_stragglers_die_with_the_rank),
        T(test_stop_without_grace),
        T(test_adopt_sees_the_end),
        T(test_adopt_an_older_record),
        T(test_lost_supervisor),
        T(test_record_errors),
    };
    const struct CMUnitTest shim_only[] = {
        T(test_shim_keeps_the_job_private),
        T(test_shim_refuses_a_bad_launch),
    };
#undef T
    int failed = cmocka_run_group_tests_name("fork of the agent as shim", tests, NULL, NULL);
    shim_path = GANTRY_SHIM;
    failed += cmocka_run_group_tests_name("exec'd gantry-shim", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("exec'd gantry-shim only", shim_only, NULL, NULL);
    return failed;
}
