/* SPDX-License-Identifier: MIT
 * Checks the agent makes against its own machine: a replica's health probes (an HTTP GET
 * on loopback, or a command with a time limit) and whether a TCP port is free. Each call
 * blocks for at most its timeout; the agent runs them on its prober threads. */
#ifndef GT_SYS_PROBE_H
#define GT_SYS_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys/http_client.h"

typedef struct {
    const char *const *argv; /* argv[0] is looked up in PATH */
    const char *const *envp; /* the whole environment of the command */
    const char *workdir;     /* NULL: "/" */
    int set_ids;             /* run as uid/gid (the agent is root) */
    uid_t uid;
    gid_t gid;
    int64_t timeout_ms;
} gt_probe_cmd;

/* Run c (stdin, stdout and stderr on /dev/null, in its own process group, killed whole at
 * the timeout). 1 when it exited 0 in time; else 0 and detail says why ("exit code 1",
 * "timed out after 1 s", "cannot run 'x': No such file or directory"). */
int gt_probe_command(const gt_probe_cmd *c, char *detail, size_t len);

/* GET http://127.0.0.1:PORT PATH through h (one client per thread). 1 for a 2xx answer
 * within timeout_ms; else 0 and detail says why ("HTTP 503", "Connection refused"). */
int gt_probe_http(gt_http_client *h, int port, const char *path, int64_t timeout_ms, char *detail,
                  size_t len);

/* 1 when a socket on this machine listens on TCP `port` (any address), so a replica
 * given that port could not bind it. */
int gt_port_busy(int port);

#endif
