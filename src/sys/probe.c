/* SPDX-License-Identifier: MIT
 * Probes and port checks (probe.h).
 *
 * A command probe is forked, not posix_spawned: when the agent runs as root the command
 * runs as the job's user (setgroups/setgid/setuid in the child, which then only makes
 * system calls before exec: the agent has threads). It is waited for by pid with
 * WNOHANG every few milliseconds: the agent's SIGCHLD thread only wakes the main loop and
 * reaps nothing, so the pid stays ours to reap. */
#define _GNU_SOURCE
#include "sys/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"

static void child(const gt_probe_cmd *c, int errpipe) {
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
    }
    setpgid(0, 0);
    if (c->set_ids && (setgroups(0, NULL) != 0 || setgid(c->gid) != 0 || setuid(c->uid) != 0))
        goto fail;
    if (chdir(c->workdir ? c->workdir : "/") != 0)
        goto fail;
    execvpe(c->argv[0], (char *const *)c->argv, (char *const *)c->envp);
fail:;
    int e = errno;
    (void)!write(errpipe, &e, sizeof e);
    _exit(127);
}

static void sleep_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait for pid until deadline (monotonic ms); 1 with *status when it ended. */
static int wait_until(pid_t pid, int64_t deadline, int *status) {
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return r == pid;
        if (gt_clock_mono_ms() >= deadline)
            return 0;
        sleep_ms(5);
    }
}

int gt_probe_command(const gt_probe_cmd *c, char *detail, size_t len) {
    int p[2];
    if (!c->argv || !c->argv[0] || pipe2(p, O_CLOEXEC) != 0) {
        snprintf(detail, len, "cannot run the probe: %s", c->argv ? strerror(errno) : "no command");
        return 0;
    }
    int64_t deadline = gt_clock_mono_ms() + c->timeout_ms;
    pid_t pid = fork();
    if (pid == 0)
        child(c, p[1]);
    close(p[1]);
    if (pid < 0) {
        snprintf(detail, len, "cannot run the probe: %s", strerror(errno));
        close(p[0]);
        return 0;
    }
    int status = 0, e = 0;
    if (!wait_until(pid, deadline, &status)) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        close(p[0]);
        snprintf(detail, len, "timed out after %g s", (double)c->timeout_ms / 1000.0);
        return 0;
    }
    kill(-pid, SIGKILL); /* what it left behind in its group */
    ssize_t n = read(p[0], &e, sizeof e);
    close(p[0]);
    if (n == (ssize_t)sizeof e)
        snprintf(detail, len, "cannot run '%.64s': %s", c->argv[0], strerror(e));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    else if (WIFEXITED(status))
        snprintf(detail, len, "exit code %d", WEXITSTATUS(status));
    else
        snprintf(detail, len, "killed by signal %d", WTERMSIG(status));
    return 0;
}

int gt_probe_http(gt_http_client *h, int port, const char *path, int64_t timeout_ms, char *detail,
                  size_t len) {
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    gt_http_answer ans = {0};
    gt_error err = {0};
    if (gt_http_call(h, "GET", url, NULL, timeout_ms > 0 ? timeout_ms : 1, &ans, &err)) {
        snprintf(detail, len, "GET %.200s: %s", path, err.msg);
        return 0;
    }
    int ok = ans.status >= 200 && ans.status < 300;
    if (!ok)
        snprintf(detail, len, "GET %.200s: HTTP %d", path, ans.status);
    gt_http_answer_free(&ans);
    return ok;
}

static int busy_on(int family, int port) {
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 0; /* no such family here */
    int one = 1, busy = 0;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        busy = bind(s, (struct sockaddr *)&a, sizeof a) != 0 && errno == EADDRINUSE;
    } else {
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        busy = bind(s, (struct sockaddr *)&a, sizeof a) != 0 && errno == EADDRINUSE;
    }
    close(s);
    return busy;
}

int gt_port_busy(int port) {
    return busy_on(AF_INET, port) || busy_on(AF_INET6, port);
}
