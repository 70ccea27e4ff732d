/* SPDX-License-Identifier: MIT
 * sys/cgroup on its fake twin: a mount table naming temp folders, where control files are
 * plain files. Detection of v1, v2 and hybrid layouts; the files written for each limit in
 * both hierarchies; OOM counts; removal. (The real kernel is exercised by
 * tests/system/test_isolation.sh.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/cgroup.h"

static char root[256];

static void put_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *slurp(const char *dir, const char *file) {
    static char buf[4096];
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static const char *at(const char *rel) {
    static char path[16][512];
    static int k;
    k = (k + 1) % 16;
    snprintf(path[k], sizeof path[k], "%s/%s", root, rel);
    return path[k];
}

static int setup(void **state) {
    (void)state;
    snprintf(root, sizeof root, "%s/gt-cgroup-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* A hybrid machine like this workplace's: v1 cpu (with cpuacct), cpuset, memory, pids,
 * devices, and a cgroup2 mount offering nothing we use. */
static void hybrid(void) {
    const char *dirs[] = {"cpu,cpuacct", "cpuset", "memory", "pids", "devices", "unified"};
    for (int i = 0; i < 6; i++)
        assert_int_equal(mkdir(at(dirs[i]), 0755), 0);
    put_file(at("cpuset/cpuset.cpus"), "0-7\n");
    put_file(at("cpuset/cpuset.mems"), "0\n");
    put_file(at("unified/cgroup.controllers"), "hugetlb\n");
    char table[4096];
    snprintf(table, sizeof table,
             "proc /proc proc rw 0 0\n"
             "tmpfs %s tmpfs rw 0 0\n"
             "cgroup %s cgroup rw,relatime,cpu,cpuacct 0 0\n"
             "cgroup %s cgroup rw,cpuset 0 0\n"
             "cgroup %s cgroup rw,memory 0 0\n"
             "cgroup %s cgroup rw,pids 0 0\n"
             "cgroup %s cgroup rw,devices 0 0\n"
             "cgroup2 %s cgroup2 rw 0 0\n",
             root, at("cpu,cpuacct"), at("cpuset"), at("memory"), at("pids"), at("devices"),
             at("unified"));
    put_file(at("mounts"), table);
}

static void test_detect_hybrid(void **state) {
    (void)state;
    hybrid();
    gt_cg_sys cg;
    gt_error err;
    assert_int_equal(gt_cg_detect(&cg, at("mounts"), NULL, &err), GT_E_OK);
    for (int c = 0; c < GT_CG__N; c++)
        assert_int_equal(cg.where[c], 1);
    assert_string_equal(cg.v1[GT_CG_CPU], at("cpu,cpuacct"));
    assert_string_equal(cg.parent, "gantry");
    char d[128];
    assert_string_equal(gt_cg_describe(&cg, d, sizeof d), "v1: cpu cpuset memory pids devices");
    assert_true(gt_cg_any(&cg));
}

