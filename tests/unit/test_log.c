/* SPDX-License-Identifier: MIT
 * The daemons' log lines (sys/log.h): "NAME: MESSAGE" as before, "<LEVEL>MESSAGE" on one
 * line when stderr is the journal's stream (JOURNAL_STREAM names it), cut lines still end
 * in a newline, long ones are written whole, and JOURNAL_STREAM naming another file (a
 * rank's log inherits it) or malformed is not the journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"

static size_t fmt_line(char *buf, size_t size, gt_log_level level, const char *name, int journal,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static size_t fmt_line(char *buf, size_t size, gt_log_level level, const char *name, int journal,
                       const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = gt_log_format(buf, size, level, name, journal, fmt, ap);
    va_end(ap);
    return n;
}

static void test_format(void **state) {
    (void)state;
    char buf[128];
    assert_int_equal(fmt_line(buf, sizeof buf, GT_LOG_INFO, "gantryd", 0, "node %s up", "n1"),
                     strlen("gantryd: node n1 up\n"));
    assert_string_equal(buf, "gantryd: node n1 up\n");
    fmt_line(buf, sizeof buf, GT_LOG_ERR, "gantryd", 0, "two\nlines");
    assert_string_equal(buf, "gantryd: two\nlines\n"); /* unchanged outside the journal */
    fmt_line(buf, sizeof buf, GT_LOG_ERR, "gantryd", 1, "two\nlines");
    assert_string_equal(buf, "<3>two lines\n");
    fmt_line(buf, sizeof buf, GT_LOG_WARNING, "gantry-agent", 1, "retrying");
    assert_string_equal(buf, "<4>retrying\n");
    fmt_line(buf, sizeof buf, GT_LOG_INFO, NULL, 0, "bare");
    assert_string_equal(buf, "bare\n");
}

static void test_format_cut(void **state) {
    (void)state;
    char buf[12];
    size_t n = fmt_line(buf, sizeof buf, GT_LOG_INFO, "gantryd", 0, "%s", "a long message");
    assert_int_equal(n, strlen("gantryd: a long message\n"));
    assert_string_equal(buf, "gantryd: a\n"); /* 10 bytes, the newline, the NUL */
    n = fmt_line(buf, sizeof buf, GT_LOG_NOTICE, "gantryd", 1, "x\ny\nz\nw\nv\nu\n");
    assert_string_equal(buf, "<5>x y z w\n");
    assert_int_equal(n, strlen("<5>x y z w v u \n"));
}

static int temp_file(char *path) {
    strcpy(path, "/tmp/gt-test-log.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    return fd;
}

static void stream_of(int fd, char *env, size_t size, long ino_delta) {
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    snprintf(env, size, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + ino_delta);
}

static void test_journal_fd(void **state) {
    (void)state;
    char path[64], env[64];
    int fd = temp_file(path);
    stream_of(fd, env, sizeof env, 0);
    assert_int_equal(gt_log_journal_fd(env, fd), 1);
    stream_of(fd, env, sizeof env, 1); /* another file */
    assert_int_equal(gt_log_journal_fd(env, fd), 0);
    assert_int_equal(gt_log_journal_fd(NULL, fd), 0);
    assert_int_equal(gt_log_journal_fd("", fd), 0);
    assert_int_equal(gt_log_journal_fd("12", fd), 0);
    stream_of(fd, env, sizeof env, 0);
    strcat(env, "x");
    assert_int_equal(gt_log_journal_fd(env, fd), 0);
    close(fd);
    stream_of(0, env, sizeof env, 0);
    assert_int_equal(gt_log_journal_fd(env, fd), 0); /* closed */
    unlink(path);
}

/* gt_log into a file that JOURNAL_STREAM names as stderr (the first gt_log of this
 * process: the decision is taken once). */
static void test_log_to_journal(void **state) {
    (void)state;
    char path[64], env[64];
    int fd = temp_file(path), saved = dup(2);
    stream_of(fd, env, sizeof env, 0);
    setenv("JOURNAL_STREAM", env, 1);
    fflush(stderr);
    dup2(fd, 2);
    char big[3000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = 0;
    gt_log(GT_LOG_WARNING, "gantry-agent", "registration refused (%d): %s", 409, "one\ntwo");
    gt_log(GT_LOG_INFO, "gantry-agent", "%s", big);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    char want[3100], got[3200] = {0};
    snprintf(want, sizeof want, "<4>registration refused (409): one two\n<6>%s\n", big);
    assert_true(pread(fd, got, sizeof got - 1, 0) > 0);
    assert_string_equal(got, want);
    close(fd);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_cut),
        cmocka_unit_test(test_journal_fd),
        cmocka_unit_test(test_log_to_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
