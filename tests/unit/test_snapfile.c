/* SPDX-License-Identifier: MIT
 * Snapshot files: both parts come back byte for byte, nothing but the file is left
 * behind, and a file that is missing, truncated, extended, damaged by one bit, not a
 * snapshot or of another entry is rejected with an error that says which. Pruning deletes
 * older snapshots and stale .tmp files and nothing else. */
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

#include "sys/snapfile.h"

typedef struct {
    char dir[32];
    char p0[1000];
    char p1[70000];
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gt-snapfile.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    for (size_t i = 0; i < sizeof f->p0; i++)
        f->p0[i] = (char)(i * 7);
    for (size_t i = 0; i < sizeof f->p1; i++)
        f->p1[i] = (char)(i * 13 + 1);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int r = system(cmd);
    free(f);
    return r;
}

static char *path_of(const fx *f, const char *name, char buf[96]) {
    snprintf(buf, 96, "%s/%s", f->dir, name);
    return buf;
}

static int exists(const fx *f, const char *name) {
    char p[96];
    struct stat st;
    return stat(path_of(f, name, p), &st) == 0;
}

static void write42(fx *f) {
    gt_error err = {0};
    assert_int_equal(
        gt_snapfile_write(f->dir, 42, f->p0, sizeof f->p0, f->p1, sizeof f->p1, 0, &err), GT_E_OK);
}

static void test_round_trip(void **state) {
    fx *f = *state;
    write42(f);
    assert_true(exists(f, "snapshot-42"));
    assert_false(exists(f, "snapshot-42.tmp"));
    gt_snapfile s;
    gt_error err = {0};
    assert_int_equal(gt_snapfile_read(f->dir, "snapshot-42", 42, &s, &err), GT_E_OK);
    assert_int_equal(s.seq, 42);
    assert_int_equal(s.len[0], sizeof f->p0);
    assert_int_equal(s.len[1], sizeof f->p1);
    assert_memory_equal(s.part[0], f->p0, sizeof f->p0);
    assert_memory_equal(s.part[1], f->p1, sizeof f->p1);
    gt_snapfile_free(&s);
    gt_snapfile_free(&s); /* emptied: freeing twice is fine */
    /* Empty parts are fine too, and the same entry written again replaces the file. */
    assert_int_equal(gt_snapfile_write(f->dir, 42, NULL, 0, "x", 1, 1, &err), GT_E_OK);
    assert_int_equal(gt_snapfile_read(f->dir, "snapshot-42", 42, &s, &err), GT_E_OK);
    assert_int_equal(s.len[0], 0);
    assert_int_equal(s.len[1], 1);
    gt_snapfile_free(&s);
}

/* Read snapshot-42 expecting code with `what` in the message. */
static void rejected(fx *f, int64_t seq, gt_err code, const char *what) {
    gt_snapfile s;
    gt_error err = {0};
    assert_int_equal(gt_snapfile_read(f->dir, "snapshot-42", seq, &s, &err), code);
    if (!strstr(err.msg, what))
        fail_msg("'%s' not in '%s'", what, err.msg);
    assert_non_null(strstr(err.where, "snapshot-42"));
    assert_null(s.mem);
}

static void damage(fx *f, long off, int whence) {
    char p[96];
    FILE *fp = fopen(path_of(f, "snapshot-42", p), "r+b");
    assert_non_null(fp);
    fseek(fp, off, whence);
    int c = fgetc(fp);
    fseek(fp, -1, SEEK_CUR);
    fputc(c ^ 0x10, fp);
    fclose(fp);
}

static void cut(fx *f, long delta) {
    char p[96];
    struct stat st;
    stat(path_of(f, "snapshot-42", p), &st);
    assert_int_equal(truncate(p, st.st_size + delta), 0);
}

static void test_rejects_damage(void **state) {
    fx *f = *state;
    rejected(f, 42, GT_E_NOT_FOUND, "No such file");
    write42(f);
    rejected(f, 41, GT_E_PARSE, "holds entry 42, expected 41");
    damage(f, 5000, SEEK_SET); /* one bit in part 1 */
    rejected(f, 42, GT_E_PARSE, "checksum mismatch");
    write42(f);
    damage(f, -2, SEEK_END); /* the checksum itself */
    rejected(f, 42, GT_E_PARSE, "checksum mismatch");
    write42(f);
    cut(f, -1);
    rejected(f, 42, GT_E_PARSE, "truncated");
    write42(f);
    cut(f, -40000);
    rejected(f, 42, GT_E_PARSE, "truncated");
    write42(f);
    cut(f, 8);
    rejected(f, 42, GT_E_PARSE, "truncated");
    write42(f);
    damage(f, 20, SEEK_SET); /* a length in the header */
    rejected(f, 42, GT_E_PARSE, "truncated");
    write42(f);
    damage(f, 0, SEEK_SET);
    rejected(f, 42, GT_E_PARSE, "bad magic");
    cut(f, -(long)(sizeof f->p0 + sizeof f->p1 + 10));
    rejected(f, 42, GT_E_PARSE, "too short");
}

static void touch(fx *f, const char *name) {
    char p[96];
    FILE *fp = fopen(path_of(f, name, p), "w");
    assert_non_null(fp);
    fclose(fp);
}

static void test_prune(void **state) {
    fx *f = *state;
    const char *names[] = {"snapshot-3",      "snapshot-5", "snapshot-4.tmp", "snapshot-9",
                           "snapshot-12.tmp", "journal.db", "snapshot-x",     "snapshot-7.old"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        touch(f, names[i]);
    assert_int_equal(gt_snapfile_prune(f->dir, 9), 3);
    assert_false(exists(f, "snapshot-3"));
    assert_false(exists(f, "snapshot-5"));
    assert_false(exists(f, "snapshot-4.tmp"));
    for (size_t i = 3; i < sizeof names / sizeof *names; i++)
        assert_true(exists(f, names[i]));
    char name[32];
    assert_string_equal(gt_snapfile_name(1234567890123, name, sizeof name),
                        "snapshot-1234567890123");
    /* the newest whole file (a .tmp is no snapshot yet), and the newer ones set aside */
    assert_int_equal(gt_snapfile_newest(f->dir), 9);
    touch(f, "snapshot-11");
    assert_int_equal(gt_snapfile_newest(f->dir), 11);
    assert_int_equal(gt_snapfile_set_aside(f->dir, 9), 1);
    assert_true(exists(f, "snapshot-11.dropped"));
    assert_true(exists(f, "snapshot-9"));
    assert_true(exists(f, "snapshot-12.tmp"));
    assert_int_equal(gt_snapfile_newest(f->dir), 9);
}

static void test_write_fails_clearly(void **state) {
    (void)state;
    gt_error err = {0};
    assert_int_equal(gt_snapfile_write("/nonexistent-dir/x", 1, "a", 1, "b", 1, 1, &err), GT_E_IO);
    assert_non_null(strstr(err.where, "/nonexistent-dir/x/snapshot-1.tmp"));
    assert_non_null(strstr(err.msg, "No such file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test(test_write_fails_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