static void test_detect_v2_and_none(void **state) {
    (void)state;
    assert_int_equal(mkdir(at("v2"), 0755), 0);
    put_file(at("v2/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
    char table[1024];
    /* a path with a space, escaped as the kernel does */
    assert_int_equal(mkdir(at("v2/with space"), 0755), 0);
    put_file(at("v2/with space/cgroup.controllers"), "cpu memory\n");
    snprintf(table, sizeof table, "cgroup2 %s/v2/with\\040space cgroup2 rw 0 0\n", root);
    put_file(at("mounts2"), table);
    gt_cg_sys cg;
    gt_error err;
    assert_int_equal(gt_cg_detect(&cg, at("mounts2"), "jobs", &err), GT_E_OK);
    assert_int_equal(cg.where[GT_CG_CPU], 2);
    assert_int_equal(cg.where[GT_CG_MEMORY], 2);
    assert_int_equal(cg.where[GT_CG_PIDS], 0); /* not offered there */
    assert_int_equal(cg.where[GT_CG_DEVICES], 0);
    assert_string_equal(cg.v2, at("v2/with space"));
    char d[128];
    assert_string_equal(gt_cg_describe(&cg, d, sizeof d), "v2: cpu memory");

    put_file(at("mounts3"), "proc /proc proc rw 0 0\n");
    assert_int_equal(gt_cg_detect(&cg, at("mounts3"), NULL, &err), GT_E_OK);
    assert_false(gt_cg_any(&cg));
    assert_string_equal(gt_cg_describe(&cg, d, sizeof d), "none");

    assert_int_equal(gt_cg_detect(&cg, at("no-such-table"), NULL, &err), GT_E_IO);
    assert_int_equal(gt_cg_detect(&cg, at("mounts3"), "a/b", &err), GT_E_INVALID);
    assert_int_equal(gt_cg_detect(&cg, at("mounts3"), "..", &err), GT_E_INVALID);
}

static void test_create_v1(void **state) {
    (void)state;
    hybrid();
    gt_cg_sys cg;
    gt_cg_unit u;
    gt_error err;
    assert_int_equal(gt_cg_detect(&cg, at("mounts"), NULL, &err), GT_E_OK);
    assert_int_equal(gt_cg_unit_of(&cg, "7-0-1-n1", &u, &err), GT_E_OK);
    assert_int_equal(u.n, 5); /* cpu,cpuacct counts once */
    int deny[] = {2, 3};
    gt_cg_limits l = {.cpu_millis = 2000,
                      .cpuset = "4-5",
                      .memory = 64 << 20,
                      .pids = 100,
                      .dev_major = 195,
                      .deny_minor = deny,
                      .ndeny = 2};
    assert_int_equal(gt_cg_create(&cg, &u, &l, &err), GT_E_OK);
    assert_string_equal(slurp(at("cpu,cpuacct/gantry/7-0-1-n1"), "cpu.cfs_quota_us"), "200000");
    assert_string_equal(slurp(at("cpu,cpuacct/gantry/7-0-1-n1"), "cpu.cfs_period_us"), "100000");
    assert_string_equal(slurp(at("memory/gantry/7-0-1-n1"), "memory.limit_in_bytes"), "67108864");
    assert_string_equal(slurp(at("pids/gantry/7-0-1-n1"), "pids.max"), "100");
    /* the parent inherits the root's CPU set; the unit gets its own cores */
    assert_string_equal(slurp(at("cpuset/gantry"), "cpuset.cpus"), "0-7\n");
    assert_string_equal(slurp(at("cpuset/gantry/7-0-1-n1"), "cpuset.cpus"), "4-5");
    assert_string_equal(slurp(at("cpuset/gantry/7-0-1-n1"), "cpuset.mems"), "0\n");
    /* one write per rule; the fake keeps the last */
    assert_string_equal(slurp(at("devices/gantry/7-0-1-n1"), "devices.deny"), "c 195:3 rwm");

    char procs[GT_CG_MAX_DIRS][GT_CG_PATH + 208];
    assert_int_equal(gt_cg_procs_files(&u, procs), 5);
    assert_string_equal(procs[2], at("memory/gantry/7-0-1-n1/cgroup.procs"));

    /* a rank's own device folder denies its sibling's GPU too */
    char rp[GT_CG_PATH + 208];
    int sib[] = {1};
    assert_int_equal(gt_cg_rank_devices(&cg, &u, 4, 195, sib, 1, rp, sizeof rp, &err), 1);
    assert_string_equal(rp, at("devices/gantry/7-0-1-n1/rank4/cgroup.procs"));
    assert_string_equal(slurp(at("devices/gantry/7-0-1-n1/rank4"), "devices.deny"), "c 195:1 rwm");
    put_file(rp, "999999998\n"); /* a process in the rank folder counts */
    assert_int_equal(gt_cg_count(&u), 1);
    put_file(rp, "");

    /* OOM kills from memory.oom_control */
    put_file(at("memory/gantry/7-0-1-n1/memory.oom_control"),
             "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    assert_int_equal(gt_cg_oom_kills(&u), 2);

    /* processes left: count, and removal refused until they are gone */
    put_file(at("pids/gantry/7-0-1-n1/cgroup.procs"), "999999999\n");
    assert_int_equal(gt_cg_count(&u), 1);
    assert_int_equal(gt_cg_remove(&u, &err), GT_E_STATE);
    put_file(at("pids/gantry/7-0-1-n1/cgroup.procs"), "");
    assert_int_equal(gt_cg_count(&u), 0);
    assert_int_equal(gt_cg_remove(&u, &err), GT_E_OK); /* the rank folder first */
    struct stat st;
    assert_int_not_equal(stat(at("memory/gantry/7-0-1-n1"), &st), 0);
    assert_int_not_equal(stat(at("devices/gantry/7-0-1-n1"), &st), 0);
    assert_int_equal(gt_cg_remove(&u, &err), GT_E_OK); /* already gone: fine */

    assert_int_equal(gt_cg_unit_of(&cg, "a/b", &u, &err), GT_E_INVALID);
    assert_int_equal(gt_cg_unit_of(&cg, "", &u, &err), GT_E_INVALID);
}

static void test_create_v2(void **state) {
    (void)state;
    assert_int_equal(mkdir(at("u"), 0755), 0);
    put_file(at("u/cgroup.controllers"), "cpuset cpu io memory pids\n");
    char table[512];
    snprintf(table, sizeof table, "cgroup2 %s cgroup2 rw,nsdelegate 0 0\n", at("u"));
    put_file(at("mounts"), table);
    gt_cg_sys cg;
    gt_cg_unit u;
    gt_error err;
    assert_int_equal(gt_cg_detect(&cg, at("mounts"), NULL, &err), GT_E_OK);
    assert_int_equal(gt_cg_unit_of(&cg, "1-2-0-n", &u, &err), GT_E_OK);
    assert_int_equal(u.n, 1);
    assert_true(u.v2[0]);
    gt_cg_limits l = {.cpu_millis = 1500, .cpuset = "0", .memory = 1 << 30, .pids = 64};
    assert_int_equal(gt_cg_create(&cg, &u, &l, &err), GT_E_OK);
    const char *d = at("u/gantry/1-2-0-n");
    assert_string_equal(slurp(d, "cpu.max"), "150000 100000");
    assert_string_equal(slurp(d, "memory.max"), "1073741824");
    assert_string_equal(slurp(d, "memory.swap.max"), "0");
    assert_string_equal(slurp(d, "pids.max"), "64");
    assert_string_equal(slurp(d, "cpuset.cpus"), "0");
    /* controllers delegated down to our folder (the fake keeps the last write) */
    assert_string_equal(slurp(at("u/gantry"), "cgroup.subtree_control"), "+pids");
    char rp[GT_CG_PATH + 208];
    int sib[] = {1};
    assert_int_equal(gt_cg_rank_devices(&cg, &u, 0, 195, sib, 1, rp, sizeof rp, &err), 0);
    put_file(at("u/gantry/1-2-0-n/memory.events"), "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n");
    assert_int_equal(gt_cg_oom_kills(&u), 1);
    assert_int_equal(gt_cg_remove(&u, &err), GT_E_OK);
}

static void test_unwritable(void **state) {
    (void)state;
    if (geteuid() == 0)
        skip(); /* root writes anywhere */
    hybrid();
    assert_int_equal(chmod(at("memory"), 0555), 0);
    gt_cg_sys cg;
    gt_cg_unit u;
    gt_error err;
    gt_cg_detect(&cg, at("mounts"), NULL, &err);
    gt_cg_unit_of(&cg, "x", &u, &err);
    gt_cg_limits l = {.memory = 1 << 20};
    assert_int_equal(gt_cg_create(&cg, &u, &l, &err), GT_E_IO);
    assert_non_null(strstr(err.msg, "memory"));
    chmod(at("memory"), 0755);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detect_hybrid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect_v2_and_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
