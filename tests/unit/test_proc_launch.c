/* SPDX-License-Identifier: MIT
 * sys/proc_launch: the message that carries a spawn's spec to gantry-shim. What is encoded
 * decodes to the same spec; every malformed body is refused with the offset of the bad
 * field, never read past its end. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sys/proc_int.h"

/* Decode the message encode made; the body is copied so that the test owns it. */
static char *round_trip(const gt_proc_spec *spec, const char *boot, struct launch_msg *m) {
    size_t len;
    char *msg = sys_proc_launch_encode(spec, boot, &len);
    assert_non_null(msg);
    uint32_t body;
    memcpy(&body, msg, 4);
    assert_int_equal(body + 4, len);
    char *copy = malloc(body);
    memcpy(copy, msg + 4, body);
    free(msg);
    gt_error err = {0};
    if (sys_proc_launch_decode(copy, body, m, &err) != GT_E_OK)
        fail_msg("decode: %s", err.msg);
    return copy;
}

static void test_everything_round_trips(void **state) {
    (void)state;
    const char *argv[] = {"python3", "-c", "print('a b')", "", NULL};
    const char *envp[] = {"PATH=/usr/bin", "EMPTY=", "X=a=b", NULL};
    const char *cgroups[] = {"/sys/fs/cgroup/cpu/gantry/1-0-0-n/cgroup.procs",
                             "/sys/fs/cgroup/memory/gantry/1-0-0-n/cgroup.procs", NULL};
    gid_t groups[] = {1000, 27, 4294967294u};
    gt_proc_spec spec = {.argv = argv,
                         .envp = envp,
                         .workdir = "/tmp/w d",
                         .dir = "/var/lib/r/rank0",
                         .set_ids = 1,
                         .uid = 1000,
                         .gid = 1001,
                         .groups = groups,
                         .ngroups = 3,
                         .cgroups = cgroups};
    struct launch_msg m;
    char *body = round_trip(&spec, "0a1b-boot", &m);
    assert_string_equal(m.spec.dir, spec.dir);
    assert_string_equal(m.spec.workdir, spec.workdir);
    assert_string_equal(m.boot_id, "0a1b-boot");
    assert_int_equal(m.spec.set_ids, 1);
    assert_int_equal(m.spec.uid, 1000);
    assert_int_equal(m.spec.gid, 1001);
    assert_int_equal(m.spec.ngroups, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(m.spec.groups[i], groups[i]);
    for (int i = 0; argv[i]; i++)
        assert_string_equal(m.spec.argv[i], argv[i]);
    assert_null(m.spec.argv[4]);
    for (int i = 0; envp[i]; i++)
        assert_string_equal(m.spec.envp[i], envp[i]);
    assert_null(m.spec.envp[3]);
    assert_string_equal(m.spec.cgroups[1], cgroups[1]);
    assert_null(m.spec.cgroups[2]);
    assert_null(m.spec.shim);
    /* and the shim's launch built from it has the paths and the PATH to search */
    struct launch *l = sys_proc_launch_new(&m.spec, m.boot_id);
    assert_non_null(l);
    assert_string_equal(l->path[F_EXIT], "/var/lib/r/rank0/exit");
    assert_string_equal(l->search, "/usr/bin");
    assert_int_equal(l->ncgroups, 2);
    assert_string_equal(l->boot_id, "0a1b-boot");
    sys_proc_launch_free(l);
    sys_proc_launch_msg_free(&m);
    free(body);
}

static void test_minimal_spec(void **state) {
    (void)state;
    const char *argv[] = {"true", NULL};
    const char *none[] = {NULL};
    gt_proc_spec spec = {.argv = argv, .envp = none, .dir = "r"};
    struct launch_msg m;
    char *body = round_trip(&spec, NULL, &m);
    assert_null(m.spec.workdir);
    assert_int_equal(m.spec.set_ids, 0);
    assert_int_equal(m.spec.ngroups, 0);
    assert_non_null(m.spec.envp); /* an empty environment, not the shim's own */
    assert_null(m.spec.envp[0]);
    assert_null(m.spec.cgroups);
    assert_string_equal(m.boot_id, "");
    sys_proc_launch_msg_free(&m);
    free(body);
}

/* body (with its NULs, len bytes) is refused and the message has `what` in it. */
static void refused(const char *body, size_t len, const char *what) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    struct launch_msg m;
    gt_error err = {0};
    gt_err rc = sys_proc_launch_decode(copy, len, &m, &err);
    if (rc == GT_E_OK)
        fail_msg("accepted a bad launch (wanted: %s)", what);
    assert_int_equal(err.code, rc);
    if (!strstr(err.msg, what))
        fail_msg("'%s' does not say '%s'", err.msg, what);
    assert_null(m.argv);
    free(copy);
}

#define V "v=" PROC_LAUNCH_VERSION "\0"
#define BAD(lit, what) refused(lit, sizeof(lit) - 1, what)

static void test_bad_messages(void **state) {
    (void)state;
    refused("", 0, "empty");
    BAD("v=gantry-launch-1", "NUL-terminated");
    BAD("v=gantry-launch-0\0d=r\0a=x\0", "not a launch of this gantry version");
    BAD("d=r\0" V "a=x\0", "not a launch of this gantry version");
    BAD(V "d=r\0a=x\0v=gantry-launch-1\0", "a second version");
    BAD(V "d=r\0d=s\0a=x\0", "given twice");
    BAD(V "d=r\0w=/\0w=/\0a=x\0", "given twice");
    BAD(V "d=r\0a=x\0"
          "q=1\0",
        "unknown field");
    BAD(V "d=r\0ax\0", "not K=VALUE");
    BAD(V "d=r\0\0a=x\0", "not K=VALUE");
    BAD(V "a=x\0", "no record directory");
    BAD(V "d=\0a=x\0", "no record directory");
    BAD(V "d=r\0e=A=1\0", "no command");
    BAD(V "d=r\0a=\0", "no command");
    BAD(V "d=r\0u=5\0a=x\0", "a uid without a gid");
    BAD(V "d=r\0u=-1\0g=1\0a=x\0", "uid/gid");
    BAD(V "d=r\0u=4294967295\0g=1\0a=x\0", "uid/gid");
    BAD(V "d=r\0u=1x\0g=1\0a=x\0", "uid/gid");
    BAD(V "d=r\0u=1\0u=1\0g=1\0a=x\0", "uid/gid");
    BAD(V "d=r\0u=1\0g=1\0G=\0a=x\0", "a bad group");
    BAD(V "d=r\0G=27\0a=x\0", "supplementary groups without a uid"); /* found by fuzz_launch */
    BAD(V "d=r\0c=1\0c=2\0c=3\0c=4\0c=5\0c=6\0c=7\0c=8\0c=9\0a=x\0", "too many cgroups");
    /* the offset of the bad field */
    BAD(V "d=r\0q=1\0", "byte 22");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_round_trips),
        cmocka_unit_test(test_minimal_spec),
        cmocka_unit_test(test_bad_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
