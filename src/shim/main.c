/* SPDX-License-Identifier: MIT
 * gantry-shim: the supervisor of one rank, started by gantry-agent (sys/proc.c, note 7).
 * It reads the rank's launch from the socket on fd 3 (sys/proc_int.h), then runs as the
 * shim does: starts the rank's process, waits for it, writes how it ended. Not meant to be
 * run by hand: it refuses to start without that socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/proc_int.h"
#include "sys/readfile.h"

static _Noreturn void refuse(int e, const char *why) {
    struct ready r = {0, STEP_LAUNCH, e};
    gt_write_all(PROC_SHIM_FD, &r, sizeof r);
    fprintf(stderr, "gantry-shim: %s\n", why);
    _exit(1);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int type = 0;
    socklen_t tlen = sizeof type;
    if (getsockopt(PROC_SHIM_FD, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM) {
        fprintf(stderr, "gantry-shim: supervises a rank for gantry-agent, which starts it; "
                        "it is not run by hand\n");
        return 2;
    }
    uint32_t len;
    if (sys_proc_read_all(PROC_SHIM_FD, (char *)&len, sizeof len) != (ssize_t)sizeof len)
        refuse(EPROTO, "no launch from the agent");
    if (len == 0 || len > PROC_LAUNCH_MAX)
        refuse(EPROTO, "a launch of a bad length");
    char *body = malloc(len);
    if (!body)
        refuse(ENOMEM, "out of memory");
    if (sys_proc_read_all(PROC_SHIM_FD, body, len) != (ssize_t)len)
        refuse(EPROTO, "a truncated launch");
    struct launch_msg m;
    gt_error err = {0};
    if (sys_proc_launch_decode(body, len, &m, &err) != GT_E_OK)
        refuse(err.code == GT_E_NOMEM ? ENOMEM : EPROTO, err.msg);
    struct launch *l = sys_proc_launch_new(&m.spec, m.boot_id);
    if (!l)
        refuse(ENOMEM, "out of memory");
    sys_proc_shim_main(l, PROC_SHIM_FD); /* the launch lives as long as the shim */
}
