/* SPDX-License-Identifier: MIT
 * util: the error table (a stable contract: names, HTTP statuses, exit codes), error
 * records, the string buffer, the random numbers, popcount and CRC-32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/bits.h"
#include "util/crc32.h"
#include "util/error.h"
#include "util/prom.h"
#include "util/rng.h"
#include "util/strbuf.h"
#include "util/vec.h"

static void test_error_table(void **state) {
    (void)state;
    assert_string_equal(gt_err_name(GT_E_OK), "ok");
    assert_string_equal(gt_err_name(GT_E_NOT_FOUND), "not_found");
    assert_int_equal(gt_err_http(GT_E_NOT_FOUND), 404);
    assert_int_equal(gt_err_exit(GT_E_NOT_FOUND), 4);
    assert_int_equal(gt_err_http(GT_E_IMPOSSIBLE), 422);
    assert_int_equal(gt_err_http(GT_E_UNKNOWN_FIELD), 400);
    assert_string_equal(gt_err_name((gt_err)999), "unknown");
    assert_int_equal(gt_err_http((gt_err)-1), 500);
    for (int e = 0; e < GT_E__COUNT; e++) { /* every row is complete */
        assert_true(gt_err_name((gt_err)e)[0] && gt_err_msg((gt_err)e)[0]);
        assert_true(gt_err_http((gt_err)e) >= 200 && gt_err_http((gt_err)e) < 600);
    }
}

static void test_error_record(void **state) {
    (void)state;
    gt_error err;
    char buf[64];
    assert_int_equal(gt_fail(&err, GT_E_RANGE, "f.yaml:3", "gpus: %d too many", 9), GT_E_RANGE);
    assert_string_equal(gt_error_str(&err, buf, sizeof buf), "f.yaml:3: gpus: 9 too many");
    gt_fail(&err, GT_E_IO, NULL, "disk");
    assert_string_equal(gt_error_str(&err, buf, sizeof buf), "disk");
    assert_int_equal(gt_fail(NULL, GT_E_PARSE, "x", "y"), GT_E_PARSE); /* NULL is allowed */
    gt_error_str(&err, buf, 3);
    assert_int_equal(strlen(buf), 2); /* truncated, terminated */
}

static void test_strbuf(void **state) {
    (void)state;
    gt_sb b;
    gt_sb_init(&b);
    assert_string_equal(gt_sb_str(&b), "");
    for (int i = 0; i < 10000; i++)
        gt_sb_printf(&b, "%d,", i % 10);
    gt_sb_putc(&b, '!');
    assert_int_equal(b.len, 20001);
    assert_int_equal(strlen(gt_sb_str(&b)), 20001);
    assert_memory_equal(gt_sb_str(&b), "0,1,2,", 6);
    assert_int_equal(gt_sb_str(&b)[20000], '!');
    gt_sb_free(&b);
    gt_sb_free(NULL);
}

static void test_rng(void **state) {
    (void)state;
    gt_rng a, b;
    gt_rng_seed(&a, 42);
    gt_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(gt_rng_next(&a) == gt_rng_next(&b));
    gt_rng_seed(&b, 43);
    assert_true(gt_rng_next(&a) != gt_rng_next(&b));
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        assert_true(gt_rng_below(&a, 7) < 7);
        double u = gt_rng_unit(&a);
        assert_true(u >= 0 && u < 1);
        sum += gt_rng_exp(&a, 10.0);
    }
    assert_true(sum / 100000 > 9.8 && sum / 100000 < 10.2); /* mean of Exp(10) */
}

static void test_popcount(void **state) {
    (void)state;
    gt_rng r;
    gt_rng_seed(&r, 1);
    assert_int_equal(gt_popcount32(0), 0);
    assert_int_equal(gt_popcount32(UINT32_MAX), 32);
    for (int i = 0; i < 10000; i++) {
        uint32_t x = (uint32_t)gt_rng_next(&r);
        assert_int_equal(gt_popcount32(x), __builtin_popcount(x));
    }
}

/* The standard check value, and the same CRC however the bytes are split (every tail
 * length of the 8-byte loop, every alignment). */
