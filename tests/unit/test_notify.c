/* SPDX-License-Identifier: MIT
 * sys/notify.h: nothing happens without NOTIFY_SOCKET; with it, "READY=1" (with the
 * status line) and "STOPPING=1" reach a datagram socket as systemd would read them, and a
 * socket nobody listens on is an error, not a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys/notify.h"

static void test_without_socket(void **state) {
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(gt_notify_ready("serving"), 0);
    assert_int_equal(gt_notify_stopping(), 0);
}

static int listen_at(char *path, size_t size) {
    snprintf(path, size, "/tmp/gt-test-notify.%d", (int)getpid());
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void expect(int fd, const char *want) {
    char got[600];
    ssize_t n = recv(fd, got, sizeof got - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    got[n] = 0;
    assert_string_equal(got, want);
}

static void test_with_socket(void **state) {
    (void)state;
    char path[108];
    int fd = listen_at(path, sizeof path);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_true(gt_notify_ready("listening on 127.0.0.1:7070") > 0);
    expect(fd, "READY=1\nSTATUS=listening on 127.0.0.1:7070");
    assert_true(gt_notify_ready(NULL) > 0);
    expect(fd, "READY=1");
    assert_true(gt_notify_stopping() > 0);
    expect(fd, "STOPPING=1\nSTATUS=stopping");
    close(fd);
    unlink(path);
    assert_true(gt_notify_ready("nobody listens") < 0);
    unsetenv("NOTIFY_SOCKET");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_socket),
        cmocka_unit_test(test_with_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
