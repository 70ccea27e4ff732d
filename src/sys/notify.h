/* SPDX-License-Identifier: MIT
 * Telling systemd where a daemon's start and stop are (units of Type=notify), through
 * libsystemd's sd_notify(3). systemd passes the socket to write to in NOTIFY_SOCKET;
 * without it (the daemon was not started by systemd, or by a unit of another type) every
 * call here does nothing. Thread-safe. */
#ifndef GT_SYS_NOTIFY_H
#define GT_SYS_NOTIFY_H

/* "READY=1", with "STATUS=status" when status is not NULL (one line, what `systemctl
 * status` shows): the daemon serves. Call once, when it does. Returns 1 when sent, 0
 * without NOTIFY_SOCKET, a negative errno when it could not be sent (the daemon goes on:
 * systemd then times the start out). */
int gt_notify_ready(const char *status);

/* "STOPPING=1": a clean stop has begun. Returns as gt_notify_ready does. */
int gt_notify_stopping(void);

#endif