static void test_crc32(void **state) {
    (void)state;
    assert_int_equal(gt_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(gt_crc32(0, "", 0), 0);
    unsigned char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (unsigned char)(i * 37 + 11);
    uint32_t whole = gt_crc32(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut++)
        assert_int_equal(gt_crc32(gt_crc32(0, buf, cut), buf + cut, sizeof buf - cut), whole);
    buf[50] ^= 1;
    assert_true(gt_crc32(0, buf, sizeof buf) != whole);
    /* CRC-32C: its check value, and split the same way */
    assert_int_equal(gt_crc32c(0, "123456789", 9), 0xE3069283u);
    whole = gt_crc32c(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut++)
        assert_int_equal(gt_crc32c(gt_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), whole);
}

static void test_vec(void **state) {
    (void)state;
    int *v = NULL;
    size_t cap = 0, n = 0;
    for (int i = 0; i < 1000; i++) {
        assert_true(gt_vec_reserve((void **)&v, &cap, n + 1, sizeof *v));
        v[n++] = i;
    }
    assert_true(cap >= 1000 && cap < 2048 && (cap & (cap - 1)) == 0); /* doubled from 16 */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i);
    size_t before = cap;
    assert_true(gt_vec_reserve((void **)&v, &cap, 10, sizeof *v)); /* room already */
    assert_int_equal(cap, before);
    /* A size that would overflow is refused and leaves the array as it was. */
    assert_false(gt_vec_reserve((void **)&v, &cap, SIZE_MAX / 2 + 2, sizeof *v));
    assert_false(gt_vec_reserve((void **)&v, &cap, SIZE_MAX / 4, 1024));
    assert_int_equal(cap, before);
    assert_int_equal(v[999], 999);
    free(v);
}

/* The other starting sizes, uint32_t capacities and arrays that grow together. */
static void test_vec_variants(void **state) {
    (void)state;
    char *b = NULL;
    size_t cap = 0;
    assert_true(gt_vec_reserve_from((void **)&b, &cap, 1, 1, 1024));
    assert_int_equal(cap, 1024);
    assert_true(gt_vec_reserve_from((void **)&b, &cap, 1025, 1, 1024));
    assert_int_equal(cap, 2048);
    free(b);
    uint32_t *u = NULL, ucap = 0;
    assert_true(gt_vec_reserve32((void **)&u, &ucap, 1, sizeof *u, 2));
    assert_int_equal(ucap, 2);
    assert_true(gt_vec_reserve32((void **)&u, &ucap, 3, sizeof *u, 2));
    assert_int_equal(ucap, 4);
    u[3] = 7;
    assert_false(gt_vec_reserve32((void **)&u, &ucap, (size_t)UINT32_MAX + 1, 1, 2));
    assert_false(gt_vec_reserve32((void **)&u, &ucap, UINT32_MAX, SIZE_MAX / 4, 2));
    assert_int_equal(ucap, 4);
    assert_int_equal(u[3], 7);
    free(u);
    /* Doubling stops at the maximum instead of passing it. */
    assert_int_equal(gt_vec_grow_cap(1u << 31, (1u << 31) + 1, 16, UINT32_MAX), UINT32_MAX);
    assert_int_equal(gt_vec_grow_cap(0, 100, 16, UINT32_MAX), 128);
    assert_int_equal(gt_vec_grow_cap(64, 10, 16, UINT32_MAX), 64);
    assert_int_equal(gt_vec_grow_cap(0, 101, 16, 100), 0);
    int *v = NULL;
    assert_true(gt_vec_resize((void **)&v, 3, sizeof *v));
    v[2] = 5;
    assert_false(gt_vec_resize((void **)&v, SIZE_MAX / 2, sizeof *v));
    assert_false(gt_vec_resize((void **)&v, 0, sizeof *v));
    assert_int_equal(v[2], 5);
    free(v);
}

/* util/prom: one metric's samples summed over their labels; comments, other metrics
 * (also those whose name starts with it), NaN and unreadable lines skipped. */
static void test_prom(void **state) {
    (void)state;
    const char *t = "# HELP q Queue.\n# TYPE q gauge\n"
                    "q{replica=\"0\",path=\"/a}b\"} 3\n"
                    "q 1.5 1700000000000\n"
                    "q_total 100\n"
                    "qq 7\n"
                    "  q{x=\"\\\"}\"}\t2\r\n"
                    "q NaN\n"
                    "q abc\n"
                    "q{unclosed 9\n"
                    "q 4";
    double sum;
    assert_int_equal(gt_prom_sum(t, strlen(t), "q", &sum), 4);
    assert_true(sum == 10.5);
    assert_int_equal(gt_prom_sum(t, strlen(t), "q_total", &sum), 1);
    assert_true(sum == 100);
    assert_int_equal(gt_prom_sum(t, strlen(t), "missing", &sum), 0);
    assert_true(sum == 0);
    assert_int_equal(gt_prom_sum(t, 0, "q", &sum), 0);
    assert_int_equal(gt_prom_sum("q 1", 2, "q", &sum), 0); /* cut before the value */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_table), cmocka_unit_test(test_error_record),
        cmocka_unit_test(test_strbuf),      cmocka_unit_test(test_rng),
        cmocka_unit_test(test_popcount),    cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_vec),         cmocka_unit_test(test_vec_variants),
        cmocka_unit_test(test_prom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
