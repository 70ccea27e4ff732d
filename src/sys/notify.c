/* SPDX-License-Identifier: MIT
 * See notify.h. */
#include "sys/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

int gt_notify_ready(const char *status) {
    if (!getenv("NOTIFY_SOCKET"))
        return 0;
    char msg[512];
    snprintf(msg, sizeof msg, "READY=1%s%s", status ? "\nSTATUS=" : "", status ? status : "");
    return sd_notify(0, msg);
}

int gt_notify_stopping(void) {
    if (!getenv("NOTIFY_SOCKET"))
        return 0;
    return sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
