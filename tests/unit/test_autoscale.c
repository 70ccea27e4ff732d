/* SPDX-License-Identifier: MIT
 * core/autoscale: the rule gantryd and the simulator share. want = ceil(sum / target)
 * within min..max; up only after the up window without a break, to the least want seen;
 * down only after the down window, to the most want seen; nobody reporting changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/autoscale.h"

static const gt_autoscale_conf conf = {
    .target = 4, .up_ms = 1000, .down_ms = 5000, .min = 1, .max = 8};

static void test_want(void **state) {
    (void)state;
    assert_int_equal(gt_autoscale_want(&conf, 0), 1);
    assert_int_equal(gt_autoscale_want(&conf, 4), 1);
    assert_int_equal(gt_autoscale_want(&conf, 4.01), 2);
    assert_int_equal(gt_autoscale_want(&conf, 12), 3);
    assert_int_equal(gt_autoscale_want(&conf, 1000), 8);
    assert_int_equal(gt_autoscale_want(&conf, -5), 1);
}

static void test_up_window(void **state) {
    (void)state;
    gt_autoscale_state st = {0};
    assert_int_equal(gt_autoscale_step(&conf, &st, 20, 2, 2, 0), 2);    /* wants 5: window opens */
    assert_int_equal(gt_autoscale_step(&conf, &st, 12, 2, 2, 500), 2);  /* wants 3 */
    assert_int_equal(gt_autoscale_step(&conf, &st, 30, 2, 2, 1000), 3); /* the least seen */
    /* A spike shorter than the window changes nothing. */
    assert_int_equal(gt_autoscale_step(&conf, &st, 40, 3, 3, 2000), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 8, 3, 3, 2500), 3); /* back: window stops */
    assert_int_equal(gt_autoscale_step(&conf, &st, 40, 3, 3, 3400), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 40, 3, 3, 4399), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 40, 3, 3, 4400), 8);
}

static void test_down_window(void **state) {
    (void)state;
    gt_autoscale_state st = {0};
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 4, 4, 0), 4);
    assert_int_equal(gt_autoscale_step(&conf, &st, 9, 4, 4, 2000), 4); /* wants 3: the most */
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 4, 4, 4999), 4);
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 4, 4, 5000), 3);
    assert_int_equal(st.want, 1);
    /* Nobody reports: the count stays and the window starts over. */
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 3, 3, 6000), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 0, 3, 10000), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 3, 3, 11000), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 3, 3, 15999), 3);
    assert_int_equal(gt_autoscale_step(&conf, &st, 0, 3, 3, 16000), 1);
}

/* Roles in a ratio scale as sets: the role that needs most sets decides, every role gets
 * its share of them, within the set range. */
static void test_sets(void **state) {
    (void)state;
    uint32_t per[2] = {1, 2}, out[2];
    uint32_t want[2] = {1, 5}; /* decode needs 3 sets */
    assert_int_equal(gt_autoscale_sets(want, per, 2, 1, 8, out), 3);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 6);
    want[0] = 4, want[1] = 0; /* prefill needs 4 */
    assert_int_equal(gt_autoscale_sets(want, per, 2, 1, 8, out), 4);
    assert_int_equal(out[1], 8);
    want[0] = 0; /* none: the minimum */
    assert_int_equal(gt_autoscale_sets(want, per, 2, 2, 8, out), 2);
    assert_int_equal(out[0], 2);
    want[0] = 100; /* capped */
    assert_int_equal(gt_autoscale_sets(want, per, 2, 1, 8, out), 8);
    assert_int_equal(out[1], 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_want),
        cmocka_unit_test(test_up_window),
        cmocka_unit_test(test_down_window),
        cmocka_unit_test(test_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
